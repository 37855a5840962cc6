// Roles, grants and privilege groups in the engine (engine/rbac.ts): Milvus's rules for
// each call, what the privilege check allows, exact across a reopen, and a power loss at
// any write of a change leaving it wholly there or not at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus } from '../../src/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { openEngine } from './helpers.js';

const query = (objectName: string, dbName = 'default') => ({ privilege: 'Query', objectType: 'Collection' as const, objectName, dbName });

test('roles: built-ins always there and not droppable, names checked, a role with grants dropped only with force; across a reopen', async () => {
  const h = await openEngine();
  try {
    assert.deepEqual(h.db.selectRole({}).results.map((r) => r.role), ['admin', 'public']);
    await h.db.createRole({ roleName: 'reader' });
    await assert.rejects(h.db.createRole({ roleName: 'reader' }), { code: 'ROLE_ALREADY_EXISTS', message: 'role [name:"reader"] already exists' });
    await assert.rejects(h.db.createRole({ roleName: '1x' }), { code: 'INVALID_ROLE_NAME' });
    await assert.rejects(h.db.dropRole({ roleName: 'admin' }), { code: 'ROLE_NOT_DROPPABLE' });
    await assert.rejects(h.db.dropRole({ roleName: 'nope' }), { code: 'ROLE_NOT_FOUND' });
    await h.db.createCredential({ username: 'alice', password: 'alice-pass-1' });
    await h.db.operateUserRole({ username: 'alice', roleName: 'reader', remove: false });
    await h.db.operateUserRole({ username: 'alice', roleName: 'reader', remove: false });
    await assert.rejects(h.db.operateUserRole({ username: 'nobody', roleName: 'reader', remove: false }), { code: 'USER_NOT_FOUND' });
    await assert.rejects(h.db.operateUserRole({ username: 'alice', roleName: 'nope', remove: false }), { code: 'ROLE_NOT_FOUND' });
    await h.db.operatePrivilegeV2({ role: 'reader', privilege: 'CollectionReadOnly', dbName: 'default', collectionName: 'books', revoke: false });
    await assert.rejects(h.db.dropRole({ roleName: 'reader' }), { code: 'ROLE_HAS_GRANTS' });
    await h.reopen();
    assert.deepEqual(h.db.selectRole({ roleName: 'reader', includeUserInfo: true }).results, [{ role: 'reader', users: ['alice'] }]);
    assert.deepEqual((await h.db.describeUser({ username: 'alice' })).roles, ['reader']);
    assert.ok(h.db.allows('alice', query('books')));
    await h.db.dropRole({ roleName: 'reader', forceDrop: true });
    assert.ok(!h.db.allows('alice', query('books')));
    assert.deepEqual(h.db.selectUser({ username: 'alice', includeRoleInfo: true }).results, [{ user: 'alice', roles: [] }]);
    await h.reopen();
    assert.deepEqual(h.db.selectRole({}).results.map((r) => r.role), ['admin', 'public']);
  } finally {
    await h.dispose();
  }
});

