// The MetaStore (storage/meta.ts) on an etcd v3 server, through the `etcd3` client's
// gRPC services. The interface was modelled on etcd's API, so most calls are one etcd
// request: a txn is a Txn, a watch is a Watch stream (etcd-watch.ts), a lease is a lease.
// Every request is checked here first with the embedded store's checks (the limits of
// metaLimits, the same coded errors), so etcd sees only requests it would take.
//
// Where etcd differs, and what this store does:
// - Revisions are the server's: they count writes of every namespace, so a store sees
//   gaps, and a new etcd starts at revision 1, not 0.
// - Lease TTLs are whole seconds: `ttlMs` is rounded up, and etcd raises a TTL below its
//   minimum (1.5 election timeouts, rounded up: 2 s with etcd's defaults, 1 s under startEtcd) to it.
//   `keepAlive` resolves with the TTL etcd applies, in ms. Expiry is etcd's: checked about
//   every 500 ms, and after a leader change (a restart) every lease gets its TTL anew.
// - Lease ids are chosen here at random below 2^48 (etcd's own are 63-bit, past what a
//   JavaScript number holds exactly); a collision is tried again with another.
// - `compact(revision)` is etcd's physical compaction, for the whole server; a revision
//   etcd already compacted past is a no-op, and one past the current revision is taken
//   as the current one (nothing newer exists to drop).
// - No retry of a write: after a lost answer a write may or may not have been applied,
//   and only the caller can tell (a compare-and-set it retries says so). Errors of the
//   connection are STORE_UNAVAILABLE (retryable) and each call has a deadline.
import { randomInt } from 'node:crypto';
import { Etcd3, type IOptions } from 'etcd3';
import { ElanusError, isElanusError } from '../errors/index.js';
import {
  checkKey, checkLease, checkPrefix, checkRevision, checkTtl, checkTxn, deleteByTxn, metaLimits, putByTxn,
  type KeyValue, type MetaStore, type MetaTxnRequest, type MetaTxnResponse, type MetaWatch, type RangeOptions, type RangeResponse, type WatchOptions,
} from '../storage/index.js';
import { Keyspace, etcdError, unavailable } from './etcd-codec.js';
import { EtcdWatch } from './etcd-watch.js';

export interface EtcdMetaStoreOptions {
  /** Client URLs of the etcd members: `http://host:port`, `https://host:port` or `host:port`. */
  readonly endpoints: readonly string[];
  /** Every key is stored under this prefix (e.g. `elanus/cluster-a/`); default '' (the whole keyspace). */
  readonly namespace?: string;
  /** PEM text (or bytes): the CA that signed the server's certificate, and the client's certificate and key for client-cert auth. */
  readonly tls?: { readonly ca: string | Buffer; readonly cert?: string | Buffer; readonly key?: string | Buffer };
  /** etcd's user/password authentication. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Time to reach the server at open; default 5,000 ms. */
  readonly dialTimeoutMs?: number;
  /** Deadline of each request (and of creating a watch); default 10,000 ms. */
  readonly requestTimeoutMs?: number;
  /** Compares, and operations per branch, of one txn: the server's --max-txn-ops; default metaLimits.txnOpsMax (etcd's default). */
  readonly txnOpsMax?: number;
  /** Bytes of keys and values in one txn: the server's --max-request-bytes; default 1.5 MiB (etcd's default). */
  readonly requestBytesMax?: number;
  /** Batches a watch queues for a reader that does not read before it pauses etcd's stream; default 1,024. */
  readonly watchBatchesMax?: number;
  /** Estimated bytes of keys and values a watch queues before it pauses; default 16 MiB. */
  readonly watchBufferBytesMax?: number;
}

/** Largest gRPC message taken from etcd: a full range page of large values. */
const receiveBytesMax = 256 * 1024 * 1024;
/** etcd's default --max-request-bytes. */
const etcdRequestBytesMax = 1.5 * 1024 * 1024;
/** Lease ids are drawn below this (crypto.randomInt's bound), so they are exact JavaScript numbers. */
const leaseIdLimit = 2 ** 48;
/** Tries of a lease grant whose random id was taken. */
const leaseGrantTriesMax = 5;

