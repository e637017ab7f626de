import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dictionaries, LANGS } from '../src/lib/i18n.svelte';

// Advice that names a place in the app must name one that exists: a wizard
// step is written «<its short name>» and must be a step the Setup page shows (pages/setup/wizard.svelte.ts);
// a page is written "under <its menu label>" and must be in the main menu.
// (Issue 12: every Altinn error the wizard can meet names a real next step.)
const SRC = join(__dirname, '..', 'src');
const listed = (file: string, name: string): string[] => {
  const src = readFileSync(join(SRC, file), 'utf8');
  const m = src.match(new RegExp(`const ${name} = \\[([^\\]]*)\\]`));
  expect(m, `${name} in ${file}`).toBeTruthy();
  return [...m![1].matchAll(/'([^']+)'/g)].map((x) => x[1]);
};
const STEPS = listed('pages/setup/wizard.svelte.ts', 'STEPS');
const PAGES = listed('App.svelte', 'PAGES');

describe('error advice', () => {
  for (const l of LANGS) {
    it(`names only steps and pages that exist (${l})`, () => {
      const d = dictionaries[l] as any;
      const steps = new Map(STEPS.filter((s) => d.wizard[s]?.short).map((s) => [d.wizard[s].short as string, s]));
      const pages = new Set(PAGES.map((p) => d.nav[p] as string));
      const wrong: string[] = [];
      let named = 0;
      for (const [code, text] of Object.entries(d.error as Record<string, string>)) {
        for (const m of text.matchAll(/«([^»]+)»/g)) {
          named++;
          if (!steps.has(m[1])) wrong.push(`${code}: step «${m[1]}»`);
        }
        for (const m of text.matchAll(/\bunder ([A-ZÆØÅ][\wæøå-]+)/g)) {
          named++;
          if (!pages.has(m[1])) wrong.push(`${code}: page ${m[1]}`);
        }
      }
      expect(wrong).toEqual([]);
      // The check saw the advice it is about (it cannot pass by matching nothing).
      expect(named).toBeGreaterThan(10);
    });
  }

  it('cover the onboarding errors with a named next step', () => {
    for (const l of LANGS) {
      const e = (dictionaries[l] as any).error as Record<string, string>;
      for (const code of ['SYSTEM_SCOPES_NOT_GRANTED', 'NOT_ON_ACCESS_LIST', 'SYSTEM_USER_REQUEST_TIMED_OUT', 'CHANGE_REQUEST_PENDING']) {
        expect(e[code], `${l} ${code}`).toMatch(/«[^»]+»/);
      }
      expect(e.SYSTEM_USER_REQUEST_TIMED_OUT).toMatch(/180/);
    }
  });
});
