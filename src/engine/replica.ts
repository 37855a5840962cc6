// A cluster's read replica (the query role on a node that is not the coordinator): a copy
// of the loaded collections, read from the stores the coordinator writes (the catalog,
// segment lists and checkpoints from the MetaStore, segment, delete and index files from
// the ObjectStore) and kept current from the shards' logs. It answers the coordinator's
// partial reads (gateway/roles.ts ShardReader) and writes nothing anywhere.
//
// How it stays exact:
//  - A copy is built the way the engine recovers (CollectionData.recover: flushed
//    segments, stored deletes, the log past each checkpoint) from a MetaStore read at
//    one revision, and replaced whole by a newer one, never patched: the catalog changed
//    (at once), flushes or compactions changed the segment lists (after `refreshMs`, so
//    flushed segments and their index files replace the rows the copy keeps in memory).
//  - Every read first applies each of its shards' log up to the log's end as read then
//    (CollectionData.catchUp): every write the coordinator acknowledged before the read
//    is in the log, so Strong means what it means on the coordinator.
//  - A read is answered only from a copy of the very catalog it was planned against
//    (catalog/catalog.ts `version`), else it fails at once with REPLICA_BEHIND (an
//    older copy lacks a change the plan saw; a newer one may lack a partition the read
//    names), and a rebuild starts if the copy is older; so does a read whose log was
//    purged past the copy, or whose snapshot is older than a compaction the copy holds. The coordinator answers those itself
//    (placement.ts ReplicatedPlacement).
//  - A copy being replaced finishes the reads it began; it is closed after the last.
import { ElanusError, fail } from '../errors/index.js';
import { systemTimers } from '../concurrency/index.js';
import { Catalog, IdAllocator, MetaCache, type EngineMetaStore } from '../catalog/index.js';
import type { ShardHits, ShardPlacement, ShardQueryReq, ShardReadReq, ShardReader, ShardRows, ShardSearchReq, TicketSource } from '../gateway/roles.js';
import type { CollectionMeta } from '../catalog/index.js';
import type { CollectionReq, SearchReq } from '../gateway/requests.js';
import { searchIteratorParams } from '../query/vector-search.js';
import { ReadRole } from './reads.js';
import type { LogStore, MetaStore, MetaWatch, ObjectStore } from '../storage/index.js';
import { Tso, systemClock, type Clock } from '../tso/index.js';
import { CollectionData } from './collection.js';
import { EngineCore } from './core.js';
import { Health } from './health.js';
import { type EngineLimits, type EngineLogStore, resolveLimits } from './options.js';
import { ShardReads } from './shard-reads.js';

export interface ReplicaOptions {
  /** This node's id (in errors and logs). */
  readonly node: string;
  /** The cluster's stores, as the coordinator's (read here, never written). */
  readonly meta: MetaStore;
  readonly log: LogStore;
  readonly objects: ObjectStore;
  /** After a flush or compaction changed the segment lists, the copy is rebuilt this much later (default 5 s). */
  readonly refreshMs?: number;
  readonly limits?: Partial<EngineLimits>;
  readonly clock?: Clock;
  /** Failures of the background rebuilds (they are retried). */
  readonly onError?: (e: unknown) => void;
}

/** The calls of the gateway role a replica answers for its own node's clients (gateway/api.ts Gateway). */
export interface ReplicaGateway {
  collectionMeta(req: CollectionReq): CollectionMeta;
  hasDatabase(db: string): boolean;
  queryColumns: ReadRole['queryColumns'];
  searchColumns(req: SearchReq): ReturnType<ReadRole['searchColumns']>;
  hybridSearch: ReadRole['hybridSearch'];
  // The REST layer's row-shaped reads.
  query: ReadRole['query'];
  get: ReadRole['get'];
  search(req: SearchReq): ReturnType<ReadRole['search']>;
}

/** One copy: an engine core on the stores, with only its data role. */
interface Copy {
  readonly core: EngineCore;
  readonly reads: ShardReads;
  /** The MetaStore revision the copy was read at. */
  readonly revision: number;
  /** The version of its catalog (catalog/catalog.ts). */
  readonly version: number;
  inflight: number;
  retired: boolean;
}

const catalogPrefixes = ['catalog/', 'db/', 'coll/', 'alias/', 'rg/'];
const segmentPrefixes = ['seg/', 'l0/', 'ckpt/'];
const watchRetryMs = 500;
/** How often a copy looks again for index files the coordinator had not written yet. */
const indexRetryMs = 5_000;

