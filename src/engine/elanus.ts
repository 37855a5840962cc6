// The embedded engine and its in-process API. `Elanus.open({ path })` opens (or creates)
// a data folder; the methods follow the Milvus Node SDK's names and argument shapes.
//
// Ownership (DESIGN.md, concurrency model):
//  - the coordinator queue runs every catalog change and every metadata commit of flush
//    and compaction, one at a time;
//  - each shard owns its segments and key index, and changes them only by applying log
//    records in order (writes) or inside the coordinator queue (swap, drop);
//  - a write checks the catalog and submits its log record in one synchronous step, so
//    no DDL can slip between the check and the append.
import { ElanusError, fail } from '../errors/index.js';
import {
  Catalog, type CollectionMeta, type CollectionSchema, type ConsistencyLevel, DataType, IdAllocator,
  type PartitionMeta, catalogKeys, consistencyLevels, defaultDatabase, defaultPartition, isVector,
  normalizeSchema, normalizeAddedField, partitionKeyPartitionsDefault, partitionsPerCollectionMax, shardsPerCollectionMax,
  validateName, type FieldInput, databasesMax, varcharLengthMax, collectionsPerDatabaseMax, dataTypeName,
} from '../catalog/index.js';
import { SerialQueue } from '../concurrency/index.js';
import { pkKeyOf, validateRows } from '../gateway/validate.js';
import { resolveFilter } from '../query/filter.js';
import { explainFilter } from '../query/exec/explain.js';
import { checkResultBytes, planOutput, rowObject } from '../query/rows.js';
import { prepareQueries } from '../query/search.js';
import {
  type SearchHit, type SearchIterState, type VectorSearchSpec, checkGroupField, groupingSearch, searchIteratorParams,
  searchIteratorStep, vectorRangeSearch, vectorSearch,
} from '../query/vector-search.js';
import { checkRange, parseSearchParams } from '../index/spec.js';
import { pagedIterator } from './paged.js';
import { VectorIndexes } from './vector-indexes.js';
import { InterimIndexes } from './interim-indexes.js';
import {
  type AlterIndexReq, type CreateIndexReq, type DropIndexPropertiesReq, type IndexDescription, type IndexReq,
  type IndexState, describeIndexRow, findIndexByName, isVectorIndex, matchIndexes, planCreateIndex, reportedFieldName, searchMetric, selectIndexes,
} from './indexes.js';
import { type IndexMeta, indexesOf, indexPropertyRules, normalizeIndexProperty, requireIndexProperty } from '../catalog/index.js';
import type { PkKey } from '../segments/pk.js';
import type { InsertRecord } from '../segments/records.js';
import type { Segment } from '../segments/segment.js';
import type { PreparedRecord, Shard } from '../segments/shard.js';
import {
  EmbeddedMetaStore, type FileLock, type FileSystem, type MetaTxn, NodeFileSystem, joinPath, mkdirDurable, probeWritable,
} from '../storage/index.js';
import { Tso, physicalOf, systemClock, type Clock } from '../tso/index.js';
import { Wal } from '../wal/index.js';
import { CollectionData, type EngineContext, collectionDir, metaKeys, topicOf } from './collection.js';
import { type CrashPoint, type EngineLimits, type OpenOptions, resolveLimits } from './options.js';
import {
  type CollectionReq, type CreateCollectionReq, type DbScoped, type DeleteReq, type GetReq, type InsertReq,
  type PartitionReq, type QueryReq, type ReadReq, type SearchReq, status,
} from './requests.js';
import { crc32 } from 'node:zlib';
import { Health, type HealthReport, type RepairKind } from './health.js';

const searchTopKMax = 16_384;
/** A search hit's own bytes beside its output fields: its key and score. */
const hitOverheadBytes = 16;
/** The health subject of DDL steps refused by the volume. */
const catalogChanges = 'catalog changes';

function isStorageFault(e: unknown): boolean {
  return e instanceof ElanusError && (e.code === 'STORAGE_FULL' || e.code === 'STORAGE_IO');
}
/** A query iterator unused for this long releases its snapshot. */
const iteratorLeaseMs = 10 * 60 * 1000;
/** Measured cost of one primary-key index entry (Map slot plus its location object), bytes. */
const pkIndexEntryBytes = 80;
/** The log rolls to a new file past this size; retention deletes whole files. */
const walSegmentBytesMax = 16 * 1024 * 1024;
const nqMax = 16_384;

export class Elanus {
  private readonly coord = new SerialQueue();
  private readonly data = new Map<number, CollectionData>();
  /** Snapshots pinned by query iterators: compaction keeps every row visible at them. */
  private readonly pins = new Map<number, { ts: bigint; lastUsedMs: number }>();
  /** Search iterators by token; each holds a pin (and ends with it). */
  private readonly searchIters = new Map<string, SearchIterState>();
  private nextPin = 1;
  private closed = false;
  private closing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backgroundRunning = false;
  /** Background failures (flush or compaction that could not finish); surfaced by health(). */
  readonly backgroundErrors: unknown[] = [];

  private constructor(
    private readonly fs: FileSystem,
    private readonly root: string,
    private readonly lockHandle: FileLock,
    private readonly meta: EmbeddedMetaStore,
    private readonly tso: Tso,
    private readonly ids: IdAllocator,
    private readonly catalog: Catalog,
    private readonly wal: Wal,
    private readonly clock: Clock,
    readonly limits: EngineLimits,
    private readonly crashPoint: ((p: CrashPoint) => void) | undefined,
    private readonly shardsDefault: number,
    private readonly healthState: Health,
  ) {
    this.vindex = new VectorIndexes({
      fs, root, buildThreads: limits.indexBuildThreads, health: healthState,
      collections: () => this.liveCollections(),
      onBackgroundError: (e) => this.noteBackgroundError(e),
      onInstalled: () => this.interim.schedule(),
    });
    this.interim = new InterimIndexes({
      chunkRows: limits.interimIndexRows,
      collections: () => this.liveCollections(),
      hasFinal: (coll, field, seg) => this.vindex.lookup(coll, field, seg) !== undefined,
      onBackgroundError: (e) => this.noteBackgroundError(e),
    });
  }

  private readonly vindex: VectorIndexes;
  private readonly interim: InterimIndexes;

  private *liveCollections(): Iterable<{ meta: CollectionMeta; data: CollectionData }> {
    for (const [id, data] of this.data) {
      const meta = this.catalog.collectionById(id);
      if (meta) yield { meta, data };
    }
  }

  static async open(opts: OpenOptions): Promise<Elanus> {
    if (typeof opts?.path !== 'string' || opts.path === '') fail('INVALID_ARGUMENT', { detail: 'open needs a data folder path' });
    const limits = resolveLimits(opts.limits);
    const fs = opts.fs ?? new NodeFileSystem();
    const root = opts.path.replace(/\/+$/, '');
    const clock = opts.clock ?? systemClock;
    await mkdirDurable(fs, root);
    const lock = await fs.lock(root);
    const health = new Health(() => clock.now(), opts.events);
    try {
      const meta = await EmbeddedMetaStore.open({
        fs, dir: joinPath(root, 'meta'),
        onHealth: (f) => (f === undefined ? health.healed('metadata', 'journal') : health.fault('metadata', 'journal', f)),
        onTailCut: (path, offset, bytes) => health.repaired('journal-tail-truncated', { path, offset, bytes }),
      });
      const tso = await Tso.open({
        clock,
        loadHighWater: () => (meta.get('tso') as number | undefined) ?? 0,
        storeHighWater: (hw) => meta.commit({ put: { tso: hw } }),
      });
      const ids = await IdAllocator.open({
        load: () => (meta.get('ids') as number | undefined) ?? 0,
        store: (hw) => meta.commit({ put: { ids: hw } }),
      });
      const catalog = new Catalog(meta);
      if (!catalog.hasDatabase(defaultDatabase)) {
        await catalog.commit({ put: { [catalogKeys.database(defaultDatabase)]: { id: 1, name: defaultDatabase, properties: {}, createdTs: tso.next().toString() } } });
      }
      const wal = await Wal.open({
        fs, dir: joinPath(root, 'wal'), segmentBytesMax: walSegmentBytesMax,
        onHealth: (topic, f) => (f === undefined ? health.healed('log', topic) : health.fault('log', topic, f)),
        onTailCut: (topic, path, offset, bytes) => health.repaired('log-tail-truncated', { topic, path, offset, bytes }),
      });
      const engine = new Elanus(fs, root, lock, meta, tso, ids, catalog, wal, clock, limits, opts.crashPoint, opts.shardsDefault ?? 1, health);
      try {
        await engine.recover();
      } catch (e) {
        await wal.close().catch(() => {});
        await meta.close().catch(() => {});
        throw e;
      }
      engine.startBackground();
      return engine;
    } catch (e) {
      await lock.release().catch(() => {});
      throw e;
    }
  }

  private context(): EngineContext {
    return {
      fs: this.fs,
      root: this.root,
      wal: this.wal,
      limits: this.limits,
      coordinate: (task) => this.coord.run(task),
      commit: (txn) => this.catalog.commit(txn),
      metaScan: (prefix) => this.meta.scan(prefix),
      collection: (id) => this.catalog.collectionById(id),
      newId: () => this.ids.next(),
      crash: (p) => this.crashPoint?.(p),
      safeTs: () => this.globalSafeTs(),
      onBackgroundError: (e) => this.noteBackgroundError(e),
      onSegmentsPublished: () => this.vindex.schedule(),
      health: this.healthState,
      onAppended: (seg) => this.interim.noteAppended(seg),
    };
  }

  private async recover(): Promise<void> {
    for (const c of this.catalog.allCollections()) {
      const d = new CollectionData(c.id, this.context(), c.shardsNum);
      await d.recover();
      this.data.set(c.id, d);
    }
    await this.collectGarbage();
    // Index files of flushed segments load in the background; searches scan exactly until then.
    this.vindex.schedule();
  }

  /** Removes files and log topics that no committed metadata names (left by a crash mid-flush, -compaction or -drop). */
  private async collectGarbage(): Promise<void> {
    const live = new Set<string>();
    for (const d of this.data.values()) for (const f of d.liveFiles()) live.add(f);
    for (const { meta, data } of this.liveCollections()) for (const f of this.vindex.expectedFiles(meta, data)) live.add(f);
    const segRoot = joinPath(this.root, 'segments');
    const removed: string[] = [];
    for (const dir of await this.fs.readdir(segRoot)) {
      const id = Number(dir);
      if (!this.data.has(id)) {
        await this.fs.rmdir(joinPath(segRoot, dir));
        removed.push(`segments/${dir}/`);
        continue;
      }
      for (const name of await this.fs.readdir(joinPath(segRoot, dir))) {
        const rel = `${collectionDir(id)}/${name}`;
        if (live.has(rel)) continue;
        await this.fs.unlink(joinPath(this.root, rel));
        removed.push(rel);
      }
    }
    if (removed.length > 0) this.healthState.repaired('orphan-files-removed', { count: removed.length, files: removed.slice(0, 10) });
    const topics = new Set([...this.data.values()].flatMap((d) => d.shards.map((s) => topicOf(d.id, s.index))));
    for (const t of this.wal.topics()) if (!topics.has(t)) await this.wal.dropTopic(t);
  }

  private startBackground(): void {
    if (this.limits.backgroundIntervalMs <= 0) return;
    this.timer = setInterval(() => void this.backgroundPass(), this.limits.backgroundIntervalMs);
    this.timer.unref();
  }

