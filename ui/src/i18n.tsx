// Every visible string comes from locales/*.json through `t`. Texts that Rust sends in both
// languages (Reason, documents) are picked with `pick`.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import en from './locales/en.json';
import zhCN from './locales/zh-CN.json';
import type { Locale } from './types';

export type Params = Record<string, string | number>;
type Table = Map<string, string>;

/** `{a: {b: "x"}, errors: {"session.open": "y"}}` → `a.b`, `errors.session.open`. */
export function flatten(tree: unknown, prefix = '', into: Table = new Map()): Table {
  if (typeof tree === 'string') {
    into.set(prefix, tree);
  } else if (typeof tree === 'object' && tree !== null) {
    for (const [key, value] of Object.entries(tree)) flatten(value, prefix ? `${prefix}.${key}` : key, into);
  }
  return into;
}

const TABLES: Record<Locale, Table> = { 'zh-CN': flatten(zhCN), en: flatten(en) };
export const LOCALES: Locale[] = ['zh-CN', 'en'];

export function has(locale: Locale, key: string): boolean {
  return TABLES[locale].has(key);
}

/** The text for `key`, with `{name}` placeholders filled in. A missing key shows itself. */
export function translate(locale: Locale, key: string, params?: Params): string {
  const text = TABLES[locale].get(key) ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export interface Bilingual {
  zh: string;
  en: string;
}

export function pickText(locale: Locale, text: Bilingual): string {
  return locale === 'zh-CN' ? text.zh : text.en;
}

export interface I18n {
  locale: Locale;
  t: (key: string, params?: Params) => string;
  pick: (text: Bilingual) => string;
  /** `t(key)` when the key exists, else `fallback` (for codes that come from Rust). */
  tOr: (key: string, fallback: string, params?: Params) => string;
}

export function makeI18n(locale: Locale): I18n {
  return {
    locale,
    t: (key, params) => translate(locale, key, params),
    pick: (text) => pickText(locale, text),
    tOr: (key, fallback, params) => (has(locale, key) ? translate(locale, key, params) : fallback),
  };
}

const I18nContext = createContext<I18n>(makeI18n('zh-CN'));

export function I18nProvider(props: { locale: Locale; children: ComponentChildren }) {
  return <I18nContext.Provider value={makeI18n(props.locale)}>{props.children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}