export class EtcdMetaStore implements MetaStore {
  private readonly watches = new Set<EtcdWatch>();
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly client: Etcd3,
    private readonly ks: Keyspace,
    private readonly endpoint: string,
    private readonly o: Required<Pick<EtcdMetaStoreOptions, 'requestTimeoutMs' | 'txnOpsMax' | 'requestBytesMax' | 'watchBatchesMax' | 'watchBufferBytesMax'>>,
  ) {}

  /** Connects, and checks the server answers within `dialTimeoutMs` (STORE_UNAVAILABLE if not). */
  static async open(opts: EtcdMetaStoreOptions): Promise<EtcdMetaStore> {
    if (opts === null || typeof opts !== 'object') throw invalid('EtcdMetaStore.open needs { endpoints }');
    const endpoints = opts.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length === 0 || !endpoints.every((e) => typeof e === 'string' && e !== '')) {
      throw invalid('EtcdMetaStore endpoints must be a non-empty list of URLs');
    }
    const namespace = opts.namespace === undefined ? '' : checkPrefix(opts.namespace);
    const requestTimeoutMs = positive('requestTimeoutMs', opts.requestTimeoutMs ?? 10_000);
    const dialTimeoutMs = positive('dialTimeoutMs', opts.dialTimeoutMs ?? 5_000);
    const o = {
      requestTimeoutMs,
      txnOpsMax: positive('txnOpsMax', opts.txnOpsMax ?? metaLimits.txnOpsMax),
      requestBytesMax: positive('requestBytesMax', opts.requestBytesMax ?? etcdRequestBytesMax),
      watchBatchesMax: positive('watchBatchesMax', opts.watchBatchesMax ?? 1024),
      watchBufferBytesMax: positive('watchBufferBytesMax', opts.watchBufferBytesMax ?? 16 * 1024 * 1024),
    };
    const secure = opts.tls !== undefined || endpoints.some((e) => e.startsWith('https://'));
    const hosts = endpoints.map((e) => e.replace(/^https?:\/\//, ''));
    const deadline = () => ({ deadline: Date.now() + requestTimeoutMs });
    const options: IOptions = {
      hosts: hosts.map((h) => (secure ? `https://${h}` : h)),
      dialTimeout: dialTimeoutMs,
      // Streams (watch, keep-alive) live long: only unary calls get a deadline.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : deadline()),
      // No retry or circuit breaker: a write is not retried blindly (see the top), and a
      // breaker would refuse a restarted server for seconds.
      faultHandling: { host: () => noPolicy, global: noPolicy },
      grpcOptions: {
        // Each store its own connection: a restarted server is dialled at once, not after
        // the backoff of a channel another store shares.
        'grpc.use_local_subchannel_pool': 1,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 2000,
        // A dead peer is noticed on an idle watch; etcd refuses pings more often than every 5 s.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.max_receive_message_length': receiveBytesMax,
      },
    };
    if (opts.tls !== undefined) {
      options.credentials = { rootCertificate: Buffer.from(opts.tls.ca), ...(opts.tls.key ? { privateKey: Buffer.from(opts.tls.key) } : {}), ...(opts.tls.cert ? { certChain: Buffer.from(opts.tls.cert) } : {}) };
    }
    if (opts.auth !== undefined) options.auth = { username: opts.auth.username, password: opts.auth.password, callOptions: () => ({ deadline: Date.now() + dialTimeoutMs }) };
    const client = new Etcd3(options);
    const store = new EtcdMetaStore(client, new Keyspace(namespace), endpoints.join(','), o);
    try {
      await store.currentRevision(dialTimeoutMs);
    } catch (e) {
      client.close();
      throw e;
    }
    return store;
  }

  // ---- reads -----------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    const res = await this.call(() => this.client.kv.range({ key: this.ks.key(checkKey(key)) }));
    const kv = res.kvs[0];
    return kv === undefined ? undefined : this.ks.kv(kv);
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResponse> {
    this.checkOpen();
    checkPrefix(prefix);
    if (typeof opts !== 'object' || opts === null) throw invalid('range options must be an object');
    const limit = opts.limit ?? metaLimits.rangeLimitMax;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > metaLimits.rangeLimitMax) {
      throw invalid(`range limit must be an integer from 1 to ${metaLimits.rangeLimitMax}, got ${String(limit)}`);
    }
    const r = this.ks.range(prefix);
    let key = r.key;
    if (opts.startAfter !== undefined) {
      // The least key greater than startAfter is startAfter followed by a zero byte.
      const after = Buffer.concat([this.ks.key(checkPrefix(opts.startAfter)), Buffer.from([0])]);
      if (Buffer.compare(after, key) > 0) key = after;
    }
    const res = await this.call(() => this.client.kv.range({ key, range_end: r.range_end, limit }));
    return { kvs: res.kvs.map((kv) => this.ks.kv(kv)), more: res.more, revision: Number(res.header.revision) };
  }

  async revision(): Promise<number> {
    this.checkOpen();
    return this.currentRevision(this.o.requestTimeoutMs);
  }

  private async currentRevision(timeoutMs: number): Promise<number> {
    // Any range answers with the server's revision; a one-key count reads least.
    const res = await this.call(() => this.client.kv.range({ key: this.ks.key('\0'), count_only: true }, { deadline: Date.now() + timeoutMs }));
    return Number(res.header.revision);
  }

  // ---- writes ----------------------------------------------------------------------

  put(key: string, value: string, opts: { readonly lease?: number } = {}): Promise<number> {
    return putByTxn(this, key, value, opts);
  }

  delete(key: string): Promise<boolean> {
    return deleteByTxn(this, key);
  }

  async txn(req: MetaTxnRequest): Promise<MetaTxnResponse> {
    this.checkOpen();
    const checked = checkTxn(req, this.o.txnOpsMax);
    const success = checked.success ?? [];
    const failure = checked.failure ?? [];
    // etcd refuses a request past its size limit only after a round trip, and with a
    // message, not a code: count first (etcd's own count adds a few bytes per operation).
    const bytes = txnBytes(checked);
    if (bytes > this.o.requestBytesMax) {
      throw new ElanusError('LIMIT_EXCEEDED', { what: 'metadata transaction', detail: `about ${bytes} bytes of keys and values, over etcd's request limit of ${this.o.requestBytesMax}` });
    }
    // etcd names no lease when one is missing: report the first one the request uses.
    const lease = [...success, ...failure].find((o) => o.op === 'put' && (o.lease ?? 0) !== 0) as { lease?: number } | undefined;
    const res = await this.call(
      () => this.client.kv.txn({ compare: (checked.compare ?? []).map((c) => this.ks.compare(c)), success: success.map((o) => this.ks.op(o)), failure: failure.map((o) => this.ks.op(o)) }),
      lease?.lease,
    );
    const ops = res.succeeded ? success : failure;
    return { succeeded: res.succeeded, revision: Number(res.header.revision), results: ops.map((o, i) => this.ks.result(o, res.responses[i]!)) };
  }

  // ---- watches ---------------------------------------------------------------------

  async watch(prefix: string, opts: WatchOptions = {}): Promise<MetaWatch> {
    this.checkOpen();
    checkPrefix(prefix);
    if (typeof opts !== 'object' || opts === null) throw invalid('watch options must be an object');
    const from = opts.fromRevision === undefined ? undefined : checkRevision('fromRevision', opts.fromRevision, 1);
    // etcd creates a watch from a compacted revision and cancels it a moment later; a
    // read at that revision says so at once, so the interface's promise (watch rejects)
    // holds. A future revision is fine for a watch: it waits for it.
    let compactedHint = false;
    if (from !== undefined) {
      try {
        await this.call(() => this.client.kv.range({ key: this.ks.key('\0'), count_only: true, revision: from }));
      } catch (e) {
        if (isElanusError(e, 'COMPACTED')) compactedHint = true;
        else if (!isElanusError(e, 'INVALID_ARGUMENT')) throw e;
      }
    }
    const w = new EtcdWatch(
      {
        keyspace: this.ks, prefix, endpoint: this.endpoint, createTimeoutMs: this.o.requestTimeoutMs,
        batchesMax: this.o.watchBatchesMax, bytesMax: this.o.watchBufferBytesMax,
        openStream: () => this.client.watchClient.watch(),
        onClose: (x) => this.watches.delete(x),
      },
      from,
    );
    this.watches.add(w);
    try {
      await w.start(compactedHint);
    } catch (e) {
      w.close();
      throw this.closed ? new ElanusError('CLOSED') : e;
    }
    return w;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    checkRevision('compact revision', revision, 1);
    const current = await this.revision();
    if (revision > current + 1) throw invalid(`compact revision ${revision} is past the store's revision ${current}`);
    try {
      await this.call(() => this.client.kv.compact({ revision: Math.min(revision, current), physical: true }));
    } catch (e) {
      // Compacted already at or past it: what was asked for holds.
      if (!isElanusError(e, 'COMPACTED')) throw e;
    }
  }

  // ---- leases ----------------------------------------------------------------------

  async grantLease(ttlMs: number): Promise<number> {
    this.checkOpen();
    const ttlSeconds = Math.ceil(checkTtl(ttlMs) / 1000);
    for (let tries = 1; ; tries++) {
      const id = randomInt(1, leaseIdLimit);
      try {
        const res = await this.call(() => this.client.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: id }));
        if (res.error) throw unavailable(this.endpoint, `lease grant refused: ${res.error}`);
        return Number(res.ID);
      } catch (e) {
        const taken = e instanceof Error && e.message.includes('lease already exists');
        if (!taken || tries >= leaseGrantTriesMax) throw e;
      }
    }
  }

  async keepAlive(lease: number): Promise<number> {
    this.checkOpen();
    checkLease(lease, false);
    const stream = await this.call(() => this.client.leaseClient.leaseKeepAlive());
    try {
      const ttl = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(unavailable(this.endpoint, `no keep-alive answer within ${this.o.requestTimeoutMs} ms`)), this.o.requestTimeoutMs);
        stream.on('data', (res) => {
          clearTimeout(timer);
          resolve(Number(res.TTL));
        });
        stream.on('error', (e) => {
          clearTimeout(timer);
          reject(this.closed ? new ElanusError('CLOSED') : etcdError(e, { endpoint: this.endpoint, lease }));
        });
        stream.write({ ID: lease });
      });
      // etcd answers a keep-alive of a lease it does not have (any more) with TTL 0.
      if (ttl <= 0) throw new ElanusError('LEASE_NOT_FOUND', { lease });
      return ttl * 1000;
    } finally {
      stream.on('error', () => undefined);
      stream.cancel();
    }
  }

  async revokeLease(lease: number): Promise<void> {
    this.checkOpen();
    checkLease(lease, false);
    await this.call(() => this.client.leaseClient.leaseRevoke({ ID: lease }), lease);
  }

  // ---- close -------------------------------------------------------------------------

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      for (const w of [...this.watches]) w.close();
      this.client.close();
    })();
    return this.closing;
  }

  /** Runs one request; its error as a coded one (CLOSED when the store closed meanwhile). */
  private async call<T>(request: () => Promise<T>, lease?: number): Promise<T> {
    this.checkOpen();
    try {
      return await request();
    } catch (e) {
      if (this.closed) throw new ElanusError('CLOSED', {}, { cause: e });
      throw etcdError(e, { endpoint: this.endpoint, ...(lease !== undefined ? { lease } : {}) });
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new ElanusError('CLOSED');
  }
}

/** A cockatiel policy that runs the call once, as it is (always a promise: etcd3 calls `.catch` on it). */
const noPolicy = { execute: async <T>(fn: (ctx: { signal: AbortSignal }) => T | Promise<T>) => fn({ signal: new AbortController().signal }) } as unknown as NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** UTF-8 bytes of the keys and values of a txn, and a few per compare and operation. */
function txnBytes(req: MetaTxnRequest): number {
  const opBytesFixed = 16;
  let n = 0;
  for (const c of req.compare ?? []) n += opBytesFixed + Buffer.byteLength(c.key) + (c.target === 'value' ? Buffer.byteLength(c.value) : 0);
  for (const o of [...(req.success ?? []), ...(req.failure ?? [])]) {
    n += opBytesFixed + Buffer.byteLength(o.op === 'deletePrefix' ? o.prefix : o.key) + (o.op === 'put' ? Buffer.byteLength(o.value) : 0);
  }
  return n;
}

function invalid(detail: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail });
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw invalid(`${name} must be an integer >= 1, got ${String(v)}`);
  return v;
}
