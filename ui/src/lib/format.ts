// Numbers, sizes and dates in the user's language.
import { localeTag, t } from './i18n.svelte';

function locale(): string {
  return localeTag();
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 || v >= 100 ? 0 : 1;
  return `${numberFormat(digits).format(v)} ${units[i]}`;
}

// Formatters made once per language and options: `toLocaleString` makes a
// new one on every call, which a list of 200 rows (and a search through
// 10,000 dates) felt.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function formatter<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: (tag: string) => F): F {
  const tag = locale();
  let f = formatters.get(`${tag}|${key}`);
  if (!f) {
    f = make(tag);
    formatters.set(`${tag}|${key}`, f);
  }
  return f as F;
}

function numberFormat(digits: number): Intl.NumberFormat {
  return formatter(`number|${digits}`, (tag) => new Intl.NumberFormat(tag, { maximumFractionDigits: digits, minimumFractionDigits: 0 }));
}

export function formatSpeed(bytesPerSec: number): string {
  return `${formatBytes(Math.round(bytesPerSec))}/s`;
}

export function formatDuration(secs: number | null | undefined): string {
  if (secs === null || secs === undefined) return '–';
  if (secs < 60) return t('time.seconds', { n: Math.max(1, Math.round(secs)) });
  if (secs < 3600) return t('time.minutes', { n: Math.round(secs / 60) });
  return t('time.hours', { n: Math.round((secs / 3600) * 10) / 10 });
}

export function formatDate(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–';
  const d = typeof iso === 'number' ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return formatter('date', (tag) => new Intl.DateTimeFormat(tag, { dateStyle: 'short', timeStyle: 'short' })).format(d);
}

export function formatDay(unix: number | null | undefined): string {
  if (unix === null || unix === undefined) return '–';
  return new Date(unix * 1000).toLocaleDateString(locale(), { dateStyle: 'long' });
}

/**
 * A text from a stranger with its invisible characters shown as `⟨U+XXXX⟩`:
 * direction overrides and isolates (which can make "rapport\u202Efdp.exe" read
 * as "rapportexe.pdf"), zero-width characters and other format and control
 * characters. Everything else is left as it is.
 */
export function visible(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);
}
