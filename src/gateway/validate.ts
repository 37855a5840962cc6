// Validates a batch of rows against a collection's schema and turns it into columns.
// The whole batch is checked before anything is stored: the first problem rejects it
// with a coded error naming the field and row, and nothing of it reaches the log.
import { assert, fail } from '../errors/index.js';
import {
  type CollectionMeta, DataType, type FieldSchema, dataTypeName, int64Of, isVector, scalarProblem,
} from '../catalog/index.js';
import { type Column, type TypedValues, typedCtorOf, widthOf } from '../segments/columns.js';
import { defaultTimezone, f32ToBf16, f32ToF16, parseTimestamptz, parseWkt } from '../catalog/index.js';

import type { PkKey } from "../segments/pk.js";
export type { PkKey };

export interface ValidatedBatch {
  readonly count: number;
  /** Every schema field's column, in schema order (the primary key's included). */
  readonly columns: readonly Column[];
  /** Primary keys as map keys: Int64 as a number when safe, else its decimal string. */
  readonly pks: readonly PkKey[];
}

/**
 * A partial upsert's batch (`partial: true`): the columns hold the values the rows gave;
 * `given[c]` marks, per row, whether field c was given (1) or left out (0; its column
 * holds a placeholder there), undefined where every row gave it. The dynamic field's
 * column holds only the keys each row gave. engine/partial-upsert.ts fills the gaps.
 */
export interface PartialBatch extends ValidatedBatch {
  readonly given: ReadonlyArray<Uint8Array | undefined>;
}

export const batchRowsMax = 100_000;

type Row = Record<string, unknown>;

/**
 * A batch given column by column, as the gRPC layer decodes it: each field's values by
 * name, `null` where a row has none. A FloatVector column may come as one flat
 * Float32Array (`floats`, row after row), which is checked and kept as it is: the values
 * go from the wire to the segment without a row object in between.
 */
export interface ColumnBatch {
  readonly count: number;
  readonly columns: ReadonlyMap<string, InputColumn>;
}
/** `owned`: the array was made for this batch (no caller holds it), so it is stored without a copy. */
export type InputColumn = { readonly values: ArrayLike<unknown> } | { readonly floats: Float32Array; readonly owned?: boolean };

interface ValidateOptions {
  /** Supplies primary keys for auto-id collections (called once with the count, only after every row passed validation). */
  autoIds?: (n: number) => bigint[];
  upsert?: boolean;
  /**
   * A partial upsert: a field a row leaves out is not filled with its default (nor
   * refused as missing) but marked as not given; the primary key is still required.
   */
  partial?: boolean;
  /** Places Timestamptz text written without an offset (engine: the collection's timezone); UTC when absent. */
  timezone?: string;
}

export function validateRows(coll: CollectionMeta, rows: unknown, opts: ValidateOptions = {}): PartialBatch {
  if (!Array.isArray(rows)) fail('INVALID_ARGUMENT', { detail: 'data must be an array of rows' });
  if (rows.length === 0) fail('INVALID_ARGUMENT', { detail: 'data is empty' });
  if (rows.length > batchRowsMax) fail('BATCH_TOO_LARGE', { size: rows.length, max: batchRowsMax, unit: 'rows' });
  const schema = coll.schema;
  const known = new Set(schema.fields.map((f) => f.name));
  const dynamic = schema.fields.find((f) => f.isDynamic);
  const pkField = schema.fields.find((f) => f.isPrimary)!;
  const generatePk = pkField.autoId && !opts.upsert;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (typeof row !== 'object' || row === null || Array.isArray(row)) fail('WRONG_TYPE', { field: '(row)', row: r, expected: 'an object', got: describe(row) });
    for (const k of Object.keys(row)) {
      if (!known.has(k) && !dynamic) fail('UNKNOWN_FIELD', { field: k, row: r });
      if (k === pkField.name && generatePk) fail('AUTO_ID_GIVEN', { field: k });
    }
  }
  const typedRows = rows as Row[];
  return assemble(coll, typedRows.length, {
    valueOf: (f) => (r) => typedRows[r]![f.name],
    dynamicOf: (f) => (r) => {
      const extra: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(typedRows[r]!)) {
        if (k === f.name && typeof v === 'object' && v !== null && !Array.isArray(v)) Object.assign(extra, v);
        else if (!known.has(k)) extra[k] = v;
      }
      return extra;
    },
  }, opts);
}

