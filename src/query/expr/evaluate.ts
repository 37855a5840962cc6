// The reference evaluator: one row at a time, straight from the checked tree, written
// to be obviously right rather than fast. The planner and executor are tested against it.
//
// Conditions use three-valued logic, as Milvus's segcore does: a comparison that reads
// a null field is unknown (null); `not unknown` is unknown; `false and unknown` is false;
// `true or unknown` is true; a row matches only when the whole filter is true.
// A JSON key that is absent (or JSON null), or an array index out of range, is not null
// but missing: comparisons with it are false except `!=`, which is true, and `not`
// turns false into true — as Milvus does for JSON paths.
import type { CollectionSchema, FieldSchema } from '../../catalog/types.js';
import { DataType } from '../../catalog/types.js';
import { addInterval } from '../../catalog/timestamptz.js';
import { assert } from '../../errors/index.js';
import { geometryOf } from '../../catalog/geometry.js';
import { checkFilter, type FilterParams } from './check.js';
import { spatialHolds } from './spatial.js';
import type { Checked } from './checked.js';
import { parseFilter } from './parser.js';
import { arithmetic, compareValues, fromJson, holds, toInt } from './values.js';

/** Reads one field of the current row; null for a null value. */
export type RowReader = (field: FieldSchema) => unknown;
/** The current row's dynamic fields (`$meta`), or null when it has none. */
export type MetaReader = () => Record<string, unknown> | null;

export interface CompiledFilter {
  readonly checked: Checked;
  test(row: RowReader, meta: MetaReader): boolean;
}

export function compileFilter(schema: CollectionSchema, text: string, params?: FilterParams, timezone?: string): CompiledFilter {
  const tree = checkFilter(schema, parseFilter(text), params ?? {}, timezone);
  return Object.freeze({
    checked: tree,
    test: (row: RowReader, meta: MetaReader) => evaluate(tree, { row, meta }) === true,
  });
}

interface Ctx { readonly row: RowReader; readonly meta: MetaReader }

/** A value (see checked.ts: null = SQL null, undefined = missing) or a truth (true/false/null). */
export function evaluate(c: Checked, ctx: Ctx): unknown {
  switch (c.kind) {
    case 'const': return c.value;
    case 'field': return readField(c.field, ctx.row(c.field));
    case 'elem': {
      const arr = ctx.row(c.field);
      if (arr === null || arr === undefined) return null;
      assert(Array.isArray(arr), `Array field ${c.field.name} holds a non-array`);
      return c.index < arr.length ? readScalar(c.field.elementType!, arr[c.index]) : undefined;
    }
    case 'json': return readJson(c.field === null ? ctx.meta() ?? {} : ctx.row(c.field), c.path, c.field === null);
    case 'arith': {
      const a = evaluate(c.left, ctx);
      const b = evaluate(c.right, ctx);
      if (a === null || b === null) return null;
      if (!isNumber(a) || !isNumber(b)) return undefined;
      return arithmetic(c.op, a, b);
    }
    case 'length': {
      const v = evaluate(c.target, ctx);
      if (v === null) return null;
      return Array.isArray(v) ? BigInt(v.length) : undefined;
    }
    case 'compare': {
      const a = evaluate(c.left, ctx);
      const b = evaluate(c.right, ctx);
      if (a === null || b === null) return null;
      // An Array element beyond the array's end matches nothing, not even under != (segcore
      // reads such a row as false before it applies the operator).
      if ((a === undefined && c.left.kind === 'elem') || (b === undefined && c.right.kind === 'elem')) return false;
      const list = listSide(c);
      if (list !== undefined) {
        // A JSON value against a list literal (segcore CompareTwoJsonArray): == and != only
        // where the value is an array, element by element; every other row, and every
        // ordering, is false.
        const v = list === 'right' ? a : b;
        if (!Array.isArray(v) || (c.op !== '==' && c.op !== '!=')) return false;
        return (compareValues(a, b) === 0) === (c.op === '==');
      }
      const order = a === undefined || b === undefined ? undefined : compareValues(a, b);
      if (order === undefined) return c.op === '!=';
      return holds(c.op, order);
    }
    case 'in': {
      const v = evaluate(c.value, ctx);
      if (v === null) return null;
      if (v === undefined) return false;
      return c.values.some((x) => compareValues(v, x) === 0);
    }
    case 'like': {
      const v = evaluate(c.value, ctx);
      if (v === null) return null;
      return typeof v === 'string' && c.regex.test(v);
    }
    case 'is_null': {
      const v = evaluate(c.target, ctx);
      return (v === null || v === undefined) !== c.negated;
    }
    case 'exists': {
      const base = c.target.field === null ? ctx.meta() ?? {} : ctx.row(c.target.field);
      return present(base, c.target.path);
    }
    case 'contains': {
      // Milvus answers an empty list at once, for every row: all of nothing is true, any
      // of nothing false.
      if (c.mode !== 'one' && c.values.length === 0) return c.mode === 'all';
      const v = evaluate(c.target, ctx);
      if (v === null) return null;
      if (!Array.isArray(v)) return false;
      const has = (x: unknown) => v.some((el) => compareValues(c.target.kind === 'json' ? fromJsonDeep(el) : el, x) === 0);
      if (c.mode === 'all') return c.values.every(has);
      return c.values.some(has);
    }
    case 'and': {
      let unknown = false;
      for (const item of c.items) {
        const t = evaluate(item, ctx);
        if (t === false) return false;
        if (t === null) unknown = true;
      }
      return unknown ? null : true;
    }
    case 'or': {
      let unknown = false;
      for (const item of c.items) {
        const t = evaluate(item, ctx);
        if (t === true) return true;
        if (t === null) unknown = true;
      }
      return unknown ? null : false;
    }
    case 'not': {
      const t = evaluate(c.operand, ctx);
      return t === null ? null : !t;
    }
    case 'spatial': {
      // A null geometry is unknown, as segcore marks it invalid.
      const v = ctx.row(c.target.field);
      if (v === null || v === undefined) return null;
      return spatialHolds(c.op, geometryOf(v as string), c.query, c.distance);
    }
    case 'tz_arith': {
      const v = readField(c.field, ctx.row(c.field));
      if (v === null) return null;
      const moved = addInterval(v as bigint, c.interval, c.sign);
      if (moved === undefined) return false;
      switch (c.op) {
        case '==': return moved === c.value;
        case '!=': return moved !== c.value;
        case '<': return moved < c.value;
        case '<=': return moved <= c.value;
        case '>': return moved > c.value;
        case '>=': return moved >= c.value;
      }
    }
  }
}

