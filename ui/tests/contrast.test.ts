// @vitest-environment node
// Budbringer's own theme: WCAG AA contrast (4.5:1 for text, 3:1 for large text,
// borders, focus rings and other indicators) for every colour pair the UI uses,
// in light and dark. The pairs come from the built theme CSS, the app's CSS and
// the markup (tests/contrastModel.ts), not from a list kept by hand.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appModel, contrast, loadTheme, markupColours, parseColour, resolve, rolePairs, schemeVars, styleBlocks,
  type Pair, type Scheme, type Source,
} from './contrastModel';

const ui = join(__dirname, '..');
const read = (p: string) => readFileSync(join(ui, p), 'utf8');
const walk = (dir: string): string[] =>
  readdirSync(join(ui, dir)).flatMap((n) => (statSync(join(ui, dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));

const THEME_CSS = 'src/theme/build/budbringer.css';
const theme = loadTheme(read(THEME_CSS));
const components = walk('src').filter((f) => f.endsWith('.svelte'));
const appSources: Source[] = [
  { file: 'src/app.css', css: read('src/app.css') },
  ...components.flatMap((f) => styleBlocks(read(f)).map((css) => ({ file: f, css }))),
];
const markup = components.map((f) => ({ file: f, ...markupColours(read(f)) }));
const onSurface = [...new Set([theme.defaultColour, ...markup.flatMap((m) => m.onSurface)])];
const SCHEMES: Scheme[] = ['light', 'dark'];

function failures(pairs: Pair[], scheme: Scheme): string[] {
  const vars = schemeVars(theme, scheme);
  const page = resolve('var(--ds-color-neutral-background-default)', vars);
  return pairs.flatMap((p) => {
    const ratio = contrast(resolve(`var(${p.fg})`, vars), resolve(`var(${p.bg})`, vars), page);
    return ratio < p.min ? [`${scheme}: ${p.fg} on ${p.bg} is ${ratio.toFixed(2)}:1, needs ${p.min}:1 (${p.why})`] : [];
  });
}

function hue(hex: string): number {
  const [r, g, b] = parseColour(hex);
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

describe('the theme', () => {
  it('is Budbringer’s own, not Digdir’s default theme, and follows the operating system', () => {
    expect(read('src/main.ts')).toContain("import './theme/build/budbringer.css'");
    expect(read('src/main.ts')).not.toContain('designsystemet-theme');
    expect(read('package.json')).not.toContain('@digdir/designsystemet-theme');
    expect(read('index.html')).toMatch(/<html[^>]*\bdata-color-scheme="auto"/);
    // The accent is nowhere near the blue of Digdir's and Altinn's services (hue ≈ 205–215°).
    const accent = resolve('var(--ds-color-base-default)', schemeVars(theme, 'light'));
    expect(hue(accent) < 185 || hue(accent) > 260, `accent ${accent} (hue ${hue(accent).toFixed(0)}°) looks like Altinn blue`).toBe(true);
  });

  it('gives the OS-chosen scheme (data-color-scheme="auto") exactly the colours checked here', () => {
    for (const s of SCHEMES) {
      expect(theme.schemes[s].size).toBeGreaterThan(90);
      expect(Object.fromEntries(theme.auto[s])).toEqual(Object.fromEntries(theme.schemes[s]));
    }
  });

  it('defines every token the app and Designsystemet’s CSS use', () => {
    const declared = (css: string) => new Set([...css.matchAll(/(--ds-[\w-]+)\s*:/g)].map((m) => m[1]));
    const dsCss = readFileSync(join(ui, 'node_modules/@digdir/designsystemet-css/dist/src/index.css'), 'utf8');
    const defined = new Set([...declared(read(THEME_CSS)), ...declared(dsCss)]);
    const { varsUsed } = appModel(appSources, onSurface);
    const usedByDs = new Set([...dsCss.matchAll(/var\((--ds-[\w-]+)\)/g)].map((m) => m[1]));
    expect([...varsUsed, ...usedByDs].filter((v) => !defined.has(v))).toEqual([]);
  });

  it('is what Designsystemet’s CLI makes from src/theme/designsystemet.config.json (no hand edits)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'budbringer-theme-'));
    try {
      const config = JSON.parse(read('src/theme/designsystemet.config.json'));
      delete config.$schema;
      config.outDir = join(tmp, 'design-tokens');
      writeFileSync(join(tmp, 'config.json'), JSON.stringify(config));
      // The CLI's own script through this Node (node_modules/.bin is a .cmd on Windows).
      const cli = join(ui, 'node_modules/@digdir/designsystemet/dist/bin/designsystemet.js');
      const run = (...args: string[]) => execFileSync(process.execPath, [cli, 'tokens', ...args], { cwd: tmp, stdio: 'pipe' });
      run('create', '--config', join(tmp, 'config.json'));
      run('build', '--config', join(tmp, 'config.json'), '-t', join(tmp, 'design-tokens'), '-o', join(tmp, 'build'));
      for (const [made, committed] of [[join(tmp, 'design-tokens'), 'src/theme/design-tokens'], [join(tmp, 'build'), 'src/theme/build']]) {
        const list = (root: string) => {
          const go = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? go(join(d, n)) : [join(d, n)]));
          return go(root).map((f) => relative(root, f)).sort();
        };
        expect(list(join(ui, committed)), `${committed}: run npm run theme`).toEqual(list(made));
        const text = (p: string) => readFileSync(p, 'utf8').replace(/\r\n/g, '\n'); // a Windows checkout may have CRLF
        for (const f of list(made))
          expect(text(join(ui, committed, f)), `${committed}/${f} differs from the CLI's output: run npm run theme`).toBe(text(join(made, f)));
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('contrast (WCAG AA)', () => {
  const app = appModel(appSources, onSurface);

  it('the app’s CSS uses only theme colours, and the markup only the theme’s colour names', () => {
    expect(app.problems).toEqual([]);
    expect(markup.flatMap((m) => m.dynamic.map((d) => `${m.file}: ${d}`))).toEqual([]);
    expect(markup.flatMap((m) => m.all).filter((c) => !theme.colours.includes(c))).toEqual([]);
  });

  for (const scheme of SCHEMES) {
    it(`Designsystemet's colour roles, every scale, ${scheme}`, () => {
      const pairs = rolePairs(theme);
      expect(pairs.length).toBeGreaterThan(theme.colours.length * 20);
      expect(failures(pairs, scheme)).toEqual([]);
    });

    it(`every pair in the app's CSS, ${scheme}`, () => {
      expect(app.pairs.length).toBeGreaterThan(50);
      expect(failures(app.pairs, scheme)).toEqual([]);
    });
  }

  it('fails on a bad pair (the check can fail)', () => {
    const bad: Source = {
      file: 'bad.css',
      css: `.faint { color: var(--ds-color-neutral-border-subtle); }
            .fill { background: var(--ds-color-accent-base-default); color: var(--ds-color-accent-base-default); }
            .line { border: 1px solid var(--ds-color-neutral-surface-active); }
            .raw { color: #777; }`,
    };
    const m = appModel([...appSources, bad], onSurface);
    const found = SCHEMES.flatMap((s) => failures(m.pairs, s)).join('\n');
    expect(found).toContain('--ds-color-neutral-border-subtle on --ds-color-neutral-background-default');
    expect(found).toContain('--ds-color-accent-base-default on --ds-color-accent-base-default');
    expect(found).toContain('--ds-color-neutral-surface-active on');
    expect(m.problems.join('\n')).toContain('.raw: color: #777');
  });
});
