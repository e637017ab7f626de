// Search in the Inbox and Sent lists: one field that matches names,
// organisation numbers (with or without spaces), references, statuses and
// dates as shown. Every word typed must match somewhere in the row.

/** Lower case, without spaces inside numbers ("921 530 875" finds 921530875). */
function fold(s: string): string {
  return s.toLocaleLowerCase('nb').replace(/(\d)\s+(?=\d)/g, '$1');
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
export function filterRows<T>(rows: T[], query: string, textsOf: (row: T) => (string | null | undefined)[], key = ''): T[] {
  const words = queryWords(query);
  if (words.length === 0) return rows;
  return rows.filter((r) => {
    const obj = r as object;
    let cached = texts.get(obj);
    if (!cached || cached.key !== key) {
      cached = { key, hay: fold(textsOf(r).filter((x) => !!x).join(' \u0000 ')) };
      texts.set(obj, cached);
    }
    const hay = cached.hay;
    return words.every((w) => hay.includes(w));
  });
}

/** Rows rendered at a time; "Vis flere" adds as many again. */
export const PAGE_ROWS = 200;
