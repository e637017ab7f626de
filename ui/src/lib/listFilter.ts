// Search in the Inbox and Sent lists: one field that matches names,
// organisation numbers (with or without spaces), references, statuses and
// dates as shown. Every word typed must match somewhere in the row.
import { untrack } from 'svelte';

/** Lower case, without spaces inside numbers ("921 530 875" finds 921530875).
 * Plain `toLowerCase`: Norwegian has no casing of its own (æøå fold as usual). */
function fold(s: string): string {
  return s.toLowerCase().replace(/(\d)\s+(?=\d)/g, '$1');
}

/** The words of a query, folded. */
export function queryWords(query: string): string[] {
  return fold(query.trim()).split(/\s+/).filter((w) => w.length > 0);
}

/** Each row's folded search text, made once per row object and `key`. */
const texts = new WeakMap<object, { key: string; hay: string }>();

/**
 * The rows whose texts contain every word of `query`. `textsOf` gives what a
 * row can be found by; its folded text is kept per row object until `key`
 * changes (the language, names that arrived), so a keystroke in a list of
 * 10,000 rows costs one pass of `includes`, not 10,000 dates formatted
 * and names looked up again (docs/BENCHMARKS.md, the lists' rows).
 */
export function filterRows<T>(rows: T[], query: string, textsOf: TextsOf<T>, key = ''): T[] {
  const words = queryWords(query);
  if (words.length === 0) return rows;
  return rows.filter((r) => {
    const hay = hayOf(r, textsOf, key);
    return words.every((w) => hay.includes(w));
  });
}

/** What a row can be found by. */
export type TextsOf<T> = (row: T) => (string | null | undefined)[];

function hayOf<T>(row: T, textsOf: TextsOf<T>, key: string): string {
  const obj = row as object;
  let cached = texts.get(obj);
  if (!cached || cached.key !== key) {
    // Untracked: `key` already stands for what the texts read (language, names); a
    // list's derived search need not depend on 10,000 rows' reads one by one.
    cached = { key, hay: fold(untrack(() => textsOf(row)).filter((x) => !!x).join(' \u0000 ')) };
    texts.set(obj, cached);
  }
  return cached.hay;
}

/**
 * Makes the rows' search texts in the background once the list is on screen,
 * a few milliseconds at a time (typing and scrolling go first), so that the
 * first search in a long history finds them made. Returns the function that
 * stops it (the list or the language changed).
 */
export function prepareSearch<T>(rows: T[], textsOf: TextsOf<T>, key = '', { after = 300, sliceMs = 8 } = {}): () => void {
  let i = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const step = () => {
    const end = performance.now() + sliceMs;
    while (i < rows.length && performance.now() < end) hayOf(rows[i++], textsOf, key);
    if (i < rows.length) timer = setTimeout(step, 0);
  };
  timer = setTimeout(step, after);
  return () => clearTimeout(timer);
}

/** Rows rendered at a time; "Vis flere" adds as many again. */
export const PAGE_ROWS = 200;
