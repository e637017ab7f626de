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

// One number formatter per language and digits (as the dates below): a list
// of 200 rows would otherwise make 200.
const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(digits: number): Intl.NumberFormat {
  const key = `${locale()}|${digits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    numberFormats.set(key, f);
  }
  return f;
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

// One formatter per language: `toLocaleString` makes a new one on every
// call, which a list of 10,000 dates felt.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

export function formatDate(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–';
  const d = typeof iso === 'number' ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const tag = locale();
  let f = dateFormats.get(tag);
  if (!f) {
    f = new Intl.DateTimeFormat(tag, { dateStyle: 'short', timeStyle: 'short' });
    dateFormats.set(tag, f);
  }
  return f.format(d);
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
