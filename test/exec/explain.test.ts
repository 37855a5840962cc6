// Goldens of explainFilter's plan text (exec/explain.ts): the checked tree indented, each
// leaf with its access path — index (type, kind, field), scan, or row-by-row with the
// reason — without and with index specs, and with segments the per-path segment counts
// and the indexes' estimates of the matching rows, including a leaf the planner sends to
// a scan because its estimate is above indexSelectivityMax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexMeta } from '../../src/catalog/types.js';
import { explainFilter } from '../../src/query/exec/index.js';
import { schemaOf, segmentOf, type Options, type Row } from './gen.js';

const o: Options = { nullable: [false, false, true, true, true, true, true, false, true, true, true], dynamic: true, growing: false };
const schema = schemaOf(o);
//  b      i8  i16   i32   i64  f  d     s       j         ai      av     $meta
const rows: Row[] = [
  [true,  1, 10,   1,    1n,  1, 0.5,  'abc',  { a: 1 },  [1, 2], ['a'], { k: 1 }],
  [false, 2, null, 2,    2n,  1, null, 'abd',  null,      null,   null,  {}],
  [true,  3, 20,   3,    3n,  1, 3,    'xab',  { a: 2 },  [],     [],    {}],
  [false, 4, 30,   null, 4n,  1, 0,    'abx',  { b: 1 },  [3],    ['b'], {}],
];
const sealed = segmentOf(schema, o, rows);
const sealed2 = segmentOf(schema, o, rows);
const growing = segmentOf(schema, { ...o, growing: true }, rows);

function spec(name: string, indexType: string): IndexMeta {
  const f = schema.fields.find((x) => x.name === name)!;
  return { indexId: f.fieldId, indexName: `${name}_idx`, fieldId: f.fieldId, fieldName: name, indexType, params: { index_type: indexType }, createdTs: '0' };
}
const indexes = [spec('i64', 'STL_SORT'), spec('s', 'BITMAP'), spec('ai', 'INVERTED'), spec('i8', 'BITMAP')];

const DUMP_NONE = [
  "AND",
  "  i64 > 3",
  "    -> scan i64",
  "  OR",
  "    s like \"ab%\"",
  "      -> scan s",
  "    j[\"a\"] == 1",
  "      -> row-by-row (JSON path)",
  "  NOT",
  "    (i32 + 1) == 3",
  "      -> row-by-row (arithmetic)",
  "  array_contains(ai, 3)",
  "    -> row-by-row (no array index)",
  "  i8 in [1, 2, 3]",
  "    -> scan i8",
  "  d is null",
  "    -> scan d (validity)",
].join('\n');

const DUMP_IX = [
  "AND",
  "  i64 > 3",
  "    -> index STL_SORT (sorted) on i64",
  "  OR",
  "    s like \"ab%\"",
  "      -> index BITMAP (bitmap) on s",
  "    j[\"a\"] == 1",
  "      -> row-by-row (JSON path)",
  "  NOT",
  "    (i32 + 1) == 3",
  "      -> row-by-row (arithmetic)",
  "  array_contains(ai, 3)",
  "    -> index INVERTED (array) on ai",
  "  i8 in [1, 2, 3]",
  "    -> index BITMAP (bitmap) on i8",
  "  d is null",
  "    -> scan d (validity)",
].join('\n');

const DUMP_SEGS = [
  "filter over 3 segments (2 sealed), 12 rows; indexSelectivityMax 0.5",
  "AND",
  "  i64 > 3",
  "    -> index STL_SORT (sorted) on i64: 2 segments, est. 2 of 8 rows",
  "    -> scan i64 (growing): 1 segment, 4 rows",
  "  OR",
  "    s like \"ab%\"",
  "      -> scan s (index estimate above 0.5 of the rows): 2 segments, est. 6 of 8 rows",
  "      -> scan s (growing): 1 segment, 4 rows",
  "    j[\"a\"] == 1",
  "      -> row-by-row (JSON path): 3 segments, 12 rows",
  "  NOT",
  "    (i32 + 1) == 3",
  "      -> row-by-row (arithmetic): 3 segments, 12 rows",
  "  array_contains(ai, 3)",
  "    -> index INVERTED (array) on ai: 2 segments, est. 2 of 8 rows",
  "    -> row-by-row (growing): 1 segment, 4 rows",
  "  i8 in [1, 2, 3]",
  "    -> scan i8 (index estimate above 0.5 of the rows): 2 segments, est. 6 of 8 rows",
  "    -> scan i8 (growing): 1 segment, 4 rows",
  "  d is null",
  "    -> scan d (validity): 3 segments, 12 rows",
].join('\n');

