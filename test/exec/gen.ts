// Random collections, rows and well-typed filters for the executor's differential test.
// A scenario is a schema (every filterable kind, each field nullable or not, dynamic
// field on or off), 1–40 rows in that schema, and filters generated as parse trees over
// every operator and function, printed with printFilter so that they go through the
// parser and checker exactly as a user's text does.
import fc from 'fast-check';
import { DataType, type CollectionSchema, type FieldSchema, type IndexMeta } from '../../src/catalog/types.js';
import type { Expr } from '../../src/query/expr/index.js';
import type { Column } from '../../src/segments/columns.js';
import { Segment } from '../../src/segments/segment.js';

type Kind = 'b' | 'i8' | 'i16' | 'i32' | 'i64' | 'f' | 'd' | 's' | 'j' | 'ai' | 'av';
const kinds: readonly [Kind, DataType, DataType?][] = [
  ['b', DataType.Bool], ['i8', DataType.Int8], ['i16', DataType.Int16], ['i32', DataType.Int32],
  ['i64', DataType.Int64], ['f', DataType.Float], ['d', DataType.Double], ['s', DataType.VarChar],
  ['j', DataType.JSON], ['ai', DataType.Array, DataType.Int64], ['av', DataType.Array, DataType.VarChar],
];

export interface Options { readonly nullable: readonly boolean[]; readonly dynamic: boolean; readonly growing: boolean }

export const options: fc.Arbitrary<Options> = fc.record({
  nullable: fc.array(fc.boolean(), { minLength: kinds.length, maxLength: kinds.length }),
  dynamic: fc.boolean(),
  growing: fc.boolean(),
});

function field(fieldId: number, name: string, type: DataType, extra: Partial<FieldSchema> = {}): FieldSchema {
  return { fieldId, name, description: '', type, isPrimary: false, autoId: false, nullable: false, isPartitionKey: false, isDynamic: false, ...extra };
}

export function schemaOf(o: Options): CollectionSchema {
  const fields = [field(1, 'id', DataType.Int64, { isPrimary: true })];
  kinds.forEach(([name, type, elementType], k) => {
    fields.push(field(10 + k, name, type, { nullable: o.nullable[k]!, ...(elementType !== undefined ? { elementType, maxCapacity: 8 } : {}), ...(type === DataType.VarChar ? { maxLength: 64 } : {}) }));
  });
  if (o.dynamic) fields.push(field(99, '$meta', DataType.JSON, { isDynamic: true }));
  return { fields, enableDynamicField: o.dynamic, description: '' };
}

// ---- data -------------------------------------------------------------------------

const chars = ['a', 'b', 'c', '%', '_', '\\', 'é', '😀', '\uFFFD', '\n'];
const str = fc.oneof(
  fc.constantFrom('', 'a', 'ab', 'abc', 'b', 'ba', 'abcab'),
  fc.array(fc.constantFrom(...chars), { maxLength: 4 }).map((a) => a.join('')),
);
const bigs = [2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
const i64 = fc.oneof(fc.bigInt({ min: -3n, max: 3n }), fc.constantFrom(...bigs));
const smallInt = (lo: number, hi: number) => fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(lo, hi));
const floats = [0, -0, 0.5, -1.25, 0.1, 1, 2, 3.5, 1e10, -7];
const jsonScalar = fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constantFrom(0.5, -1.25, 2 ** 53, 2 ** 53 + 2), str, fc.boolean(), fc.constant(null));
const jsonKey = fc.constantFrom('a', 'b', 'c');
const { json } = fc.letrec((tie) => ({
  json: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    jsonScalar,
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(jsonKey, tie('json'), { maxKeys: 3 })),
}));
const jsonDoc = fc.oneof({ weight: 4, arbitrary: fc.dictionary(jsonKey, json, { maxKeys: 3 }) }, { weight: 1, arbitrary: json });

const valueOf: Record<Kind, fc.Arbitrary<unknown>> = {
  b: fc.boolean(),
  i8: smallInt(-128, 127),
  i16: smallInt(-32768, 32767),
  i32: smallInt(-(2 ** 31), 2 ** 31 - 1),
  i64,
  f: fc.constantFrom(...floats).map(Math.fround),
  d: fc.constantFrom(...floats, 2 ** 53, 2 ** 53 + 2, 1e300),
  s: str,
  j: jsonDoc,
  // Int64 elements beyond 2^53 arrive as decimal strings, as valueAt hands them out.
  ai: fc.array(fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant('9007199254740993')), { maxLength: 4 }),
  av: fc.array(fc.constantFrom('a', 'b', 'ab', 'é', ''), { maxLength: 4 }),
};

