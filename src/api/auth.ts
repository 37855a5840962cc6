// Authentication of every gRPC call and REST request, when it is on (`--auth-enabled`):
// who the caller is, from the credentials Milvus's clients send.
//
//   gRPC  metadata `authorization`: base64 of `user:password` (the SDKs send this both for
//         a username and password and for a token `user:password`)
//   REST  header `Authorization: Bearer user:password` (the token form), or `Basic
//         base64(user:password)`
//
// A password is verified with scrypt (catalog/credentials.ts), tens of milliseconds of a
// libuv thread, so a verified one is remembered: per user, an HMAC of the password under
// a key made at start (never the password) and the user's stamp (engine credentialStamp:
// it changes whenever the password does). A call whose user was changed or dropped
// finds the stamp changed (or gone) and is verified again, or refused, at once.
//
// Failed attempts are counted per source address in a fixed window: past
// `failuresPerWindowMax` failures in `failureWindowMs`, an attempt the cache cannot
// confirm is refused with AUTH_RATE_LIMITED (without running scrypt) until the window
// ends; calls with credentials already verified still pass, so a client that is working
// keeps working while someone at the same address guesses. Verifications running count
// against their address too, so guesses sent all at once are bounded the same way. Each failure is logged at
// warn (user and address, never the password) and counted for the metrics.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { ElanusError } from '../errors/index.js';
import type { Gateway } from '../gateway/index.js';

export const authLimits = Object.freeze({
  /** Failed attempts one source address may make per window. */
  failuresPerWindowMax: 10,
  /** The window those failures are counted in. */
  failureWindowMs: 60_000,
  /** Source addresses whose failures are tracked at once; the oldest is forgotten past this. */
  addressesMax: 10_000,
  /** Users whose verified password is remembered at once; the oldest is forgotten past this. */
  verifiedUsersMax: 1_024,
  /** Longest credential value read, bytes (a user name and a password of the largest sizes fit many times over). */
  credentialBytesMax: 4_096,
});

export type AuthFailureReason = 'missing' | 'malformed' | 'wrong' | 'rate_limited';
export const authFailureReasons: readonly AuthFailureReason[] = ['missing', 'malformed', 'wrong', 'rate_limited'];

/** What authentication asks of the engine (the Gateway's two credential reads). */
export type CredentialSource = Pick<Gateway, 'credentialStamp' | 'verifyCredential'>;

export interface AuthenticatorOptions {
  readonly users: CredentialSource;
  readonly logger: Logger;
  /** Milliseconds, for the failure windows; tests pass a manual clock. */
  readonly now?: () => number;
}

export class Authenticator {
  private readonly key = randomBytes(32);
  private readonly verified = new Map<string, { stamp: string; mac: Buffer }>();
  private readonly failuresByAddress = new Map<string, { windowStartMs: number; failures: number; limitLogged: boolean }>();
  private readonly failureCounts = new Map<AuthFailureReason, number>(authFailureReasons.map((r) => [r, 0]));
  /** Verifications running, by user and password (HMAC): calls bringing the same ones share one. */
  private readonly pending = new Map<string, Promise<string | undefined>>();
  /** Verifications running, by the address that started them. */
  private readonly inFlight = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly o: AuthenticatorOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The gRPC `authorization` metadata value (base64 of `user:password`); resolves with the user. */
  authenticateGrpc(value: string | undefined, address: string): Promise<string> {
    if (value === undefined || value === '') return this.refuse('missing', address, undefined);
    if (value.length > authLimits.credentialBytesMax) return this.refuse('malformed', address, undefined);
    return this.check(Buffer.from(value, 'base64').toString('utf8'), address);
  }

  /** The REST `Authorization` header (`Bearer user:password` or `Basic base64`); resolves with the user. */
  authenticateHttp(value: string | undefined, address: string): Promise<string> {
    if (value === undefined || value.trim() === '') return this.refuse('missing', address, undefined);
    if (value.length > authLimits.credentialBytesMax) return this.refuse('malformed', address, undefined);
    const m = /^\s*(Bearer|Basic)(?:\s+(.*?))?\s*$/i.exec(value);
    if (!m) return this.refuse('malformed', address, undefined);
    const given = m[2] ?? '';
    const raw = m[1]!.toLowerCase() === 'basic' ? Buffer.from(given, 'base64').toString('utf8') : given;
    // `Bearer ` with nothing after it (a bare `Bearer` once the server trims the value) is
    // what the SDK's HttpClient sends without credentials.
    if (raw === '') return this.refuse('missing', address, undefined);
    return this.check(raw, address);
  }

  /** Failed attempts since start, by reason (the metrics read them at scrape time). */
  failures(): ReadonlyMap<AuthFailureReason, number> {
    return this.failureCounts;
  }

