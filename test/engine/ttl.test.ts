// Collection TTL (`collection.ttl.seconds`): a row older than the TTL at a read's own
// timestamp is gone from every read of it (query, get, count(*), search, hybrid search,
// iterators, statistics) and from disk at the next compaction; changing or dropping the
// TTL applies to the rows already stored; a restart gives the same answers. Time is a
// SimulatedClock (the engine's only clock): nothing sleeps, and which rows have expired
// is computed here from the times the test wrote them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Elanus } from '../../src/engine/index.js';
import { SimulatedClock, objectFilePath } from '../../src/testing/index.js';
import { physicalOf } from '../../src/tso/index.js';
import { DataType, basicFields, basicRows, idsOf, range, vec } from './helpers.js';

const name = 'ttl';
const strong = { collection_name: name, consistency_level: 'Strong' as const };

interface Setup {
  db: Elanus;
  readonly clock: SimulatedClock;
  readonly path: string;
  /** Moves the clock and waits until the engine's timestamps follow it. */
  advance(ms: number): Promise<void>;
  reopen(): Promise<void>;
  dispose(): Promise<void>;
}

async function setup(): Promise<Setup> {
  const clock = new SimulatedClock(1_800_000_000_000);
  const path = await mkdtemp(join(tmpdir(), 'elanus-ttl-'));
  const open = () => Elanus.open({ path, clock, limits: { backgroundIntervalMs: 0 } });
  const s: Setup = {
    db: await open(), clock, path,
    async advance(ms) {
      clock.advance(ms);
      // The timestamp allocator moves its stored high-water mark ahead first (a write of
      // the metadata store); until then it hands out timestamps at its old physical time.
      for (let i = 0; i < 5000 && physicalOf(s.db.allocTimestamp()) !== clock.now(); i++) await new Promise((r) => setTimeout(r, 1));
      assert.equal(physicalOf(s.db.allocTimestamp()), clock.now(), 'timestamps follow the clock');
    },
    async reopen() {
      await s.db.close();
      s.db = await open();
    },
    async dispose() {
      await s.db.close();
      await rm(path, { recursive: true, force: true });
    },
  };
  return s;
}

async function withSetup(body: (s: Setup) => Promise<void>): Promise<void> {
  const s = await setup();
  try {
    await body(s);
  } finally {
    await s.dispose();
  }
}

async function create(db: Elanus, ttl: number | string | undefined): Promise<void> {
  await db.createCollection({
    collection_name: name, fields: basicFields(4, [{ name: 'g', data_type: DataType.Int64 }]), shards_num: 2,
    ...(ttl !== undefined ? { properties: { 'collection.ttl.seconds': ttl } } : {}),
  });
  await db.loadCollection({ collection_name: name });
}

const rows = (from: number, to: number) => basicRows(from, to, 4, (i) => ({ g: i % 3 }));

async function queryIds(db: Elanus): Promise<Array<number | string>> {
  return idsOf((await db.query({ ...strong, filter: 'id >= 0', output_fields: ['id'] })).data);
}

async function countAll(db: Elanus): Promise<number> {
  return (await db.count(strong)).data;
}