export class ReadReplica implements ShardReader {
  private copy: Copy;
  private closed = false;
  private rebuilding: Promise<void> | undefined;
  /** A rebuild was asked for while one ran: run another after it. */
  private again = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly indexTimer: NodeJS.Timeout;
  private watch: MetaWatch | undefined;
  private readonly following: Promise<void>;
  /** Ends the follower's pause between two watches (close). */
  private stopWaiting: (() => void) | undefined;
  readonly stats = { rebuilds: 0, rebuildFailures: 0, reads: 0, behind: 0, gatewayAnswered: 0, gatewayForwarded: 0 };

  private constructor(private readonly o: ReplicaOptions, first: Copy) {
    this.copy = first;
    this.following = this.follow();
    this.indexTimer = setInterval(() => this.copy.core.vindex.retryAbsent(), indexRetryMs);
    this.indexTimer.unref();
  }

  /** Builds the first copy (retrying while the stores move under it), then follows the catalog. */
  static async open(o: ReplicaOptions): Promise<ReadReplica> {
    const first = await buildCopyRetrying(o, () => false);
    return new ReadReplica(o, first);
  }

  /** The MetaStore revision of the copy that answers now. */
  get revision(): number {
    return this.copy.revision;
  }

  countShards(req: ShardReadReq): Promise<number> {
    return this.read(req, (r) => r.countShards(req));
  }

  queryShards(req: ShardQueryReq): Promise<ShardRows> {
    return this.read(req, (r) => r.queryShards(req));
  }

  searchShards(req: ShardSearchReq): Promise<ShardHits> {
    return this.read(req, (r) => r.searchShards(req));
  }

  /** Stops following and closes the copy once its reads are done. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.indexTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.watch?.close();
    this.stopWaiting?.();
    await this.following;
    await this.rebuilding;
    this.retire(this.copy);
  }

  /**
   * The reads of this node's own clients, answered here (cluster-node.ts): the gateway's
   * planning and merging over the current copy, at the view the coordinator gives each
   * read (`tickets`). The copy is held until `release` (saying whether the call was
   * answered here or sent to the coordinator); every failure (the copy is behind
   * the coordinator's catalog, a ticket that cannot be had, a request the copy cannot
   * check) is the caller's cue to send the call to the coordinator instead, so an error
   * from here never reaches a client. Undefined once closed.
   */
  gateway(tickets: TicketSource): { readonly engine: ReplicaGateway; release(answered: boolean): void } | undefined {
    if (this.closed) return undefined;
    const copy = this.copy;
    copy.inflight++;
    const reader: ShardReader = {
      countShards: (req) => this.readOn(copy, req, (r) => r.countShards(req)),
      queryShards: (req) => this.readOn(copy, req, (r) => r.queryShards(req)),
      searchShards: (req) => this.readOn(copy, req, (r) => r.searchShards(req)),
    };
    const node = this.o.node;
    const placement: ShardPlacement = {
      owners: (_c, n) => Array.from({ length: n }, () => node),
      writeOwners: () => fail('INTERNAL', { detail: 'a read replica takes no writes' }),
      reader: () => reader,
      writer: () => fail('INTERNAL', { detail: 'a read replica takes no writes' }),
    };
    // The ticket's catalog must be the copy's: the request was checked against the copy.
    const checked: TicketSource = async (req) => {
      const t = await tickets(req);
      if (t.catalogVersion !== copy.version) {
        if (copy.version < t.catalogVersion && copy === this.copy) this.rebuild();
        this.stats.behind++;
        fail('REPLICA_BEHIND', { node, detail: `its copy holds catalog version ${copy.version}, the coordinator's is ${t.catalogVersion}` });
      }
      return t;
    };
    const role = new ReadRole(copy.core, () => placement, checked);
    // An iterator's pages pin a snapshot on the node that serves the first: the coordinator's.
    const noIterator = (req: SearchReq) => {
      if (searchIteratorParams(req.params)) fail('REPLICA_BEHIND', { node, detail: 'search iterators are served by the coordinator' });
    };
    const engine: ReplicaGateway = {
      collectionMeta: (req) => copy.core.live(req).coll,
      hasDatabase: (db) => copy.core.catalog.hasDatabase(db),
      queryColumns: (req) => role.queryColumns(req),
      searchColumns: (req) => {
        noIterator(req);
        return role.searchColumns(req);
      },
      hybridSearch: (req) => role.hybridSearch(req),
      query: (req) => role.query(req),
      get: (req) => role.get(req),
      search: (req) => {
        noIterator(req);
        return role.search(req);
      },
    };
    let released = false;
    return {
      engine,
      release: (answered) => {
        if (released) return;
        released = true;
        if (answered) this.stats.gatewayAnswered++;
        else this.stats.gatewayForwarded++;
        copy.inflight--;
        if (copy.retired && copy.inflight === 0) void closeCopy(copy);
      },
    };
  }

