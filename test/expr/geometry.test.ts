// The geometry operators of the filter language: Milvus's argument forms (Plan.g4's
// SpatialBinary and STDWithin, and its parser's checks), and their answers over shapes
// whose relations are known by construction (a 10×10 square and things placed around it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, type CollectionSchema } from '../../src/catalog/types.js';
import { ElanusError } from '../../src/errors/index.js';
import { geometryWktLengthMax, parseWkt } from '../../src/catalog/geometry.js';
import { compileFilter } from '../../src/query/expr/index.js';
import { field } from './schema.js';

const geo = field('geo', DataType.Geometry, { nullable: true });
const schema: CollectionSchema = {
  fields: [field('id', DataType.Int64, { isPrimary: true }), field('name', DataType.VarChar, { maxLength: 20 }), geo, field('$meta', DataType.JSON, { isDynamic: true })],
  enableDynamicField: true, description: '',
};

const square = 'POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))';
/** Each row's relation to `square` is known from the drawing, not computed. */
const rows: Record<number, string | null> = {
  1: 'POINT (5 5)', // inside
  2: 'POINT (0 0)', // on a corner
  3: 'POINT (20 20)', // outside
  4: 'LINESTRING (0 0, 10 10)', // the diagonal: inside, ends on the boundary
  5: 'LINESTRING (-5 5, 15 5)', // across
  6: square,
  7: 'POLYGON ((10 0, 20 0, 20 10, 10 10, 10 0))', // the neighbour sharing an edge
  8: 'POLYGON ((5 5, 15 5, 15 15, 5 15, 5 5))', // overlapping a quarter
  9: 'POLYGON ((2 2, 4 2, 4 4, 2 4, 2 2))', // inside
  10: null,
  11: 'MULTIPOINT ((1 1), (30 30))', // one point in, one out
  13: 'POLYGON ((10 10, 0 10, 0 0, 10 0, 10 10))', // the square, drawn from another corner
};

function matching(filter: string, params?: Record<string, unknown>): number[] {
  const f = compileFilter(schema, filter, params);
  return Object.entries(rows).filter(([, v]) => f.test((fs) => (fs.name === 'geo' ? v : null), () => null)).map(([k]) => Number(k));
}

test('each relation to the square, as drawn', () => {
  assert.deepEqual(matching(`ST_INTERSECTS(geo, '${square}')`), [1, 2, 4, 5, 6, 7, 8, 9, 11, 13]);
  assert.deepEqual(matching(`ST_WITHIN(geo, '${square}')`), [1, 4, 6, 9, 13]);
  assert.deepEqual(matching(`ST_CONTAINS(geo, '${square}')`), [6, 13]);
  assert.deepEqual(matching(`ST_EQUALS(geo, '${square}')`), [6, 13]);
  assert.deepEqual(matching(`ST_TOUCHES(geo, '${square}')`), [2, 7]);
  assert.deepEqual(matching(`ST_OVERLAPS(geo, '${square}')`), [8]);
  assert.deepEqual(matching(`ST_CROSSES(geo, '${square}')`), [5, 11]);
  // The row is the first argument: rows that contain the point (3 3), which lies inside the
  // small square and on the diagonal.
  assert.deepEqual(matching(`st_contains(geo, 'POINT (3 3)')`), [4, 6, 9, 13]);
});

test('null geometries are unknown: neither a relation nor its negation holds', () => {
  const all = Object.keys(rows).map(Number);
  const inter = matching(`st_intersects(geo, '${square}')`);
  const notInter = matching(`not st_intersects(geo, '${square}')`);
  assert.deepEqual([...inter, ...notInter].sort((a, b) => a - b), all.filter((k) => k !== 10));
  assert.deepEqual(matching('geo is null'), [10]);
});

