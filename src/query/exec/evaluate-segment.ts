// The column-at-a-time executor: evaluates a checked filter over every row of a segment
// at once and returns one byte per row (1 = the filter is true there). Conditions on a
// field and a constant run as loops over the column (compare.ts, in-list.ts, like.ts),
// `is null` reads the validity bytes, and/or/not combine three-valued results (tri.ts).
// Every other subtree is handed to the reference evaluator row by row (fallback.ts), so
// the result is always exactly the reference's; test/exec/differential.test.ts checks that.
import type { CollectionSchema, FieldSchema, IndexMeta } from '../../catalog/types.js';
import type { Segment } from '../../segments/segment.js';
import type { Checked, Value } from '../expr/index.js';
import type { JsonRef } from '../expr/checked.js';
import { compareColumn, flipOp, type CompareOp } from './compare.js';
import { rowByRow } from './fallback.js';
import { rtreeSpatial } from './rtree.js';
import { inColumn } from './in-list.js';
import { likeColumn } from './like.js';
import { sortedRange, sortedRangeTri, estimateJsonCompare, estimateJsonIn, jsonIndexCompare, jsonIndexIn, estimateCompare, estimateContains, estimateIn, estimateLike, indexCompare, indexContains, indexIn, indexLike, indexWorthIt, type ScalarIndex } from './scalar-index.js';
import { andTri, constTri, notTri, orTri, type Tri } from './tri.js';
import { segmentView, type ExecOptions, type SegmentView } from './view.js';

/**
 * One byte per row of `seg`: 1 where `checked` is true, 0 where it is false or unknown.
 * `indexes`, the collection's index specs, lets a sealed segment answer comparisons, `in`
 * and prefix `like` on an indexed scalar field, and array_contains(_any/_all) on an
 * indexed Array field, from its index (scalar-index.ts) instead of a scan — when the
 * index estimates that the leaf matches at most indexSelectivityMax of the segment's rows
 * (`options` overrides the threshold); above it the scan runs. Either way the answer is the same.
 */
export function evaluateSegment(checked: Checked, schema: CollectionSchema, seg: Segment, indexes?: readonly IndexMeta[], options?: ExecOptions): Uint8Array {
  return evaluateView(checked, segmentView(schema, seg, indexes, options)).t;
}

/** The three-valued result, for tests that compare unknowns too. */
export function evaluateSegmentTri(checked: Checked, schema: CollectionSchema, seg: Segment, indexes?: readonly IndexMeta[], options?: ExecOptions): Tri {
  return evaluateView(checked, segmentView(schema, seg, indexes, options));
}

/**
 * The field's index when the segment has one and the planner picks it: the index's own
 * estimate of the leaf's matching rows (scalar-index.ts estimate*) is within the view's
 * indexSelectivityMax of the rows. undefined: scan.
 */
function chosenIndex(field: FieldSchema, view: SegmentView, estimate: (ix: ScalarIndex) => number | undefined): ScalarIndex | undefined {
  const ix = view.index(field);
  if (ix === undefined) return undefined;
  const e = estimate(ix);
  return e !== undefined && indexWorthIt(e, view.rows, view.indexSelectivityMax) ? ix : undefined;
}

/** `field op c`: from the field's index when the segment has one that can answer, else a scan. */
function compareField(field: FieldSchema, op: CompareOp, c: Value, view: SegmentView): Tri | undefined {
  const col = view.column(field);
  const ix = chosenIndex(field, view, (x) => estimateCompare(x, field, op, c, view.rows));
  return (ix !== undefined ? indexCompare(ix, field, col, op, c, view.rows) : undefined) ?? compareColumn(field, col, op, c, view.rows);
}

/** `P op c` on a JSON path: from a JSON path index when one answers and the planner picks it, else undefined (row by row). */
function compareJson(ref: JsonRef, op: CompareOp, c: Value, view: SegmentView): Tri | undefined {
  const ix = view.jsonIndex(ref.field, ref.path);
  if (ix === undefined) return undefined;
  const e = estimateJsonCompare(ix, op, c, view.rows);
  return e !== undefined && indexWorthIt(e, view.rows, view.indexSelectivityMax) ? jsonIndexCompare(ix, op, c, view.rows) : undefined;
}

const rangeOps = new Set<string>(['<', '<=', '>', '>=']);

/**
 * The Tris of an AND's items, where two or more range comparisons on one field with a
 * sorted index (`a < x and x <= b`, as the checker writes `a < x <= b`) are answered
 * together by one range lookup (scalar-index.ts sortedRange) when the planner takes the
 * index for the merged range; the rest evaluate one by one. AND is commutative, so the
 * result is the same as item by item.
 */
