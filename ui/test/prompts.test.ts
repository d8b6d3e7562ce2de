import { describe, expect, it } from 'vitest';
import { PROMPT_NAMES, PromptPlayer, promptUrl, promptsFor, type AudioElementLike } from '../src/prompts';
import type { View } from '../src/types';
import { fixture, UI_ROOT } from './helpers';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const v = (name: string, patch: Partial<View> = {}): View => ({ ...fixture<View>(name), ...patch });

describe('which prompt to play', () => {
  it('speaks a step once when it starts', () => {
    expect(promptsFor(null, v('view-consent.json'))).toEqual(['consent']);
    expect(promptsFor(v('view-consent.json'), v('view-consent.json'))).toBeNull();
    expect(promptsFor(v('view-consent.json'), v('view-consent.json', { step: 'idCard' }))).toEqual(['idCard']);
  });

  it('the view alone never speaks on the digits step (the camera frames say when the clip records)', () => {
    expect(promptsFor(v('view-consent.json', { step: 'idCard' }), v('view-liveness.json'))).toBeNull();
    const preparing = v('view-liveness.json', { challenge: null });
    expect(promptsFor(preparing, v('view-liveness.json'))).toBeNull();
    expect(promptsFor(v('view-consent.json', { step: 'idCard' }), preparing)).toBeNull();
    // leaving the step speaks again
    expect(promptsFor(v('view-liveness.json'), v('view-liveness.json', { step: 'photo', challenge: null }))).toEqual(['photo']);
  });

  it('says "try again" for a new failure, "staff" when staff are called, and the outcome at the end', () => {
    expect(promptsFor(v('view-consent.json', { step: 'idCard' }), v('view-idcard-failed.json'))).toEqual(['retry']);
    expect(promptsFor(v('view-idcard-failed.json'), v('view-idcard-failed.json'))).toBeNull();
    expect(promptsFor(v('view-liveness.json'), v('view-awaiting-staff.json'))).toEqual(['staff']);
    expect(promptsFor(v('view-signature-preview.json'), v('view-confirmed.json'))).toEqual(['confirmed']);
    expect(promptsFor(v('view-pledge.json'), v('view-ended.json'))).toEqual(['ended']);
    expect(promptsFor(v('view-pledge.json'), v('view-pledge.json', { idleWarningSecs: 20 }))).toEqual(['idle']);
    expect(promptsFor(v('view-pledge.json'), null)).toBeNull();
  });

  it('every prompt and digit has a file in both languages', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const name of [...PROMPT_NAMES, ...Array.from({ length: 10 }, (_, d) => `digit-${d}` as const)]) {
        const file = resolve(UI_ROOT, 'public', promptUrl(locale, name as never));
        expect(existsSync(file), file).toBe(true);
      }
    }
  });
});

class FakeAudio implements AudioElementLike {
  static log: string[] = [];
  src = '';
  onended: ((this: unknown, ev: Event) => unknown) | null = null;
  onerror: unknown = null;
  play() {
    FakeAudio.log.push(this.src);
    setTimeout(() => this.onended?.call(this, new Event('ended')), 1);
    return Promise.resolve();
  }
  pause() {
    FakeAudio.log.push(`pause ${this.src}`);
  }
}

function memoryStorage() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
}

describe('PromptPlayer', () => {
  it('plays the files in order', async () => {
    FakeAudio.log = [];
    const player = new PromptPlayer(() => new FakeAudio(), memoryStorage());
    await player.play('zh-CN', ['liveness', 'digit-4', 'digit-8'], 0);
    expect(FakeAudio.log).toEqual(['./prompts/zh-CN/liveness.ogg', './prompts/zh-CN/digit-4.ogg', './prompts/zh-CN/digit-8.ogg']);
  });

  it('plays nothing when muted, and remembers the choice', async () => {
    FakeAudio.log = [];
    const storage = memoryStorage();
    const player = new PromptPlayer(() => new FakeAudio(), storage);
    const seen: boolean[] = [];
    player.onMutedChange((m) => seen.push(m));
    player.setMuted(true);
    await player.play('en', ['consent'], 0);
    expect(FakeAudio.log).toEqual([]);
    expect(new PromptPlayer(() => new FakeAudio(), storage).muted).toBe(true);
    expect(seen).toEqual([true]);
  });

  it('plays nothing while the clip records, stops what plays when it starts, and plays again after', async () => {
    FakeAudio.log = [];
    const player = new PromptPlayer(() => new FakeAudio(), memoryStorage());
    const digits = player.play('zh-CN', ['digit-1', 'digit-2', 'digit-3'], 0);
    // digit-1 is playing
    player.setRecording(true);
    await digits;
    expect(FakeAudio.log).toEqual(['./prompts/zh-CN/digit-1.ogg', 'pause ./prompts/zh-CN/digit-1.ogg']);
    await player.play('zh-CN', ['idle'], 0);
    expect(FakeAudio.log).toHaveLength(2);
    expect(player.isRecording).toBe(true);
    player.setRecording(false);
    await player.play('zh-CN', ['retry'], 0);
    expect(FakeAudio.log.at(-1)).toBe('./prompts/zh-CN/retry.ogg');
  });

  it('a new prompt replaces the one playing', async () => {
    FakeAudio.log = [];
    const player = new PromptPlayer(() => new FakeAudio(), memoryStorage());
    const first = player.play('en', ['digit-1', 'digit-2', 'digit-3'], 0);
    await new Promise((r) => setTimeout(r, 0));
    await player.play('en', ['photo'], 0);
    await first;
    expect(FakeAudio.log).not.toContain('./prompts/en/digit-3.ogg');
    expect(FakeAudio.log.at(-1)).toBe('./prompts/en/photo.ogg');
  });

  it('a prompt that cannot play does not block the next', async () => {
    const log: string[] = [];
    const player = new PromptPlayer(
      () =>
        ({
          src: '',
          onended: null,
          onerror: null,
          play() {
            log.push(this.src);
            return Promise.reject(new Error('NotAllowedError'));
          },
          pause() {},
        }) as AudioElementLike,
      memoryStorage(),
    );
    await player.play('en', ['consent', 'idCard'], 0);
    expect(log).toEqual(['./prompts/en/consent.ogg', './prompts/en/idCard.ogg']);
  });

  it('a missing .ogg is tried as .wav once', async () => {
    const log: string[] = [];
    const player = new PromptPlayer(
      () =>
        ({
          src: '',
          onended: null,
          onerror: null,
          play() {
            log.push(this.src);
            const self = this as AudioElementLike;
            setTimeout(() => (self.src.endsWith('.ogg') ? (self.onerror as () => void)() : self.onended?.call(self, new Event('ended'))), 1);
            return Promise.resolve();
          },
          pause() {},
        }) as AudioElementLike,
      memoryStorage(),
    );
    await player.play('zh-CN', ['digit-1', 'digit-2'], 0);
    expect(log).toEqual(['./prompts/zh-CN/digit-1.ogg', './prompts/zh-CN/digit-1.wav', './prompts/zh-CN/digit-2.ogg', './prompts/zh-CN/digit-2.wav']);
  });
});