  private async backgroundPass(): Promise<void> {
    if (this.backgroundRunning || this.closed) return;
    this.backgroundRunning = true;
    try {
      await this.probeHealth();
      const now = this.clock.now();
      for (const d of [...this.data.values()]) {
        if (this.closed) break;
        d.flushIfDue(now, physicalOf);
        await d.compact();
      }
    } catch (e) {
      this.noteBackgroundError(e);
    } finally {
      this.backgroundRunning = false;
    }
  }

  /**
   * While some writes are refused, tries to heal the log and the metadata journal without
   * waiting for the next write, so health reads "ok" as soon as space is back; failed
   * index files are retried by the index pass.
   */
  private async probeHealth(): Promise<void> {
    if (this.healthState.report().status === 'ok') return;
    await this.wal.probe();
    await this.meta.probe();
    if (this.healthState.has('indexes')) this.vindex.schedule();
    // A DDL step refused by the volume (a folder or file it could not create) has no
    // queue to retry it; a small durable write to the data folder says whether one would
    // work now.
    if (this.healthState.has('metadata')) {
      try {
        await probeWritable(this.fs, this.root);
        this.healthState.healed('metadata', catalogChanges);
      } catch {
        // Still refused: the next probe tries again.
      }
    }
  }

  /** Storage faults the engine is living with ("degraded" while some writes are refused). */
  health(): HealthReport {
    return this.healthState.report();
  }

  /** Self-repairs made since open, by kind. */
  repairCounts(): ReadonlyMap<RepairKind, number> {
    return this.healthState.repairs;
  }

  private noteBackgroundError(e: unknown): void {
    // A collection dropped or an engine closed under a background task is expected.
    if (e instanceof ElanusError && (e.code === 'CLOSED' || e.code === 'COLLECTION_NOT_FOUND')) return;
    if (this.closed) return;
    this.backgroundErrors.push(e);
    if (this.backgroundErrors.length > 100) this.backgroundErrors.shift();
  }

  private checkOpen(): void {
    if (this.closed) fail('CLOSED');
  }

  /** Releases everything. Idempotent; writes in flight finish or fail with a coded error. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      await Promise.all([...this.data.values()].map((d) => d.barrier()));
      await this.coord.idle();
      await Promise.all([...this.data.values()].map((d) => d.idle().catch(() => {})));
      await this.interim.close();
      await this.vindex.close();
      await this.tso.settle();
      await this.ids.settle();
      await this.wal.close();
      await this.meta.close();
      await this.lockHandle.release();
    })();
    return this.closing;
  }

  // ---------------------------------------------------------------- helpers

  private dbOf(req: DbScoped | undefined): string {
    // An empty name is the default database, as in Milvus.
    const db = req?.db_name || defaultDatabase;
    if (typeof db !== 'string') validateName('database', db);
    return db;
  }

  private requireObject<T>(req: T): T {
    if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', { detail: 'the request must be an object' });
    return req;
  }

  /** The collection and its data, for an operation that may not proceed once a drop began. */
  private live(req: CollectionReq): { coll: CollectionMeta; data: CollectionData } {
    this.checkOpen();
    this.requireObject(req);
    const db = this.dbOf(req);
    if (typeof req.collection_name !== 'string') fail('INVALID_ARGUMENT', { detail: 'collection_name is required' });
    const coll = this.catalog.collection(db, req.collection_name);
    const data = this.data.get(coll.id);
    if (!data || data.state !== 'ready') fail('COLLECTION_NOT_FOUND', { name: req.collection_name, db });
    return { coll, data };
  }

  private partitionByName(coll: CollectionMeta, name: string): PartitionMeta {
    const p = coll.partitions.find((x) => x.name === name);
    if (!p) fail('PARTITION_NOT_FOUND', { name, collection: coll.name });
    return p;
  }

  private livePartition(coll: CollectionMeta, data: CollectionData, name: string): PartitionMeta {
    const p = this.partitionByName(coll, name);
    if (data.droppingPartitions.has(p.id)) fail('PARTITION_NOT_FOUND', { name, collection: coll.name });
    return p;
  }

