// Collections, partitions, aliases, load and release through the official SDK.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, promisify, ShowCollectionsType } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, kv, startHarness, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const simple = (name: string, extra: Record<string, unknown> = {}) => ({
  collection_name: name,
  fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ],
  ...extra,
});

async function indexAndLoad(name: string, field = 'v'): Promise<void> {
  assertOk(await h.client.createIndex({ collection_name: name, field_name: field, index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await h.client.loadCollectionAsync({ collection_name: name }));
}

test('createCollection with every field type; describeCollection returns the schema exactly', async () => {
  const c = h.client;
  const res = await c.createCollection({
    collection_name: 'all_types',
    description: 'every type',
    enable_dynamic_field: true,
    consistency_level: 'Strong',
    num_partitions: 4,
    fields: [
      { name: 'pk', data_type: DataType.Int64, is_primary_key: true, autoID: false, description: 'the key' },
      { name: 'b', data_type: DataType.Bool },
      { name: 'i8', data_type: DataType.Int8 },
      { name: 'i16', data_type: DataType.Int16 },
      { name: 'i32', data_type: DataType.Int32, nullable: true },
      { name: 'i64', data_type: DataType.Int64, default_value: 42 },
      { name: 'f', data_type: DataType.Float },
      { name: 'd', data_type: DataType.Double, nullable: true, default_value: 1.5 },
      { name: 's', data_type: DataType.VarChar, max_length: 16, default_value: 'none' },
      { name: 'tenant', data_type: DataType.VarChar, max_length: 32, is_partition_key: true },
      { name: 'j', data_type: DataType.JSON, nullable: true },
      { name: 'ai', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 4 },
      { name: 'as', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 3, max_length: 8 },
      { name: 'fv', data_type: DataType.FloatVector, dim: 4 },
      { name: 'bv', data_type: DataType.BinaryVector, dim: 16 },
      { name: 'hv', data_type: DataType.Float16Vector, dim: 4 },
      { name: 'bfv', data_type: DataType.BFloat16Vector, dim: 4 },
    ],
  });
  assertOk(res);
  const d = await c.describeCollection({ collection_name: 'all_types' });
  assertOk(d);
  assert.equal(d.collection_name, 'all_types');
  assert.equal(d.db_name, 'default');
  assert.equal(d.consistency_level, 'Strong');
  assert.equal(d.schema.description, 'every type');
  assert.equal(d.schema.enable_dynamic_field, true);
  assert.equal(d.schema.autoID, false);
  assert.equal(d.num_partitions, '4');
  assert.equal(d.shards_num, 1);
  assert.ok(Number(d.collectionID) > 0);
  assert.ok(BigInt(d.created_timestamp) > 0n);
  const fields = d.schema.fields.map((f) => ({
    id: String(f.fieldID), name: f.name, type: f.data_type, params: kv(f.type_params as never), pk: f.is_primary_key, auto: f.autoID,
    elem: f.element_type, nullable: f.nullable, pkey: f.is_partition_key, dyn: f.is_dynamic,
    def: f.default_value ?? null,
  }));
  const base = { pk: false, auto: false, elem: 'None', nullable: false, pkey: false, dyn: false, def: null, params: {} };
  assert.deepEqual(fields, [
    { ...base, id: '100', name: 'pk', type: 'Int64', pk: true },
    { ...base, id: '101', name: 'b', type: 'Bool' },
    { ...base, id: '102', name: 'i8', type: 'Int8' },
    { ...base, id: '103', name: 'i16', type: 'Int16' },
    { ...base, id: '104', name: 'i32', type: 'Int32', nullable: true },
    { ...base, id: '105', name: 'i64', type: 'Int64', def: '42' },
    { ...base, id: '106', name: 'f', type: 'Float' },
    { ...base, id: '107', name: 'd', type: 'Double', nullable: true, def: 1.5 },
    { ...base, id: '108', name: 's', type: 'VarChar', params: { max_length: '16' }, def: 'none' },
    { ...base, id: '109', name: 'tenant', type: 'VarChar', params: { max_length: '32' }, pkey: true },
    { ...base, id: '110', name: 'j', type: 'JSON', nullable: true },
    { ...base, id: '111', name: 'ai', type: 'Array', params: { max_capacity: '4' }, elem: 'Int32' },
    { ...base, id: '112', name: 'as', type: 'Array', params: { max_length: '8', max_capacity: '3' }, elem: 'VarChar' },
    { ...base, id: '113', name: 'fv', type: 'FloatVector', params: { dim: '4' } },
    { ...base, id: '114', name: 'bv', type: 'BinaryVector', params: { dim: '16' } },
    { ...base, id: '115', name: 'hv', type: 'Float16Vector', params: { dim: '4' } },
    { ...base, id: '116', name: 'bfv', type: 'BFloat16Vector', params: { dim: '4' } },
  ]);
  // The SDK's derived views agree.
  assert.deepEqual(Object.keys(d.anns_fields ?? {}).sort(), ['bfv', 'bv', 'fv', 'hv']);
  // The partition key made 4 partitions.
  const parts = await c.listPartitions({ collection_name: 'all_types' });
  assertOk(parts);
  assert.equal(parts.partition_names.length, 4);
  // Manual partitions are refused on a partition-key collection.
  assertErr(await c.createPartition({ collection_name: 'all_types', partition_name: 'p' }), { code: 1100, elanus: 'PARTITION_KEY_MODE' });
  // The engine sees the same schema.
  const e = await h.engine.describeCollection({ collection_name: 'all_types' });
  assert.deepEqual((e as unknown as { schema: { fields: Array<{ name: string }> } }).schema.fields.map((f) => f.name), d.schema.fields.filter((f) => !f.is_dynamic).map((f) => f.name));
  assertOk(await c.dropCollection({ collection_name: 'all_types' }));
});

test('autoID, a VarChar primary key and describe through HasCollection / BatchDescribeCollection', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'auto', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 3 },
  ] }));
  assertOk(await c.createCollection({ collection_name: 'strpk', fields: [
    { name: 'key', data_type: DataType.VarChar, is_primary_key: true, max_length: 64 },
    { name: 'v', data_type: DataType.FloatVector, dim: 3 },
  ] }));
  const a = await c.describeCollection({ collection_name: 'auto' });
  assert.equal(a.schema.autoID, true);
  assert.equal(a.schema.fields[0]!.autoID, true);
  assert.equal(a.schema.enable_dynamic_field, false);
  assert.equal(a.schema.fields.length, 2);
  const s = await c.describeCollection({ collection_name: 'strpk' });
  assert.deepEqual({ type: s.schema.fields[0]!.data_type, params: kv(s.schema.fields[0]!.type_params as never) }, { type: 'VarChar', params: { max_length: '64' } });

  // hasCollection (the SDK describes); the HasCollection RPC itself through the SDK's promisify.
  assert.equal((await c.hasCollection({ collection_name: 'auto' })).value, true);
  assert.equal((await c.hasCollection({ collection_name: 'nope' })).value, false);
  const has = await promisify(c.channelPool, 'HasCollection', { collection_name: 'strpk' }, 5_000);
  assertOk(has);
  assert.equal(has.value, true);
  assert.equal((await promisify(c.channelPool, 'HasCollection', { collection_name: 'nope' }, 5_000)).value, false);

  const batch = await c.batchDescribeCollections({ collection_names: ['auto', 'strpk'] });
  assertOk(batch);
  assert.deepEqual(batch.responses.map((r) => [r.collection_name, r.schema.fields[0]!.name]), [['auto', 'id'], ['strpk', 'key']]);
  const bad = await c.batchDescribeCollections({ collection_names: ['auto', 'nope'] });
  assertErr(bad, { code: 100, elanus: 'COLLECTION_NOT_FOUND' });

  assertOk(await c.dropCollection({ collection_name: 'auto' }));
  assertOk(await c.dropCollection({ collection_name: 'strpk' }));
});

