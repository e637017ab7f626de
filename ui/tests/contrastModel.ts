// The colour pairs the UI uses, derived from the built theme CSS
// (src/theme/build/budbringer.css), the app's own CSS (src/app.css and every
// <style> block) and the markup's data-color attributes, with their WCAG 2.x
// contrast ratios. tests/contrast.test.ts checks every pair against AA.
import postcss from 'postcss';

export type Scheme = 'light' | 'dark';
export type Vars = Map<string, string>;
export type Pair = { fg: string; bg: string; min: number; why: string };
export type Theme = {
  /** The colour-scheme blocks: `:root, [data-color-scheme="light"]` and `[data-color-scheme="dark"]`. */
  schemes: Record<Scheme, Vars>;
  /** `--ds-color-<role>` → the default colour's token (what components use without data-color). */
  generic: Vars;
  /** What the theme applies when the OS asks for light or dark (data-color-scheme="auto"). */
  auto: Record<Scheme, Vars>;
  /** Colour scales the theme defines: accent, neutral, info, success, warning, danger, … */
  colours: string[];
  /** The colour Designsystemet components use without a data-color (primary buttons, links). */
  defaultColour: string;
};

// ---- Colour arithmetic (WCAG 2.x relative luminance) -----------------------------------

type RGBA = [number, number, number, number];

export function parseColour(value: string): RGBA {
  const hex = /^#([0-9a-f]{3,8})$/i.exec(value.trim());
  if (!hex) throw new Error(`not a colour the contrast check understands: ${value}`);
  let h = hex[1];
  if (h.length === 3 || h.length === 4) h = [...h].map((c) => c + c).join('');
  if (h.length !== 6 && h.length !== 8) throw new Error(`bad hex colour: ${value}`);
  const n = (i: number) => parseInt(h.slice(i, i + 2), 16) / 255;
  return [n(0), n(2), n(4), h.length === 8 ? n(6) : 1];
}

/** A translucent colour painted over an opaque one. */
function over(fg: RGBA, bg: RGBA): RGBA {
  const a = fg[3];
  return [fg[0] * a + bg[0] * (1 - a), fg[1] * a + bg[1] * (1 - a), fg[2] * a + bg[2] * (1 - a), 1];
}

