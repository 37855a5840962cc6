// Authentication and users through `elanus serve --auth-enabled`, as a user runs it, with
// the official Node SDK (gRPC) and plain REST v2 requests: no credentials and wrong ones
// are refused with Milvus's errors, root works, a user created logs in, a changed
// password and a dropped user are refused on their very next call, and everything holds
// across a restart and a kill -9. Then the limit on failed attempts per address, the
// metrics, and the warning of a server that listens beyond loopback without auth. Every
// client here comes from 127.0.0.1, so each server run stays under the 10 failures a
// minute that address may make until the part that tests that limit.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { killAll, metric, serve, type ServeProcess } from './serve-process.js';

const dirs: string[] = [];
const clients: MilvusClient[] = [];
after(async () => {
  for (const c of clients) await c.closeConnection().catch(() => undefined);
  killAll();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'elanus-auth-'));
  dirs.push(d);
  return d;
}

/** A connected SDK client; rejects as the SDK's connect does when the server refuses it. */
async function sdk(s: ServeProcess, creds: { username?: string; password?: string; token?: string } = {}): Promise<MilvusClient> {
  const c = new MilvusClient({ address: `127.0.0.1:${s.port}`, logLevel: 'error', ...creds });
  clients.push(c);
  await c.connectPromise;
  return c;
}

interface GrpcError { code?: number; details?: string }

/** The SDK call fails with gRPC status `code` and an Elanus code leading its details. */
async function refused(p: Promise<unknown>, code: number, elanus: string): Promise<void> {
  await assert.rejects(p, (e: GrpcError) => {
    assert.equal(e.code, code, String(e.details));
    assert.ok(e.details?.startsWith(`${elanus}: `), String(e.details));
    return true;
  });
}

