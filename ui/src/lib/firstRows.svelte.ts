// A long list's first frame: a screenful of rows at once, the rest of the page
// right after that frame is painted. A page of 200 rows costs WebKit a few
// hundred milliseconds of layout; the user sees the top of the list first, and
// every row of the page is still in the document (and the tab order) a frame
// later (docs/BENCHMARKS.md, the lists' rows).

/** Rows in a list's first frame: a screenful on a large monitor (a Sent row is about 50 px high). */
export const FIRST_ROWS = 25;

/** Settles once the next frame has been drawn (a task queued from its animation callback). */
export function painted(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** `n` is FIRST_ROWS until `start` has been called and a frame painted; then unlimited. */
export function firstRows(): { readonly n: number; start(): void } {
  let n = $state(FIRST_ROWS);
  let started = false;
  return {
    get n() {
      return n;
    },
    start() {
      if (started) return;
      started = true;
      void painted().then(() => (n = Number.POSITIVE_INFINITY));
    },
  };
}
