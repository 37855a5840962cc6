// The embedded MetaStore (meta.ts) on the metadata journal (meta-store.ts): the same
// files, so revisions, leases and keys survive a reopen, and every change goes through
// `FileSystem` (testable under power loss). Requests are checked at once (meta-txn.ts);
// writes are planned in the journal's write loop, where nothing else changes the state,
// and resolve once their journal record is fsynced.
//
// Watches read a history of the last `watchRevisionsMax` revisions, at most
// `watchHistoryBytesMax` of them (meta-watch.ts). At
// open it holds the revisions the journal replays, those since the last snapshot, so a
// watcher that resumes after a restart from a revision it saw misses nothing, unless a
// snapshot was taken meanwhile: then COMPACTED says to read the state again.
//
// Leases: a grant and a revoke are journal records; their expiry times live in memory,
// driven by the injected clock. After a reopen every lease gets its whole TTL again from
// the open (etcd does the same when a new leader takes over), so a lease whose owner is
// gone expires at most one TTL after the restart. When a lease expires, its revoke is a
// journal transaction like any other; if that write fails it is tried again after
// `leaseRetryMs`, and the lease's keys stay until it works.
import { ElanusError, assert } from '../errors/index.js';
import { type FileLock, type FileSystem, mkdirDurable } from './fs.js';
import { type StoreClock, systemStoreClock } from './clock.js';
import { type KeyValue, type MetaStore, type MetaTxnRequest, type MetaTxnResponse, type MetaWatch, type RangeOptions, type RangeResponse, type WatchEvent, type WatchOptions, metaLimits } from './meta.js';
import { EmbeddedMetaStore, type EmbeddedMetaStoreOptions, type MetaPlan } from './meta-store.js';
import type { MetaChange, MetaState } from './meta-state.js';
import { checkKey, checkLease, checkPrefix, checkRevision, checkTtl, checkTxn, deleteByTxn, planTxn, putByTxn } from './meta-txn.js';
import { LocalWatch, WatchHistory, compacted } from './meta-watch.js';

export interface LocalMetaStoreOptions {
  fs: FileSystem;
  dir: string;
  /** Lease expiry runs on this clock; default real time. */
  clock?: StoreClock;
  /** Revisions of watch history kept in memory; default 10,000. */
  watchRevisionsMax?: number;
  /** Bytes (estimated) of keys and values that watch history keeps in memory; default 16 MiB. */
  watchHistoryBytesMax?: number;
  /** Leases that may exist at once; default 10,000. */
  leasesMax?: number;
  /**
   * Compares, and operations per branch, of one transaction; default metaLimits.txnOpsMax
   * (etcd's default). The engine's own metadata commits delete every segment of a
   * collection in one transaction, so it opens its store with more: the journal's record
   * size still bounds a transaction. (etcd's counterpart is --max-txn-ops.)
   */
  txnOpsMax?: number;
  /** See EmbeddedMetaStoreOptions. */
  journalBytesMax?: number;
  onHealth?: EmbeddedMetaStoreOptions['onHealth'];
  onTailCut?: EmbeddedMetaStoreOptions['onTailCut'];
}

/** Delay before an expired lease's revoke is tried again after a failed write. */
export const leaseRetryMs = 1000;

interface LeaseTimer {
  readonly ttlMs: number;
  cancel: () => void;
  /** The lease's time ran out: its revoke is queued or being retried; it takes no keys and no keep-alive. */
  expiring: boolean;
}

