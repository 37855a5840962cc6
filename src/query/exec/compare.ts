// `field op constant` over a whole column: one tight loop over the typed array (or the
// string list) per operator. Every constant is first turned into one the column's own
// number type compares exactly with, so the loop needs no per-row conversion; the few
// cases where that is not possible (a Double column against an integer beyond 2^53)
// return undefined and the caller falls back to the reference evaluator.
import { DataType, type FieldSchema } from '../../catalog/types.js';
import type { Column } from '../../segments/columns.js';
import type { Value } from '../expr/index.js';
import { compareStrings } from '../expr/values.js';
import { constTri, maskNulls, type Tri } from './tri.js';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** `c op f` is `f flip(op) c`. */
export function flipOp(op: CompareOp): CompareOp {
  switch (op) {
    case '<': return '>';
    case '<=': return '>=';
    case '>': return '<';
    case '>=': return '<=';
    default: return op;
  }
}

export function compareColumn(field: FieldSchema, col: Column, op: CompareOp, c: Value, rows: number): Tri | undefined {
  const v = col.values;
  switch (field.type) {
    case DataType.Int8: case DataType.Int16: case DataType.Int32: {
      if (!(v instanceof Int8Array || v instanceof Int16Array || v instanceof Int32Array)) return undefined;
      // Column values are exact doubles, and rounding a bigint to a double keeps its order
      // against them (no 32-bit integer lies between a bigint and its rounding).
      if (typeof c !== 'bigint' && typeof c !== 'number') return undefined;
      return maskNulls(loop(v, op, Number(c), rows), col.valid, rows);
    }
    case DataType.Int64: case DataType.Timestamptz: {
      if (!(v instanceof BigInt64Array)) return undefined;
      if (typeof c === 'bigint') return maskNulls(loop(v, op, c, rows), col.valid, rows);
      if (typeof c !== 'number') return undefined;
      const b = intBound(op, c);
      if (typeof b === 'boolean') return maskNulls(constTri(rows, b).t, col.valid, rows);
      return maskNulls(loop(v, b.op, b.c, rows), col.valid, rows);
    }
    case DataType.Float: case DataType.Double: {
      if (!(v instanceof Float32Array || v instanceof Float64Array)) return undefined;
      let x: number;
      if (typeof c === 'number') x = c;
      else if (typeof c === 'bigint' && BigInt(Number(c)) === c) x = Number(c);
      else return undefined;
      return maskNulls(loop(v, op, x, rows), col.valid, rows);
    }
    case DataType.Bool: {
      if (!(v instanceof Uint8Array) || typeof c !== 'boolean' || (op !== '==' && op !== '!=')) return undefined;
      // Booleans are equal or unordered: == holds when equal, != when different.
      const want = (c ? 1 : 0) ^ (op === '!=' ? 1 : 0);
      const t = new Uint8Array(rows);
      for (let i = 0; i < rows; i++) t[i] = v[i] === want ? 1 : 0;
      return maskNulls(t, col.valid, rows);
    }
    case DataType.VarChar: case DataType.String: {
      if (ArrayBuffer.isView(v) || typeof c !== 'string') return undefined;
      return strings(v as readonly unknown[], op, c, col.valid, rows);
    }
    default: return undefined;
  }
}

/**
 * An integer column against a float constant, as an integer bound: `i < 2.5` is
 * `i <= 2`, `i == 2.5` never holds. true/false when the answer is the same for every
 * (non-null) row. Matches compareNumbers, which compares without rounding.
 */
export function intBound(op: CompareOp, f: number): { op: CompareOp; c: bigint } | boolean {
  if (Number.isNaN(f)) return op === '!=';
  if (f === Infinity) return op === '<' || op === '<=' || op === '!=';
  if (f === -Infinity) return op === '>' || op === '>=' || op === '!=';
  if (Number.isInteger(f)) return { op, c: BigInt(f) };
  const floor = BigInt(Math.floor(f));
  switch (op) {
    case '==': return false;
    case '!=': return true;
    case '<': case '<=': return { op: '<=', c: floor };
    case '>': case '>=': return { op: '>', c: floor };
  }
}

type Numbers = ArrayLike<number> | ArrayLike<bigint>;

/** JS comparison of like with like (number/number or bigint/bigint): NaN fails all but !=, as compareNumbers. */
function loop(v: Numbers, op: CompareOp, c: number | bigint, rows: number): Uint8Array {
  const t = new Uint8Array(rows);
  const a = v as ArrayLike<number>;
  const k = c as number;
  switch (op) {
    case '==': for (let i = 0; i < rows; i++) t[i] = a[i]! === k ? 1 : 0; break;
    case '!=': for (let i = 0; i < rows; i++) t[i] = a[i]! !== k ? 1 : 0; break;
    case '<': for (let i = 0; i < rows; i++) t[i] = a[i]! < k ? 1 : 0; break;
    case '<=': for (let i = 0; i < rows; i++) t[i] = a[i]! <= k ? 1 : 0; break;
    case '>': for (let i = 0; i < rows; i++) t[i] = a[i]! > k ? 1 : 0; break;
    case '>=': for (let i = 0; i < rows; i++) t[i] = a[i]! >= k ? 1 : 0; break;
  }
  return t;
}

function strings(v: readonly unknown[], op: CompareOp, c: string, valid: Uint8Array | undefined, rows: number): Tri {
  const t = new Uint8Array(rows);
  let n: Uint8Array | null = null;
  for (let i = 0; i < rows; i++) {
    const s = v[i];
    if ((valid !== undefined && valid[i] === 0) || typeof s !== 'string') {
      (n ??= new Uint8Array(rows))[i] = 1;
      continue;
    }
    let r: boolean;
    switch (op) {
      case '==': r = s === c; break;
      case '!=': r = s !== c; break;
      case '<': r = compareStrings(s, c) < 0; break;
      case '<=': r = compareStrings(s, c) <= 0; break;
      case '>': r = compareStrings(s, c) > 0; break;
      case '>=': r = compareStrings(s, c) >= 0; break;
    }
    t[i] = r ? 1 : 0;
  }
  return { t, n };
}
