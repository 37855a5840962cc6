// The MetaStore interface: a transactional key-value store modelled on etcd's v3 API,
// because etcd is what holds the catalog in cluster mode (DESIGN.md). The embedded
// implementation (local-meta-store.ts) and every later one pass the same suite
// (test/storage/conformance/meta-store.ts).
//
// What it promises, as etcd does:
// - One store-wide revision. Every transaction that changes a key (put, or delete of a
//   key that exists) increases it by one; reads and no-op transactions do not. Each key
//   carries the revision that created it, the one that last changed it, and its version
//   (1 at creation, +1 on every put; a delete ends it).
// - A transaction (`txn`) compares, then runs the success or the failure operations, all
//   atomically: no other change lands between the compares and the operations. It is
//   durable when its promise resolves; a rejected transaction changed nothing.
// - A watch delivers, from a start revision on, every revision that changed a key under
//   its prefix: once each, in revision order. History is kept for a bounded window; a
//   watch from (or a watcher that fell behind to) a revision no longer kept fails with
//   COMPACTED, after which the watcher reads the current state and watches from there.
// - Leases: a key put with a lease is deleted when the lease expires or is revoked.
//
// Values are strings (etcd stores bytes; metadata here is JSON text, and binary data
// belongs in the ObjectStore). Keys are non-empty strings compared by UTF-16 code units,
// which for the ASCII keys Elanus writes is etcd's byte order.

/** A stored key with its revisions. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** The revision of the put that created the key (since its last delete). */
  readonly createRevision: number;
  /** The revision of the last put. */
  readonly modRevision: number;
  /** Puts since creation: 1 after the first. */
  readonly version: number;
  /** The lease the key is attached to; 0 for none. */
  readonly lease: number;
}

export type CompareOp = '=' | '!=' | '<' | '>';

/**
 * One condition of a transaction. A missing key has version, createRevision and
 * modRevision 0; a comparison of its value is false whatever the operator (etcd's rule).
 * `exists` is `version > 0` (or `= 0`), spelled out.
 */
export type Compare =
  | { readonly key: string; readonly target: 'value'; readonly op: CompareOp; readonly value: string }
  | { readonly key: string; readonly target: 'version' | 'createRevision' | 'modRevision' | 'lease'; readonly op: CompareOp; readonly value: number }
  | { readonly key: string; readonly target: 'exists'; readonly value: boolean };

/**
 * An operation of a transaction branch. Within one branch no two writes may touch the
 * same key (a put and a delete of the same key, or a put under a deleted prefix), as etcd
 * refuses: that is INVALID_ARGUMENT.
 */
export type MetaOp =
  | { readonly op: 'put'; readonly key: string; readonly value: string; readonly lease?: number }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'deletePrefix'; readonly prefix: string }
  | { readonly op: 'get'; readonly key: string };

export type MetaOpResult =
  | { readonly op: 'put' }
  | { readonly op: 'delete' | 'deletePrefix'; readonly deleted: number }
  | { readonly op: 'get'; readonly kv: KeyValue | undefined };

export interface MetaTxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly MetaOp[];
  readonly failure?: readonly MetaOp[];
}

export interface MetaTxnResponse {
  /** True when every compare held and the success branch ran. */
  readonly succeeded: boolean;
  /** The store's revision after the transaction (its own revision when it changed something). */
  readonly revision: number;
  /** One result per operation of the branch that ran, in order. */
  readonly results: readonly MetaOpResult[];
}

export interface RangeOptions {
  /** At most this many keys (1..metaRangeLimitMax; default metaRangeLimitMax). */
  readonly limit?: number;
  /** Only keys greater than this one: pass the last key of a page to get the next page. */
  readonly startAfter?: string;
}

export interface RangeResponse {
  /** Keys under the prefix, sorted. */
  readonly kvs: readonly KeyValue[];
  /** True when more keys under the prefix follow the last one returned. */
  readonly more: boolean;
  /** The store's revision the range was read at. */
  readonly revision: number;
}

export type WatchEvent =
  | { readonly type: 'put'; readonly kv: KeyValue }
  /** `kv.modRevision` is the revision of the delete; `value` is '' and `version` 0. */
  | { readonly type: 'delete'; readonly kv: KeyValue };

/** The events of one revision under a watch's prefix, in the order the revision made them. */
export interface WatchBatch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

/**
 * A running watch. Read it with `for await (const batch of watch)` or `next()`; one batch
 * per revision that touched the prefix, in revision order. Nothing is pushed: a watcher
 * that does not read only falls behind, and past the kept history its next read fails
 * with COMPACTED. `close()` is idempotent and ends the iteration (a pending `next()`
 * resolves to undefined).
 */
export interface MetaWatch extends AsyncIterable<WatchBatch> {
  next(): Promise<WatchBatch | undefined>;
  close(): void;
}

export interface WatchOptions {
  /** The first revision to deliver (inclusive); default: the revision after the current one. */
  readonly fromRevision?: number;
}

export interface MetaStore {
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys that start with `prefix` ('' for all), sorted, at most `limit`. */
  range(prefix: string, opts?: RangeOptions): Promise<RangeResponse>;
  /** Puts one key; resolves with the new revision once durable. */
  put(key: string, value: string, opts?: { readonly lease?: number }): Promise<number>;
  /** Deletes one key; resolves with whether it existed, once durable. */
  delete(key: string): Promise<boolean>;
  txn(req: MetaTxnRequest): Promise<MetaTxnResponse>;
  /** The store's current revision (0 for a store never written). */
  revision(): Promise<number>;
  /**
   * Starts a watch of every key under `prefix`. Rejects with COMPACTED when
   * `fromRevision` is older than the kept history.
   */
  watch(prefix: string, opts?: WatchOptions): Promise<MetaWatch>;
  /** Drops watch history before `revision` (watches from older revisions fail with COMPACTED). */
  compact(revision: number): Promise<void>;
  /** Grants a lease that expires `ttlMs` after its grant or last keep-alive; resolves with its id (> 0). */
  grantLease(ttlMs: number): Promise<number>;
  /** Restarts the lease's time to live; resolves with the TTL. LEASE_NOT_FOUND once it expired or was revoked. */
  keepAlive(lease: number): Promise<number>;
  /** Revokes the lease and deletes its keys, durably. LEASE_NOT_FOUND when it does not exist. */
  revokeLease(lease: number): Promise<void>;
  /** Idempotent. Operations after it fail with CLOSED; watches end. */
  close(): Promise<void>;
}

/** Limits every implementation enforces (etcd's defaults where it has one). */
export const metaLimits = Object.freeze({
  /** Bytes of a key (UTF-8). */
  keyBytesMax: 4096,
  /** Bytes of a value (UTF-8); etcd's default request limit is 1.5 MiB. */
  valueBytesMax: 1024 * 1024,
  /** Compares, and operations per branch, of one transaction (etcd's --max-txn-ops default). */
  txnOpsMax: 128,
  /** Keys one range returns. */
  rangeLimitMax: 10_000,
  /** Longest lease. */
  leaseTtlMsMax: 24 * 60 * 60 * 1000,
});