export type Row = readonly unknown[];

/** One row: a value (or null) per kind, then the dynamic fields. */
export function rowOf(o: Options): fc.Arbitrary<Row> {
  const cells = kinds.map(([k], i) => (o.nullable[i] ? fc.option(valueOf[k], { nil: null, freq: 4 }) : valueOf[k]));
  return fc.tuple(...cells, fc.dictionary(fc.constantFrom('a', 'k', 'x'), json, { maxKeys: 3 }));
}

/** Builds a sealed or growing segment holding `rows` in `schema`'s column layout. */
export function segmentOf(schema: CollectionSchema, o: Options, rows: readonly Row[]): Segment {
  const n = rows.length;
  const columns: Column[] = schema.fields.map((f, c) => {
    const cell = (r: Row) => (c === 0 ? null : f.isDynamic ? r[kinds.length] : r[c - 1]);
    const valid = f.nullable ? Uint8Array.from(rows, (r) => (cell(r) === null ? 0 : 1)) : undefined;
    let values: Column['values'];
    switch (f.type) {
      case DataType.Bool: values = Uint8Array.from(rows, (r) => (cell(r) ? 1 : 0)); break;
      case DataType.Int8: values = Int8Array.from(rows, (r) => (cell(r) as number) ?? 0); break;
      case DataType.Int16: values = Int16Array.from(rows, (r) => (cell(r) as number) ?? 0); break;
      case DataType.Int32: values = Int32Array.from(rows, (r) => (cell(r) as number) ?? 0); break;
      case DataType.Int64: values = BigInt64Array.from(rows, (r, i) => (c === 0 ? BigInt(i) : (cell(r) as bigint) ?? 0n)); break;
      case DataType.Float: values = Float32Array.from(rows, (r) => (cell(r) as number) ?? 0); break;
      case DataType.Double: values = Float64Array.from(rows, (r) => (cell(r) as number) ?? 0); break;
      default: values = rows.map(cell);
    }
    return valid ? { fieldId: f.fieldId, values, valid } : { fieldId: f.fieldId, values };
  });
  const init = { id: 1, partitionId: 1, shard: 0, schema, startOffset: 0 };
  const pks = rows.map((_, i) => i);
  if (!o.growing) return Segment.sealedFrom(init, columns, pks, new BigInt64Array(n), 0);
  const seg = new Segment(init);
  seg.append(columns, pks, 0, n, 1n, 0);
  return seg;
}

// ---- filters ------------------------------------------------------------------------

const at = { pos: 0 };
const int = (v: bigint): Expr => ({ kind: 'int', value: v, ...at });
const flt = (v: number): Expr => ({ kind: 'float', value: v, ...at });
const lit = {
  int: fc.oneof(fc.bigInt({ min: -3n, max: 3n }), fc.constantFrom(127n, -128n, 2n ** 31n - 1n, ...bigs.filter((b) => b > 0n))).map(int),
  float: fc.constantFrom(0.5, -1.25, 0.1, 2.0, 1e10, 3.0000001, 9007199254740994).map(flt),
  string: str.map((v): Expr => ({ kind: 'string', value: v, ...at })),
  bool: fc.boolean().map((v): Expr => ({ kind: 'bool', value: v, ...at })),
};
const number = fc.oneof(lit.int, lit.float);
const scalar = fc.oneof(lit.int, lit.float, lit.string, lit.bool);
const list = (item: fc.Arbitrary<Expr>) => fc.array(item, { maxLength: 4 }).map((items): Expr => ({ kind: 'array', items, ...at }));

const ident = (name: string): Expr => ({ kind: 'ident', name, ...at });
const path = (name: string, p: readonly (string | number)[]): Expr => ({ kind: 'path', name, path: p, ...at });
const compareOps = ['==', '!=', '<', '<=', '>', '>='] as const;
const binary = (op: string, left: Expr, right: Expr): Expr => ({ kind: 'binary', op: op as 'and', left, right, ...at });
const call = (name: string, ...args: Expr[]): Expr => ({ kind: 'call', name: name as 'array_length', args, ...at });

