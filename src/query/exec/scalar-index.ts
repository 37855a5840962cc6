// Scalar indexes over sealed (and flushed) segments, built from the collection's index
// specs the first time a filter asks, and kept with the segment object (a sealed
// segment's columns never change). Two kinds:
//   sorted — the non-null row ids ordered by value (STL_SORT, and INVERTED/AUTOINDEX on a
//            number field): ==, !=, <, <=, >, >= and `in` as binary searches;
//   bitmap — value → row ids (BITMAP, INVERTED/AUTOINDEX on Bool/VarChar, STL_SORT and
//            Trie on VarChar): ==, != and `in`; on strings also `like` with a prefix
//            pattern (`abc%`) as a binary search over the distinct values, sorted on
//            first use in code-point order (compareStrings), and an exact pattern as ==;
//   array  — element value → rows (INVERTED/AUTOINDEX/BITMAP on an Array field), each
//            row once per distinct element: array_contains / _any as a union of row
//            lists, array_contains_all as their intersection.
// The answers are exactly the column scans' (compare.ts, in-list.ts): the constant is
// converted the same way, NaN rows match only !=, and null rows come out unknown through
// the same validity masking. Anything an index cannot answer returns undefined and the
// caller scans. test/exec/differential.test.ts runs every scenario with and without indexes.
import { DataType, type FieldSchema, type IndexMeta } from '../../catalog/types.js';
import { effectiveIndexType, jsonIndexTarget } from '../../catalog/indexes.js';
import type { Column } from '../../segments/columns.js';
import type { Segment } from '../../segments/segment.js';
import { evaluate, type Checked, type Value } from '../expr/index.js';
import { compareNumbers, compareStrings, toInt } from '../expr/values.js';
import { valueAt } from '../../segments/columns.js';
import { intBound, type CompareOp } from './compare.js';
import { likeShape } from './like.js';
import { constTri, maskNulls, type Tri } from './tri.js';

type Key = number | bigint | string;

interface SortedIndex {
  readonly kind: 'sorted';
  /** Non-null, non-NaN values in ascending order, and the row each came from. */
  readonly keys: ArrayLike<number> | ArrayLike<bigint>;
  readonly order: Uint32Array;
  /** Non-null rows holding NaN: they satisfy only `!=`. */
  readonly nan: Uint32Array;
}

interface BitmapIndex {
  readonly kind: 'bitmap';
  /** Rows of each value (NaN left out: it equals nothing). */
  readonly rowsOf: ReadonlyMap<Key, readonly number[]>;
  /** Strings only: rows the scan treats as unknown (null or not a string), else null. */
  readonly unknown: Uint8Array | null;
}

interface ArrayIndex {
  readonly kind: 'array';
  /** Rows holding each element (by elementKey), each row once per distinct element. */
  readonly rowsOf: ReadonlyMap<ElemKey, readonly number[]>;
  /** Rows whose array is null (the scan's unknown), else null. */
  readonly unknown: Uint8Array | null;
}

export type ScalarIndex = SortedIndex | BitmapIndex | ArrayIndex;

/**
 * One key per value that compareValues finds equal: integers within ±(2^53 − 1) as
 * numbers, larger ones as bigints, other numbers as themselves (NaN: no key, it equals
 * nothing), strings and booleans as themselves. Anything else has no key.
 */
type ElemKey = number | bigint | string | boolean;
function elementKey(v: unknown): ElemKey | undefined {
  switch (typeof v) {
    case 'bigint': return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
    case 'number':
      if (v !== v) return undefined;
      return Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v) : v === 0 ? 0 : v;
    case 'string': case 'boolean': return v;
    default: return undefined;
  }
}

/** Timestamptz is its microseconds (an int64 column), sorted like Int64 (STL_SORT, as Milvus allows it). */
const isNumeric = (t: DataType) =>
  t === DataType.Int8 || t === DataType.Int16 || t === DataType.Int32 || t === DataType.Int64 || t === DataType.Float || t === DataType.Double
  || t === DataType.Timestamptz;
const isString = (t: DataType) => t === DataType.VarChar || t === DataType.String;

/** Which index the spec builds on this field, if any. */
export function scalarIndexKind(index: IndexMeta, field: FieldSchema): ScalarIndex['kind'] | undefined {
  if (field.type === DataType.Array) {
    const t = effectiveIndexType(index, field);
    return t === 'INVERTED' || t === 'BITMAP' ? 'array' : undefined;
  }
  if (!isNumeric(field.type) && !isString(field.type) && field.type !== DataType.Bool) return undefined;
  switch (effectiveIndexType(index, field)) {
    case 'STL_SORT': case 'INVERTED': return isNumeric(field.type) ? 'sorted' : 'bitmap';
    case 'BITMAP': return 'bitmap';
    case 'Trie': return isString(field.type) ? 'bitmap' : undefined;
    default: return undefined;
  }
}

