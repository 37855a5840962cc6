// Roles and privileges through `elanus serve --auth-enabled`, with the official Node SDK
// (gRPC) and plain REST v2 requests, as Milvus's users run them: a user with a read-only
// role on one collection may query and search it and nothing else; a revoke takes effect
// on the very next call; roles, grants and privilege groups are managed over both
// protocols, backed up and restored, and hold across a restart and a kill -9.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, MilvusClient, RbacObjects } from '@zilliz/milvus2-sdk-node';
import { killAll, serve, type ServeProcess } from './serve-process.js';

const dirs: string[] = [];
const clients: MilvusClient[] = [];
after(async () => {
  for (const c of clients) await c.closeConnection().catch(() => undefined);
  killAll();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function sdk(s: ServeProcess, username: string, password: string): Promise<MilvusClient> {
  const c = new MilvusClient({ address: `127.0.0.1:${s.port}`, logLevel: 'error', username, password });
  clients.push(c);
  await c.connectPromise;
  return c;
}

interface GrpcError { code?: number; details?: string }
const permissionDenied = 7;

/** The SDK call is refused with gRPC PERMISSION_DENIED and Milvus's text for `privilege`. */
async function denied(p: Promise<unknown>, privilege: string, user: string, db = 'default'): Promise<void> {
  await assert.rejects(p, (e: GrpcError) => {
    assert.equal(e.code, permissionDenied, String(e.details));
    assert.equal(e.details, `PERMISSION_DENIED: Privilege${privilege}: permission deny to ${user} in the \`${db}\` database`);
    return true;
  });
}

async function rest(s: ServeProcess, path: string, body: unknown, token: string): Promise<{ status: number; json: { code: number; data?: unknown; message?: string } }> {
  const r = await fetch(`http://127.0.0.1:${s.port}/v2/vectordb/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() as { code: number; data?: unknown; message?: string } };
}

function ok(s: { error_code?: unknown; reason?: unknown; status?: { error_code?: unknown; reason?: unknown } }): void {
  const st = s.status ?? s;
  assert.equal(st.error_code, 'Success', String(st.reason));
}

const dim = 4;
const fields = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'v', data_type: DataType.FloatVector, dim },
];
const rows = [{ id: 1, v: [1, 0, 0, 0] }, { id: 2, v: [0, 1, 0, 0] }, { id: 3, v: [0, 0, 1, 0] }];

async function makeCollection(c: MilvusClient, name: string): Promise<void> {
  ok(await c.createCollection({ collection_name: name, fields }));
  ok(await c.createIndex({ collection_name: name, field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  ok(await c.insert({ collection_name: name, data: rows }));
  ok(await c.loadCollectionSync({ collection_name: name }));
}

test('a read-only role on one collection: query and search there, nothing else; revoke at once; across restart and kill -9', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-rbac-'));
  dirs.push(dir);
  let s = await serve(dir, ['--auth-enabled']);
  const root = await sdk(s, 'root', 'Milvus');
  await makeCollection(root, 'books');
  await makeCollection(root, 'films');

  ok(await root.createUser({ username: 'alice', password: 'alice-pass-1' }));
  ok(await root.createRole({ roleName: 'reader' }));
  ok(await root.addUserToRole({ username: 'alice', roleName: 'reader' }));
  ok(await root.grantPrivilegeV2({ role: 'reader', privilege: 'CollectionReadOnly', db_name: 'default', collection_name: 'books' }));
  const alice = await sdk(s, 'alice', 'alice-pass-1');

  // Allowed: reads of books.
  const q = await alice.query({ collection_name: 'books', filter: 'id > 1', output_fields: ['id'] });
  ok(q);
  assert.deepEqual(q.data.map((r) => Number(r['id'])).sort(), [2, 3]);
  const found = await alice.search({ collection_name: 'books', data: [[0, 1, 0, 0]], limit: 1, output_fields: ['id'] });
  ok(found);
  assert.equal(Number(found.results[0]!.id), 2);
  // As in Milvus, a group holding DescribeCollection lets its holder describe any collection of the database.
  ok(await alice.describeCollection({ collection_name: 'books' }));
  ok(await alice.describeCollection({ collection_name: 'films' }));
  // Denied: writes and DDL on books, anything on films, creating a collection.
  await denied(alice.insert({ collection_name: 'books', data: [{ id: 9, v: [1, 1, 1, 1] }] }), 'Insert', 'alice');
  await denied(alice.delete({ collection_name: 'books', filter: 'id == 1' }), 'Delete', 'alice');
  await denied(alice.dropCollection({ collection_name: 'books' }), 'DropCollection', 'alice');
  await denied(alice.releaseCollection({ collection_name: 'books' }), 'Release', 'alice');
  await denied(alice.createCollection({ collection_name: 'mine', fields }), 'CreateCollection', 'alice');
  await denied(alice.query({ collection_name: 'films', filter: 'id > 0' }), 'Query', 'alice');
  await denied(alice.search({ collection_name: 'films', data: [[1, 0, 0, 0]], limit: 1 }), 'Search', 'alice');
  // Nor may it manage users and roles: cluster-level privileges, judged outside any database (`*`).
  await denied(alice.createRole({ roleName: 'mine' }), 'CreateOwnership', 'alice', '*');
  await denied(alice.listUsers(), 'SelectOwnership', 'alice', '*');
  await denied(alice.grantPrivilegeV2({ role: 'reader', privilege: 'CollectionAdmin', db_name: 'default', collection_name: 'books' }), 'ManageOwnership', 'alice', '*');
  // ... but may read the grants of its own role and describe itself.
  const own = await alice.listGrants({ roleName: 'reader' });
  ok(own);
  assert.deepEqual(own.entities.map((e) => [e.object.name, e.object_name, e.db_name, e.grantor.privilege.name, e.grantor.user.name]),
    [['Global', 'books', 'default', 'CollectionReadOnly', 'root']]);
  const me = await alice.describeUser({ username: 'alice', includeRoleInfo: true });
  assert.deepEqual(me.results.map((r) => [r.user.name, r.roles.map((x) => x.name)]), [['alice', ['reader']]]);

  // REST: the same answers, HTTP 403 and code 1401 when refused.
  const token = 'alice:alice-pass-1';
  let r = await rest(s, 'entities/query', { collectionName: 'books', filter: 'id == 3', outputFields: ['id'] }, token);
  assert.deepEqual([r.status, r.json.code, r.json.data], [200, 0, [{ id: 3 }]]);
  r = await rest(s, 'entities/insert', { collectionName: 'books', data: [{ id: 9, v: [1, 1, 1, 1] }] }, token);
  assert.deepEqual([r.status, r.json.code, r.json.message], [403, 1401, 'PERMISSION_DENIED: PrivilegeInsert: permission deny to alice in the `default` database']);
  r = await rest(s, 'entities/search', { collectionName: 'films', data: [[1, 0, 0, 0]], limit: 1 }, token);
  assert.deepEqual([r.status, r.json.code], [403, 1401]);
  r = await rest(s, 'collections/drop', { collectionName: 'books' }, token);
  assert.deepEqual([r.status, r.json.code], [403, 1401]);

  // A revoke takes effect on the very next call, on the connection already open.
  ok(await root.revokePrivilegeV2({ role: 'reader', privilege: 'CollectionReadOnly', db_name: 'default', collection_name: 'books' }));
  await denied(alice.query({ collection_name: 'books', filter: 'id > 0' }), 'Query', 'alice');
  r = await rest(s, 'entities/query', { collectionName: 'books', filter: 'id == 3' }, token);
  assert.deepEqual([r.status, r.json.code], [403, 1401]);
  // Granted again over REST (V1: the Query privilege alone), and unbinding the user ends it.
  r = await rest(s, 'roles/grant_privilege', { roleName: 'reader', objectType: 'Collection', objectName: 'books', privilege: 'Query' }, 'root:Milvus');
  assert.deepEqual([r.status, r.json.code], [200, 0]);
  ok(await alice.query({ collection_name: 'books', filter: 'id > 0' }));
  await denied(alice.search({ collection_name: 'books', data: [[1, 0, 0, 0]], limit: 1 }), 'Search', 'alice');
  ok(await root.removeUserFromRole({ username: 'alice', roleName: 'reader' }));
  await denied(alice.query({ collection_name: 'books', filter: 'id > 0' }), 'Query', 'alice');
  ok(await root.addUserToRole({ username: 'alice', roleName: 'reader' }));
  r = await rest(s, 'roles/describe', { roleName: 'reader' }, 'root:Milvus');
  assert.deepEqual(r.json.data, [{ objectType: 'Collection', objectName: 'books', dbName: 'default', privilege: 'Query', grantor: 'root' }]);

  // A custom privilege group, granted on films, over REST.
  r = await rest(s, 'privilege_groups/create', { privilegeGroupName: 'film_search' }, 'root:Milvus');
  assert.equal(r.json.code, 0);
  // The SDK describes a collection before it reads it (the schema): the group holds DescribeCollection too.
  r = await rest(s, 'privilege_groups/add_privileges_to_group', { privilegeGroupName: 'film_search', privileges: ['Search', 'Query', 'DescribeCollection'] }, 'root:Milvus');
  assert.equal(r.json.code, 0);
  r = await rest(s, 'roles/grant_privilege_v2', { roleName: 'reader', privilege: 'film_search', dbName: 'default', collectionName: 'films' }, 'root:Milvus');
  assert.equal(r.json.code, 0);
  ok(await alice.search({ collection_name: 'films', data: [[1, 0, 0, 0]], limit: 1 }));
  await denied(alice.insert({ collection_name: 'films', data: rows }), 'Insert', 'alice');
  r = await rest(s, 'privilege_groups/drop', { privilegeGroupName: 'film_search' }, 'root:Milvus');
  assert.deepEqual([r.json.code, r.json.message], [65535, 'PRIVILEGE_GROUP_IN_USE: privilege group [film_search] is used by role [reader], Use REVOKE API to revoke it first']);
  r = await rest(s, 'privilege_groups/list', {}, 'root:Milvus');
  const groups = (r.json.data as { privilegeGroups: Array<{ privilegeGroupName: string; privileges: string }> }).privilegeGroups;
  assert.deepEqual(groups.find((g) => g.privilegeGroupName === 'film_search'), { privilegeGroupName: 'film_search', privileges: 'Search,Query,DescribeCollection' });
  assert.equal(groups.find((g) => g.privilegeGroupName === 'CollectionReadOnly')?.privileges.split(',').length, 12);

  // A user made admin may do everything, drop included; roles/list shows the roles.
  ok(await root.createUser({ username: 'boss', password: 'boss-pass-1' }));
  r = await rest(s, 'users/grant_role', { userName: 'boss', roleName: 'admin' }, 'root:Milvus');
  assert.equal(r.json.code, 0);
  const boss = await sdk(s, 'boss', 'boss-pass-1');
  await makeCollection(boss, 'scratch');
  ok(await boss.dropCollection({ collection_name: 'scratch' }));
  r = await rest(s, 'roles/list', {}, 'root:Milvus');
  assert.deepEqual(r.json.data, ['admin', 'public', 'reader']);

  // Restarted on its folder: the roles, bindings, grants and groups are as they were.
  await s.stop();
  s = await serve(dir, ['--auth-enabled']);
  let alice2 = await sdk(s, 'alice', 'alice-pass-1');
  ok(await alice2.query({ collection_name: 'books', filter: 'id > 0' }));
  ok(await alice2.search({ collection_name: 'films', data: [[1, 0, 0, 0]], limit: 1 }));
  await denied(alice2.search({ collection_name: 'books', data: [[1, 0, 0, 0]], limit: 1 }), 'Search', 'alice');
  let root2 = await sdk(s, 'root', 'Milvus');
  const users = await root2.describeUser({ username: 'boss', includeRoleInfo: true });
  assert.deepEqual(users.results[0]!.roles.map((x) => x.name), ['admin']);

  // Killed with SIGKILL right after a revoke and a grant were acknowledged: both hold after the restart.
  ok(await root2.revokePrivilege({ roleName: 'reader', object: RbacObjects.Collection, objectName: 'books', privilegeName: 'Query' }));
  ok(await root2.grantPrivilegeV2({ role: 'reader', privilege: 'Insert', db_name: 'default', collection_name: 'films' }));
  const killed = new Promise((resolve) => s.proc.once('exit', resolve));
  s.proc.kill('SIGKILL');
  await killed;
  s = await serve(dir, ['--auth-enabled']);
  alice2 = await sdk(s, 'alice', 'alice-pass-1');
  await denied(alice2.query({ collection_name: 'books', filter: 'id > 0' }), 'Query', 'alice');
  ok(await alice2.insert({ collection_name: 'films', data: [{ id: 7, v: [1, 1, 0, 0] }] }));

  // Backup and restore: what a backup holds comes back on a fresh server, passwords included.
  root2 = await sdk(s, 'root', 'Milvus');
  const backup = await root2.backupRBAC();
  ok(backup);
  assert.deepEqual(backup.RBAC_meta.roles.map((x) => x.name), ['reader']);
  const backedUp = backup.RBAC_meta.users as unknown as Array<{ user: string; roles: Array<{ name: string }> }>;
  assert.deepEqual(backedUp.map((u) => [u.user, u.roles.map((x) => x.name)]), [['alice', ['reader']], ['boss', ['admin']]]);
  await s.stop();
  const dir2 = await mkdtemp(join(tmpdir(), 'elanus-rbac-'));
  dirs.push(dir2);
  s = await serve(dir2, ['--auth-enabled']);
  const fresh = await sdk(s, 'root', 'Milvus');
  await makeCollection(fresh, 'films');
  ok(await fresh.restoreRBAC({ RBAC_meta: backup.RBAC_meta }));
  const again = await fresh.restoreRBAC({ RBAC_meta: backup.RBAC_meta });
  assert.match(String(again.reason), /^ROLE_ALREADY_EXISTS: /);
  const alice3 = await sdk(s, 'alice', 'alice-pass-1');
  ok(await alice3.search({ collection_name: 'films', data: [[1, 0, 0, 0]], limit: 1 }));
  await denied(alice3.dropCollection({ collection_name: 'films' }), 'DropCollection', 'alice');
  await s.stop();
});
