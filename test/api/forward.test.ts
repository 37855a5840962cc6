// A gateway that forwards (cluster mode: every node answers clients; the ones that do
// not serve a call pass it on). Two servers on loopback: A serves from its engine, B has
// an engine of its own that must never be used while B forwards to A. The official SDK
// and plain REST requests through B see A's data; when B stops forwarding it answers
// from its own engine; a forward to an address nobody serves is a retryable error.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Elanus } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { registerRestRoutes } from '../../src/api/rest/index.js';

const logger = pino({ level: 'silent' });
let dir: string;
let engineA: Elanus;
let engineB: Elanus;
let serverA: RunningServer;
let serverB: RunningServer;
let target: string | undefined;
let client: MilvusClient;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elanus-forward-'));
  engineA = await Elanus.open({ path: join(dir, 'a'), limits: { backgroundIntervalMs: 0 } });
  engineB = await Elanus.open({ path: join(dir, 'b'), limits: { backgroundIntervalMs: 0 } });
  const rest = (engine: Elanus) => (app: Parameters<typeof registerRestRoutes>[0]) => registerRestRoutes(app, engine, logger);
  serverA = await startServer({ engine: engineA, host: '127.0.0.1', port: 0, messageBytesMax: 64 << 20, logger, http: rest(engineA) });
  target = `127.0.0.1:${serverA.port}`;
  serverB = await startServer({ engine: engineB, host: '127.0.0.1', port: 0, messageBytesMax: 64 << 20, logger, http: rest(engineB), forwardTo: () => target });
  client = new MilvusClient({ address: `127.0.0.1:${serverB.port}`, logLevel: 'error' });
  await client.connectPromise;
});

after(async () => {
  await client.closeConnection().catch(() => undefined);
  await serverB.close(2_000);
  await serverA.close(2_000);
  await engineA.close();
  await engineB.close();
  await rm(dir, { recursive: true, force: true });
});

test('the SDK through a forwarding gateway creates, writes, searches and counts on the serving node', async () => {
  const created = await client.createCollection({
    collection_name: 'c',
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 4 },
    ],
  });
  assert.equal(created.error_code, 'Success', created.reason);
  const rows = Array.from({ length: 100 }, (_, i) => ({ id: i, v: [i, 1, 0, 0] }));
  const ins = await client.insert({ collection_name: 'c', data: rows });
  assert.equal(ins.status.error_code, 'Success', ins.status.reason);
  assert.equal(ins.insert_cnt, '100');
  await client.createIndex({ collection_name: 'c', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' });
  await client.loadCollectionSync({ collection_name: 'c' });
  const found = await client.search({ collection_name: 'c', data: [[42, 1, 0, 0]], limit: 1 });
  assert.equal(found.status.error_code, 'Success', found.status.reason);
  assert.equal(String(found.results[0]?.id), '42');
  const count = await client.query({ collection_name: 'c', filter: '', output_fields: ['count(*)'] });
  assert.equal(Number(count.data[0]?.['count(*)']), 100);
  // It all happened on A; B's own engine has no such collection.
  assert.equal((await engineA.hasCollection({ collection_name: 'c' })).value, true);
  assert.equal((await engineB.hasCollection({ collection_name: 'c' })).value, false);
});

test('REST requests through a forwarding gateway reach the serving node; /healthz is the gateway\'s own', async () => {
  const base = `http://127.0.0.1:${serverB.port}`;
  const res = await fetch(`${base}/v2/vectordb/entities/query`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ collectionName: 'c', filter: 'id in [3, 5]', outputFields: ['id'] }),
  });
  assert.equal(res.status, 200);
  const body = await res.json() as { code: number; data: Array<{ id: number }> };
  assert.equal(body.code, 0, JSON.stringify(body));
  assert.deepEqual(body.data.map((r) => Number(r.id)).sort((a, b) => a - b), [3, 5]);
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
});

test('with no address to forward to, the gateway serves from its own engine; an unreachable one is a retryable error', async () => {
  target = undefined;
  const listed = await client.showCollections();
  assert.deepEqual(listed.data.map((c) => c.name), [], 'B\'s own engine answers: it has no collections');
  // A port nobody listens on (B's own port would forward to itself).
  target = '127.0.0.1:1';
  const r = await client.showCollections();
  assert.notEqual(r.status.error_code, 'Success');
  assert.match(r.status.reason, /STORE_UNAVAILABLE/);
  const res = await fetch(`http://127.0.0.1:${serverB.port}/v2/vectordb/collections/list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 503);
  const body = await res.json() as { code: number; message: string };
  assert.match(body.message, /cannot be reached/);
  target = `127.0.0.1:${serverA.port}`;
  assert.deepEqual((await client.showCollections()).data.map((c) => c.name), ['c'], 'and forwarding again');
});