test('quick setup with dimension: id + vector + dynamic field, AUTOINDEX/COSINE, loaded', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'quick', dimension: 8 }));
  const d = await c.describeCollection({ collection_name: 'quick' });
  assert.deepEqual(d.schema.fields.map((f) => [f.name, f.data_type, f.is_primary_key, f.is_dynamic]), [
    ['id', 'Int64', true, false], ['vector', 'FloatVector', false, false],
  ]);
  assert.equal(kv(d.schema.fields[1]!.type_params as never).dim, '8');
  assert.equal(d.schema.enable_dynamic_field, true);
  const idx = await c.describeIndex({ collection_name: 'quick' });
  assertOk(idx);
  assert.equal(idx.index_descriptions.length, 1);
  assert.equal(idx.index_descriptions[0]!.field_name, 'vector');
  assert.equal(kv(idx.index_descriptions[0]!.params as never).metric_type, 'COSINE');
  assert.equal((await c.getLoadState({ collection_name: 'quick' })).state, 'LoadStateLoaded');
  // Calling it again is harmless (the SDK sees the index and just loads; it returns a blank status).
  await c.createCollection({ collection_name: 'quick', dimension: 8 });
  assert.equal((await c.describeIndex({ collection_name: 'quick' })).index_descriptions.length, 1);
  await c.releaseCollection({ collection_name: 'quick' });
  assertOk(await c.dropCollection({ collection_name: 'quick' }));
});

