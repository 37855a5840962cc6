// REST v2 collections/* endpoints that change a collection's data or schema in place, as
// Milvus 2.6 shapes them: fields/add, truncate, compact and get_compaction_state,
// get_stats after deletes and upserts, and the collection TTL (`collection.ttl.seconds`
// through create's params.ttlSeconds, alter_properties and drop_properties). Driven by the
// official SDK's HttpClient against a real server; the engine's clock is a
// SimulatedClock, so a TTL expires when the test moves time, never by waiting.
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
import { SimulatedClock } from '../../src/testing/index.js';
import { physicalOf } from '../../src/tso/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface Envelope {
  code: number;
  message?: string;
  data?: Json;
}
type Sdk = Record<string, (req?: object) => Promise<Envelope>>;

const clock = new SimulatedClock(1_800_000_000_000);
let dir: string;
let engine: Elanus;
let server: RunningServer;
let base: string;
let sdk: Sdk;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elanus-rest-maint-'));
  engine = await Elanus.open({ path: dir, clock, limits: { backgroundIntervalMs: 0 } });
  const logger = pino({ level: 'silent' });
  server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 1024 * 1024, logger, http: (app) => registerRestRoutes(app, engine, logger) });
  base = `http://127.0.0.1:${server.port}`;
  sdk = new HttpClient({ baseURL: `${base}/v2`, acceptInt64: true }) as unknown as Sdk;
});

