// Translations. Every visible string comes from src/locales/<lang>.json;
// tests/i18n.test.ts fails when a key or a placeholder differs between them.
import nb from '../locales/nb.json';
import nn from '../locales/nn.json';
import en from '../locales/en.json';
import type { Language } from './generated/wire';
import { allOf } from './union';

/** The UI languages: the Rust settings' `Language`. */
export type Lang = Language;
export const LANGS = allOf<Lang>()(['nb', 'nn', 'en']);

type Dict = { [key: string]: string | Dict };
export const dictionaries: Record<Lang, Dict> = { nb, nn, en };

const current = $state({ lang: 'nb' as Lang });

export function lang(): Lang {
  return current.lang;
}

export function setLang(l: Lang): void {
  current.lang = l;
  if (typeof document !== 'undefined') document.documentElement.lang = l;
}

function lookup(dict: Dict, key: string): string | undefined {
  let node: string | Dict | undefined = dict;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** Translates `key` in the current language, filling `{name}` placeholders. */
export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = lookup(dictionaries[current.lang], key) ?? lookup(dictionaries.nb, key) ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** True when `key` exists in the current language (used for error codes). */
export function has(key: string): boolean {
  return lookup(dictionaries[current.lang], key) !== undefined;
}

/** The BCP 47 tag for dates and numbers in `l`. */
export function localeTag(l: Lang = current.lang): string {
  return l === 'nb' ? 'nb-NO' : l === 'nn' ? 'nn-NO' : 'en-GB';
}

/** All leaf keys of a dictionary, dotted. */
export function keysOf(dict: Dict, prefix = ''): string[] {
  return Object.entries(dict).flatMap(([k, v]) =>
    typeof v === 'string' ? [prefix + k] : keysOf(v, `${prefix}${k}.`),
  );
}
