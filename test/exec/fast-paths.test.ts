// Goldens for the executor's columnar fast paths: each filter against a small table,
// checked by the rows it selects; the shapes `like` patterns take; and the predicate
// filter.ts builds, which evaluates a segment once and looks rows up afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFilter, parseFilter } from '../../src/query/expr/index.js';
import { evaluateSegment, evaluateSegmentTri, likeShape } from '../../src/query/exec/index.js';
import { jsonIndexOf, scalarIndexOf } from '../../src/query/exec/scalar-index.js';
import type { IndexMeta } from '../../src/catalog/types.js';
import { resolveFilter } from '../../src/query/filter.js';
import { schemaOf, segmentOf, type Options, type Row } from './gen.js';

// Every field nullable except b (Bool), i8 and s (VarChar); dynamic field on.
const o: Options = { nullable: [false, false, true, true, true, true, true, false, true, true, true], dynamic: true, growing: false };
const schema = schemaOf(o);
//            b      i8    i16   i32          i64                   f                   d     s        j             ai       av     $meta
const rows: Row[] = [
  [true,  1,    10,   -5,          9007199254740993n,    Math.fround(0.1),   0.5,  'abc',   { a: 1 },     [1, 2],  ['a'], { k: 1 }],
  [false, 2,    null, 2,           9007199254740992n,    1,                  null, 'abd',   null,         null,    null,  {}],
  [true,  -128, 20,   3,           -(2n ** 63n),         null,               3,    'xabcx', { a: 'x' },   [],      [],    { k: 'v' }],
  [false, 127,  30,   null,        null,                 2.5,                -0,   '😀ab',  { b: [1] },   [3],     ['b'], {}],
];
const seg = segmentOf(schema, o, rows);

function ids(filter: string): number[] {
  const bits = evaluateSegment(checkFilter(schema, parseFilter(filter)), schema, seg);
  return [...bits.keys()].filter((i) => bits[i] === 1);
}

const goldens: [string, number[]][] = [
  // Comparisons with a constant, as loops over typed arrays.
  ['i8 > 1', [1, 3]],
  ['1 < i8', [1, 3]],
  ['i8 == 127', [3]],
  ['i32 > 9223372036854775807', []],
  ['i64 == 9007199254740993', [0]],
  ['i64 > 9007199254740992', [0]],
  ['i64 < -9223372036854775807', [2]],
  ['f == 0.1', [0]],
  ['f > 1', [3]],
  ['d == 0', [3]],
  ['d < 1e300', [0, 2, 3]],
  ['s > "abc"', [1, 2, 3]],
  ['s < "abd"', [0]],
  ['s >= "\uFFFF"', [3]],
  ['b == true', [0, 2]],
  ['b != true', [1, 3]],
  ['b == true', [0, 2]],
  ['b == false', [1, 3]],
  // in, through a Set of the column's own type.
  ['i8 in [1, 127]', [0, 3]],
  ['i64 in [9007199254740993, -9223372036854775807 - 1]', [0, 2]],
  ['i64 not in [9007199254740993]', [1, 2]],
  ['d in [0.5, 3]', [0, 2]],
  ['d in [0.0]', [3]],
  ['f in [0.1]', [0]],
  ['s in ["abc", "zzz"]', [0]],
  ['s not in ["abc"]', [1, 2, 3]],
  ['b in [false]', [1, 3]],
  // like: prefix, suffix, infix, exact, and the regex for the rest.
  ['s like "ab%"', [0, 1]],
  ['s like "%ab"', [3]],
  ['s like "%abc%"', [0, 2]],
  ['s like "abc"', [0]],
  ['s like "a_c"', [0]],
  ['s like "_ab"', [3]],
  ['s like "%"', [0, 1, 2, 3]],
  // is null from the validity bytes, and three-valued and/or/not.
  ['i32 is null', [3]],
  ['i32 is not null', [0, 1, 2]],
  ['s is null', []],
  ['ai is null', [1]],
  ['not (i32 > 2)', [0, 1]],
  ['i32 > 2 or i16 > 5', [0, 2, 3]],
  // Row 1: i32 > 2 is false and i16 is null, so the or is unknown, and so is its not.
  ['not (i32 > 2 or i16 > 5)', []],
  ['not (i32 > 2 or i8 > 5)', [0, 1]],
  ['not (i32 > 0 and i16 > 5)', [0]],
  ['(i16 > 100) or not (i16 > 100)', [0, 2, 3]],
  ['1 == 1', [0, 1, 2, 3]],
  // Subtrees without a fast path go row by row, inside the same bitset algebra.
  ['i8 < 1 and k == "v"', [2]],
  ['array_contains(ai, 2) or j["a"] == "x"', [0, 2]],
];

