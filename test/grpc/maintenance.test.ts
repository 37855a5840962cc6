// Flush, compaction, segment introspection and replicas through the official SDK.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, startHarness, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const fields = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'v', data_type: DataType.FloatVector, dim: 2 },
];
const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: from + i, v: [from + i, 1] }));

test('flush seals growing segments; getFlushState; persistent and query segment info', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'fl', fields }));
  assertOk((await c.insert({ collection_name: 'fl', data: batch(0, 20) })).status);
  // Nothing is persistent before a flush.
  const before = await c.getPersistentSegmentInfo({ collectionName: 'fl' });
  assertOk(before);
  assert.deepEqual(before.infos, []);

  const f = await c.flush({ collection_names: ['fl'] });
  assertOk(f);
  const segIds: string[] = f.coll_segIDs.fl.data;
  assert.equal(segIds.length, 1);
  const st = await c.getFlushState({ segmentIDs: segIds.map(Number), collection_name: 'fl' });
  assertOk(st);
  assert.equal(st.flushed, true);

  const p = await c.getPersistentSegmentInfo({ collectionName: 'fl' });
  assertOk(p);
  const collectionID = (await c.describeCollection({ collection_name: 'fl' })).collectionID;
  assert.deepEqual(p.infos.map((s) => ({ id: String(s.segmentID), coll: String(s.collectionID), rows: String(s.num_rows), state: s.state })), [
    { id: segIds[0], coll: collectionID, rows: '20', state: 'Flushed' },
  ]);
  // The engine's view of the same segments.
  const eng = h.engine.segmentInfo({ collection_name: 'fl' });
  assert.deepEqual(eng.filter((s) => s.state === 'flushed').map((s) => [String(s.id), s.rows]), [[segIds[0], 20]]);

  // More rows stay growing until the next flush; a growing segment is not "flushed".
  assertOk((await c.insert({ collection_name: 'fl', data: batch(100, 5) })).status);
  const growing = h.engine.segmentInfo({ collection_name: 'fl' }).find((s) => s.state === 'growing')!;
  const notYet = await c.getFlushState({ segmentIDs: [growing.id], collection_name: 'fl' });
  assert.equal(notYet.flushed, false);

  // Query segment info lists loaded segments only.
  assert.deepEqual((await c.getQuerySegmentInfo({ collectionName: 'fl' })).infos, []);
  assertOk(await c.createIndex({ collection_name: 'fl', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionAsync({ collection_name: 'fl' }));
  const q = await c.getQuerySegmentInfo({ collectionName: 'fl' });
  assertOk(q);
  assert.deepEqual(q.infos.map((s) => [s.state, String(s.num_rows)]).sort(), [['Flushed', '20'], ['Growing', '5']]);

  // flushSync waits until the new segment is flushed.
  const fs = await c.flushSync({ collection_names: ['fl'] });
  assertOk(fs);
  assert.equal(fs.flushed, true);
  const after = await c.getPersistentSegmentInfo({ collectionName: 'fl' });
  assert.deepEqual(after.infos.map((s) => String(s.num_rows)).sort(), ['20', '5']);
  assert.equal((await c.getCollectionStatistics({ collection_name: 'fl' })).data.row_count, '25');

  assertErr(await c.flush({ collection_names: ['nope'] }), { code: 100, error_code: 'CollectionNotExists', elanus: 'COLLECTION_NOT_FOUND' });
  assertErr(await c.getPersistentSegmentInfo({ collectionName: 'nope' }), { code: 100, elanus: 'COLLECTION_NOT_FOUND' });
  assertErr(await c.getQuerySegmentInfo({ collectionName: 'nope' }), { code: 100, elanus: 'COLLECTION_NOT_FOUND' });
  assertOk(await c.releaseCollection({ collection_name: 'fl' }));
});

