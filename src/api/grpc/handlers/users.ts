// Users: CreateCredential, UpdateCredential, DeleteCredential, ListCredUsers. Milvus's
// SDKs send passwords base64-encoded in these requests (the proto calls them
// ciphertext); they are decoded here and go no further than the engine's hash.
import { fail } from '../../../errors/index.js';
import { okStatus } from '../../status.js';
import type { Handler } from '../context.js';

/** Credential RPCs reply with a bare common.Status. */
const ok = okStatus as unknown as Record<string, unknown>;

/** A base64 password field, decoded; absent or malformed is INVALID_PASSWORD's business (an empty password). */
function decoded(field: string, v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) fail('INVALID_ARGUMENT', { detail: `${field} must be the password in base64` });
  return Buffer.from(v, 'base64').toString('utf8');
}

export const userHandlers: Record<string, Handler> = {
  async CreateCredential(r, ctx) {
    await ctx.engine.createCredential({ username: r.username, password: decoded('password', r.password) });
    return ok;
  },
  async UpdateCredential(r, ctx) {
    await ctx.engine.updateCredential({ username: r.username, oldPassword: decoded('oldPassword', r.oldPassword), newPassword: decoded('newPassword', r.newPassword), caller: ctx.user });
    return ok;
  },
  async DeleteCredential(r, ctx) {
    await ctx.engine.deleteCredential({ username: r.username });
    return ok;
  },
  async ListCredUsers(_r, ctx) {
    return { status: okStatus, usernames: (await ctx.engine.listCredUsers()).usernames };
  },
};