  /** Runs a DDL step in the coordinator queue. */
  private ddl<T>(task: () => Promise<T>): Promise<T> {
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

  // ---------------------------------------------------------------- databases

  createDatabase(req: { db_name: string; properties?: Record<string, string> }): Promise<typeof status> {
    return this.ddl(async () => {
      const name = validateName('database', this.requireObject(req).db_name);
      if (this.catalog.hasDatabase(name)) fail('DATABASE_ALREADY_EXISTS', { name });
      if (this.catalog.listDatabases().length >= databasesMax) fail('LIMIT_EXCEEDED', { what: 'database', detail: `at most ${databasesMax} databases` });
      await this.catalog.commit({ put: { [catalogKeys.database(name)]: { id: this.ids.next(), name, properties: stringProps(req.properties), createdTs: this.tso.next().toString() } } });
      return status;
    });
  }

  dropDatabase(req: { db_name: string }): Promise<typeof status> {
    return this.ddl(async () => {
      const name = validateName('database', this.requireObject(req).db_name);
      if (name === defaultDatabase) fail('DEFAULT_DATABASE');
      // Drops are idempotent, as in Milvus: what is not there is already dropped.
      if (!this.catalog.hasDatabase(name)) return status;
      const n = this.catalog.listCollections(name).length;
      if (n > 0) fail('DATABASE_NOT_EMPTY', { name, count: n });
      await this.catalog.commit({ del: [catalogKeys.database(name), ...this.catalog.listAliases(name).map((a) => catalogKeys.alias(name, a.alias))] });
      return status;
    });
  }

  async listDatabases(): Promise<{ status: typeof status; db_names: string[] }> {
    this.checkOpen();
    return { status, db_names: this.catalog.listDatabases().map((d) => d.name) };
  }

  async describeDatabase(req: { db_name: string }): Promise<{ status: typeof status; db_name: string; dbID: number; properties: Array<{ key: string; value: string }>; created_timestamp: string }> {
    this.checkOpen();
    const d = this.catalog.database(this.requireObject(req).db_name);
    return { status, db_name: d.name, dbID: d.id, properties: kv(d.properties), created_timestamp: d.createdTs };
  }

  alterDatabase(req: { db_name: string; properties: Record<string, string> }): Promise<typeof status> {
    return this.ddl(async () => {
      const d = this.catalog.database(this.requireObject(req).db_name);
      await this.catalog.commit({ put: { [catalogKeys.database(d.name)]: { ...d, properties: { ...d.properties, ...stringProps(req.properties) } } } });
      return status;
    });
  }

  /** Removes database properties; a key that is not set is no error (as in Milvus). */
  dropDatabaseProperties(req: { db_name: string; properties: string[] }): Promise<typeof status> {
    return this.ddl(async () => {
      const d = this.catalog.database(this.requireObject(req).db_name);
      // A string would be iterated character by character, deleting one-letter keys.
      if (!Array.isArray(req.properties) || req.properties.some((k) => typeof k !== 'string')) fail('INVALID_ARGUMENT', { detail: 'properties must be an array of property names' });
      const properties = { ...d.properties };
      for (const k of req.properties) delete properties[k];
      await this.catalog.commit({ put: { [catalogKeys.database(d.name)]: { ...d, properties } } });
      return status;
    });
  }

  // ---------------------------------------------------------------- collections

  createCollection(req: CreateCollectionReq): Promise<typeof status> {
    return this.ddl(async () => {
      this.requireObject(req);
      const db = this.dbOf(req);
      this.catalog.database(db);
      const name = validateName('collection', req.collection_name);
      const quick = req.dimension !== undefined && !req.fields && !req.schema;
      const fields = quick ? quickFields(req) : (req.fields ?? req.schema);
      if (!Array.isArray(fields)) fail('INVALID_SCHEMA', { detail: 'fields (or dimension for quick setup) is required' });
      const schema = normalizeSchema({
        fields,
        enableDynamicField: req.enable_dynamic_field ?? req.enableDynamicField ?? (quick ? true : false),
        description: req.description,
        partitionKeyField: req.partition_key_field,
        collectionName: name,
      });
      const existing = this.catalog.findCollection(db, name);
      if (existing) {
        // Creating the same collection again succeeds, as in Milvus; a different schema is a conflict.
        if (this.catalog.isCollectionName(db, name) && sameSchema(existing.schema, schema)) return status;
        if (!this.catalog.isCollectionName(db, name)) fail('ALIAS_CONFLICTS', { name, what: 'alias', db });
        fail('COLLECTION_ALREADY_EXISTS', { name, db });
      }
      if (this.catalog.listCollections(db).length >= collectionsPerDatabaseMax) fail('LIMIT_EXCEEDED', { what: 'collection', detail: `at most ${collectionsPerDatabaseMax} per database` });
      const shardsNum = intOption('shards_num', req.shards_num, this.shardsDefault, 1, shardsPerCollectionMax);
      const hasKey = schema.fields.some((f) => f.isPartitionKey);
      if (!hasKey && req.num_partitions !== undefined) fail('INVALID_ARGUMENT', { detail: 'num_partitions needs a partition key field' });
      const numPartitions = hasKey ? intOption('num_partitions', req.num_partitions, partitionKeyPartitionsDefault, 1, partitionsPerCollectionMax) : 0;
      const level = req.consistency_level ?? 'Bounded';
      if (!consistencyLevels.includes(level)) fail('INVALID_ARGUMENT', { detail: `consistency_level must be one of ${consistencyLevels.join(', ')}` });
      // Properties follow the same rules at creation as in alterCollection; without this
      // check a collection could be created with a TTL that alterCollection would refuse.
      const properties = stringProps(req.properties);
      validateProperties(properties);
      const createdTs = this.tso.next().toString();
      const partitions: PartitionMeta[] = hasKey
        ? Array.from({ length: numPartitions }, (_, i) => ({ id: this.ids.next(), name: `${defaultPartition}_${i}`, createdTs }))
        : [{ id: this.ids.next(), name: defaultPartition, createdTs }];
      const coll: CollectionMeta = {
        id: this.ids.next(), db, name, schema, shardsNum, numPartitions, partitions,
        properties, consistencyLevel: level, createdTs,
        loaded: quick, loadedPartitions: [],
      };
      const data = new CollectionData(coll.id, this.context(), shardsNum);
      for (let i = 0; i < shardsNum; i++) await this.wal.createTopic(topicOf(coll.id, i));
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: coll } });
      this.data.set(coll.id, data);
      return status;
    });
  }

  dropCollection(req: CollectionReq): Promise<typeof status> {
    return this.ddl(async () => {
      this.requireObject(req);
      const db = this.dbOf(req);
      if (!this.catalog.isCollectionName(db, req.collection_name)) {
        if (this.catalog.hasDatabase(db) && this.catalog.alias(db, req.collection_name)) fail('DROP_BY_ALIAS', { name: req.collection_name });
        // Drops are idempotent, as in Milvus (whatever the name: a malformed one was never
        // created): a program that drops before it creates, or drops twice, goes on.
        return status;
      }
      const coll = this.catalog.collection(db, req.collection_name);
      const aliases = this.catalog.listAliases(db, coll.id);
      if (aliases.length > 0) fail('COLLECTION_HAS_ALIASES', { name: coll.name, aliases: aliases.map((a) => a.alias).join(', ') });
      const data = this.data.get(coll.id)!;
      // From here new operations fail at once; writes already submitted are applied first.
      data.state = 'dropping';
      await data.barrier();
      const del = [
        catalogKeys.collection(coll.id),
        ...this.meta.scan(metaKeys.segments(coll.id)).map(([k]) => k),
        ...this.meta.scan(metaKeys.l0s(coll.id)).map(([k]) => k),
        ...this.meta.scan(metaKeys.checkpoints(coll.id)).map(([k]) => k),
      ];
      try {
        await this.catalog.commit({ del });
      } catch (e) {
        data.state = 'ready';
        throw e;
      }
      this.crashPoint?.('drop:committed');
      data.state = 'dropped';
      this.data.delete(coll.id);
      this.vindex.forgetCollection(coll.id);
      this.healthState.forget('segments', `collection ${coll.id} `);
      for (const s of data.shards) await this.wal.dropTopic(topicOf(coll.id, s.index));
      await this.fs.rmdir(joinPath(this.root, collectionDir(coll.id)));
      return status;
    });
  }

  async hasCollection(req: CollectionReq): Promise<{ status: typeof status; value: boolean }> {
    this.checkOpen();
    // Milvus checks the name's form first: a malformed one is an error, not "false".
    validateName('collection', this.requireObject(req).collection_name);
    const db = this.dbOf(req);
    this.catalog.database(db);
    const c = this.catalog.findCollection(db, req.collection_name);
    return { status, value: c !== undefined && this.data.get(c.id)?.state === 'ready' };
  }

  async describeCollection(req: CollectionReq) {
    validateName('collection', this.requireObject(req).collection_name);
    const { coll } = this.live(req);
    return {
      status,
      collection_name: coll.name,
      collectionID: coll.id,
      db_name: coll.db,
      schema: {
        name: coll.name,
        description: coll.schema.description,
        enable_dynamic_field: coll.schema.enableDynamicField,
        fields: coll.schema.fields.filter((f) => !f.isDynamic).map(describeField),
      },
      shards_num: coll.shardsNum,
      num_partitions: coll.numPartitions || coll.partitions.length,
      consistency_level: coll.consistencyLevel,
      aliases: this.catalog.listAliases(coll.db, coll.id).map((a) => a.alias),
      properties: kv(coll.properties),
      created_timestamp: coll.createdTs,
    };
  }

  async showCollections(req: DbScoped = {}): Promise<{ status: typeof status; data: Array<{ name: string; id: number; loadedPercentage: number; timestamp: string }> }> {
    this.checkOpen();
    const db = this.dbOf(req);
    const data = this.catalog.listCollections(db)
      .filter((c) => this.data.get(c.id)?.state === 'ready')
      .map((c) => ({ name: c.name, id: c.id, loadedPercentage: c.loaded ? 100 : 0, timestamp: c.createdTs }));
    return { status, data };
  }

  renameCollection(req: CollectionReq & { new_collection_name: string; new_db_name?: string }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      if (!this.catalog.isCollectionName(coll.db, req.collection_name)) fail('INVALID_ARGUMENT', { detail: 'rename a collection by its name, not an alias' });
      const newName = validateName('collection', req.new_collection_name);
      const newDb = req.new_db_name ?? coll.db;
      this.catalog.database(newDb);
      if (this.catalog.findCollection(newDb, newName)) fail(this.catalog.isCollectionName(newDb, newName) ? 'COLLECTION_ALREADY_EXISTS' : 'ALIAS_CONFLICTS', { name: newName, db: newDb, what: 'alias' });
      if (newDb !== coll.db && this.catalog.listAliases(coll.db, coll.id).length > 0) fail('COLLECTION_HAS_ALIASES', { name: coll.name, aliases: this.catalog.listAliases(coll.db, coll.id).map((a) => a.alias).join(', ') });
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, name: newName, db: newDb } } });
      return status;
    });
  }

  alterCollection(req: CollectionReq & { properties: Record<string, string | number | boolean> }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      if (typeof req.properties !== 'object' || req.properties === null) fail('INVALID_ARGUMENT', { detail: 'properties must be an object' });
      const properties = { ...coll.properties, ...stringProps(req.properties) };
      validateProperties(properties);
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, properties } } });
      return status;
    });
  }

  /** The SDK's name for alterCollection. */
  alterCollectionProperties(req: CollectionReq & { properties: Record<string, string | number | boolean> }): Promise<typeof status> {
    return this.alterCollection(req);
  }

  dropCollectionProperties(req: CollectionReq & { properties: string[] }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      // A string would be iterated character by character, deleting one-letter keys.
      if (!Array.isArray(req.properties)) fail('INVALID_ARGUMENT', { detail: 'properties must be an array of property names' });
      const properties = { ...coll.properties };
      for (const k of req.properties) delete properties[k];
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, properties } } });
      return status;
    });
  }

  async getCollectionStatistics(req: CollectionReq): Promise<{ status: typeof status; stats: Array<{ key: string; value: string }>; data: { row_count: number } }> {
    const { data } = this.live(req);
    await data.barrier();
    const at = this.tso.next();
    const rows = data.shards.reduce((n, s) => n + s.count(at), 0);
    return { status, stats: [{ key: 'row_count', value: String(rows) }], data: { row_count: rows } };
  }

  /**
   * Changes a field's properties. Only `max_length` of a VarChar (or Array of VarChar)
   * field, and only upwards: every stored value still fits.
   */
  alterCollectionField(req: CollectionReq & { field_name: string; properties: Record<string, string | number> }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      const f = coll.schema.fields.find((x) => x.name === req.field_name && !x.isDynamic);
      if (!f) fail('FIELD_NOT_FOUND', { field: String(req.field_name), collection: coll.name });
      const props = this.requireObject(req.properties);
      let maxLength = f.maxLength;
      for (const [k, v] of Object.entries(props)) {
        if (k !== 'max_length') fail('INVALID_ARGUMENT', { detail: `field property ${JSON.stringify(k)} cannot be altered; allowed: max_length` });
        if (f.maxLength === undefined) fail('INVALID_ARGUMENT', { detail: `field "${f.name}" has no max_length (it is ${dataTypeName(f.type)})` });
        const n = Number(v);
        if (!Number.isInteger(n) || n < f.maxLength || n > varcharLengthMax) fail('INVALID_ARGUMENT', { detail: `max_length of "${f.name}" can only grow, up to ${varcharLengthMax}: from ${f.maxLength}, got ${JSON.stringify(v)}` });
        maxLength = n;
      }
      const fields = coll.schema.fields.map((x) => (x === f ? Object.freeze({ ...x, maxLength }) : x));
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, schema: Object.freeze({ ...coll.schema, fields: Object.freeze(fields) }) } } });
      return status;
    });
  }

  /** Adds a nullable scalar field; rows stored before it read null (or its default). */
  addCollectionField(req: CollectionReq & { field: FieldInput }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll, data } = this.live(req);
      const schema = normalizeAddedField(coll.schema, this.requireObject(req).field, coll.name);
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, schema } } });
      for (const s of data.shards) s.conform(this.catalog.collectionById(coll.id)!.schema);
      return status;
    });
  }

  /**
   * Removes every row and keeps everything else (schema, partitions, indexes, aliases,
   * load state). One metadata transaction forgets the segments and moves each shard's
   * checkpoint to the end of its log, so nothing written before comes back in a replay.
   */
  truncateCollection(req: CollectionReq): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll, data } = this.live(req);
      data.state = 'dropping';
      let fresh: CollectionData;
      try {
        await data.barrier();
        fresh = new CollectionData(coll.id, this.context(), coll.shardsNum);
        const put: Record<string, unknown> = {};
        for (const s of fresh.shards) {
          const upTo = this.wal.endOffset(topicOf(coll.id, s.index)) - 1;
          s.checkpoint = upTo;
          s.appliedOffset = upTo;
          put[metaKeys.checkpoint(coll.id, s.index)] = upTo;
        }
        const del = [...this.meta.scan(metaKeys.segments(coll.id)).map(([k]) => k), ...this.meta.scan(metaKeys.l0s(coll.id)).map(([k]) => k)];
        await this.catalog.commit({ put, del });
      } catch (e) {
        data.state = 'ready';
        throw e;
      }
      data.state = 'dropped';
      this.data.set(coll.id, fresh);
      const files = [...data.liveFiles()];
      await data.removeFiles(files);
      for (const s of fresh.shards) await this.wal.retain(topicOf(coll.id, s.index), s.checkpoint + 1);
      return status;
    });
  }

  // ---------------------------------------------------------------- partitions

  createPartition(req: PartitionReq): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      const name = validateName('partition', req.partition_name);
      if (coll.schema.fields.some((f) => f.isPartitionKey)) fail('PARTITION_KEY_MODE', { collection: coll.name });
      if (coll.partitions.some((p) => p.name === name)) fail('PARTITION_ALREADY_EXISTS', { name, collection: coll.name });
      if (coll.partitions.length >= partitionsPerCollectionMax) fail('LIMIT_EXCEEDED', { what: 'partition', detail: `at most ${partitionsPerCollectionMax} per collection` });
      const p: PartitionMeta = { id: this.ids.next(), name, createdTs: this.tso.next().toString() };
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, partitions: [...coll.partitions, p] } } });
      return status;
    });
  }

  dropPartition(req: PartitionReq): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll, data } = this.live(req);
      if (coll.schema.fields.some((f) => f.isPartitionKey)) fail('PARTITION_KEY_MODE', { collection: coll.name });
      validateName('partition', req.partition_name);
      const p = coll.partitions.find((x) => x.name === req.partition_name);
      // Idempotent, as in Milvus: the collection must exist, the partition need not.
      if (!p) return status;
      if (p.name === defaultPartition) fail('DEFAULT_PARTITION', { action: 'deleted' });
      if (isPartitionLoaded(coll, p.id)) fail('PARTITION_LOADED', { name: p.name });
      data.droppingPartitions.add(p.id);
      try {
        await data.barrier();
        const del: string[] = [];
        for (const s of data.shards) for (const seg of s.segments()) if (seg.partitionId === p.id && seg.state === 'flushed') del.push(metaKeys.segment(coll.id, seg.id));
        const tombstones = await data.writeDropTombstones(p.id, this.tso.next());
        const put: Record<string, unknown> = {};
        for (const t of tombstones) put[metaKeys.l0(coll.id, t.id)] = t;
        const fresh = this.catalog.collectionById(coll.id)!;
        put[catalogKeys.collection(coll.id)] = { ...fresh, partitions: fresh.partitions.filter((x) => x.id !== p.id) };
        // A failed commit leaves the tombstone files: whether its journal record reached
        // the disk is unknown until the store heals, and files committed metadata names
        // must exist. The next open removes them if nothing names them.
        await this.catalog.commit({ put, del });
        data.addL0(tombstones);
        this.crashPoint?.('drop:committed');
        const files: string[] = [];
        for (const s of data.shards) for (const seg of s.dropPartition(p.id)) if (seg.file) files.push(seg.file);
        await data.removeFiles(files);
      } finally {
        data.droppingPartitions.delete(p.id);
      }
      return status;
    });
  }

  async hasPartition(req: PartitionReq): Promise<{ status: typeof status; value: boolean }> {
    // Both names' forms first, as Milvus checks them: a malformed one is an error, not "false".
    validateName('collection', this.requireObject(req).collection_name);
    validateName('partition', req.partition_name);
    const { coll, data } = this.live(req);
    const p = coll.partitions.find((x) => x.name === req.partition_name);
    return { status, value: p !== undefined && !data.droppingPartitions.has(p.id) };
  }

  async showPartitions(req: CollectionReq): Promise<{ status: typeof status; partition_names: string[]; partitionIDs: number[]; created_utc_timestamps: string[]; loadedPercentages: number[] }> {
    const { coll, data } = this.live(req);
    const ps = coll.partitions.filter((p) => !data.droppingPartitions.has(p.id));
    return {
      status,
      partition_names: ps.map((p) => p.name),
      partitionIDs: ps.map((p) => p.id),
      created_utc_timestamps: ps.map((p) => String(physicalOf(BigInt(p.createdTs)))),
      loadedPercentages: ps.map((p) => (isPartitionLoaded(coll, p.id) ? 100 : 0)),
    };
  }

  async getPartitionStatistics(req: PartitionReq): Promise<{ status: typeof status; stats: Array<{ key: string; value: string }>; data: { row_count: number } }> {
    const { coll, data } = this.live(req);
    const p = this.livePartition(coll, data, req.partition_name);
    await data.barrier();
    const at = this.tso.next();
    const rows = data.shards.reduce((n, s) => n + s.count(at, new Set([p.id])), 0);
    return { status, stats: [{ key: 'row_count', value: String(rows) }], data: { row_count: rows } };
  }

  // ---------------------------------------------------------------- aliases

  createAlias(req: CollectionReq & { alias: string }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      const alias = validateName('alias', req.alias);
      if (this.catalog.isCollectionName(coll.db, alias)) fail('ALIAS_CONFLICTS', { name: alias, what: 'collection', db: coll.db });
      const existing = this.catalog.alias(coll.db, alias);
      if (existing) {
        if (existing.collectionId === coll.id) return status;
        fail('ALIAS_ALREADY_EXISTS', { name: alias, db: coll.db, collection: this.catalog.collectionById(existing.collectionId)?.name ?? '?' });
      }
      await this.catalog.commit({ put: { [catalogKeys.alias(coll.db, alias)]: { db: coll.db, alias, collectionId: coll.id } } });
      return status;
    });
  }

  alterAlias(req: CollectionReq & { alias: string }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      const existing = this.catalog.alias(coll.db, req.alias);
      if (!existing) fail('ALIAS_NOT_FOUND', { name: req.alias, db: coll.db });
      await this.catalog.commit({ put: { [catalogKeys.alias(coll.db, req.alias)]: { db: coll.db, alias: req.alias, collectionId: coll.id } } });
      return status;
    });
  }

  dropAlias(req: DbScoped & { alias: string }): Promise<typeof status> {
    return this.ddl(async () => {
      const db = this.dbOf(this.requireObject(req));
      // Idempotent, as in Milvus: an alias (or database) that is not there is dropped already.
      if (!this.catalog.hasDatabase(db) || typeof req.alias !== 'string' || !this.catalog.alias(db, req.alias)) return status;
      await this.catalog.commit({ del: [catalogKeys.alias(db, req.alias)] });
      return status;
    });
  }

  async describeAlias(req: DbScoped & { alias: string }): Promise<{ status: typeof status; alias: string; collection: string; db_name: string }> {
    this.checkOpen();
    const db = this.dbOf(this.requireObject(req));
    validateName('alias', req.alias);
    this.catalog.database(db);
    const a = this.catalog.alias(db, req.alias);
    if (!a) fail('ALIAS_NOT_FOUND', { name: req.alias, db });
    return { status, alias: a.alias, collection: this.catalog.collectionById(a.collectionId)!.name, db_name: db };
  }

  async listAliases(req: DbScoped & { collection_name?: string } = {}): Promise<{ status: typeof status; aliases: string[] }> {
    this.checkOpen();
    const db = this.dbOf(req);
    this.catalog.database(db);
    const id = req.collection_name === undefined ? undefined : this.catalog.collection(db, req.collection_name).id;
    return { status, aliases: this.catalog.listAliases(db, id).map((a) => a.alias) };
  }

  // ---------------------------------------------------------------- load / release

  loadCollection(req: CollectionReq): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      if (coll.loaded && coll.loadedPartitions.length === 0) return status;
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, loaded: true, loadedPartitions: [] } } });
      return status;
    });
  }

  /** Loading is immediate here (all data is in memory), so the sync form is the same. */
  loadCollectionSync(req: CollectionReq): Promise<typeof status> {
    return this.loadCollection(req);
  }

  releaseCollection(req: CollectionReq): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, loaded: false, loadedPartitions: [] } } });
      return status;
    });
  }

  loadPartitions(req: CollectionReq & { partition_names: string[] }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll, data } = this.live(req);
      const ids = this.partitionIds(coll, data, req.partition_names);
      if (coll.loaded && coll.loadedPartitions.length === 0) return status;
      const loadedPartitions = [...new Set([...(coll.loaded ? coll.loadedPartitions : []), ...ids])];
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, loaded: true, loadedPartitions } } });
      return status;
    });
  }

  releasePartitions(req: CollectionReq & { partition_names: string[] }): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll, data } = this.live(req);
      const ids = new Set(this.partitionIds(coll, data, req.partition_names));
      if (!coll.loaded) return status;
      const before = coll.loadedPartitions.length === 0 ? coll.partitions.map((p) => p.id) : coll.loadedPartitions;
      const loadedPartitions = before.filter((id) => !ids.has(id));
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, loaded: loadedPartitions.length > 0, loadedPartitions } } });
      return status;
    });
  }

  private partitionIds(coll: CollectionMeta, data: CollectionData, names: unknown): number[] {
    if (!Array.isArray(names) || names.length === 0) fail('INVALID_ARGUMENT', { detail: 'partition_names must be a non-empty array' });
    return names.map((n) => this.livePartition(coll, data, String(n)).id);
  }

  async getLoadState(req: CollectionReq & { partition_names?: string[] }): Promise<{ status: typeof status; state: 'LoadStateNotLoad' | 'LoadStateLoaded' }> {
    const { coll, data } = this.live(req);
    const ids = req.partition_names?.length ? this.partitionIds(coll, data, req.partition_names) : undefined;
    const loaded = ids ? ids.every((id) => isPartitionLoaded(coll, id)) : coll.loaded;
    return { status, state: loaded ? 'LoadStateLoaded' : 'LoadStateNotLoad' };
  }

  async getLoadingProgress(req: CollectionReq & { partition_names?: string[] }): Promise<{ status: typeof status; progress: number }> {
    const s = await this.getLoadState(req);
    return { status, progress: s.state === 'LoadStateLoaded' ? 100 : 0 };
  }

  // ---------------------------------------------------------------- indexes
  //
  // Index specifications, recorded and validated as Milvus does (engine/indexes.ts,
  // catalog/indexes.ts); every change is one catalog commit in the coordinator queue.
  // Vector index structures are built per flushed segment in the background
  // (vector-indexes.ts); progress counts the rows of flushed segments whose index is
  // ready. Scalar indexes are built per segment on first use by the filter executor.

  /**
   * Records an index on a field (on a JSON field, on one path of it). The same definition
   * again succeeds; another one in the same place is INDEX_NOT_DISTINCT (same name) or
   * INDEX_FIELD_HAS_INDEX (another name), as Milvus refuses them.
   */
  createIndex(req: CreateIndexReq | CreateIndexReq[]): Promise<typeof status> {
    if (Array.isArray(req)) {
      // The SDK accepts a list and sends one request per index; so do we, in order.
      return (async () => {
        for (const r of req) await this.createIndex(r);
        return status;
      })();
    }
    return this.ddl(async () => {
      const { coll } = this.live(req);
      const plan = planCreateIndex(coll, req);
      if (plan.kind === 'exists') return status;
      const index: IndexMeta = {
        indexId: this.ids.next(),
        indexName: plan.name,
        fieldId: plan.field.fieldId,
        fieldName: plan.field.name,
        indexType: plan.spec.indexType,
        ...(plan.spec.metricType !== undefined ? { metricType: plan.spec.metricType } : {}),
        params: plan.spec.params,
        ...(plan.jsonPath !== undefined ? { jsonPath: plan.jsonPath, jsonCastType: plan.spec.jsonCastType! } : {}),
        createdTs: this.tso.next().toString(),
      };
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, indexes: [...indexesOf(coll), index] } } });
      this.vindex.schedule();
      this.interim.schedule();
      return status;
    });
  }

  async describeIndex(req: IndexReq): Promise<{ status: typeof status; index_descriptions: IndexDescription[] }> {
    const { coll, data } = this.live(req);
    const found = selectIndexes(coll, req);
    return { status, index_descriptions: found.map((i) => describeIndexRow(i, this.vindex.progress(coll, data, i))) };
  }

  /** Milvus's GetIndexStatistics answers with the same descriptions as DescribeIndex. */
  getIndexStatistics(req: IndexReq): Promise<{ status: typeof status; index_descriptions: IndexDescription[] }> {
    return this.describeIndex(req);
  }

  async listIndexes(req: CollectionReq & { field_name?: string }): Promise<{ status: typeof status; indexes: string[] }> {
    const { coll } = this.live(req);
    const fieldName = req.field_name;
    return { status, indexes: indexesOf(coll).filter((i) => !fieldName || i.fieldName === fieldName || reportedFieldName(i) === fieldName).map((i) => i.indexName) };
  }

  async hasIndex(req: IndexReq): Promise<{ status: typeof status; value: boolean }> {
    const { coll } = this.live(req);
    return { status, value: matchIndexes(coll, req).length > 0 };
  }

  /** Finished once every flushed segment has the index; Failed when a build failed (the reason says why). */
  async getIndexState(req: IndexReq): Promise<{ status: typeof status; state: IndexState; fail_reason: string }> {
    const { coll, data } = this.live(req);
    const found = selectIndexes(coll, req);
    const rows = found.map((i) => describeIndexRow(i, this.vindex.progress(coll, data, i)));
    const failed = rows.find((r) => r.state === 'Failed');
    if (failed) return { status, state: 'Failed', fail_reason: failed.index_state_fail_reason };
    return { status, state: rows.every((r) => r.state === 'Finished') ? 'Finished' : 'InProgress', fail_reason: '' };
  }

  async getIndexBuildProgress(req: IndexReq): Promise<{ status: typeof status; indexed_rows: number; total_rows: number; pending_index_rows: number }> {
    const { coll, data } = this.live(req);
    const found = selectIndexes(coll, req);
    let indexed = 0;
    let total = 0;
    for (const i of found) {
      const p = this.vindex.progress(coll, data, i);
      indexed += p.indexedRows;
      total += p.totalRows;
    }
    return { status, indexed_rows: indexed, total_rows: total, pending_index_rows: total - indexed };
  }

  /**
   * Drops the named index (by index_name or field_name; with neither, the collection's only
   * index). As in Milvus, dropping an index that does not exist succeeds, and a vector
   * field's index cannot be dropped while the collection is loaded.
   */
  dropIndex(req: IndexReq): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      const targets = matchIndexes(coll, req);
      if (targets.length === 0) return status;
      if (targets.length > 1) fail('INVALID_ARGUMENT', { detail: `collection "${coll.name}" has ${targets.length} indexes (${targets.map((i) => i.indexName).join(', ')}); say which with index_name` });
      const index = targets[0]!;
      if (coll.loaded && isVectorIndex(coll, index)) fail('VECTOR_INDEX_LOADED', { id: coll.id, name: coll.name, index: index.indexName });
      await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, indexes: indexesOf(coll).filter((i) => i.indexId !== index.indexId) } } });
      await this.vindex.forgetIndex(coll.id, index.indexId);
      return status;
    });
  }

  /** Sets index properties (mmap.enabled); build parameters cannot change. Refused while loaded, as in Milvus. */
  alterIndex(req: AlterIndexReq): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      const index = findIndexByName(coll, req.index_name);
      const given = req.params ?? req.properties;
      if (typeof given !== 'object' || given === null || Array.isArray(given) || Object.keys(given).length === 0) {
        fail('INVALID_ARGUMENT', { detail: `params must be an object of index properties (${Object.keys(indexPropertyRules).join(', ')})` });
      }
      const params = { ...index.params };
      for (const [k, v] of Object.entries(given)) params[k] = normalizeIndexProperty(index, k, v);
      if (coll.loaded) fail('COLLECTION_LOADED', { name: coll.name, action: `altering index "${index.indexName}"` });
      await this.commitIndex(coll, { ...index, params });
      return status;
    });
  }

  /** The SDK's name for alterIndex. */
  alterIndexProperties(req: AlterIndexReq): Promise<typeof status> {
    return this.alterIndex(req);
  }

  /** Removes index properties (mmap.enabled), returning them to their defaults. */
  dropIndexProperties(req: DropIndexPropertiesReq): Promise<typeof status> {
    return this.ddl(async () => {
      const { coll } = this.live(req);
      const index = findIndexByName(coll, req.index_name);
      if (!Array.isArray(req.properties) || req.properties.length === 0) fail('INVALID_ARGUMENT', { detail: 'properties must be a non-empty array of property names' });
      const params = { ...index.params };
      for (const k of req.properties) {
        requireIndexProperty(index, String(k));
        delete params[String(k)];
      }
      if (coll.loaded) fail('COLLECTION_LOADED', { name: coll.name, action: `altering index "${index.indexName}"` });
      await this.commitIndex(coll, { ...index, params });
      return status;
    });
  }

  private async commitIndex(coll: CollectionMeta, index: IndexMeta): Promise<void> {
    const indexes = indexesOf(coll).map((i) => (i.indexId === index.indexId ? index : i));
    await this.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, indexes } } });
  }

  /** Rows an index covers: every visible row, at a timestamp after all acknowledged writes. */
  /** Vector index builds and loads so far, and the memory the ready indexes hold. */
  vectorIndexStats(): { built: number; loaded: number; failed: number; discarded: number; memoryBytes: number; interim: { chunks: number; built: number; failed: number; dropped: number; memoryBytes: number } } {
    return {
      ...this.vindex.stats,
      memoryBytes: this.vindex.memoryBytes(),
      interim: { chunks: this.interim.chunkCount(), ...this.interim.stats, memoryBytes: this.interim.memoryBytes() },
    };
  }

  /** Waits until every vector index build or load scheduled so far is done (tests, tools, benchmarks). */
  async waitForIndexes(): Promise<{ built: number; loaded: number; failed: number; discarded: number }> {
    await this.interim.idle();
    await this.vindex.idle();
    await this.interim.idle();
    return { ...this.vindex.stats };
  }

  // ---------------------------------------------------------------- writes

  async insert(req: InsertReq): Promise<{ status: typeof status; succ_index: number[]; err_index: number[]; IDs: { int_id: { data: Array<number | string> } } | { str_id: { data: string[] } }; insert_cnt: number; timestamp: string }> {
    const r = await this.write(req, false);
    return { status, succ_index: r.ids.map((_, i) => i), err_index: [], IDs: r.idsOut, insert_cnt: r.ids.length, timestamp: r.ts.toString() };
  }

  async upsert(req: InsertReq): Promise<{ status: typeof status; succ_index: number[]; err_index: number[]; IDs: { int_id: { data: Array<number | string> } } | { str_id: { data: string[] } }; upsert_cnt: number; timestamp: string }> {
    const r = await this.write(req, true);
    return { status, succ_index: r.ids.map((_, i) => i), err_index: [], IDs: r.idsOut, upsert_cnt: r.ids.length, timestamp: r.ts.toString() };
  }

  /**
   * Validates, then — in one synchronous step — checks the catalog, takes a timestamp and
   * submits one record per shard. Acknowledged once every record is durable and applied.
   */
  private async write(req: InsertReq, upsert: boolean) {
    const { coll, data } = this.live(req);
    const rows = req.data ?? req.fields_data ?? (req.columns ? columnsToRows(req.columns) : undefined);
    const keyField = coll.schema.fields.find((f) => f.isPartitionKey);
    if (keyField && req.partition_name !== undefined) fail('PARTITION_KEY_MODE', { collection: coll.name });
    const partition = keyField ? undefined : this.livePartition(coll, data, req.partition_name ?? defaultPartition);
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    if (upsert && pkField.autoId) {
      for (const [i, row] of (Array.isArray(rows) ? rows : []).entries()) {
        if (row && typeof row === 'object' && !(pkField.name in row)) fail('MISSING_FIELD', { field: pkField.name, row: i });
      }
    }
    const batch = validateRows(coll, rows, { upsert, autoIds: (n) => Array.from({ length: n }, () => this.tso.next()) });
    const keyIndex = keyField ? coll.schema.fields.indexOf(keyField) : -1;
    const ts = this.tso.next();
    const shardOf = shardRouter(data.shards.length);
    const byShard: number[][] = data.shards.map(() => []);
    for (let i = 0; i < batch.count; i++) byShard[shardOf(batch.pks[i]!)]!.push(i);
    const prepared: Array<{ shard: number; record: PreparedRecord }> = [];
    for (let s = 0; s < byShard.length; s++) {
      const rowsOf = byShard[s]!;
      if (rowsOf.length === 0) continue;
      const sub = rowsOf.length === batch.count ? batch : subsetBatch(batch, rowsOf);
      let rowPartitions: Int32Array | undefined;
      if (keyField) {
        const values = sub.columns[keyIndex]!.values;
        rowPartitions = Int32Array.from({ length: sub.count }, (_, i) => coll.partitions[partitionIndex(values, i, coll.partitions.length)]!.id);
      }
      const record: InsertRecord = { kind: 'insert', ts, count: sub.count, columns: sub.columns, pks: sub.pks, partitionId: partition?.id ?? -1, rowPartitions };
      prepared.push({ shard: s, record: data.shards[s]!.prepare(record) });
    }
    // Every record is encoded and within the log's limit before the first is submitted.
    await Promise.all(prepared.map((p) => data.shards[p.shard]!.submit(p.record)));
    const ids = batch.pks;
    const idsOut = pkField.type === DataType.Int64
      ? { int_id: { data: ids.slice() } }
      : { str_id: { data: ids.map(String) } };
    return { ids, idsOut, ts };
  }

  async delete(req: DeleteReq): Promise<{ status: typeof status; delete_cnt: number; timestamp: string }> {
    const { coll, data } = this.live(req);
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    let keys: PkKey[];
    if (req.ids !== undefined) {
      if (!Array.isArray(req.ids)) fail('INVALID_ARGUMENT', { detail: 'ids must be an array' });
      keys = req.ids.map((v) => pkKeyOf(pkField, v));
    } else {
      const f = resolveFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), coll.indexes);
      if (f.kind === 'all') fail('INVALID_ARGUMENT', { detail: 'delete needs ids or a filter; to remove every row, drop or truncate the collection' });
      if (f.kind === 'keys') keys = f.values.map((v) => pkKeyOf(pkField, v));
      else {
        // Delete by expression is "find the matching keys, delete them": every write
        // submitted before is applied first, then matching and submitting happen in one
        // synchronous step, so no write can slip between what was matched and the delete.
        const partitionId = req.partition_name === undefined ? undefined : this.livePartition(coll, data, req.partition_name).id;
        await data.barrier();
        return this.deleteMatching(req, f.test, partitionId);
      }
    }
    const partition = req.partition_name === undefined ? undefined : this.livePartition(coll, data, req.partition_name);
    keys = [...new Set(keys)];
    // Count what this delete will hide, as Milvus reports it, at the moment it is submitted.
    const ts = this.tso.next();
    const shardOf = shardRouter(data.shards.length);
    const byShard: PkKey[][] = data.shards.map(() => []);
    for (const k of keys) byShard[shardOf(k)]!.push(k);
    const prepared: Array<{ shard: number; record: PreparedRecord }> = [];
    for (let s = 0; s < byShard.length; s++) {
      if (byShard[s]!.length === 0) continue;
      prepared.push({ shard: s, record: data.shards[s]!.prepare({ kind: 'delete', ts, pks: byShard[s]!, partitionId: partition?.id ?? -1 }) });
    }
    await Promise.all(prepared.map((p) => data.shards[p.shard]!.submit(p.record)));
    return { status, delete_cnt: keys.length, timestamp: ts.toString() };
  }

  /** The second half of a delete by expression; see delete(). No await before the submits. */
  private async deleteMatching(req: DeleteReq, test: (seg: Segment, row: number) => boolean, partitionId: number | undefined) {
    const { data } = this.live(req);
    const at = this.collectionSafeTs(data);
    const ts = this.tso.next();
    let count = 0;
    const prepared: Array<{ shard: Shard; record: PreparedRecord }> = [];
    for (const shard of data.shards) {
      const pks: PkKey[] = [];
      for (const seg of shard.segments()) {
        if (partitionId !== undefined && seg.partitionId !== partitionId) continue;
        for (let r = 0; r < seg.rowCount; r++) if (seg.visible(r, at) && test(seg, r)) pks.push(seg.pks[r]!);
      }
      count += pks.length;
      if (pks.length > 0) prepared.push({ shard, record: shard.prepare({ kind: 'delete', ts, pks, partitionId: partitionId ?? -1 }) });
    }
    await Promise.all(prepared.map((p) => p.shard.submit(p.record)));
    return { status, delete_cnt: count, timestamp: ts.toString() };
  }

  // ---------------------------------------------------------------- flush & compaction

  async flush(req: DbScoped & { collection_names: string[] }): Promise<{ status: typeof status; coll_segIDs: Record<string, { data: number[] }> }> {
    this.checkOpen();
    const names = this.requireObject(req).collection_names;
    if (!Array.isArray(names) || names.length === 0) fail('INVALID_ARGUMENT', { detail: 'collection_names must be a non-empty array' });
    const targets = names.map((n) => ({ name: n, ...this.live({ collection_name: n, db_name: req.db_name }) }));
    const out: Record<string, { data: number[] }> = {};
    for (const t of targets) {
      await this.guardDrop(t.data, t.name, this.dbOf(req), () => t.data.flush());
      out[t.name] = { data: t.data.shards.flatMap((s) => s.segments().filter((x) => x.state === 'flushed').map((x) => x.id)) };
    }
    return { status, coll_segIDs: out };
  }

  /** Flush returns once the data is flushed, so the sync form is the same. */
  flushSync(req: DbScoped & { collection_names: string[] }) {
    return this.flush(req);
  }

  async compact(req: CollectionReq): Promise<{ status: typeof status; compactionID: number; merged: number; removedRows: number }> {
    const { data } = this.live(req);
    const r = await this.guardDrop(data, req.collection_name, this.dbOf(req), () => data.compact());
    return { status, compactionID: this.ids.next(), ...r };
  }

  /** Turns failures of work that raced a drop into the drop's coded error. */
  private async guardDrop<T>(data: CollectionData, name: string, db: string, work: () => Promise<T>): Promise<T> {
    try {
      const r = await work();
      if (data.state !== 'ready') fail('COLLECTION_NOT_FOUND', { name, db });
      return r;
    } catch (e) {
      if (data.state !== 'ready') fail('COLLECTION_NOT_FOUND', { name, db });
      throw e;
    }
  }

  // ---------------------------------------------------------------- reads

  /**
   * Pins what a read sees: a timestamp and the segments. Strong waits for every write
   * submitted before it; Bounded waits only for writes older than boundedStalenessMs;
   * Session and Eventually read what is applied (a client's own acknowledged writes
   * are always applied, so Session is read-your-writes).
   */
  private async readView(req: ReadReq, partitionNames: string[] | undefined, pinnedAt?: bigint) {
    const { coll, data } = this.live(req);
    if (!coll.loaded) fail('COLLECTION_NOT_LOADED', { name: coll.name });
    let partitions: Set<number> | undefined;
    if (partitionNames && partitionNames.length > 0) {
      partitions = new Set(partitionNames.map((n) => {
        const p = this.livePartition(coll, data, String(n));
        if (!isPartitionLoaded(coll, p.id)) fail('PARTITION_NOT_LOADED', { name: p.name, collection: coll.name });
        return p.id;
      }));
    } else if (coll.loadedPartitions.length > 0) {
      partitions = new Set(coll.loadedPartitions);
    }
    const level = req.consistency_level ?? coll.consistencyLevel;
    if (!consistencyLevels.includes(level as ConsistencyLevel)) fail('INVALID_ARGUMENT', { detail: `consistency_level must be one of ${consistencyLevels.join(', ')}` });
    let at: bigint;
    if (pinnedAt !== undefined) {
      at = pinnedAt;
    } else if (level === 'Strong' || (level === 'Bounded' && this.staleBeyondBound(data))) {
      at = this.tso.next();
      await data.barrier();
      // The collection may have been dropped while we waited.
      this.live(req);
    } else {
      at = this.collectionSafeTs(data);
    }
    return { coll, data, at, partitions, segments: data.shards.flatMap((s) => s.segments()) };
  }

  private staleBeyondBound(data: CollectionData): boolean {
    const now = this.clock.now();
    return data.shards.some((s) => {
      const t = s.oldestInFlightTs();
      return t !== undefined && now - physicalOf(t) >= this.limits.boundedStalenessMs;
    });
  }

  private collectionSafeTs(data: CollectionData): bigint {
    let at = this.tso.last();
    for (const s of data.shards) {
      const t = s.oldestInFlightTs();
      if (t !== undefined && t - 1n < at) at = t - 1n;
    }
    return at;
  }

  private globalSafeTs(): bigint {
    let at = this.tso.last();
    for (const d of this.data.values()) {
      const t = this.collectionSafeTs(d);
      if (t < at) at = t;
    }
    const now = this.clock.now();
    for (const [id, pin] of this.pins) {
      // An iterator left unfinished and unused past its lease no longer holds rows back.
      if (now - pin.lastUsedMs > iteratorLeaseMs) this.pins.delete(id);
      else if (pin.ts < at) at = pin.ts;
    }
    for (const [token, it] of this.searchIters) if (!this.pins.has(it.pin)) this.searchIters.delete(token);
    return at;
  }

  async query(req: QueryReq): Promise<{ status: typeof status; data: Array<Record<string, unknown>> }> {
    // Milvus checks a query's collection name before it looks it up (a search does not).
    validateName('collection', this.requireObject(req).collection_name);
    return this.queryAt(req, undefined, undefined);
  }

  /**
   * The filter's plan (query/exec/explain.ts): the checked tree with each leaf's access
   * path (index, scan or row-by-row) and the index estimates over the current segments.
   */
  async explain(req: CollectionReq & { filter?: string; expr?: string; exprValues?: unknown; expr_params?: unknown }): Promise<{ status: typeof status; plan: string }> {
    this.requireObject(req);
    const { coll, data } = this.live(req);
    const text = req.filter ?? req.expr ?? '';
    if (typeof text !== 'string') fail('INVALID_ARGUMENT', { detail: 'filter must be a string' });
    const plan = explainFilter(coll.schema, text, exprParamsOf(req), coll.indexes, data.shards.flatMap((s) => s.segments()));
    return { status, plan };
  }

  /**
   * A query iterator (the OLAP path): pages of up to `batchSize` rows in primary-key
   * order, all read at ONE pinned snapshot, so a long scan sees neither rows written
   * after it began nor any row twice, while writes, flushes and compactions go on.
   * The pin holds compaction back until the iterator ends, is closed, or sits unused
   * past its lease (then its next page fails with TIMEOUT).
   */
  async queryIterator(req: QueryReq & { batchSize?: number }): Promise<AsyncIterableIterator<Array<Record<string, unknown>>> & { readonly snapshotTs: string; close(): void }> {
    this.requireObject(req);
    const batchSize = optionalCount('batchSize', req.batchSize) ?? 1000;
    if (batchSize < 1 || batchSize > this.limits.resultRowsMax) fail('INVALID_ARGUMENT', { detail: `batchSize must be in [1, ${this.limits.resultRowsMax}]` });
    const total = optionalCount('limit', req.limit) ?? Infinity;
    const view = await this.readView(req, req.partition_names);
    const pkField = view.coll.schema.fields.find((f) => f.isPrimary)!;
    const pin = this.nextPin++;
    this.pins.set(pin, { ts: view.at, lastUsedMs: this.clock.now() });
    let after: PkKey | undefined;
    const it = pagedIterator(total, async (remaining) => {
      const p = this.pins.get(pin);
      if (!p) fail('TIMEOUT', { what: 'query iterator (unused past its lease)', ms: iteratorLeaseMs });
      p.lastUsedMs = this.clock.now();
      const { data } = await this.queryAt({ ...req, limit: Math.min(batchSize, remaining), offset: 0 }, view.at, after);
      if (data.length > 0) after = pkKeyOf(pkField, data[data.length - 1]![pkField.name]);
      return data;
    }, () => this.pins.delete(pin));
    return Object.assign(it, { snapshotTs: view.at.toString() });
  }

  private async queryAt(req: QueryReq, pinnedAt: bigint | undefined, after: PkKey | undefined): Promise<{ status: typeof status; data: Array<Record<string, unknown>> }> {
    this.requireObject(req);
    const limit = optionalCount('limit', req.limit);
    const offset = optionalCount('offset', req.offset) ?? 0;
    if (limit !== undefined && limit + offset > this.limits.resultRowsMax) fail('LIMIT_EXCEEDED', { what: 'query result', detail: `offset + limit must be at most ${this.limits.resultRowsMax}` });
    const view = await this.readView(req, req.partition_names, pinnedAt);
    const { coll, at, partitions, segments } = view;
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    const filter = req.ids !== undefined
      ? { kind: 'keys' as const, values: req.ids as unknown[] }
      : resolveFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), coll.indexes);
    const outputs = req.output_fields ?? [];
    // Checked before the count(*) test below reads them as strings (else a TypeError, not a coded error).
    if (!Array.isArray(outputs) || outputs.some((o) => typeof o !== 'string')) fail('INVALID_ARGUMENT', { detail: 'output_fields must be an array of strings' });
    const counting = outputs.some((o) => o.replace(/\s/g, '').toLowerCase() === 'count(*)');
    if (counting) {
      if (outputs.length > 1) fail('INVALID_ARGUMENT', { detail: 'count(*) cannot be combined with other output fields' });
      let n = 0;
      if (filter.kind === 'all') {
        for (const s of view.data.shards) n += s.count(at, partitions);
      } else if (filter.kind === 'keys') {
        n = this.lookup(view.data, pkField, filter.values as unknown[], at, partitions).length;
      } else {
        for (const seg of segments) {
          if (partitions && !partitions.has(seg.partitionId)) continue;
          const bits = filter.bits(seg);
          const rows = Math.min(seg.rowCount, bits.length);
          for (let r = 0; r < rows; r++) if (bits[r] === 1 && seg.visible(r, at)) n++;
        }
      }
      return { status, data: [{ 'count(*)': n }] };
    }
    if (filter.kind === 'all' && limit === undefined) fail('INVALID_ARGUMENT', { detail: 'a query without a filter needs a limit' });
    // As in search: `emit` below stores a row before it compares with the limit, so a
    // limit of 0 would return one row.
    if (limit === 0) fail('INVALID_ARGUMENT', { detail: 'limit must be at least 1' });
    const plan = planOutput(coll.schema, coll.name, outputs);
    // Results come in primary-key order, as Milvus returns them (its reduce merges by key):
    // the SDK's query iterator pages with `pk > last` and relies on it. Only the first
    // offset + limit keys are kept while scanning.
    const want = limit === undefined ? Infinity : offset + limit;
    const byKey = pkOrder(pkField.type === DataType.Int64);
    const matches = new KeyHeap<{ seg: Segment; row: number }>(want, (a, b) => byKey(a.seg.pks[a.row]!, b.seg.pks[b.row]!));
    if (after !== undefined) {
      // An iterator's next page: only keys after the last one it returned.
      const push = matches.push.bind(matches);
      matches.push = (m) => {
        if (byKey(m.seg.pks[m.row]!, after) > 0) push(m);
      };
    }
    if (filter.kind === 'keys') {
      for (const loc of this.lookup(view.data, pkField, filter.values as unknown[], at, partitions)) matches.push(loc);
    } else {
      for (const seg of segments) {
        if (partitions && !partitions.has(seg.partitionId)) continue;
        const bits = filter.kind === 'predicate' ? filter.bits(seg) : undefined;
        const rows = bits ? Math.min(seg.rowCount, bits.length) : seg.rowCount;
        for (let r = 0; r < rows; r++) if ((!bits || bits[r] === 1) && seg.visible(r, at)) matches.push({ seg, row: r });
      }
    }
    const kept = matches.sorted().slice(offset);
    checkResultBytes(plan, kept, this.limits.resultBytesMax);
    return { status, data: kept.map((m) => rowObject(plan, m.seg, m.row)) };
  }

  /** Rows visible at `at` with the given keys: through the key index when reading the latest state, else by scan. */
  private lookup(data: CollectionData, pkField: CollectionSchema['fields'][number], values: unknown[], at: bigint, partitions: ReadonlySet<number> | undefined): Array<{ seg: Segment; row: number }> {
    if (!Array.isArray(values)) fail('INVALID_ARGUMENT', { detail: 'ids must be an array' });
    const keys = new Set(values.map((v) => pkKeyOf(pkField, v)));
    const shardOf = shardRouter(data.shards.length);
    const out: Array<{ seg: Segment; row: number }> = [];
    for (const k of keys) {
      const shard = data.shards[shardOf(k)]!;
      const loc = shard.pkIndex.get(k);
      if (loc && loc.seg.visible(loc.row, at)) {
        if (!partitions || partitions.has(loc.seg.partitionId)) out.push(loc);
        continue;
      }
      // The live row is newer than `at` (or gone): an older version may be the one visible at `at`.
      for (const seg of shard.segments()) {
        if (partitions && !partitions.has(seg.partitionId)) continue;
        for (let r = 0; r < seg.rowCount; r++) {
          if (seg.pks[r] === k && seg.visible(r, at)) out.push({ seg, row: r });
        }
      }
    }
    return out;
  }

  async get(req: GetReq): Promise<{ status: typeof status; data: Array<Record<string, unknown>> }> {
    this.requireObject(req);
    if (!Array.isArray(req.ids)) fail('INVALID_ARGUMENT', { detail: 'ids must be an array' });
    return this.query({ ...req, ids: req.ids, output_fields: req.output_fields ?? ['*'] });
  }

  async count(req: ReadReq & { filter?: string }): Promise<{ status: typeof status; data: number }> {
    const r = await this.query({ ...req, output_fields: ['count(*)'] });
    return { status, data: r.data[0]!['count(*)'] as number };
  }

  /**
   * Vector search. With `params.iterator` (the SDK's searchIterator sends it, with
   * search_iter_v2, search_iter_id and search_iter_batch_size) it returns one batch of
   * an iterator over a pinned snapshot, nearest first, and a token for the next batch.
   */
  async search(req: SearchReq): Promise<{
    status: typeof status;
    results: Array<Record<string, unknown>> | Array<Array<Record<string, unknown>>>;
    search_iterator_v2_results?: { token: string; last_bound: number };
    session_ts?: string;
  }> {
    this.requireObject(req);
    const limit = optionalCount('limit', req.limit ?? req.topk) ?? 10;
    const offset = optionalCount('offset', req.offset) ?? 0;
    if (limit < 1) fail('INVALID_ARGUMENT', { detail: 'limit must be at least 1' });
    if (limit + offset > searchTopKMax) fail('LIMIT_EXCEEDED', { what: 'search topk', detail: `offset + limit must be at most ${searchTopKMax}` });
    const { coll } = this.live(req);
    const vectorFields = coll.schema.fields.filter((f) => isVector(f.type));
    let field = vectorFields[0]!;
    if (req.anns_field !== undefined) {
      const f = coll.schema.fields.find((x) => x.name === req.anns_field);
      if (!f) fail('FIELD_NOT_FOUND', { field: req.anns_field, collection: coll.name });
      if (!isVector(f.type)) fail('INVALID_ARGUMENT', { detail: `anns_field "${f.name}" is ${dataTypeName(f.type)}, not a vector field` });
      field = f;
    } else if (vectorFields.length > 1) {
      fail('INVALID_ARGUMENT', { detail: `the collection has ${vectorFields.length} vector fields; say which one with anns_field` });
    }
    const metric = searchMetric(coll, field, req.metric_type ?? (req.params as { metric_type?: unknown } | undefined)?.metric_type);
    const raw = req.data ?? req.vectors ?? req.vector;
    const queries = prepareQueries(field, raw);
    if (queries.length > nqMax) fail('LIMIT_EXCEEDED', { what: 'nq', detail: `at most ${nqMax} query vectors` });
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    const filter = resolveFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), coll.indexes);
    const plan = planOutput(coll.schema, coll.name, req.output_fields ?? [], { includeVectorsByDefault: false });
    const params = parseSearchParams(req.params, req as unknown as Record<string, unknown>, offset + limit);
    if (params.radius !== undefined) checkRange(metric, params.radius, params.rangeFilter);
    const groupField = params.groupByField === undefined ? undefined
      : checkGroupField(coll.schema.fields.find((f) => f.name === params.groupByField && !f.isDynamic), params.groupByField, coll.name);
    if (groupField && params.radius !== undefined) fail('INVALID_ARGUMENT', { detail: 'a search cannot both group (group_by_field) and use a range (radius)' });
    const iter = searchIteratorParams(req.params);
    let iterState: SearchIterState | undefined;
    if (iter) {
      if (groupField) fail('INVALID_ARGUMENT', { detail: 'a search iterator cannot group (group_by_field)' });
      if (queries.length !== 1) fail('INVALID_ARGUMENT', { detail: `a search iterator takes exactly one query vector, got ${queries.length}` });
      if (offset !== 0) fail('INVALID_ARGUMENT', { detail: 'a search iterator takes no offset' });
      if (iter.token !== undefined) {
        iterState = this.searchIters.get(iter.token);
        const pin = iterState ? this.pins.get(iterState.pin) : undefined;
        if (!iterState || !pin) {
          if (iterState) this.searchIters.delete(iter.token);
          fail('TIMEOUT', { what: `search iterator ${JSON.stringify(iter.token)} (unknown, or unused past its lease)`, ms: iteratorLeaseMs });
        }
        pin.lastUsedMs = this.clock.now();
      }
    }
    const view = await this.readView(req, req.partition_names, iterState ? this.pins.get(iterState.pin)!.ts : undefined);
    let keyTest: ((seg: Segment, row: number) => boolean) | undefined;
    if (filter.kind === 'keys') {
      const keys = new Set(filter.values.map((v) => pkKeyOf(pkField, v)));
      keyTest = (seg, row) => keys.has(seg.pks[row]!);
    }
    const fieldIndex = coll.schema.fields.indexOf(field);
    const spec: VectorSearchSpec = {
      field, fieldIndex, metric, queries, k: offset + limit, at: view.at, partitions: view.partitions, filter, keyTest, params,
      indexOf: (seg) => this.vindex.lookup(coll, field, seg),
      interimOf: (seg) => this.interim.lookup(coll, field, seg),
    };
    let results: Array<Array<Record<string, unknown>>>;
    const hitRow = (h: SearchHit) => {
      const row = rowObject(plan, h.seg, h.row);
      return { ...row, id: row[pkField.name], score: h.score };
    };
    if (iter) {
      if (!iterState) {
        const pin = this.nextPin++;
        this.pins.set(pin, { ts: view.at, lastUsedMs: this.clock.now() });
        iterState = { pin, bound: undefined, ties: new Set() };
        this.searchIters.set(String(pin), iterState);
      }
      const batch = await searchIteratorStep(view.segments, spec, iterState, limit);
      checkResultBytes(plan, batch, this.limits.resultBytesMax, hitOverheadBytes);
      return {
        status,
        results: batch.map(hitRow),
        search_iterator_v2_results: { token: String(iterState.pin), last_bound: iterState.bound ?? 0 },
        session_ts: view.at.toString(),
      };
    }
    if (groupField) {
      const grouped = await groupingSearch(view.segments, spec, coll.schema.fields.indexOf(groupField), offset + limit, params.groupSize, params.strictGroupSize);
      checkResultBytes(plan, grouped.flat(), this.limits.resultBytesMax, hitOverheadBytes);
      // offset and limit count groups.
      results = grouped.map((list) => {
        const seen: unknown[] = [];
        return list.filter((h) => {
          let i = seen.indexOf(h.group);
          if (i < 0) i = seen.push(h.group) - 1;
          return i >= offset;
        }).map((h) => ({ ...hitRow(h), [groupField.name]: h.group }));
      });
    } else {
      const r = params.radius !== undefined ? await vectorRangeSearch(view.segments, spec) : await vectorSearch(view.segments, spec);
      const kept = r.hits.map((list) => list.slice(offset));
      checkResultBytes(plan, kept.flat(), this.limits.resultBytesMax, hitOverheadBytes);
      results = kept.map((list) => list.map(hitRow));
    }
    return { status, results: queries.length === 1 && !isBatch(raw) ? results[0]! : results };
  }

  /**
   * Batches of one search, nearest first, over one pinned snapshot (as the SDK's
   * searchIterator): each visible row matching the filter comes once, in order, until
   * `limit` rows or the rows run out. Writes after the first batch are not seen.
   */
  async searchIterator(req: SearchReq & { batchSize?: number }): Promise<AsyncIterableIterator<Array<Record<string, unknown>>> & { close(): void }> {
    this.requireObject(req);
    const batchSize = optionalCount('batchSize', req.batchSize) ?? 1000;
    if (batchSize < 1 || batchSize > searchTopKMax) fail('INVALID_ARGUMENT', { detail: `batchSize must be in [1, ${searchTopKMax}]` });
    const total = optionalCount('limit', req.limit) ?? Infinity;
    let token: string | undefined;
    const release = () => {
      const it = token === undefined ? undefined : this.searchIters.get(token);
      if (it) {
        this.pins.delete(it.pin);
        this.searchIters.delete(token!);
      }
    };
    // The first batch runs now, so that a bad request fails here and the snapshot is taken at the call.
    let pending: Awaited<ReturnType<Elanus['search']>> | undefined = await this.search({
      ...req, limit: Math.min(batchSize, total), offset: 0, params: { ...req.params, iterator: true },
    });
    token = pending.search_iterator_v2_results!.token;
    return pagedIterator(total, async (remaining) => {
      const r = pending ?? await this.search({
        ...req, limit: Math.min(batchSize, remaining), offset: 0,
        params: { ...req.params, iterator: true, search_iter_id: token },
      });
      pending = undefined;
      return r.results as Array<Record<string, unknown>>;
    }, release);
  }

  /**
   * Several vector searches (usually on different vector fields) fused by a ranker, as
   * Milvus's hybrid search: RRF scores a hit by Σ 1/(k + rank) over the lists it is in
   * (rank from 1); Weighted by Σ wᵢ·norm(scoreᵢ), where norm maps each metric onto [0, 1]
   * with larger = nearer (IP: ½ + atan(s)/π, L2 and other distances: 1 − 2·atan(d)/π,
   * COSINE: (1 + s)/2), unless norm_score is false.
   */
  async hybridSearch(req: ReadReq & {
    data: Array<{ anns_field: string; data: unknown; limit?: number; params?: Record<string, unknown>; filter?: string; expr?: string; metric_type?: string; exprValues?: Record<string, unknown>; expr_params?: Record<string, unknown> }>;
    rerank?: { strategy: string; params?: { k?: number; weights?: number[]; norm_score?: boolean } };
    limit?: number;
    offset?: number;
  }): Promise<{ status: typeof status; results: Array<Record<string, unknown>> | Array<Array<Record<string, unknown>>> }> {
    this.requireObject(req);
    if (!Array.isArray(req.data) || req.data.length === 0) fail('INVALID_ARGUMENT', { detail: 'hybrid search needs at least one search request in data' });
    if (req.data.length > hybridRequestsMax) fail('LIMIT_EXCEEDED', { what: 'hybrid search', detail: `at most ${hybridRequestsMax} search requests` });
    const limit = optionalCount('limit', req.limit) ?? 10;
    const offset = optionalCount('offset', req.offset) ?? 0;
    if (limit < 1) fail('INVALID_ARGUMENT', { detail: 'limit must be at least 1' });
    const strategy = (req.rerank?.strategy ?? 'rrf').toLowerCase();
    if (strategy !== 'rrf' && strategy !== 'weighted') fail('INVALID_ARGUMENT', { detail: `rerank strategy must be rrf or weighted, got ${JSON.stringify(req.rerank?.strategy)}` });
    const k = Number(req.rerank?.params?.k ?? 60);
    if (strategy === 'rrf' && !(k > 0 && k < 16_384)) fail('INVALID_ARGUMENT', { detail: `RRF k must be in (0, 16384), got ${String(req.rerank?.params?.k)}` });
    const weights = req.rerank?.params?.weights ?? [];
    if (strategy === 'weighted') {
      if (!Array.isArray(weights) || weights.length !== req.data.length) fail('INVALID_ARGUMENT', { detail: `weighted rerank needs one weight per search request (${req.data.length}), got ${Array.isArray(weights) ? weights.length : 0}` });
      for (const w of weights) if (typeof w !== 'number' || !(w >= 0 && w <= 1)) fail('INVALID_ARGUMENT', { detail: `weights must be numbers in [0, 1], got ${JSON.stringify(w)}` });
    }
    const normalize = req.rerank?.params?.norm_score !== false;
    // Every sub-search reads the same view: take it once, with the request's consistency.
    const { coll } = this.live(req);
    const pk = coll.schema.fields.find((f) => f.isPrimary)!;
    const lists = [];
    for (const [i, sub] of req.data.entries()) {
      const r = await this.search({
        db_name: req.db_name, collection_name: req.collection_name, partition_names: req.partition_names,
        consistency_level: i === 0 ? req.consistency_level : 'Eventually',
        anns_field: sub.anns_field, data: [sub.data], limit: sub.limit ?? limit, params: sub.params,
        filter: sub.filter ?? sub.expr, metric_type: sub.metric_type, output_fields: req.output_fields,
        // Each sub-request's filter takes its own template values, as in Milvus.
        exprValues: exprParamsOf(sub),
      });
      const field = coll.schema.fields.find((f) => f.name === sub.anns_field)!;
      lists.push({ hits: (r.results as Array<Array<Record<string, unknown>>>)[0]!, metric: searchMetric(coll, field, sub.metric_type) });
    }
    const fused = new Map<unknown, { score: number; row: Record<string, unknown> }>();
    lists.forEach((list, i) => {
      list.hits.forEach((h, rank) => {
        const id = h[pk.name];
        const add = strategy === 'rrf' ? 1 / (k + rank + 1) : weights[i]! * (normalize ? normScore(list.metric, h.score as number) : (h.score as number));
        const cur = fused.get(id);
        if (cur) cur.score += add;
        else fused.set(id, { score: add, row: h });
      });
    });
    const ranked = [...fused.values()].sort((a, b) => b.score - a.score).slice(offset, offset + limit);
    return { status, results: ranked.map(({ score, row }) => ({ ...row, score })) };
  }

  // ---------------------------------------------------------------- introspection

  /** The collection's frozen metadata (for the wire layers, which encode it themselves). */
  collectionMeta(req: CollectionReq): CollectionMeta {
    return this.live(req).coll;
  }

  /** Whether `db` exists (the wire layers check the database a request names). */
  hasDatabase(db: string): boolean {
    return this.catalog.hasDatabase(db);
  }

  /** Segment-level facts for tests, tools and the server's GetPersistentSegmentInfo. */
  segmentInfo(req: CollectionReq): Array<{ id: number; partitionId: number; shard: number; state: string; rows: number; file: string | undefined; minTs: bigint; memoryBytes: number }> {
    const { data } = this.live(req);
    return data.shards.flatMap((s) => s.segments().map((seg) => ({
      id: seg.id, partitionId: seg.partitionId, shard: seg.shard, state: seg.state, rows: seg.rowCount, file: seg.file,
      minTs: seg.minTs, memoryBytes: seg.memoryBytes(),
    })));
  }

  /** Per shard: records in the log past the flush checkpoint (what a restart would replay). */
  logLag(req: CollectionReq): Array<{ shard: number; checkpoint: number; endOffset: number; records: number }> {
    const { coll, data } = this.live(req);
    return data.shards.map((s) => {
      const endOffset = this.wal.endOffset(topicOf(coll.id, s.index));
      return { shard: s.index, checkpoint: s.checkpoint, endOffset, records: Math.max(0, endOffset - (s.checkpoint + 1)) };
    });
  }

  /** A collection's metadata by id (GetReplicas and friends address collections by id). */
  collectionMetaById(db: string, id: number): CollectionMeta {
    const c = this.catalog.collectionById(id);
    if (!c || c.db !== db || this.data.get(id)?.state !== 'ready') fail('COLLECTION_NOT_FOUND', { name: `#${id}`, db });
    return c;
  }

  /** Allocates a timestamp (AllocTimestamp, flush timestamps). */
  allocTimestamp(): bigint {
    this.checkOpen();
    return this.tso.next();
  }

  /** Bytes of memory held by a collection's rows (columns, timestamps, keys) and its key index. */
  memoryBytes(req: CollectionReq): number {
    const { data } = this.live(req);
    return data.shards.reduce((n, s) => n + s.pkIndex.size * pkIndexEntryBytes + s.segments().reduce((m, seg) => m + seg.memoryBytes(), 0), 0);
  }
}

