// The Authenticator (api/auth.ts) on its own: the credential forms Milvus's clients send,
// the cache of verified passwords and what invalidates it, the per-address limit on
// failed attempts with a manual clock, and logs that never hold a password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Authenticator, addressOf, authLimits, isLoopbackHost, type CredentialSource } from '../../src/api/auth.js';

/** Users in memory; counts the (expensive) verifications the Authenticator asks for. */
class Users implements CredentialSource {
  readonly users = new Map<string, { password: string; stamp: string }>();
  verifications = 0;
  private next = 0;
  set(user: string, password: string): void {
    this.users.set(user, { password, stamp: `s${this.next++}` });
  }
  credentialStamp(user: string): string | undefined {
    return this.users.get(user)?.stamp;
  }
  async verifyCredential(user: string, password: string): Promise<string | undefined> {
    this.verifications++;
    const u = this.users.get(user);
    return u && u.password === password ? u.stamp : undefined;
  }
}

function setup() {
  const users = new Users();
  users.set('root', 'Milvus');
  users.set('alice', 'pass:with:colons');
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
  let nowMs = 1_000_000;
  const auth = new Authenticator({ users, logger, now: () => nowMs });
  return { users, lines, auth, advance: (ms: number) => (nowMs += ms) };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('gRPC: base64 user:password; REST: Bearer user:password or Basic; a password may hold colons', async () => {
  const { auth } = setup();
  assert.equal(await auth.authenticateGrpc(b64('root:Milvus'), '10.0.0.1'), 'root');
  assert.equal(await auth.authenticateGrpc(b64('alice:pass:with:colons'), '10.0.0.1'), 'alice');
  assert.equal(await auth.authenticateHttp('Bearer root:Milvus', '10.0.0.1'), 'root');
  assert.equal(await auth.authenticateHttp('bearer   alice:pass:with:colons ', '10.0.0.1'), 'alice');
  assert.equal(await auth.authenticateHttp(`Basic ${b64('root:Milvus')}`, '10.0.0.1'), 'root');
});

test('missing, malformed and wrong credentials are refused with Milvus\'s authentication error', async () => {
  const { auth } = setup();
  await assert.rejects(auth.authenticateGrpc(undefined, 'a'), { code: 'AUTH_MISSING' });
  await assert.rejects(auth.authenticateGrpc('', 'a'), { code: 'AUTH_MISSING' });
  await assert.rejects(auth.authenticateHttp(undefined, 'a'), { code: 'AUTH_MISSING' });
  await assert.rejects(auth.authenticateHttp('Bearer ', 'a'), { code: 'AUTH_MISSING' });
  await assert.rejects(auth.authenticateHttp('Bearer', 'a'), { code: 'AUTH_MISSING' });
  await assert.rejects(auth.authenticateHttp('Token root:Milvus', 'a'), { code: 'AUTH_FAILED' });
  await assert.rejects(auth.authenticateGrpc(b64('no-colon-api-key'), 'a'), { code: 'AUTH_FAILED' });
  await assert.rejects(auth.authenticateGrpc(b64(':Milvus'), 'a'), { code: 'AUTH_FAILED' });
  await assert.rejects(auth.authenticateGrpc(b64('root:milvus'), 'a'), { code: 'AUTH_FAILED' });
  await assert.rejects(auth.authenticateGrpc(b64('nobody:Milvus'), 'a'), /auth check failure, please check username and password are correct/);
  await assert.rejects(auth.authenticateGrpc('x'.repeat(authLimits.credentialBytesMax + 1), 'a'), { code: 'AUTH_FAILED' });
  const counts = auth.failures();
  assert.deepEqual([...counts], [['missing', 5], ['malformed', 4], ['wrong', 2], ['rate_limited', 0]]);
});

test('a verified password is remembered; a changed or dropped user is verified again, or refused, at once', async () => {
  const { auth, users } = setup();
  await auth.authenticateGrpc(b64('alice:pass:with:colons'), 'a');
  await auth.authenticateGrpc(b64('alice:pass:with:colons'), 'a');
  await auth.authenticateHttp('Bearer alice:pass:with:colons', 'a');
  assert.equal(users.verifications, 1, 'one verification for three calls');
  // A wrong password is never answered from the cache.
  await assert.rejects(auth.authenticateGrpc(b64('alice:other-password'), 'a'), { code: 'AUTH_FAILED' });
  users.set('alice', 'new-password');
  await assert.rejects(auth.authenticateGrpc(b64('alice:pass:with:colons'), 'a'), { code: 'AUTH_FAILED' });
  assert.equal(await auth.authenticateGrpc(b64('alice:new-password'), 'a'), 'alice');
  users.users.delete('alice');
  await assert.rejects(auth.authenticateGrpc(b64('alice:new-password'), 'a'), { code: 'AUTH_FAILED' });
});

test('past the failures one address may make per window, it is refused without verifying until the window ends; others and verified clients go on', async () => {
  const { auth, users, advance } = setup();
  await auth.authenticateGrpc(b64('root:Milvus'), 'attacker'); // verified before the guessing starts
  for (let i = 0; i < authLimits.failuresPerWindowMax; i++) {
    await assert.rejects(auth.authenticateGrpc(b64(`root:guess${i}`), 'attacker'), { code: 'AUTH_FAILED' });
  }
  const before = users.verifications;
  await assert.rejects(auth.authenticateGrpc(b64('alice:pass:with:colons'), 'attacker'), (e: Error & { code?: string; details?: Record<string, unknown> }) => {
    assert.equal(e.code, 'AUTH_RATE_LIMITED');
    assert.equal(e.details?.max, authLimits.failuresPerWindowMax);
    assert.equal(e.details?.retryAfterSeconds, authLimits.failureWindowMs / 1000);
    return true;
  });
  await assert.rejects(auth.authenticateHttp('Bearer root:guess-again', 'attacker'), { code: 'AUTH_RATE_LIMITED' });
  assert.equal(users.verifications, before, 'no verification while limited');
  // A password already verified still passes from that address; another address is not limited.
  assert.equal(await auth.authenticateGrpc(b64('root:Milvus'), 'attacker'), 'root');
  assert.equal(await auth.authenticateGrpc(b64('alice:pass:with:colons'), 'neighbour'), 'alice');
  users.set('bob', 'bob-password');
  advance(authLimits.failureWindowMs - 1);
  await assert.rejects(auth.authenticateGrpc(b64('bob:bob-password'), 'attacker'), { code: 'AUTH_RATE_LIMITED' });
  advance(1);
  assert.equal(await auth.authenticateGrpc(b64('bob:bob-password'), 'attacker'), 'bob');
  assert.equal(auth.failures().get('rate_limited'), 3);
});

test('failures are logged at warn with the user and address, never the password; a limited address is logged once per window', async () => {
  const { auth, lines } = setup();
  for (let i = 0; i < authLimits.failuresPerWindowMax + 5; i++) {
    await assert.rejects(auth.authenticateGrpc(b64(`root:Secret-Guess-${i}`), '192.0.2.7'));
  }
  await assert.rejects(auth.authenticateHttp('Bearer alice:Another-Secret', '192.0.2.8'));
  assert.equal(lines.length, authLimits.failuresPerWindowMax + 1 + 1);
  for (const line of lines) {
    assert.ok(!/Secret/.test(line), `a password in the log: ${line}`);
    const j = JSON.parse(line) as { level: number; address: string; reason: string };
    assert.equal(j.level, 40);
  }
  const first = JSON.parse(lines[0]!) as { user: string; address: string; reason: string };
  assert.deepEqual({ user: first.user, address: first.address, reason: first.reason }, { user: 'root', address: '192.0.2.7', reason: 'wrong' });
  assert.equal((JSON.parse(lines[authLimits.failuresPerWindowMax]!) as { reason: string }).reason, 'rate_limited');
});

test('peer addresses and loopback hosts', () => {
  assert.equal(addressOf('ipv4:10.1.2.3:5555'), '10.1.2.3');
  assert.equal(addressOf('10.1.2.3:5555'), '10.1.2.3');
  assert.equal(addressOf('ipv6:[::1]:5555'), '::1');
  assert.equal(addressOf('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(addressOf(undefined), 'unknown');
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) assert.equal(isLoopbackHost(h), false, h);
});

test('the addresses tracked are bounded: past addressesMax the oldest is forgotten (its window with it)', async () => {
  const { auth } = setup();
  for (let i = 0; i < authLimits.failuresPerWindowMax; i++) await assert.rejects(auth.authenticateGrpc(b64('root:wrong-pass'), 'first'));
  await assert.rejects(auth.authenticateGrpc(b64('root:Milvus'), 'first'), { code: 'AUTH_RATE_LIMITED' });
  for (let i = 0; i < authLimits.addressesMax; i++) await assert.rejects(auth.authenticateHttp('Bearer root:wrong-pass', `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`), { code: 'AUTH_FAILED' });
  assert.equal(await auth.authenticateGrpc(b64('root:Milvus'), 'first'), 'root');
});

test('attempts sent all at once: one password shared by a burst is verified once; distinct guesses are bounded as sequential ones are', async () => {
  const { auth, users } = setup();
  const burst = await Promise.all(Array.from({ length: 8 }, () => auth.authenticateGrpc(b64('alice:pass:with:colons'), 'app')));
  assert.deepEqual(burst, Array.from({ length: 8 }, () => 'alice'));
  assert.equal(users.verifications, 1);
  const guesses = await Promise.allSettled(Array.from({ length: 3 * authLimits.failuresPerWindowMax }, (_, i) => auth.authenticateGrpc(b64(`root:guess-${i}`), 'guesser')));
  const codes = guesses.map((g) => (g.status === 'rejected' ? (g.reason as { code: string }).code : 'accepted'));
  assert.equal(codes.filter((c) => c === 'AUTH_FAILED').length, authLimits.failuresPerWindowMax);
  assert.equal(codes.filter((c) => c === 'AUTH_RATE_LIMITED').length, 2 * authLimits.failuresPerWindowMax);
  assert.equal(users.verifications, 1 + authLimits.failuresPerWindowMax, 'no verification past the limit');
});