const built = new WeakMap<Segment, Map<number, ScalarIndex | null>>();

/**
 * The index of `field` in `seg`, built on first use, or undefined when the segment can
 * still change (growing) or no spec indexes the field.
 */
export function scalarIndexOf(seg: Segment, field: FieldSchema, col: Column, rows: number, indexes: readonly IndexMeta[] | undefined): ScalarIndex | undefined {
  if (indexes === undefined || indexes.length === 0) return undefined;
  if (seg.state !== 'sealed' && seg.state !== 'flushed') return undefined;
  const spec = indexes.find((x) => x.fieldId === field.fieldId);
  if (spec === undefined) return undefined;
  const kind = scalarIndexKind(spec, field);
  if (kind === undefined) return undefined;
  let m = built.get(seg);
  if (m === undefined) built.set(seg, (m = new Map()));
  let ix = m.get(field.fieldId);
  if (ix === undefined || (ix !== null && ix.kind !== kind)) {
    ix = (kind === 'sorted' ? buildSorted(col, rows) : kind === 'bitmap' ? buildBitmap(field, col, rows) : buildArray(field, col, rows)) ?? null;
    m.set(field.fieldId, ix);
  }
  return ix ?? undefined;
}

function buildSorted(col: Column, rows: number): SortedIndex | undefined {
  const v = col.values;
  if (!(v instanceof Int8Array || v instanceof Int16Array || v instanceof Int32Array || v instanceof BigInt64Array || v instanceof Float32Array || v instanceof Float64Array)) return undefined;
  const valid = col.valid;
  const a = v as ArrayLike<number>;
  const ids: number[] = [];
  const nan: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    if (a[i] !== a[i]) nan.push(i); else ids.push(i);
  }
  const order = Uint32Array.from(ids);
  order.sort((x, y) => (a[x]! < a[y]! ? -1 : a[x]! > a[y]! ? 1 : x - y));
  let keys: Float64Array | BigInt64Array;
  if (v instanceof BigInt64Array) {
    keys = new BigInt64Array(order.length);
    for (let i = 0; i < order.length; i++) keys[i] = v[order[i]!]!;
  } else {
    keys = new Float64Array(order.length);
    for (let i = 0; i < order.length; i++) keys[i] = a[order[i]!]!;
  }
  return { kind: 'sorted', keys, order, nan: Uint32Array.from(nan) };
}

function buildBitmap(field: FieldSchema, col: Column, rows: number): BitmapIndex | undefined {
  const v = col.values;
  const valid = col.valid;
  const rowsOf = new Map<Key, number[]>();
  const add = (k: Key, i: number) => {
    const l = rowsOf.get(k);
    if (l === undefined) rowsOf.set(k, [i]); else l.push(i);
  };
  if (isString(field.type)) {
    if (ArrayBuffer.isView(v)) return undefined;
    const list = v as readonly unknown[];
    let unknown: Uint8Array | null = null;
    for (let i = 0; i < rows; i++) {
      const s = list[i];
      if ((valid !== undefined && valid[i] === 0) || typeof s !== 'string') (unknown ??= new Uint8Array(rows))[i] = 1;
      else add(s, i);
    }
    return { kind: 'bitmap', rowsOf, unknown };
  }
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return undefined;
  const a = v as ArrayLike<number | bigint>;
  for (let i = 0; i < rows; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    const x = a[i]!;
    if (x === x) add(x, i);
  }
  return { kind: 'bitmap', rowsOf, unknown: null };
}

/** Elements read as the reference reads them (evaluate.ts readScalar): integers via toInt. */
function buildArray(field: FieldSchema, col: Column, rows: number): ArrayIndex | undefined {
  const v = col.values;
  if (ArrayBuffer.isView(v)) return undefined;
  const list = v as readonly unknown[];
  const valid = col.valid;
  const et = field.elementType;
  const ints = et === DataType.Int8 || et === DataType.Int16 || et === DataType.Int32 || et === DataType.Int64;
  const rowsOf = new Map<ElemKey, number[]>();
  let unknown: Uint8Array | null = null;
  for (let i = 0; i < rows; i++) {
    const a = list[i];
    if ((valid !== undefined && valid[i] === 0) || a === null || a === undefined) {
      (unknown ??= new Uint8Array(rows))[i] = 1;
      continue;
    }
    if (!Array.isArray(a)) return undefined;
    for (const x of a) {
      const k = elementKey(ints && x !== null && x !== undefined ? toInt(x) : x);
      if (k === undefined) continue;
      const l = rowsOf.get(k);
      if (l === undefined) rowsOf.set(k, [i]);
      else if (l[l.length - 1] !== i) l.push(i);
    }
  }
  return { kind: 'array', rowsOf, unknown };
}

