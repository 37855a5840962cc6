// The engine's shared state and the checks every role makes (engine/README.md): the stores,
// the coordinator queue, the collections' data, pinned snapshots, the index builders.
import { ElanusError, fail } from '../errors/index.js';
import { Catalog, type CollectionMeta, IdAllocator, MetaCache, type PartitionMeta, defaultDatabase, defaultTimezone, isTimezoneValid, timezoneKey, validateName } from '../catalog/index.js';
import { SerialQueue, type Timers } from '../concurrency/index.js';
import { type SearchIterState } from '../query/vector-search.js';
import { VectorIndexes } from './vector-indexes.js';
import { InterimIndexes } from './interim-indexes.js';
import type { PkKey } from '../segments/pk.js';
import { type ObjectStore } from '../storage/index.js';
import { Tso, type Clock, expiredBefore } from '../tso/index.js';
import { CollectionData, type EngineContext } from './collection.js';
import { type CrashPoint, type EngineLimits, type EngineLogStore, type EngineStores } from './options.js';
import { type CollectionReq, type DbScoped } from '../gateway/requests.js';
import { crc32 } from 'node:zlib';
import { Health } from './health.js';
import type { CatalogRole } from './catalog-ddl.js';
import type { IndexRole } from './index-ddl.js';
import type { ResourceGroupRole } from './resource-groups.js';
import type { Maintenance } from './maintenance.js';
import type { ReadRole } from './reads.js';
import type { ShardPlacement } from '../gateway/roles.js';
import type { WriteRole } from './writes.js';
import type { UsersRole } from './users.js';
import type { RbacRole } from './rbac.js';

/** The roles, wired by Elanus.open: each reaches the others only through here. */
export interface EngineRoles {
  readonly catalog: CatalogRole;
  readonly indexes: IndexRole;
  readonly maintenance: Maintenance;
  readonly resourceGroups: ResourceGroupRole;
  readonly writes: WriteRole;
  readonly reads: ReadRole;
  /** Which data node serves each shard (the coordinator's), and the nodes' read side. */
  readonly placement: ShardPlacement;
  /** Users and their passwords. */
  readonly users: UsersRole;
  /** Roles, grants and privilege groups, and the privilege check. */
  readonly rbac: RbacRole;
}

export class EngineCore {
  readonly coord = new SerialQueue();
  readonly data = new Map<number, CollectionData>();
  /**
   * Snapshots pinned by query and search iterators (what each reads at: `ts`, and `since`,
   * engine/reads.ts Snapshot): compaction keeps every row visible at them.
   */
  readonly pins = new Map<number, { ts: bigint; since: bigint; collectionId: number; lastUsedMs: number }>();
  /** Search iterators by token; each holds a pin (and ends with it). */
  readonly searchIters = new Map<string, SearchIterState>();
  nextPin = 1;
  /**
   * The snapshot of every read in flight, by read: compaction keeps every row visible at
   * them, as at a pin. A read takes its snapshot, then may wait (for writes to apply, for
   * a read replica that fails after 10 s and is answered here instead) before it reads
   * the segments; a compaction that swapped segments meanwhile must not have dropped
   * rows deleted after that snapshot (the cluster soak of 2026-12-07 saw a key missing
   * and a count short by 3 that way).
   */
  private readonly readsAt = new Map<number, bigint>();
  private nextRead = 1;
  closed = false;
  /** Background failures (flush or compaction that could not finish); surfaced by health(). */
  readonly backgroundErrors: unknown[] = [];
  readonly vindex: VectorIndexes;
  readonly interim: InterimIndexes;
  /** Set once by Elanus.open, before anything runs. */
  roles!: EngineRoles;
  /** Segment, L0 delete and index files, by key (collection.ts, vector-indexes.ts). */
  readonly objects: ObjectStore;
  /** Each shard's log: one stream per shard (collection.ts topicOf). */
  readonly log: EngineLogStore;

