// Users and their passwords, as stored in the engine's metadata: the key layout, the
// checks a user name and a password are held to (Milvus's proxy checks), and the salted
// password hash. A password is never stored, logged or kept in memory past the call that
// carries it: only `scrypt$N$r$p$salt$hash`, where scrypt is memory-hard (each guess of
// an attacker who copied the metadata costs `N * r * 128` bytes of memory and the time
// to fill them), with a fresh 16-byte salt per password, so two users with one password
// have different hashes.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ElanusError, fail } from '../errors/index.js';

/** The user that always exists, cannot be dropped, and may change any password without the old one. */
export const rootUser = 'root';
/** Root's password until it is changed (Milvus's default; `--root-password`). */
export const rootPasswordDefault = 'Milvus';

export const credentialLimits = Object.freeze({
  /** Milvus's proxy.maxUsernameLength. */
  userNameBytesMax: 32,
  /** Milvus's proxy.minPasswordLength. */
  passwordBytesMin: 6,
  /** Milvus 2.6's proxy.maxPasswordLength (2.5 took up to 256; every password taken here is taken by both). */
  passwordBytesMax: 72,
  /** Milvus's proxy.maxUserNum (root included). */
  usersMax: 100,
});

/** One stored user. Frozen data; a change is a new value under the same key. */
export interface CredentialMeta {
  readonly name: string;
  /** `scrypt$N$r$p$salt$hash` (base64 salt and hash). */
  readonly hash: string;
  readonly createdMs: number;
  readonly updatedMs: number;
}

export const credentialKeys = Object.freeze({
  prefix: 'user/',
  user: (name: string) => `user/${name}`,
});

/** Milvus's ValidateUsername: a letter, then letters, digits and underscores, at most 32 bytes. */
export function validateUserName(name: unknown): string {
  if (typeof name !== 'string' || name === '') fail('INVALID_USER_NAME', { name: JSON.stringify(name ?? ''), rule: 'the user name must not be empty' });
  if (Buffer.byteLength(name) > credentialLimits.userNameBytesMax) {
    fail('INVALID_USER_NAME', { name, rule: `the length of a user name must be at most ${credentialLimits.userNameBytesMax} bytes` });
  }
  if (!/^[A-Za-z]/.test(name)) fail('INVALID_USER_NAME', { name, rule: 'the first character must be a letter' });
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) fail('INVALID_USER_NAME', { name, rule: 'a user name can only contain numbers, letters and underscores' });
  return name;
}

/** Milvus's ValidatePassword: its length in bytes, nothing about its characters. */
export function validatePassword(password: unknown): string {
  if (typeof password !== 'string') fail('INVALID_PASSWORD', { min: credentialLimits.passwordBytesMin, max: credentialLimits.passwordBytesMax, length: 0 });
  const length = Buffer.byteLength(password);
  if (length < credentialLimits.passwordBytesMin || length > credentialLimits.passwordBytesMax) {
    fail('INVALID_PASSWORD', { min: credentialLimits.passwordBytesMin, max: credentialLimits.passwordBytesMax, length });
  }
  return password;
}

/**
 * The cost of a new hash: N = 2^14, r = 8 (16 MiB and about 50 ms of one core per hash),
 * p = 1. Stored with each hash, so raising them later leaves old hashes readable.
 */
export const scryptCost = Object.freeze({ N: 16_384, r: 8, p: 1 });
const saltBytes = 16;
const hashBytes = 32;
/** A stored hash naming a larger cost is refused as corrupt: it could make one login take the machine's memory. */
const scryptNMax = 1 << 20;
const scryptRMax = 32;
const scryptPMax = 16;

function scrypt(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  // Node refuses a cost above maxmem (32 MiB by default); leave room for what is asked.
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, hashBytes, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A salted scrypt hash of `password`, in the stored form. Runs on libuv's thread pool. */
export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = scryptCost): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await scrypt(password, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` is the one `stored` was made from (constant-time comparison). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  const [kind, n, r, p, salt, key] = parts;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const valid = parts.length === 6 && kind === 'scrypt'
    && Number.isInteger(cost.N) && cost.N > 1 && cost.N <= scryptNMax && (cost.N & (cost.N - 1)) === 0
    && Number.isInteger(cost.r) && cost.r >= 1 && cost.r <= scryptRMax
    && Number.isInteger(cost.p) && cost.p >= 1 && cost.p <= scryptPMax;
  if (!valid) throw new ElanusError('CORRUPT_DATA', { path: 'metadata user/*', offset: 0, detail: 'a stored password hash is not in the scrypt$N$r$p$salt$hash form' });
  const expected = Buffer.from(key!, 'base64');
  if (expected.length !== hashBytes) throw new ElanusError('CORRUPT_DATA', { path: 'metadata user/*', offset: 0, detail: 'a stored password hash has the wrong length' });
  const actual = await scrypt(password, Buffer.from(salt!, 'base64'), cost);
  return timingSafeEqual(actual, expected);
}