/** Filters over `o`'s schema: depth up to 3 of and/or/not over leaf conditions. */
export function filterOf(o: Options): fc.Arbitrary<Expr> {
  const keyPath = fc.array(fc.oneof(jsonKey, fc.constantFrom(0, 1)), { minLength: 1, maxLength: 2 });
  // The paths indexesOf may index (j["a"], j["a"]["b"], j[0]) come up often, so that JSON path indexes answer leaves.
  const indexedPath = fc.constantFrom(path('j', ['a']), path('j', ['a', 'b']), path('j', [0]));
  const jsonRefs: fc.Arbitrary<Expr>[] = [keyPath.map((p) => path('j', p)), fc.constant(ident('j')), indexedPath];
  if (o.dynamic) {
    jsonRefs.push(fc.constantFrom('a', 'k', 'x').map(ident));
    jsonRefs.push(keyPath.map((p) => path('$meta', p)));
    jsonRefs.push(fc.tuple(fc.constantFrom('a', 'k'), keyPath).map(([k, p]) => path(k, p)));
  }
  const jsonRef = fc.oneof(...jsonRefs);
  const numField = fc.constantFrom('i8', 'i16', 'i32', 'i64', 'f', 'd').map(ident);
  const intField = fc.constantFrom('i8', 'i16', 'i32', 'i64').map(ident);
  const floatField = fc.constantFrom('f', 'd').map(ident);
  const arrField = fc.constantFrom('ai', 'av').map(ident);
  const elem = (name: string) => fc.integer({ min: 0, max: 4 }).map((i) => path(name, [i]));
  // Milvus's typing (query/expr/check.ts): an integer field (or element) meets integer
  // constants; a float field or a JSON path any number; arithmetic is one of them with one
  // constant (the constant first only for + and *), compared with a constant of its type;
  // ** and constant-only arithmetic fold.
  const intRef = fc.oneof({ weight: 4, arbitrary: intField }, { weight: 1, arbitrary: elem('ai') });
  const anyNumRef = fc.oneof(floatField, jsonRef);
  const arith = (ref: fc.Arbitrary<Expr>, k: fc.Arbitrary<Expr>, ops: readonly string[]) =>
    fc.tuple(fc.constantFrom(...ops), ref, k, fc.boolean()).map(([op, f, c, first]) =>
      (first && (op === '+' || op === '*') ? binary(op, c, f) : binary(op, f, c)));
  const folded = fc.tuple(fc.constantFrom('+', '-', '*', '**'), number, number).map(([op, a, b]) => binary(op, a, b));
  // [a value side, the constants it is compared with]
  const numSides: [fc.Arbitrary<Expr>, fc.Arbitrary<Expr>][] = [
    [intRef, lit.int],
    [anyNumRef, number],
    [arith(intRef, lit.int, ['+', '-', '*', '/', '%']), lit.int],
    [arith(floatField, number, ['+', '-', '*', '/']), number],
    [arith(jsonRef, lit.int, ['+', '-', '*', '/', '%']), lit.int],
    [arith(jsonRef, lit.float, ['+', '-', '*', '/']), number],
    [fc.oneof(arrField, jsonRef).map((t) => call('array_length', t)), lit.int],
    [floatField, fc.oneof(number, folded)],
  ];
  const strRef = fc.oneof({ weight: 4, arbitrary: fc.constant(ident('s')) }, { weight: 2, arbitrary: jsonRef }, { weight: 1, arbitrary: elem('av') });
  const rangeTarget = fc.oneof(numField, jsonRef);
  const likePattern = fc.oneof(
    fc.tuple(fc.constantFrom('', '%'), str, fc.constantFrom('', '%')).map(([a, s, b]) => a + s + b),
    fc.array(fc.constantFrom('a', 'b', '%', '_', '\\%', '\\_', 'é', '😀'), { maxLength: 4 }).map((a) => a.join('')),
  ).map((v) => ({ kind: 'string' as const, value: v, ...at }));
  const nullTarget = fc.oneof(
    fc.constantFrom('b', 'i8', 'i16', 'i32', 'i64', 'f', 'd', 's', 'j', 'ai', 'av').map(ident),
    elem('ai'), jsonRef.filter((e) => e.kind === 'ident' || e.kind === 'path'),
  );
  const cmp = (l: fc.Arbitrary<Expr>, r: fc.Arbitrary<Expr>, ops: readonly string[] = compareOps) =>
    fc.tuple(fc.constantFrom(...ops), l, r).map(([op, a, b]) => binary(op, a, b));
  const inList = (v: fc.Arbitrary<Expr>, item: fc.Arbitrary<Expr>) =>
    fc.tuple(fc.boolean(), v, list(item)).map(([negated, value, l]): Expr => ({ kind: 'in', negated, value, list: l, ...at }));
  const leaf = fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...numSides.map(([v, k]) => fc.oneof(cmp(v, k), cmp(k, v)))) },
    { weight: 1, arbitrary: fc.oneof(cmp(intField, intField), cmp(floatField, numField), cmp(fc.constant(ident('s')), fc.constant(ident('s')))) },
    { weight: 3, arbitrary: fc.oneof(cmp(strRef, lit.string), cmp(lit.string, strRef)) },
    { weight: 2, arbitrary: fc.oneof(cmp(fc.constant(ident('b')), lit.bool, ['==', '!=']), cmp(lit.bool, fc.constant(ident('b')), ['==', '!='])) },
    { weight: 1, arbitrary: cmp(fc.constant(ident('ai')), list(lit.int), ['==', '!=']) },
    { weight: 2, arbitrary: cmp(jsonRef, scalar) },
    { weight: 2, arbitrary: fc.tuple(fc.boolean(), fc.oneof(lit.int, fc.constant(int(-1n))), rangeTarget, fc.oneof(lit.int, fc.constant(int(127n))), fc.boolean(), fc.boolean()).map(([up, lo, target, hi, s1, s2]): Expr => ({
      kind: 'range', lower: lo, target: target as Extract<Expr, { kind: 'ident' | 'path' }>, upper: hi,
      lowerOp: up ? (s1 ? '<' : '<=') : (s1 ? '>' : '>='), upperOp: up ? (s2 ? '<' : '<=') : (s2 ? '>' : '>='), ...at,
    })) },
    { weight: 4, arbitrary: fc.oneof(
      inList(intField, lit.int), inList(floatField, number), inList(fc.constant(ident('s')), lit.string), inList(fc.constant(ident('b')), lit.bool),
      inList(jsonRef, scalar), inList(elem('ai'), lit.int)) },
    { weight: 3, arbitrary: fc.tuple(strRef, likePattern).map(([value, pattern]): Expr => ({ kind: 'like', value, pattern, ...at })) },
    { weight: 3, arbitrary: fc.tuple(fc.boolean(), nullTarget).map(([negated, target]): Expr => ({ kind: 'is_null', negated, target: target as Extract<Expr, { kind: 'ident' }>, ...at })) },
    { weight: 1, arbitrary: jsonRef.filter((e) => e.kind !== 'ident' || e.name !== 'j').map((target): Expr => ({ kind: 'exists', target, ...at })) },
    { weight: 1, arbitrary: fc.oneof(cmp(jsonRef, list(scalar)), cmp(arrField.filter((e) => e.kind === 'ident' && e.name === 'ai'), fc.array(lit.int, { minLength: 1, maxLength: 3 }).map((items): Expr => ({ kind: 'array', items, ...at })), ['==', '!='])) },
    { weight: 3, arbitrary: fc.oneof(
      fc.tuple(jsonRef, scalar).map(([t, v]) => call('json_contains', t, v)),
      fc.tuple(fc.constantFrom('json_contains_all', 'json_contains_any'), jsonRef, list(scalar)).map(([f, t, l]) => call(f, t, l)),
      fc.tuple(fc.constantFrom('array_contains', 'array_contains_all', 'array_contains_any'), fc.boolean(), lit.int, list(lit.int), lit.string, list(lit.string))
        .map(([f, ints, i, li, s, ls]) => (f === 'array_contains' ? call(f, ident(ints ? 'ai' : 'av'), ints ? i : s) : call(f, ident(ints ? 'ai' : 'av'), ints ? li : ls)))) },
    { weight: 3, arbitrary: fc.oneof(cmp(indexedPath, scalar), cmp(scalar, indexedPath), inList(indexedPath, number), inList(indexedPath, lit.string), inList(indexedPath, lit.bool)) },
  );
  const { cond } = fc.letrec((tie) => ({
    cond: fc.oneof({ depthSize: 'small', withCrossShrink: true, maxDepth: 3 },
      leaf,
      fc.tuple(fc.constantFrom('and', 'or'), tie('cond'), tie('cond')).map(([op, l, r]) => binary(op, l as Expr, r as Expr)),
      tie('cond').map((x): Expr => ({ kind: 'unary', op: 'not', operand: x as Expr, ...at }))),
  }));
  return cond;
}