// ---- constants, converted exactly as compare.ts and in-list.ts convert them ----------

/** `field op c` as `key op' k` over the index keys, a constant answer, or undefined to scan. */
function compareKey(field: FieldSchema, op: CompareOp, c: Value): { op: CompareOp; k: Key } | boolean | undefined {
  switch (field.type) {
    case DataType.Int8: case DataType.Int16: case DataType.Int32:
      return typeof c === 'bigint' || typeof c === 'number' ? { op, k: Number(c) } : undefined;
    case DataType.Int64: {
      if (typeof c === 'bigint') return { op, k: c };
      if (typeof c !== 'number') return undefined;
      const b = intBound(op, c);
      return typeof b === 'boolean' ? b : { op: b.op, k: b.c };
    }
    case DataType.Float: case DataType.Double:
      if (typeof c === 'number') return { op, k: c };
      if (typeof c === 'bigint' && BigInt(Number(c)) === c) return { op, k: Number(c) };
      return undefined;
    case DataType.Bool:
      return typeof c === 'boolean' && (op === '==' || op === '!=') ? { op, k: c ? 1 : 0 } : undefined;
    case DataType.VarChar: case DataType.String:
      return typeof c === 'string' ? { op, k: c } : undefined;
    default: return undefined;
  }
}

/** The keys of an `in` list that some row could equal (the Set in-list.ts builds). */
function inKeys(field: FieldSchema, values: readonly Value[]): Key[] | undefined {
  const out: Key[] = [];
  switch (field.type) {
    case DataType.Int8: case DataType.Int16: case DataType.Int32: case DataType.Float: case DataType.Double:
      for (const x of values) {
        if (typeof x === 'number' && !Number.isNaN(x)) out.push(x);
        else if (typeof x === 'bigint' && BigInt(Number(x)) === x) out.push(Number(x));
      }
      return out;
    case DataType.Int64:
      for (const x of values) {
        if (typeof x === 'bigint') out.push(x);
        else if (typeof x === 'number' && Number.isInteger(x)) out.push(BigInt(x));
      }
      return out;
    case DataType.Bool:
      for (const x of values) if (typeof x === 'boolean') out.push(x ? 1 : 0);
      return out;
    case DataType.VarChar: case DataType.String:
      for (const x of values) if (typeof x === 'string') out.push(x);
      return out;
    default: return undefined;
  }
}

// ---- answers --------------------------------------------------------------------------

/** `field op c` through the index, or undefined when the index cannot answer it. */
export function indexCompare(ix: ScalarIndex, field: FieldSchema, col: Column, op: CompareOp, c: Value, rows: number): Tri | undefined {
  const b = compareKey(field, op, c);
  if (b === undefined) return undefined;
  if (typeof b === 'boolean') return maskNulls(constTri(rows, b).t, col.valid, rows);
  if (ix.kind === 'array') return undefined;
  const t = new Uint8Array(rows);
  if (ix.kind === 'sorted') {
    if (typeof b.k !== (ix.keys instanceof BigInt64Array ? 'bigint' : 'number')) return undefined;
    const { keys, order, nan } = ix;
    const n = order.length;
    if (typeof b.k === 'number' && Number.isNaN(b.k)) {
      // NaN is unordered and unequal to everything: only != holds, for every non-null row.
      if (b.op !== '!=') return maskNulls(t, col.valid, rows);
      for (let i = 0; i < n; i++) t[order[i]!] = 1;
      for (let i = 0; i < nan.length; i++) t[nan[i]!] = 1;
      return maskNulls(t, col.valid, rows);
    }
    const lo = lowerBound(keys, b.k);
    const hi = upperBound(keys, b.k);
    const set = (from: number, to: number) => { for (let i = from; i < to; i++) t[order[i]!] = 1; };
    switch (b.op) {
      case '==': set(lo, hi); break;
      case '!=': set(0, lo); set(hi, n); for (let i = 0; i < nan.length; i++) t[nan[i]!] = 1; break;
      case '<': set(0, lo); break;
      case '<=': set(0, hi); break;
      case '>': set(hi, n); break;
      case '>=': set(lo, n); break;
    }
    return maskNulls(t, col.valid, rows);
  }
  if (b.op !== '==' && b.op !== '!=') return undefined;
  const k = typeof b.k === 'number' && Number.isNaN(b.k) ? undefined : b.k;
  const hits = k === undefined ? undefined : ix.rowsOf.get(k);
  if (b.op === '!=') t.fill(1);
  const mark = b.op === '==' ? 1 : 0;
  if (hits !== undefined) for (const r of hits) t[r] = mark;
  return bitmapNulls(ix, t, col, rows);
}