function isNumber(v: unknown): v is bigint | number {
  return typeof v === 'bigint' || typeof v === 'number';
}

function readField(field: FieldSchema, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (field.type === DataType.Array) {
    assert(Array.isArray(v), `Array field ${field.name} holds a non-array`);
    return v.map((x) => readScalar(field.elementType!, x));
  }
  return readScalar(field.type, v);
}

function readScalar(type: DataType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case DataType.Int8: case DataType.Int16: case DataType.Int32: case DataType.Int64: case DataType.Timestamptz: {
      const i = toInt(v);
      assert(i !== undefined, `integer field holds ${String(v)}`);
      return i;
    }
    default: return v;
  }
}

function readJson(base: unknown, path: readonly (string | number)[], dynamic: boolean): unknown {
  // A null JSON field is SQL null; the dynamic field is never null, only empty.
  if (base === null || base === undefined) return dynamic ? undefined : null;
  let v: unknown = base;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    if (Array.isArray(v)) {
      if (typeof k !== 'number' || k >= v.length) return undefined;
      v = v[k];
    } else {
      if (typeof k !== 'string' || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
  }
  return path.length === 0 && v === null ? null : fromJson(v);
}

/** `exists`: the key is there and holds something other than JSON null (segcore's Json::exist). */
function present(base: unknown, path: readonly (string | number)[]): boolean {
  let v: unknown = base;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return false;
    if (Array.isArray(v) ? typeof k !== 'number' || k >= v.length : typeof k !== 'string' || !Object.prototype.hasOwnProperty.call(v, k)) return false;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v !== null && v !== undefined;
}

/** Which side of a comparison is a list literal facing a JSON value, if one is. */
function listSide(c: Extract<Checked, { kind: 'compare' }>): 'left' | 'right' | undefined {
  if (c.right.kind === 'const' && Array.isArray(c.right.value) && c.left.kind === 'json') return 'right';
  if (c.left.kind === 'const' && Array.isArray(c.left.value) && c.right.kind === 'json') return 'left';
  return undefined;
}

function fromJsonDeep(v: unknown): unknown {
  return Array.isArray(v) ? v.map(fromJsonDeep) : fromJson(v);
}