/** Every read form, each checked against the ids the test expects visible. */
async function assertVisible(db: Elanus, want: number[], what: string): Promise<void> {
  const sorted = [...want].sort((a, b) => a - b);
  assert.deepEqual(await queryIds(db), sorted, `${what}: query`);
  assert.equal(await countAll(db), want.length, `${what}: count(*)`);
  assert.equal((await db.count({ ...strong, filter: 'g >= 0' })).data, want.length, `${what}: count(*) with a filter`);
  assert.deepEqual(idsOf((await db.get({ ...strong, ids: range(0, 400), output_fields: ['id'] })).data), sorted, `${what}: get`);
  const hits = (await db.search({ ...strong, data: vec(0, 4), limit: 500, output_fields: ['id'] })).results as Array<Record<string, unknown>>;
  assert.deepEqual(idsOf(hits), sorted, `${what}: search`);
  const filtered = (await db.search({ ...strong, data: vec(0, 4), limit: 500, filter: 'g in [0, 1, 2]' })).results as Array<Record<string, unknown>>;
  assert.deepEqual(idsOf(filtered), sorted, `${what}: search with a filter`);
  const hybrid = await db.hybridSearch({ ...strong, data: [{ anns_field: 'vector', data: vec(1, 4), limit: 500 }, { anns_field: 'vector', data: vec(2, 4), limit: 500 }], limit: 500, output_fields: ['id'] });
  assert.deepEqual(idsOf(hybrid.results as Array<Record<string, unknown>>), sorted, `${what}: hybrid search`);
  const it = await db.queryIterator({ ...strong, filter: 'id >= 0', output_fields: ['id'], batchSize: 3 });
  const paged: Array<Record<string, unknown>> = [];
  for await (const page of it) paged.push(...page);
  assert.deepEqual(idsOf(paged), sorted, `${what}: query iterator`);
  const sit = await db.searchIterator({ ...strong, data: vec(0, 4), batchSize: 4, output_fields: ['id'] });
  const found: Array<Record<string, unknown>> = [];
  for await (const page of sit) found.push(...page);
  assert.deepEqual(idsOf(found), sorted, `${what}: search iterator`);
  assert.equal((await db.getCollectionStatistics({ collection_name: name })).data.row_count, want.length, `${what}: statistics`);
}