/** `field in values` through the index, or undefined when the index cannot answer it. */
export function indexIn(ix: ScalarIndex, field: FieldSchema, col: Column, values: readonly Value[], rows: number): Tri | undefined {
  if (ix.kind === 'array') return undefined;
  const ks = inKeys(field, values);
  if (ks === undefined) return undefined;
  const t = new Uint8Array(rows);
  if (ix.kind === 'sorted') {
    const kind = ix.keys instanceof BigInt64Array ? 'bigint' : 'number';
    for (const k of ks) {
      if (typeof k !== kind) return undefined;
      const hi = upperBound(ix.keys, k);
      for (let i = lowerBound(ix.keys, k); i < hi; i++) t[ix.order[i]!] = 1;
    }
  } else {
    for (const k of ks) {
      const hits = ix.rowsOf.get(k);
      if (hits !== undefined) for (const r of hits) t[r] = 1;
    }
  }
  // As in-list.ts: only the validity bytes make a row unknown.
  return maskNulls(t, col.valid, rows);
}

/** The distinct string keys of a bitmap in code-point order, with their rows (built on first use). */
const sortedKeys = new WeakMap<BitmapIndex, { keys: string[]; rows: (readonly number[])[] }>();
function sortedKeysOf(ix: BitmapIndex): { keys: string[]; rows: (readonly number[])[] } {
  let s = sortedKeys.get(ix);
  if (s === undefined) {
    const keys = [...ix.rowsOf.keys()] as string[];
    // Without surrogates, UTF-16 order is code-point order and the native comparison is faster.
    if (keys.some((k) => /[\uD800-\uDFFF]/.test(k))) keys.sort(compareStrings);
    else keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    s = { keys, rows: keys.map((k) => ix.rowsOf.get(k)!) };
    sortedKeys.set(ix, s);
  }
  return s;
}

/** The position of the first of the sorted `keys` that is >= `p` (binary search). */
function firstKeyAtLeast(keys: readonly string[], p: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareStrings(keys[mid]!, p) < 0) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * `field like pattern` through a string bitmap, when the pattern is a prefix (`abc%`) or
 * exact (`abc`) — as like.ts's startsWith and === — else undefined.
 */
export function indexLike(ix: ScalarIndex, field: FieldSchema, col: Column, pattern: string, rows: number): Tri | undefined {
  if (ix.kind !== 'bitmap' || !isString(field.type)) return undefined;
  const shape = likeShape(pattern);
  if (shape.kind === 'exact') return indexCompare(ix, field, col, '==', shape.text, rows);
  if (shape.kind !== 'prefix') return undefined;
  const p = shape.text;
  const { keys, rows: lists } = sortedKeysOf(ix);
  // The keys starting with p are contiguous in any lexicographic order, from the first key >= p.
  const from = firstKeyAtLeast(keys, p);
  let lo = from;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]!.startsWith(p)) lo = mid + 1; else hi = mid;
  }
  const t = new Uint8Array(rows);
  for (let k = from; k < lo; k++) for (const r of lists[k]!) t[r] = 1;
  return bitmapNulls(ix, t, col, rows);
}

/**
 * array_contains (mode 'one'), _any and _all on an Array field through its index, as
 * evaluate.ts: a null array is unknown; an element equals a value when compareValues
 * says 0 (elementKey gives both the same key).
 */
export function indexContains(ix: ScalarIndex, mode: 'one' | 'any' | 'all', values: readonly Value[], rows: number): Tri | undefined {
  if (ix.kind !== 'array') return undefined;
  const t = new Uint8Array(rows);
  const keys = new Set<ElemKey>();
  let unmatchable = false;
  for (const x of values) {
    const k = elementKey(x);
    if (k === undefined) unmatchable = true; else keys.add(k);
  }
  if (mode !== 'all') {
    for (const k of keys) {
      const hits = ix.rowsOf.get(k);
      if (hits !== undefined) for (const r of hits) t[r] = 1;
    }
  } else if (!unmatchable) {
    if (keys.size === 0) t.fill(1);
    else {
      // Rows listed under every key: count per row (each row is listed once per key).
      const need = keys.size;
      const count = need < 256 ? new Uint8Array(rows) : new Uint32Array(rows);
      let k0 = true;
      for (const k of keys) {
        const hits = ix.rowsOf.get(k);
        if (hits === undefined) { count.fill(0); break; }
        if (k0) { for (const r of hits) count[r] = 1; k0 = false; } else for (const r of hits) count[r]!++;
      }
      for (let i = 0; i < rows; i++) if (count[i] === need) t[i] = 1;
    }
  }
  if (ix.unknown === null) return { t, n: null };
  const n = ix.unknown.slice(0, rows);
  for (let i = 0; i < rows; i++) if (n[i] === 1) t[i] = 0;
  return { t, n };
}

