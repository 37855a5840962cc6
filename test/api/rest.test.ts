// Milvus RESTful API v2 against the real server (gRPC and HTTP on one port, port 0),
// driven by the official Node SDK's HttpClient where it has a method and by plain fetch
// for what it cannot send (bad JSON, odd headers, unknown paths, exact Int64 text).
//
// HttpClient sends `Accept-Type-Allow-Int64: false`, so Int64 values come back as strings
// through `sdk`; `sdkNum` is built with acceptInt64: true and gets numbers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '@zilliz/milvus2-sdk-node';
import pino from 'pino';
import { Elanus } from '../../src/engine/index.js';
import { type RunningServer, startServer } from '../../src/api/server.js';
import { registerRestRoutes } from '../../src/api/rest/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface Envelope {
  code: number;
  message?: string;
  data?: Json;
  topks?: number[];
}
type Sdk = Record<string, (req?: object) => Promise<Envelope>>;

const bodyBytesMax = 1024 * 1024;

let dir: string;
let engine: Elanus;
let server: RunningServer;
let base: string;
let sdk: Sdk;
let sdkNum: Sdk;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elanus-rest-'));
  engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  const logger = pino({ level: 'silent' });
  server = await startServer({
    engine, host: '127.0.0.1', port: 0, messageBytesMax: bodyBytesMax, logger,
    http: (app) => registerRestRoutes(app, engine, logger),
  });
  base = `http://127.0.0.1:${server.port}`;
  // The SDK appends /vectordb/... to baseURL, so baseURL carries the /v2.
  sdk = new HttpClient({ baseURL: `${base}/v2` }) as unknown as Sdk;
  sdkNum = new HttpClient({ baseURL: `${base}/v2`, acceptInt64: true }) as unknown as Sdk;
});