/**
 * The same checks as validateRows, over columns: a column whose name is no field goes
 * into the dynamic field as a key (or is UNKNOWN_FIELD without one), the dynamic field's
 * own column holds one object (or null) per row.
 */
export function validateColumns(coll: CollectionMeta, batch: ColumnBatch, opts: ValidateOptions = {}): PartialBatch {
  const count = batch.count;
  if (!Number.isSafeInteger(count) || count <= 0) fail('INVALID_ARGUMENT', { detail: 'data is empty' });
  if (count > batchRowsMax) fail('BATCH_TOO_LARGE', { size: count, max: batchRowsMax, unit: 'rows' });
  const schema = coll.schema;
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const dynamic = schema.fields.find((f) => f.isDynamic);
  const pkField = schema.fields.find((f) => f.isPrimary)!;
  const generatePk = pkField.autoId && !opts.upsert;
  const extraKeys: Array<[string, ArrayLike<unknown>]> = [];
  for (const [name, col] of batch.columns) {
    const f = byName.get(name);
    const length = 'floats' in col ? (f?.dim ? col.floats.length / f.dim : NaN) : col.values.length;
    if (length !== count) fail('INVALID_ARGUMENT', { detail: `field "${name}" has ${'floats' in col ? `${col.floats.length} floats` : `${length} values`} for ${count} rows` });
    if (!f) {
      if (!dynamic) fail('UNKNOWN_FIELD', { field: name, row: 0 });
      if ('floats' in col) fail('UNKNOWN_FIELD', { field: name, row: 0 });
      extraKeys.push([name, col.values]);
    } else if (f.isPrimary && generatePk) {
      fail('AUTO_ID_GIVEN', { field: name });
    } else if ('floats' in col && f.type !== DataType.FloatVector) {
      fail('WRONG_TYPE', { field: name, row: 0, expected: dataTypeName(f.type), got: 'float vectors' });
    }
  }
  return assemble(coll, count, {
    valueOf: (f) => {
      const col = batch.columns.get(f.name);
      if (col === undefined) return () => undefined;
      if ('floats' in col) return (r) => col.floats.subarray(r * f.dim!, (r + 1) * f.dim!);
      return (r) => col.values[r];
    },
    floatsOf: (f) => {
      const col = batch.columns.get(f.name);
      return col && 'floats' in col ? col : undefined;
    },
    dynamicOf: (f) => {
      const own = batch.columns.get(f.name);
      const values = own && !('floats' in own) ? own.values : undefined;
      return (r) => {
        const extra: Record<string, unknown> = {};
        const v = values?.[r];
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) Object.assign(extra, v);
        else if (v !== undefined && v !== null) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'a JSON object', got: describe(v) });
        for (const [k, vs] of extraKeys) if (vs[r] !== undefined && vs[r] !== null) extra[k] = vs[r];
        return extra;
      };
    },
  }, opts);
}

/** Where each field's values of a batch come from (rows or columns). */
interface BatchSource {
  valueOf(f: FieldSchema): (r: number) => unknown;
  /** A FloatVector column given flat, or undefined. */
  floatsOf?(f: FieldSchema): { readonly floats: Float32Array; readonly owned?: boolean } | undefined;
  dynamicOf(f: FieldSchema): (r: number) => Record<string, unknown>;
}