/** As compare.ts: a string row is unknown when null or not a string; other types by validity. */
function bitmapNulls(ix: BitmapIndex, t: Uint8Array, col: Column, rows: number): Tri {
  if (ix.unknown === null) return maskNulls(t, col.valid, rows);
  const n = ix.unknown.slice(0, rows);
  for (let i = 0; i < rows; i++) if (n[i] === 1) t[i] = 0;
  return { t, n };
}

/** First position whose key is not below k (keys and k of one kind: number or bigint). */
function lowerBound(keys: ArrayLike<number> | ArrayLike<bigint>, k: Key): number {
  const a = keys as ArrayLike<number>;
  const x = k as number;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** First position whose key is above k. */
function upperBound(keys: ArrayLike<number> | ArrayLike<bigint>, k: Key): number {
  const a = keys as ArrayLike<number>;
  const x = k as number;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// ---- estimates (the planner, evaluate-segment.ts and explain.ts) ----------------------
//
// How many rows a leaf matches, read from the index without touching a row: binary
// searches on a sorted index, list lengths on a bitmap or element index. Null rows are
// not subtracted (the index leaves them out already, or masking only lowers the count),
// so an estimate is an upper bound on the matching rows, capped at `rows`. undefined:
// the index cannot answer this leaf (the caller scans anyway).

/** Rows `field op c` matches, by the index. */
export function estimateCompare(ix: ScalarIndex, field: FieldSchema, op: CompareOp, c: Value, rows: number): number | undefined {
  const b = compareKey(field, op, c);
  if (b === undefined) return undefined;
  if (typeof b === 'boolean') return b ? rows : 0;
  if (ix.kind === 'array') return undefined;
  if (ix.kind === 'sorted') {
    if (typeof b.k !== (ix.keys instanceof BigInt64Array ? 'bigint' : 'number')) return undefined;
    const n = ix.order.length;
    if (typeof b.k === 'number' && Number.isNaN(b.k)) return b.op === '!=' ? n + ix.nan.length : 0;
    const lo = lowerBound(ix.keys, b.k);
    const hi = upperBound(ix.keys, b.k);
    switch (b.op) {
      case '==': return hi - lo;
      case '!=': return lo + (n - hi) + ix.nan.length;
      case '<': return lo;
      case '<=': return hi;
      case '>': return n - hi;
      case '>=': return n - lo;
    }
  }
  if (b.op !== '==' && b.op !== '!=') return undefined;
  const k = typeof b.k === 'number' && Number.isNaN(b.k) ? undefined : b.k;
  const hits = k === undefined ? 0 : (ix.rowsOf.get(k)?.length ?? 0);
  return b.op === '==' ? hits : Math.max(0, rows - hits);
}

/** Rows `field in values` matches, by the index. */
export function estimateIn(ix: ScalarIndex, field: FieldSchema, values: readonly Value[], rows: number): number | undefined {
  if (ix.kind === 'array') return undefined;
  const ks = inKeys(field, values);
  if (ks === undefined) return undefined;
  let sum = 0;
  for (const k of new Set(ks)) {
    if (ix.kind === 'sorted') {
      if (typeof k !== (ix.keys instanceof BigInt64Array ? 'bigint' : 'number')) return undefined;
      sum += upperBound(ix.keys, k) - lowerBound(ix.keys, k);
    } else sum += ix.rowsOf.get(k)?.length ?? 0;
  }
  return Math.min(sum, rows);
}

/** Rows `field like pattern` matches, by a string bitmap (prefix and exact patterns only). */
export function estimateLike(ix: ScalarIndex, field: FieldSchema, pattern: string, rows: number): number | undefined {
  if (ix.kind !== 'bitmap' || !isString(field.type)) return undefined;
  const shape = likeShape(pattern);
  if (shape.kind === 'exact') return estimateCompare(ix, field, '==', shape.text, rows);
  if (shape.kind !== 'prefix') return undefined;
  const p = shape.text;
  const { keys, rows: lists } = sortedKeysOf(ix);
  const lo = firstKeyAtLeast(keys, p);
  let sum = 0;
  for (let k = lo; k < keys.length && keys[k]!.startsWith(p); k++) {
    sum += lists[k]!.length;
    if (sum >= rows) return rows;
  }
  return sum;
}

/** Rows array_contains / _any (a sum of list lengths) or _all (the shortest list) matches. */
export function estimateContains(ix: ScalarIndex, mode: 'one' | 'any' | 'all', values: readonly Value[], rows: number): number | undefined {
  if (ix.kind !== 'array') return undefined;
  const keys = new Set<ElemKey>();
  let unmatchable = false;
  for (const x of values) {
    const k = elementKey(x);
    if (k === undefined) unmatchable = true; else keys.add(k);
  }
  if (mode !== 'all') {
    let sum = 0;
    for (const k of keys) sum += ix.rowsOf.get(k)?.length ?? 0;
    return Math.min(sum, rows);
  }
  if (unmatchable) return 0;
  if (keys.size === 0) return rows;
  let min = rows;
  for (const k of keys) min = Math.min(min, ix.rowsOf.get(k)?.length ?? 0);
  return min;
}

/**
 * The planner's threshold: the largest fraction of a segment's rows (estimated matching
 * rows ÷ segment rows, a number in [0, 1]) for which a leaf is answered from the index.
 * Above it the column scan runs instead — marking most of a segment row by row through
 * the index's row lists costs more than one pass over the column. 0 never uses an index,
 * 1 (or more) always does when one can answer.
 */
export const indexSelectivityMax = 0.5;

/** Whether a leaf whose index estimates `estimate` matching rows of `rows` uses the index. */
export function indexWorthIt(estimate: number, rows: number, max: number): boolean {
  if (max >= 1) return true;
  if (max <= 0) return false;
  return estimate <= max * rows;
}

// ---- JSON path indexes ----------------------------------------------------------------
//
// INVERTED (or AUTOINDEX) on a JSON field — the dynamic field ($meta) too — at path P with
// json_cast_type DOUBLE, VARCHAR or BOOL (other cast types: no index use); a field may
// carry one such index per path. Per sealed segment, the rows whose value at P — read by
// the reference evaluator itself (evaluate.ts readJson, so integers as it reads them, and
// a dynamic key as `$meta` is read) — has that type: DOUBLE a sorted index of the numbers,
// VARCHAR and BOOL a bitmap. A row whose value at P is missing or of another type is not
// in the index; the reference answers `P op c` (c of the cast type) and `P in [...]`
// (every item of the cast type) false on such a row except for `!=`, which is true there
// — so ==, <, <=, >, >=, `in` are the index's hits and != is every row but the == hits. A
// null JSON field is unknown (the reference's SQL null) for all of them; the dynamic field
// is never null. Anything else scans.

export type JsonCast = 'DOUBLE' | 'VARCHAR' | 'BOOL';

export interface JsonIndex {
  readonly kind: 'json';
  readonly cast: JsonCast;
  /** DOUBLE: the numbers at the path in ascending order and their rows (NaN left out). */
  readonly keys: Float64Array;
  readonly order: Uint32Array;
  /** VARCHAR / BOOL: rows of each value. */
  readonly rowsOf: ReadonlyMap<string | boolean, readonly number[]>;
  /** Rows whose JSON field is null (unknown to every comparison), else null. */
  readonly unknown: Uint8Array | null;
}

const samePath = (a: readonly (string | number)[], b: readonly (string | number)[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The spec indexing `field` (a JSON field, or the dynamic one) at exactly `path` with a usable cast type, if any. */
export function jsonIndexSpec(indexes: readonly IndexMeta[] | undefined, field: FieldSchema, path: readonly (string | number)[]): { spec: IndexMeta; cast: JsonCast } | undefined {
  if (indexes === undefined || field.type !== DataType.JSON) return undefined;
  for (const spec of indexes) {
    if (spec.fieldId !== field.fieldId) continue;
    const t = effectiveIndexType(spec, field);
    if (t !== 'INVERTED') continue;
    const target = jsonIndexTarget(spec, field);
    const cast = target?.castType;
    if (cast !== 'DOUBLE' && cast !== 'VARCHAR' && cast !== 'BOOL') continue;
    if (target!.path !== undefined && samePath(target!.path, path)) return { spec, cast };
  }
  return undefined;
}

const builtJson = new WeakMap<Segment, Map<string, JsonIndex>>();

/** The JSON path index of `field` at `path` in `seg`, built on first use; undefined when none applies. */
export function jsonIndexOf(seg: Segment, field: FieldSchema, col: Column, path: readonly (string | number)[], rows: number, indexes: readonly IndexMeta[] | undefined): JsonIndex | undefined {
  if (seg.state !== 'sealed' && seg.state !== 'flushed') return undefined;
  const found = jsonIndexSpec(indexes, field, path);
  if (found === undefined) return undefined;
  let m = builtJson.get(seg);
  if (m === undefined) builtJson.set(seg, (m = new Map()));
  const key = `${found.spec.indexId}/${found.cast}/${JSON.stringify(path)}`;
  let ix = m.get(key);
  if (ix === undefined) {
    ix = buildJson(field, col, path, found.cast, rows);
    m.set(key, ix);
  }
  return ix;
}

function buildJson(field: FieldSchema, col: Column, path: readonly (string | number)[], cast: JsonCast, rows: number): JsonIndex {
  // A path into the dynamic field reads the row's `$meta` object as the reference reads it
  // (field null, the raw column value as SegmentView.meta hands it over).
  const dynamic = field.isDynamic;
  const ref: Checked = { kind: 'json', field: dynamic ? null : field, path, type: 'json', pos: 0 };
  let base: unknown;
  const ctx = { row: () => base, meta: () => base as Record<string, unknown> | null };
  const metas = dynamic ? (col.values as readonly unknown[]) : undefined;
  let unknown: Uint8Array | null = null;
  const nums: number[] = [];
  const ids: number[] = [];
  const rowsOf = new Map<string | boolean, number[]>();
  for (let i = 0; i < rows; i++) {
    base = metas !== undefined ? metas[i] : valueAt(field, col, i);
    const v = evaluate(ref, ctx);
    if (v === null) { (unknown ??= new Uint8Array(rows))[i] = 1; continue; }
    if (cast === 'DOUBLE') {
      if (typeof v === 'bigint' || typeof v === 'number') {
        const x = Number(v);
        if (x === x) { nums.push(x); ids.push(i); }
      }
    } else if ((cast === 'VARCHAR' && typeof v === 'string') || (cast === 'BOOL' && typeof v === 'boolean')) {
      const l = rowsOf.get(v);
      if (l === undefined) rowsOf.set(v, [i]); else l.push(i);
    }
  }
  const perm = Uint32Array.from(ids.keys());
  perm.sort((x, y) => nums[x]! - nums[y]! || x - y);
  const keys = new Float64Array(perm.length);
  const order = new Uint32Array(perm.length);
  for (let i = 0; i < perm.length; i++) { keys[i] = nums[perm[i]!]!; order[i] = ids[perm[i]!]!; }
  return { kind: 'json', cast, keys, order, rowsOf, unknown };
}

/** Whether a constant is of the index's cast type (so rows outside the index compare false). */
function ofCast(cast: JsonCast, c: Value): boolean {
  switch (cast) {
    case 'DOUBLE': return typeof c === 'bigint' || (typeof c === 'number' && c === c);
    case 'VARCHAR': return typeof c === 'string';
    case 'BOOL': return typeof c === 'boolean';
  }
}

/** [lo, hi) of the sorted keys equal to c, and the key count, by the reference's exact compareNumbers. */
function jsonBounds(ix: JsonIndex, c: bigint | number): [number, number] {
  const a = ix.keys;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (compareNumbers(a[mid]!, c) < 0) lo = mid + 1; else hi = mid; }
  const from = lo;
  hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (compareNumbers(a[mid]!, c) <= 0) lo = mid + 1; else hi = mid; }
  return [from, lo];
}

/** The rows (as index ranges or lists) `P op c` holds on, or undefined when the index cannot answer. */
function jsonHits(ix: JsonIndex, op: CompareOp, c: Value): { ranges: [number, number][] } | { lists: (readonly number[])[] } | undefined {
  if (!ofCast(ix.cast, c)) return undefined;
  if (ix.cast === 'DOUBLE') {
    const [lo, hi] = jsonBounds(ix, c as bigint | number);
    const n = ix.keys.length;
    switch (op) {
      case '==': case '!=': return { ranges: [[lo, hi]] };
      case '<': return { ranges: [[0, lo]] };
      case '<=': return { ranges: [[0, hi]] };
      case '>': return { ranges: [[hi, n]] };
      case '>=': return { ranges: [[lo, n]] };
    }
  }
  if (op !== '==' && op !== '!=') return undefined;
  const l = ix.rowsOf.get(c as string | boolean);
  return { lists: l === undefined ? [] : [l] };
}

function hitCount(ix: JsonIndex, h: { ranges: [number, number][] } | { lists: (readonly number[])[] }): number {
  return 'ranges' in h ? h.ranges.reduce((s, [a, b]) => s + (b - a), 0) : h.lists.reduce((s, l) => s + l.length, 0);
}

function markHits(ix: JsonIndex, h: { ranges: [number, number][] } | { lists: (readonly number[])[] }, t: Uint8Array, v: number): void {
  if ('ranges' in h) { for (const [a, b] of h.ranges) for (let i = a; i < b; i++) t[ix.order[i]!] = v; }
  else for (const l of h.lists) for (const r of l) t[r] = v;
}

function jsonTri(ix: JsonIndex, t: Uint8Array, rows: number): Tri {
  if (ix.unknown === null) return { t, n: null };
  const n = ix.unknown.slice(0, rows);
  for (let i = 0; i < rows; i++) if (n[i] === 1) t[i] = 0;
  return { t, n };
}

/** `P op c` through a JSON path index, or undefined when it cannot answer. */
export function jsonIndexCompare(ix: JsonIndex, op: CompareOp, c: Value, rows: number): Tri | undefined {
  const h = jsonHits(ix, op, c);
  if (h === undefined) return undefined;
  const t = new Uint8Array(rows);
  if (op === '!=') { t.fill(1); markHits(ix, h, t, 0); } else markHits(ix, h, t, 1);
  return jsonTri(ix, t, rows);
}

export function estimateJsonCompare(ix: JsonIndex, op: CompareOp, c: Value, rows: number): number | undefined {
  const h = jsonHits(ix, op, c);
  if (h === undefined) return undefined;
  const k = hitCount(ix, h);
  return op === '!=' ? Math.max(0, rows - k) : Math.min(k, rows);
}

function jsonInHits(ix: JsonIndex, values: readonly Value[]): { ranges: [number, number][] } | { lists: (readonly number[])[] } | undefined {
  if (!values.every((x) => ofCast(ix.cast, x))) return undefined;
  if (ix.cast === 'DOUBLE') {
    const seen = new Set<string>();
    const ranges: [number, number][] = [];
    for (const x of values) {
      const r = jsonBounds(ix, x as bigint | number);
      const k = `${r[0]}:${r[1]}`;
      if (!seen.has(k)) { seen.add(k); ranges.push(r); }
    }
    return { ranges };
  }
  const lists: (readonly number[])[] = [];
  for (const x of new Set(values as (string | boolean)[])) { const l = ix.rowsOf.get(x); if (l !== undefined) lists.push(l); }
  return { lists };
}

/** `P in values` through a JSON path index, or undefined when some item is not of the cast type. */
export function jsonIndexIn(ix: JsonIndex, values: readonly Value[], rows: number): Tri | undefined {
  const h = jsonInHits(ix, values);
  if (h === undefined) return undefined;
  const t = new Uint8Array(rows);
  markHits(ix, h, t, 1);
  return jsonTri(ix, t, rows);
}

export function estimateJsonIn(ix: JsonIndex, values: readonly Value[], rows: number): number | undefined {
  const h = jsonInHits(ix, values);
  return h === undefined ? undefined : Math.min(hitCount(ix, h), rows);
}

// ---- range merging ----------------------------------------------------------------------

/**
 * The positions [from, to) of a sorted index that satisfy every one of `conds` (each
 * `field op c` with op one of <, <=, >, >=), i.e. the intersection of their ranges — one
 * lookup for `a < x and x <= b`. undefined when the index is not sorted or some condition
 * has no plain range (a constant answer, NaN, a constant of another key kind).
 */
export function sortedRange(ix: ScalarIndex, field: FieldSchema, conds: readonly { op: CompareOp; c: Value }[]): [number, number] | undefined {
  if (ix.kind !== 'sorted') return undefined;
  const kind = ix.keys instanceof BigInt64Array ? 'bigint' : 'number';
  const n = ix.order.length;
  let from = 0;
  let to = n;
  for (const { op, c } of conds) {
    const b = compareKey(field, op, c);
    if (b === undefined || typeof b === 'boolean' || typeof b.k !== kind) return undefined;
    if (typeof b.k === 'number' && Number.isNaN(b.k)) return undefined;
    switch (b.op) {
      case '<': to = Math.min(to, lowerBound(ix.keys, b.k)); break;
      case '<=': to = Math.min(to, upperBound(ix.keys, b.k)); break;
      case '>': from = Math.max(from, upperBound(ix.keys, b.k)); break;
      case '>=': from = Math.max(from, lowerBound(ix.keys, b.k)); break;
      default: return undefined;
    }
  }
  return [from, Math.max(from, to)];
}

/** The rows of positions [from, to) of a sorted index, null rows unknown as the scans mask them. */
export function sortedRangeTri(ix: ScalarIndex, col: Column, range: [number, number], rows: number): Tri {
  const t = new Uint8Array(rows);
  if (ix.kind === 'sorted') for (let i = range[0]; i < range[1]; i++) t[ix.order[i]!] = 1;
  return maskNulls(t, col.valid, rows);
}
