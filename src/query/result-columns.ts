// Results in columns: the output fields of chosen (segment, row) pairs gathered column by
// column, the shape a data node hands the gateway and the gRPC layer puts on the wire
// (FieldData is columnar too). Dense vectors stay flat typed arrays from the segment to
// the wire; rows (plain objects) are made only for callers that want rows: the in-process
// API and REST (`rowsOfColumns`).
//
// Values held by reference (JSON, arrays, sparse vectors, the dynamic field's objects)
// are the stored objects themselves: read-only for whoever holds the columns, copied when
// rows are made (nothing returned to a caller aliases engine memory, engine/README.md).
import { DataType, type FieldSchema, isVector } from '../catalog/types.js';
import { bf16ToF32, f16ToF32 } from '../catalog/half-float.js';
import { formatTimestamptz } from '../catalog/timestamptz.js';
import { valueAt, widthOf } from '../segments/columns.js';
import type { Segment } from '../segments/segment.js';
import type { OutputPlan } from './rows.js';

export type DenseData = Float32Array | Uint8Array | Uint16Array | Int8Array;

export type ResultColumn =
  /** Float, binary, half-precision and int8 vectors: `widthOf(field)` elements per row, as stored (halves as their 16 bits). */
  | { readonly field: FieldSchema; readonly kind: 'dense'; readonly data: DenseData; readonly valid: Uint8Array | undefined }
  /** Everything else, one value per row as `valueAt` reads it (null when unset). */
  | { readonly field: FieldSchema; readonly kind: 'values'; readonly values: readonly unknown[] };

export interface ResultColumns {
  readonly count: number;
  /** The plan's fields, in its order (the primary key first). */
  readonly fields: readonly ResultColumn[];
  /** Keys of the dynamic field to lift into results ('*' = all), with each row's stored object (or null). */
  readonly dynamic: { readonly keys: '*' | readonly string[]; readonly values: ReadonlyArray<Readonly<Record<string, unknown>> | null> } | undefined;
}

const denseTypes: ReadonlySet<DataType> = new Set([DataType.FloatVector, DataType.BinaryVector, DataType.Float16Vector, DataType.BFloat16Vector, DataType.Int8Vector]);

/** The plan's output fields of `picks`, in that order. */
export function gatherColumns(plan: OutputPlan, picks: ReadonlyArray<{ readonly seg: Segment; readonly row: number }>): ResultColumns {
  const n = picks.length;
  const fields = plan.fields.map(({ field, index }): ResultColumn => {
    if (denseTypes.has(field.type)) {
      const w = widthOf(field);
      let data: DenseData | undefined;
      let valid: Uint8Array | undefined;
      picks.forEach(({ seg, row }, i) => {
        const col = seg.column(index);
        const src = col.values as DenseData;
        data ??= new (src.constructor as new (len: number) => DenseData)(n * w);
        if (col.valid && col.valid[row] === 0) {
          (valid ??= new Uint8Array(n).fill(1))[i] = 0;
          return;
        }
        data.set(src.subarray(row * w, (row + 1) * w), i * w);
      });
      return { field, kind: 'dense', data: data ?? emptyDense(field), valid };
    }
    if (field.type === DataType.ArrayOfStruct) return { field, kind: 'values', values: picks.map(({ seg, row }) => structsOut(field, valueAt(field, seg.column(index), row))) };
    return { field, kind: 'values', values: picks.map(({ seg, row }) => valueAt(field, seg.column(index), row)) };
  });
  const dynamic = plan.dynamicIndex >= 0 && (plan.dynamicKeys === '*' || plan.dynamicKeys.length > 0)
    ? { keys: plan.dynamicKeys, values: picks.map(({ seg, row }) => (seg.column(plan.dynamicIndex).values as ReadonlyArray<Record<string, unknown> | null>)[row] ?? null) }
    : undefined;
  return { count: n, fields, dynamic };
}

/**
 * The columns with every Timestamptz value (microseconds, as segments hold it) written as
 * RFC 3339 text in `timezone`, as Milvus's proxy writes them into results. Done once, on
 * the merged result, by the reader that knows the request's timezone.
 */
export function renderTimestamptz(c: ResultColumns, timezone: string): ResultColumns {
  if (!c.fields.some((x) => x.field.type === DataType.Timestamptz)) return c;
  const fields = c.fields.map((col): ResultColumn => {
    if (col.field.type !== DataType.Timestamptz || col.kind !== 'values') return col;
    return { field: col.field, kind: 'values', values: col.values.map((v) => (v === null || v === undefined ? null : formatTimestamptz(BigInt(v as number | string), timezone))) };
  });
  return { ...c, fields };
}

