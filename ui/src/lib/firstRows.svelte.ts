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

/**
 * How many of a list's rows to render: FIRST_ROWS until `hasRows` first says
 * yes and that frame is painted, then all. Call it while a component is made
 * (it watches `hasRows` with an effect).
 */
export function firstRows(hasRows: () => boolean): { readonly n: number } {
  let n = $state(FIRST_ROWS);
  let started = false;
  $effect(() => {
    if (started || !hasRows()) return;
    started = true;
    void painted().then(() => (n = Number.POSITIVE_INFINITY));
  });
  return {
    get n() {
      return n;
    },
  };
}