function luminance([r, g, b]: RGBA): number {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio; a translucent background sits on `page`, a translucent foreground on the background. */
export function contrast(fg: string, bg: string, page = '#ffffff'): number {
  const b = over(parseColour(bg), parseColour(page));
  const f = over(parseColour(fg), b);
  const [hi, lo] = [luminance(f), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// ---- The theme ------------------------------------------------------------------------

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

export function loadTheme(css: string): Theme {
  const root = postcss.parse(css);
  const schemes: Record<Scheme, Vars> = { light: new Map(), dark: new Map() };
  const auto: Record<Scheme, Vars> = { light: new Map(), dark: new Map() };
  const generic: { selector: string; vars: Vars }[] = [];
  root.walkRules((rule) => {
    const sel = norm(rule.selector);
    const parent = rule.parent;
    const media = parent?.type === 'atrule' && (parent as postcss.AtRule).name === 'media' ? (parent as postcss.AtRule).params : '';
    let target: Vars | undefined;
    if (sel === ':root, [data-color-scheme="light"]') target = schemes.light;
    else if (sel === '[data-color-scheme="dark"]') target = schemes.dark;
    else if (sel === '[data-color-scheme="auto"]' && /prefers-color-scheme:\s*light/.test(media)) target = auto.light;
    else if (sel === '[data-color-scheme="auto"]' && /prefers-color-scheme:\s*dark/.test(media)) target = auto.dark;
    if (target) {
      const t = target;
      rule.walkDecls(/^--ds-/, (d) => void t.set(d.prop, d.value.trim()));
    } else if (rule.some((n) => n.type === 'decl' && n.prop === '--ds-color-base-default')) {
      const vars: Vars = new Map();
      rule.walkDecls(/^--ds-color-/, (d) => void vars.set(d.prop, d.value.trim()));
      generic.push({ selector: sel, vars });
    }
  });
  const colours = [...schemes.light.keys()]
    .map((k) => /^--ds-color-([a-z0-9]+)-background-default$/.exec(k)?.[1])
    .filter((c): c is string => !!c);
  // `:root, [data-color-scheme], [data-color="accent"]` maps --ds-color-<role> to the default colour.
  const rootMap = generic.find((g) => g.selector.split(',').some((s) => s.trim() === ':root'));
  if (!rootMap) throw new Error('the theme has no default colour (:root mapping of --ds-color-base-default)');
  const defaultColour = /--ds-color-([a-z0-9]+)-base-default/.exec(rootMap.vars.get('--ds-color-base-default') ?? '')?.[1];
  if (!defaultColour) throw new Error('cannot read the default colour');
  return { schemes, generic: rootMap.vars, auto, colours, defaultColour };
}

/** Every custom property in effect in one colour scheme. */
export function schemeVars(theme: Theme, scheme: Scheme): Vars {
  return new Map([...theme.schemes[scheme], ...theme.generic]);
}

/** The value of a custom property (following var() chains) in one colour scheme. */
export function resolve(value: string, vars: Vars, depth = 0): string {
  const m = /^var\(\s*(--[\w-]+)\s*(?:,\s*(.+))?\)$/.exec(value.trim());
  if (!m) return value.trim();
  if (depth > 10) throw new Error(`var() cycle at ${value}`);
  const v = vars.get(m[1]);
  if (v === undefined) {
    if (m[2] !== undefined) return resolve(m[2], vars, depth + 1);
    throw new Error(`${m[1]} is not defined by the theme`);
  }
  return resolve(v, vars, depth + 1);
}

// ---- Designsystemet's role contract ---------------------------------------------------
// Designsystemet components pair the roles of one colour scale like this (text on
// backgrounds and surfaces, white-or-black on filled "base", borders of controls). The
// theme builder promises most of it; we check it for every scale the theme defines.
const ROLE_PAIRS: [fg: string, bgs: string[], min: number, why: string][] = [
  ['text-default', ['background-default', 'background-tinted', 'surface-default', 'surface-tinted', 'surface-hover', 'surface-active'], 4.5, 'text'],
  ['text-subtle', ['background-default', 'background-tinted', 'surface-default', 'surface-tinted'], 4.5, 'text'],
  ['base-contrast-default', ['base-default', 'base-hover', 'base-active'], 4.5, 'text on a filled control'],
  ['border-default', ['background-default', 'background-tinted', 'surface-default', 'surface-tinted'], 3, 'control border'],
  ['border-strong', ['background-default', 'background-tinted', 'surface-default'], 3, 'control border'],
];

export function rolePairs(theme: Theme): Pair[] {
  const pairs: Pair[] = [];
  for (const c of theme.colours)
    for (const [fg, bgs, min, why] of ROLE_PAIRS)
      for (const bg of bgs) pairs.push({ fg: `--ds-color-${c}-${fg}`, bg: `--ds-color-${c}-${bg}`, min, why: `Designsystemet ${why}` });
  for (const bg of ['background-default', 'background-tinted', 'surface-default'])
    pairs.push({ fg: '--ds-color-focus-outer', bg: `--ds-color-neutral-${bg}`, min: 3, why: 'focus ring' });
  pairs.push({ fg: '--ds-link-color-visited', bg: '--ds-color-neutral-background-default', min: 4.5, why: 'visited link' });
  return pairs;
}

// ---- The app's own CSS ----------------------------------------------------------------

export type Source = { file: string; css: string };
export type AppModel = { pairs: Pair[]; problems: string[]; varsUsed: Set<string> };

const RAW_COLOUR = /#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|\b(?:white|black|red|green|blue|gr[ae]y|yellow|orange|purple|silver|navy|teal)\b/i;
const TEXT_PROPS = /^(?:color|fill|-webkit-text-fill-color)$/;
const BG_PROPS = /^background(?:-color)?$/;
const LINE_PROPS = /^(?:(?:border|outline)(?:-[a-z-]+)?|accent-color|stroke|text-decoration-color|column-rule(?:-color)?)$/;

const tokens = (value: string) => [...value.matchAll(/var\(\s*(--ds-[\w-]+)/g)].map((m) => m[1]);
const role = (token: string) => /^--ds-color-[a-z0-9]+-(\w+)-/.exec(token)?.[1] ?? '';

/** 24px, or 18.66px bold: WCAG's "large text", which needs 3:1 instead of 4.5:1. */
function isLarge(rule: postcss.Rule): boolean {
  let px = 16;
  let bold = false;
  rule.walkDecls((d) => {
    const m = /^([\d.]+)(rem|em|px)$/.exec(d.value.trim());
    if (d.prop === 'font-size' && m) px = m[2] === 'px' ? +m[1] : +m[1] * 16;
    if (d.prop === 'font-weight') bold = d.value === 'bold' || +d.value >= 700;
  });
  return px >= 24 || (bold && px >= 18.66);
}

/**
 * The pairs in the app's CSS. Designsystemet's roles say what can sit on what:
 * `background-*` and `surface-*` colours are surfaces other things are put on, so
 * every text colour the app sets (and the inherited body text) is checked on every
 * surface the app paints, and every border, outline and accent colour (bar the
 * decorative `border-subtle`) at 3:1 on its own background or else on every surface.
 * `base-*` colours are filled controls: only the rule's own text sits on them, and
 * the fill itself must stand out (3:1) from the surfaces around it. Colours of
 * Designsystemet components that sit straight on the app's surfaces (buttons and
 * messages in `onSurface` colours) are checked on every surface too.
 */
export function appModel(sources: Source[], onSurface: string[]): AppModel {
  const problems: string[] = [];
  const varsUsed = new Set<string>();
  const surfaces = new Set<string>();
  const texts = new Map<string, { min: number; where: string }>(); // minimum: 4.5, or 3 for large text
  const lines: { token: string; bg?: string; where: string }[] = [];
  const fills: { fill: string; text?: string; min: number; where: string }[] = [];

  for (const { file, css } of sources) {
    postcss.parse(css, { from: file }).walkRules((rule) => {
      if (rule.parent?.type === 'atrule' && /keyframes$/.test((rule.parent as postcss.AtRule).name)) return;
      const where = `${file}: ${norm(rule.selector)}`;
      const own = { text: [] as string[], bg: [] as string[], lines: [] as string[] };
      rule.each((n) => {
        if (n.type !== 'decl') return;
        for (const t of tokens(n.value)) varsUsed.add(t);
        const isColourProp = TEXT_PROPS.test(n.prop) || BG_PROPS.test(n.prop) || LINE_PROPS.test(n.prop);
        if (!isColourProp) return;
        const withoutVars = n.value.replace(/var\([^)]*\)/g, '');
        if (RAW_COLOUR.test(withoutVars) && !/::backdrop/.test(rule.selector))
          problems.push(`${where}: ${n.prop}: ${n.value} is not a theme colour (dark mode would not change it)`);
        const ts = tokens(n.value).filter((t) => t.startsWith('--ds-color-'));
        if (TEXT_PROPS.test(n.prop)) own.text.push(...ts);
        else if (BG_PROPS.test(n.prop)) own.bg.push(...ts);
        else own.lines.push(...ts.filter((t) => !t.endsWith('-border-subtle')));
      });
      const large = isLarge(rule);
      const fill = own.bg.find((t) => role(t) === 'base');
      if (fill) {
        if (own.text.length === 0) problems.push(`${where}: a filled (${fill}) background without its own text colour`);
        for (const bg of own.bg) fills.push({ fill: bg, text: own.text[0], min: large ? 3 : 4.5, where });
      } else {
        for (const bg of own.bg) surfaces.add(bg);
        for (const t of own.text) if ((texts.get(t)?.min ?? 0) < (large ? 3 : 4.5)) texts.set(t, { min: large ? 3 : 4.5, where });
      }
      for (const l of own.lines) lines.push({ token: l, bg: own.bg[0], where });
    });
  }
  for (const c of onSurface) {
    texts.set(`--ds-color-${c}-text-default`, { min: 4.5, where: `Designsystemet components in ${c}` });
    texts.set(`--ds-color-${c}-text-subtle`, { min: 4.5, where: `Designsystemet components in ${c}` });
  }

  const pairs: Pair[] = [];
  for (const bg of surfaces) for (const [fg, { min, where }] of texts) pairs.push({ fg, bg, min, why: `text (${where}) on an app surface` });
  for (const l of lines) {
    for (const bg of l.bg ? [l.bg] : surfaces) pairs.push({ fg: l.token, bg, min: 3, why: `border, outline or indicator (${l.where})` });
  }
  for (const f of fills) {
    if (f.text) pairs.push({ fg: f.text, bg: f.fill, min: f.min, why: `text on a filled control (${f.where})` });
    for (const bg of surfaces) pairs.push({ fg: f.fill, bg, min: 3, why: `filled control on a surface (${f.where})` });
  }
  return { pairs, problems, varsUsed };
}

/** The <style> blocks of a Svelte component. */
export function styleBlocks(svelte: string): string[] {
  return [...svelte.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
}

/**
 * Colours the markup gives Designsystemet components with data-color. Tags, alerts and
 * badges bring their own surface (checked by the role contract); anything else with a
 * data-color (buttons, validation messages) sits on the app's surfaces.
 */
export function markupColours(svelte: string): { all: string[]; onSurface: string[]; dynamic: string[] } {
  const all: string[] = [];
  const onSurface: string[] = [];
  const dynamic: string[] = [];
  for (const [tag] of svelte.matchAll(/<[a-z][^<>]*?data-color=[^<>]*>/g)) {
    const own = /\bclass="([^"]*)"/.exec(tag)?.[1] ?? '';
    const hasSurface = /\bds-(?:tag|alert|badge)\b/.test(own);
    const literal = /data-color="([a-z0-9]+)"/.exec(tag)?.[1];
    if (literal) {
      all.push(literal);
      if (!hasSurface) onSurface.push(literal);
    } else if (!hasSurface) dynamic.push(tag);
  }
  return { all, onSurface, dynamic };
}
