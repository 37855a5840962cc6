// What survives close/open: the catalog (databases, collections, partitions, aliases,
// load state, properties), rows and deletes whether flushed or only in the log, and
// compaction's results. Also the data folder lock, calls after close, and close itself.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus } from '../../src/engine/index.js';
import { FaultFileSystem, listObjectFiles } from '../../src/testing/index.js';
import { DataType, basicRows, countOf, createBasic, openEngine, range, vec, withEngine } from './helpers.js';

/** Every visible row of a collection, sorted by key, at Strong consistency. */
async function snapshot(db: Elanus, collection_name: string, db_name?: string): Promise<Array<Record<string, unknown>>> {
  const r = await db.query({ collection_name, limit: 16_384, output_fields: ['*'], consistency_level: 'Strong', ...(db_name ? { db_name } : {}) });
  return r.data.sort((a, b) => (BigInt(a['id'] as string) < BigInt(b['id'] as string) ? -1 : 1));
}

describe('restart', () => {
  test('the catalog survives: databases, collections, partitions, aliases, load state, properties', () => withEngine(async (_db, h) => {
    let db = h.db;
    await db.createDatabase({ db_name: 'shop', properties: { owner: 'ops' } });
    await db.createCollection({
      db_name: 'shop',
      collection_name: 'items',
      description: 'things we sell',
      enable_dynamic_field: true,
      consistency_level: 'Session',
      shards_num: 2,
      properties: { 'collection.ttl.seconds': 86400 },
      fields: [
        { name: 'sku', data_type: DataType.VarChar, is_primary_key: true, max_length: 16 },
        { name: 'price', data_type: DataType.Double, nullable: true },
        { name: 'stock', data_type: DataType.Int32, default_value: 0 },
        { name: 'emb', data_type: DataType.FloatVector, dim: 4 },
        { name: 'bits', data_type: DataType.BinaryVector, dim: 8 },
      ],
    });
    await db.createPartition({ db_name: 'shop', collection_name: 'items', partition_name: 'winter' });
    await db.createPartition({ db_name: 'shop', collection_name: 'items', partition_name: 'summer' });
    await db.createPartition({ db_name: 'shop', collection_name: 'items', partition_name: 'gone' });
    await db.dropPartition({ db_name: 'shop', collection_name: 'items', partition_name: 'gone' });
    await db.loadPartitions({ db_name: 'shop', collection_name: 'items', partition_names: ['winter'] });
    await db.createAlias({ db_name: 'shop', collection_name: 'items', alias: 'catalogue' });
    await createBasic(db, 'loaded');
    await createBasic(db, 'released', { load: false });
    await createBasic(db, 'renamed_from');
    await db.renameCollection({ collection_name: 'renamed_from', new_collection_name: 'renamed_to' });
    await createBasic(db, 'dropped');
    await db.dropCollection({ collection_name: 'dropped' });
    await db.createDatabase({ db_name: 'temp' });
    await db.dropDatabase({ db_name: 'temp' });
    await db.alterCollection({ collection_name: 'loaded', properties: { 'mmap.enabled': 'true' } });

    const describeAll = async () => ({
      dbs: (await db.listDatabases()).db_names,
      shopDb: await db.describeDatabase({ db_name: 'shop' }),
      items: await db.describeCollection({ db_name: 'shop', collection_name: 'items' }),
      partitions: await db.showPartitions({ db_name: 'shop', collection_name: 'items' }),
      aliases: (await db.listAliases({ db_name: 'shop' })).aliases,
      alias: await db.describeAlias({ db_name: 'shop', alias: 'catalogue' }),
      collections: (await db.showCollections()).data,
      loadStates: [
        (await db.getLoadState({ collection_name: 'loaded' })).state,
        (await db.getLoadState({ collection_name: 'released' })).state,
        (await db.getLoadState({ db_name: 'shop', collection_name: 'items', partition_names: ['winter'] })).state,
        (await db.getLoadState({ db_name: 'shop', collection_name: 'items', partition_names: ['summer'] })).state,
      ],
      loadedProps: (await db.describeCollection({ collection_name: 'loaded' })).properties,
    });
    const before = await describeAll();
    assert.deepEqual(before.loadStates, ['LoadStateLoaded', 'LoadStateNotLoad', 'LoadStateLoaded', 'LoadStateNotLoad']);
    db = await h.reopen();
    const after = await describeAll();
    assert.deepEqual(after, before);
    assert.deepEqual(after.dbs, ['default', 'shop']);
    assert.deepEqual(after.partitions.partition_names, ['_default', 'winter', 'summer']);
    assert.deepEqual(after.items.properties, [{ key: 'collection.ttl.seconds', value: '86400' }]);
    assert.equal(after.items.shards_num, 2);
    assert.equal(after.items.consistency_level, 'Session');
    assert.deepEqual(after.collections.map((c) => c.name).sort(), ['loaded', 'released', 'renamed_to']);
    // Names freed before the restart are still free after it.
    await createBasic(db, 'dropped');
    await db.createDatabase({ db_name: 'temp' });
    await assert.rejects(db.describeCollection({ collection_name: 'renamed_from' }), { code: 'COLLECTION_NOT_FOUND' });
    // And it can still change: ids handed out after the restart do not collide.
    await db.createPartition({ db_name: 'shop', collection_name: 'items', partition_name: 'autumn' });
    const ids = (await db.showPartitions({ db_name: 'shop', collection_name: 'items' })).partitionIDs;
    assert.equal(new Set(ids).size, ids.length);
  }));

  test('rows and deletes survive, flushed or only in the log', () => withEngine(async (_db, h) => {
    let db = h.db;
    await createBasic(db, 'c', {
      dynamic: true,
      extra: [
        { name: 'note', data_type: DataType.VarChar, max_length: 20, nullable: true },
        { name: 'n', data_type: DataType.Int64, default_value: 5 },
        { name: 'tags', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 4, nullable: true },
        { name: 'j', data_type: DataType.JSON, nullable: true },
      ],
    });
    await db.createPartition({ collection_name: 'c', partition_name: 'p' });
    await db.loadCollection({ collection_name: 'c' });
    const extra = (i: number) => (i % 3 === 0 ? { note: null } : { note: `n${i}`, n: `${2n ** 60n + BigInt(i)}`, tags: [i, i + 1], j: { i }, color: `c${i}` });
    // Flushed: inserts, then deletes and upserts of flushed rows, then flushed again.
    await db.insert({ collection_name: 'c', data: basicRows(0, 100, 4, extra) });
    await db.insert({ collection_name: 'c', partition_name: 'p', data: basicRows(100, 150, 4, extra) });
    await db.flush({ collection_names: ['c'] });
    await db.delete({ collection_name: 'c', ids: range(0, 10) });
    await db.upsert({ collection_name: 'c', data: basicRows(10, 20, 4, (i) => ({ note: `up${i}` })) });
    await db.flush({ collection_names: ['c'] });
    // Only in the log: more of each, including deletes of flushed rows and of log-only rows.
    await db.insert({ collection_name: 'c', data: basicRows(150, 200, 4, extra) });
    await db.delete({ collection_name: 'c', ids: [20, 21, 150, 151, 120] });
    await db.delete({ collection_name: 'c', partition_name: 'p', ids: [22, 121] });
    await db.upsert({ collection_name: 'c', data: basicRows(30, 35, 4, (i) => ({ note: `log${i}` })) });
    await db.insert({ collection_name: 'c', data: basicRows(0, 2, 4, (i) => ({ note: `back${i}` })) });

    const before = await snapshot(db, 'c');
    assert.equal(before.length, 200 - 10 - 5 - 1 + 2);
    assert.equal(await countOf(db, 'c'), before.length);
    const perPartition = [await countOf(db, 'c', { partition_names: ['_default'] }), await countOf(db, 'c', { partition_names: ['p'] })];

    for (let restart = 0; restart < 2; restart++) {
      db = await h.reopen();
      assert.deepEqual(await snapshot(db, 'c'), before, `restart ${restart}: every row as it was`);
      assert.equal(await countOf(db, 'c'), before.length);
      assert.deepEqual([await countOf(db, 'c', { partition_names: ['_default'] }), await countOf(db, 'c', { partition_names: ['p'] })], perPartition);
      assert.equal((await db.getCollectionStatistics({ collection_name: 'c' })).data.row_count, before.length);
      const hits = await db.search({ collection_name: 'c', data: vec(40, 4), limit: 1, metric_type: 'L2', consistency_level: 'Strong' });
      assert.equal((hits.results as Array<Record<string, unknown>>)[0]!['id'], 40);
      if (restart === 0) await db.flush({ collection_names: ['c'] });
    }
    // Writes after a restart keep replacing, not duplicating, rows written before it.
    await db.insert({ collection_name: 'c', data: basicRows(40, 60, 4) });
    assert.equal(await countOf(db, 'c'), before.length);
  }));

  test('dropped partitions and collections stay dropped and leave no files', () => withEngine(async (_db, h) => {
    let db = h.db;
    await createBasic(db, 'keep');
    await createBasic(db, 'drop_me');
    await db.createPartition({ collection_name: 'keep', partition_name: 'p' });
    await db.insert({ collection_name: 'keep', partition_name: 'p', data: basicRows(0, 10) });
    await db.insert({ collection_name: 'keep', data: basicRows(10, 15) });
    await db.insert({ collection_name: 'drop_me', data: basicRows(0, 10) });
    await db.flush({ collection_names: ['keep', 'drop_me'] });
    await db.insert({ collection_name: 'keep', partition_name: 'p', data: basicRows(15, 20) });
    await db.releasePartitions({ collection_name: 'keep', partition_names: ['p'] });
    await db.dropPartition({ collection_name: 'keep', partition_name: 'p' });
    const dropId = (await db.describeCollection({ collection_name: 'drop_me' })).collectionID;
    await db.dropCollection({ collection_name: 'drop_me' });
    db = await h.reopen();
    assert.deepEqual((await db.showPartitions({ collection_name: 'keep' })).partition_names, ['_default']);
    assert.equal(await countOf(db, 'keep'), 5);
    assert.equal((await db.hasCollection({ collection_name: 'drop_me' })).value, false);
    assert.deepEqual(await listObjectFiles(h.path, `segments/${dropId}/`, h.fs), [], 'the dropped collection has no segment files');
    // A new partition with the old name starts empty.
    await db.createPartition({ collection_name: 'keep', partition_name: 'p' });
    await db.loadCollection({ collection_name: 'keep' });
    assert.equal(await countOf(db, 'keep', { partition_names: ['p'] }), 0);
  }));

  test('compaction merges segments and drops deleted rows; counts stay exact across restarts', () => withEngine(async (_db, h) => {
    let db = h.db;
    await createBasic(db, 'c');
    for (let b = 0; b < 5; b++) {
      await db.insert({ collection_name: 'c', data: basicRows(b * 100, b * 100 + 100) });
      await db.flush({ collection_names: ['c'] });
    }
    const flushed = () => db.segmentInfo({ collection_name: 'c' }).filter((s) => s.state === 'flushed');
    assert.equal(flushed().length, 5);
    assert.equal(flushed().reduce((n, s) => n + s.rows, 0), 500);
    await db.delete({ collection_name: 'c', ids: range(0, 50) });
    await db.upsert({ collection_name: 'c', data: basicRows(100, 120) });
    await db.flush({ collection_names: ['c'] });
    const rowsBefore = db.segmentInfo({ collection_name: 'c' }).reduce((n, s) => n + s.rows, 0);
    assert.equal(rowsBefore, 520, 'deleted and replaced rows are still stored before compaction');
    const snap = await snapshot(db, 'c');
    assert.equal(snap.length, 450);

    const r = await db.compact({ collection_name: 'c' });
    assert.equal(r.merged, 6);
    assert.equal(r.removedRows, 70, '50 deleted and 20 replaced rows are gone');
    const after = flushed();
    assert.equal(after.length, 1, 'one segment');
    assert.equal(after[0]!.rows, 450, 'holding exactly the visible rows');
    assert.equal(await countOf(db, 'c'), 450);
    assert.deepEqual(await snapshot(db, 'c'), snap);
    // Compacting again has nothing to do.
    assert.deepEqual({ ...(await db.compact({ collection_name: 'c' })), compactionID: 0, status: null }, { compactionID: 0, status: null, merged: 0, removedRows: 0 });

    db = await h.reopen();
    assert.equal(await countOf(db, 'c'), 450);
    assert.deepEqual(await snapshot(db, 'c'), snap);
    assert.equal(flushed().length, 1);
    // Deletes and upserts after compaction, only in the log, then a restart.
    await db.delete({ collection_name: 'c', ids: [60, 61, 62] });
    await db.upsert({ collection_name: 'c', data: basicRows(0, 5) });
    db = await h.reopen();
    assert.equal(await countOf(db, 'c'), 452);
    await db.flush({ collection_names: ['c'] });
    await db.compact({ collection_name: 'c' });
    assert.equal(db.segmentInfo({ collection_name: 'c' }).reduce((n, s) => n + s.rows, 0), 452);
    db = await h.reopen();
    assert.equal(await countOf(db, 'c'), 452);
  }));
});