after(async () => {
  await server?.close();
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** POSTs a body (an object is JSON-encoded; a string or a Blob goes as it is). */
async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: Envelope }> {
  const payload = typeof body === 'string' || body instanceof Blob ? body : JSON.stringify(body);
  const r = await fetch(`${base}${path}`, { method: 'POST', body: payload, headers });
  const text = await r.text();
  return { status: r.status, text, json: JSON.parse(text) as Envelope };
}

function ok(res: Envelope): Json {
  assert.equal(res.code, 0, `expected success, got ${res.code}: ${res.message}`);
  return res.data;
}

/** The reply is an error with this Milvus code and this registry code. */
function fails(res: Envelope, milvusCode: number, code: string): void {
  assert.equal(res.code, milvusCode, `expected code ${milvusCode}, got ${res.code}: ${res.message}`);
  assert.equal(res.data, undefined);
  assert.match(res.message ?? '', new RegExp(`^${code}: `));
}

const byId = (a: Json, b: Json) => Number(a.id ?? a.book_id) - Number(b.id ?? b.book_id);

test('databases: create, list, describe, alter, drop; collections live in their database', async () => {
  ok(await sdk.createDatabase({ dbName: 'rest_db', properties: { 'database.max.collections': 5 } }));
  assert.ok((ok(await sdk.listDatabases()) as string[]).includes('rest_db'));
  let d = ok(await sdk.describeDatabase({ dbName: 'rest_db' }));
  assert.equal(d.dbName, 'rest_db');
  assert.equal(typeof d.dbID, 'number');
  assert.deepEqual(d.properties, [{ key: 'database.max.collections', value: '5' }]);
  ok(await sdk.alterDatabaseProperties({ dbName: 'rest_db', properties: { 'database.force.deny.writing': false } }));
  d = ok(await sdk.describeDatabase({ dbName: 'rest_db' }));
  assert.deepEqual(d.properties, [{ key: 'database.max.collections', value: '5' }, { key: 'database.force.deny.writing', value: 'false' }]);

  ok(await sdk.createCollection({ dbName: 'rest_db', collectionName: 'in_db', dimension: 2 }));
  assert.deepEqual(ok(await sdk.listCollections({ dbName: 'rest_db' })), ['in_db']);
  assert.equal((ok(await sdk.listCollections({ dbName: 'default' })) as string[]).includes('in_db'), false);
  // The DB-Name header names the database when the body does not.
  assert.deepEqual(ok((await post('/v2/vectordb/collections/list', {}, { 'DB-Name': 'rest_db' })).json), ['in_db']);
  fails(await sdk.dropDatabase({ dbName: 'rest_db' }), 65535, 'DATABASE_NOT_EMPTY');
  ok(await sdk.dropCollection({ dbName: 'rest_db', collectionName: 'in_db' }));
  ok(await sdk.dropDatabase({ dbName: 'rest_db' }));
  assert.equal((ok(await sdk.listDatabases()) as string[]).includes('rest_db'), false);
  fails(await sdk.describeDatabase({ dbName: 'rest_db' }), 800, 'DATABASE_NOT_FOUND');
  fails(await sdk.listCollections({ dbName: 'rest_db' }), 800, 'DATABASE_NOT_FOUND');
  fails(await sdk.createDatabase({ dbName: 'default' }), 801, 'DATABASE_ALREADY_EXISTS');
  // Through the SDK's HTTP client: a key that is not there is nothing to drop.
  ok(await sdk.dropDatabaseProperties({ dbName: 'default', propertyKeys: ['x'] }));
  fails(await sdk.dropDatabaseProperties({ dbName: 'nope', propertyKeys: ['x'] }), 800, 'DATABASE_NOT_FOUND');
});

test('collections: quick setup, has, describe, list, stats, load state, rename, release, load, properties, flush, drop', async () => {
  ok(await sdk.createCollection({ collectionName: 'quick', dimension: 4 }));
  assert.deepEqual(ok(await sdk.hasCollection({ collectionName: 'quick' })), { has: true });
  assert.deepEqual(ok(await sdk.hasCollection({ collectionName: 'absent' })), { has: false });
  const d = ok(await sdk.describeCollection({ collectionName: 'quick' }));
  assert.equal(d.collectionName, 'quick');
  assert.equal(typeof d.collectionID, 'number');
  assert.equal(d.autoId, false);
  assert.equal(d.enableDynamicField, true);
  assert.equal(d.load, 'LoadStateLoaded');
  assert.equal(d.consistencyLevel, 'Bounded');
  assert.equal(d.shardsNum, 1);
  assert.equal(d.partitionsNum, 1);
  assert.deepEqual(d.aliases, []);
  assert.deepEqual(d.properties, []);
  assert.deepEqual(d.indexes, [{ fieldName: 'vector', indexName: 'vector', metricType: 'COSINE' }]);
  assert.deepEqual(d.fields.map((f: Json) => [f.name, f.type, f.primaryKey, f.autoId, f.params]), [
    ['id', 'Int64', true, false, undefined],
    ['vector', 'FloatVector', false, false, [{ key: 'dim', value: '4' }]],
  ]);
  assert.ok((ok(await sdk.listCollections()) as string[]).includes('quick'));
  assert.deepEqual(ok(await sdk.getCollectionLoadState({ collectionName: 'quick' })), { loadState: 'LoadStateLoaded', loadProgress: 100 });
  assert.deepEqual(ok(await sdk.getCollectionStatistics({ collectionName: 'quick' })), { rowCount: 0 });
  ok(await sdk.insert({ collectionName: 'quick', data: [1, 2, 3].map((id) => ({ id, vector: [id, 1, 0, 0] })) }));
  assert.deepEqual(ok(await sdk.getCollectionStatistics({ collectionName: 'quick' })), { rowCount: 3 });

  ok(await sdk.renameCollection({ collectionName: 'quick', newCollectionName: 'quick2' }));
  assert.deepEqual(ok(await sdk.hasCollection({ collectionName: 'quick' })), { has: false });
  assert.deepEqual(ok(await sdk.getCollectionStatistics({ collectionName: 'quick2' })), { rowCount: 3 });

  ok(await sdk.releaseCollection({ collectionName: 'quick2' }));
  assert.deepEqual(ok(await sdk.getCollectionLoadState({ collectionName: 'quick2' })), { loadState: 'LoadStateNotLoad' });
  fails(await sdk.search({ collectionName: 'quick2', data: [[1, 1, 0, 0]] }), 101, 'COLLECTION_NOT_LOADED');
  ok(await sdk.loadCollection({ collectionName: 'quick2' }));
  ok(await sdk.refreshLoad({ collectionName: 'quick2' }));
  assert.equal(ok(await sdk.describeCollection({ collectionName: 'quick2' })).load, 'LoadStateLoaded');

  ok(await sdk.alterCollectionProperties({ collectionName: 'quick2', properties: { 'collection.ttl.seconds': 60 } }));
  assert.deepEqual(ok(await sdk.describeCollection({ collectionName: 'quick2' })).properties, [{ key: 'collection.ttl.seconds', value: '60' }]);
  fails(await sdk.alterCollectionProperties({ collectionName: 'quick2', properties: { 'collection.ttl.seconds': 'soon' } }), 1100, 'INVALID_ARGUMENT');
  ok(await sdk.dropCollectionProperties({ collectionName: 'quick2', propertyKeys: ['collection.ttl.seconds'] }));
  assert.deepEqual(ok(await sdk.describeCollection({ collectionName: 'quick2' })).properties, []);

  ok(await sdk.flushCollection({ collectionName: 'quick2' }));
  assert.deepEqual(ok(await sdk.getCollectionStatistics({ collectionName: 'quick2' })), { rowCount: 3 });
  ok(await sdk.dropCollection({ collectionName: 'quick2' }));
  assert.deepEqual(ok(await sdk.hasCollection({ collectionName: 'quick2' })), { has: false });
  ok(await sdk.dropCollection({ collectionName: 'quick2' })); // idempotent, as in Milvus
});

test('collections: a full schema with index params, nullable and default values, arrays and a partition key', async () => {
  ok(await sdk.createCollection({
    collectionName: 'books',
    schema: {
      autoID: false,
      enableDynamicField: true,
      fields: [
        { fieldName: 'book_id', dataType: 'Int64', isPrimary: true },
        { fieldName: 'title', dataType: 'VarChar', elementTypeParams: { max_length: 64 } },
        { fieldName: 'year', dataType: 'Int32', nullable: true },
        { fieldName: 'rating', dataType: 'Float', defaultValue: 2.5 },
        { fieldName: 'tags', dataType: 'Array', elementDataType: 'VarChar', elementTypeParams: { max_capacity: 4, max_length: 16 } },
        { fieldName: 'genre', dataType: 'VarChar', isPartitionKey: true, elementTypeParams: { max_length: 16 } },
        { fieldName: 'embedding', dataType: 'FloatVector', elementTypeParams: { dim: 3 } },
      ],
    },
    indexParams: [{ fieldName: 'embedding', indexName: 'emb_idx', metricType: 'L2', params: { index_type: 'HNSW', M: 8, efConstruction: 64 } }],
    params: { partitionsNum: 4, consistencyLevel: 'Strong', ttlSeconds: 3600 },
  }));
  const d = ok(await sdk.describeCollection({ collectionName: 'books' }));
  assert.equal(d.load, 'LoadStateLoaded');
  assert.equal(d.consistencyLevel, 'Strong');
  assert.equal(d.partitionsNum, 4);
  assert.equal(d.enableDynamicField, true);
  assert.deepEqual(d.properties, [{ key: 'collection.ttl.seconds', value: '3600' }]);
  assert.deepEqual(d.indexes, [{ fieldName: 'embedding', indexName: 'emb_idx', metricType: 'L2' }]);
  const field = (n: string) => d.fields.find((f: Json) => f.name === n);
  assert.deepEqual(field('title').params, [{ key: 'max_length', value: '64' }]);
  assert.equal(field('year').nullable, true);
  assert.equal(field('rating').defaultValue, 2.5);
  assert.equal(field('tags').type, 'Array');
  assert.equal(field('tags').elementType, 'VarChar');
  assert.deepEqual(field('tags').params, [{ key: 'max_length', value: '16' }, { key: 'max_capacity', value: '4' }]);
  assert.equal(field('genre').partitionKey, true);
  assert.deepEqual(field('embedding').params, [{ key: 'dim', value: '3' }]);
  assert.equal((ok(await sdk.listPartitions({ collectionName: 'books' })) as string[]).length, 4);

  const ins = ok(await sdk.insert({
    collectionName: 'books',
    data: [
      { book_id: 1, title: 'Dune', year: 1965, rating: 4.5, tags: ['sf'], genre: 'sf', embedding: [1, 0, 0], extra: 'x' },
      { book_id: 2, title: 'Emma', tags: [], genre: 'classic', embedding: [0, 1, 0] },
    ],
  }));
  assert.deepEqual(ins, { insertCount: 2, insertIds: ['1', '2'] });
  const rows = ok(await sdk.query({ collectionName: 'books', filter: 'book_id in [1, 2]', outputFields: ['title', 'year', 'rating', 'tags', 'genre', 'extra'] }));
  assert.deepEqual([...rows].sort(byId), [
    { book_id: '1', title: 'Dune', year: 1965, rating: 4.5, tags: ['sf'], genre: 'sf', extra: 'x' },
    { book_id: '2', title: 'Emma', year: null, rating: 2.5, tags: [], genre: 'classic' },
  ]);

  // Without indexParams the collection is created but not loaded, as in Milvus.
  ok(await sdk.createCollection({
    collectionName: 'bare',
    schema: { fields: [{ fieldName: 'k', dataType: 'VarChar', isPrimary: true, elementTypeParams: { max_length: 8 } }, { fieldName: 'v', dataType: 'FloatVector', elementTypeParams: { dim: 2 } }] },
  }));
  const bare = ok(await sdk.describeCollection({ collectionName: 'bare' }));
  assert.equal(bare.load, 'LoadStateNotLoad');
  assert.deepEqual(bare.indexes, []);
  assert.equal(bare.enableDynamicField, false);
});

test('partitions: create, list, has, stats, load, release, drop', async () => {
  ok(await sdk.createCollection({ collectionName: 'parts', dimension: 2 }));
  ok(await sdk.createPartition({ collectionName: 'parts', partitionName: 'p1' }));
  assert.deepEqual(ok(await sdk.listPartitions({ collectionName: 'parts' })), ['_default', 'p1']);
  assert.deepEqual(ok(await sdk.hasPartition({ collectionName: 'parts', partitionName: 'p1' })), { has: true });
  assert.deepEqual(ok(await sdk.hasPartition({ collectionName: 'parts', partitionName: 'p9' })), { has: false });
  fails(await sdk.createPartition({ collectionName: 'parts', partitionName: 'p1' }), 1100, 'PARTITION_ALREADY_EXISTS');

  ok(await sdk.insert({ collectionName: 'parts', partitionName: 'p1', data: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 1] }] }));
  ok(await sdk.insert({ collectionName: 'parts', data: [{ id: 3, vector: [1, 1] }] }));
  assert.deepEqual(ok(await sdk.getPartitionStatistics({ collectionName: 'parts', partitionName: 'p1' })), { rowCount: 2 });
  assert.deepEqual(ok(await sdk.getPartitionStatistics({ collectionName: 'parts', partitionName: '_default' })), { rowCount: 1 });
  // count(*) is an Int64 column: a string for the SDK (Accept-Type-Allow-Int64: false), a number otherwise.
  assert.deepEqual(ok(await sdk.query({ collectionName: 'parts', partitionNames: ['p1'], outputFields: ['count(*)'] })), [{ 'count(*)': '2' }]);
  assert.deepEqual(ok(await sdkNum.query({ collectionName: 'parts', outputFields: ['count(*)'] })), [{ 'count(*)': 3 }]);

  fails(await sdk.dropPartition({ collectionName: 'parts', partitionName: 'p1' }), 65535, 'PARTITION_LOADED');
  ok(await sdk.releasePartitions({ collectionName: 'parts', partitionNames: ['p1'] }));
  assert.deepEqual(ok(await sdk.getCollectionLoadState({ collectionName: 'parts', partitionNames: ['p1'] })), { loadState: 'LoadStateNotLoad' });
  assert.deepEqual(ok(await sdk.getCollectionLoadState({ collectionName: 'parts', partitionNames: ['_default'] })), { loadState: 'LoadStateLoaded', loadProgress: 100 });
  fails(await sdk.query({ collectionName: 'parts', partitionNames: ['p1'], outputFields: ['count(*)'] }), 201, 'PARTITION_NOT_LOADED');
  ok(await sdk.loadPartitions({ collectionName: 'parts', partitionNames: ['p1'] }));
  assert.deepEqual(ok(await sdkNum.query({ collectionName: 'parts', partitionNames: ['p1'], outputFields: ['count(*)'] })), [{ 'count(*)': 2 }]);
  ok(await sdk.releasePartitions({ collectionName: 'parts', partitionNames: ['p1'] }));
  ok(await sdk.dropPartition({ collectionName: 'parts', partitionName: 'p1' }));
  assert.deepEqual(ok(await sdk.listPartitions({ collectionName: 'parts' })), ['_default']);
  fails(await sdk.getPartitionStatistics({ collectionName: 'parts', partitionName: 'p1' }), 200, 'PARTITION_NOT_FOUND');
  fails(await sdk.loadPartitions({ collectionName: 'parts', partitionNames: [] }), 1100, 'INVALID_ARGUMENT');
});