test('the check: root and admin pass, a user reads itself, grants by object, database and group; a dropped user loses its roles', async () => {
  const h = await openEngine();
  try {
    await h.db.createCredential({ username: 'alice', password: 'alice-pass-1' });
    await h.db.createRole({ roleName: 'r' });
    await h.db.operateUserRole({ username: 'alice', roleName: 'r', remove: false });
    assert.ok(h.db.allows('root', query('anything')));
    assert.ok(!h.db.allows('alice', query('books')));
    assert.ok(h.db.allows('alice', { privilege: 'SelectUser', objectType: 'User', objectName: 'alice', dbName: 'default' }));
    assert.ok(!h.db.allows('alice', { privilege: 'SelectUser', objectType: 'User', objectName: 'root', dbName: 'default' }));
    // V1: a privilege on one collection of one database.
    await h.db.operatePrivilege({ role: 'r', objectType: 'Collection', objectName: 'books', dbName: 'db1', privilege: 'Query', revoke: false });
    assert.ok(h.db.allows('alice', query('books', 'db1')));
    assert.ok(!h.db.allows('alice', query('books', 'default')));
    assert.ok(!h.db.allows('alice', query('films', 'db1')));
    await assert.rejects(h.db.operatePrivilege({ role: 'r', objectType: 'Collection', objectName: 'books', privilege: 'CreateDatabase', revoke: false }), { code: 'INVALID_PRIVILEGE' });
    await assert.rejects(h.db.operatePrivilege({ role: 'r', objectType: 'Table', objectName: 'books', privilege: 'Query', revoke: false }), { code: 'INVALID_PRIVILEGE' });
    await assert.rejects(h.db.operatePrivilege({ role: 'r', objectType: 'Global', objectName: '*', privilege: 'NoSuch', revoke: false }), { code: 'INVALID_PRIVILEGE' });
    // V2: a cluster-level privilege only on *.*; a database-level one only on a database's *.
    await assert.rejects(h.db.operatePrivilegeV2({ role: 'r', privilege: 'CreateDatabase', dbName: 'default', collectionName: '*', revoke: false }), { code: 'INVALID_PRIVILEGE' });
    await assert.rejects(h.db.operatePrivilegeV2({ role: 'r', privilege: 'DatabaseAdmin', dbName: 'default', collectionName: 'books', revoke: false }), { code: 'INVALID_PRIVILEGE' });
    await h.db.operatePrivilegeV2({ role: 'r', privilege: 'ClusterReadOnly', revoke: false });
    assert.ok(h.db.allows('alice', { privilege: 'ListDatabases', objectType: 'Global', objectName: '*', dbName: '*' }));
    // A custom group: what it holds now is what it allows.
    await h.db.createPrivilegeGroup({ groupName: 'g' });
    await assert.rejects(h.db.createPrivilegeGroup({ groupName: 'Query' }), { code: 'INVALID_PRIVILEGE_GROUP_NAME' });
    await assert.rejects(h.db.createPrivilegeGroup({ groupName: 'g' }), { code: 'PRIVILEGE_GROUP_ALREADY_EXISTS' });
    await h.db.operatePrivilegeV2({ role: 'r', privilege: 'g', dbName: 'default', collectionName: 'films', revoke: false });
    assert.ok(!h.db.allows('alice', query('films')));
    await h.db.operatePrivilegeGroup({ groupName: 'g', privileges: ['Query', 'Search'], remove: false });
    assert.ok(h.db.allows('alice', query('films')));
    await assert.rejects(h.db.operatePrivilegeGroup({ groupName: 'g', privileges: ['CollectionAdmin'], remove: false }), { code: 'INVALID_PRIVILEGE' });
    await assert.rejects(h.db.dropPrivilegeGroup({ groupName: 'g' }), { code: 'PRIVILEGE_GROUP_IN_USE' });
    await h.db.operatePrivilegeGroup({ groupName: 'g', privileges: ['Query'], remove: true });
    assert.ok(!h.db.allows('alice', query('films')));
    assert.deepEqual(h.db.listPrivilegeGroups().groups.at(-1), { name: 'g', privileges: ['Search'] });
    // Grants listed with their grantor; granting twice and revoking what is not granted change nothing.
    await h.db.operatePrivilege({ role: 'r', objectType: 'Collection', objectName: 'books', dbName: 'db1', privilege: 'Query', revoke: false });
    await h.db.operatePrivilege({ role: 'r', objectType: 'Collection', objectName: 'nope', dbName: 'db1', privilege: 'Query', revoke: true });
    assert.deepEqual(h.db.selectGrant({ role: 'r' }).grants.map((g) => `${g.objectType}/${g.dbName}/${g.objectName}/${g.privilege}/${g.grantor}`),
      ['Collection/db1/books/Query/root', 'Global/*/*/ClusterReadOnly/root', 'Global/default/films/g/root']);
    // Admin passes everything; a dropped user takes its bindings with it.
    await h.db.operateUserRole({ username: 'alice', roleName: 'admin', remove: false });
    assert.ok(h.db.allows('alice', { privilege: 'DropDatabase', objectType: 'Global', objectName: '*', dbName: '*' }));
    await h.db.deleteCredential({ username: 'alice' });
    await h.db.createCredential({ username: 'alice', password: 'alice-pass-2' });
    assert.ok(!h.db.allows('alice', query('books', 'db1')));
    assert.deepEqual(h.db.selectRole({ roleName: 'admin', includeUserInfo: true }).results, [{ role: 'admin', users: [] }]);
  } finally {
    await h.dispose();
  }
});

test('a power loss at any write of a grant or a role binding: each is wholly there or not at all, and an acknowledged one is there', async () => {
  const path = '/data/elanus';
  const open = (fs: FaultFileSystem) => Elanus.open({ path, fs, limits: { backgroundIntervalMs: 0 } });
  let sawCrash = false;
  for (let k = 0; k < 10; k++) {
    const fs = new FaultFileSystem({ seed: 300 + k });
    const db = await open(fs);
    await db.createCredential({ username: 'frank', password: 'frank-pass-0' });
    await db.createRole({ roleName: 'r' });
    fs.crashAfter(k);
    const granted = await db.operatePrivilegeV2({ role: 'r', privilege: 'CollectionReadWrite', dbName: 'default', collectionName: 'books', revoke: false })
      .then(() => true, () => false);
    const bound = granted && await db.operateUserRole({ username: 'frank', roleName: 'r', remove: false }).then(() => true, () => false);
    sawCrash ||= fs.crashed;
    await db.close().catch(() => undefined);
    fs.powerLoss();
    const again = await open(fs);
    try {
      const grants = again.selectGrant({ role: 'r' }).grants;
      if (granted) assert.equal(grants.length, 1, `k=${k}: an acknowledged grant was lost`);
      assert.ok(grants.length <= 1);
      for (const g of grants) assert.deepEqual([g.objectType, g.dbName, g.objectName, g.privilege], ['Global', 'default', 'books', 'CollectionReadWrite'], `k=${k}`);
      const roles = again.selectUser({ username: 'frank', includeRoleInfo: true }).results[0]!.roles;
      if (bound) assert.deepEqual(roles, ['r'], `k=${k}: an acknowledged binding was lost`);
      assert.equal(again.allows('frank', { privilege: 'Insert', objectType: 'Collection', objectName: 'books', dbName: 'default' }), roles.length === 1 && grants.length === 1);
    } finally {
      await again.close();
    }
  }
  assert.ok(sawCrash, 'no crash was injected');
});