describe('engine lifecycle', () => {
  test('a data folder opens once at a time (disk and in-memory)', async () => {
    for (const storage of ['disk', 'memory'] as const) {
      const h = await openEngine({ storage });
      try {
        await createBasic(h.db, 'c');
        await assert.rejects(h.openAgain(), { code: 'DATA_DIR_LOCKED' }, storage);
        // The refused open did not disturb the engine that holds the folder.
        await h.db.insert({ collection_name: 'c', data: basicRows(0, 3) });
        assert.equal(await countOf(h.db, 'c'), 3);
        // After close it opens again.
        await h.reopen();
        assert.equal(await countOf(h.db, 'c'), 3);
      } finally {
        await h.dispose();
      }
    }
  });

  test('calls after close fail with CLOSED; close is idempotent', async () => {
    const h = await openEngine({ storage: 'memory' });
    const db = h.db;
    await createBasic(db, 'c');
    await db.insert({ collection_name: 'c', data: basicRows(0, 3) });
    const closes = [db.close(), db.close()];
    await Promise.all(closes);
    await db.close();
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['listDatabases', () => db.listDatabases()],
      ['createDatabase', () => db.createDatabase({ db_name: 'x' })],
      ['createCollection', () => db.createCollection({ collection_name: 'x', dimension: 4 })],
      ['describeCollection', () => db.describeCollection({ collection_name: 'c' })],
      ['hasCollection', () => db.hasCollection({ collection_name: 'c' })],
      ['showCollections', () => db.showCollections()],
      ['insert', () => db.insert({ collection_name: 'c', data: basicRows(5, 6) })],
      ['upsert', () => db.upsert({ collection_name: 'c', data: basicRows(5, 6) })],
      ['delete', () => db.delete({ collection_name: 'c', ids: [1] })],
      ['query', () => db.query({ collection_name: 'c', filter: 'id == 1' })],
      ['get', () => db.get({ collection_name: 'c', ids: [1] })],
      ['count', () => db.count({ collection_name: 'c' })],
      ['search', () => db.search({ collection_name: 'c', data: vec(1, 4) })],
      ['flush', () => db.flush({ collection_names: ['c'] })],
      ['compact', () => db.compact({ collection_name: 'c' })],
      ['loadCollection', () => db.loadCollection({ collection_name: 'c' })],
      ['createPartition', () => db.createPartition({ collection_name: 'c', partition_name: 'p' })],
      ['createAlias', () => db.createAlias({ collection_name: 'c', alias: 'a' })],
      ['listAliases', () => db.listAliases()],
      ['getCollectionStatistics', () => db.getCollectionStatistics({ collection_name: 'c' })],
    ];
    for (const [name, call] of calls) await assert.rejects(call(), { code: 'CLOSED' }, name);
    assert.throws(() => db.segmentInfo({ collection_name: 'c' }), { code: 'CLOSED' });
    // The data is intact for the next owner.
    await h.reopen();
    assert.equal(await countOf(h.db, 'c'), 3);
    await h.dispose();
    await h.db.close();
  });

  test('bad open options and requests that are not objects are refused with a code', async () => {
    await assert.rejects(Elanus.open({ path: '' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(Elanus.open(null as never), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(Elanus.open({ path: '/data/x', fs: new FaultFileSystem(), limits: { segmentRowsMax: -1 } }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(Elanus.open({ path: '/data/x', fs: new FaultFileSystem(), limits: { boundedStalenessMs: Number.NaN } }), { code: 'INVALID_ARGUMENT' });
    await withEngine(async (db) => {
      await createBasic(db, 'c');
      await assert.rejects(db.insert(null as never), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(db.describeCollection(undefined as never), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(db.createCollection(null as never), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(db.hasCollection(null as never), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(db.search(null as never), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(db.get({ collection_name: 'c' } as never), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(db.flush({ collection_names: 'c' as never }), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(db.flush({ collection_names: ['c', 'missing'] }), { code: 'COLLECTION_NOT_FOUND' });
      await assert.rejects(db.delete({ collection_name: 'c', ids: 5 as never }), { code: 'INVALID_ARGUMENT' });
    }, { storage: 'memory' });
  });

  test('close waits for writes in flight, and they are all there after reopening', () => withEngine(async (_db, h) => {
    await createBasic(h.db, 'c');
    const writes = range(0, 20).map((b) => h.db.insert({ collection_name: 'c', data: basicRows(b * 10, b * 10 + 10) }));
    const closing = h.db.close();
    const results = await Promise.allSettled(writes);
    await closing;
    const acknowledged = results.filter((r) => r.status === 'fulfilled').length;
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'CLOSED');
    await h.reopen();
    assert.equal(await countOf(h.db, 'c'), acknowledged * 10, 'exactly the acknowledged writes');
  }));
});
