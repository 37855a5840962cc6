// The way out for everything without a columnar fast path (arithmetic between fields,
// JSON paths, array functions, elements): the reference evaluator runs on that subtree
// row by row, and its truths are packed into a Tri like any other operator's. Correct by
// construction, since it is the very code the executor is tested against.
import type { Checked } from '../expr/index.js';
import { evaluate } from '../expr/index.js';
import type { Tri } from './tri.js';
import type { SegmentView } from './view.js';

export function rowByRow(c: Checked, view: SegmentView): Tri {
  const rows = view.rows;
  const t = new Uint8Array(rows);
  let n: Uint8Array | null = null;
  let row = 0;
  const ctx = { row: (f: Parameters<SegmentView['value']>[0]) => view.value(f, row), meta: () => view.meta(row) };
  for (; row < rows; row++) {
    const r = evaluate(c, ctx);
    if (r === true) t[row] = 1;
    else if (r === null) (n ??= new Uint8Array(rows))[row] = 1;
  }
  return { t, n };
}