test('showCollections, renameCollection, properties, statistics and truncate', async () => {
  const c = h.client;
  assertOk(await c.createCollection(simple('c_one')));
  assertOk(await c.createCollection(simple('c_two', { properties: { 'collection.ttl.seconds': 3600 } })));
  const shown = await c.showCollections();
  assertOk(shown);
  assert.deepEqual(shown.data.map((x) => x.name).filter((n) => n.startsWith('c_')).sort(), ['c_one', 'c_two']);
  for (const x of shown.data) {
    assert.ok(Number(x.id) > 0);
    assert.equal(x.loadedPercentage, '0');
  }
  const some = await c.showCollections({ collection_names: ['c_two'] });
  assert.deepEqual(some.data.map((x) => x.name), ['c_two']);
  assertErr(await c.showCollections({ collection_names: ['nope'] }), { code: 100, elanus: 'COLLECTION_NOT_FOUND' });

  // Properties.
  let d = await c.describeCollection({ collection_name: 'c_two' });
  assert.deepEqual(kv(d.properties as never), { 'collection.ttl.seconds': '3600' });
  assertOk(await c.alterCollectionProperties({ collection_name: 'c_two', properties: { 'collection.ttl.seconds': 60, 'mmap.enabled': true } }));
  d = await c.describeCollection({ collection_name: 'c_two' });
  assert.deepEqual(kv(d.properties as never), { 'collection.ttl.seconds': '60', 'mmap.enabled': 'true' });
  assertOk(await c.dropCollectionProperties({ collection_name: 'c_two', properties: ['collection.ttl.seconds'] }));
  d = await c.describeCollection({ collection_name: 'c_two' });
  assert.deepEqual(kv(d.properties as never), { 'mmap.enabled': 'true' });
  assertErr(await c.alterCollectionProperties({ collection_name: 'nope', properties: { a: 1 } }), { code: 100, elanus: 'COLLECTION_NOT_FOUND' });

  // Rename keeps the data and the id.
  await c.insert({ collection_name: 'c_one', data: [{ id: 1, v: [1, 1] }, { id: 2, v: [2, 2] }, { id: 3, v: [3, 3] }] });
  const id = (await c.describeCollection({ collection_name: 'c_one' })).collectionID;
  assertOk(await c.renameCollection({ collection_name: 'c_one', new_collection_name: 'c_renamed' }));
  assert.equal((await c.hasCollection({ collection_name: 'c_one' })).value, false);
  assert.equal((await c.describeCollection({ collection_name: 'c_renamed' })).collectionID, id);
  assertErr(await c.renameCollection({ collection_name: 'c_one', new_collection_name: 'c_x' }), { code: 100, elanus: 'COLLECTION_NOT_FOUND' });

  // Statistics count rows (growing and flushed alike).
  let st = await c.getCollectionStatistics({ collection_name: 'c_renamed' });
  assertOk(st);
  assert.equal(st.data.row_count, '3');
  assert.deepEqual(st.stats, [{ key: 'row_count', value: '3' }]);
  await c.flushSync({ collection_names: ['c_renamed'] });
  await c.insert({ collection_name: 'c_renamed', data: [{ id: 4, v: [4, 4] }] });
  st = await c.getCollectionStatistics({ collection_name: 'c_renamed' });
  assert.equal(st.data.row_count, '4');
  assertErr((await c.getCollectionStatistics({ collection_name: 'nope' })).status, { code: 100, error_code: 'CollectionNotExists', elanus: 'COLLECTION_NOT_FOUND' });

  // Truncate empties it and keeps the schema.
  const t = await c.truncateCollection({ collection_name: 'c_renamed' });
  assertOk(t);
  assert.equal((await c.getCollectionStatistics({ collection_name: 'c_renamed' })).data.row_count, '0');
  assert.equal((await c.describeCollection({ collection_name: 'c_renamed' })).schema.fields.length, 2);
  assertErr(await c.truncateCollection({ collection_name: 'nope' }), { code: 100, elanus: 'COLLECTION_NOT_FOUND' });

  assertOk(await c.dropCollection({ collection_name: 'c_renamed' }));
  assertOk(await c.dropCollection({ collection_name: 'c_two' }));
  // Idempotent, as in Milvus.
  assertOk(await c.dropCollection({ collection_name: 'c_two' }));
});

