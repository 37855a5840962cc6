// What the executor reads from a segment: its row count, the column of a field (fetched
// once per evaluation, not once per row), and a row's dynamic fields. Columns are found
// by the collection schema's field order, as filter.ts always found them.
import type { CollectionSchema, FieldSchema, IndexMeta } from '../../catalog/types.js';
import type { Column } from '../../segments/columns.js';
import { valueAt } from '../../segments/columns.js';
import type { Segment } from '../../segments/segment.js';
import { rtreeOf, type RTreeIndex } from './rtree.js';
import { indexSelectivityMax, jsonIndexOf, scalarIndexOf, type JsonIndex, type ScalarIndex } from './scalar-index.js';

export interface SegmentView {
  readonly rows: number;
  column(field: FieldSchema): Column;
  /** The `$meta` object of a row, or null when the collection has no dynamic field. */
  meta(row: number): Record<string, unknown> | null;
  /** A field's value in a row as the reference evaluator reads it (valueAt). */
  value(field: FieldSchema, row: number): unknown;
  /** The field's scalar index in this segment (sealed segments with an index spec only). */
  index(field: FieldSchema): ScalarIndex | undefined;
  /**
   * The index of a JSON field (null: the dynamic field, as a JsonRef names it) at exactly
   * `path` (INVERTED with json_path / json_cast_type), sealed segments only.
   */
  jsonIndex(field: FieldSchema | null, path: readonly (string | number)[]): JsonIndex | undefined;
  /** The field's R-tree in this segment (sealed segments with an RTREE spec only). */
  rtree(field: FieldSchema): RTreeIndex | undefined;
  /** The planner's threshold for this evaluation (scalar-index.ts indexSelectivityMax). */
  readonly indexSelectivityMax: number;
}

/** Knobs of one evaluation; tests force the planner's choice with them. */
export interface ExecOptions {
  /** Overrides indexSelectivityMax: 0 always scans, 1 always uses an index that can answer. */
  readonly indexSelectivityMax?: number;
}

export function segmentView(schema: CollectionSchema, seg: Segment, indexes?: readonly IndexMeta[], options?: ExecOptions): SegmentView {
  const index = new Map(schema.fields.map((f, i) => [f.fieldId, i]));
  const dynamic = schema.fields.findIndex((f) => f.isDynamic);
  const cache = new Map<number, Column>();
  const column = (f: FieldSchema): Column => {
    let c = cache.get(f.fieldId);
    if (c === undefined) {
      c = seg.column(index.get(f.fieldId)!);
      cache.set(f.fieldId, c);
    }
    return c;
  };
  const metaCol = dynamic >= 0 ? column(schema.fields[dynamic]!) : undefined;
  return {
    rows: seg.rowCount,
    column,
    meta: (row) => (metaCol === undefined ? null : ((metaCol.values as readonly unknown[])[row] as Record<string, unknown> | null)),
    value: (f, row) => valueAt(f, column(f), row),
    indexSelectivityMax: options?.indexSelectivityMax ?? indexSelectivityMax,
    rtree: (f) => (indexes === undefined || indexes.length === 0 ? undefined : rtreeOf(seg, f, column(f), seg.rowCount, indexes)),
    index: (f) => (indexes === undefined || indexes.length === 0 ? undefined : scalarIndexOf(seg, f, column(f), seg.rowCount, indexes)),
    jsonIndex: (f, path) => {
      const on = f ?? (dynamic >= 0 ? schema.fields[dynamic]! : undefined);
      return indexes === undefined || indexes.length === 0 || on === undefined ? undefined : jsonIndexOf(seg, on, column(on), path, seg.rowCount, indexes);
    },
  };
}
