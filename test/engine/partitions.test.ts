// Partitions (create, has, show, drop and their refusals), partition-key collections,
// and load/release of collections and partitions with what reads see in each state.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, basicFields, basicRows, countOf, createBasic, withEngine } from './helpers.js';

describe('partitions', () => {
  test('create, has, show, statistics and drop', () => withEngine(async (db) => {
    await createBasic(db, 'c', { load: false });
    assert.deepEqual((await db.showPartitions({ collection_name: 'c' })).partition_names, ['_default']);
    await db.createPartition({ collection_name: 'c', partition_name: 'p1' });
    await db.createPartition({ collection_name: 'c', partition_name: 'p2' });
    const shown = await db.showPartitions({ collection_name: 'c' });
    assert.deepEqual(shown.partition_names, ['_default', 'p1', 'p2']);
    assert.equal(new Set(shown.partitionIDs).size, 3);
    assert.deepEqual(shown.loadedPercentages, [0, 0, 0]);
    assert.equal((await db.hasPartition({ collection_name: 'c', partition_name: 'p1' })).value, true);
    assert.equal((await db.hasPartition({ collection_name: 'c', partition_name: 'p9' })).value, false);

    await db.insert({ collection_name: 'c', partition_name: 'p1', data: basicRows(0, 5) });
    await db.insert({ collection_name: 'c', partition_name: 'p2', data: basicRows(5, 8) });
    await db.insert({ collection_name: 'c', data: basicRows(8, 10) });
    assert.equal((await db.getPartitionStatistics({ collection_name: 'c', partition_name: 'p1' })).data.row_count, 5);
    assert.equal((await db.getPartitionStatistics({ collection_name: 'c', partition_name: '_default' })).data.row_count, 2);
    assert.equal((await db.getCollectionStatistics({ collection_name: 'c' })).data.row_count, 10);

    await db.dropPartition({ collection_name: 'c', partition_name: 'p1' });
    assert.equal((await db.hasPartition({ collection_name: 'c', partition_name: 'p1' })).value, false);
    assert.deepEqual((await db.showPartitions({ collection_name: 'c' })).partition_names, ['_default', 'p2']);
    assert.equal((await db.getCollectionStatistics({ collection_name: 'c' })).data.row_count, 5, 'the partition took its rows along');
    // Its name can be used again, and the new partition starts empty.
    await db.createPartition({ collection_name: 'c', partition_name: 'p1' });
    assert.equal((await db.getPartitionStatistics({ collection_name: 'c', partition_name: 'p1' })).data.row_count, 0);
  }, { storage: 'memory' }));

  test('refusals: _default, exists, not found, loaded, bad name', () => withEngine(async (db) => {
    await createBasic(db, 'c', { load: false });
    await db.createPartition({ collection_name: 'c', partition_name: 'p1' });
    await assert.rejects(db.dropPartition({ collection_name: 'c', partition_name: '_default' }), { code: 'DEFAULT_PARTITION' });
    await assert.rejects(db.createPartition({ collection_name: 'c', partition_name: '_default' }), { code: 'PARTITION_ALREADY_EXISTS' });
    await assert.rejects(db.createPartition({ collection_name: 'c', partition_name: 'p1' }), { code: 'PARTITION_ALREADY_EXISTS' });
    // Drops are idempotent, as in Milvus: the collection must exist, the partition need not.
    await db.dropPartition({ collection_name: 'c', partition_name: 'nope' });
    await assert.rejects(db.dropPartition({ collection_name: 'nope', partition_name: 'p1' }), { code: 'COLLECTION_NOT_FOUND' });
    await assert.rejects(db.getPartitionStatistics({ collection_name: 'c', partition_name: 'nope' }), { code: 'PARTITION_NOT_FOUND' });
    await assert.rejects(db.insert({ collection_name: 'c', partition_name: 'nope', data: basicRows(0, 1) }), { code: 'PARTITION_NOT_FOUND' });
    await assert.rejects(db.delete({ collection_name: 'c', partition_name: 'nope', ids: [1] }), { code: 'PARTITION_NOT_FOUND' });
    await assert.rejects(db.createPartition({ collection_name: 'c', partition_name: 'p-2' }), { code: 'INVALID_PARTITION_NAME' });
    await assert.rejects(db.createPartition({ collection_name: 'nope', partition_name: 'p2' }), { code: 'COLLECTION_NOT_FOUND' });

    await db.loadCollection({ collection_name: 'c' });
    await assert.rejects(db.dropPartition({ collection_name: 'c', partition_name: 'p1' }), { code: 'PARTITION_LOADED' });
    await db.releasePartitions({ collection_name: 'c', partition_names: ['p1'] });
    await db.dropPartition({ collection_name: 'c', partition_name: 'p1' });
    assert.equal((await db.getLoadState({ collection_name: 'c' })).state, 'LoadStateLoaded', '_default stays loaded');
  }, { storage: 'memory' }));

  test('partition-key collections route rows to _default_N and refuse manual partitions', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'c',
      num_partitions: 4,
      fields: basicFields(4, [{ name: 'tenant', data_type: DataType.VarChar, max_length: 16, is_partition_key: true }]),
    });
    await db.loadCollection({ collection_name: 'c' });
    await assert.rejects(db.createPartition({ collection_name: 'c', partition_name: 'p' }), { code: 'PARTITION_KEY_MODE' });
    await assert.rejects(db.dropPartition({ collection_name: 'c', partition_name: '_default_0' }), { code: 'PARTITION_KEY_MODE' });
    await assert.rejects(db.insert({ collection_name: 'c', partition_name: '_default_0', data: basicRows(0, 1, 4, () => ({ tenant: 't' })) }), { code: 'PARTITION_KEY_MODE' });

    const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka'];
    await db.insert({ collection_name: 'c', data: basicRows(0, 200, 4, (i) => ({ tenant: tenants[i % tenants.length] })) });
    assert.equal(await countOf(db, 'c'), 200);
    const names = (await db.showPartitions({ collection_name: 'c' })).partition_names;
    assert.deepEqual(names, ['_default_0', '_default_1', '_default_2', '_default_3']);
    let sum = 0;
    let used = 0;
    const tenantPartition = new Map<string, string>();
    for (const p of names) {
      const n = await countOf(db, 'c', { partition_names: [p] });
      sum += n;
      if (n > 0) used++;
      const rows = await db.query({ collection_name: 'c', partition_names: [p], limit: 1000, output_fields: ['tenant'], consistency_level: 'Strong' });
      assert.equal(rows.data.length, n);
      for (const r of rows.data) {
        const t = r['tenant'] as string;
        // One tenant's rows all land in one partition.
        assert.equal(tenantPartition.get(t) ?? p, p, `tenant ${t} is in two partitions`);
        tenantPartition.set(t, p);
      }
    }
    assert.equal(sum, 200, 'every row is in exactly one partition');
    assert.ok(used >= 2, `8 tenants over 4 partitions use more than one (used ${used})`);
    assert.equal(tenantPartition.size, tenants.length);
    // Reads, deletes and searches reach rows in every partition.
    const got = await db.get({ collection_name: 'c', ids: [0, 1, 2, 3], output_fields: ['tenant'] });
    assert.deepEqual(got.data.map((r) => r['tenant']).sort(), ['acme', 'globex', 'initech', 'umbrella']);
    await db.delete({ collection_name: 'c', ids: [0, 1, 2, 3] });
    assert.equal(await countOf(db, 'c'), 196);
    const hits = await db.search({ collection_name: 'c', data: basicRows(10, 11)[0]!['vector'], limit: 1, metric_type: 'L2', consistency_level: 'Strong' });
    assert.equal((hits.results as Array<Record<string, unknown>>)[0]!['id'], 10);
  }, { storage: 'memory' }));
});