// ---------------------------------------------------------------- small helpers

const hybridRequestsMax = 1024;

/** Maps a metric's score onto [0, 1], larger = nearer, as Milvus's weighted ranker does. */
function normScore(metric: string, s: number): number {
  if (metric === 'IP') return 0.5 + Math.atan(s) / Math.PI;
  if (metric === 'COSINE') return (1 + s) / 2;
  return 1 - (2 * Math.atan(s)) / Math.PI;
}

/** Orders primary keys: Int64 numerically (exactly, also past 2^53), VarChar by code units. */
function pkOrder(int64: boolean): (a: PkKey, b: PkKey) => number {
  if (!int64) return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/** Keeps the `max` smallest items seen (all of them when max is Infinity). */
class KeyHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly max: number, private readonly cmp: (a: T, b: T) => number) {}

  push(x: T): void {
    const h = this.items;
    if (h.length < this.max) {
      h.push(x);
      if (Number.isFinite(this.max)) this.up(h.length - 1);
    } else if (this.cmp(x, h[0]!) < 0) {
      h[0] = x;
      this.down(0);
    }
  }

  sorted(): T[] {
    return [...this.items].sort(this.cmp);
  }

  // A max-heap on cmp: the root is the largest kept item.
  private up(i: number): void {
    const h = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(h[i]!, h[p]!) <= 0) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.cmp(h[l]!, h[m]!) > 0) m = l;
      if (r < h.length && this.cmp(h[r]!, h[m]!) > 0) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** Template values of a filter (`{name}` placeholders): the SDK's exprValues, or expr_params. */
