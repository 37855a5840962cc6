// The checked tree: what check.ts hands to evaluation (and, later, to the planner).
// Every name is resolved to a field or a JSON path, every template parameter is bound,
// constant arithmetic is folded, and each node's result is one of:
//   a value   — Value, `null` for SQL null (a null field), `undefined` for missing (a JSON
//               key that is absent or JSON null, an array index out of range);
//   a truth   — true, false, or null for unknown (three-valued logic, see README.md).
import type { Geometry } from '../../catalog/geometry.js';
import type { FieldSchema } from '../../catalog/types.js';
import type { SpatialOp } from './spatial.js';
import type { Interval } from '../../catalog/timestamptz.js';

/** Integers are bigint everywhere after checking, so that Int64 compares exactly. */
export type Value = bigint | number | string | boolean | readonly Value[];

export type StaticType = 'bool' | 'int' | 'float' | 'string' | 'json' | 'array' | 'geometry';

export interface Typed { readonly type: StaticType; readonly pos: number }

export interface Const extends Typed { readonly kind: 'const'; readonly value: Value }
/** A typed scalar or Array field, read whole. `elem` is the element type of an Array field. */
export interface FieldRef extends Typed { readonly kind: 'field'; readonly field: FieldSchema; readonly elem?: StaticType }
/** A path into a JSON field, or into the dynamic field when `field` is null. */
export interface JsonRef extends Typed {
  readonly kind: 'json';
  readonly field: FieldSchema | null;
  readonly path: readonly (string | number)[];
}
/** `arr[2]` on an Array field. */
export interface ElemRef extends Typed { readonly kind: 'elem'; readonly field: FieldSchema; readonly index: number }
export interface Arith extends Typed {
  readonly kind: 'arith';
  readonly op: '+' | '-' | '*' | '/' | '%' | '**';
  readonly left: Checked;
  readonly right: Checked;
}
export interface Length extends Typed { readonly kind: 'length'; readonly target: Checked }

export interface Compare extends Typed {
  readonly kind: 'compare';
  readonly op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  readonly left: Checked;
  readonly right: Checked;
}
export interface InList extends Typed { readonly kind: 'in'; readonly value: Checked; readonly values: readonly Value[] }
export interface Like extends Typed { readonly kind: 'like'; readonly value: Checked; readonly pattern: string; readonly regex: RegExp }
export interface IsNull extends Typed { readonly kind: 'is_null'; readonly target: Checked; readonly negated: boolean }
export interface Exists extends Typed { readonly kind: 'exists'; readonly target: JsonRef }
export interface Contains extends Typed {
  readonly kind: 'contains';
  readonly mode: 'one' | 'all' | 'any';
  readonly target: Checked;
  /** mode 'one': [the value sought]; 'all'/'any': the list. */
  readonly values: readonly Value[];
}
export interface Logic extends Typed { readonly kind: 'and' | 'or'; readonly items: readonly Checked[] }
export interface Not extends Typed { readonly kind: 'not'; readonly operand: Checked }
/**
 * `ST_op(geo, 'wkt')` / `ST_DWITHIN(geo, 'POINT(x y)', meters)` on a Geometry field:
 * `wkt` is the argument's normal text, `query` its geometry (read-only).
 */
export interface Spatial extends Typed {
  readonly kind: 'spatial';
  readonly op: SpatialOp;
  readonly target: FieldRef;
  readonly wkt: string;
  readonly query: Geometry;
  /** ST_DWITHIN's distance in meters; 0 for the other operators. */
  readonly distance: number;
}

/**
 * `ts + INTERVAL 'P1M' > ISO '…'` (Milvus's TimestamptzArithCompareExpr): the field's
 * microseconds moved by the interval on the UTC calendar, compared with `value`
 * (microseconds). Without an interval the checker makes a plain Compare of the field
 * (as an integer) with the microseconds, which indexes can answer.
 */
export interface TzArith extends Typed {
  readonly kind: 'tz_arith';
  readonly field: FieldSchema;
  readonly sign: 1 | -1;
  readonly interval: Interval;
  readonly op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  readonly value: bigint;
}

export type Checked =
  | Const | FieldRef | JsonRef | ElemRef | Arith | Length
  | Compare | InList | Like | IsNull | Exists | Contains | Logic | Not | Spatial | TzArith;

export function checked<T extends Checked>(n: T): T {
  return Object.freeze(n);
}
