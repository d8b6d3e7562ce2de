import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import en from '../src/locales/en.json';
import zhCN from '../src/locales/zh-CN.json';
import { flatten, has, makeI18n, translate } from '../src/i18n';
import { REPO_ROOT, UI_ROOT } from './helpers';

function sourceFiles(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path, ext) : ext.test(name) ? [path] : [];
  });
}

const SRC = resolve(UI_ROOT, 'src');
const components = sourceFiles(SRC, /\.tsx$/);

describe('locales', () => {
  it('zh-CN and en have exactly the same keys', () => {
    const zhKeys = [...flatten(zhCN).keys()].sort();
    const enKeys = [...flatten(en).keys()].sort();
    expect(zhKeys.filter((k) => !enKeys.includes(k))).toEqual([]);
    expect(enKeys.filter((k) => !zhKeys.includes(k))).toEqual([]);
    expect(zhKeys.length).toBeGreaterThan(150);
  });

  it('has no empty texts, and placeholders match between the languages', () => {
    const zh = flatten(zhCN);
    const english = flatten(en);
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, value] of zh) {
      expect(value.trim(), key).not.toBe('');
      expect(english.get(key)!.trim(), key).not.toBe('');
      expect(placeholders(english.get(key)!), key).toEqual(placeholders(value));
    }
  });

  it('every errors.<code> listed in docs/ipc.md has a translation in both languages', () => {
    const ipc = readFileSync(resolve(REPO_ROOT, 'docs/ipc.md'), 'utf8');
    const section = ipc.slice(ipc.indexOf('## Errors'), ipc.indexOf('## Types'));
    const codeLine = section.slice(section.indexOf('`code` is stable'), section.indexOf('- `message`'));
    const codes = [...codeLine.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]!).filter((c) => c !== 'code');
    expect(codes).toContain('session.open');
    expect(codes).toContain('bad_request');
    expect(codes).toContain('sync.not_configured');
    expect(codes).toContain('card.image');
    expect(codes.length).toBe(17);
    for (const code of codes) {
      expect(has('zh-CN', `errors.${code}`), `zh-CN errors.${code}`).toBe(true);
      expect(has('en', `errors.${code}`), `en errors.${code}`).toBe(true);
    }
  });

  it('every literal key the code passes to t() exists', () => {
    const missing: string[] = [];
    for (const file of sourceFiles(SRC, /\.tsx?$/)) {
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) {
        const key = match[1]!;
        if (!has('zh-CN', key) || !has('en', key)) missing.push(`${relative(UI_ROOT, file)}: ${key}`);
      }
      // template keys: t(`steps.${...}`) — the prefix must exist as a group
      for (const match of source.matchAll(/\bt\(\s*`([a-zA-Z0-9_.]+)\.\$\{/g)) {
        const prefix = `${match[1]}.`;
        if (![...flatten(zhCN).keys()].some((k) => k.startsWith(prefix))) missing.push(`${relative(UI_ROOT, file)}: ${prefix}*`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('fills placeholders and falls back to the key', () => {
    expect(translate('zh-CN', 'common.attempt', { attempt: 2, max: 3 })).toBe('第 2 次，共 3 次');
    expect(translate('en', 'common.attempt', { attempt: 2, max: 3 })).toBe('Attempt 2 of 3');
    expect(translate('en', 'no.such.key')).toBe('no.such.key');
    const i18n = makeI18n('en');
    expect(i18n.tOr('errors.unknown_code', 'raw message')).toBe('raw message');
    expect(i18n.pick({ zh: '中', en: 'E' })).toBe('E');
  });
});

describe('components hold no hard-coded text', () => {
  it('finds the component files', () => {
    expect(components.length).toBeGreaterThan(15);
  });

  it('no .tsx file contains CJK characters', () => {
    const offenders = components
      .map((file) => ({ file: relative(UI_ROOT, file), lines: readFileSync(file, 'utf8').split('\n') }))
      .flatMap(({ file, lines }) =>
        lines.flatMap((line, i) => (/[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });

  it('no JSX text or text attribute is a hard-coded English phrase', () => {
    const offenders: string[] = [];
    for (const file of components) {
      const source = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      // text between tags: >Some words<
      for (const match of source.matchAll(/(?<![=-])>\s*([A-Za-z][A-Za-z'’,.!?-]*(?:\s+[A-Za-z'’,.!?-]+)+)\s*</g)) {
        offenders.push(`${relative(UI_ROOT, file)}: >${match[1]}<`);
      }
      // a single capitalised word as the only child: >Cancel<
      for (const match of source.matchAll(/(?<![=-])>\s*([A-Z][a-z]{2,})\s*</g)) {
        offenders.push(`${relative(UI_ROOT, file)}: >${match[1]}<`);
      }
      // user-facing attributes with literal text
      for (const match of source.matchAll(/\b(aria-label|title|placeholder|alt|label)="([^"]*[A-Za-z][^"]*)"/g)) {
        offenders.push(`${relative(UI_ROOT, file)}: ${match[1]}="${match[2]}"`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the scan does catch hard-coded text (self-test)', () => {
    const sample = '<p class="x">Please wait here</p><button aria-label="Close">X</button><b>请稍候</b>';
    expect(/>\s*([A-Za-z][A-Za-z'’,.!?-]*(?:\s+[A-Za-z'’,.!?-]+)+)\s*</.test(sample)).toBe(true);
    expect(/\b(aria-label|title|placeholder|alt|label)="([^"]*[A-Za-z][^"]*)"/.test(sample)).toBe(true);
    expect(/[\u3400-\u9fff]/.test(sample)).toBe(true);
  });
});