for (const [filter, want] of goldens) {
  test(`exec: ${filter}`, () => {
    assert.deepEqual(ids(filter), want);
  });
}

// ---- scalar indexes over sealed segments ----------------------------------------------

function spec(name: string, indexType: string): IndexMeta {
  const f = schema.fields.find((x) => x.name === name)!;
  return { indexId: f.fieldId, indexName: `${name}_idx`, fieldId: f.fieldId, fieldName: name, indexType, params: { index_type: indexType }, createdTs: '0' };
}
const scalarFields = ['b', 'i8', 'i16', 'i32', 'i64', 'f', 'd', 's'];
/** Sorted indexes on the numbers, bitmaps on b and s. */
const sortedSpecs = scalarFields.map((n) => spec(n, n === 'b' || n === 's' ? 'BITMAP' : 'STL_SORT'));
/** Bitmaps on the integers, INVERTED / AUTOINDEX elsewhere. */
const bitmapSpecs = scalarFields.map((n) => spec(n, n.startsWith('i') ? 'BITMAP' : n === 's' ? 'INVERTED' : 'AUTOINDEX'));

function idsWith(filter: string, indexes: readonly IndexMeta[], segment = seg): number[] {
  const bits = evaluateSegment(checkFilter(schema, parseFilter(filter)), schema, segment, indexes);
  return [...bits.keys()].filter((i) => bits[i] === 1);
}

// Every golden gives the same rows when the segment answers from its indexes.
for (const [filter, want] of goldens) {
  test(`exec with scalar indexes: ${filter}`, () => {
    assert.deepEqual(idsWith(filter, sortedSpecs), want, 'sorted');
    assert.deepEqual(idsWith(filter, bitmapSpecs), want, 'bitmap');
  });
}

test('scalar indexes: the kind each spec builds, built once per sealed segment, none on growing ones', () => {
  const col = (n: string) => seg.column(schema.fields.findIndex((f) => f.name === n));
  const field = (n: string) => schema.fields.find((f) => f.name === n)!;
  const fresh = segmentOf(schema, o, rows);
  const i32 = scalarIndexOf(fresh, field('i32'), col('i32'), 4, [spec('i32', 'STL_SORT')]);
  assert.equal(i32?.kind, 'sorted');
  assert.equal(scalarIndexOf(fresh, field('i32'), col('i32'), 4, [spec('i32', 'STL_SORT')]), i32, 'cached');
  // Row 3 is null: left out of the index.
  if (i32?.kind === 'sorted') assert.deepEqual([...i32.order], [0, 1, 2]);
  assert.equal(scalarIndexOf(fresh, field('d'), col('d'), 4, [spec('d', 'AUTOINDEX')])?.kind, 'sorted');
  assert.equal(scalarIndexOf(fresh, field('s'), col('s'), 4, [spec('s', 'INVERTED')])?.kind, 'bitmap');
  assert.equal(scalarIndexOf(fresh, field('b'), col('b'), 4, [spec('b', 'INVERTED')])?.kind, 'bitmap');
  assert.equal(scalarIndexOf(fresh, field('i8'), col('i8'), 4, [spec('i8', 'BITMAP')])?.kind, 'bitmap');
  assert.equal(scalarIndexOf(fresh, field('j'), col('j'), 4, [spec('j', 'INVERTED')]), undefined, 'JSON: no scalar index');
  const growing = segmentOf(schema, { ...o, growing: true }, rows);
  assert.equal(scalarIndexOf(growing, field('i32'), growing.column(schema.fields.findIndex((f) => f.name === 'i32')), 4, [spec('i32', 'STL_SORT')]), undefined);
  // A growing segment scans and still answers the same.
  assert.deepEqual(idsWith('i32 >= 2', sortedSpecs, growing), [1, 2]);
});