test('flushAll and flushAllSync flush every collection of the database', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'fa1', fields }));
  assertOk(await c.createCollection({ collection_name: 'fa2', fields }));
  assertOk((await c.insert({ collection_name: 'fa1', data: batch(0, 3) })).status);
  assertOk((await c.insert({ collection_name: 'fa2', data: batch(0, 4) })).status);
  const res = await c.flushAll();
  assertOk(res);
  assert.ok(BigInt(res.flush_all_ts) > 0n);
  const state = await c.getFlushAllState({ flush_all_ts: res.flush_all_ts } as never);
  assertOk(state);
  assert.equal(state.flushed, true);
  for (const [name, n] of [['fa1', 3], ['fa2', 4]] as const) {
    const segs = h.engine.segmentInfo({ collection_name: name });
    assert.deepEqual(segs.map((s) => [s.state, s.rows]), [['flushed', n]], name);
  }
  assertOk((await c.insert({ collection_name: 'fa1', data: batch(10, 2) })).status);
  const sync = await c.flushAllSync();
  assertOk(sync);
  assert.equal(sync.flushed, true);
  assert.ok(h.engine.segmentInfo({ collection_name: 'fa1' }).every((s) => s.state === 'flushed'));
});

test('compact merges small flushed segments and drops deleted rows; getCompactionState', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'cp', fields }));
  for (let k = 0; k < 3; k++) {
    assertOk((await c.insert({ collection_name: 'cp', data: batch(k * 10, 10) })).status);
    await c.flushSync({ collection_names: ['cp'] });
  }
  assertOk((await c.delete({ collection_name: 'cp', ids: [0, 1, 2, 3, 4] })).status);
  await c.flushSync({ collection_names: ['cp'] });
  assert.equal((await c.getPersistentSegmentInfo({ collectionName: 'cp' })).infos.length, 3);

  const res = await c.compact({ collection_name: 'cp' });
  assertOk(res);
  assert.ok(BigInt(res.compactionID) > 0n);
  assert.equal(Number(res.compactionPlanCount), 1);
  const st = await c.getCompactionState({ compactionID: res.compactionID });
  assertOk(st);
  assert.equal(st.state, 'Completed');
  assert.equal(st.completedPlanNo, '1');
  const plans = await c.getCompactionStateWithPlans({ compactionID: res.compactionID });
  assertOk(plans);
  assert.equal(plans.state, 'Completed');
  // One segment holds the 25 live rows; count is unchanged.
  const infos = (await c.getPersistentSegmentInfo({ collectionName: 'cp' })).infos;
  assert.deepEqual(infos.map((s) => String(s.num_rows)), ['25']);
  assert.equal((await c.getCollectionStatistics({ collection_name: 'cp' })).data.row_count, '25');
  // An unknown compaction id.
  const unknown = await c.getCompactionState({ compactionID: 123 });
  assertOk(unknown);
  assert.equal(unknown.state, 'UndefiedState');
});

test('compact and getReplicas address a collection by id in any database', async () => {
  const c = h.client;
  assertOk(await c.createDatabase({ db_name: 'other' }));
  assertOk(await c.createCollection({ db_name: 'other', collection_name: 'oc', fields }));
  assertOk((await c.insert({ db_name: 'other', collection_name: 'oc', data: batch(0, 4) })).status);
  await c.flushSync({ db_name: 'other', collection_names: ['oc'] });
  assertOk((await c.insert({ db_name: 'other', collection_name: 'oc', data: batch(10, 4) })).status);
  await c.flushSync({ db_name: 'other', collection_names: ['oc'] });
  // The SDK's compact sends only the collection's id, with no database.
  const res = await c.compact({ db_name: 'other', collection_name: 'oc' });
  assertOk(res);
  assert.equal(Number(res.compactionPlanCount), 1);
  assertOk(await c.createIndex({ db_name: 'other', collection_name: 'oc', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionAsync({ db_name: 'other', collection_name: 'oc' }));
  const id = (await c.describeCollection({ db_name: 'other', collection_name: 'oc' })).collectionID;
  const rep = await c.getReplicas({ collectionID: id });
  assertOk(rep);
  assert.equal(rep.replicas.length, 1);
  assert.equal(String(rep.replicas[0]!.collectionID), id);
  assertOk(await c.releaseCollection({ db_name: 'other', collection_name: 'oc' }));
  assert.deepEqual((await c.getReplicas({ collectionID: id })).replicas, []);
});