  private async read<T>(req: ShardReadReq, answer: (r: ShardReads) => Promise<T>): Promise<T> {
    if (this.closed) fail('REPLICA_BEHIND', { node: this.o.node, detail: 'the replica is closed' });
    return await this.readOn(this.copyOf(req.catalogVersion ?? 0), req, answer);
  }

  /** A partial read on `copy`, once its shards' logs are applied as far as the read says. */
  private async readOn<T>(copy: Copy, req: ShardReadReq, answer: (r: ShardReads) => Promise<T>): Promise<T> {
    copy.inflight++;
    this.stats.reads++;
    try {
      const data = copy.core.data.get(req.collectionId);
      if (!data) fail('REPLICA_BEHIND', { node: this.o.node, detail: `collection ${req.collectionId} is not in the replica's copy (not loaded when it was read)` });
      try {
        await Promise.all(req.shards.map((i, n) => data.catchUp(i, req.logEnds?.[n])));
      } catch (e) {
        // The log was purged past the copy: a newer copy starts past it.
        if (e instanceof ElanusError && e.code === 'REPLICA_BEHIND') this.rebuild();
        throw e;
      }
      // Compaction dropped the rows deleted at or before a segment's cleanTs: a copy read
      // after a compaction cannot answer for a snapshot older than that (the coordinator,
      // whose reads hold their segments, can).
      for (const i of req.shards) {
        for (const seg of data.shards[i]!.segments()) {
          if (seg.cleanTs > req.at) fail('REPLICA_BEHIND', { node: this.o.node, detail: `segment ${seg.id} was compacted at a snapshot after the read's` });
        }
      }
      return await answer(copy.reads);
    } finally {
      copy.inflight--;
      if (copy.retired && copy.inflight === 0) void closeCopy(copy);
    }
  }

  /**
   * The current copy when it holds catalog `version`, the one the read was planned
   * against; else REPLICA_BEHIND at once (an older copy lacks a change the plan saw, a
   * newer one may lack a partition or collection the read names).
   */
  private copyOf(version: number): Copy {
    if (this.copy.version === version) return this.copy;
    // The coordinator changed the catalog since this copy was read: a rebuild is on its way
    // (the watch saw the change) or starts now. Until it lands the coordinator answers:
    // waiting here would only add latency while DDL goes on.
    if (this.copy.version < version) this.rebuild();
    this.stats.behind++;
    fail('REPLICA_BEHIND', { node: this.o.node, detail: `its copy holds catalog version ${this.copy.version}, the read was planned against version ${version}` });
  }

  /** Starts a rebuild now (or right after the one running). */
  private rebuild(): void {
    if (this.closed) return;
    if (this.refreshTimer) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = undefined;
    }
    if (this.rebuilding) {
      this.again = true;
      return;
    }
    this.rebuilding = (async () => {
      do {
        this.again = false;
        try {
          const next = await buildCopyRetrying(this.o, () => this.closed);
          if (this.closed) {
            await closeCopy(next);
            return;
          }
          const old = this.copy;
          this.copy = next;
          this.stats.rebuilds++;
          this.retire(old);
              } catch (e) {
          this.stats.rebuildFailures++;
          this.o.onError?.(e);
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.rebuilding = undefined;
    });
  }

  /** A rebuild in refreshMs, unless one is already due. */
  private refreshSoon(): void {
    if (this.refreshTimer || this.closed) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.rebuild();
    }, this.o.refreshMs ?? 5_000);
    this.refreshTimer.unref();
  }

  private retire(copy: Copy): void {
    copy.retired = true;
    if (copy.inflight === 0) void closeCopy(copy);
  }

  /** Watches the MetaStore from the copy's revision: a catalog change rebuilds at once, a segment list change soon. */
  private async follow(): Promise<void> {
    while (!this.closed) {
      try {
        this.watch = await this.o.meta.watch('', { fromRevision: this.copy.revision + 1 });
        if (this.closed) return;
        for (;;) {
          const batch = await this.watch.next();
          if (batch === undefined) return;
          if (batch.revision <= this.copy.revision) continue;
          const keys = batch.events.map((e) => e.kv.key);
          if (keys.some((k) => catalogPrefixes.some((p) => k.startsWith(p)))) this.rebuild();
          else if (keys.some((k) => segmentPrefixes.some((p) => k.startsWith(p)))) this.refreshSoon();
        }
      } catch (e) {
        if (this.closed) return;
        this.o.onError?.(e);
        // The history was compacted, or the store is out of reach: a fresh copy, then watch again from it.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, watchRetryMs);
          this.stopWaiting = () => { clearTimeout(t); resolve(); };
        });
        this.stopWaiting = undefined;
        if (this.closed) return;
        this.rebuild();
        await this.rebuilding;
      } finally {
        this.watch?.close();
        this.watch = undefined;
      }
    }
  }
}