test('scalar indexes: nulls stay unknown, NaN matches only !=', () => {
  const d = segmentOf(schema, o, [rows[0]!.map((x, k) => (k === 6 ? NaN : x)), ...rows.slice(1)]);
  for (const specs of [sortedSpecs, bitmapSpecs]) {
    // Row 0 holds NaN, row 1 null, row 2 holds 3, row 3 holds -0.
    assert.deepEqual(idsWith('d != 3', specs, d), [0, 3]);
    assert.deepEqual(idsWith('d == 0', specs, d), [3]);
    assert.deepEqual(idsWith('d in [0, 3]', specs, d), [2, 3]);
    // d and i32 null in row 1 and row 3: not (null op c) is unknown, so neither row is selected.
    assert.deepEqual(idsWith('not (i32 < 3)', specs, d), [2]);
    assert.deepEqual(idsWith('not (d > 100)', specs, d), [0, 2, 3]);
    const tri = evaluateSegmentTri(checkFilter(schema, parseFilter('i32 in [2]')), schema, d, specs);
    assert.deepEqual([...tri.t], [0, 1, 0, 0]);
    assert.deepEqual(tri.n === null ? null : [...tri.n], [0, 0, 0, 1]);
  }
  // Sorted only: order and ranges by binary search.
  assert.deepEqual(idsWith('d < 3', sortedSpecs, d), [3]);
  assert.deepEqual(idsWith('-1 <= i64 < 9007199254740993', sortedSpecs, d), [1]);
  assert.deepEqual(idsWith('i16 > 10 and i16 <= 30', sortedSpecs, d), [2, 3]);
  assert.deepEqual(idsWith('i8 >= -128', sortedSpecs, d), [0, 1, 2, 3]);
});

test('scalar indexes: prefix like from the sorted values, array_contains from an inverted index', () => {
  // s (not null) sorted in code-point order: 'a' < 'ab\uFFFF' < 'ab😀' < 'abc' < 'abd' < 'b'.
  const s = ['abc', 'ab\uFFFF', 'ab😀', 'b', 'a', 'abd'];
  const ai = [[1, 2], null, [], [3], [2, '9007199254740993', 2], [-1]];
  const av = [['a'], null, [], ['b'], ['a', 'b', 'a'], ['é']];
  const six = segmentOf(schema, o, s.map((_, i) => rows[i % 4]!.map((x, k) => (k === 7 ? s[i] : k === 9 ? ai[i] : k === 10 ? av[i] : x))));
  const cases: [string, number[]][] = [
    ['s like "ab%"', [0, 1, 2, 5]],
    ['s like "abc%"', [0]],
    ['s like "a%%"', [0, 1, 2, 4, 5]],
    ['s like "zz%"', []],
    ['s like "a"', [4]],
    ['s like ""', []],
    ['not (s like "ab%")', [3, 4]],
    ['s like "%b%"', [0, 1, 2, 3, 5]],
    ['array_contains(ai, 2)', [0, 4]],
    ['array_contains_any(ai, [2.0])', [0, 4]],
    ['array_contains(ai, 9007199254740993)', [4]],
    ['array_contains_any(ai, [3, 9007199254740993])', [3, 4]],
    ['array_contains_any(ai, [])', []],
    ['array_contains_all(ai, [2, 9007199254740993])', [4]],
    ['array_contains_all(ai, [1, 2])', [0]],
    ['array_contains_all(ai, [2, 5])', []],
    // An empty list is answered for every row at once, as segcore does, row 1's null array too.
    ['array_contains_all(ai, [])', [0, 1, 2, 3, 4, 5]],
    ['not array_contains_all(ai, [])', []],
    // Row 1's array is null: unknown, under not as well.
    ['not array_contains(ai, 2)', [2, 3, 5]],
    ['array_contains(av, "a")', [0, 4]],
    ['array_contains_all(av, ["a", "b"])', [4]],
    ['array_contains_any(av, ["é", "b"])', [3, 4, 5]],
  ];
  const specSets = [
    [spec('s', 'Trie'), spec('ai', 'INVERTED'), spec('av', 'BITMAP')],
    [spec('s', 'INVERTED'), spec('ai', 'AUTOINDEX'), spec('av', 'INVERTED')],
    [spec('s', 'BITMAP'), spec('ai', 'BITMAP'), spec('av', 'AUTOINDEX')],
  ];
  for (const [filter, want] of cases) {
    assert.deepEqual(idsWith(filter, [], six), want, `${filter} (scan)`);
    for (const specs of specSets) assert.deepEqual(idsWith(filter, specs, six), want, `${filter} with ${specs.map((x) => x.indexType).join(',')}`);
  }
  const field = (n: string) => schema.fields.find((f) => f.name === n)!;
  const col = (n: string) => six.column(schema.fields.findIndex((f) => f.name === n));
  const ix = scalarIndexOf(six, field('ai'), col('ai'), 6, [spec('ai', 'INVERTED')]);
  assert.equal(ix?.kind, 'array');
  // Row 4 holds 2 twice: listed once.
  if (ix?.kind === 'array') assert.deepEqual(ix.rowsOf.get(2), [0, 4]);
  assert.equal(scalarIndexOf(six, field('s'), col('s'), 6, [spec('s', 'Trie')])?.kind, 'bitmap');
});