function assemble(coll: CollectionMeta, count: number, source: BatchSource, opts: ValidateOptions): PartialBatch {
  const schema = coll.schema;
  const pkField = schema.fields.find((f) => f.isPrimary)!;
  const generatePk = pkField.autoId && !opts.upsert;
  const columns: Column[] = [];
  const given: Array<Uint8Array | undefined> = [];
  for (const f of schema.fields) {
    // In a partial upsert every field but the key may be left out, row by row.
    const mask = opts.partial && !f.isPrimary && !f.isDynamic ? new Uint8Array(count).fill(1) : undefined;
    if (f.isDynamic) {
      columns.push(dynamicColumn(f, count, source.dynamicOf(f)));
    } else if (f.isPrimary && generatePk) {
      columns.push({ fieldId: f.fieldId, values: f.type === DataType.Int64 ? new BigInt64Array(count) : new Array<string>(count) });
    } else {
      const floats = source.floatsOf?.(f);
      columns.push(floats ? floatColumn(f, count, floats) : buildColumn(f, count, source.valueOf(f), mask, opts.timezone ?? defaultTimezone));
    }
    given.push(mask && mask.includes(0) ? mask : undefined);
  }
  const pkIndex = schema.fields.indexOf(pkField);
  if (generatePk) {
    const ids = opts.autoIds!(count);
    const col = columns[pkIndex]!;
    if (pkField.type === DataType.Int64) (col.values as BigInt64Array).set(ids);
    else for (let i = 0; i < count; i++) (col.values as string[])[i] = ids[i]!.toString();
  }
  const pks = pkKeys(pkField, columns[pkIndex]!, count);
  // What the write path relies on: one column per schema field, each `count` rows long.
  assert(columns.length === schema.fields.length && pks.length === count, 'a validated batch has every field and a key per row');
  for (const [i, c] of columns.entries()) assert(c.values.length === count * (typedCtorOf(schema.fields[i]!.type) ? widthOf(schema.fields[i]!) : 1), `column ${schema.fields[i]!.name} holds ${count} rows`);
  // An insert may repeat a key, as Milvus accepts it: the rows apply in order, so the
  // last row of a key is the one kept (segments/shard.ts). An upsert may not: Milvus 2.6
  // refuses it (its task_upsert.go), and so does Elanus.
  if (opts.upsert) {
    const first = new Map<PkKey, number>();
    for (let i = 0; i < count; i++) {
      const prev = first.get(pks[i]!);
      if (prev !== undefined) fail('DUPLICATE_PRIMARY_KEY', { pk: String(pks[i]), first: prev, second: i });
      first.set(pks[i]!, i);
    }
  }
  return { count, columns, pks, given };
}

/** A FloatVector column given flat: every value checked finite, then kept (copied unless the batch owns it). */
function floatColumn(f: FieldSchema, count: number, { floats, owned }: { readonly floats: Float32Array; readonly owned?: boolean }): Column {
  const w = widthOf(f);
  if (floats.length !== count * w) fail('WRONG_DIMENSION', { field: f.name, row: 0, expected: w, got: floats.length / count });
  for (let i = 0; i < floats.length; i++) {
    if (!Number.isFinite(floats[i]!)) fail('VALUE_NOT_FINITE', { field: f.name, row: Math.floor(i / w), position: i % w });
  }
  return { fieldId: f.fieldId, values: owned ? floats : floats.slice(), valid: f.nullable ? new Uint8Array(count).fill(1) : undefined };
}

export function pkKeys(pkField: FieldSchema, col: Column, count: number): PkKey[] {
  const out = new Array<PkKey>(count);
  if (pkField.type === DataType.Int64) {
    const v = col.values as BigInt64Array;
    for (let i = 0; i < count; i++) out[i] = pkKeyOfBigint(v[i]!);
  } else {
    const v = col.values as readonly string[];
    for (let i = 0; i < count; i++) out[i] = v[i]!;
  }
  return out;
}

export function pkKeyOfBigint(b: bigint): PkKey {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b.toString();
}