function exprParamsOf(req: { exprValues?: unknown; expr_params?: unknown }): Record<string, unknown> | undefined {
  const p = req.exprValues ?? req.expr_params;
  if (p === undefined || p === null) return undefined;
  if (typeof p !== 'object' || Array.isArray(p)) fail('INVALID_ARGUMENT', { detail: 'exprValues must be an object of template values' });
  return p as Record<string, unknown>;
}

function isBatch(raw: unknown): boolean {
  return Array.isArray(raw) && raw.length > 0 && (Array.isArray(raw[0]) || ArrayBuffer.isView(raw[0]) || (typeof raw[0] === 'object' && raw[0] !== null));
}

function isPartitionLoaded(coll: CollectionMeta, id: number): boolean {
  return coll.loaded && (coll.loadedPartitions.length === 0 || coll.loadedPartitions.includes(id));
}

function stringProps(p: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p ?? {})) out[k] = String(v);
  return out;
}

function validateProperties(p: Record<string, string>): void {
  const ttl = p['collection.ttl.seconds'];
  if (ttl !== undefined && !/^\d+$/.test(ttl)) fail('INVALID_ARGUMENT', { detail: `collection.ttl.seconds must be a non-negative integer, got ${JSON.stringify(ttl)}` });
}

function kv(p: Readonly<Record<string, string>>): Array<{ key: string; value: string }> {
  return Object.entries(p).map(([key, value]) => ({ key, value }));
}

