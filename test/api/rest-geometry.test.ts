// Geometry through Milvus's RESTful API v2 against the real server: a schema with a
// nullable Geometry field, rows as WKT strings, query output as normal WKT, ST_ filters,
// an RTREE index from indexParams, and coded errors for invalid WKT with nothing stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restHarness } from './rest-harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const { post } = restHarness('elanus-rest-geo-');

const square = 'POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))';
const rows = [
  { id: 1, geo: 'POINT(5 5)' },
  { id: 2, geo: 'LINESTRING (-5 5, 15 5)' },
  { id: 3, geo: 'POLYGON((10 0,20 0,20 10,10 10,10 0))' },
  { id: 4, geo: null },
  { id: 5, geo: 'POINT (50 50)' },
];

async function ids(filter: string): Promise<number[]> {
  const q = await post('/entities/query', { collectionName: 'rg', filter, outputFields: ['id'], limit: 10 });
  assert.equal(q.code, 0, q.message);
  return (q.data as Json[]).map((x) => Number(x.id)).sort((a, b) => a - b);
}

test('REST: create with RTREE, describe, insert WKT, query normal WKT, ST_ filters', async () => {
  const created = await post('/collections/create', {
    collectionName: 'rg',
    schema: { fields: [
      { fieldName: 'id', dataType: 'Int64', isPrimary: true },
      { fieldName: 'v', dataType: 'FloatVector', elementTypeParams: { dim: 2 } },
      { fieldName: 'geo', dataType: 'Geometry', nullable: true },
    ] },
    indexParams: [{ fieldName: 'v', indexName: 'v', metricType: 'L2', indexType: 'FLAT' }, { fieldName: 'geo', indexName: 'g', indexType: 'RTREE' }],
  });
  assert.equal(created.code, 0, created.message);
  const d = await post('/collections/describe', { collectionName: 'rg' });
  assert.equal(d.code, 0, d.message);
  const f = (d.data.fields as Json[]).find((x) => x.name === 'geo');
  assert.equal(f.type, 'Geometry');
  assert.equal(f.nullable, true);
  const ix = await post('/indexes/describe', { collectionName: 'rg', indexName: 'g' });
  assert.equal(ix.code, 0, ix.message);
  assert.equal(ix.data[0].indexType, 'RTREE');

  const ins = await post('/entities/insert', { collectionName: 'rg', data: rows.map((r) => ({ ...r, v: [r.id, 0] })) });
  assert.equal(ins.code, 0, ins.message);
  const q = await post('/entities/query', { collectionName: 'rg', filter: 'id > 0', outputFields: ['geo'], limit: 10 });
  assert.equal(q.code, 0, q.message);
  assert.deepEqual((q.data as Json[]).map((x) => [Number(x.id), x.geo]).sort((a, b) => a[0] - b[0]), [
    [1, 'POINT (5 5)'], [2, 'LINESTRING (-5 5, 15 5)'], [3, 'POLYGON ((10 0, 20 0, 20 10, 10 10, 10 0))'], [4, null], [5, 'POINT (50 50)'],
  ]);
  assert.deepEqual(await ids(`ST_INTERSECTS(geo, '${square}')`), [1, 2, 3]);
  assert.deepEqual(await ids(`ST_TOUCHES(geo, '${square}')`), [3]);
  assert.deepEqual(await ids(`ST_CROSSES(geo, '${square}')`), [2]);
  assert.deepEqual(await ids(`ST_WITHIN(geo, '${square}')`), [1]);
  assert.deepEqual(await ids(`ST_DWITHIN(geo, 'POINT (50 50.001)', 112)`), [5]);
  assert.deepEqual(await ids(`ST_DWITHIN(geo, 'POINT (50 50.001)', 111)`), []);
  const s = await post('/entities/search', { collectionName: 'rg', annsField: 'v', data: [[0, 0]], limit: 5, filter: `st_intersects(geo, '${square}')`, outputFields: ['geo'] });
  assert.equal(s.code, 0, s.message);
  assert.deepEqual((s.data as Json[]).map((x) => Number(x.id)), [1, 2, 3]);
});

test('REST: invalid WKT is refused with field and row, and nothing is stored', async () => {
  for (const bad of ['POINT (1)', 'not wkt', 'LINESTRING (0 0)']) {
    const r = await post('/entities/insert', { collectionName: 'rg', data: [{ id: 10, v: [0, 0], geo: 'POINT (1 1)' }, { id: 11, v: [0, 0], geo: bad }] });
    assert.equal(r.code, 1100, JSON.stringify(r));
    assert.match(r.message ?? '', /INVALID_GEOMETRY: geometry field "geo" in row 1/);
  }
  const up = await post('/entities/upsert', { collectionName: 'rg', data: [{ id: 1, v: [1, 0], geo: 'POINT (1 2' }] });
  assert.equal(up.code, 1100);
  assert.deepEqual(await ids('id > 0'), [1, 2, 3, 4, 5]);
  assert.deepEqual(await ids(`ST_EQUALS(geo, 'POINT (5 5)')`), [1], 'the refused upsert left row 1 as it was');
  const q = await post('/entities/query', { collectionName: 'rg', filter: `ST_DWITHIN(geo, 'POINT (0 0)', -5)`, outputFields: ['id'] });
  assert.equal(q.code, 1100);
  assert.match(q.message ?? '', /FILTER_TYPE: .*must not be negative/);
});

test('REST: a WKT default value is checked, kept in normal text and filled in for rows without one', async () => {
  const refused = await post('/collections/create', {
    collectionName: 'rgd',
    schema: { fields: [
      { fieldName: 'id', dataType: 'Int64', isPrimary: true },
      { fieldName: 'v', dataType: 'FloatVector', elementTypeParams: { dim: 2 } },
      { fieldName: 'geo', dataType: 'Geometry', defaultValue: 'POINT (1)' },
    ] },
  });
  assert.equal(refused.code, 65535, JSON.stringify(refused)); // INVALID_SCHEMA, as every schema refusal
  assert.match(refused.message ?? '', /default value "POINT \(1\)" is not valid WKT/);
  const created = await post('/collections/create', {
    collectionName: 'rgd',
    schema: { fields: [
      { fieldName: 'id', dataType: 'Int64', isPrimary: true },
      { fieldName: 'v', dataType: 'FloatVector', elementTypeParams: { dim: 2 } },
      { fieldName: 'geo', dataType: 'Geometry', defaultValue: 'point(1.50 2)' },
    ] },
    indexParams: [{ fieldName: 'v', indexName: 'v', metricType: 'L2', indexType: 'FLAT' }],
  });
  assert.equal(created.code, 0, created.message);
  const d = await post('/collections/describe', { collectionName: 'rgd' });
  assert.equal((d.data.fields as Json[]).find((x) => x.name === 'geo').defaultValue, 'POINT (1.5 2)');
  const ins = await post('/entities/insert', { collectionName: 'rgd', data: [{ id: 1, v: [0, 0] }, { id: 2, v: [0, 0], geo: null }, { id: 3, v: [0, 0], geo: 'POINT (7 7)' }] });
  assert.equal(ins.code, 0, ins.message);
  const q = await post('/entities/query', { collectionName: 'rgd', filter: `ST_EQUALS(geo, 'POINT (1.5 2)')`, outputFields: ['geo'], limit: 10 });
  assert.equal(q.code, 0, q.message);
  assert.deepEqual((q.data as Json[]).map((x) => [Number(x.id), x.geo]).sort((a, b) => a[0] - b[0]), [[1, 'POINT (1.5 2)'], [2, 'POINT (1.5 2)']]);
});