  private async check(raw: string, address: string): Promise<string> {
    // `user:password`, split at the first colon (a password may hold colons). A token
    // without one would be an API key, which Elanus does not issue.
    const colon = raw.indexOf(':');
    if (colon <= 0) return this.refuse('malformed', address, undefined);
    const user = raw.slice(0, colon);
    const password = raw.slice(colon + 1);
    const stamp = this.o.users.credentialStamp(user);
    const mac = createHmac('sha256', this.key).update(password).digest();
    const known = this.verified.get(user);
    if (stamp !== undefined && known && known.stamp === stamp && timingSafeEqual(known.mac, mac)) return user;
    if (this.limited(address)) return this.refuse('rate_limited', address, user);
    // Calls that bring the same password at once (a client's first burst) share one
    // verification; each new one counts against its address while it runs.
    const key = `${user}\0${mac.toString('hex')}`;
    let verifying = this.pending.get(key);
    if (!verifying) {
      this.inFlight.set(address, (this.inFlight.get(address) ?? 0) + 1);
      verifying = this.o.users.verifyCredential(user, password).finally(() => {
        this.pending.delete(key);
        const n = (this.inFlight.get(address) ?? 1) - 1;
        if (n > 0) this.inFlight.set(address, n);
        else this.inFlight.delete(address);
      });
      this.pending.set(key, verifying);
    }
    const verifiedStamp = await verifying;
    if (verifiedStamp === undefined) return this.refuse('wrong', address, user);
    this.verified.delete(user);
    this.verified.set(user, { stamp: verifiedStamp, mac });
    if (this.verified.size > authLimits.verifiedUsersMax) this.verified.delete(this.verified.keys().next().value as string);
    return user;
  }

  /**
   * True while `address` has used up its failures for the current window, counting the
   * verifications it has running as failures to come: many wrong passwords sent at once
   * are bounded as those sent one after another are (each verification takes a libuv
   * thread, which file I/O shares, for tens of milliseconds).
   */
  private limited(address: string): boolean {
    const running = this.inFlight.get(address) ?? 0;
    let f = this.failuresByAddress.get(address);
    if (f && this.now() - f.windowStartMs >= authLimits.failureWindowMs) {
      this.failuresByAddress.delete(address);
      f = undefined;
    }
    return (f?.failures ?? 0) + running >= authLimits.failuresPerWindowMax;
  }

  private refuse(reason: AuthFailureReason, address: string, user: string | undefined): Promise<never> {
    this.failureCounts.set(reason, (this.failureCounts.get(reason) ?? 0) + 1);
    const now = this.now();
    let f = this.failuresByAddress.get(address);
    if (!f || now - f.windowStartMs >= authLimits.failureWindowMs) {
      this.failuresByAddress.delete(address);
      f = { windowStartMs: now, failures: 0, limitLogged: false };
      this.failuresByAddress.set(address, f);
      if (this.failuresByAddress.size > authLimits.addressesMax) this.failuresByAddress.delete(this.failuresByAddress.keys().next().value as string);
    }
    // A refused attempt past the limit is not counted again: the window ends when it began plus its length.
    if (reason !== 'rate_limited') f.failures++;
    // The user name is logged as sent (bounded by credentialBytesMax); the password never
    // is. Past the limit, once per window: a flood of refused attempts does not flood the log.
    if (reason !== 'rate_limited' || !f.limitLogged) {
      this.o.logger.warn({ reason, user, address }, `authentication failed (${reason}) from ${address}`);
      if (reason === 'rate_limited') f.limitLogged = true;
    }
    if (reason === 'rate_limited') {
      const retryAfterSeconds = Math.max(1, Math.ceil((f.windowStartMs + authLimits.failureWindowMs - now) / 1000));
      return Promise.reject(new ElanusError('AUTH_RATE_LIMITED', {
        address, max: authLimits.failuresPerWindowMax, windowSeconds: authLimits.failureWindowMs / 1000, retryAfterSeconds,
      }));
    }
    return Promise.reject(new ElanusError(reason === 'missing' ? 'AUTH_MISSING' : 'AUTH_FAILED'));
  }
}

/** The address part of a peer string ("ipv4:1.2.3.4:5678", "1.2.3.4:5678", "[::1]:5678", "::ffff:1.2.3.4"). */
export function addressOf(peer: string | undefined): string {
  if (!peer) return 'unknown';
  let p = peer.replace(/^ipv[46]:/, '');
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(p);
  if (bracket) p = bracket[1]!;
  else if (/^[^:]+:\d+$/.test(p)) p = p.slice(0, p.lastIndexOf(':'));
  return p.replace(/^::ffff:/, '');
}

/** Whether a listening host is reachable from this machine only (the warning at start when auth is off). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}