function intOption(name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) fail('INVALID_ARGUMENT', { detail: `${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}` });
  return n;
}

function optionalCount(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail('INVALID_ARGUMENT', { detail: `${name} must be a non-negative integer, got ${JSON.stringify(v)}` });
  return n;
}

function quickFields(req: CreateCollectionReq): FieldInput[] {
  const idType = req.id_type ?? 'Int64';
  return [
    { name: req.primary_field_name ?? 'id', data_type: idType, is_primary_key: true, autoID: req.auto_id ?? false, ...(idType === 'VarChar' ? { max_length: req.max_length ?? 512 } : {}) },
    { name: req.vector_field_name ?? 'vector', data_type: DataType.FloatVector, dim: req.dimension },
  ];
}

function sameSchema(a: CollectionSchema, b: CollectionSchema): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describeField(f: CollectionSchema['fields'][number]) {
  const type_params: Array<{ key: string; value: string }> = [];
  if (f.dim !== undefined) type_params.push({ key: 'dim', value: String(f.dim) });
  if (f.maxLength !== undefined) type_params.push({ key: 'max_length', value: String(f.maxLength) });
  if (f.maxCapacity !== undefined) type_params.push({ key: 'max_capacity', value: String(f.maxCapacity) });
  return {
    fieldID: f.fieldId,
    name: f.name,
    description: f.description,
    data_type: DataType[f.type],
    dataType: f.type,
    is_primary_key: f.isPrimary,
    autoID: f.autoId,
    is_partition_key: f.isPartitionKey,
    is_dynamic: f.isDynamic,
    nullable: f.nullable,
    default_value: f.defaultValue,
    element_type: f.elementType === undefined ? undefined : DataType[f.elementType],
    type_params,
    dim: f.dim,
    max_length: f.maxLength,
    max_capacity: f.maxCapacity,
  };
}