test('aliases: create, describe, list, use, alter, drop', async () => {
  ok(await sdk.createCollection({ collectionName: 'alias_a', dimension: 2 }));
  ok(await sdk.createCollection({ collectionName: 'alias_b', dimension: 2 }));
  ok(await sdk.createAlias({ aliasName: 'al', collectionName: 'alias_a' }));
  assert.deepEqual(ok(await sdk.describeAlias({ aliasName: 'al' })), { aliasName: 'al', collectionName: 'alias_a', dbName: 'default' });
  assert.deepEqual(ok(await sdk.listAliases({ collectionName: 'alias_a' })), ['al']);
  assert.deepEqual(ok(await sdk.listAliases({ collectionName: 'alias_b' })), []);
  assert.ok((ok(await sdk.listAliases({})) as string[]).includes('al'));
  assert.deepEqual(ok(await sdk.describeCollection({ collectionName: 'alias_a' })).aliases, ['al']);

  // An alias works wherever a collection name does.
  ok(await sdk.insert({ collectionName: 'al', data: [{ id: 7, vector: [1, 0] }] }));
  assert.deepEqual(ok(await sdkNum.get({ collectionName: 'alias_a', id: 7, outputFields: ['id'] })), [{ id: 7 }]);

  ok(await sdk.alterAlias({ aliasName: 'al', collectionName: 'alias_b' }));
  assert.equal(ok(await sdk.describeAlias({ aliasName: 'al' })).collectionName, 'alias_b');
  assert.deepEqual(ok(await sdk.get({ collectionName: 'al', id: 7 })), []);
  fails(await sdk.dropCollection({ collectionName: 'alias_b' }), 65535, 'COLLECTION_HAS_ALIASES');
  ok(await sdk.dropAlias({ aliasName: 'al' }));
  fails(await sdk.describeAlias({ aliasName: 'al' }), 1600, 'ALIAS_NOT_FOUND');
  ok(await sdk.dropAlias({ aliasName: 'al' })); // idempotent, as in Milvus
  fails(await sdk.createAlias({ aliasName: 'alias_a', collectionName: 'alias_b' }), 1601, 'ALIAS_CONFLICTS');
});