test('like patterns take the fast shape they spell', () => {
  assert.deepEqual(likeShape('abc%'), { kind: 'prefix', text: 'abc' });
  assert.deepEqual(likeShape('%abc'), { kind: 'suffix', text: 'abc' });
  assert.deepEqual(likeShape('%%abc%%'), { kind: 'infix', text: 'abc' });
  assert.deepEqual(likeShape('abc'), { kind: 'exact', text: 'abc' });
  assert.deepEqual(likeShape('%'), { kind: 'suffix', text: '' });
  assert.deepEqual(likeShape(''), { kind: 'exact', text: '' });
  for (const p of ['a_c', 'a%c', 'a\\%', '\\_%', '%😀', 'x\\y']) assert.deepEqual(likeShape(p), { kind: 'regex' }, p);
});

test('the filter predicate evaluates a segment once and sees rows appended later', () => {
  const growing = segmentOf(schema, { ...o, growing: true }, rows.slice(0, 2));
  const f = resolveFilter(schema, 'i8 >= 2');
  assert.equal(f.kind, 'predicate');
  if (f.kind !== 'predicate') return;
  assert.deepEqual([0, 1].map((r) => f.test(growing, r)), [false, true]);
  // Two more rows arrive while the read is running: the row past the cached end
  // evaluates the segment again, and the earlier answers stay.
  const more = segmentOf(schema, o, rows.slice(2));
  growing.append(more.columns(), [2, 3], 0, 2, 2n, 1);
  assert.deepEqual([0, 1, 2, 3].map((r) => f.test(growing, r)), [false, true, false, true]);
  assert.deepEqual([0, 1, 2, 3].map((r) => f.test(seg, r)), [false, true, false, true]);
});

// ---- JSON path indexes (INVERTED with json_path / json_cast_type) ----------------------

function jsonSpec(path: string, cast: string): IndexMeta {
  const f = schema.fields.find((x) => x.name === 'j')!;
  return { indexId: 77, indexName: 'j_idx', fieldId: f.fieldId, fieldName: 'j', indexType: 'INVERTED', params: { index_type: 'INVERTED', json_path: path, json_cast_type: cast }, createdTs: '0' };
}