test('createCollection errors: duplicate with another schema, no primary key, bad name, bad dim', async () => {
  const c = h.client;
  assertOk(await c.createCollection(simple('dup')));
  // Same schema again: Milvus accepts it.
  assertOk(await c.createCollection(simple('dup')));
  const other = await c.createCollection({ collection_name: 'dup', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 3 },
  ] }).catch((e: unknown) => e);
  assertErr(other, { code: 65535, elanus: 'COLLECTION_ALREADY_EXISTS', reason: /create duplicate collection with different parameters, collection: dup/ });
  // (The SDK itself refuses a schema without a primary key; two reach the server.)
  const twoPk = await c.createCollection({ collection_name: 'twopk', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'id2', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 3 },
  ] }).catch((e: unknown) => e);
  assertErr(twoPk, { code: 65535, error_code: 'UnexpectedError', elanus: 'INVALID_SCHEMA', reason: /there are more than one primary key, field name = id, id2/ });
  const dupField = await c.createCollection({ collection_name: 'dupfield', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 3 },
    { name: 'v', data_type: DataType.Int32 },
  ] }).catch((e: unknown) => e);
  assertErr(dupField, { code: 65535, elanus: 'INVALID_SCHEMA', reason: /duplicated field name v found/ });
  const badDefault = await c.createCollection({ collection_name: 'baddefault', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 3 },
    { name: 'e', data_type: DataType.Int8, default_value: 1000 },
  ] }).catch((e: unknown) => e);
  assertErr(badDefault, { code: 65535, elanus: 'INVALID_SCHEMA', reason: /out of range/ });
  const fiveVectors = await c.createCollection({ collection_name: 'five', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    ...[1, 2, 3, 4, 5].map((i) => ({ name: `v${i}`, data_type: DataType.FloatVector, dim: 2 })),
  ] }).catch((e: unknown) => e);
  assertErr(fiveVectors, { code: 65535, elanus: 'INVALID_SCHEMA', reason: /at most 4 vector fields/ });
  const badName = await c.createCollection(simple('1bad-name')).catch((e: unknown) => e);
  assertErr(badName, { code: 1100, error_code: 'IllegalArgument', elanus: 'INVALID_COLLECTION_NAME', reason: /Invalid collection name: 1bad-name\. +the first character of a collection name must be an underscore or letter: invalid parameter/ });
  const badDim = await c.createCollection({ collection_name: 'baddim', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 100_000 },
  ] }).catch((e: unknown) => e);
  assertErr(badDim, { code: 65535, elanus: 'INVALID_SCHEMA', reason: /invalid dimension: 100000 of field v\. float vector dimension should be in range 2 ~ 32768/ });
  assert.equal((await c.hasCollection({ collection_name: 'baddim' })).value, false);
  assertOk(await c.dropCollection({ collection_name: 'dup' }));
});