after(async () => {
  await server?.close();
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown): Promise<Envelope> {
  const r = await fetch(`${base}/v2/vectordb/${path}`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 200, path);
  return (await r.json()) as Envelope;
}

function ok(res: Envelope): Json {
  assert.equal(res.code, 0, `expected success, got ${res.code}: ${res.message}`);
  return res.data;
}

function fails(res: Envelope, milvusCode: number, code: string, message?: RegExp): void {
  assert.equal(res.code, milvusCode, `expected code ${milvusCode}, got ${res.code}: ${res.message}`);
  assert.equal(res.data, undefined);
  assert.match(res.message ?? '', new RegExp(`^${code}: `));
  if (message) assert.match(res.message ?? '', message);
}

/** Moves the engine's clock and waits until its timestamps follow (the allocator stores its high-water mark first). */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  for (let i = 0; i < 5000 && physicalOf(engine.allocTimestamp()) !== clock.now(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(physicalOf(engine.allocTimestamp()), clock.now());
}

const rowsOf = (ids: number[]) => ids.map((id) => ({ id, vector: [id, 1] }));
const idsOf = (rows: Json[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function rowCount(collectionName: string): Promise<number> {
  return ok(await sdk.getCollectionStatistics({ collectionName })).rowCount;
}

async function countStar(collectionName: string): Promise<number> {
  return ok(await sdk.query({ collectionName, outputFields: ['count(*)'], consistencyLevel: 'Strong' }))[0]['count(*)'];
}

test('collections/fields/add adds a nullable field; stored rows read its default', async () => {
  ok(await sdk.createCollection({ collectionName: 'grow', dimension: 2 }));
  ok(await sdk.insert({ collectionName: 'grow', data: rowsOf([1, 2]) }));
  ok(await sdk.addCollectionField({ collectionName: 'grow', schema: { fieldName: 'score', dataType: 'Int32', nullable: true, defaultValue: 7 } }));
  ok(await sdk.addCollectionField({ collectionName: 'grow', schema: { fieldName: 'note', dataType: 'VarChar', nullable: true, elementTypeParams: { max_length: 16 } } }));
  ok(await sdk.insert({ collectionName: 'grow', data: [{ id: 3, vector: [3, 1], score: 1, note: 'new' }] }));
  const rows = ok(await sdk.query({ collectionName: 'grow', filter: 'id > 0', outputFields: ['id', 'score', 'note'], consistencyLevel: 'Strong' }));
  assert.deepEqual([...rows].sort((a: Json, b: Json) => a.id - b.id), [
    { id: 1, score: 7, note: null }, { id: 2, score: 7, note: null }, { id: 3, score: 1, note: 'new' },
  ]);
  const fields = ok(await sdk.describeCollection({ collectionName: 'grow' })).fields.map((f: Json) => [f.name, f.type, f.nullable]);
  assert.deepEqual(fields.slice(-2), [['score', 'Int32', true], ['note', 'VarChar', true]]);

  // Refused, and nothing changes: a field rows stored before could not fill, a name taken, no schema.
  fails(await sdk.addCollectionField({ collectionName: 'grow', schema: { fieldName: 'must', dataType: 'Int64' } }), 65535, 'INVALID_SCHEMA', /must be nullable/);
  fails(await sdk.addCollectionField({ collectionName: 'grow', schema: { fieldName: 'score', dataType: 'Int64', nullable: true } }), 65535, 'INVALID_SCHEMA', /duplicated field name score/);
  fails(await post('collections/fields/add', { collectionName: 'grow' }), 1100, 'INVALID_ARGUMENT', /schema is required/);
  fails(await sdk.addCollectionField({ collectionName: 'nope', schema: { fieldName: 'x', dataType: 'Int64', nullable: true } }), 100, 'COLLECTION_NOT_FOUND');
  assert.equal(ok(await sdk.describeCollection({ collectionName: 'grow' })).fields.length, 4);
});

test('collections/truncate removes every row and keeps the schema, index and load state', async () => {
  ok(await sdk.createCollection({ collectionName: 'trunc', dimension: 2 }));
  ok(await sdk.insert({ collectionName: 'trunc', data: rowsOf(range(0, 5)) }));
  ok(await sdk.flushCollection({ collectionName: 'trunc' }));
  ok(await sdk.insert({ collectionName: 'trunc', data: rowsOf([5, 6]) }));
  assert.equal(await countStar('trunc'), 7);
  const before = ok(await sdk.describeCollection({ collectionName: 'trunc' }));
  // (The SDK's HttpClient has no method for it.)
  ok(await post('collections/truncate', { collectionName: 'trunc' }));
  assert.equal(await countStar('trunc'), 0);
  assert.equal(await rowCount('trunc'), 0);
  const afterward = ok(await sdk.describeCollection({ collectionName: 'trunc' }));
  assert.deepEqual([afterward.fields, afterward.indexes, afterward.load], [before.fields, before.indexes, before.load]);
  ok(await sdk.insert({ collectionName: 'trunc', data: rowsOf([9]) }));
  assert.deepEqual(idsOf(ok(await sdk.query({ collectionName: 'trunc', filter: 'id >= 0', consistencyLevel: 'Strong' }))), [9]);
  fails(await post('collections/truncate', { collectionName: 'nope' }), 100, 'COLLECTION_NOT_FOUND');
});

test('collections/compact rewrites segments without deleted rows; get_compaction_state reports it', async () => {
  ok(await sdk.createCollection({ collectionName: 'packed', dimension: 2 }));
  ok(await sdk.insert({ collectionName: 'packed', data: rowsOf(range(0, 10)) }));
  ok(await sdk.flushCollection({ collectionName: 'packed' }));
  ok(await sdk.delete({ collectionName: 'packed', filter: 'id < 6' }));
  ok(await sdk.flushCollection({ collectionName: 'packed' }));
  const stored = () => engine.segmentInfo({ collection_name: 'packed' }).reduce((n, s) => n + s.rows, 0);
  assert.equal(stored(), 10, 'the deleted rows are still in the segment');

  const { compactionID } = ok(await sdk.compactCollection({ collectionName: 'packed' }));
  assert.ok(Number.isSafeInteger(compactionID) && compactionID > 0, `compactionID ${compactionID}`);
  assert.equal(stored(), 4, 'the rewritten segment holds the 4 live rows');
  assert.deepEqual(idsOf(ok(await sdk.query({ collectionName: 'packed', filter: 'id >= 0', consistencyLevel: 'Strong' }))), [6, 7, 8, 9]);

  // Milvus's body names the id jobID; the SDK's HttpClient sends compactionID.
  const state = { compactionID, state: 'Completed', executingPlanNumber: 0, timeoutPlanNumber: 0, completedPlanNumber: 1 };
  assert.deepEqual(ok(await post('collections/get_compaction_state', { jobID: compactionID })), state);
  assert.deepEqual(ok(await sdk.getCompactionState({ compactionID })), state);
  assert.deepEqual(ok(await post('collections/get_compaction_state', { jobID: 123456789 })),
    { compactionID: 123456789, state: 'UndefiedState', executingPlanNumber: 0, timeoutPlanNumber: 0, completedPlanNumber: 0 });
  // Nothing left to gain: a new compaction with no plan.
  const again = ok(await sdk.compactCollection({ collectionName: 'packed' })).compactionID;
  assert.notEqual(again, compactionID);
  assert.equal(ok(await post('collections/get_compaction_state', { jobID: again })).completedPlanNumber, 0);

  fails(await sdk.compactCollection({ collectionName: 'nope' }), 100, 'COLLECTION_NOT_FOUND');
  fails(await post('collections/compact', { collectionName: 'packed', isClustering: true }), 1100, 'INVALID_ARGUMENT', /clustering key/);
  fails(await post('collections/get_compaction_state', { jobID: 'x' }), 1100, 'INVALID_ARGUMENT', /jobID must be an integer/);
  assert.equal(stored(), 4);
});

test('collections/get_stats counts exactly the rows a query sees after deletes and upserts', async () => {
  ok(await sdk.createCollection({ collectionName: 'stats', dimension: 2 }));
  ok(await sdk.insert({ collectionName: 'stats', data: rowsOf(range(0, 20)) }));
  ok(await sdk.flushCollection({ collectionName: 'stats' }));
  ok(await sdk.delete({ collectionName: 'stats', filter: 'id in [0, 1, 2]' }));
  // Upserts of stored keys replace them (also of a key just deleted); new keys add rows.
  ok(await sdk.upsert({ collectionName: 'stats', data: rowsOf([3, 4, 20, 21]) }));
  ok(await sdk.upsert({ collectionName: 'stats', data: rowsOf([2, 4]) }));
  ok(await sdk.delete({ collectionName: 'stats', filter: 'id == 99' }));
  const want = [...range(2, 22)];
  assert.deepEqual(idsOf(ok(await sdk.query({ collectionName: 'stats', filter: 'id >= 0', limit: 100, consistencyLevel: 'Strong' }))), want);
  assert.deepEqual(ok(await sdk.getCollectionStatistics({ collectionName: 'stats' })), { rowCount: want.length });
  assert.deepEqual(ok(await sdk.getPartitionStatistics({ collectionName: 'stats', partitionName: '_default' })), { rowCount: want.length });
  ok(await sdk.flushCollection({ collectionName: 'stats' }));
  ok(await sdk.compactCollection({ collectionName: 'stats' }));
  assert.deepEqual(ok(await sdk.getCollectionStatistics({ collectionName: 'stats' })), { rowCount: want.length });
});

test('collection TTL over REST: set at create, altered, dropped, validated; expired rows leave every read', async () => {
  ok(await sdk.createCollection({ collectionName: 'ttl', dimension: 2, params: { ttlSeconds: 10 } }));
  const props = async () => ok(await sdk.describeCollection({ collectionName: 'ttl' })).properties;
  assert.deepEqual(await props(), [{ key: 'collection.ttl.seconds', value: '10' }]);
  ok(await sdk.insert({ collectionName: 'ttl', data: rowsOf(range(0, 4)) }));
  await advance(8_000);
  ok(await sdk.insert({ collectionName: 'ttl', data: rowsOf(range(4, 6)) }));
  await advance(3_000); // rows 0..3 are 11 s old, rows 4 and 5 3 s old
  const query = async () => idsOf(ok(await sdk.query({ collectionName: 'ttl', filter: 'id >= 0', consistencyLevel: 'Strong' })));
  const search = async () => idsOf(ok(await sdk.search({ collectionName: 'ttl', data: [[1, 1]], limit: 10, consistencyLevel: 'Strong' })));
  assert.deepEqual(await query(), [4, 5]);
  assert.deepEqual(await search(), [4, 5]);
  assert.deepEqual(idsOf(ok(await sdk.get({ collectionName: 'ttl', id: range(0, 6), consistencyLevel: 'Strong' }))), [4, 5]);
  assert.equal(await countStar('ttl'), 2);
  assert.equal(await rowCount('ttl'), 2);

  // A longer TTL applies to the stored rows at once; dropping it keeps every row.
  ok(await sdk.alterCollectionProperties({ collectionName: 'ttl', properties: { 'collection.ttl.seconds': 12 } }));
  assert.deepEqual(await props(), [{ key: 'collection.ttl.seconds', value: '12' }]);
  assert.deepEqual(await query(), range(0, 6));
  ok(await sdk.alterCollectionProperties({ collectionName: 'ttl', properties: { 'collection.ttl.seconds': 2 } }));
  assert.deepEqual(await query(), []);
  assert.equal(await rowCount('ttl'), 0);
  ok(await sdk.dropCollectionProperties({ collectionName: 'ttl', propertyKeys: ['collection.ttl.seconds'] }));
  assert.deepEqual(await props(), []);
  assert.deepEqual(await search(), range(0, 6));

  // Milvus's checks and wording (code 1100); a refused change stores nothing.
  fails(await sdk.alterCollectionProperties({ collectionName: 'ttl', properties: { 'collection.ttl.seconds': 'week' } }), 1100, 'INVALID_ARGUMENT', /collection TTL is not a valid positive integer/);
  fails(await sdk.alterCollectionProperties({ collectionName: 'ttl', properties: { 'collection.ttl.seconds': -5 } }), 1100, 'INVALID_ARGUMENT', /collection TTL is out of range, expect \[-1, 3155760000\], got -5/);
  fails(await sdk.createCollection({ collectionName: 'ttl2', dimension: 2, properties: { 'collection.ttl.seconds': 1.5 } }), 1100, 'INVALID_ARGUMENT', /not a valid positive integer/);
  assert.deepEqual(await props(), []);
  assert.deepEqual(ok(await sdk.hasCollection({ collectionName: 'ttl2' })), { has: false });
});
