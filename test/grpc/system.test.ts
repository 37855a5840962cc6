// Handshake, health, metrics, databases and unimplemented RPCs, through the official SDK.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, promisify } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, startHarness, type Harness } from './helpers.js';
import { unsupportedRpcs } from '../../src/api/compat.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

test('Connect runs on client creation and yields a non-zero identifier and server info', async () => {
  const c = h.client;
  assert.equal(c.connectStatus, 1 /* CONNECT_STATUS.CONNECTED */);
  assert.ok(c.serverInfo, 'server info is set');
  assert.match(String(c.serverInfo.build_tags), /^elanus-/);
  assert.equal(c.serverInfo.deploy_mode, 'STANDALONE');
  // The identifier the server returned is sent back as a header on every later call.
  const meta = (c as unknown as { metadata: Map<string, string> }).metadata;
  const id = meta.get('identifier');
  assert.ok(id && /^[1-9][0-9]*$/.test(id), `identifier ${String(id)} is non-zero`);
  // A second client gets its own identifier.
  const c2 = await h.newClient();
  const id2 = (c2 as unknown as { metadata: Map<string, string> }).metadata.get('identifier');
  assert.ok(id2 && id2 !== '0');
});

test('GetVersion, CheckHealth and GetComponentStates', async () => {
  const v = await h.client.getVersion();
  assertOk(v);
  assert.equal(v.version, 'v2.6.0');
  const health = await h.client.checkHealth();
  assertOk(health);
  assert.equal(health.isHealthy, true);
  assert.deepEqual(health.reasons, []);
  // The SDK has no method for GetComponentStates; its own promisify calls the RPC.
  const states = await promisify(h.client.channelPool, 'GetComponentStates', {}, 5_000);
  assertOk(states);
  assert.equal(states.state.role, 'standalone');
  assert.equal(states.state.state_code, 'Healthy');
  assert.equal(states.subcomponent_states.length, 1);
});

test('GetMetrics returns a JSON report the SDK parses, listing collections', async () => {
  await h.client.createCollection({ collection_name: 'metrics_c', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] });
  await h.client.insert({ collection_name: 'metrics_c', data: [{ id: 1, v: [1, 0] }, { id: 2, v: [0, 1] }] });
  await h.client.flushSync({ collection_names: ['metrics_c'] });
  const m = await h.client.getMetric({ request: { metric_type: 'system_info' } });
  assertOk(m);
  // As Milvus: the proxy answers, named by its role and node id.
  assert.equal(m.component_name, 'proxy1');
  const r = m.response as unknown as { metric_type: string; version: string; collections: Array<{ db: string; name: string; rows_stored: number; loaded: boolean }> };
  assert.equal(r.metric_type, 'system_info');
  assert.equal(r.version, 'v2.6.0');
  const c = r.collections.find((x) => x.name === 'metrics_c');
  assert.deepEqual({ db: c?.db, rows: c?.rows_stored, loaded: c?.loaded }, { db: 'default', rows: 2, loaded: false });
  await h.client.dropCollection({ collection_name: 'metrics_c' });
});

test('unimplemented RPCs answer NOT_SUPPORTED, never success', async () => {
  const notSupported = (s: unknown, rpc: string) =>
    assertErr(s, { code: 1100, error_code: 'UnexpectedError', elanus: 'NOT_SUPPORTED', reason: new RegExp(`the ${rpc} RPC \\(${unsupportedRpcs[rpc]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) is not supported`) });
  notSupported((await h.client.runAnalyzer({ text: 'a b', analyzer_params: { tokenizer: 'standard' } } as never) as unknown as { status: unknown }).status, 'RunAnalyzer');
  notSupported((await h.client.listImportTasks({ collection_name: 'x' } as never) as { status: unknown }).status, 'ListImportTasks');
});