test('ST_DWITHIN: meters, haversine between points, degrees scaled at the query latitude otherwise', () => {
  // Point (5 5) lies 785.8 km from (0 0) on a 6,371 km sphere; the square (8) is sqrt(50)
  // degrees away, 787.2 km at latitude 0; the line y = 5 (5) is 556.6 km; (7) 1,113 km.
  assert.deepEqual(matching(`ST_DWITHIN(geo, 'POINT (0 0)', 800000)`), [1, 2, 4, 5, 6, 8, 9, 11, 13]);
  assert.deepEqual(matching(`ST_DWITHIN(geo, 'POINT (0 0)', 786000)`), [1, 2, 4, 5, 6, 9, 11, 13]);
  assert.deepEqual(matching(`st_dwithin(geo, 'POINT (0 0)', 700000.5)`), [2, 4, 5, 6, 9, 11, 13]);
  assert.deepEqual(matching(`st_dwithin(geo, 'POINT (0 0)', 0)`), [2, 4, 6, 13]);
  // Longitudes wrap for points: 179.9 and -179.9 are 0.2 degrees apart (22.2 km at the equator).
  const wrap = compileFilter(schema, `ST_DWITHIN(geo, 'POINT (-179.9 0)', 23000)`);
  assert.equal(wrap.test(() => 'POINT (179.9 0)', () => null), true);
});

test('template parameters bind the WKT', () => {
  assert.deepEqual(matching('st_within(geo, {area})', { area: square }), [1, 4, 6, 9, 13]);
});

test('WKT text is limited to geometryWktLengthMax characters: at the limit it parses, one more is refused', () => {
  const head = 'POINT (1 ';
  const atLimit = head + '2'.padStart(geometryWktLengthMax - head.length - 1, '0') + ')';
  assert.equal(atLimit.length, geometryWktLengthMax);
  assert.ok(!('problem' in parseWkt(atLimit)));
  assert.deepEqual(parseWkt(atLimit + ' '), { problem: `is longer than ${geometryWktLengthMax} characters` });
});

const errors: [string, string, string][] = [
  [`ST_INTERSECTS(name, '${square}')`, 'FILTER_TYPE', 'filter: st_intersects is only supported on Geometry fields, but VarChar field "name" is not one at column 15'],
  [`ST_INTERSECTS(geo, 'POINT (1)')`, 'FILTER_TYPE', 'filter: the second argument of st_intersects: "POINT (1)" is not valid WKT: Unexpected `)` at position 8 in `POINT (1)` at column 20'],
  [`ST_INTERSECTS(geo, 'CIRCLE (1 2)')`, 'FILTER_TYPE', 'filter: the second argument of st_intersects: "CIRCLE (1 2)" is not WKT (expected one of POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION) at column 20'],
  [`ST_WITHIN(geo, 5)`, 'FILTER_TYPE', 'filter: the second argument of st_within must be a WKT string at column 16'],
  [`ST_WITHIN('${square}', geo)`, 'FILTER_TYPE', 'filter: the first argument of st_within must be a Geometry field name at column 11'],
  [`ST_DWITHIN(geo, '${square}', 10)`, 'FILTER_TYPE', 'filter: the second argument of st_dwithin must be a POINT, got POLYGON at column 17'],
  [`ST_DWITHIN(geo, 'POINT (0 0)', -1)`, 'FILTER_TYPE', 'filter: the distance of st_dwithin must not be negative, got -1 at column 32'],
  [`ST_DWITHIN(geo, 'POINT (0 0)', id)`, 'FILTER_TYPE', 'filter: the distance of st_dwithin must be a constant number of meters at column 32'],
  [`ST_DWITHIN(geo, 'POINT (0 0)')`, 'FILTER_SYNTAX', 'filter: st_dwithin takes 3 arguments, got 2 at column 1'],
  [`ST_EQUALS(geo)`, 'FILTER_SYNTAX', 'filter: st_equals takes 2 arguments, got 1 at column 1'],
  // Operator names are all upper or all lower case, as in Plan.g4: St_Equals is a name.
  [`St_Equals(geo, 'POINT (1 2)')`, 'FILTER_SYNTAX', 'filter: unexpected "(" at column 10; expected an operator or the end of the filter'],
  [`geo == 'POINT (1 2)'`, 'FILTER_TYPE', 'filter: cannot compare Geometry field "geo" with a string using == at column 1'],
];

for (const [filter, code, message] of errors) {
  test(`error: ${filter}`, () => {
    assert.throws(() => compileFilter(schema, filter), (e: unknown) => {
      assert.ok(e instanceof ElanusError, String(e));
      assert.equal(e.message, message);
      assert.equal(e.code, code);
      return true;
    });
  });
}