const DUMP_FORCED = [
  "filter over 1 segment (1 sealed), 4 rows; indexSelectivityMax 1",
  "i64 > 0",
  "  -> index STL_SORT (sorted) on i64: 1 segment, est. 4 of 4 rows",
].join('\n');

const filter = 'i64 > 3 and (s like "ab%" or j["a"] == 1) and not (i32 + 1 == 3) and array_contains(ai, 3) and i8 in [1, 2, 3] and d is null';

test('explain without index specs: scans and row-by-row', () => {
  assert.equal(explainFilter(schema, filter, undefined, []), DUMP_NONE);
});

test('explain with index specs: the index per leaf', () => {
  assert.equal(explainFilter(schema, filter, undefined, indexes), DUMP_IX);
});

test('explain with segments: estimates summed over sealed segments, growing ones scanned', () => {
  assert.equal(explainFilter(schema, filter, undefined, indexes, [sealed, sealed2, growing]), DUMP_SEGS);
});

test('explain: the threshold forced, template values, and no filter', () => {
  assert.equal(explainFilter(schema, 'i64 > {x}', { x: 0 }, indexes, [sealed], { indexSelectivityMax: 1 }), DUMP_FORCED);
  assert.equal(explainFilter(schema, '', undefined, indexes), 'all rows (no filter)');
});

test('explain: a JSON path index (INVERTED, json_path and json_cast_type) names itself', () => {
  const f = schema.fields.find((x) => x.name === 'j')!;
  const jx: IndexMeta = { indexId: 77, indexName: 'j_idx', fieldId: f.fieldId, fieldName: 'j', indexType: 'INVERTED', params: { index_type: 'INVERTED', json_path: 'j["a"]', json_cast_type: 'DOUBLE' }, createdTs: '0' };
  const text = 'j["a"] == 1 or j["a"] == "x" or j["b"] < 2 or j["a"] in [1, 2]';
  assert.equal(explainFilter(schema, text, undefined, [jx]), [
    'OR',
    '  j["a"] == 1',
    '    -> index INVERTED (json DOUBLE) on j["a"]',
    '  j["a"] == "x"',
    '    -> row-by-row (JSON path)',
    '  j["b"] < 2',
    '    -> row-by-row (JSON path)',
    '  j["a"] in [1, 2]',
    '    -> index INVERTED (json DOUBLE) on j["a"]',
  ].join('\n'));
  assert.equal(explainFilter(schema, 'j["a"] >= 2', undefined, [jx], [sealed, growing]), [
    'filter over 2 segments (1 sealed), 8 rows; indexSelectivityMax 0.5',
    'j["a"] >= 2',
    '  -> index INVERTED (json DOUBLE) on j["a"]: 1 segment, est. 1 of 4 rows',
    '  -> row-by-row (JSON path) (growing): 1 segment, 4 rows',
  ].join('\n'));
});

test('explain: a JSON path index on a key of the dynamic field names itself', () => {
  const m = schema.fields.find((x) => x.isDynamic)!;
  // As createIndex records `create_index("k", json_cast_type="double")`: $meta at path ["k"].
  const kx: IndexMeta = {
    indexId: 78, indexName: '$meta/k', fieldId: m.fieldId, fieldName: '$meta', indexType: 'INVERTED',
    params: { index_type: 'INVERTED', json_cast_type: 'double' }, jsonPath: ['k'], jsonCastType: 'DOUBLE', createdTs: '0',
  };
  assert.equal(explainFilter(schema, 'k == 1 or $meta["k"] < 2 or $meta["x"] == 1 or k == "v"', undefined, [kx], [sealed]), [
    'filter over 1 segment (1 sealed), 4 rows; indexSelectivityMax 0.5',
    'OR',
    '  $meta["k"] == 1',
    '    -> index INVERTED (json DOUBLE) on $meta["k"]: 1 segment, est. 1 of 4 rows',
    '  $meta["k"] < 2',
    '    -> index INVERTED (json DOUBLE) on $meta["k"]: 1 segment, est. 1 of 4 rows',
    '  $meta["x"] == 1',
    '    -> row-by-row (JSON path): 1 segment, 4 rows',
    '  $meta["k"] == "v"',
    '    -> row-by-row (JSON path): 1 segment, 4 rows',
  ].join('\n'));
});
