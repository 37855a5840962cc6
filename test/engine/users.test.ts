// Users in the engine (engine/users.ts): kept in the metadata store, exact across a
// reopen and a power loss at any write of a change, changes judged and made in one step
// of the coordinator queue, and nothing of a refused request stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus } from '../../src/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { openEngine } from './helpers.js';
import { credentialLimits } from '../../src/engine/index.js';

test('root exists from the start with the configured password; once changed, the stored one wins, across a reopen', async () => {
  const h = await openEngine();
  try {
    assert.deepEqual((await h.db.listCredUsers()).usernames, ['root']);
    assert.ok(await h.db.verifyCredential('root', 'Milvus'));
    assert.equal(await h.db.verifyCredential('root', 'milvus'), undefined);
    await assert.rejects(h.db.createCredential({ username: 'root', password: 'another1' }), { code: 'USER_ALREADY_EXISTS', message: 'user already exists: root' });
    await assert.rejects(h.db.deleteCredential({ username: 'root' }), { code: 'ROOT_NOT_DELETABLE' });
    await h.db.updateCredential({ username: 'root', oldPassword: 'Milvus', newPassword: 'Root-Pass-2' });
    await h.reopen();
    assert.equal(await h.db.verifyCredential('root', 'Milvus'), undefined);
    assert.ok(await h.db.verifyCredential('root', 'Root-Pass-2'));
  } finally {
    await h.dispose();
  }
});

test('a root password given at open is root\'s until root changes it', async () => {
  const h = await openEngine();
  try {
    await h.db.close();
    h.db = await Elanus.open({ path: h.path, limits: { backgroundIntervalMs: 0 }, rootPassword: 'Configured-1' });
    assert.equal(await h.db.verifyCredential('root', 'Milvus'), undefined);
    assert.ok(await h.db.verifyCredential('root', 'Configured-1'));
  } finally {
    await h.dispose();
  }
});

test('create, list, update (old password required unless the caller is root), delete; across a reopen', async () => {
  const h = await openEngine();
  try {
    await h.db.createCredential({ username: 'bob', password: 'bob-pass-1' });
    await h.db.createCredential({ username: 'alice', password: 'alice-pass-1' });
    assert.deepEqual((await h.db.listCredUsers()).usernames, ['root', 'alice', 'bob']);
    await assert.rejects(h.db.updateCredential({ username: 'alice', oldPassword: 'wrong-pass', newPassword: 'alice-pass-2' }), { code: 'OLD_PASSWORD_WRONG', message: 'old password not correct for alice: not authenticated' });
    await assert.rejects(h.db.updateCredential({ username: 'alice', newPassword: 'alice-pass-2', caller: 'bob' }), { code: 'OLD_PASSWORD_WRONG' });
    await assert.rejects(h.db.updateCredential({ username: 'nobody', oldPassword: 'whatever', newPassword: 'alice-pass-2' }), { code: 'OLD_PASSWORD_WRONG' });
    await assert.rejects(h.db.updateCredential({ username: 'nobody', newPassword: 'alice-pass-2', caller: 'root' }), { code: 'USER_NOT_FOUND' });
    await h.db.updateCredential({ username: 'alice', oldPassword: 'alice-pass-1', newPassword: 'alice-pass-2' });
    await h.db.updateCredential({ username: 'bob', newPassword: 'bob-pass-2', caller: 'root' });
    await h.db.deleteCredential({ username: 'alice' });
    await h.db.deleteCredential({ username: 'alice' }); // idempotent, as drops are
    await h.reopen();
    assert.deepEqual((await h.db.listCredUsers()).usernames, ['root', 'bob']);
    assert.equal(await h.db.verifyCredential('alice', 'alice-pass-2'), undefined);
    assert.equal(await h.db.verifyCredential('bob', 'bob-pass-1'), undefined);
    assert.ok(await h.db.verifyCredential('bob', 'bob-pass-2'));
    assert.deepEqual((await h.db.describeUser({ username: 'bob' })).roles, []);
    await assert.rejects(h.db.describeUser({ username: 'alice' }), { code: 'USER_NOT_FOUND' });
  } finally {
    await h.dispose();
  }
});

