// The MetaStore's requests and answers in etcd's v3 protocol (rpc.proto, kv.proto), and
// etcd's errors as coded ones. Nothing here talks to a server: etcd-meta-store.ts sends.
//
// Key layout: every key a store sees is stored as `namespace + key` (both UTF-8), so
// several clusters or tests share one etcd. A prefix of the store is a range of etcd's,
// [namespace + prefix, the first key after every key that starts with it), so a range,
// a watch or a deletePrefix never leaves the namespace. Revisions are etcd's own: they
// count every write to the server, whatever its namespace.
import type { ICompare, IKeyValue, IRequestOp, IResponseOp } from 'etcd3';
import { ElanusError } from '../errors/index.js';
import type { Compare, KeyValue, MetaOp, MetaOpResult, WatchEvent } from '../storage/index.js';

/** etcd's CompareResult and CompareTarget (rpc.proto), by number: the loader takes either. */
const compareResult = { '=': 0, '>': 1, '<': 2, '!=': 3 } as const;
const compareTarget = { version: 0, createRevision: 1, modRevision: 2, value: 3, lease: 4 } as const;

/** A byte string that no key is greater than or equal to, in etcd's reading of range_end. */
const toTheEnd = Buffer.from([0]);

/** The first key after every key that starts with `prefix` (etcd's "prefix end"). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  // Empty, or only 0xff bytes: every key from `prefix` on.
  return toTheEnd;
}

export class Keyspace {
  private readonly ns: Buffer;

  constructor(readonly namespace: string) {
    this.ns = Buffer.from(namespace, 'utf8');
  }

  key(key: string): Buffer {
    return Buffer.concat([this.ns, Buffer.from(key, 'utf8')]);
  }

  /** The etcd range of every key under `prefix` ('' for the whole namespace). */
  range(prefix: string): { key: Buffer; range_end: Buffer } {
    const start = this.key(prefix);
    // An empty key with range_end "\0" is every key (etcd's rule); an empty start alone is not.
    return start.length === 0 ? { key: toTheEnd, range_end: toTheEnd } : { key: start, range_end: prefixEnd(start) };
  }

  /** The store's key of an etcd key (which is in the namespace: every request stays in it). */
  strip(key: Buffer): string {
    return key.subarray(this.ns.length).toString('utf8');
  }

  kv(kv: IKeyValue): KeyValue {
    return Object.freeze({
      key: this.strip(kv.key),
      value: kv.value.toString('utf8'),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
      lease: Number(kv.lease),
    });
  }

  /** A watch event: a delete carries its revision as modRevision, an empty value and version 0, as etcd sends it. */
  event(type: string, kv: IKeyValue): WatchEvent {
    // The client's loader gives enums by name, and its kv.proto spells them Put and Delete.
    return Object.freeze({ type: type === 'Delete' ? 'delete' : 'put', kv: this.kv(kv) });
  }

  compare(c: Compare): ICompare {
    const key = this.key(c.key);
    // "exists" is etcd's version comparison against 0.
    if (c.target === 'exists') return { key, target: compareTarget.version, result: c.value ? compareResult['>'] : compareResult['='], version: 0 } as ICompare;
    const out: Record<string, unknown> = { key, target: compareTarget[c.target], result: compareResult[c.op] };
    if (c.target === 'value') out.value = Buffer.from(c.value, 'utf8');
    else if (c.target === 'createRevision') out.create_revision = c.value;
    else if (c.target === 'modRevision') out.mod_revision = c.value;
    else out[c.target] = c.value;
    return out as ICompare;
  }

  op(o: MetaOp): IRequestOp {
    switch (o.op) {
      case 'put':
        return { request_put: { key: this.key(o.key), value: Buffer.from(o.value, 'utf8'), lease: o.lease ?? 0 } };
      case 'delete':
        return { request_delete_range: { key: this.key(o.key) } };
      case 'deletePrefix':
        return { request_delete_range: this.range(o.prefix) };
      case 'get':
        return { request_range: { key: this.key(o.key) } };
    }
  }

  result(o: MetaOp, r: IResponseOp): MetaOpResult {
    switch (o.op) {
      case 'put':
        return { op: 'put' };
      case 'delete':
      case 'deletePrefix':
        return { op: o.op, deleted: Number(r.response_delete_range.deleted) };
      case 'get': {
        const kv = r.response_range.kvs[0];
        return { op: 'get', kv: kv === undefined ? undefined : this.kv(kv) };
      }
    }
  }
}

/** What an error is about, for the coded error that replaces it. */
export interface ErrorContext {
  readonly endpoint: string;
  /** The lease a request named, for LEASE_NOT_FOUND. */
  readonly lease?: number;
}

/** etcd's error texts this store answers (etcdserver/api/v3rpc/rpctypes, mvcc). */
const compactedText = 'required revision has been compacted';
const futureText = 'required revision is a future revision';
const leaseText = 'requested lease not found';
const tooLargeText = 'request is too large';

/**
 * An error of the etcd3 client or of etcd as a coded error. What a caller can fix or
 * expect (a missing lease, a compacted revision) keeps its code; everything that means
 * the server did not do the request (unreachable, no leader, timed out, refused the
 * credentials) is STORE_UNAVAILABLE, whose detail keeps etcd's words.
 */
export function etcdError(e: unknown, ctx: ErrorContext): ElanusError {
  if (e instanceof ElanusError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (message.includes(leaseText)) return new ElanusError('LEASE_NOT_FOUND', { lease: ctx.lease ?? 'named' }, { cause: e });
  if (message.includes(compactedText)) return new ElanusError('COMPACTED', { revision: 'requested', oldest: 'unknown' }, { cause: e });
  // etcd's own limit, or gRPC's on its receiving end (a little above etcd's).
  if (message.includes(tooLargeText) || message.includes('larger than max')) return new ElanusError('LIMIT_EXCEEDED', { what: 'etcd request', detail: message }, { cause: e });
  if (message.includes(futureText)) return new ElanusError('INVALID_ARGUMENT', { detail: `etcd: ${message}` }, { cause: e });
  return unavailable(ctx.endpoint, message, e);
}

export function unavailable(endpoint: string, detail: string, cause?: unknown): ElanusError {
  return new ElanusError('STORE_UNAVAILABLE', { store: 'etcd metadata store', endpoint, detail }, cause === undefined ? undefined : { cause });
}