/** Normalizes a user-given primary key (for delete, get and search by keys); `at` is its place in the request's list. */
export function pkKeyOf(pkField: FieldSchema, v: unknown, at = 0): PkKey {
  if (pkField.type === DataType.Int64) {
    const b = int64Of(v);
    if (b === undefined) fail('WRONG_TYPE', { field: pkField.name, row: at, expected: 'Int64', got: describe(v) });
    return pkKeyOfBigint(b);
  }
  if (typeof v !== 'string') fail('WRONG_TYPE', { field: pkField.name, row: at, expected: 'VarChar', got: describe(v) });
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function dynamicColumn(f: FieldSchema, count: number, extraOf: (r: number) => Record<string, unknown>): Column {
  const values = new Array<Record<string, unknown>>(count);
  // Keep checkJson's parsed copy, not the caller's objects: a caller that changes its
  // row objects after the insert must not change what is stored.
  for (let r = 0; r < count; r++) values[r] = checkJson(f, extraOf(r), r) as Record<string, unknown>;
  return { fieldId: f.fieldId, values };
}

/** `given`, for a partial upsert: a value left out (undefined) is marked 0 there and left as a placeholder. */
function buildColumn(f: FieldSchema, n: number, valueOf: (r: number) => unknown, given: Uint8Array | undefined, timezone: string): Column {
  const width = widthOf(f);
  const ctor = typedCtorOf(f.type);
  const typed = ctor ? new ctor(n * width) : undefined;
  const list = ctor ? undefined : new Array<unknown>(n);
  const valid = f.nullable ? new Uint8Array(n) : undefined;
  for (let r = 0; r < n; r++) {
    let v = valueOf(r);
    if (v === undefined && given) {
      given[r] = 0;
      if (list) list[r] = null;
      continue;
    }
    if (v === undefined || v === null) {
      if (f.defaultValue !== undefined && f.type === DataType.Timestamptz) {
        // The default is held as its microseconds already (catalog/schema.ts).
        if (valid) valid[r] = 1;
        (typed as BigInt64Array)[r] = BigInt(f.defaultValue as string);
        continue;
      }
      if (f.defaultValue !== undefined) v = f.defaultValue;
      else if (f.nullable) {
        if (list) list[r] = null;
        continue; // valid[r] stays 0
      } else if (v === null) fail('NULL_NOT_ALLOWED', { field: f.name, row: r });
      else fail('MISSING_FIELD', { field: f.name, row: r });
    }
    if (valid) valid[r] = 1;
    if (isVector(f.type)) {
      if (f.type === DataType.SparseFloatVector) list![r] = sparseOf(f, v, r);
      else writeVector(f, v, r, typed!);
    } else if (f.type === DataType.Timestamptz) {
      (typed as BigInt64Array)[r] = timestamptzOf(f, v, r, timezone);
    } else if (typed) {
      writeScalar(f, v, r, typed);
    } else if (f.type === DataType.VarChar) {
      if (typeof v !== 'string') fail('WRONG_TYPE', { field: f.name, row: r, expected: 'VarChar', got: describe(v) });
      if (v.length > f.maxLength!) fail('STRING_TOO_LONG', { field: f.name, row: r, length: v.length, max: f.maxLength! });
      list![r] = v;
    } else if (f.type === DataType.Geometry) {
      list![r] = geometryValue(f, v, r);
    } else if (f.type === DataType.JSON) {
      list![r] = checkJson(f, v, r);
    } else if (f.type === DataType.Array) {
      list![r] = arrayOf(f, v, r);
    } else if (f.type === DataType.ArrayOfStruct) {
      list![r] = structArrayOf(f, v, r);
    }
  }
  return { fieldId: f.fieldId, values: (typed ?? list)!, valid };
}

/** A Geometry value: WKT text, stored as its normal text (catalog/geometry.ts). */
function geometryValue(f: FieldSchema, v: unknown, r: number): string {
  if (typeof v !== 'string') fail('WRONG_TYPE', { field: f.name, row: r, expected: 'Geometry (WKT text)', got: describe(v) });
  const p = parseWkt(v);
  if ('problem' in p) fail('INVALID_GEOMETRY', { field: f.name, row: r, value: JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v), problem: p.problem });
  return p.wkt;
}

/**
 * A Timestamptz value: ISO 8601 text (the SDKs send text, also for Milvus), placed by
 * `timezone` when it names no offset; stored as microseconds since the epoch.
 */
function timestamptzOf(f: FieldSchema, v: unknown, r: number, timezone: string): bigint {
  if (typeof v !== 'string') fail('WRONG_TYPE', { field: f.name, row: r, expected: 'Timestamptz (an ISO 8601 string such as "2025-01-01T08:00:00+08:00")', got: describe(v) });
  const us = parseTimestamptz(v, timezone);
  if (typeof us === 'string') fail('INVALID_TIMESTAMP', { field: f.name, row: r, value: JSON.stringify(v.length > 64 ? v.slice(0, 64) + '…' : v), reason: us });
  return us;
}