test('indexes: create, list, describe, alter and drop properties, drop', async () => {
  ok(await sdk.createCollection({
    collectionName: 'idx',
    schema: { fields: [
      { fieldName: 'id', dataType: 'Int64', isPrimary: true },
      { fieldName: 'color', dataType: 'VarChar', elementTypeParams: { max_length: 16 } },
      { fieldName: 'vec', dataType: 'FloatVector', elementTypeParams: { dim: 4 } },
    ] },
  }));
  assert.deepEqual(ok(await sdk.listIndexes({ collectionName: 'idx' })), []);
  ok(await sdk.createIndex({
    collectionName: 'idx',
    indexParams: [
      { fieldName: 'vec', indexName: 'vec_idx', metricType: 'IP', params: { index_type: 'IVF_FLAT', nlist: 16 } },
      { fieldName: 'color', indexName: 'color_idx', indexType: 'INVERTED' },
    ],
  }));
  assert.deepEqual(ok(await sdk.listIndexes({ collectionName: 'idx' })), ['vec_idx', 'color_idx']);
  assert.deepEqual(ok(await sdk.describeIndex({ collectionName: 'idx', indexName: 'vec_idx' })), [{
    indexName: 'vec_idx', fieldName: 'vec', indexType: 'IVF_FLAT', metricType: 'IP',
    totalRows: 0, indexedRows: 0, pendingRows: 0, indexState: 'Finished', failReason: '',
  }]);
  assert.equal(ok(await sdk.describeIndex({ collectionName: 'idx', indexName: 'color_idx' }))[0].indexType, 'INVERTED');

  // Every index is checked before the first is recorded: a bad second one leaves none.
  fails(await sdk.createIndex({
    collectionName: 'idx',
    indexParams: [{ fieldName: 'id', indexName: 'id_idx', indexType: 'STL_SORT' }, { fieldName: 'vec', metricType: 'NOPE' }],
  }), 1100, 'METRIC_TYPE_INVALID');
  assert.deepEqual(ok(await sdk.listIndexes({ collectionName: 'idx' })), ['vec_idx', 'color_idx']);
  fails(await sdk.createIndex({ collectionName: 'idx', indexParams: [{ fieldName: 'nope' }] }), 1100, 'FIELD_NOT_FOUND');
  fails(await sdk.createIndex({ collectionName: 'idx', indexParams: [] }), 1100, 'INVALID_ARGUMENT');

  ok(await sdk.alterIndexProperties({ collectionName: 'idx', indexName: 'vec_idx', properties: { 'mmap.enabled': true } }));
  ok(await sdk.dropIndexProperties({ collectionName: 'idx', indexName: 'vec_idx', propertyKeys: ['mmap.enabled'] }));
  fails(await sdk.alterIndexProperties({ collectionName: 'idx', indexName: 'vec_idx', properties: { nlist: 8 } }), 1100, 'INDEX_PROPERTY_NOT_ALTERABLE');

  ok(await sdk.dropIndex({ collectionName: 'idx', indexName: 'color_idx' }));
  assert.deepEqual(ok(await sdk.listIndexes({ collectionName: 'idx' })), ['vec_idx']);
  fails(await sdk.describeIndex({ collectionName: 'idx', indexName: 'color_idx' }), 700, 'INDEX_NOT_FOUND');
});

