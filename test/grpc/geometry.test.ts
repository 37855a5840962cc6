// Geometry through the official Node SDK 2.6, as its users send it: the schema, WKT rows
// (geometry_wkt_data), WKT in query and search output, invalid WKT refused with nothing
// stored, the ST_* filters with answers known from the drawing (a 10×10 square and shapes
// placed around it), the RTREE index (same answers with and without it, growing and
// flushed), upserts, compaction, and values and answers kept across a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Elanus } from '../../src/index.js';
import { startServer } from '../../src/api/server.js';
import { assertErr, assertOk } from './helpers.js';

const square = 'POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))';
/** Stored as sent but in normal text (what Milvus answers too: `POINT (5 5)`). */
const rows: Array<{ id: number; geo: string | null; normal: string | null }> = [
  { id: 1, geo: 'POINT(5 5)', normal: 'POINT (5 5)' },
  { id: 2, geo: 'point (0.0 0)', normal: 'POINT (0 0)' },
  { id: 3, geo: 'POINT (20 20)', normal: 'POINT (20 20)' },
  { id: 4, geo: 'LINESTRING(0 0,10 10)', normal: 'LINESTRING (0 0, 10 10)' },
  { id: 5, geo: 'LINESTRING (-5 5, 15 5)', normal: 'LINESTRING (-5 5, 15 5)' },
  { id: 6, geo: square, normal: square },
  { id: 7, geo: 'POLYGON ((10 0, 20 0, 20 10, 10 10, 10 0))', normal: 'POLYGON ((10 0, 20 0, 20 10, 10 10, 10 0))' },
  { id: 8, geo: 'POLYGON ((5 5, 15 5, 15 15, 5 15, 5 5))', normal: 'POLYGON ((5 5, 15 5, 15 15, 5 15, 5 5))' },
  { id: 9, geo: 'POLYGON ((2 2, 4 2, 4 4, 2 4, 2 2))', normal: 'POLYGON ((2 2, 4 2, 4 4, 2 4, 2 2))' },
  { id: 10, geo: null, normal: null },
  { id: 11, geo: 'MULTIPOINT ((1 1), (30 30))', normal: 'MULTIPOINT ((1 1), (30 30))' },
  { id: 12, geo: 'GEOMETRYCOLLECTION (POINT (40 10), LINESTRING (50 50, 60 60))', normal: 'GEOMETRYCOLLECTION (POINT (40 10), LINESTRING (50 50, 60 60))' },
  { id: 13, geo: 'POLYGON ((10 10, 0 10, 0 0, 10 0, 10 10))', normal: 'POLYGON ((10 10, 0 10, 0 0, 10 0, 10 10))' },
  { id: 14, geo: 'POINT (13.39971 52.518010)', normal: 'POINT (13.39971 52.51801)' },
];

/** Each filter's answer, worked out from the drawing (see test/expr/geometry.test.ts). */
const expected: Array<[string, number[]]> = [
  [`ST_INTERSECTS(geo, '${square}')`, [1, 2, 4, 5, 6, 7, 8, 9, 11, 13]],
  [`ST_WITHIN(geo, '${square}')`, [1, 4, 6, 9, 13]],
  [`ST_CONTAINS(geo, '${square}')`, [6, 13]],
  [`st_equals(geo, '${square}')`, [6, 13]],
  [`ST_TOUCHES(geo, '${square}')`, [2, 7]],
  [`ST_OVERLAPS(geo, '${square}')`, [8]],
  [`ST_CROSSES(geo, '${square}')`, [5, 11]],
  [`ST_DWITHIN(geo, 'POINT (0 0)', 800000)`, [1, 2, 4, 5, 6, 8, 9, 11, 13]],
  [`st_dwithin(geo, 'POINT (0 0)', 700000)`, [2, 4, 5, 6, 9, 11, 13]],
  // Berlin: (13.39971 52.51801) is 403.07 m from (13.403683 52.520711) on a 6,371 km sphere.
  [`ST_DWITHIN(geo, 'POINT (13.403683 52.520711)', 410)`, [14]],
  [`ST_DWITHIN(geo, 'POINT (13.403683 52.520711)', 400)`, []],
  [`ST_INTERSECTS(geo, 'POINT (45 10)') or ST_INTERSECTS(geo, 'POINT (55 55)')`, [12]],
  [`not ST_INTERSECTS(geo, '${square}') and id < 13`, [3, 12]],
];

