import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dictionaries, keysOf, LANGS, t, setLang } from '../src/lib/i18n.svelte';

const SRC = join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : /\.(svelte|ts)$/.test(d.name) ? [join(dir, d.name)] : [],
  );
}

describe('locale files', () => {
  it('have exactly the same keys in every language', () => {
    const [first, ...rest] = LANGS;
    const base = new Set(keysOf(dictionaries[first]));
    for (const l of rest) {
      const other = new Set(keysOf(dictionaries[l]));
      expect([...base].filter((k) => !other.has(k)), `missing in ${l}`).toEqual([]);
      expect([...other].filter((k) => !base.has(k)), `missing in ${first}`).toEqual([]);
    }
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
    setLang('nb');
    expect(t('origin.altinn')).toBe('Data fra Altinn');
  });

  it('shows the key itself when a key is unknown, so the gap is visible', () => {
    expect(t('no.such.key')).toBe('no.such.key');
  });
});