/** Rows `picks` ([part, row]) of several parts' columns (same plan), in that order. */
export function selectColumns(parts: readonly ResultColumns[], picks: ReadonlyArray<readonly [number, number]>): ResultColumns {
  if (parts.length === 1 && picks.length === parts[0]!.count && picks.every(([p, r], i) => p === 0 && r === i)) return parts[0]!;
  const first = parts[0];
  const n = picks.length;
  const fields = (first?.fields ?? []).map((c, f): ResultColumn => {
    if (c.kind === 'dense') {
      const w = widthOf(c.field);
      const data = new (c.data.constructor as new (len: number) => DenseData)(n * w);
      let valid: Uint8Array | undefined;
      picks.forEach(([p, r], i) => {
        const src = parts[p]!.fields[f] as Extract<ResultColumn, { kind: 'dense' }>;
        if (src.valid && src.valid[r] === 0) {
          (valid ??= new Uint8Array(n).fill(1))[i] = 0;
          return;
        }
        data.set(src.data.subarray(r * w, (r + 1) * w), i * w);
      });
      return { field: c.field, kind: 'dense', data, valid };
    }
    return { field: c.field, kind: 'values', values: picks.map(([p, r]) => (parts[p]!.fields[f] as Extract<ResultColumn, { kind: 'values' }>).values[r]) };
  });
  const dynamic = first?.dynamic ? { keys: first.dynamic.keys, values: picks.map(([p, r]) => parts[p]!.dynamic!.values[r]!) } : undefined;
  return { count: n, fields, dynamic };
}

/**
 * An Array of Structs value with the sub-fields the output asked for (planOutput narrows
 * the field's structFields for `chunks[text]`), in the schema's order; new objects, so
 * the stored ones are never handed out.
 */
function structsOut(field: FieldSchema, v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  const names = field.structFields!.map((s) => s.name);
  return v.map((el: Record<string, unknown>) => {
    const o: Record<string, unknown> = {};
    for (const n of names) o[n] = el[n];
    return o;
  });
}

/** One plain object per row: the output fields, then the dynamic keys asked for (values held by reference copied). */
export function rowsOfColumns(c: ResultColumns): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < c.count; i++) {
    const out: Record<string, unknown> = {};
    for (const col of c.fields) out[col.field.name] = valueOf(col, i, true);
    const meta = c.dynamic?.values[i];
    if (meta) {
      if (c.dynamic!.keys === '*') Object.assign(out, structuredClone(meta));
      else for (const k of c.dynamic!.keys) if (k in meta) out[k] = copyOut(meta[k]);
    }
    rows.push(out);
  }
  return rows;
}

/** Row `i` of a column as a result row holds it (vectors as arrays of numbers, halves widened). */
export function valueOf(col: ResultColumn, i: number, copy = false): unknown {
  if (col.kind === 'values') {
    const v = col.values[i];
    return copy && heldByReference.has(col.field.type) ? copyOut(v) : v;
  }
  if (col.valid && col.valid[i] === 0) return null;
  const w = widthOf(col.field);
  const part = col.data.subarray(i * w, (i + 1) * w);
  if (col.field.type === DataType.Float16Vector) return Array.from(part as Uint16Array, f16ToF32);
  if (col.field.type === DataType.BFloat16Vector) return Array.from(part as Uint16Array, bf16ToF32);
  return Array.from(part);
}

/** The column of `field`, if the results have it. */
export function columnOf(c: ResultColumns, name: string): ResultColumn | undefined {
  return c.fields.find((f) => f.field.name === name);
}

function emptyDense(f: FieldSchema): DenseData {
  if (f.type === DataType.FloatVector) return new Float32Array(0);
  if (f.type === DataType.BinaryVector) return new Uint8Array(0);
  if (f.type === DataType.Int8Vector) return new Int8Array(0);
  if (isVector(f.type)) return new Uint16Array(0);
  return new Float32Array(0);
}

const heldByReference: ReadonlySet<DataType> = new Set([DataType.JSON, DataType.Array, DataType.SparseFloatVector, DataType.ArrayOfStruct]);

function copyOut(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? structuredClone(v) : v;
}