  constructor(
    /** What the engine runs on (a data folder's files, or cluster mode's services). */
    readonly stores: EngineStores,
    readonly meta: MetaCache,
    readonly tso: Tso,
    readonly ids: IdAllocator,
    readonly catalog: Catalog,
    readonly clock: Clock,
    readonly timers: Timers,
    readonly limits: EngineLimits,
    readonly crashPoint: ((p: CrashPoint) => void) | undefined,
    readonly shardsDefault: number,
    readonly healthState: Health,
    /** A read replica's copy (engine/replica.ts): it reads the stores and writes nothing. */
    readonly readOnly = false,
  ) {
    this.objects = stores.objects;
    this.log = stores.log;
    this.vindex = new VectorIndexes({
      objects: stores.objects, buildThreads: limits.indexBuildThreads, health: healthState,
      collections: () => this.liveCollections(),
      onBackgroundError: (e) => this.noteBackgroundError(e),
      onInstalled: () => this.interim.schedule(),
      loadOnly: readOnly,
    });
    this.interim = new InterimIndexes({
      chunkRows: limits.interimIndexRows,
      collections: () => this.liveCollections(),
      hasFinal: (coll, field, seg) => this.vindex.lookup(coll, field, seg) !== undefined,
      onBackgroundError: (e) => this.noteBackgroundError(e),
    });
  }

  *liveCollections(): Iterable<{ meta: CollectionMeta; data: CollectionData }> {
    for (const [id, data] of this.data) {
      const meta = this.catalog.collectionById(id);
      if (meta) yield { meta, data };
    }
  }

  context(): EngineContext {
    return {
      objects: this.objects,
      log: this.log,
      limits: this.limits,
      coordinate: (task) => this.coord.run(task),
      commit: (txn) => this.catalog.commit(txn),
      metaScan: (prefix) => this.meta.scan(prefix),
      collection: (id) => this.catalog.collectionById(id),
      newId: () => this.ids.next(),
      ...(this.stores.fenceLog ? { logFenceTs: () => this.tso.next() } : {}),
      ...(this.readOnly ? { replica: true } : {}),
      crash: (p) => this.crashPoint?.(p),
      safeTs: () => this.globalSafeTs(),
      safeSince: (id, ttlSeconds) => this.safeSince(id, ttlSeconds),
      onBackgroundError: (e) => this.noteBackgroundError(e),
      onSegmentsPublished: () => this.vindex.schedule(),
      health: this.healthState,
      onAppended: (seg) => this.interim.noteAppended(seg),
    };
  }

  noteBackgroundError(e: unknown): void {
    // A collection dropped or an engine closed under a background task is expected.
    if (e instanceof ElanusError && (e.code === 'CLOSED' || e.code === 'COLLECTION_NOT_FOUND')) return;
    if (this.closed) return;
    this.backgroundErrors.push(e);
    if (this.backgroundErrors.length > 100) this.backgroundErrors.shift();
  }

  checkOpen(): void {
    if (this.closed) fail('CLOSED');
  }

  // ---------------------------------------------------------------- helpers

  dbOf(req: DbScoped | undefined): string {
    // An empty name is the default database, as in Milvus.
    const db = req?.db_name || defaultDatabase;
    if (typeof db !== 'string') validateName('database', db);
    return db;
  }

  requireObject<T>(req: T): T {
    if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', { detail: 'the request must be an object' });
    return req;
  }

  /**
   * The timezone Timestamptz values of `coll` are read and written in: the collection's
   * `timezone` property, else its database's, else UTC (Milvus copies the database's
   * onto a new collection; here it is looked up, so a later change to the database's
   * shows in collections that name none). `requested`, a read's own `timezone`
   * parameter, comes first and must name a timezone.
   */
  timezoneOf(coll: CollectionMeta, requested?: unknown): string {
    if (requested !== undefined && requested !== null && requested !== '') {
      if (!isTimezoneValid(requested)) fail('INVALID_ARGUMENT', { detail: `unknown or invalid IANA Time Zone ID: ${String(requested)}` });
      return requested;
    }
    const own = coll.properties[timezoneKey];
    if (own !== undefined) return own;
    const db = this.catalog.hasDatabase(coll.db) ? this.catalog.database(coll.db).properties[timezoneKey] : undefined;
    return db ?? defaultTimezone;
  }

  /** The collection and its data, for an operation that may not proceed once a drop began. */
  live(req: CollectionReq): { coll: CollectionMeta; data: CollectionData } {
    this.checkOpen();
    this.requireObject(req);
    const db = this.dbOf(req);
    if (typeof req.collection_name !== 'string') fail('INVALID_ARGUMENT', { detail: 'collection_name is required' });
    const coll = this.catalog.collection(db, req.collection_name);
    const data = this.data.get(coll.id);
    if (!data || data.state !== 'ready') fail('COLLECTION_NOT_FOUND', { name: req.collection_name, db });
    return { coll, data };
  }

  partitionByName(coll: CollectionMeta, name: string): PartitionMeta {
    const p = coll.partitions.find((x) => x.name === name);
    if (!p) fail('PARTITION_NOT_FOUND', { name, collection: coll.name });
    return p;
  }