function writeScalar(f: FieldSchema, v: unknown, r: number, out: TypedValues): void {
  if (f.type === DataType.Int64) {
    const b = int64Of(v);
    if (b === undefined) {
      if (typeof v === 'number' && Number.isInteger(v)) fail('VALUE_OUT_OF_RANGE', { field: f.name, row: r, value: v, type: 'Int64 (pass integers beyond 2^53 as strings or bigint)' });
      fail('WRONG_TYPE', { field: f.name, row: r, expected: 'Int64', got: describe(v) });
    }
    (out as BigInt64Array)[r] = b;
    return;
  }
  if (f.type === DataType.Bool) {
    if (typeof v !== 'boolean') fail('WRONG_TYPE', { field: f.name, row: r, expected: 'Bool', got: describe(v) });
    (out as Uint8Array)[r] = v ? 1 : 0;
    return;
  }
  const problem = scalarProblem(f, v);
  if (problem) {
    if (typeof v === 'number' && problem.startsWith('is out of range')) fail('VALUE_OUT_OF_RANGE', { field: f.name, row: r, value: v, type: dataTypeName(f.type) });
    fail('WRONG_TYPE', { field: f.name, row: r, expected: dataTypeName(f.type), got: describe(v) });
  }
  (out as Float64Array)[r] = v as number;
}

function writeVector(f: FieldSchema, v: unknown, r: number, out: TypedValues): void {
  const w = widthOf(f);
  if (f.type === DataType.BinaryVector) {
    const bytes = v instanceof Uint8Array ? v : Array.isArray(v) ? v : fail('WRONG_TYPE', { field: f.name, row: r, expected: `BinaryVector (${w} bytes)`, got: describe(v) });
    if (bytes.length !== w) fail('WRONG_DIMENSION', { field: f.name, row: r, expected: f.dim!, got: bytes.length * 8 });
    for (let i = 0; i < w; i++) {
      const b = bytes[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'bytes 0..255', got: describe(b) });
      (out as Uint8Array)[r * w + i] = b;
    }
    return;
  }
  if (f.type === DataType.Int8Vector) {
    writeInt8Vector(f, v, r, out as Int8Array);
    return;
  }
  // Float16/BFloat16 also accept their raw little-endian bytes (2 per value).
  if ((f.type === DataType.Float16Vector || f.type === DataType.BFloat16Vector) && v instanceof Uint8Array) {
    if (v.length !== 2 * w) fail('WRONG_DIMENSION', { field: f.name, row: r, expected: w, got: v.length / 2 });
    for (let i = 0; i < w; i++) (out as Uint16Array)[r * w + i] = v[2 * i]! | (v[2 * i + 1]! << 8);
    return;
  }
  const arr = Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array ? v : fail('WRONG_TYPE', { field: f.name, row: r, expected: `${dataTypeName(f.type)} (${w} numbers)`, got: describe(v) });
  if (arr.length !== w) fail('WRONG_DIMENSION', { field: f.name, row: r, expected: w, got: arr.length });
  const conv = f.type === DataType.Float16Vector ? f32ToF16 : f.type === DataType.BFloat16Vector ? f32ToBf16 : undefined;
  for (let i = 0; i < w; i++) {
    const x = arr[i];
    if (typeof x !== 'number') fail('WRONG_TYPE', { field: f.name, row: r, expected: 'numbers', got: describe(x) });
    if (!Number.isFinite(x)) fail('VALUE_NOT_FINITE', { field: f.name, row: r, position: i });
    (out as Float32Array)[r * w + i] = conv ? conv(x) : x;
  }
  if (conv) {
    // A finite float32 can overflow half precision; that is a value the field cannot hold.
    for (let i = 0; i < w; i++) if (((out as Uint16Array)[r * w + i]! & 0x7c00) === 0x7c00 && f.type === DataType.Float16Vector) fail('VALUE_OUT_OF_RANGE', { field: f.name, row: r, value: arr[i] as number, type: 'Float16' });
  } else if (f.type === DataType.FloatVector) {
    for (let i = 0; i < w; i++) if (!Number.isFinite((out as Float32Array)[r * w + i]!)) fail('VALUE_OUT_OF_RANGE', { field: f.name, row: r, value: arr[i] as number, type: 'Float32' });
  }
}

/**
 * An Int8Vector row: an Int8Array (as the gRPC wire's bytes decode), or dim numbers, each
 * an integer in [-128, 127]. Nothing is rounded or wrapped: 1.5 or 200 is refused, not
 * stored as something else.
 */
