/**
 * Which rows of a long list to render: the ones in the scroll viewport plus an overscan, with the
 * heights of the spacers that stand in for the rest (fixed row height), so 500 nodes x 20 services
 * cost the DOM of the ~40 rows on screen.
 */
export interface RowWindow {
  readonly start: number;
  readonly end: number;
  readonly padTop: number;
  readonly padBottom: number;
}

export function rowWindow(total: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 10): RowWindow {
  if (total <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.max(0, Math.min(total - 1, first - overscan));
  const end = Math.min(total, first + Math.ceil(Math.max(viewport, rowHeight) / rowHeight) + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (total - end) * rowHeight };
}