export class LocalMetaStore implements MetaStore {
  private readonly watches = new Set<LocalWatch>();
  private readonly leaseTimers = new Map<number, LeaseTimer>();
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly journal: EmbeddedMetaStore,
    private readonly lock: FileLock,
    private readonly history: WatchHistory,
    private readonly clock: StoreClock,
    private readonly leasesMax: number,
    private readonly txnOpsMax: number,
  ) {}

  static async open(opts: LocalMetaStoreOptions): Promise<LocalMetaStore> {
    if (opts === null || typeof opts !== 'object' || typeof opts.fs !== 'object' || typeof opts.dir !== 'string' || opts.dir === '') {
      throw new ElanusError('INVALID_ARGUMENT', { detail: 'LocalMetaStore.open needs { fs, dir }' });
    }
    const watchRevisionsMax = positive('watchRevisionsMax', opts.watchRevisionsMax ?? 10_000);
    const watchHistoryBytesMax = positive('watchHistoryBytesMax', opts.watchHistoryBytesMax ?? 16 * 1024 * 1024);
    const leasesMax = positive('leasesMax', opts.leasesMax ?? 10_000);
    const txnOpsMax = positive('txnOpsMax', opts.txnOpsMax ?? metaLimits.txnOpsMax);
    // Events replayed at open are kept until the history exists, which needs to know
    // the revision the replay started from.
    const replayed: Array<[number, readonly WatchEvent[]]> = [];
    let history: WatchHistory | undefined;
    // One owner per folder: a second store on it would interleave journal writes.
    await mkdirDurable(opts.fs, opts.dir);
    const lock = await opts.fs.lock(opts.dir);
    let journal: EmbeddedMetaStore;
    try {
      journal = await EmbeddedMetaStore.open({
        fs: opts.fs, dir: opts.dir, journalBytesMax: opts.journalBytesMax, onHealth: opts.onHealth, onTailCut: opts.onTailCut,
        onEvents: (revision, events) => (history ? history.add(revision, events) : replayed.push([revision, events])),
      });
    } catch (e) {
      await lock.release().catch(() => undefined);
      throw e;
    }
    history = new WatchHistory(watchRevisionsMax, watchHistoryBytesMax, replayed.length > 0 ? (replayed[0] as [number, unknown])[0] - 1 : journal.view.revision);
    for (const [revision, events] of replayed) history.add(revision, events);
    const store = new LocalMetaStore(journal, lock, history, opts.clock ?? systemStoreClock, leasesMax, txnOpsMax);
    for (const [id, lease] of journal.view.leases.entries()) store.startLease(id, lease.ttlMs);
    return store;
  }

  // ---- reads -----------------------------------------------------------------------

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.journal.view.get(checkKey(key));
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResponse> {
    this.checkOpen();
    checkPrefix(prefix);
    if (typeof opts !== 'object' || opts === null) throw invalid('range options must be an object');
    const limit = opts.limit ?? metaLimits.rangeLimitMax;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > metaLimits.rangeLimitMax) {
      throw invalid(`range limit must be an integer from 1 to ${metaLimits.rangeLimitMax}, got ${String(limit)}`);
    }
    if (opts.startAfter !== undefined) checkPrefix(opts.startAfter);
    const view = this.journal.view;
    let keys = view.keysWithPrefix(prefix);
    if (opts.startAfter !== undefined) {
      const after = opts.startAfter;
      keys = keys.filter((k) => k > after);
    }
    const kvs = keys.slice(0, limit).map((k) => view.get(k) as KeyValue);
    return { kvs, more: keys.length > limit, revision: view.revision };
  }

  async revision(): Promise<number> {
    this.checkOpen();
    return this.journal.view.revision;
  }

  /** The durable state as a `snapshot` file, in one synchronous step (EmbeddedMetaStore.snapshotFile). */
  snapshotFile(): ReturnType<EmbeddedMetaStore['snapshotFile']> {
    this.checkOpen();
    return this.journal.snapshotFile();
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
    const checked = checkTxn(req, this.txnOpsMax);
    return this.journal.transact((view) => planTxn(view, checked, (lease) => this.leaseUsable(view, lease)));
  }

  // ---- watches ---------------------------------------------------------------------

  async watch(prefix: string, opts: WatchOptions = {}): Promise<MetaWatch> {
    this.checkOpen();
    checkPrefix(prefix);
    if (typeof opts !== 'object' || opts === null) throw invalid('watch options must be an object');
    const from = opts.fromRevision === undefined ? this.journal.view.revision + 1 : checkRevision('fromRevision', opts.fromRevision, 1);
    if (from < this.history.oldest) throw compacted(from, this.history.oldest);
    const w = new LocalWatch(this.history, prefix, from, (x) => this.watches.delete(x));
    this.watches.add(w);
    return w;
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    checkRevision('compact revision', revision, 1);
    const current = this.journal.view.revision;
    if (revision > current + 1) throw invalid(`compact revision ${revision} is past the store's revision ${current}`);
    this.history.compact(revision);
  }

  // ---- leases ----------------------------------------------------------------------

  async grantLease(ttlMs: number): Promise<number> {
    this.checkOpen();
    checkTtl(ttlMs);
    const id = await this.journal.transact((view): ReturnType<MetaPlan<number>> => {
      if (view.leases.size >= this.leasesMax) {
        throw new ElanusError('LIMIT_EXCEEDED', { what: 'leases', detail: `${view.leases.size} exist, the limit is ${this.leasesMax}` });
      }
      const lease = view.leaseNext;
      return { change: { put: {}, del: [], grant: [[lease, ttlMs]] }, answer: () => lease };
    });
    // Closed while the grant was written: no timer (the next open starts one).
    if (!this.closed) this.startLease(id, ttlMs);
    return id;
  }

  async keepAlive(lease: number): Promise<number> {
    this.checkOpen();
    checkLease(lease, false);
    const t = this.leaseTimers.get(lease);
    if (t === undefined || t.expiring) throw new ElanusError('LEASE_NOT_FOUND', { lease });
    t.cancel();
    t.cancel = this.clock.setTimer(t.ttlMs, () => this.expire(lease, t));
    return t.ttlMs;
  }

  async revokeLease(lease: number): Promise<void> {
    this.checkOpen();
    checkLease(lease, false);
    await this.journal.transact((view) => {
      if (!view.leases.has(lease)) throw new ElanusError('LEASE_NOT_FOUND', { lease });
      return { change: revokeChange(view, lease), answer: () => undefined };
    });
    this.stopLease(lease);
  }

  private leaseUsable(view: MetaState, lease: number): boolean {
    return view.leases.has(lease) && this.leaseTimers.get(lease)?.expiring !== true;
  }

  private startLease(id: number, ttlMs: number): void {
    assert(!this.leaseTimers.has(id), `lease ${id} started twice`);
    const t: LeaseTimer = { ttlMs, cancel: () => undefined, expiring: false };
    t.cancel = this.clock.setTimer(ttlMs, () => this.expire(id, t));
    this.leaseTimers.set(id, t);
  }

  private stopLease(id: number): void {
    this.leaseTimers.get(id)?.cancel();
    this.leaseTimers.delete(id);
  }

  /** The lease's time ran out: revoke it (its keys go in the same transaction). */
  private expire(id: number, t: LeaseTimer): void {
    if (this.closed || this.leaseTimers.get(id) !== t) return;
    t.expiring = true;
    this.journal
      .transact((view) => ({ change: view.leases.has(id) ? revokeChange(view, id) : undefined, answer: () => undefined }))
      .then(
        () => {
          if (this.leaseTimers.get(id) === t) this.leaseTimers.delete(id);
        },
        () => {
          // The journal refused the write (a fault, or close): try again later. The
          // health report already tells of the fault.
          if (!this.closed && this.leaseTimers.get(id) === t) t.cancel = this.clock.setTimer(leaseRetryMs, () => this.retryExpire(id, t));
        },
      );
  }

  private retryExpire(id: number, t: LeaseTimer): void {
    if (this.closed || this.leaseTimers.get(id) !== t) return;
    t.expiring = false;
    this.expire(id, t);
  }

  // ---- close -------------------------------------------------------------------------

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      for (const t of this.leaseTimers.values()) t.cancel();
      this.leaseTimers.clear();
      for (const w of [...this.watches]) w.close();
      this.history.close();
      try {
        await this.journal.close();
      } finally {
        await this.lock.release();
      }
    })();
    return this.closing;
  }

  /** Heals a failed journal (health probes); true when it takes commits. */
  probe(): Promise<boolean> {
    return this.journal.probe();
  }

  private checkOpen(): void {
    if (this.closed) throw new ElanusError('CLOSED');
  }
}

function revokeChange(view: MetaState, lease: number): MetaChange {
  return { put: {}, del: view.keysOfLease(lease), revoke: [lease] };
}

function invalid(detail: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail });
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw invalid(`${name} must be an integer >= 1, got ${String(v)}`);
  return v;
}