// Row 0 j = {a: 1}, row 1 null, row 2 {a: "x"}, row 3 {b: [1]}.
const jsonGoldens: [string, string, number[]][] = [
  ['DOUBLE', 'j["a"] == 1', [0]],
  ['DOUBLE', 'j["a"] < 1.5', [0]],
  ['DOUBLE', 'j["a"] >= 2', []],
  ['DOUBLE', 'j["a"] != 1', [2, 3]],
  ['DOUBLE', 'not (j["a"] < 1.5)', [2, 3]],
  ['DOUBLE', 'j["a"] in [1, 2]', [0]],
  ['DOUBLE', 'j["a"] == "x"', [2]],
  ['DOUBLE', '0 < j["a"] <= 1', [0]],
  ['VARCHAR', 'j["a"] == "x"', [2]],
  ['VARCHAR', 'j["a"] != "x"', [0, 3]],
  ['VARCHAR', 'j["a"] in ["x", "y"]', [2]],
  ['VARCHAR', 'j["a"] < "y"', [2]],
  ['BOOL', 'j["a"] == true', []],
  ['ARRAY_DOUBLE', 'j["a"] == 1', [0]],
];

for (const [cast, filter, want] of jsonGoldens) {
  test(`exec with a JSON path index (${cast}): ${filter}`, () => {
    assert.deepEqual(ids(filter), want, 'scan');
    for (const max of [0, 0.5, 1]) {
      const bits = evaluateSegment(checkFilter(schema, parseFilter(filter)), schema, seg, [jsonSpec('j["a"]', cast)], { indexSelectivityMax: max });
      assert.deepEqual([...bits.keys()].filter((i) => bits[i] === 1), want, `threshold ${max}`);
    }
  });
}

test('JSON path indexes: built per sealed segment for DOUBLE / VARCHAR / BOOL on the exact path only', () => {
  const j = schema.fields.find((f) => f.name === 'j')!;
  const col = seg.column(schema.fields.indexOf(j));
  const fresh = segmentOf(schema, o, rows);
  const ix = jsonIndexOf(fresh, j, col, ['a'], 4, [jsonSpec('j["a"]', 'DOUBLE')]);
  assert.equal(ix?.cast, 'DOUBLE');
  assert.deepEqual([...ix!.order], [0]);
  assert.deepEqual([...ix!.unknown!], [0, 1, 0, 0]);
  assert.equal(jsonIndexOf(fresh, j, col, ['a'], 4, [jsonSpec('j["a"]', 'DOUBLE')]), ix, 'cached');
  assert.deepEqual([...jsonIndexOf(fresh, j, col, ['a'], 4, [jsonSpec('j["a"]', 'VARCHAR')])!.rowsOf], [['x', [2]]]);
  assert.equal(jsonIndexOf(fresh, j, col, ['b'], 4, [jsonSpec('j["a"]', 'DOUBLE')]), undefined, 'other path');
  assert.equal(jsonIndexOf(fresh, j, col, ['a'], 4, [jsonSpec('j["a"]', 'ARRAY_DOUBLE')]), undefined, 'array cast');
  const growing = segmentOf(schema, { ...o, growing: true }, rows);
  assert.equal(jsonIndexOf(growing, j, col, ['a'], 4, [jsonSpec('j["a"]', 'DOUBLE')]), undefined, 'growing');
});

// Several indexes on one JSON field (one per path) and indexes on keys of the dynamic
// field, recorded as createIndex records them: jsonPath and jsonCastType, the user's own
// json_path and json_cast_type in params.
function pathSpec(field: string, path: (string | number)[], cast: string, id: number): IndexMeta {
  const f = schema.fields.find((x) => x.name === field)!;
  return {
    indexId: id, indexName: `${field}_${id}`, fieldId: f.fieldId, fieldName: field, indexType: 'INVERTED',
    params: { index_type: 'INVERTED', json_cast_type: cast.toLowerCase() }, jsonPath: path, jsonCastType: cast, createdTs: '0',
  };
}

