// Data spread over several shards, segments sealed by size while writes go on, and
// delete files merged by compaction: counts, reads and searches stay exact through each,
// and through restarts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, basicFields, basicRows, countOf, createBasic, range, vec, withEngine } from './helpers.js';
import type { Elanus } from '../../src/engine/index.js';
import { listObjectFiles } from '../../src/testing/index.js';

async function allIds(db: Elanus, collection_name: string): Promise<number[]> {
  const r = await db.query({ collection_name, limit: 16_384, consistency_level: 'Strong' });
  return r.data.map((x) => x['id'] as number).sort((a, b) => a - b);
}

describe('shards and segments', () => {
  test('four shards: writes, deletes, reads, search, flush, compaction and restarts stay exact', () => withEngine(async (_db, h) => {
    let db = h.db;
    await db.createCollection({ collection_name: 'c', shards_num: 4, fields: basicFields(4, [{ name: 'v', data_type: DataType.Int32 }]) });
    await db.loadCollection({ collection_name: 'c' });
    const expected = new Map<number, number>();
    const write = async (from: number, to: number, v: number, upsert = false) => {
      const req = { collection_name: 'c', data: basicRows(from, to, 4, () => ({ v })) };
      await (upsert ? db.upsert(req) : db.insert(req));
      for (const i of range(from, to)) expected.set(i, v);
    };
    const del = async (ids: number[]) => {
      await db.delete({ collection_name: 'c', ids });
      for (const i of ids) expected.delete(i);
    };
    const check = async (what: string) => {
      assert.equal(await countOf(db, 'c'), expected.size, `${what}: count`);
      assert.deepEqual(await allIds(db, 'c'), [...expected.keys()].sort((a, b) => a - b), `${what}: keys`);
      const probe = [...expected.keys()].filter((_, i) => i % 37 === 0);
      const got = await db.get({ collection_name: 'c', ids: probe, output_fields: ['v'] });
      assert.deepEqual(new Map(got.data.map((r) => [r['id'], r['v']])), new Map(probe.map((i) => [i, expected.get(i)])), `${what}: values`);
      const k = probe[probe.length - 1]!;
      const hit = await db.search({ collection_name: 'c', data: vec(k, 4), limit: 1, metric_type: 'L2', consistency_level: 'Strong' });
      assert.equal((hit.results as Array<Record<string, unknown>>)[0]!['id'], k, `${what}: search`);
    };

    await write(0, 400, 1);
    await del(range(0, 400).filter((i) => i % 10 === 0));
    await check('written');
    await db.flush({ collection_names: ['c'] });
    const shards = new Set(db.segmentInfo({ collection_name: 'c' }).map((s) => s.shard));
    assert.deepEqual([...shards].sort(), [0, 1, 2, 3], 'rows reach every shard');
    await write(100, 200, 2, true);
    await del(range(150, 160));
    await db.delete({ collection_name: 'c', filter: `id in [${range(300, 305).join(', ')}]` });
    for (const i of range(300, 305)) expected.delete(i);
    await check('updated');
    db = await h.reopen();
    await check('after restart');
    await db.flush({ collection_names: ['c'] });
    await db.compact({ collection_name: 'c' });
    await check('compacted');
    assert.equal(db.segmentInfo({ collection_name: 'c' }).reduce((n, s) => n + s.rows, 0), expected.size, 'compaction kept only visible rows');
    db = await h.reopen();
    await check('after second restart');
  }));

  test('partition-key rows over two shards survive a restart from the log alone', () => withEngine(async (_db, h) => {
    let db = h.db;
    await db.createCollection({
      collection_name: 'c', shards_num: 2, num_partitions: 3,
      fields: basicFields(4, [{ name: 'tenant', data_type: DataType.Int64, is_partition_key: true }]),
    });
    await db.loadCollection({ collection_name: 'c' });
    await db.insert({ collection_name: 'c', data: basicRows(0, 90, 4, (i) => ({ tenant: i % 7 })) });
    // Moving a key to another tenant moves it to that tenant's partition.
    await db.upsert({ collection_name: 'c', data: basicRows(0, 10, 4, () => ({ tenant: 100 })) });
    const parts = (await db.showPartitions({ collection_name: 'c' })).partition_names;
    const counts = async () => Promise.all(parts.map((p) => countOf(db, 'c', { partition_names: [p] })));
    const before = await counts();
    assert.equal(before.reduce((a, b) => a + b, 0), 90);
    db = await h.reopen();
    assert.deepEqual(await counts(), before);
    assert.equal(await countOf(db, 'c'), 90);
    const t = await db.get({ collection_name: 'c', ids: [3], output_fields: ['tenant'] });
    assert.deepEqual(t.data, [{ id: 3, tenant: 100 }]);
  }));

  test('segments sealed by size flush in the background while writes go on', () => withEngine(async (_db, h) => {
    let db = h.db;
    await createBasic(db, 'c');
    for (let b = 0; b < 10; b++) {
      await db.insert({ collection_name: 'c', data: basicRows(b * 25, b * 25 + 25) });
      await db.upsert({ collection_name: 'c', data: basicRows(b * 5, b * 5 + 5) });
      assert.equal(await countOf(db, 'c'), (b + 1) * 25, `batch ${b}`);
    }
    await db.delete({ collection_name: 'c', ids: range(0, 20) });
    // Wait for the flushes that sealing scheduled.
    for (let i = 0; i < 300 && db.segmentInfo({ collection_name: 'c' }).some((s) => s.state === 'sealed'); i++) await new Promise((r) => setTimeout(r, 10));
    const segs = db.segmentInfo({ collection_name: 'c' });
    assert.ok(segs.filter((s) => s.state === 'flushed').length >= 5, `sealed segments were flushed: ${JSON.stringify(segs.map((s) => [s.state, s.rows]))}`);
    assert.ok(segs.every((s) => s.rows < 30 + 25), "a segment is sealed at the first batch that takes it past 30 rows");
    assert.equal(await countOf(db, 'c'), 230);
    db = await h.reopen();
    assert.equal(await countOf(db, 'c'), 230);
    assert.deepEqual(await allIds(db, 'c'), range(20, 250));
  }, { limits: { segmentRowsMax: 30 } }));

  test('many delete files are merged by compaction without losing a delete', () => withEngine(async (_db, h) => {
    let db = h.db;
    await createBasic(db, 'c');
    // A segment too big to be compacted keeps the deleted rows, so the deletes must stay.
    await db.insert({ collection_name: 'c', data: basicRows(0, 300) });
    await db.flush({ collection_names: ['c'] });
    for (let round = 0; round < 5; round++) {
      await db.delete({ collection_name: 'c', ids: range(round * 10, round * 10 + 5) });
      await db.flush({ collection_names: ['c'] });
    }
    const l0Files = async () => (await listObjectFiles(h.path, `segments/${(await db.describeCollection({ collection_name: 'c' })).collectionID}/`, h.fs)).filter((o) => o.key.endsWith('.del'));
    assert.equal((await l0Files()).length, 5);
    assert.equal(await countOf(db, 'c'), 275);
    await db.compact({ collection_name: 'c' });
    assert.equal((await l0Files()).length, 1, 'five delete files merged into one');
    assert.equal(await countOf(db, 'c'), 275);
    db = await h.reopen();
    assert.equal(await countOf(db, 'c'), 275);
    assert.deepEqual((await db.get({ collection_name: 'c', ids: [0, 4, 5, 40, 44, 45] })).data.map((r) => r['id']).sort((a, b) => (a as number) - (b as number)), [5, 45]);
  }, { limits: { l0FilesMax: 2, compactionSmallRowsMax: 100, compactionDeletedRatioMin: 0.5 } }));
});