test('entities: insert, upsert, get, query, count(*), search, delete', async () => {
  ok(await sdk.createCollection({ collectionName: 'ents', dimension: 3, metricType: 'L2' }));
  const ins = ok(await sdk.insert({ collectionName: 'ents', data: [1, 2, 3, 4, 5].map((id) => ({ id, vector: [id, 0, 0], color: `c${id}` })) }));
  assert.deepEqual(ins, { insertCount: 5, insertIds: ['1', '2', '3', '4', '5'] });
  assert.deepEqual(ok(await sdkNum.insert({ collectionName: 'ents', data: [{ id: 6, vector: [6, 0, 0], color: 'c6' }] })), { insertCount: 1, insertIds: [6] });

  assert.deepEqual(ok(await sdk.get({ collectionName: 'ents', id: 2 })), [{ id: '2', vector: [2, 0, 0], color: 'c2' }]);
  assert.deepEqual([...ok(await sdkNum.get({ collectionName: 'ents', id: [3, 2], outputFields: ['color'] }))].sort(byId), [{ id: 2, color: 'c2' }, { id: 3, color: 'c3' }]);

  assert.deepEqual(ok(await sdk.upsert({ collectionName: 'ents', data: [{ id: 2, vector: [2, 0, 0], color: 'changed' }] })), { upsertCount: 1, upsertIds: ['2'] });
  assert.deepEqual(ok(await sdkNum.get({ collectionName: 'ents', id: 2, outputFields: ['color'] })), [{ id: 2, color: 'changed' }]);

  const q = ok(await sdkNum.query({ collectionName: 'ents', filter: 'id in [1, 2, 3]', outputFields: ['color'] }));
  assert.deepEqual([...q].sort(byId), [{ id: 1, color: 'c1' }, { id: 2, color: 'changed' }, { id: 3, color: 'c3' }]);
  assert.equal(ok(await sdkNum.query({ collectionName: 'ents', filter: 'id in [1, 2, 3]', limit: 2 })).length, 2);
  assert.equal(ok(await sdkNum.query({ collectionName: 'ents', filter: 'id in [1, 2, 3]', limit: 2, offset: 2 })).length, 1);
  assert.equal(ok(await sdkNum.query({ collectionName: 'ents' })).length, 6, 'no filter: Milvus\'s default limit of 100 applies');
  assert.deepEqual(ok(await sdk.query({ collectionName: 'ents', outputFields: ['count(*)'] })), [{ 'count(*)': '6' }]);
  assert.deepEqual(ok(await sdkNum.query({ collectionName: 'ents', filter: 'id in [1, 99]', outputFields: ['count(*)'] })), [{ 'count(*)': 1 }]);

  const s = await sdk.search({ collectionName: 'ents', data: [[0.9, 0, 0]], limit: 2, outputFields: ['color'] });
  const hits = ok(s);
  assert.deepEqual(s.topks, [2]);
  assert.deepEqual(hits.map((h: Json) => [h.id, h.color]), [['1', 'c1'], ['2', 'changed']]);
  assert.ok(hits[0].distance < hits[1].distance, 'L2: nearest first');
  // Several query vectors: topks gives the hits per vector, and the SDK splits data by it.
  const multi = await sdkNum.search({ collectionName: 'ents', data: [[1, 0, 0], [5.2, 0, 0]], limit: 1 });
  assert.deepEqual(multi.topks, [1, 1]);
  assert.deepEqual(ok(multi).map((group: Json[]) => group.map((h) => h.id)), [[1], [5]]);
  const filtered = ok(await sdkNum.search({ collectionName: 'ents', data: [[1, 0, 0]], filter: 'id in [4, 5]', searchParams: { metricType: 'L2', params: { ef: 32 } } }));
  assert.deepEqual(filtered.map((h: Json) => h.id), [4, 5]);
  fails(await sdk.search({ collectionName: 'ents', data: [[1, 0, 0]], searchParams: { metricType: 'IP' } }), 1100, 'METRIC_MISMATCH');
  // Grouping: by a schema field (here the key itself: one hit per group); a dynamic key is not a field.
  const grouped = ok(await sdkNum.search({ collectionName: 'ents', data: [[1.1, 0, 0]], groupingField: 'id', groupSize: 1, limit: 3 }));
  assert.deepEqual(grouped.map((h: Json) => h.id), [1, 2, 3]);
  fails(await sdk.search({ collectionName: 'ents', data: [[1, 0, 0]], groupingField: 'color' }), 1100, 'FIELD_NOT_FOUND');
  // Range search: the rows with distance below the radius.
  const ranged = ok(await sdkNum.search({ collectionName: 'ents', data: [[1, 0, 0]], limit: 10, searchParams: { metricType: 'L2', params: { radius: 4.5 } } }));
  assert.deepEqual(ranged.map((h: Json) => h.id), [1, 2, 3]);
  // Hybrid search: the same query twice fused by RRF keeps the plain order, each hit
  // scoring 2 / (k + rank).
  const hy = ok(await sdkNum.hybridSearch({
    collectionName: 'ents', search: [{ data: [[0.9, 0, 0]], annsField: 'vector', limit: 2 }, { data: [[0.9, 0, 0]], annsField: 'vector', limit: 2 }],
    rerank: { strategy: 'rrf', params: { k: 10 } }, limit: 2,
  }));
  assert.deepEqual(hy.map((h: Json) => h.id), [1, 2]);
  assert.deepEqual(hy.map((h: Json) => Math.round(h.distance * 1e6)), [Math.round((2 / 11) * 1e6), Math.round((2 / 12) * 1e6)]);
  fails(await sdk.hybridSearch({ collectionName: 'ents', search: [{ data: [[1, 0, 0]], limit: 1 }], rerank: { strategy: 'rrf' } }), 1100, 'INVALID_ARGUMENT');

  assert.deepEqual(ok(await sdk.delete({ collectionName: 'ents', filter: 'id in [1, 2]' })), { deleteCount: 2 });
  assert.deepEqual(ok((await post('/v2/vectordb/entities/delete', { collectionName: 'ents', id: [3] })).json), { deleteCount: 1 });
  assert.deepEqual(ok(await sdkNum.query({ collectionName: 'ents', outputFields: ['count(*)'] })), [{ 'count(*)': 3 }]);
  assert.deepEqual(ok(await sdk.get({ collectionName: 'ents', id: [1, 2, 3] })), []);
  fails(await sdk.delete({ collectionName: 'ents' }), 1100, 'INVALID_ARGUMENT');
  assert.deepEqual(ok(await sdkNum.query({ collectionName: 'ents', filter: 'color == "c4"', outputFields: ['color'] })), [{ id: 4, color: 'c4' }]);
  fails(await sdk.query({ collectionName: 'ents', filter: 'color ==' }), 1100, 'FILTER_SYNTAX');
  fails(await sdk.query({ collectionName: 'ents', outputFields: ['count(*)', 'color'] }), 1100, 'INVALID_ARGUMENT');
});