function writeInt8Vector(f: FieldSchema, v: unknown, r: number, out: Int8Array): void {
  const w = f.dim!;
  if (v instanceof Int8Array) {
    if (v.length !== w) fail('WRONG_DIMENSION', { field: f.name, row: r, expected: w, got: v.length });
    out.set(v, r * w);
    return;
  }
  const arr = Array.isArray(v) ? v : fail('WRONG_TYPE', { field: f.name, row: r, expected: `Int8Vector (${w} integers in [-128, 127])`, got: describe(v) });
  if (arr.length !== w) fail('WRONG_DIMENSION', { field: f.name, row: r, expected: w, got: arr.length });
  for (let i = 0; i < w; i++) {
    const x: unknown = arr[i];
    if (typeof x !== 'number' || !Number.isInteger(x)) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'integers in [-128, 127]', got: describe(x) });
    if (x < -128 || x > 127) fail('VALUE_OUT_OF_RANGE', { field: f.name, row: r, value: x, type: 'Int8Vector (-128 to 127)' });
    out[r * w + i] = x;
  }
}

export interface SparseRow {
  readonly indices: readonly number[];
  readonly values: readonly number[];
}

export const sparseIndexMax = 2 ** 32 - 2;

/** Accepts `{index: value}`, `[{index, value}]` or `{indices, values}`; returns sorted indices. */
function sparseOf(f: FieldSchema, v: unknown, r: number): SparseRow {
  let pairs: Array<[number, unknown]>;
  if (Array.isArray(v)) {
    pairs = v.map((e) => (typeof e === 'object' && e !== null ? [Number((e as { index: unknown }).index), (e as { value: unknown }).value] : [NaN, e]));
  } else if (typeof v === 'object' && v !== null && 'indices' in v && 'values' in v) {
    const { indices, values } = v as { indices: unknown[]; values: unknown[] };
    if (!Array.isArray(indices) || !Array.isArray(values) || indices.length !== values.length) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'indices and values of equal length', got: 'mismatched arrays' });
    pairs = indices.map((i, k) => [Number(i), values[k]]);
  } else if (typeof v === 'object' && v !== null) {
    pairs = Object.entries(v).map(([k, x]) => [Number(k), x]);
  } else {
    fail('WRONG_TYPE', { field: f.name, row: r, expected: 'SparseFloatVector', got: describe(v) });
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const indices: number[] = [];
  const values: number[] = [];
  for (const [i, x] of pairs) {
    if (!Number.isInteger(i) || i < 0 || i > sparseIndexMax) fail('WRONG_TYPE', { field: f.name, row: r, expected: `sparse indices in [0, ${sparseIndexMax}]`, got: String(i) });
    if (indices.length && indices[indices.length - 1] === i) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'distinct sparse indices', got: `index ${i} twice` });
    if (typeof x !== 'number') fail('WRONG_TYPE', { field: f.name, row: r, expected: 'numbers', got: describe(x) });
    if (!Number.isFinite(x)) fail('VALUE_NOT_FINITE', { field: f.name, row: r, position: i });
    indices.push(i);
    values.push(x);
  }
  return { indices, values };
}

export const jsonBytesMax = 65536;

export function checkJson(f: FieldSchema, v: unknown, r: number): unknown {
  let text: string;
  try {
    text = JSON.stringify(v);
  } catch {
    fail('WRONG_TYPE', { field: f.name, row: r, expected: 'a JSON value', got: 'a value JSON cannot encode' });
  }
  if (text === undefined) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'a JSON value', got: describe(v) });
  if (text.length > jsonBytesMax) fail('STRING_TOO_LONG', { field: f.name, row: r, length: text.length, max: jsonBytesMax });
  // Stored as parsed from its own text, so the engine never holds a caller's object.
  return JSON.parse(text);
}

/**
 * An Array of Structs row: an array of at most max_capacity objects, each with every
 * sub-field and no other key. Values are stored as the field types hold them, so a read
 * returns what Milvus would: Float and FloatVector values rounded to float32, Int64 as a
 * number when safe, else its decimal string (a bigint could not be written to the log).
 * Errors name the sub-field as Milvus's paths do: `chunks[text_vector]`.
 */
