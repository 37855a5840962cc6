// Users' names, passwords and password hashes (catalog/credentials.ts): Milvus's rules
// for names and password lengths, and the salted scrypt hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialLimits, hashPassword, scryptCost, validatePassword, validateUserName, verifyPassword } from '../../src/catalog/index.js';

/** A cheap cost for the tests that hash many times; the stored form carries it. */
const cheap = { N: 1024, r: 8, p: 1 };

test('a hash verifies its own password and no other; the password is nowhere in it', async () => {
  const h = await hashPassword('correct horse', cheap);
  assert.match(h, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.ok(!h.includes('correct horse'));
  assert.equal(await verifyPassword('correct horse', h), true);
  assert.equal(await verifyPassword('correct horsE', h), false);
  assert.equal(await verifyPassword('', h), false);
  assert.equal(await verifyPassword('correct horse ', h), false);
});

test('each hash has its own salt: one password hashed twice gives two hashes, both verify', async () => {
  const a = await hashPassword('same-password', cheap);
  const b = await hashPassword('same-password', cheap);
  assert.notEqual(a, b);
  assert.notEqual(a.split('$')[4], b.split('$')[4]);
  assert.equal(await verifyPassword('same-password', a), true);
  assert.equal(await verifyPassword('same-password', b), true);
});

test('the default cost is memory-hard and is what a new hash records', async () => {
  assert.ok(scryptCost.N * scryptCost.r * 128 >= 16 * 1024 * 1024, 'at least 16 MiB per hash');
  const h = await hashPassword('Milvus');
  assert.deepEqual(h.split('$').slice(0, 4), ['scrypt', String(scryptCost.N), String(scryptCost.r), String(scryptCost.p)]);
  assert.equal(await verifyPassword('Milvus', h), true);
});

test('a stored hash that is not in the scrypt form, or asks for an unbounded cost, is CORRUPT_DATA, not a login', async () => {
  const good = await hashPassword('password1', cheap);
  const parts = good.split('$');
  for (const bad of ['', 'plain-text', 'bcrypt$10$x$y', `scrypt$${2 ** 30}$8$1$${parts[4]}$${parts[5]}`, `scrypt$1000$8$1$${parts[4]}$${parts[5]}`, `scrypt$1024$8$1$${parts[4]}$AAAA`]) {
    await assert.rejects(verifyPassword('password1', bad), { code: 'CORRUPT_DATA' }, bad);
  }
});

test('user names follow Milvus: a letter, then letters, digits and underscores, at most 32 bytes', () => {
  for (const ok of ['a', 'root', 'Alice_01', 'x'.repeat(credentialLimits.userNameBytesMax)]) assert.equal(validateUserName(ok), ok);
  const bad: unknown[] = ['', '0abc', '_abc', 'n@me', 'h h', ' alice', 'alice ', 'a-b', 'é', 'x'.repeat(credentialLimits.userNameBytesMax + 1), 42, null, undefined, {}];
  for (const name of bad) assert.throws(() => validateUserName(name), { code: 'INVALID_USER_NAME' }, String(name));
  assert.throws(() => validateUserName('9lives'), /the first character must be a letter: invalid parameter$/);
});

test('passwords: 6 to 72 bytes, any characters (bytes, not characters, are counted)', () => {
  for (const ok of ['123456', 'p@ss w0rd', ':::::::', 'x'.repeat(72), 'é'.repeat(36)]) assert.equal(validatePassword(ok), ok);
  for (const bad of ['', '12345', 'x'.repeat(73), 'é'.repeat(37), 123456, null, undefined]) {
    assert.throws(() => validatePassword(bad), { code: 'INVALID_PASSWORD' }, String(bad));
  }
  assert.throws(() => validatePassword('abc'), /must be in \[6, 72\] bytes, got 3: invalid parameter$/);
});
