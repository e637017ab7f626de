import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dictionaries, keysOf, LANGS, t, setLang, type Lang } from '../src/lib/i18n.svelte';

const SRC = join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : /\.(svelte|ts)$/.test(d.name) ? [join(dir, d.name)] : [],
  );
}

/** The text at a dotted key. */
function textAt(l: Lang, key: string): string {
  return String(key.split('.').reduce<any>((n, p) => n[p], dictionaries[l]));
}

/** The `{name}` placeholders of a text, sorted, with repeats. */
function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

describe('locale files', () => {
  it('are Bokmål, Nynorsk and English', () => {
    expect([...LANGS]).toEqual(['nb', 'nn', 'en']);
  });

  it('have exactly the same keys in every language', () => {
    const [first, ...rest] = LANGS;
    const base = new Set(keysOf(dictionaries[first]));
    for (const l of rest) {
      const other = new Set(keysOf(dictionaries[l]));
      expect([...base].filter((k) => !other.has(k)), `missing in ${l}`).toEqual([]);
      expect([...other].filter((k) => !base.has(k)), `missing in ${first}`).toEqual([]);
    }
  });

  it('have the same placeholders for every key in every language', () => {
    const mismatches: string[] = [];
    for (const key of keysOf(dictionaries.nb)) {
      const want = placeholders(textAt('nb', key));
      for (const l of LANGS) {
        const got = placeholders(textAt(l, key));
        if (got.join() !== want.join()) mismatches.push(`${l}:${key} has {${got.join('}{')}} instead of {${want.join('}{')}}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('keep the line breaks of ready-written messages', () => {
    for (const key of keysOf(dictionaries.nb)) {
      const lines = textAt('nb', key).split('\n').length;
      for (const l of LANGS) expect(textAt(l, key).split('\n').length, `${l}:${key}`).toBe(lines);
    }
  });

  it('have Nynorsk that is not Bokmål left untranslated', () => {
    // Words that exist in Bokmål but not in Nynorsk: one in a Nynorsk text means a line was copied, not translated.
    const bokmal = /\b(ikke|hva|hvor|hvordan|hvis|mottaker(?:e|en|ne)?|avsender(?:en)?|tjeneste(?:n|r|ne)?|noe|mye|fra|ennå|bare|velg|kun|dere|deres|forespørsel(?:en)?)\b/iu;
    const copied = keysOf(dictionaries.nn).filter((k) => bokmal.test(textAt('nn', k)));
    expect(copied).toEqual([]);
  });

  it('have no empty strings', () => {
    for (const l of LANGS) {
      const empty = keysOf(dictionaries[l]).filter((k) => {
        const v = k.split('.').reduce<any>((n, p) => n[p], dictionaries[l]);
        return String(v).trim() === '';
      });
      expect(empty, `empty strings in ${l}`).toEqual([]);
    }
  });

  it('cover every literal key used in the source', () => {
    const used = new Set<string>();
    for (const f of sourceFiles(SRC)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(10);
    for (const l of LANGS) {
      const have = new Set(keysOf(dictionaries[l]));
      expect([...used].filter((k) => !have.has(k)), `used but missing in ${l}`).toEqual([]);
    }
  });
});

describe('t()', () => {
  it('translates, fills placeholders and switches language', () => {
    setLang('nb');
    expect(t('nav.inbox')).toBe('Innboks');
    expect(t('app.version', { version: '1.2.3' })).toBe('Versjon 1.2.3');
    setLang('en');
    expect(t('nav.inbox')).toBe('Inbox');
    expect(t('origin.altinn')).toBe('Data from Altinn');
    setLang('nn');
    expect(t('nav.settings')).toBe('Innstillingar');
    expect(t('origin.altinn')).toBe('Data frå Altinn');
    expect(t('inbox.savedTo', { name: 'a.pdf', path: '/tmp' })).toBe('a.pdf er lagra i /tmp');
    expect(document.documentElement.lang).toBe('nn');
    setLang('nb');
    expect(t('origin.altinn')).toBe('Data fra Altinn');
  });

  it('shows the key itself when a key is unknown, so the gap is visible', () => {
    expect(t('no.such.key')).toBe('no.such.key');
  });
});
