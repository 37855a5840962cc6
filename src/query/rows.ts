// Output plans of results (which fields a query or search returns, from output_fields)
// and the result-size budget: estimated bytes of the rows a result would hold.
import { fail } from '../errors/index.js';
import { type CollectionSchema, DataType, type FieldSchema, isVector } from '../catalog/types.js';
import { estimateBytes, widthOf } from '../segments/columns.js';
import type { Segment } from '../segments/segment.js';

export interface OutputPlan {
  readonly fields: ReadonlyArray<{ field: FieldSchema; index: number }>;
  /** Dynamic keys to lift out of `$meta`; '*' = all of them. */
  readonly dynamicKeys: readonly string[] | '*';
  readonly dynamicIndex: number;
}

/**
 * Resolves output_fields: schema fields by name, '*' for every field, other names as
 * dynamic keys when the collection has the dynamic field. The primary key is always
 * returned.
 */
export function planOutput(schema: CollectionSchema, collection: string, requested: readonly string[] | undefined, opts: { includeVectorsByDefault?: boolean } = {}): OutputPlan {
  // A string would otherwise be iterated character by character.
  if (requested !== undefined && !Array.isArray(requested)) fail('INVALID_ARGUMENT', { detail: 'output_fields must be an array of strings' });
  const byName = new Map(schema.fields.map((f, index) => [f.name, { field: f, index }]));
  const dynamicIndex = schema.fields.findIndex((f) => f.isDynamic);
  const chosen = new Map<string, { field: FieldSchema; index: number }>();
  const pk = schema.fields.findIndex((f) => f.isPrimary);
  chosen.set(schema.fields[pk]!.name, { field: schema.fields[pk]!, index: pk });
  let dynamicKeys: string[] | '*' = [];
  for (const name of requested ?? []) {
    if (typeof name !== 'string') fail('INVALID_ARGUMENT', { detail: 'output_fields must be strings' });
    if (name === '*') {
      for (const [n, e] of byName) if (!e.field.isDynamic && (opts.includeVectorsByDefault !== false || !isVector(e.field.type))) chosen.set(n, e);
      if (dynamicIndex >= 0) dynamicKeys = '*';
      continue;
    }
    const e = byName.get(name) ?? structOutput(schema, byName, chosen, name, collection);
    if (e && e.field.isDynamic) dynamicKeys = '*';
    else if (e) chosen.set(e.field.name, e);
    else if (dynamicIndex >= 0) {
      if (dynamicKeys !== '*') dynamicKeys.push(name);
    } else fail('FIELD_NOT_FOUND', { field: name, collection });
  }
  return { fields: [...chosen.values()], dynamicKeys, dynamicIndex };
}

/**
 * `chunks[text]`, as Milvus 2.6 names a struct's sub-field in output_fields: the Array of
 * Structs field with only the sub-fields asked for (several names add up; the whole
 * field, asked for too, wins). Undefined when the name is no such path.
 */
function structOutput(schema: CollectionSchema, byName: ReadonlyMap<string, { field: FieldSchema; index: number }>, chosen: ReadonlyMap<string, { field: FieldSchema; index: number }>, name: string, collection: string): { field: FieldSchema; index: number } | undefined {
  const m = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name);
  const e = m ? byName.get(m[1]!) : undefined;
  if (!m || !e || e.field.type !== DataType.ArrayOfStruct) return undefined;
  const full = schema.fields[e.index]!;
  if (!full.structFields!.some((s) => s.name === m[2])) fail('FIELD_NOT_FOUND', { field: name, collection });
  const prev = chosen.get(full.name)?.field.structFields ?? [];
  const names = new Set([...prev.map((s) => s.name), m[2]!]);
  return { field: { ...full, structFields: full.structFields!.filter((s) => names.has(s.name)) }, index: e.index };
}

/**
 * Estimated bytes of each row a result would hold, checked against `max` before any row
 * is assembled: a query for 16,384 rows of 64 KB strings, or of 32,768-d vectors, is
 * refused with RESULT_TOO_LARGE instead of growing the process until it runs out of
 * memory. Typed values count their stored width; strings, JSON and arrays their text.
 * Each row also counts `perRowExtra` (a hit's key and score). The sizes are returned so
 * that a merge of partial results can hold the merged rows to the same budget.
 */
export function resultBytes(plan: OutputPlan, rows: ReadonlyArray<{ seg: Segment; row: number }>, max: number, perRowExtra = 0): number[] {
  const sizes: number[] = [];
  let total = 0;
  for (const { seg, row } of rows) {
    const b = rowBytes(plan, seg, row);
    sizes.push(b);
    total += perRowExtra + b;
    if (total > max) budgetExceeded(total, max);
  }
  return sizes;
}

/** The same budget over rows whose sizes are known (merged partial results). */
export function checkBudget(sizes: Iterable<number>, perRowExtra: number, max: number): void {
  let total = 0;
  for (const b of sizes) {
    total += perRowExtra + b;
    if (total > max) budgetExceeded(total, max);
  }
}

function budgetExceeded(bytes: number, max: number): never {
  return fail('RESULT_TOO_LARGE', { bytes: `more than ${bytes}`, max });
}

/** Estimated bytes of one result row's output fields. */
export function rowBytes(plan: OutputPlan, seg: Segment, row: number): number {
  let bytes = 0;
  for (const { field, index } of plan.fields) bytes += valueBytes(seg, index, field, row);
  if (plan.dynamicIndex >= 0 && (plan.dynamicKeys === '*' || plan.dynamicKeys.length > 0)) bytes += valueBytes(seg, plan.dynamicIndex, seg.field(plan.dynamicIndex), row);
  return bytes;
}

function valueBytes(seg: Segment, index: number, field: FieldSchema, row: number): number {
  const col = seg.column(index);
  if (ArrayBuffer.isView(col.values)) {
    const t = col.values as unknown as { BYTES_PER_ELEMENT: number };
    return widthOf(field) * t.BYTES_PER_ELEMENT;
  }
  return estimateBytes((col.values as readonly unknown[])[row]);
}