test('Int64 values keep every digit, in and out, in the form the Accept-Type-Allow-Int64 header asks for', async () => {
  ok(await sdk.createCollection({
    collectionName: 'big',
    schema: { autoID: true, fields: [
      { fieldName: 'pk', dataType: 'Int64', isPrimary: true },
      { fieldName: 'n', dataType: 'Int64' },
      { fieldName: 'v', dataType: 'FloatVector', elementTypeParams: { dim: 2 } },
    ] },
    indexParams: [{ fieldName: 'v', metricType: 'L2' }],
  }));
  // Raw JSON text: 9007199254740993 is 2^53 + 1, which JSON.parse would round to ...992.
  const raw = '{"collectionName":"big","data":[{"n":9007199254740993,"v":[1,0]},{"n":-9223372036854775808,"v":[0,1]}]}';
  const noHeader = await post('/v2/vectordb/entities/insert', raw);
  assert.equal(noHeader.json.code, 0, noHeader.json.message);
  // Auto ids are timestamps past 2^53: without the header they are JSON numbers with every digit.
  const ids = [...noHeader.text.matchAll(/(\d{17,})/g)].map((m) => m[1]!);
  assert.equal(ids.length, 2);
  const strings = await post('/v2/vectordb/entities/insert', raw, { 'Accept-Type-Allow-Int64': 'false' });
  assert.equal(strings.json.data.insertIds.every((x: unknown) => typeof x === 'string' && /^\d{17,}$/.test(x)), true);

  // The SDK (header false) reads them back as strings, exactly.
  const rows = ok(await sdk.get({ collectionName: 'big', id: ids, outputFields: ['n'] }));
  assert.deepEqual([...rows].sort((a: Json, b: Json) => (BigInt(a.pk) < BigInt(b.pk) ? -1 : 1)), [
    { pk: ids[0], n: '9007199254740993' },
    { pk: ids[1], n: '-9223372036854775808' },
  ]);
  // Without the header the text carries the exact digits as numbers.
  const text = (await post('/v2/vectordb/entities/query', `{"collectionName":"big","filter":"pk == ${ids[0]}","outputFields":["n"]}`)).text;
  assert.match(text, new RegExp(`"pk":${ids[0]}[,}]`));
  assert.match(text, /"n":9007199254740993[,}]/);
  const hit = (await post('/v2/vectordb/entities/search', { collectionName: 'big', data: [[1, 0]], limit: 1 }, { 'Accept-Type-Allow-Int64': 'false' })).json;
  assert.equal(ok(hit)[0].id, ids[0]);
  // A big integer anywhere else (a vector, here) is just a number.
  const inVector = await post('/v2/vectordb/entities/insert', '{"collectionName":"big","data":[{"n":1,"v":[12345678901234567890,0]}]}', { 'Accept-Type-Allow-Int64': 'false' });
  assert.equal(inVector.json.code, 0, inVector.json.message);
  const stored = ok(await sdk.get({ collectionName: 'big', id: inVector.json.data.insertIds, outputFields: ['v'] }));
  assert.equal(stored[0].v[0], Math.fround(12345678901234567890));
});