async function open(dir: string) {
  const engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  const server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 64 * 1024 * 1024, logger: pino({ level: 'silent' }) });
  const client = new MilvusClient({ address: `127.0.0.1:${server.port}`, logLevel: 'error' });
  await client.connectPromise;
  return {
    client,
    async close() {
      await client.closeConnection().catch(() => undefined);
      await server.close(2_000);
      await engine.close();
    },
  };
}

async function ids(c: MilvusClient, filter: string): Promise<number[]> {
  const r = await c.query({ collection_name: 'geo', filter, output_fields: ['id'], limit: 100 });
  assertOk(r, filter);
  return r.data.map((x) => Number(x['id'])).sort((a, b) => a - b);
}

async function assertAnswers(c: MilvusClient, when: string): Promise<void> {
  for (const [filter, want] of expected) assert.deepEqual(await ids(c, filter), want, `${when}: ${filter}`);
}

test('Geometry end to end through the SDK: schema, WKT round trip, refusals, filters, RTREE, upsert, restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-geo-'));
  let s = await open(dir);
  try {
    const c = s.client;
    assertOk(await c.createCollection({ collection_name: 'geo', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
      { name: 'geo', data_type: DataType.Geometry, nullable: true },
    ] }));
    const d = await c.describeCollection({ collection_name: 'geo' });
    assertOk(d);
    const f = d.schema.fields.find((x) => x.name === 'geo')!;
    assert.equal(f.data_type, 'Geometry');
    assert.equal(f.nullable, true);

    assertOk(await c.insert({ collection_name: 'geo', data: rows.map((r) => ({ id: r.id, v: [r.id, 1], geo: r.geo })) }));
    assertOk(await c.createIndex({ collection_name: 'geo', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
    assertOk(await c.loadCollectionSync({ collection_name: 'geo' }));

    // Output is the normal WKT text, null where the row has none.
    const out = await c.query({ collection_name: 'geo', filter: 'id > 0', output_fields: ['geo'], limit: 100 });
    assertOk(out);
    const got = new Map(out.data.map((x) => [Number(x['id']), x['geo']]));
    for (const r of rows) assert.equal(got.get(r.id), r.normal, `row ${r.id}`);

    // Invalid WKT: a coded error naming the row, and nothing of the batch stored.
    for (const bad of ['POINT (1)', 'CIRCLE (0 0, 1)', 'POINT (1 2) and more', 'POLYGON ((0 0, 1 0, 1 1, 0 1))', '']) {
      assertErr(await c.insert({ collection_name: 'geo', data: [{ id: 100, v: [0, 0], geo: 'POINT (1 1)' }, { id: 101, v: [0, 0], geo: bad }] }),
        { code: 1100, elanus: 'INVALID_GEOMETRY', reason: /geometry field "geo" in row 1/ });
    }
    // The wire carries text: a number arrives as "5", which is not WKT.
    assertErr(await c.insert({ collection_name: 'geo', data: [{ id: 102, v: [0, 0], geo: 5 as never }] }), { code: 1100, elanus: 'INVALID_GEOMETRY', reason: /"5" is not WKT/ });
    const n = await c.count({ collection_name: 'geo' });
    assert.equal(n.data, rows.length);

    await assertAnswers(c, 'growing, no index');
    // A search filtered by geometry returns only matching rows, with their WKT.
    const sr = await c.search({ collection_name: 'geo', data: [0, 1], limit: 3, filter: `ST_WITHIN(geo, '${square}')`, output_fields: ['geo'] });
    assertOk(sr);
    assert.deepEqual(sr.results.map((h) => [Number(h['id']), h['geo']]), [[1, 'POINT (5 5)'], [4, 'LINESTRING (0 0, 10 10)'], [6, square]]);

    // Filter mistakes are coded errors.
    const bad = await c.query({ collection_name: 'geo', filter: `ST_DWITHIN(geo, '${square}', 5)`, output_fields: ['id'] });
    assertErr(bad, { code: 1100, elanus: 'FILTER_TYPE', reason: /must be a POINT/ });

    // RTREE only, on Geometry only; created, described, used, dropped: answers never change.
    assertErr(await c.createIndex({ collection_name: 'geo', field_name: 'geo', index_type: 'INVERTED' }), { code: 1100, elanus: 'INDEX_TYPE_INVALID', reason: /allowed: RTREE/ });
    assertErr(await c.createIndex({ collection_name: 'geo', field_name: 'id', index_type: 'RTREE' }), { code: 1100, elanus: 'INDEX_TYPE_INVALID' });
    assertOk(await c.createIndex({ collection_name: 'geo', field_name: 'geo', index_type: 'RTREE', index_name: 'rtree_geo' }));
    const di = await c.describeIndex({ collection_name: 'geo', field_name: 'geo' });
    assertOk(di);
    assert.equal(di.index_descriptions[0]!.index_name, 'rtree_geo');
    assert.equal(di.index_descriptions[0]!.params.find((p) => p.key === 'index_type')!.value, 'RTREE');
    await assertAnswers(c, 'growing, RTREE');
    assertOk(await c.flushSync({ collection_names: ['geo'] }));
    await assertAnswers(c, 'flushed, RTREE');

    // Upsert moves row 3 into the square.
    assertOk(await c.upsert({ collection_name: 'geo', data: [{ id: 3, v: [3, 1], geo: 'POINT (1 9)' }] }));
    assert.deepEqual(await ids(c, `ST_WITHIN(geo, '${square}')`), [1, 3, 4, 6, 9, 13]);
    assertOk(await c.upsert({ collection_name: 'geo', data: [{ id: 3, v: [3, 1], geo: 'POINT (20 20)' }] }));
    assertOk(await c.flushSync({ collection_names: ['geo'] }));
    await assertAnswers(c, 'after upserts, RTREE');
    // Compaction merges the flushed segments (the upserts left deleted copies behind).
    const comp = await c.compact({ collection_name: 'geo' });
    assertOk(comp);
    // The SDK decodes the state enum by name.
    let state = '';
    for (let i = 0; i < 200 && state !== 'Completed'; i++) {
      const st = await c.getCompactionState({ compactionID: comp.compactionID });
      assertOk(st);
      state = String(st.state);
      if (state !== 'Completed') await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(state, 'Completed');
    await assertAnswers(c, 'after compaction, RTREE');

    assertOk(await c.dropIndex({ collection_name: 'geo', field_name: 'geo', index_name: 'rtree_geo' }));
    await assertAnswers(c, 'flushed, index dropped');
    assertOk(await c.createIndex({ collection_name: 'geo', field_name: 'geo', index_type: 'RTREE' }));

    await s.close();
    s = await open(dir);
    const c2 = s.client;
    assertOk(await c2.loadCollectionSync({ collection_name: 'geo' }));
    const again = await c2.query({ collection_name: 'geo', filter: 'id > 0', output_fields: ['geo'], limit: 100 });
    assertOk(again);
    const back = new Map(again.data.map((x) => [Number(x['id']), x['geo']]));
    for (const r of rows) assert.equal(back.get(r.id), r.normal, `row ${r.id} after restart`);
    await assertAnswers(c2, 'after restart');
  } finally {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  }
});