function columnsToRows(columns: Record<string, unknown[]>): Array<Record<string, unknown>> {
  if (typeof columns !== 'object' || columns === null) fail('INVALID_ARGUMENT', { detail: 'columns must be an object of arrays' });
  const names = Object.keys(columns);
  if (names.length === 0) return [];
  const n = columns[names[0]!]?.length ?? 0;
  for (const k of names) {
    if (!Array.isArray(columns[k])) fail('INVALID_ARGUMENT', { detail: `column "${k}" must be an array` });
    if (columns[k]!.length !== n) fail('INVALID_ARGUMENT', { detail: `column "${k}" has ${columns[k]!.length} values, "${names[0]}" has ${n}` });
  }
  return Array.from({ length: n }, (_, i) => {
    const row: Record<string, unknown> = {};
    for (const k of names) row[k] = columns[k]![i];
    return row;
  });
}

/** Keys go to shards by a hash of their text form (stable across restarts and platforms). */
function shardRouter(n: number): (k: PkKey) => number {
  if (n === 1) return () => 0;
  return (k) => crc32(String(k)) % n;
}

function partitionIndex(values: unknown, i: number, n: number): number {
  const v = ArrayBuffer.isView(values) ? String((values as BigInt64Array)[i]) : String((values as readonly unknown[])[i]);
  return crc32(v) % n;
}

function subsetBatch(b: { count: number; columns: readonly import('../segments/columns.js').Column[]; pks: readonly PkKey[] }, rows: number[]) {
  const columns = b.columns.map((c) => {
    const values = c.values;
    let out: import('../segments/columns.js').Column['values'];
    if (ArrayBuffer.isView(values)) {
      const w = (values as Uint8Array).length / b.count;
      const t = new (values.constructor as new (n: number) => Uint8Array)(rows.length * w);
      rows.forEach((r, i) => t.set((values as Uint8Array).subarray(r * w, (r + 1) * w), i * w));
      out = t as unknown as import('../segments/columns.js').TypedValues;
    } else {
      out = rows.map((r) => (values as readonly unknown[])[r]);
    }
    return { fieldId: c.fieldId, values: out, valid: c.valid ? Uint8Array.from(rows, (r) => c.valid![r]!) : undefined };
  });
  return { count: rows.length, columns, pks: rows.map((r) => b.pks[r]!) };
}

export type { MetaTxn };
