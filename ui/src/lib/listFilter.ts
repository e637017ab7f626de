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

/**
 * The rows whose texts contain every word of `query`. `texts` gives what a
 * row can be found by; it is asked once per row and search, so a list of
 * 10,000 rows filters in a few milliseconds.
 */
export function filterRows<T>(rows: T[], query: string, texts: (row: T) => (string | null | undefined)[]): T[] {
  const words = queryWords(query);
  if (words.length === 0) return rows;
  return rows.filter((r) => {
    const hay = fold(texts(r).filter((x) => !!x).join(' \u0000 '));
    return words.every((w) => hay.includes(w));
  });
}

/** Rows rendered at a time; "Vis flere" adds as many again. */
export const PAGE_ROWS = 200;