describe('collection TTL', () => {
  test('a row older than the TTL at the read\'s timestamp is gone from every read; changing the TTL applies to stored rows', () => withSetup(async (s) => {
    await create(s.db, 10);
    await s.db.insert({ collection_name: name, data: rows(0, 10) }); // written at t0
    await s.advance(6_000);
    await s.db.insert({ collection_name: name, data: rows(10, 20) }); // t0 + 6 s
    await assertVisible(s.db, range(0, 20), 'both batches younger than 10 s');

    await s.advance(4_500); // the first batch is 10.5 s old, the second 4.5 s
    await assertVisible(s.db, range(10, 20), 'the first batch expired');

    // An upsert rewrites a row: its age starts again. A delete of an expired key is harmless.
    await s.db.upsert({ collection_name: name, data: rows(3, 4) });
    await s.db.delete({ collection_name: name, ids: [4] });
    await assertVisible(s.db, [3, ...range(10, 20)], 'the upserted row is young again');
    // A delete by filter names only rows a query sees.
    assert.equal((await s.db.delete({ collection_name: name, filter: 'id < 12' })).delete_cnt, 3);
    await assertVisible(s.db, range(12, 20), 'after a delete by filter');

    // Dropping the TTL brings the expired rows back (they are still stored; as in Milvus).
    await s.db.dropCollectionProperties({ collection_name: name, properties: ['collection.ttl.seconds'] });
    await assertVisible(s.db, [...range(0, 3), ...range(5, 10), ...range(12, 20)], 'without a TTL');
    // A shorter one hides the young batch as well.
    await s.db.alterCollection({ collection_name: name, properties: { 'collection.ttl.seconds': 4 } });
    await assertVisible(s.db, [], 'a TTL of 4 s: every row is older');
    await s.db.alterCollection({ collection_name: name, properties: { 'collection.ttl.seconds': 0 } });
    assert.equal(await countAll(s.db), 16, 'a TTL of 0 means none');
    await s.db.alterCollection({ collection_name: name, properties: { 'collection.ttl.seconds': -1 } });
    assert.equal(await countAll(s.db), 16, 'nor does -1 (Milvus takes it)');
  }));

  test('invalid TTL values are refused with Milvus\'s codes and wording; nothing is stored', () => withSetup(async (s) => {
    for (const bad of ['abc', '1.5', '', ' 5', '2e3']) {
      await assert.rejects(create(s.db, bad), { code: 'INVALID_ARGUMENT', message: /collection TTL is not a valid positive integer/ }, JSON.stringify(bad));
    }
    for (const bad of [-2, 3_155_760_001]) {
      await assert.rejects(create(s.db, bad), { code: 'INVALID_ARGUMENT', message: new RegExp(`collection TTL is out of range, expect \\[-1, 3155760000\\], got ${bad}`) });
    }
    assert.equal((await s.db.hasCollection({ collection_name: name })).value, false, 'no collection was created');
    await create(s.db, 3_155_760_000);
    await assert.rejects(s.db.alterCollection({ collection_name: name, properties: { 'collection.ttl.seconds': 'soon', other: 'x' } }), { code: 'INVALID_ARGUMENT' });
    const props = (await s.db.describeCollection({ collection_name: name })).properties;
    assert.deepEqual(props, [{ key: 'collection.ttl.seconds', value: '3155760000' }], 'the refused change stored nothing');
  }));

  test('a partial upsert of an expired key is an insert: its old fields are not merged', () => withSetup(async (s) => {
    await create(s.db, 5);
    await s.db.insert({ collection_name: name, data: rows(0, 2) });
    await s.advance(5_001);
    await assert.rejects(s.db.upsert({ collection_name: name, data: [{ id: 0, g: 7 }], partial_update: true }), { code: 'MISSING_FIELD' });
    await s.db.upsert({ collection_name: name, data: [{ id: 1, g: 7, vector: vec(9, 4) }], partial_update: true });
    const got = (await s.db.query({ ...strong, filter: 'id >= 0', output_fields: ['id', 'g'] })).data;
    assert.deepEqual(got, [{ id: 1, g: 7 }]);
  }));

  test('compaction removes expired rows from disk; count(*) stays exact and a restart gives the same answer', () => withSetup(async (s) => {
    await create(s.db, 30);
    await s.db.insert({ collection_name: name, data: rows(0, 300) });
    await s.db.flushSync({ collection_names: [name] });
    await s.advance(20_000);
    await s.db.insert({ collection_name: name, data: rows(300, 400) });
    await s.db.upsert({ collection_name: name, data: rows(0, 50) }); // rewritten at t0 + 20 s
    await s.db.flushSync({ collection_names: [name] });
    const filesBefore = s.db.segmentInfo({ collection_name: name }).map((x) => x.file!);
    const bytes = async (files: string[]) => (await Promise.all(files.map((f) => stat(objectFilePath(s.path, f))))).reduce((n, st) => n + st.size, 0);
    const bytesBefore = await bytes(filesBefore);
    const rowsBefore = s.db.segmentInfo({ collection_name: name }).reduce((n, x) => n + x.rows, 0);
    assert.equal(rowsBefore, 450, 'the first flush\'s 300 rows, then 100 new and 50 rewritten');

    await s.advance(15_000); // rows 50..299 are 35 s old; the rest 15 s
    const want = [...range(0, 50), ...range(300, 400)];
    await assertVisible(s.db, want, 'before compaction');
    const r = await s.db.compact({ collection_name: name });
    // 250 expired rows, and the 50 old versions the upsert replaced.
    assert.equal(r.removedRows, 300);
    const after = s.db.segmentInfo({ collection_name: name });
    assert.equal(after.reduce((n, x) => n + x.rows, 0), 150, 'only the live rows are stored');
    assert.ok(await bytes(after.map((x) => x.file!)) < bytesBefore, 'the files shrank');
    await assertVisible(s.db, want, 'after compaction');

    await s.reopen();
    await assertVisible(s.db, want, 'after a restart');
    // A dropped TTL cannot bring back what compaction removed.
    await s.db.dropCollectionProperties({ collection_name: name, properties: ['collection.ttl.seconds'] });
    await assertVisible(s.db, want, 'without the TTL, after compaction');
    await s.reopen();
    await assertVisible(s.db, want, 'the same after another restart');
  }));

  test('a query iterator keeps the TTL view it began with while the TTL changes', () => withSetup(async (s) => {
    await create(s.db, 10);
    await s.db.insert({ collection_name: name, data: rows(0, 10) });
    await s.advance(6_000);
    await s.db.insert({ collection_name: name, data: rows(10, 20) });
    const it = await s.db.queryIterator({ ...strong, filter: 'id >= 0', output_fields: ['id'], batchSize: 5 });
    const paged: Array<Record<string, unknown>> = [];
    let first = true;
    for await (const page of it) {
      paged.push(...page);
      if (first) await s.db.alterCollection({ collection_name: name, properties: { 'collection.ttl.seconds': 3 } });
      first = false;
    }
    assert.deepEqual(idsOf(paged), range(0, 20), 'every page read with the TTL of its start');
    assert.equal(await countAll(s.db), 10, 'a new read takes the new TTL: the first batch is 6 s old');
  }));
});