/** Builds a copy; a store that moved under the build (a purged log, a compacted-away file) is read again. */
async function buildCopyRetrying(o: ReplicaOptions, stop: () => boolean): Promise<Copy> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await buildCopy(o);
    } catch (e) {
      if (stop() || attempt >= 5 || !movedUnder(e)) throw e;
    }
  }
}

/** The failures a build meets when the coordinator flushed, compacted or dropped meanwhile. */
function movedUnder(e: unknown): boolean {
  return e instanceof ElanusError && (e.code === 'CORRUPT_DATA' || e.code === 'OBJECT_NOT_FOUND' || e.code === 'TOPIC_NOT_FOUND' || e.code === 'REPLICA_BEHIND');
}

async function buildCopy(o: ReplicaOptions): Promise<Copy> {
  const clock = o.clock ?? systemClock;
  const meta = await MetaCache.load(readOnlyMeta(o.meta));
  // Never allocated from: the copy only reads at the timestamps the coordinator sends.
  const tso = await Tso.open({ clock, loadHighWater: () => (meta.get('tso') as number | undefined) ?? 0, storeHighWater: async () => undefined });
  // New growing segments of the copy take ids above every stored one; they are never stored.
  const ids = await IdAllocator.open({ load: () => (meta.get('ids') as number | undefined) ?? 0, store: async () => undefined });
  const catalog = new Catalog(meta);
  const stores = {
    meta: readOnlyMeta(o.meta), log: readOnlyLog(o.log), objects: readOnlyObjects(o.objects),
    probeWritable: async () => undefined, release: async () => undefined,
  };
  const core = new EngineCore(stores, meta, tso, ids, catalog, clock, systemTimers, resolveLimits(o.limits), undefined, 1, new Health(() => clock.now()), true);
  try {
    for (const c of catalog.allCollections()) {
      // Only what reads may ask for: a released collection is not held in memory.
      if (!c.loaded) continue;
      const d = new CollectionData(c.id, core.context(), c.shardsNum);
      await d.recover();
      core.data.set(c.id, d);
    }
  } catch (e) {
    await closeCopy({ core } as Copy);
    throw e;
  }
  core.vindex.schedule();
  return { core, reads: new ShardReads(core, o.node), revision: meta.revision, version: catalog.version, inflight: 0, retired: false };
}

async function closeCopy(copy: Copy): Promise<void> {
  copy.core.closed = true;
  await copy.core.interim.close().catch(() => undefined);
  await copy.core.vindex.close().catch(() => undefined);
}

const readOnly = (what: string): never => fail('INTERNAL', { detail: `a read replica writes nothing (${what})` });

/** The MetaStore as a replica may use it: reads only. */
function readOnlyMeta(meta: MetaStore): EngineMetaStore {
  return {
    get: (k) => meta.get(k), range: (p, opts) => meta.range(p, opts), revision: () => meta.revision(),
    watch: (p, opts) => meta.watch(p, opts),
    put: () => readOnly('metadata put'), delete: () => readOnly('metadata delete'), txn: () => readOnly('metadata transaction'),
    compact: () => readOnly('metadata compaction'), grantLease: () => readOnly('lease'), keepAlive: () => readOnly('lease'),
    revokeLease: () => readOnly('lease'), probe: async () => true, close: async () => undefined,
  };
}

function readOnlyLog(log: LogStore): EngineLogStore {
  return {
    payloadBytesMax: log.payloadBytesMax,
    bounds: (t) => log.bounds(t), read: (t, from, max) => log.read(t, from, max), streams: () => log.streams(),
    consumers: (t) => log.consumers(t), position: (t, c) => log.position(t, c),
    append: () => readOnly('log append'), createStream: () => readOnly('stream creation'), dropStream: () => readOnly('stream drop'),
    createConsumer: () => readOnly('consumer creation'), dropConsumer: () => readOnly('consumer drop'), commit: () => readOnly('consumer commit'),
    truncate: () => readOnly('log truncation'), probe: async () => true, close: async () => undefined,
  };
}

function readOnlyObjects(objects: ObjectStore): ObjectStore {
  return new Proxy(objects, {
    get(target, name) {
      if (name === 'put' || name === 'putParts' || name === 'delete' || name === 'deleteMany') return () => readOnly(`object ${String(name)}`);
      if (name === 'close') return async () => undefined;
      const value = (target as unknown as Record<string | symbol, unknown>)[name];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