describe('load and release', () => {
  test('collections: state, and reads refused while released', () => withEngine(async (db) => {
    await createBasic(db, 'c', { load: false });
    await db.insert({ collection_name: 'c', data: basicRows(0, 3) });
    assert.equal((await db.getLoadState({ collection_name: 'c' })).state, 'LoadStateNotLoad');
    assert.equal((await db.getLoadingProgress({ collection_name: 'c' })).progress, 0);
    await assert.rejects(db.query({ collection_name: 'c', filter: 'id in [1]' }), { code: 'COLLECTION_NOT_LOADED' });
    await assert.rejects(db.count({ collection_name: 'c' }), { code: 'COLLECTION_NOT_LOADED' });
    await assert.rejects(db.get({ collection_name: 'c', ids: [1] }), { code: 'COLLECTION_NOT_LOADED' });
    await assert.rejects(db.search({ collection_name: 'c', data: [1, 0, 0, 0] }), { code: 'COLLECTION_NOT_LOADED' });

    await db.loadCollection({ collection_name: 'c' });
    await db.loadCollection({ collection_name: 'c' }); // idempotent
    assert.equal((await db.getLoadState({ collection_name: 'c' })).state, 'LoadStateLoaded');
    assert.equal((await db.getLoadingProgress({ collection_name: 'c' })).progress, 100);
    assert.equal((await db.showCollections()).data[0]!.loadedPercentage, 100);
    assert.equal(await countOf(db, 'c'), 3);

    await db.releaseCollection({ collection_name: 'c' });
    assert.equal((await db.getLoadState({ collection_name: 'c' })).state, 'LoadStateNotLoad');
    await assert.rejects(db.query({ collection_name: 'c', filter: 'id in [1]' }), { code: 'COLLECTION_NOT_LOADED' });
    // Writes do not need a loaded collection.
    await db.insert({ collection_name: 'c', data: basicRows(3, 5) });
    await db.delete({ collection_name: 'c', ids: [0] });
    await db.loadCollectionSync({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 4);
    await assert.rejects(db.loadCollection({ collection_name: 'nope' }), { code: 'COLLECTION_NOT_FOUND' });
    await assert.rejects(db.getLoadState({ collection_name: 'nope' }), { code: 'COLLECTION_NOT_FOUND' });
  }, { storage: 'memory' }));

  test('partitions: load some, read only those, released ones refused', () => withEngine(async (db) => {
    await createBasic(db, 'c', { load: false });
    await db.createPartition({ collection_name: 'c', partition_name: 'a' });
    await db.createPartition({ collection_name: 'c', partition_name: 'b' });
    await db.insert({ collection_name: 'c', partition_name: 'a', data: basicRows(0, 4) });
    await db.insert({ collection_name: 'c', partition_name: 'b', data: basicRows(4, 10) });
    await db.insert({ collection_name: 'c', data: basicRows(10, 11) });

    await db.loadPartitions({ collection_name: 'c', partition_names: ['a'] });
    assert.equal((await db.getLoadState({ collection_name: 'c' })).state, 'LoadStateLoaded');
    assert.equal((await db.getLoadState({ collection_name: 'c', partition_names: ['a'] })).state, 'LoadStateLoaded');
    assert.equal((await db.getLoadState({ collection_name: 'c', partition_names: ['b'] })).state, 'LoadStateNotLoad');
    assert.deepEqual((await db.showPartitions({ collection_name: 'c' })).loadedPercentages, [0, 100, 0]);
    // Without partition_names a read sees the loaded partitions only.
    assert.equal(await countOf(db, 'c'), 4);
    assert.equal(await countOf(db, 'c', { partition_names: ['a'] }), 4);
    await assert.rejects(db.count({ collection_name: 'c', partition_names: ['b'] }), { code: 'PARTITION_NOT_LOADED' });
    await assert.rejects(db.query({ collection_name: 'c', partition_names: ['b'], filter: 'id in [5]' }), { code: 'PARTITION_NOT_LOADED' });
    await assert.rejects(db.search({ collection_name: 'c', partition_names: ['_default'], data: [1, 0, 0, 0] }), { code: 'PARTITION_NOT_LOADED' });
    await assert.rejects(db.count({ collection_name: 'c', partition_names: ['zzz'] }), { code: 'PARTITION_NOT_FOUND' });
    const got = await db.get({ collection_name: 'c', ids: [1, 5, 10] });
    assert.deepEqual(got.data.map((r) => r['id']), [1], 'get sees only the loaded partition');

    await db.loadPartitions({ collection_name: 'c', partition_names: ['b'] });
    assert.equal(await countOf(db, 'c'), 10);
    await db.releasePartitions({ collection_name: 'c', partition_names: ['a'] });
    assert.equal(await countOf(db, 'c'), 6);
    await assert.rejects(db.count({ collection_name: 'c', partition_names: ['a'] }), { code: 'PARTITION_NOT_LOADED' });
    await db.releasePartitions({ collection_name: 'c', partition_names: ['b'] });
    assert.equal((await db.getLoadState({ collection_name: 'c' })).state, 'LoadStateNotLoad', 'releasing the last loaded partition releases the collection');
    await assert.rejects(db.count({ collection_name: 'c' }), { code: 'COLLECTION_NOT_LOADED' });

    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 11);
    await db.releasePartitions({ collection_name: 'c', partition_names: ['_default', 'b'] });
    assert.equal(await countOf(db, 'c'), 4, 'releasing some partitions of a fully loaded collection keeps the rest');
    await assert.rejects(db.loadPartitions({ collection_name: 'c', partition_names: ['zzz'] }), { code: 'PARTITION_NOT_FOUND' });
    await assert.rejects(db.loadPartitions({ collection_name: 'c', partition_names: [] }), { code: 'INVALID_ARGUMENT' });
  }, { storage: 'memory' }));
});