// ---- index specs ----------------------------------------------------------------------

/** Scalar index types a field of each type may carry (exec/scalar-index.ts builds them on sealed segments). */
function indexTypesOf(t: DataType): readonly string[] {
  switch (t) {
    case DataType.Bool: return ['BITMAP', 'INVERTED', 'AUTOINDEX'];
    case DataType.Int8: case DataType.Int16: case DataType.Int32: case DataType.Int64:
      return ['STL_SORT', 'INVERTED', 'AUTOINDEX', 'BITMAP'];
    case DataType.Float: case DataType.Double: return ['STL_SORT', 'INVERTED', 'AUTOINDEX'];
    case DataType.VarChar: return ['BITMAP', 'INVERTED', 'AUTOINDEX', 'Trie', 'STL_SORT'];
    // Array<Int64> and Array<VarChar>: an inverted index of the elements.
    case DataType.Array: return ['INVERTED', 'AUTOINDEX', 'BITMAP'];
    default: return [];
  }
}

/** An index spec on every indexable scalar field of `schema` (not the primary key), each of a random type. */
export function indexesOf(schema: CollectionSchema): fc.Arbitrary<IndexMeta[]> {
  const fields = schema.fields.filter((f) => !f.isPrimary && !f.isDynamic && indexTypesOf(f.type).length > 0);
  const j = schema.fields.find((f) => f.type === DataType.JSON && !f.isDynamic)!;
  const dyn = schema.fields.find((f) => f.isDynamic);
  const cast = fc.constantFrom('DOUBLE', 'VARCHAR', 'BOOL', 'ARRAY_DOUBLE');
  // The JSON field: up to three INVERTED indexes on distinct paths the filters use, each
  // with a cast type (ARRAY_DOUBLE: never used), recorded either as this version records
  // them (jsonPath, jsonCastType; the user's own json_path and json_cast_type) or as the
  // previous one did (json_path `j["a"]` and an upper-case cast type only).
  const jPaths: ReadonlyArray<readonly (string | number)[]> = [['a'], ['a', 'b'], [0]];
  const jsonSpecs = fc.uniqueArray(fc.tuple(fc.nat(jPaths.length - 1), cast, fc.boolean()), { maxLength: 3, selector: ([p]) => p });
  // The dynamic field: up to two on keys the filters use (`a`, `$meta["k"][0]`, ...).
  const dPaths: ReadonlyArray<readonly (string | number)[]> = [['a'], ['k'], ['a', 'b'], ['k', 0]];
  const dynSpecs = dyn === undefined ? fc.constant([] as Array<[number, string, boolean]>)
    : fc.uniqueArray(fc.tuple(fc.nat(dPaths.length - 1), cast, fc.constant(true)), { maxLength: 2, selector: ([p]) => p });
  const jsonIndex = (f: FieldSchema, path: readonly (string | number)[], c: string, current: boolean, id: number): IndexMeta => {
    const text = `${f.name}${path.map((k) => `[${JSON.stringify(k)}]`).join('')}`;
    return current
      ? { indexId: id, indexName: `${f.name}_${id}`, fieldId: f.fieldId, fieldName: f.name, indexType: 'INVERTED',
        params: { index_type: 'INVERTED', json_path: text, json_cast_type: c.toLowerCase() }, jsonPath: path, jsonCastType: c, createdTs: '0' }
      : { indexId: id, indexName: `${f.name}_${id}`, fieldId: f.fieldId, fieldName: f.name, indexType: 'INVERTED',
        params: { index_type: 'INVERTED', json_path: text, json_cast_type: c }, createdTs: '0' };
  };
  return fc.tuple(fc.tuple(...fields.map((f) => fc.constantFrom(...indexTypesOf(f.type)))), jsonSpecs, dynSpecs).map(([types, js, ds]) => [
    ...fields.map((f, i): IndexMeta => ({
      indexId: 100 + i, indexName: `${f.name}_idx`, fieldId: f.fieldId, fieldName: f.name,
      indexType: types[i]!, params: { index_type: types[i]! }, createdTs: '0',
    })),
    ...js.map(([p, c, current], k) => jsonIndex(j, jPaths[p]!, c, current, 90 + k)),
    ...ds.map(([p, c], k) => jsonIndex(dyn!, dPaths[p]!, c, true, 80 + k)),
  ]);
}
