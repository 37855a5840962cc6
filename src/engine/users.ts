// The users (coordinator role): Milvus's CreateCredential, UpdateCredential,
// DeleteCredential and ListCredUsers, and the two reads authentication needs. Each user
// is one key of the engine's metadata (`user/<name>`, catalog/credentials.ts), so it
// lives wherever the catalog does (the data folder's journal, or etcd in cluster mode)
// and each change is one atomic commit, acknowledged once durable.
//
// Hashing takes tens of milliseconds on libuv's threads, so it runs before the
// coordinator queue is entered; the queue step then checks that what the caller was
// judged against is still there (the hash a verified old password matched, the absence
// of the name being created) and commits, with no await between the check and the act.
//
// Root exists from the first start: until its password is changed, its password is the
// engine's `rootPassword` (nothing stored); the first UpdateCredential of root stores a
// hash, which wins from then on.
import { fail } from '../errors/index.js';
import {
  credentialKeys, credentialLimits, hashPassword, rbacKeys, rootPasswordDefault, rootUser, validatePassword, validateUserName, verifyPassword,
  type CredentialMeta,
} from '../catalog/index.js';
import { status } from '../gateway/requests.js';
import type { EngineCore } from './core.js';

/** The stamp of root while its password is still the configured one (stored hashes are never this). */
const rootDefaultStamp = 'root-default';
/** A verify that found the user's password changed under it tries again this many times. */
const updateAttemptsMax = 3;

export class UsersRole {
  /** The configured root password's hash, made once when first needed. */
  private rootDefaultHash: Promise<string> | undefined;
  /** A hash to verify against for names that do not exist, so a wrong name costs what a wrong password does. */
  private decoyHash: Promise<string> | undefined;

  constructor(private readonly core: EngineCore, private readonly rootPassword: string = rootPasswordDefault) {}

  /**
   * What a user's password is now, as an opaque string that changes whenever the
   * password does (the stored hash, whose salt is new each time), or undefined when there
   * is no such user. Synchronous: authentication caches a verified password against it.
   */
  credentialStamp(username: string): string | undefined {
    const stored = this.stored(username);
    if (stored) return stored.hash;
    return username === rootUser ? rootDefaultStamp : undefined;
  }

  /**
   * Verifies a password; resolves with the stamp it was verified against (see
   * credentialStamp), or undefined when the user or the password is wrong.
   */
  async verifyCredential(username: string, password: string): Promise<string | undefined> {
    this.core.checkOpen();
    if (typeof username !== 'string' || typeof password !== 'string') return undefined;
    const stamp = this.credentialStamp(username);
    if (stamp === undefined) {
      await verifyPassword(password, await (this.decoyHash ??= hashPassword(`${Math.random()}${Date.now()}`)));
      return undefined;
    }
    return (await verifyPassword(password, await this.hashOf(stamp))) ? stamp : undefined;
  }

  async createCredential(req: { username: string; password: string }): Promise<typeof status> {
    this.core.checkOpen();
    const username = validateUserName(this.core.requireObject(req).username);
    const password = validatePassword(req.password);
    return hashPassword(password).then((hash) => this.core.ddl(async () => {
      if (this.credentialStamp(username) !== undefined) fail('USER_ALREADY_EXISTS', { name: username });
      if (this.names().length >= credentialLimits.usersMax) fail('LIMIT_EXCEEDED', { what: 'user', detail: `at most ${credentialLimits.usersMax} users, root included` });
      const now = this.core.clock.now();
      const meta: CredentialMeta = { name: username, hash, createdMs: now, updatedMs: now };
      await this.core.catalog.commit({ put: { [credentialKeys.user(username)]: meta } });
      return status;
    }));
  }

  /**
   * Changes a password. The old one must match, except when `caller` (the authenticated
   * user making the call) is root; with authentication off there is no caller, and the
   * old password is always required.
   */
  async updateCredential(req: { username: string; oldPassword?: string; newPassword: string; caller?: string | undefined }): Promise<typeof status> {
    this.core.checkOpen();
    const username = validateUserName(this.core.requireObject(req).username);
    const newPassword = validatePassword(req.newPassword);
    const byRoot = req.caller === rootUser;
    for (let attempt = 1; ; attempt++) {
      const stamp = this.credentialStamp(username);
      if (stamp === undefined) fail(byRoot ? 'USER_NOT_FOUND' : 'OLD_PASSWORD_WRONG', { name: username });
      if (!byRoot) {
        const old = typeof req.oldPassword === 'string' ? req.oldPassword : '';
        if (!(await verifyPassword(old, await this.hashOf(stamp)))) fail('OLD_PASSWORD_WRONG', { name: username });
      }
      const hash = await hashPassword(newPassword);
      const done = await this.core.ddl(async () => {
        // Changed or dropped since it was verified: judge the call again on what is there now.
        if (this.credentialStamp(username) !== stamp) return false;
        const now = this.core.clock.now();
        const meta: CredentialMeta = { name: username, hash, createdMs: this.stored(username)?.createdMs ?? now, updatedMs: now };
        await this.core.catalog.commit({ put: { [credentialKeys.user(username)]: meta } });
        return true;
      });
      if (done) return status;
      if (attempt >= updateAttemptsMax) fail('TIMEOUT', { what: `changing the password of ${username} (it kept changing meanwhile)`, ms: 0 });
    }
  }

  async deleteCredential(req: { username: string }): Promise<typeof status> {
    this.core.checkOpen();
    const username = validateUserName(this.core.requireObject(req).username);
    if (username === rootUser) fail('ROOT_NOT_DELETABLE');
    return this.core.ddl(async () => {
      // Drops are idempotent, as elsewhere: a user that is not there is already dropped.
      if (!this.stored(username)) return status;
      // Its role bindings go with it, in the same commit: a user created later under the
      // same name starts with no role.
      await this.core.catalog.commit({ del: [credentialKeys.user(username)], delPrefix: [rbacKeys.userRolesOf(username)] });
      return status;
    });
  }

  async listCredUsers(): Promise<{ status: typeof status; usernames: string[] }> {
    this.core.checkOpen();
    return { status, usernames: this.names() };
  }

  /** REST users/describe: the user's roles. */
  async describeUser(req: { username: string }): Promise<{ status: typeof status; username: string; roles: string[] }> {
    this.core.checkOpen();
    const username = validateUserName(this.core.requireObject(req).username);
    if (this.credentialStamp(username) === undefined) fail('USER_NOT_FOUND', { name: username });
    return { status, username, roles: [...this.core.roles.rbac.rolesOf(username)] };
  }

  // ---------------------------------------------------------------- helpers

  private stored(username: string): CredentialMeta | undefined {
    return this.core.meta.get(credentialKeys.user(username)) as CredentialMeta | undefined;
  }

  /** Every user, root first, then by name. */
  private names(): string[] {
    const stored = this.core.meta.scan(credentialKeys.prefix).map(([, v]) => (v as CredentialMeta).name).filter((n) => n !== rootUser);
    return [rootUser, ...stored.sort()];
  }

  private hashOf(stamp: string): Promise<string> {
    if (stamp !== rootDefaultStamp) return Promise.resolve(stamp);
    return (this.rootDefaultHash ??= hashPassword(this.rootPassword));
  }
}