// $meta: row 0 {k: 1}, row 1 {}, row 2 {k: "v"}, row 3 {}. j as above.
const severalGoldens: [IndexMeta[], string, number[]][] = [
  [[pathSpec('$meta', ['k'], 'DOUBLE', 1)], 'k == 1', [0]],
  [[pathSpec('$meta', ['k'], 'DOUBLE', 1)], '$meta["k"] != 1', [1, 2, 3]],
  [[pathSpec('$meta', ['k'], 'DOUBLE', 1)], 'k >= 0.5', [0]],
  [[pathSpec('$meta', ['k'], 'DOUBLE', 1)], 'k == "v"', [2]],
  [[pathSpec('$meta', ['k'], 'VARCHAR', 1)], 'k == "v"', [2]],
  [[pathSpec('$meta', ['k'], 'VARCHAR', 1)], 'k in ["v", "w"]', [2]],
  [[pathSpec('$meta', ['k'], 'VARCHAR', 1)], 'not (k != "v")', [2]],
  [[pathSpec('j', ['a'], 'DOUBLE', 1), pathSpec('j', ['b', 0], 'DOUBLE', 2), pathSpec('$meta', ['k'], 'VARCHAR', 3)], 'j["a"] == 1 or j["b"][0] == 1 or k == "v"', [0, 2, 3]],
  [[pathSpec('j', ['a'], 'DOUBLE', 1), pathSpec('j', ['b', 0], 'DOUBLE', 2)], 'j["a"] != 1 and j["b"][0] != 1', [2]],
];

for (const [specs, filter, want] of severalGoldens) {
  test(`exec with JSON path indexes (${specs.map((x) => `${x.fieldName}${JSON.stringify(x.jsonPath)} ${x.jsonCastType}`).join(', ')}): ${filter}`, () => {
    assert.deepEqual(ids(filter), want, 'scan');
    for (const max of [0, 0.5, 1]) {
      const bits = evaluateSegment(checkFilter(schema, parseFilter(filter)), schema, seg, specs, { indexSelectivityMax: max });
      assert.deepEqual([...bits.keys()].filter((i) => bits[i] === 1), want, `threshold ${max}`);
    }
  });
}

test('JSON path indexes: one per path of a field, and on the dynamic field read as $meta is read', () => {
  const j = schema.fields.find((f) => f.name === 'j')!;
  const meta = schema.fields.find((f) => f.isDynamic)!;
  const fresh = segmentOf(schema, o, rows);
  const specs = [pathSpec('j', ['a'], 'DOUBLE', 1), pathSpec('j', ['b', 0], 'DOUBLE', 2), pathSpec('$meta', ['k'], 'VARCHAR', 3)];
  const jcol = fresh.column(schema.fields.indexOf(j));
  assert.deepEqual([...jsonIndexOf(fresh, j, jcol, ['a'], 4, specs)!.order], [0]);
  assert.deepEqual([...jsonIndexOf(fresh, j, jcol, ['b', 0], 4, specs)!.order], [3]);
  assert.equal(jsonIndexOf(fresh, j, jcol, ['b'], 4, specs), undefined, 'no index on that path');
  const ix = jsonIndexOf(fresh, meta, fresh.column(schema.fields.indexOf(meta)), ['k'], 4, specs)!;
  assert.deepEqual([...ix.rowsOf], [['v', [2]]]);
  assert.equal(ix.unknown, null, 'the dynamic field is never null');
  // A spec on the dynamic field does not answer the JSON field's paths, nor the other way round.
  assert.equal(jsonIndexOf(fresh, j, jcol, ['k'], 4, specs), undefined);
});

test('range merging: two range comparisons on one sorted-indexed field are one lookup, same rows', () => {
  for (const [filter, want] of [
    ['-10 < i32 <= 2', [0, 1]], ['2 <= i32 < 3', [1]], ['i32 > -5 and i32 >= 3 and i8 < 100', [2]],
    ['0 < i64 < 9007199254740993', [1]], ['0.5 <= d < 3.5 and d > 0.1', [0, 2]], ['i32 > 3 and i32 < 2', []],
    ['i16 >= 10 and i16 <= 25', [0, 2]],
  ] as [string, number[]][]) {
    assert.deepEqual(ids(filter), want, filter);
    for (const max of [0, 0.5, 1]) {
      const bits = evaluateSegment(checkFilter(schema, parseFilter(filter)), schema, seg, sortedSpecs, { indexSelectivityMax: max });
      assert.deepEqual([...bits.keys()].filter((i) => bits[i] === 1), want, `${filter} at ${max}`);
    }
  }
});