function mergeRanges(items: readonly Checked[], view: SegmentView): Tri[] {
  const groups = new Map<number, { field: FieldSchema; conds: { op: CompareOp; c: Value }[]; at: number[] }>();
  items.forEach((x, i) => {
    if (x.kind !== 'compare' || !rangeOps.has(x.op)) return;
    const side = x.left.kind === 'field' && x.right.kind === 'const' ? { f: x.left.field, op: x.op, c: x.right.value }
      : x.left.kind === 'const' && x.right.kind === 'field' ? { f: x.right.field, op: flipOp(x.op), c: x.left.value } : undefined;
    if (side === undefined) return;
    let g = groups.get(side.f.fieldId);
    if (g === undefined) groups.set(side.f.fieldId, (g = { field: side.f, conds: [], at: [] }));
    g.conds.push({ op: side.op, c: side.c });
    g.at.push(i);
  });
  const merged: Tri[] = [];
  const done = new Set<number>();
  for (const g of groups.values()) {
    if (g.at.length < 2) continue;
    const ix = view.index(g.field);
    if (ix === undefined) continue;
    const r = sortedRange(ix, g.field, g.conds);
    if (r === undefined || !indexWorthIt(r[1] - r[0], view.rows, view.indexSelectivityMax)) continue;
    merged.push(sortedRangeTri(ix, view.column(g.field), r, view.rows));
    for (const i of g.at) done.add(i);
  }
  if (merged.length === 0) return items.map((x) => evaluateView(x, view));
  return [...merged, ...items.filter((_, i) => !done.has(i)).map((x) => evaluateView(x, view))];
}

export function evaluateView(c: Checked, view: SegmentView): Tri {
  return condition(c, view) ?? rowByRow(c, view);
}

/** The Tri of a condition node, or undefined when it has no columnar form. */
function condition(c: Checked, view: SegmentView): Tri | undefined {
  const rows = view.rows;
  switch (c.kind) {
    case 'and': return andTri(mergeRanges(c.items, view), rows);
    case 'or': return orTri(c.items.map((x) => evaluateView(x, view)), rows);
    case 'not': return notTri(evaluateView(c.operand, view), rows);
    case 'const': return typeof c.value === 'boolean' ? constTri(rows, c.value) : undefined;
    case 'compare': {
      if (c.left.kind === 'field' && c.right.kind === 'const') {
        return compareField(c.left.field, c.op, c.right.value, view);
      }
      if (c.left.kind === 'const' && c.right.kind === 'field') {
        return compareField(c.right.field, flipOp(c.op), c.left.value, view);
      }
      if (c.left.kind === 'json' && c.right.kind === 'const') return compareJson(c.left, c.op, c.right.value, view);
      if (c.left.kind === 'const' && c.right.kind === 'json') return compareJson(c.right, flipOp(c.op), c.left.value, view);
      return undefined;
    }
    case 'in': {
      if (c.value.kind === 'json') {
        const ref = c.value;
        const ix = view.jsonIndex(ref.field, ref.path);
        const e = ix === undefined ? undefined : estimateJsonIn(ix, c.values, rows);
        return e !== undefined && indexWorthIt(e, rows, view.indexSelectivityMax) ? jsonIndexIn(ix!, c.values, rows) : undefined;
      }
      if (c.value.kind !== 'field') return undefined;
      const col = view.column(c.value.field);
      const f = c.value.field;
      const ix = chosenIndex(f, view, (x) => estimateIn(x, f, c.values, rows));
      return (ix !== undefined ? indexIn(ix, c.value.field, col, c.values, rows) : undefined) ?? inColumn(c.value.field, col, c.values, rows);
    }
    case 'like': {
      if (c.value.kind !== 'field') return undefined;
      const col = view.column(c.value.field);
      const f = c.value.field;
      const ix = chosenIndex(f, view, (x) => estimateLike(x, f, c.pattern, rows));
      return (ix !== undefined ? indexLike(ix, c.value.field, col, c.pattern, rows) : undefined) ?? likeColumn(col, c.pattern, c.regex, rows);
    }
    case 'contains': {
      // An empty list answers every row at once, as the reference does.
      if (c.mode !== 'one' && c.values.length === 0) return constTri(rows, c.mode === 'all');
      // Array fields with an index only; everything else (and growing segments) row by row.
      if (c.target.kind !== 'field') return undefined;
      const ix = chosenIndex(c.target.field, view, (x) => estimateContains(x, c.mode, c.values, rows));
      return ix !== undefined ? indexContains(ix, c.mode, c.values, rows) : undefined;
    }
    case 'is_null': {
      if (c.target.kind !== 'field') return undefined;
      const col = view.column(c.target.field);
      const t = new Uint8Array(rows);
      const hit = c.negated ? 0 : 1;
      if (col.valid !== undefined) {
        for (let i = 0; i < rows; i++) t[i] = (col.valid[i] === 0 ? 1 : 0) === hit ? 1 : 0;
      } else if (!ArrayBuffer.isView(col.values)) {
        // A list column without validity bytes: null is what the list holds.
        const v = col.values as readonly unknown[];
        for (let i = 0; i < rows; i++) t[i] = (v[i] === null || v[i] === undefined ? 1 : 0) === hit ? 1 : 0;
      } else {
        t.fill(c.negated ? 1 : 0);
      }
      return { t, n: null };
    }
    case 'spatial': {
      // With an RTREE, candidates by bounding box and the exact test on them; else row by row.
      const ix = view.rtree(c.target.field);
      return ix !== undefined ? rtreeSpatial(ix, c, view.column(c.target.field), rows) : undefined;
    }
    default: return undefined;
  }
}