  livePartition(coll: CollectionMeta, data: CollectionData, name: string): PartitionMeta {
    const p = this.partitionByName(coll, name);
    if (data.droppingPartitions.has(p.id)) fail('PARTITION_NOT_FOUND', { name, collection: coll.name });
    return p;
  }

  /** Runs a DDL step in the coordinator queue. */
  ddl<T>(task: () => Promise<T>): Promise<T> {
    // Rejects rather than throws: the DDL methods are not `async`, and a caller that
    // chains .catch() on the returned promise must see CLOSED there.
    if (this.closed) return Promise.reject(new ElanusError('CLOSED'));
    return this.coord.run(async () => {
      this.checkOpen();
      try {
        const r = await task();
        this.healthState.healed('metadata', catalogChanges);
        return r;
      } catch (e) {
        if (isStorageFault(e)) this.healthState.fault('metadata', catalogChanges, e);
        throw e;
      }
    });
  }

  /** Turns failures of work that raced a drop into the drop's coded error. */
  async guardDrop<T>(data: CollectionData, name: string, db: string, work: () => Promise<T>): Promise<T> {
    try {
      const r = await work();
      if (data.state !== 'ready') fail('COLLECTION_NOT_FOUND', { name, db });
      return r;
    } catch (e) {
      if (data.state !== 'ready') fail('COLLECTION_NOT_FOUND', { name, db });
      throw e;
    }
  }

  collectionSafeTs(data: CollectionData): bigint {
    let at = this.tso.last();
    for (const s of data.shards) {
      const t = s.oldestInFlightTs();
      if (t !== undefined && t - 1n < at) at = t - 1n;
    }
    return at;
  }

  /** Holds snapshot `at` for a read until the returned release is called (once or more). */
  holdRead(at: bigint): () => void {
    const id = this.nextRead++;
    this.readsAt.set(id, at);
    return () => { this.readsAt.delete(id); };
  }

  /**
   * The first write timestamp that no current or future read of the collection takes as
   * expired under a TTL of `ttlSeconds` (0 without one): reads are at or above
   * globalSafeTs, and a pinned iterator keeps the `since` it began with.
   */
  safeSince(collectionId: number, ttlSeconds: number): bigint {
    if (ttlSeconds <= 0) return 0n;
    let since = expiredBefore(this.globalSafeTs(), ttlSeconds);
    for (const pin of this.pins.values()) if (pin.collectionId === collectionId && pin.since < since) since = pin.since;
    return since;
  }

  globalSafeTs(): bigint {
    let at = this.tso.last();
    for (const d of this.data.values()) {
      const t = this.collectionSafeTs(d);
      if (t < at) at = t;
    }
    for (const t of this.readsAt.values()) if (t < at) at = t;
    const now = this.clock.now();
    for (const [id, pin] of this.pins) {
      // An iterator left unfinished and unused past its lease no longer holds rows back.
      if (now - pin.lastUsedMs > iteratorLeaseMs) this.pins.delete(id);
      else if (pin.ts < at) at = pin.ts;
    }
    for (const [token, it] of this.searchIters) if (!this.pins.has(it.pin)) this.searchIters.delete(token);
    return at;
  }
}

/** The health subject of DDL steps refused by the volume. */
export const catalogChanges = 'catalog changes';

export function isStorageFault(e: unknown): boolean {
  return e instanceof ElanusError && (e.code === 'STORAGE_FULL' || e.code === 'STORAGE_IO');
}
/** A query iterator unused for this long releases its snapshot. */
export const iteratorLeaseMs = 10 * 60 * 1000;

/** Template values of a filter (`{name}` placeholders): the SDK's exprValues, or expr_params. */
export function exprParamsOf(req: { exprValues?: unknown; expr_params?: unknown }): Record<string, unknown> | undefined {
  const p = req.exprValues ?? req.expr_params;
  if (p === undefined || p === null) return undefined;
  if (typeof p !== 'object' || Array.isArray(p)) fail('INVALID_ARGUMENT', { detail: 'exprValues must be an object of template values' });
  return p as Record<string, unknown>;
}

export function isPartitionLoaded(coll: CollectionMeta, id: number): boolean {
  return coll.loaded && (coll.loadedPartitions.length === 0 || coll.loadedPartitions.includes(id));
}

/** Keys go to shards by a hash of their text form (stable across restarts and platforms). */
export function shardRouter(n: number): (k: PkKey) => number {
  if (n === 1) return () => 0;
  return (k) => crc32(String(k)) % n;
}