test('refused requests store nothing: bad names, bad passwords, a duplicate', async () => {
  const h = await openEngine();
  try {
    await h.db.createCredential({ username: 'carol', password: 'carol-pass' });
    const stamp = h.db.credentialStamp('carol');
    await assert.rejects(h.db.createCredential({ username: '0carol', password: 'carol-pass' }), { code: 'INVALID_USER_NAME' });
    await assert.rejects(h.db.createCredential({ username: 'dave', password: 'short' }), { code: 'INVALID_PASSWORD' });
    await assert.rejects(h.db.createCredential({ username: 'carol', password: 'other-pass' }), { code: 'USER_ALREADY_EXISTS' });
    await assert.rejects(h.db.updateCredential({ username: 'carol', oldPassword: 'carol-pass', newPassword: 'x' }), { code: 'INVALID_PASSWORD' });
    await assert.rejects(h.db.createCredential(null as never), { code: 'INVALID_ARGUMENT' });
    await h.reopen();
    assert.deepEqual((await h.db.listCredUsers()).usernames, ['root', 'carol']);
    assert.equal(h.db.credentialStamp('carol'), stamp);
    assert.ok(await h.db.verifyCredential('carol', 'carol-pass'));
  } finally {
    await h.dispose();
  }
});

test('two password changes with the same old password at once: one wins, the other is judged again and refused', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await h.db.createCredential({ username: 'erin', password: 'erin-pass-0' });
    const results = await Promise.allSettled([
      h.db.updateCredential({ username: 'erin', oldPassword: 'erin-pass-0', newPassword: 'erin-pass-A' }),
      h.db.updateCredential({ username: 'erin', oldPassword: 'erin-pass-0', newPassword: 'erin-pass-B' }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(won, 1, JSON.stringify(results.map((r) => r.status)));
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((lost.reason as { code: string }).code, 'OLD_PASSWORD_WRONG');
    const a = await h.db.verifyCredential('erin', 'erin-pass-A');
    const b = await h.db.verifyCredential('erin', 'erin-pass-B');
    assert.equal([a, b].filter(Boolean).length, 1);
    assert.equal(await h.db.verifyCredential('erin', 'erin-pass-0'), undefined);
  } finally {
    await h.dispose();
  }
});

test('a power loss at any write of a create or a password change: the change is wholly there or not at all, and an acknowledged one is there', async () => {
  const path = '/data/elanus';
  const open = (fs: FaultFileSystem) => Elanus.open({ path, fs, limits: { backgroundIntervalMs: 0 } });
  let sawCrash = false;
  for (let k = 0; k < 12; k++) {
    const fs = new FaultFileSystem({ seed: 100 + k });
    const db = await open(fs);
    await db.createCredential({ username: 'frank', password: 'frank-pass-0' });
    fs.crashAfter(k);
    const created = await db.createCredential({ username: 'grace', password: 'grace-pass-0' }).then(() => true, () => false);
    const changed = created && await db.updateCredential({ username: 'frank', oldPassword: 'frank-pass-0', newPassword: 'frank-pass-1' }).then(() => true, () => false);
    sawCrash ||= fs.crashed;
    await db.close().catch(() => undefined);
    fs.powerLoss();
    const again = await open(fs);
    try {
      const users = (await again.listCredUsers()).usernames;
      const hasGrace = users.includes('grace');
      if (created) assert.ok(hasGrace, `k=${k}: an acknowledged create was lost`);
      if (hasGrace) assert.ok(await again.verifyCredential('grace', 'grace-pass-0'), `k=${k}: grace is there without her password`);
      const frank0 = await again.verifyCredential('frank', 'frank-pass-0');
      const frank1 = await again.verifyCredential('frank', 'frank-pass-1');
      assert.equal([frank0, frank1].filter(Boolean).length, 1, `k=${k}: frank has exactly one password`);
      if (changed) assert.ok(frank1, `k=${k}: an acknowledged password change was lost`);
    } finally {
      await again.close();
    }
  }
  assert.ok(sawCrash, 'the sweep crashed somewhere');
});

test('at most usersMax users, root included: the next create is LIMIT_EXCEEDED and stores nothing', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    for (let i = 1; i < credentialLimits.usersMax; i++) await h.db.createCredential({ username: `user_${i}`, password: 'password-1' });
    assert.equal((await h.db.listCredUsers()).usernames.length, credentialLimits.usersMax);
    await assert.rejects(h.db.createCredential({ username: 'one_too_many', password: 'password-1' }), { code: 'LIMIT_EXCEEDED' });
    await h.db.deleteCredential({ username: 'user_1' });
    await h.db.createCredential({ username: 'one_too_many', password: 'password-1' });
    await h.reopen();
    const names = (await h.db.listCredUsers()).usernames;
    assert.equal(names.length, credentialLimits.usersMax);
    assert.ok(names.includes('one_too_many') && !names.includes('user_1'));
  } finally {
    await h.dispose();
  }
});