test('databases: create, list, describe, alter, select with use() and db_name, drop', async () => {
  const c = h.client;
  assertOk(await c.createDatabase({ db_name: 'analytics', properties: { 'database.replica.number': 1 } as never }));
  assertErr(await c.createDatabase({ db_name: 'analytics' }), { code: 801, elanus: 'DATABASE_ALREADY_EXISTS' });

  const list = await c.listDatabases();
  assertOk(list);
  assert.deepEqual([...list.db_names].sort(), ['analytics', 'default']);
  assert.equal(list.db_ids.length, 2);
  assert.equal(list.created_timestamp.length, 2);

  const d = await c.describeDatabase({ db_name: 'analytics' });
  assertOk(d);
  assert.equal(d.db_name, 'analytics');
  assert.ok(Number(d.dbID) > 0);
  assert.deepEqual(d.properties, [{ key: 'database.replica.number', value: '1' }]);

  assertOk(await c.alterDatabase({ db_name: 'analytics', properties: { 'database.max.collections': 7 } }));
  const d2 = await c.describeDatabase({ db_name: 'analytics' });
  assert.deepEqual(Object.fromEntries(d2.properties.map((p) => [p.key, p.value])), { 'database.replica.number': '1', 'database.max.collections': '7' });

  // A collection created while 'analytics' is selected lives there, not in default.
  const inDb = await h.newClient({ database: 'analytics' });
  assertOk(await inDb.createCollection({ collection_name: 'events', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }));
  assert.deepEqual((await inDb.showCollections()).data.map((x) => x.name), ['events']);
  assert.deepEqual((await c.showCollections()).data.map((x) => x.name), []);
  const dd = await inDb.describeCollection({ collection_name: 'events' });
  assertOk(dd);
  assert.equal(dd.db_name, 'analytics');
  // The per-request db_name selects it as well.
  assert.equal((await c.describeCollection({ collection_name: 'events', db_name: 'analytics' })).db_name, 'analytics');
  assertErr(await c.describeCollection({ collection_name: 'events' }), { code: 100, error_code: 'CollectionNotExists', elanus: 'COLLECTION_NOT_FOUND_DESCRIBE' });
  // use() switches the selected database on an existing client.
  await c.use({ db_name: 'analytics' });
  assert.deepEqual((await c.showCollections()).data.map((x) => x.name), ['events']);
  await c.use({ db_name: 'default' });
  assert.deepEqual((await c.showCollections()).data.map((x) => x.name), []);
  // Data written through one database is read back through it.
  await inDb.insert({ collection_name: 'events', data: [{ id: 5, v: [0.5, 0.5] }] });
  assertOk(await inDb.createIndex({ collection_name: 'events', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollection({ db_name: 'analytics', collection_name: 'events' }));
  const q = await c.query({ db_name: 'analytics', collection_name: 'events', filter: 'id == 5', output_fields: ['id', 'v'] });
  assertOk(q);
  assert.deepEqual(q.data, [{ id: '5', v: [0.5, 0.5] }]);

  // Database properties are dropped by key; a key never set is no error.
  assertOk(await c.alterDatabaseProperties({ db_name: 'analytics', properties: { 'database.max.collections': 5, keep: 'x' } }));
  assertOk(await c.dropDatabaseProperties({ db_name: 'analytics', properties: ['database.max.collections', 'never.set'] }));
  const props = (await c.describeDatabase({ db_name: 'analytics' })).properties.map((p) => [String(p.key), String(p.value)]);
  assert.ok(!props.some(([k]) => k === 'database.max.collections'), JSON.stringify(props));
  assert.ok(props.some(([k, v]) => k === 'keep' && v === 'x'), JSON.stringify(props));
  // renameCollection can move a collection to another database (and back).
  assertOk(await c.renameCollection({ db_name: 'analytics', collection_name: 'events', new_collection_name: 'moved', new_db_name: 'default' }));
  assert.deepEqual((await c.showCollections()).data.map((x) => x.name), ['moved']);
  assert.deepEqual((await inDb.showCollections()).data.map((x) => x.name), []);
  assert.equal((await c.query({ collection_name: 'moved', filter: 'id == 5', output_fields: ['id'] })).data[0]?.id, '5');
  assertOk(await c.renameCollection({ collection_name: 'moved', new_collection_name: 'events', new_db_name: 'analytics' }));
  // A non-empty database cannot be dropped.
  assertErr(await c.dropDatabase({ db_name: 'analytics' }), { code: 65535, elanus: 'DATABASE_NOT_EMPTY' });
  assertOk(await inDb.dropCollection({ collection_name: 'events' }));
  assertOk(await c.dropDatabase({ db_name: 'analytics' }));
  assert.deepEqual((await c.listDatabases()).db_names, ['default']);
});

test('unknown databases are reported with code 800', async () => {
  const c = h.client;
  assertErr(await c.describeDatabase({ db_name: 'nowhere' }), { code: 800, elanus: 'DATABASE_NOT_FOUND', reason: /database not found\[database=nowhere\]/ });
  assertOk(await c.dropDatabase({ db_name: 'nowhere' }));
  assertErr(await c.alterDatabase({ db_name: 'nowhere', properties: { a: 1 } }), { code: 800, elanus: 'DATABASE_NOT_FOUND' });
  const sc = await c.showCollections({ db_name: 'nowhere' });
  assertErr(sc.status, { code: 800, elanus: 'DATABASE_NOT_FOUND' });
  const viaHeader = await h.newClient({ database: 'nowhere' });
  assertErr(await viaHeader.createCollection({ collection_name: 'x', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }).catch((e: unknown) => e as never), { code: 800, elanus: 'DATABASE_NOT_FOUND' });
});