async function rest(s: ServeProcess, path: string, body: unknown, authorization?: string): Promise<{ status: number; json: { code: number; data?: unknown; message?: string } }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (authorization !== undefined) headers['Authorization'] = authorization;
  const r = await fetch(`http://127.0.0.1:${s.port}/v2/vectordb/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() as { code: number; data?: unknown; message?: string } };
}

function ok(s: { error_code?: unknown; code?: unknown; reason?: unknown; status?: { error_code?: unknown; reason?: unknown } }): void {
  const st = s.status ?? s;
  assert.equal(st.error_code, 'Success', String(st.reason));
}

const root = { username: 'root', password: 'Milvus' };
const unauthenticated = 16;
const resourceExhausted = 8;
const warning = 'authentication is off';

test('users and authentication through the SDK and REST, across a restart and a kill -9', async () => {
  const dir = await tempDir();
  let s = await serve(dir, ['--auth-enabled']);
  assert.ok(!s.lines.some((l) => l.includes(warning)), 'no warning with auth on');

  // No credentials, wrong ones: refused before anything runs, as Milvus refuses them.
  await refused(sdk(s), unauthenticated, 'AUTH_MISSING');
  await refused(sdk(s, { username: 'root', password: 'not-Milvus' }), unauthenticated, 'AUTH_FAILED');
  let r = await rest(s, 'collections/list', {});
  assert.deepEqual([r.status, r.json.code], [401, 1800]);
  assert.match(String(r.json.message), /^AUTH_MISSING: /);
  r = await rest(s, 'collections/list', {}, 'Bearer root:wrong-password');
  assert.deepEqual([r.status, r.json.code], [401, 1800]);
  assert.match(String(r.json.message), /^AUTH_FAILED: auth check failure/);
  // Health and metrics describe the node and stay open (a load balancer, Prometheus).
  assert.equal((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${s.port}/metrics`)).status, 200);

  // Root works, with a username and password and with a token.
  const admin = await sdk(s, root);
  assert.deepEqual((await admin.listUsers()).usernames, ['root']);
  assert.deepEqual((await sdk(s, { token: 'root:Milvus' }).then((c) => c.listDatabases())).db_names, ['default']);
  r = await rest(s, 'users/list', {}, 'Bearer root:Milvus');
  assert.deepEqual([r.status, r.json.code, r.json.data], [200, 0, ['root']]);

  // A user created over gRPC logs in; one created over REST too.
  ok(await admin.createUser({ username: 'alice', password: 'alice-pass-1' }));
  const dup = await admin.createUser({ username: 'alice', password: 'alice-pass-1' });
  assert.deepEqual([dup.code, dup.reason], [65535, 'USER_ALREADY_EXISTS: user already exists: alice']);
  const alice = await sdk(s, { username: 'alice', password: 'alice-pass-1' });
  ok(await alice.listDatabases());
  r = await rest(s, 'users/create', { userName: 'bob', password: 'bob-pass-1' }, 'Bearer root:Milvus');
  assert.deepEqual([r.status, r.json.code], [200, 0]);
  r = await rest(s, 'users/create', { userName: 'b-o-b', password: 'bob-pass-1' }, 'Bearer root:Milvus');
  assert.deepEqual([r.json.code, String(r.json.message).split(':')[0]], [1100, 'INVALID_USER_NAME']);
  r = await rest(s, 'users/describe', { userName: 'bob' }, 'Bearer bob:bob-pass-1');
  assert.deepEqual([r.status, r.json.code, r.json.data], [200, 0, []]);
  const bob = await sdk(s, { token: 'bob:bob-pass-1' });
  ok(await bob.listDatabases());
  assert.deepEqual((await admin.listUsers()).usernames, ['root', 'alice', 'bob']);

  // A password change: the old password is refused at once, on a connected client too.
  const wrongOld = await alice.updateUser({ username: 'alice', oldPassword: 'not-my-pass', newPassword: 'alice-pass-2' });
  assert.deepEqual([wrongOld.code, wrongOld.reason], [1400, 'OLD_PASSWORD_WRONG: old password not correct for alice: not authenticated']);
  ok(await alice.updateUser({ username: 'alice', oldPassword: 'alice-pass-1', newPassword: 'alice-pass-2' }));
  await refused(alice.listDatabases(), unauthenticated, 'AUTH_FAILED');
  await refused(sdk(s, { username: 'alice', password: 'alice-pass-1' }), unauthenticated, 'AUTH_FAILED');
  const alice2 = await sdk(s, { username: 'alice', password: 'alice-pass-2' });
  ok(await alice2.listDatabases());
  // REST: a user changes their own password with the old one; root changes anyone's without it.
  r = await rest(s, 'users/update_password', { userName: 'bob', password: 'bob-pass-1', newPassword: 'bob-pass-2' }, 'Bearer bob:bob-pass-1');
  assert.deepEqual([r.status, r.json.code], [200, 0]);
  r = await rest(s, 'users/describe', { userName: 'bob' }, 'Bearer bob:bob-pass-1');
  assert.equal(r.status, 401);
  r = await rest(s, 'users/update_password', { userName: 'bob', password: 'forgotten', newPassword: 'bob-pass-3' }, 'Bearer root:Milvus');
  assert.deepEqual([r.status, r.json.code], [200, 0]);
  assert.equal((await rest(s, 'users/describe', { userName: 'bob' }, 'Bearer bob:bob-pass-3')).status, 200);

  // A dropped user is refused on its very next call; root cannot be dropped.
  r = await rest(s, 'users/drop', { userName: 'bob' }, 'Bearer root:Milvus');
  assert.deepEqual([r.status, r.json.code], [200, 0]);
  assert.equal((await rest(s, 'users/describe', { userName: 'bob' }, 'Bearer bob:bob-pass-3')).status, 401);
  await refused(bob.listDatabases(), unauthenticated, 'AUTH_FAILED');
  const dropRoot = await admin.deleteUser({ username: 'root' });
  assert.deepEqual([dropRoot.code, dropRoot.reason], [1401, 'ROOT_NOT_DELETABLE: root user cannot be deleted: privilege not permitted']);
  // Root changes its own password: the stored one wins over --root-password from now on.
  ok(await admin.updateUser({ username: 'root', oldPassword: 'Milvus', newPassword: 'Root-Pass-2' }));
  assert.ok((await metric(s.port, 'elanus_auth_failures_total{reason="wrong"}'))! >= 4);
  assert.ok((await metric(s.port, 'elanus_auth_failures_total{reason="missing"}'))! >= 2);

  // Restarted on its folder: the users and passwords are as they were.
  await s.stop();
  s = await serve(dir, ['--auth-enabled']);
  await refused(sdk(s, root), unauthenticated, 'AUTH_FAILED');
  const admin2 = await sdk(s, { username: 'root', password: 'Root-Pass-2' });
  assert.deepEqual((await admin2.listUsers()).usernames, ['root', 'alice']);
  ok(await (await sdk(s, { username: 'alice', password: 'alice-pass-2' })).listDatabases());
  await refused(sdk(s, { username: 'alice', password: 'alice-pass-1' }), unauthenticated, 'AUTH_FAILED');
  await refused(sdk(s, { token: 'bob:bob-pass-3' }), unauthenticated, 'AUTH_FAILED');
  await refused(sdk(s, { token: 'nobody:Milvus' }), unauthenticated, 'AUTH_FAILED');
  // The SDK's HttpClient: its Authorization header from username and password, or a token.
  const endpoint = `http://127.0.0.1:${s.port}`;
  assert.deepEqual(await new HttpClient({ endpoint, username: 'root', password: 'Root-Pass-2' }).listUsers(), { code: 0, data: ['root', 'alice'] });
  // A user with no role may not list the users (SelectOwnership), but may describe itself.
  assert.deepEqual(await new HttpClient({ endpoint, token: 'alice:alice-pass-2' }).describeUser({ userName: 'alice' }), { code: 0, data: [] });
  await assert.rejects(new HttpClient({ endpoint }).listUsers(), (e: Error & { status?: number }) => {
    assert.equal(e.status, 401);
    assert.match(e.message, /"code":1800,"message":"AUTH_MISSING: /);
    return true;
  });

  // Killed with SIGKILL right after a change was acknowledged: it is there after the restart.
  ok(await admin2.createUser({ username: 'carol', password: 'carol-pass-1' }));
  ok(await admin2.updateUser({ username: 'alice', oldPassword: 'alice-pass-2', newPassword: 'alice-pass-3' }));
  const killed = new Promise((resolve) => s.proc.once('exit', resolve));
  s.proc.kill('SIGKILL');
  await killed;
  s = await serve(dir, ['--auth-enabled']);
  ok(await (await sdk(s, { username: 'carol', password: 'carol-pass-1' })).listDatabases());
  ok(await (await sdk(s, { username: 'alice', password: 'alice-pass-3' })).listDatabases());
  const admin3 = await sdk(s, { username: 'root', password: 'Root-Pass-2' });
  assert.deepEqual((await admin3.listUsers()).usernames, ['root', 'alice', 'carol']);

  // Failed attempts from one address are bounded: past the limit it gets AUTH_RATE_LIMITED
  // (gRPC status 8, REST 429) until the window passes, while a client already verified goes on.
  ok(await admin3.createUser({ username: 'dave', password: 'dave-pass-1' }));
  for (let i = 0; ; i++) {
    assert.ok(i < 20, 'the limit never came');
    const guess = await rest(s, 'users/list', {}, `Bearer root:guess-${i}`);
    if (guess.status === 429) {
      assert.equal(guess.json.code, 8);
      assert.match(String(guess.json.message), /^AUTH_RATE_LIMITED: too many failed authentications from 127\.0\.0\.1: at most 10 in 60 s/);
      break;
    }
    assert.equal(guess.status, 401);
  }
  await refused(sdk(s, { username: 'dave', password: 'dave-pass-1' }), resourceExhausted, 'AUTH_RATE_LIMITED');
  ok(await admin3.listDatabases());
  assert.ok((await metric(s.port, 'elanus_auth_failures_total{reason="rate_limited"}'))! >= 2);
  // The passwords tried are in no log line.
  assert.ok(!s.lines.some((l) => /guess-|carol-pass|Root-Pass/.test(l)), 'a password in the log');
  await s.stop();
});

test('without auth, a server that listens beyond loopback warns at start; calls need no credentials', async () => {
  const s = await serve(await tempDir(), ['--host', '0.0.0.0']);
  try {
    assert.ok(s.lines.some((l) => l.includes(warning) && l.includes('"level":40')), s.lines.join('\n'));
    const c = await sdk(s);
    assert.deepEqual((await c.listUsers()).usernames, ['root']);
  } finally {
    await s.stop();
  }
});