function structArrayOf(f: FieldSchema, v: unknown, r: number): Array<Record<string, unknown>> {
  if (!Array.isArray(v)) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'an Array of Structs (an array of objects)', got: describe(v) });
  if (v.length > f.maxCapacity!) fail('ARRAY_TOO_LONG', { field: f.name, row: r, length: v.length, max: f.maxCapacity! });
  const subs = f.structFields!;
  return v.map((el) => {
    if (typeof el !== 'object' || el === null || Array.isArray(el)) fail('WRONG_TYPE', { field: f.name, row: r, expected: `structs with fields ${subs.map((s) => s.name).join(', ')}`, got: describe(el) });
    const given = el as Record<string, unknown>;
    for (const k of Object.keys(given)) {
      if (!subs.some((s) => s.name === k)) fail('WRONG_TYPE', { field: `${f.name}[${k}]`, row: r, expected: `structs with fields ${subs.map((s) => s.name).join(', ')}`, got: `a struct with field "${k}"` });
    }
    const out: Record<string, unknown> = {};
    for (const s of subs) {
      const path: FieldSchema = { ...s, name: `${f.name}[${s.name}]` };
      const x = given[s.name];
      if (x === undefined) fail('MISSING_FIELD', { field: path.name, row: r });
      if (x === null) fail('NULL_NOT_ALLOWED', { field: path.name, row: r });
      out[s.name] = structValue(path, x, r);
    }
    return out;
  });
}

function structValue(f: FieldSchema, x: unknown, r: number): unknown {
  if (f.type === DataType.FloatVector) {
    const w = f.dim!;
    const arr = Array.isArray(x) || x instanceof Float32Array || x instanceof Float64Array ? x : fail('WRONG_TYPE', { field: f.name, row: r, expected: `FloatVector (${w} numbers)`, got: describe(x) });
    if (arr.length !== w) fail('WRONG_DIMENSION', { field: f.name, row: r, expected: w, got: arr.length });
    const out = new Array<number>(w);
    for (let i = 0; i < w; i++) {
      const n: unknown = arr[i];
      if (typeof n !== 'number') fail('WRONG_TYPE', { field: f.name, row: r, expected: 'numbers', got: describe(n) });
      if (!Number.isFinite(n)) fail('VALUE_NOT_FINITE', { field: f.name, row: r, position: i });
      out[i] = Math.fround(n);
      if (!Number.isFinite(out[i]!)) fail('VALUE_OUT_OF_RANGE', { field: f.name, row: r, value: n, type: 'Float32' });
    }
    return out;
  }
  if (f.type === DataType.Int64) {
    const b = int64Of(x);
    if (b === undefined) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'Int64', got: describe(x) });
    return pkKeyOfBigint(b);
  }
  const problem = scalarProblem(f, x);
  if (problem) {
    if (f.type === DataType.VarChar && typeof x === 'string') fail('STRING_TOO_LONG', { field: f.name, row: r, length: x.length, max: f.maxLength! });
    if (typeof x === 'number' && problem.startsWith('is out of range')) fail('VALUE_OUT_OF_RANGE', { field: f.name, row: r, value: x, type: dataTypeName(f.type) });
    fail('WRONG_TYPE', { field: f.name, row: r, expected: dataTypeName(f.type), got: describe(x) });
  }
  return f.type === DataType.Float ? Math.fround(x as number) : x;
}

function arrayOf(f: FieldSchema, v: unknown, r: number): unknown[] {
  if (!Array.isArray(v)) fail('WRONG_TYPE', { field: f.name, row: r, expected: `Array of ${dataTypeName(f.elementType!)}`, got: describe(v) });
  if (v.length > f.maxCapacity!) fail('ARRAY_TOO_LONG', { field: f.name, row: r, length: v.length, max: f.maxCapacity! });
  const el: FieldSchema = { ...f, type: f.elementType!, nullable: false };
  return v.map((x) => {
    if (el.type === DataType.Int64) {
      const b = int64Of(x);
      if (b === undefined) fail('WRONG_TYPE', { field: f.name, row: r, expected: 'Int64 elements', got: describe(x) });
      // Stored as Int64 scalars read back: a number when safe, else the decimal string.
      // A bigint kept as given could not be encoded into the log record (JSON).
      return pkKeyOfBigint(b);
    }
    const problem = scalarProblem(el, x);
    if (problem) {
      if (el.type === DataType.VarChar && typeof x === 'string') fail('STRING_TOO_LONG', { field: f.name, row: r, length: x.length, max: f.maxLength! });
      fail('WRONG_TYPE', { field: f.name, row: r, expected: `${dataTypeName(el.type)} elements`, got: describe(x) });
    }
    return x;
  });
}
