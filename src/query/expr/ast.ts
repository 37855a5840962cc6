// The parse tree of a filter expression: plain frozen objects, each with a `kind` and
// the offset (0-based, in UTF-16 code units) where it starts in the filter text, so that
// later stages can point at the exact column. The tree knows nothing about the schema:
// `price` is an `ident` here whether it names a field or a dynamic key; check.ts decides.

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '**';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicOp = 'and' | 'or';
export type BinaryOp = ArithOp | CompareOp | LogicOp;
export type UnaryOp = '-' | '+' | 'not';
export type FunctionName =
  | 'json_contains' | 'json_contains_all' | 'json_contains_any'
  | 'array_contains' | 'array_contains_all' | 'array_contains_any'
  | 'array_length'
  | 'st_equals' | 'st_touches' | 'st_overlaps' | 'st_crosses' | 'st_contains' | 'st_intersects' | 'st_within' | 'st_dwithin';

export const functionNames: readonly FunctionName[] = Object.freeze([
  'json_contains', 'json_contains_all', 'json_contains_any',
  'array_contains', 'array_contains_all', 'array_contains_any',
  'array_length',
  'st_equals', 'st_touches', 'st_overlaps', 'st_crosses', 'st_contains', 'st_intersects', 'st_within', 'st_dwithin',
]);

interface At { readonly pos: number }

export interface IntLit extends At { readonly kind: 'int'; readonly value: bigint }
export interface FloatLit extends At { readonly kind: 'float'; readonly value: number }
export interface BoolLit extends At { readonly kind: 'bool'; readonly value: boolean }
export interface StringLit extends At { readonly kind: 'string'; readonly value: string }
export interface ArrayLit extends At { readonly kind: 'array'; readonly items: readonly Expr[] }
/** A field name, `$meta`, or a bare dynamic key: check.ts tells them apart. */
export interface Ident extends At { readonly kind: 'ident'; readonly name: string }
/** `info["a"][0]`, `arr[2]`, `$meta["k"]`: a name followed by index segments written without spaces. */
export interface Path extends At { readonly kind: 'path'; readonly name: string; readonly path: readonly (string | number)[] }
/** `{name}`, bound from expr_params. */
export interface Param extends At { readonly kind: 'param'; readonly name: string }
export interface Unary extends At { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: Expr }
export interface Binary extends At { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
/** `1 < x <= 5` (ops `<`/`<=`) or `5 >= x > 1` (ops `>`/`>=`): both ops point the same way. */
export interface Range extends At {
  readonly kind: 'range';
  readonly lower: Expr;
  readonly lowerOp: CompareOp;
  readonly target: Ident | Path;
  readonly upperOp: CompareOp;
  readonly upper: Expr;
}
export interface In extends At { readonly kind: 'in'; readonly negated: boolean; readonly value: Expr; readonly list: Expr }
export interface Like extends At { readonly kind: 'like'; readonly value: Expr; readonly pattern: StringLit }
export interface IsNull extends At { readonly kind: 'is_null'; readonly negated: boolean; readonly target: Ident | Path }
export interface Exists extends At { readonly kind: 'exists'; readonly target: Expr }
export interface Call extends At { readonly kind: 'call'; readonly name: FunctionName; readonly args: readonly Expr[] }
/**
 * Plan.g4's Timestamptz comparison, `ts [+|- INTERVAL 'P1D'] op ISO '2025-01-01T00:00:00Z'`
 * or the same written the other way round, normalized so that the field is on the left
 * (`op` flipped for the reverse form). ISO and INTERVAL are keywords only here: a field
 * may be named `iso`.
 */
export interface TzCompare extends At {
  readonly kind: 'tz_compare';
  readonly target: Ident;
  readonly op: CompareOp;
  readonly interval: { readonly sign: 1 | -1; readonly text: string; readonly pos: number } | undefined;
  readonly iso: string;
  readonly isoPos: number;
}

export type Expr =
  | IntLit | FloatLit | BoolLit | StringLit | ArrayLit
  | Ident | Path | Param
  | Unary | Binary | Range | In | Like | IsNull | Exists | Call | TzCompare;

/** The one constructor: every node leaves here frozen. */
export function node<T extends Expr>(n: T): T {
  return Object.freeze(n);
}