test('unknown collection: code 100 / CollectionNotExists on every collection-scoped RPC', async () => {
  const c = h.client;
  const e = { code: 100, error_code: 'CollectionNotExists', elanus: 'COLLECTION_NOT_FOUND', reason: /collection not found\[database=default\]\[collection=ghost\]/ };
  const name = { collection_name: 'ghost' };
  // DescribeCollection has Milvus's other wording for it.
  assertErr(await c.describeCollection(name), { ...e, elanus: 'COLLECTION_NOT_FOUND_DESCRIBE', reason: /can't find collection\[database=default\]\[collection=ghost\]/ });
  assertErr(await c.releaseCollection(name), e);
  assertErr(await c.loadCollectionAsync(name), e);
  assertErr(await c.createPartition({ ...name, partition_name: 'p' }), e);
  assertErr(await c.listPartitions(name), e);
  assertErr(await c.createIndex({ ...name, field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }), e);
  assertErr(await c.describeIndex(name), e);
  assertErr(await c.getLoadState(name), e);
  // The SDK's insert describes the collection first: DescribeCollection's wording.
  assertErr(await c.insert({ ...name, data: [{ id: 1, v: [1, 2] }] }).catch((x: unknown) => x), { ...e, elanus: 'COLLECTION_NOT_FOUND_DESCRIBE', reason: /can't find collection/ });
  assertErr(await c.query({ ...name, filter: 'id in [1]' }), e);
  // (The SDK's search reads the described schema before sending, so it throws on its own.)
  await assert.rejects(c.search({ ...name, data: [1, 2] }));
  assertErr(await c.deleteEntities({ ...name, filter: 'id in [1]' }), e);
  assertErr(await c.createAlias({ ...name, alias: 'al' }), e);
  assertErr(await c.truncateCollection(name), e);
  // These two address the collection by id (the SDK's compact describes it first, gets 0).
  assertErr(await c.getReplicas({ collectionID: 987654 }), { ...e, reason: /collection=#987654\]/ });
  assertErr(await c.compact(name), { ...e, reason: /collection not found/ });
});

test('partitions: create, has, list, statistics, load, release, drop; errors', async () => {
  const c = h.client;
  assertOk(await c.createCollection(simple('parts')));
  assertOk(await c.createPartition({ collection_name: 'parts', partition_name: 'p1' }));
  assertOk(await c.createPartition({ collection_name: 'parts', partition_name: 'p2' }));
  assertErr(await c.createPartition({ collection_name: 'parts', partition_name: 'p1' }), { code: 1100, elanus: 'PARTITION_ALREADY_EXISTS' });
  assert.equal((await c.hasPartition({ collection_name: 'parts', partition_name: 'p1' })).value, true);
  assert.equal((await c.hasPartition({ collection_name: 'parts', partition_name: 'zz' })).value, false);
  const list = await c.listPartitions({ collection_name: 'parts' });
  assertOk(list);
  assert.deepEqual(list.partition_names, ['_default', 'p1', 'p2']);
  // describeCollection counts them, as the engine does.
  assert.equal((await c.describeCollection({ collection_name: 'parts' })).num_partitions, '3');
  assert.equal((await h.engine.describeCollection({ collection_name: 'parts' })).num_partitions, 3);
  assert.equal(new Set(list.partitionIDs).size, 3);

  await c.insert({ collection_name: 'parts', partition_name: 'p1', data: [{ id: 1, v: [1, 0] }, { id: 2, v: [0, 1] }] });
  await c.insert({ collection_name: 'parts', partition_name: 'p2', data: [{ id: 3, v: [1, 1] }] });
  await c.insert({ collection_name: 'parts', data: [{ id: 4, v: [2, 2] }] });
  const ps = await c.getPartitionStatistics({ collection_name: 'parts', partition_name: 'p1' });
  assertOk(ps);
  assert.equal(ps.data.row_count, '2');
  assert.equal((await c.getPartitionStatistics({ collection_name: 'parts', partition_name: '_default' })).data.row_count, '1');
  assertErr((await c.getPartitionStatistics({ collection_name: 'parts', partition_name: 'zz' })).status, { code: 200, elanus: 'PARTITION_NOT_FOUND' });
  assertErr(await c.insert({ collection_name: 'parts', partition_name: 'zz', data: [{ id: 9, v: [1, 0] }] }).catch((x: unknown) => x), { code: 200, elanus: 'PARTITION_NOT_FOUND' });

  // Load only p1: queries see p1 only; load state per partition.
  assertOk(await c.createIndex({ collection_name: 'parts', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadPartitions({ collection_name: 'parts', partition_names: ['p1'] }));
  assert.equal((await c.getLoadState({ collection_name: 'parts', partition_names: ['p1'] })).state, 'LoadStateLoaded');
  assert.equal((await c.getLoadState({ collection_name: 'parts', partition_names: ['p2'] })).state, 'LoadStateNotLoad');
  const q = await c.query({ collection_name: 'parts', filter: '', limit: 10, output_fields: ['id'] });
  assertOk(q);
  assert.deepEqual(q.data.map((r) => r.id).sort(), ['1', '2']);
  const qp2 = await c.query({ collection_name: 'parts', filter: 'id in [3]', partition_names: ['p2'] });
  assertErr(qp2, { code: 201, elanus: 'PARTITION_NOT_LOADED' });
  const listed = await c.listPartitions({ collection_name: 'parts' });
  const inMemory = (listed as unknown as { inMemory_percentages: string[] }).inMemory_percentages;
  assert.deepEqual(listed.partition_names.map((n, i) => [n, inMemory[i]]), [['_default', '0'], ['p1', '100'], ['p2', '0']]);

  // A loaded partition cannot be dropped.
  assertErr(await c.dropPartition({ collection_name: 'parts', partition_name: 'p1' }), { code: 65535, elanus: 'PARTITION_LOADED', reason: /partition cannot be dropped, partition is loaded, please release it first \(partition p1\)/ });
  assertErr(await c.dropPartition({ collection_name: 'parts', partition_name: '_default' }), { code: 65535, elanus: 'DEFAULT_PARTITION', reason: /default partition cannot be deleted/ });
  assertOk(await c.dropPartition({ collection_name: 'parts', partition_name: 'zz' }));
  // p2 is not loaded: it can go, and its rows with it.
  assertOk(await c.dropPartition({ collection_name: 'parts', partition_name: 'p2' }));
  assert.deepEqual((await c.listPartitions({ collection_name: 'parts' })).partition_names, ['_default', 'p1']);
  assertOk(await c.releasePartitions({ collection_name: 'parts', partition_names: ['p1'] }));
  assert.equal((await c.getLoadState({ collection_name: 'parts', partition_names: ['p1'] })).state, 'LoadStateNotLoad');
  assertOk(await c.dropPartition({ collection_name: 'parts', partition_name: 'p1' }));
  assert.equal((await c.getCollectionStatistics({ collection_name: 'parts' })).data.row_count, '1');
  assertOk(await c.dropCollection({ collection_name: 'parts' }));
});

test('partition key and several shards: rows spread over partitions and channels, counted once', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'pkey', num_partitions: 3, shards_num: 2, fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'tenant', data_type: DataType.VarChar, max_length: 10, is_partition_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }));
  const d = await c.describeCollection({ collection_name: 'pkey' });
  assert.equal(d.shards_num, 2);
  assert.equal(d.virtual_channel_names.length, 2);
  assert.equal(d.num_partitions, '3');
  assertOk((await c.insert({ collection_name: 'pkey', data: Array.from({ length: 30 }, (_, i) => ({ id: i, tenant: `t${i % 5}`, v: [i, 1] })) })).status);
  assertErr((await c.insert({ collection_name: 'pkey', partition_name: '_default_0', data: [{ id: 99, tenant: 't', v: [1, 1] }] })).status, { code: 1100, elanus: 'PARTITION_KEY_MODE' });
  const parts = (await c.listPartitions({ collection_name: 'pkey' })).partition_names;
  assert.equal(parts.length, 3);
  let sum = 0;
  for (const p of parts) sum += Number((await c.getPartitionStatistics({ collection_name: 'pkey', partition_name: p })).data.row_count);
  assert.equal(sum, 30);
  // Every row of one tenant lands in one partition.
  assertOk(await c.createIndex({ collection_name: 'pkey', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionAsync({ collection_name: 'pkey' }));
  const where = new Map<string, Set<string>>();
  for (const p of parts) {
    const rows = (await c.query({ collection_name: 'pkey', filter: '', limit: 100, partition_names: [p], output_fields: ['tenant'] })).data;
    for (const r of rows) where.set(r.tenant, new Set([...(where.get(r.tenant) ?? []), p]));
  }
  assert.equal(where.size, 5);
  for (const [t, ps] of where) assert.equal(ps.size, 1, t);
  assert.equal((await c.count({ collection_name: 'pkey' })).data, 30);
  const rep = await c.getReplicas({ collectionID: d.collectionID });
  assert.equal(rep.replicas[0]!.shard_replicas.length, 2);
  assertOk(await c.releaseCollection({ collection_name: 'pkey' }));
  assertOk(await c.dropCollection({ collection_name: 'pkey' }));
});

test('aliases: create, describe, list, alter, use in place of the name, drop; errors', async () => {
  const c = h.client;
  assertOk(await c.createCollection(simple('al_a')));
  assertOk(await c.createCollection(simple('al_b')));
  assertOk(await c.createAlias({ collection_name: 'al_a', alias: 'current' }));
  assertOk(await c.createAlias({ collection_name: 'al_a', alias: 'stable' }));
  const da = await c.describeAlias({ collection_name: 'al_a', alias: 'current' });
  assertOk(da);
  assert.deepEqual({ alias: da.alias, collection: da.collection, db: da.db_name }, { alias: 'current', collection: 'al_a', db: 'default' });
  const la = await c.listAliases({ collection_name: 'al_a' });
  assertOk(la);
  assert.deepEqual([...la.aliases].sort(), ['current', 'stable']);
  assert.deepEqual((await c.describeCollection({ collection_name: 'al_a' })).aliases.sort(), ['current', 'stable']);

  // The alias works wherever the name does.
  await c.insert({ collection_name: 'current', data: [{ id: 7, v: [1, 2] }] });
  assert.equal((await c.getCollectionStatistics({ collection_name: 'al_a' })).data.row_count, '1');
  assert.equal((await c.describeCollection({ collection_name: 'current' })).collection_name, 'al_a');

  assertErr(await c.createAlias({ collection_name: 'al_b', alias: 'current' }), { code: 1602, elanus: 'ALIAS_ALREADY_EXISTS' });
  assertErr(await c.createAlias({ collection_name: 'al_b', alias: 'al_a' }), { code: 1601, elanus: 'ALIAS_CONFLICTS' });
  assertErr(await c.dropCollection({ collection_name: 'al_a' }), { code: 65535, elanus: 'COLLECTION_HAS_ALIASES' });

  assertOk(await c.alterAlias({ collection_name: 'al_b', alias: 'current' }));
  assert.equal((await c.describeAlias({ collection_name: 'al_b', alias: 'current' })).collection, 'al_b');
  assert.equal((await c.getCollectionStatistics({ collection_name: 'current' })).data.row_count, '0');
  assert.deepEqual((await c.listAliases({ collection_name: 'al_b' })).aliases, ['current']);
  // Without a collection the RPC lists every alias of the database (the SDK insists on a name).
  const all = await promisify(c.channelPool, 'ListAliases', {}, 5_000);
  assert.deepEqual([...all.aliases].sort(), ['current', 'stable']);

  assertOk(await c.dropAlias({ alias: 'current' }));
  assertOk(await c.dropAlias({ alias: 'stable' }));
  assertErr(await c.describeAlias({ collection_name: 'al_b', alias: 'current' }), { code: 1600, elanus: 'ALIAS_NOT_FOUND' });
  assertOk(await c.dropAlias({ alias: 'current' }));
  assertErr(await c.alterAlias({ collection_name: 'ghost', alias: 'x' }), { code: 100, elanus: 'COLLECTION_NOT_FOUND' });
  assertOk(await c.dropCollection({ collection_name: 'al_a' }));
  assertOk(await c.dropCollection({ collection_name: 'al_b' }));
});

test('load and release: state, progress, showCollections in-memory, replicas; errors', async () => {
  const c = h.client;
  assertOk(await c.createCollection(simple('ld')));
  await c.insert({ collection_name: 'ld', data: [{ id: 1, v: [1, 0] }] });
  assert.equal((await c.getLoadState({ collection_name: 'ld' })).state, 'LoadStateNotLoad');
  assertErr(await c.query({ collection_name: 'ld', filter: 'id in [1]' }), { code: 101, error_code: 'UnexpectedError', elanus: 'COLLECTION_NOT_LOADED' });
  assertErr(await c.search({ collection_name: 'ld', data: [1, 0], limit: 1 }), { code: 101, elanus: 'COLLECTION_NOT_LOADED' });
  assertOk(await c.createIndex({ collection_name: 'ld', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  // The synchronous load polls GetLoadingProgress until 100.
  assertOk(await c.loadCollection({ collection_name: 'ld' }));
  assert.equal((await c.getLoadState({ collection_name: 'ld' })).state, 'LoadStateLoaded');
  const prog = await c.getLoadingProgress({ collection_name: 'ld' });
  assertOk(prog);
  assert.equal(prog.progress, '100');
  const shown = await c.showCollections({ collection_names: ['ld'] });
  assert.equal(shown.data[0]!.loadedPercentage, '100');
  assertOk(await c.createCollection(simple('ld_other')));
  const loadedOnly = await c.showCollections({ type: ShowCollectionsType.Loaded });
  assert.deepEqual(loadedOnly.data.map((x) => x.name), ['ld']);
  assertOk(await c.dropCollection({ collection_name: 'ld_other' }));
  const rep = await c.getReplicas({ collectionID: (await c.describeCollection({ collection_name: 'ld' })).collectionID } as never);
  assertOk(rep);
  assert.equal(rep.replicas.length, 1);
  assert.equal(rep.replicas[0]!.shard_replicas.length, 1);
  assertOk(await c.releaseCollection({ collection_name: 'ld' }));
  assert.equal((await c.getLoadState({ collection_name: 'ld' })).state, 'LoadStateNotLoad');
  assert.equal((await c.getLoadingProgress({ collection_name: 'ld' })).progress, '0');
  assertOk(await c.dropCollection({ collection_name: 'ld' }));
});

export { indexAndLoad };