test('errors: every bad request gets a coded envelope (HTTP 200), unknown paths a 404', async () => {
  const path = '/v2/vectordb/entities/insert';
  ok(await sdk.createCollection({ collectionName: 'errs', dimension: 2 }));
  // Unknown collection and database.
  fails(await sdk.describeCollection({ collectionName: 'nope' }), 100, 'COLLECTION_NOT_FOUND');
  fails(await sdk.insert({ collectionName: 'nope', data: [{ id: 1, vector: [1, 0] }] }), 100, 'COLLECTION_NOT_FOUND');
  fails(await sdk.query({ collectionName: 'nope', filter: 'id == 1' }), 100, 'COLLECTION_NOT_FOUND');
  fails(await sdk.insert({ dbName: 'no_db', collectionName: 'errs', data: [{ id: 1, vector: [1, 0] }] }), 800, 'DATABASE_NOT_FOUND');
  // Wrong dimension and wrong types.
  fails(await sdk.insert({ collectionName: 'errs', data: [{ id: 1, vector: [1, 0, 0] }] }), 1100, 'WRONG_DIMENSION');
  fails(await sdk.search({ collectionName: 'errs', data: [[1, 0, 0]] }), 1100, 'WRONG_DIMENSION');
  fails(await sdk.insert({ collectionName: 'errs', data: [{ id: 'abc', vector: [1, 0] }] }), 1100, 'WRONG_TYPE');
  fails(await sdk.insert({ collectionName: 'errs', data: 'rows' }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.insert({ collectionName: 'errs', data: [] }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.insert({ collectionName: 'errs' }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.createCollection({ collectionName: 'bad_dim', dimension: 'four' }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.createCollection({ collectionName: 'bad_metric', dimension: 2, metricType: 'HAMMING' }), 1100, 'METRIC_TYPE_INVALID');
  assert.deepEqual(ok(await sdk.hasCollection({ collectionName: 'bad_metric' })), { has: false }, 'checked before creating');
  fails(await sdk.createCollection({ collectionName: 'bad_type', schema: { fields: [{ fieldName: 'id', dataType: 'Nope', isPrimary: true }] } }), 65535, 'INVALID_SCHEMA');
  fails(await sdk.createCollection({ collectionName: 'no_dim', schema: { fields: [{ fieldName: 'id', dataType: 'Int64', isPrimary: true }, { fieldName: 'v', dataType: 'FloatVector' }] } }), 65535, 'INVALID_SCHEMA');
  fails(await sdk.createCollection({ dimension: 2 }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.createCollection({ collectionName: 7, dimension: 2 }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.describeCollection({ collectionName: 'errs', dbName: 5 }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.query({ collectionName: 'errs', limit: -1 }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.query({ collectionName: 'errs', consistencyLevel: 'Sometimes' }), 1100, 'INVALID_ARGUMENT');

  // Bodies that are not a JSON object.
  for (const body of ['{"collectionName": ', 'not json', '[1, 2]', '"text"', '{"__proto__": {"x": 1}}', '{"\\u005f_proto__": 1}']) {
    const r = await post(path, body, { 'Content-Type': 'application/json' });
    assert.equal(r.status, 200, body);
    fails(r.json, 1100, 'INVALID_ARGUMENT');
  }
  const tooLarge = await post(path, `{"collectionName":"errs","pad":"${'x'.repeat(bodyBytesMax)}"}`);
  assert.equal(tooLarge.status, 200);
  fails(tooLarge.json, 1100, 'BATCH_TOO_LARGE');

  // JSON is read whatever the Content-Type says, or without one (fetch sends none for a Blob without a type).
  const row = { collectionName: 'errs', data: [{ id: 1, vector: [1, 0] }] };
  assert.deepEqual(ok((await post(path, new Blob([JSON.stringify(row)]))).json), { insertCount: 1, insertIds: [1] });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'garbage', 'application/json; charset=utf-8']) {
    assert.equal((await post(path, row, { 'Content-Type': type })).json.code, 0, type);
  }
  // An Authorization header is accepted (and not checked yet).
  const withToken = new HttpClient({ baseURL: `${base}/v2`, token: 'root:Milvus' }) as unknown as Sdk;
  assert.deepEqual(ok(await withToken.hasCollection({ collectionName: 'errs' })), { has: true });

  // Unknown paths and methods: HTTP 404 with a NOT_SUPPORTED envelope under /v2/vectordb.
  const unknown = await post('/v2/vectordb/collections/nope', {});
  assert.equal(unknown.status, 404);
  fails(unknown.json, 1100, 'NOT_SUPPORTED');
  const get = await fetch(`${base}/v2/vectordb/collections/list`);
  assert.equal(get.status, 404);
  assert.equal((await fetch(`${base}/v2/other`, { method: 'POST', body: '{}' })).status, 404);
  // Milvus endpoints not implemented yet answer a coded envelope, not a 404.
  const imports = await post('/v2/vectordb/jobs/import/list', {});
  assert.equal(imports.status, 200);
  fails(imports.json, 1100, 'NOT_SUPPORTED');

  // After all that, the server still serves.
  assert.deepEqual(ok(await sdk.getCollectionStatistics({ collectionName: 'errs' })), { rowCount: 1 });
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});

test('concurrent DDL and writes on one name: every request ends in success or a coded error', async () => {
  const name = 'race';
  const seen = new Map<number, number>();
  for (let round = 0; round < 15; round++) {
    const replies = await Promise.all([
      sdk.createCollection({ collectionName: name, dimension: 2 }),
      sdk.insert({ collectionName: name, data: [{ id: round, vector: [1, round] }] }),
      sdk.search({ collectionName: name, data: [[1, 0]], limit: 3 }),
      sdk.describeCollection({ collectionName: name }),
      sdk.releaseCollection({ collectionName: name }),
      sdk.createPartition({ collectionName: name, partitionName: `p${round}` }),
      sdk.dropCollection({ collectionName: name }),
      sdk.query({ collectionName: name, outputFields: ['count(*)'] }),
    ]);
    for (const r of replies) {
      assert.equal(typeof r.code, 'number');
      if (r.code !== 0) assert.match(r.message ?? '', /^[A-Z_]+: /);
      seen.set(r.code, (seen.get(r.code) ?? 0) + 1);
    }
  }
  assert.ok((seen.get(0) ?? 0) > 0, 'some requests succeeded');
  for (const code of seen.keys()) assert.ok([0, 100, 101, 1100].includes(code), `unexpected code ${code}`);
  ok(await sdk.createCollection({ collectionName: 'after_race', dimension: 2 }));
  assert.deepEqual(ok(await sdk.getCollectionStatistics({ collectionName: 'after_race' })), { rowCount: 0 });
});

test('entities/upsert with partialUpdate: left-out fields keep their values; a new key needs its required fields', async () => {
  ok(await sdk.createCollection({ collectionName: 'partial', dimension: 2, metricType: 'L2' }));
  ok(await sdkNum.insert({ collectionName: 'partial', data: [{ id: 1, vector: [1, 0], color: 'red', size: 3 }] }));
  assert.deepEqual(ok(await sdkNum.upsert({ collectionName: 'partial', partialUpdate: true, data: [{ id: 1, color: 'blue' }] })), { upsertCount: 1, upsertIds: [1] });
  assert.deepEqual(ok(await sdkNum.get({ collectionName: 'partial', id: 1 })), [{ id: 1, vector: [1, 0], color: 'blue', size: 3 }]);
  // Without partialUpdate an upsert replaces the whole row: the vector is required.
  fails(await sdk.upsert({ collectionName: 'partial', data: [{ id: 1, color: 'green' }] }), 1100, 'MISSING_FIELD');
  // A new key is inserted, and must then carry the vector; nothing of a refused batch is stored.
  const refused = await sdk.upsert({ collectionName: 'partial', partialUpdate: true, data: [{ id: 1, size: 4 }, { id: 2, color: 'new' }] });
  fails(refused, 1100, 'MISSING_FIELD');
  assert.match(refused.message ?? '', /field "vector" is required but missing in row 1/);
  ok(await sdkNum.upsert({ collectionName: 'partial', partialUpdate: true, data: [{ id: 1, size: 4 }, { id: 2, vector: [0, 2] }] }));
  assert.deepEqual([...ok(await sdkNum.get({ collectionName: 'partial', id: [1, 2] }))].sort(byId), [
    { id: 1, vector: [1, 0], color: 'blue', size: 4 },
    { id: 2, vector: [0, 2] },
  ]);
  fails(await sdk.upsert({ collectionName: 'partial', partialUpdate: 'yes', data: [{ id: 1, size: 5 }] }), 1100, 'INVALID_ARGUMENT');
});

test('entities/search with ids: one list of hits per key, as a search with the keys\' stored vectors', async () => {
  ok(await sdk.createCollection({ collectionName: 'bykeys', dimension: 2, metricType: 'L2' }));
  ok(await sdkNum.insert({ collectionName: 'bykeys', data: [1, 2, 3, 4, 5].map((id) => ({ id, vector: [id, id % 2], color: `c${id}` })) }));
  const byKeys = await sdkNum.search({ collectionName: 'bykeys', ids: [4, 1], limit: 2, outputFields: ['color'] });
  const byData = await sdkNum.search({ collectionName: 'bykeys', data: [[4, 0], [1, 1]], limit: 2, outputFields: ['color'] });
  assert.deepEqual(byKeys.topks, [2, 2]);
  assert.deepEqual(ok(byKeys), ok(byData));
  assert.deepEqual(ok(byKeys).map((l: Json[]) => l.map((x) => [x.id, x.color, x.distance])), [[[4, 'c4', 0], [3, 'c3', 2]], [[1, 'c1', 0], [2, 'c2', 2]]]);
  // One key: still one list for it (topks has one entry).
  const one = await sdkNum.search({ collectionName: 'bykeys', ids: [5], limit: 1, filter: 'id != 5' });
  assert.deepEqual(one.topks, [1]);
  assert.deepEqual(ok(one).map((x: Json) => x.id), [4]);
  fails(await sdk.search({ collectionName: 'bykeys', ids: [5, 6], limit: 1 }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.search({ collectionName: 'bykeys', ids: [5], data: [[1, 1]] }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.search({ collectionName: 'bykeys', ids: [] }), 1100, 'INVALID_ARGUMENT');
  fails(await sdk.search({ collectionName: 'bykeys', ids: ['a'] }), 1100, 'WRONG_TYPE');
});
