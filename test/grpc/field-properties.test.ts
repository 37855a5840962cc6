// Field properties (AlterCollectionField, Milvus 2.5/2.6): max_length and max_capacity
// grow, mmap.enabled is set, reported and deleted, the primary key's cannot change, and
// a refused change stores nothing; through the SDK, raw gRPC (delete_keys) and REST.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, promisify } from '@zilliz/milvus2-sdk-node';
import { pino } from 'pino';
import { assertErr, assertOk, startHarness, type Harness } from './helpers.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { registerRestRoutes } from '../../src/api/rest/index.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  assertOk(await h.client.createCollection({
    collection_name: 'fp',
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'title', data_type: DataType.VarChar, max_length: 8 },
      { name: 'tags', data_type: DataType.Array, element_type: DataType.Int64, max_capacity: 2 },
      { name: 'v', data_type: DataType.FloatVector, dim: 2, type_params: { 'mmap.enabled': 'true' } as never },
    ],
  }), 'create');
});
after(() => h.close());

async function params(field: string): Promise<Record<string, string>> {
  const d = await h.client.describeCollection({ collection_name: 'fp' });
  assertOk(d, 'describe');
  const f = d.schema.fields.find((x) => x.name === field)!;
  return Object.fromEntries(f.type_params.map((p) => [p.key, String(p.value)]));
}

const insertRow = (title: string, tags: number[]) => h.client.insert({ collection_name: 'fp', data: [{ id: Date.now() + Math.floor(Math.random() * 1e6), title, tags, v: [1, 2] }] });

test('mmap.enabled given at creation is kept and reported', async () => {
  assert.equal((await params('v'))['mmap.enabled'], 'true');
  assert.equal((await params('title'))['mmap.enabled'], undefined);
});

test('max_length and max_capacity grow; the larger values are then accepted', async () => {
  const tooLong = (await insertRow('123456789', [1])).status;
  assert.ok(tooLong.reason.startsWith('STRING_TOO_LONG'), tooLong.reason);
  assertOk(await h.client.alterCollectionFieldProperties({ collection_name: 'fp', field_name: 'title', properties: { max_length: 16 } }), 'grow max_length');
  assertOk(await h.client.alterCollectionFieldProperties({ collection_name: 'fp', field_name: 'tags', properties: { max_capacity: 4 } }), 'grow max_capacity');
  assert.equal((await params('title'))['max_length'], '16');
  assert.equal((await params('tags'))['max_capacity'], '4');
  assertOk((await insertRow('123456789', [1, 2, 3, 4])).status, 'insert within the new limits');
});

test('refused changes store nothing', async () => {
  const refusals: Array<[string, Record<string, string | number | boolean>]> = [
    ['title', { max_length: 4 }], // shrinking: stored values would not fit
    ['tags', { max_capacity: 4097 }],
    ['title', { max_capacity: 9 }], // not an array
    ['tags', { mmap_enabled: true }], // not a property Milvus has under this name
    ['title', { 'mmap.enabled': 'sometimes' }],
    ['id', { 'mmap.enabled': true }], // the primary key
    ['title', { max_length: 32, 'mmap.enabled': 'maybe' }], // all or none
  ];
  for (const [field, properties] of refusals) {
    assertErr(await h.client.alterCollectionFieldProperties({ collection_name: 'fp', field_name: field, properties }), { code: 1100, elanus: 'INVALID_ARGUMENT' });
  }
  assert.equal((await params('title'))['max_length'], '16');
  assert.equal((await params('title'))['mmap.enabled'], undefined);
  assertErr(await h.client.alterCollectionFieldProperties({ collection_name: 'fp', field_name: 'nope', properties: { max_length: 9 } }), { code: 1100, elanus: 'FIELD_NOT_FOUND' });
});

test('mmap.enabled is set and deleted (delete_keys); defining properties cannot be deleted', async () => {
  assertOk(await h.client.alterCollectionFieldProperties({ collection_name: 'fp', field_name: 'title', properties: { 'mmap.enabled': true } }), 'set mmap');
  assert.equal((await params('title'))['mmap.enabled'], 'true');
  const call = (req: Record<string, unknown>) => promisify(h.client.channelPool, 'AlterCollectionField', { collection_name: 'fp', ...req }, 5_000);
  assertErr(await call({ field_name: 'title', delete_keys: ['max_length'] }), { code: 1100, elanus: 'INVALID_ARGUMENT' });
  assertErr(await call({ field_name: 'title', delete_keys: ['mmap.enabled'], properties: [{ key: 'max_length', value: '20' }] }), { code: 1100, elanus: 'INVALID_ARGUMENT' });
  assertOk(await call({ field_name: 'title', delete_keys: ['mmap.enabled', 'no.such.key'] }), 'delete');
  assert.equal((await params('title'))['mmap.enabled'], undefined);
  assert.equal((await params('title'))['max_length'], '16');
});

test('REST fields/alter_properties and databases/drop_properties', async (t) => {
  // A second server on the same engine, with the REST routes.
  const logger = pino({ level: 'silent' });
  const server: RunningServer = await startServer({ engine: h.engine, host: '127.0.0.1', port: 0, messageBytesMax: 1 << 20, logger, http: (app) => registerRestRoutes(app, h.engine, logger) });
  t.after(() => server.close(1_000));
  const rest = async (path: string, body: unknown) => {
    const r = await fetch(`http://127.0.0.1:${server.port}/v2/vectordb/${path}`, { method: 'POST', body: JSON.stringify(body) });
    return await r.json() as { code: number; message?: string; data?: unknown };
  };
  const ok = await rest('collections/fields/alter_properties', { collectionName: 'fp', fieldName: 'title', fieldParams: { max_length: 24 } });
  assert.equal(ok.code, 0, ok.message);
  assert.equal((await params('title'))['max_length'], '24');
  const bad = await rest('collections/fields/alter_properties', { collectionName: 'fp', fieldName: 'title', fieldParams: { max_length: 2 } });
  assert.equal(bad.code, 1100);
  assert.equal((await rest('collections/fields/alter_properties', { collectionName: 'fp', fieldName: 'title' })).code, 1100, 'fieldParams is required');

  assert.equal((await rest('databases/alter', { dbName: 'default', properties: { 'database.max.collections': 50, 'database.diskQuota.mb': 9 } })).code, 0);
  const dropped = await rest('databases/drop_properties', { dbName: 'default', propertyKeys: ['database.max.collections'] });
  assert.equal(dropped.code, 0, dropped.message);
  const d = await rest('databases/describe', { dbName: 'default' });
  const props = Object.fromEntries(((d.data as { properties: Array<{ key: string; value: string }> }).properties).map((p) => [p.key, p.value]));
  assert.equal(props['database.max.collections'], undefined);
  assert.equal(props['database.diskQuota.mb'], '9');
  assert.equal((await rest('databases/drop_properties', { dbName: 'default' })).code, 1100, 'propertyKeys is required');
});
