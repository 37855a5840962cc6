// The embedded engine's public surface: `Elanus.open({ path })` opens (or creates) a data
// folder and wires the engine's roles over one shared core (engine/README.md); the methods
// follow the Milvus Node SDK's names and argument shapes and are the roles' own.
//
// Roles and ownership (DESIGN.md, concurrency model):
//  - core.ts: the stores (metadata, log, and the ObjectStore of segment, L0 and index
//    files, at <path>/objects), the coordinator queue (every catalog change and every metadata
//    commit of flush and compaction runs in it, one at a time), the collections' data;
//  - catalog-ddl.ts, index-ddl.ts: catalog changes (the coordinator's);
//  - maintenance.ts: recovery, garbage collection, the background pass, flush, compaction;
//  - writes.ts: a write checks the catalog and submits its log record in one synchronous
//    step, so no DDL can slip between the check and the append; each shard owns its
//    segments and key index and changes them only by applying log records in order;
//  - reads.ts: read views, queries and searches, merged across shards and segments.
import { backupView, type BackupView } from './backup.js';
import { fail } from '../errors/index.js';
import { systemTimers } from '../concurrency/index.js';
import { configureNativePool } from '../index/native.js';
import { Catalog, type CollectionMeta, IdAllocator, MetaCache, catalogKeys, defaultDatabase } from '../catalog/index.js';
import { FsObjectStore, LocalMetaStore, type MetaTxn, NodeFileSystem, importFolder, joinPath, mkdirDurable, probeWritable } from '../storage/index.js';
import { Tso, systemClock } from '../tso/index.js';
import { WalLogStore } from '../wal/index.js';
import { type EngineLimits, type EngineLogStore, type EngineStores, type OpenOptions, type StartOptions, resolveLimits } from './options.js';
import { type CollectionReq } from '../gateway/requests.js';
import type { Gateway, SearchCounters } from '../gateway/api.js';
import { segmentSearches } from '../query/vector-search.js';
import { Health, type HealthReport, type RepairKind } from './health.js';
import { EngineCore, type EngineRoles } from './core.js';
import { CatalogRole } from './catalog-ddl.js';
import { ResourceGroupRole } from './resource-groups.js';
import { UsersRole } from './users.js';
import { RbacRole } from './rbac.js';
import { IndexRole } from './index-ddl.js';
import { Maintenance } from './maintenance.js';
import { ReadRole } from './reads.js';
import { ShardReads } from './shard-reads.js';
import { ShardWrites } from './shard-writes.js';
import { LocalPlacement, ReplicatedPlacement } from './placement.js';
import { WriteRole } from './writes.js';

/** The ObjectStore's folder inside the data folder (testing/object-files.ts knows it too). */
const objectsFolder = 'objects';

/**
 * Operations one metadata commit may hold: dropping a collection deletes every segment's
 * key in one transaction, so the store is opened with more than the MetaStore interface's
 * default (etcd's); the journal's record size still bounds a commit.
 */
const metaTxnOpsMax = 1_000_000;

/** Measured cost of one primary-key index entry (Map slot plus its location object), bytes. */
const pkIndexEntryBytes = 80;
/** The log rolls to a new file past this size; retention deletes whole files. */
const walSegmentBytesMax = 16 * 1024 * 1024;
export class Elanus implements Gateway {
  private closing: Promise<void> | undefined;

  // catalog
  readonly createDatabase: CatalogRole['createDatabase'];
  readonly dropDatabase: CatalogRole['dropDatabase'];
  readonly listDatabases: CatalogRole['listDatabases'];
  readonly describeDatabase: CatalogRole['describeDatabase'];
  readonly alterDatabase: CatalogRole['alterDatabase'];
  readonly dropDatabaseProperties: CatalogRole['dropDatabaseProperties'];
  readonly createCollection: CatalogRole['createCollection'];
  readonly dropCollection: CatalogRole['dropCollection'];
  readonly hasCollection: CatalogRole['hasCollection'];
  readonly describeCollection: CatalogRole['describeCollection'];
  readonly showCollections: CatalogRole['showCollections'];
  readonly renameCollection: CatalogRole['renameCollection'];
  readonly alterCollection: CatalogRole['alterCollection'];
  readonly alterCollectionProperties: CatalogRole['alterCollectionProperties'];
  readonly dropCollectionProperties: CatalogRole['dropCollectionProperties'];
  readonly getCollectionStatistics: CatalogRole['getCollectionStatistics'];
  readonly alterCollectionField: CatalogRole['alterCollectionField'];
  readonly dropCollectionFieldProperties: CatalogRole['dropCollectionFieldProperties'];
  readonly addCollectionField: CatalogRole['addCollectionField'];
  readonly truncateCollection: CatalogRole['truncateCollection'];
  readonly createPartition: CatalogRole['createPartition'];
  readonly dropPartition: CatalogRole['dropPartition'];
  readonly hasPartition: CatalogRole['hasPartition'];
  readonly showPartitions: CatalogRole['showPartitions'];
  readonly getPartitionStatistics: CatalogRole['getPartitionStatistics'];
  readonly createAlias: CatalogRole['createAlias'];
  readonly alterAlias: CatalogRole['alterAlias'];
  readonly dropAlias: CatalogRole['dropAlias'];
  readonly describeAlias: CatalogRole['describeAlias'];
  readonly listAliases: CatalogRole['listAliases'];
  readonly loadCollection: CatalogRole['loadCollection'];
  readonly loadCollectionSync: CatalogRole['loadCollectionSync'];
  readonly releaseCollection: CatalogRole['releaseCollection'];
  readonly loadPartitions: CatalogRole['loadPartitions'];
  readonly releasePartitions: CatalogRole['releasePartitions'];
  readonly getLoadState: CatalogRole['getLoadState'];
  readonly getLoadingProgress: CatalogRole['getLoadingProgress'];

  // resource groups and replicas
  readonly createResourceGroup: ResourceGroupRole['createResourceGroup'];
  readonly dropResourceGroup: ResourceGroupRole['dropResourceGroup'];
  readonly updateResourceGroups: ResourceGroupRole['updateResourceGroups'];
  readonly listResourceGroups: ResourceGroupRole['listResourceGroups'];
  readonly describeResourceGroup: ResourceGroupRole['describeResourceGroup'];
  readonly transferNode: ResourceGroupRole['transferNode'];
  readonly transferReplica: ResourceGroupRole['transferReplica'];
  readonly replicasOf: ResourceGroupRole['replicasOf'];
  readonly loadBalance: ResourceGroupRole['loadBalance'];

  // indexes
  readonly createIndex: IndexRole['createIndex'];
  readonly describeIndex: IndexRole['describeIndex'];
  readonly getIndexStatistics: IndexRole['getIndexStatistics'];
  readonly listIndexes: IndexRole['listIndexes'];
  readonly hasIndex: IndexRole['hasIndex'];
  readonly getIndexState: IndexRole['getIndexState'];
  readonly getIndexBuildProgress: IndexRole['getIndexBuildProgress'];
  readonly dropIndex: IndexRole['dropIndex'];
  readonly alterIndex: IndexRole['alterIndex'];
  readonly alterIndexProperties: IndexRole['alterIndexProperties'];
  readonly dropIndexProperties: IndexRole['dropIndexProperties'];
  readonly vectorIndexStats: IndexRole['vectorIndexStats'];
  readonly waitForIndexes: IndexRole['waitForIndexes'];

  // users
  readonly createCredential: UsersRole['createCredential'];
  readonly updateCredential: UsersRole['updateCredential'];
  readonly deleteCredential: UsersRole['deleteCredential'];
  readonly listCredUsers: UsersRole['listCredUsers'];
  readonly describeUser: UsersRole['describeUser'];
  readonly credentialStamp: UsersRole['credentialStamp'];
  readonly verifyCredential: UsersRole['verifyCredential'];
  // roles and privileges
  readonly createRole: RbacRole['createRole'];
  readonly dropRole: RbacRole['dropRole'];
  readonly operateUserRole: RbacRole['operateUserRole'];
  readonly selectRole: RbacRole['selectRole'];
  readonly selectUser: RbacRole['selectUser'];
  readonly operatePrivilege: RbacRole['operatePrivilege'];
  readonly operatePrivilegeV2: RbacRole['operatePrivilegeV2'];
  readonly selectGrant: RbacRole['selectGrant'];
  readonly createPrivilegeGroup: RbacRole['createPrivilegeGroup'];
  readonly dropPrivilegeGroup: RbacRole['dropPrivilegeGroup'];
  readonly listPrivilegeGroups: RbacRole['listPrivilegeGroups'];
  readonly operatePrivilegeGroup: RbacRole['operatePrivilegeGroup'];
  readonly backupRbac: RbacRole['backupRbac'];
  readonly restoreRbac: RbacRole['restoreRbac'];
  readonly allows: RbacRole['allows'];

  // maintenance
  readonly flush: Maintenance['flush'];
  readonly flushSync: Maintenance['flushSync'];
  readonly compact: Maintenance['compact'];
  readonly getCompactionState: Maintenance['getCompactionState'];

  // writes
  readonly insert: WriteRole['insert'];
  readonly upsert: WriteRole['upsert'];
  readonly delete: WriteRole['delete'];

  // reads
  readonly query: ReadRole['query'];
  readonly explain: ReadRole['explain'];
  readonly queryIterator: ReadRole['queryIterator'];
  readonly get: ReadRole['get'];
  readonly count: ReadRole['count'];
  readonly search: ReadRole['search'];
  readonly searchColumns: ReadRole['searchColumns'];
  readonly queryColumns: ReadRole['queryColumns'];
  readonly searchIterator: ReadRole['searchIterator'];
  readonly hybridSearch: ReadRole['hybridSearch'];
  /** A cluster gateway's replica read asks the coordinator for its view (engine/replica.ts). */
  readonly readTicket: ReadRole['readTicket'];

  private constructor(private readonly core: EngineCore) {
    const roles = core.roles;
    this.createDatabase = roles.catalog.createDatabase.bind(roles.catalog);
    this.dropDatabase = roles.catalog.dropDatabase.bind(roles.catalog);
    this.listDatabases = roles.catalog.listDatabases.bind(roles.catalog);
    this.describeDatabase = roles.catalog.describeDatabase.bind(roles.catalog);
    this.alterDatabase = roles.catalog.alterDatabase.bind(roles.catalog);
    this.dropDatabaseProperties = roles.catalog.dropDatabaseProperties.bind(roles.catalog);
    this.createCollection = roles.catalog.createCollection.bind(roles.catalog);
    this.dropCollection = roles.catalog.dropCollection.bind(roles.catalog);
    this.hasCollection = roles.catalog.hasCollection.bind(roles.catalog);
    this.describeCollection = roles.catalog.describeCollection.bind(roles.catalog);
    this.showCollections = roles.catalog.showCollections.bind(roles.catalog);
    this.renameCollection = roles.catalog.renameCollection.bind(roles.catalog);
    this.alterCollection = roles.catalog.alterCollection.bind(roles.catalog);
    this.alterCollectionProperties = roles.catalog.alterCollectionProperties.bind(roles.catalog);
    this.dropCollectionProperties = roles.catalog.dropCollectionProperties.bind(roles.catalog);
    this.getCollectionStatistics = roles.catalog.getCollectionStatistics.bind(roles.catalog);
    this.alterCollectionField = roles.catalog.alterCollectionField.bind(roles.catalog);
    this.dropCollectionFieldProperties = roles.catalog.dropCollectionFieldProperties.bind(roles.catalog);
    this.addCollectionField = roles.catalog.addCollectionField.bind(roles.catalog);
    this.truncateCollection = roles.catalog.truncateCollection.bind(roles.catalog);
    this.createPartition = roles.catalog.createPartition.bind(roles.catalog);
    this.dropPartition = roles.catalog.dropPartition.bind(roles.catalog);
    this.hasPartition = roles.catalog.hasPartition.bind(roles.catalog);
    this.showPartitions = roles.catalog.showPartitions.bind(roles.catalog);
    this.getPartitionStatistics = roles.catalog.getPartitionStatistics.bind(roles.catalog);
    this.createAlias = roles.catalog.createAlias.bind(roles.catalog);
    this.alterAlias = roles.catalog.alterAlias.bind(roles.catalog);
    this.dropAlias = roles.catalog.dropAlias.bind(roles.catalog);
    this.describeAlias = roles.catalog.describeAlias.bind(roles.catalog);
    this.listAliases = roles.catalog.listAliases.bind(roles.catalog);
    this.loadCollection = roles.catalog.loadCollection.bind(roles.catalog);
    this.loadCollectionSync = roles.catalog.loadCollectionSync.bind(roles.catalog);
    this.releaseCollection = roles.catalog.releaseCollection.bind(roles.catalog);
    this.loadPartitions = roles.catalog.loadPartitions.bind(roles.catalog);
    this.releasePartitions = roles.catalog.releasePartitions.bind(roles.catalog);
    this.getLoadState = roles.catalog.getLoadState.bind(roles.catalog);
    this.getLoadingProgress = roles.catalog.getLoadingProgress.bind(roles.catalog);
    const rg = roles.resourceGroups;
    this.createResourceGroup = rg.createResourceGroup.bind(rg);
    this.dropResourceGroup = rg.dropResourceGroup.bind(rg);
    this.updateResourceGroups = rg.updateResourceGroups.bind(rg);
    this.listResourceGroups = rg.listResourceGroups.bind(rg);
    this.describeResourceGroup = rg.describeResourceGroup.bind(rg);
    this.transferNode = rg.transferNode.bind(rg);
    this.transferReplica = rg.transferReplica.bind(rg);
    this.replicasOf = rg.replicasOf.bind(rg);
    this.loadBalance = rg.loadBalance.bind(rg);
    this.createIndex = roles.indexes.createIndex.bind(roles.indexes);
    this.describeIndex = roles.indexes.describeIndex.bind(roles.indexes);
    this.getIndexStatistics = roles.indexes.getIndexStatistics.bind(roles.indexes);
    this.listIndexes = roles.indexes.listIndexes.bind(roles.indexes);
    this.hasIndex = roles.indexes.hasIndex.bind(roles.indexes);
    this.getIndexState = roles.indexes.getIndexState.bind(roles.indexes);
    this.getIndexBuildProgress = roles.indexes.getIndexBuildProgress.bind(roles.indexes);
    this.dropIndex = roles.indexes.dropIndex.bind(roles.indexes);
    this.alterIndex = roles.indexes.alterIndex.bind(roles.indexes);
    this.alterIndexProperties = roles.indexes.alterIndexProperties.bind(roles.indexes);
    this.dropIndexProperties = roles.indexes.dropIndexProperties.bind(roles.indexes);
    this.vectorIndexStats = roles.indexes.vectorIndexStats.bind(roles.indexes);
    this.waitForIndexes = roles.indexes.waitForIndexes.bind(roles.indexes);
    this.createCredential = roles.users.createCredential.bind(roles.users);
    this.updateCredential = roles.users.updateCredential.bind(roles.users);
    this.deleteCredential = roles.users.deleteCredential.bind(roles.users);
    this.listCredUsers = roles.users.listCredUsers.bind(roles.users);
    this.describeUser = roles.users.describeUser.bind(roles.users);
    this.credentialStamp = roles.users.credentialStamp.bind(roles.users);
    this.verifyCredential = roles.users.verifyCredential.bind(roles.users);
    this.createRole = roles.rbac.createRole.bind(roles.rbac);
    this.dropRole = roles.rbac.dropRole.bind(roles.rbac);
    this.operateUserRole = roles.rbac.operateUserRole.bind(roles.rbac);
    this.selectRole = roles.rbac.selectRole.bind(roles.rbac);
    this.selectUser = roles.rbac.selectUser.bind(roles.rbac);
    this.operatePrivilege = roles.rbac.operatePrivilege.bind(roles.rbac);
    this.operatePrivilegeV2 = roles.rbac.operatePrivilegeV2.bind(roles.rbac);
    this.selectGrant = roles.rbac.selectGrant.bind(roles.rbac);
    this.createPrivilegeGroup = roles.rbac.createPrivilegeGroup.bind(roles.rbac);
    this.dropPrivilegeGroup = roles.rbac.dropPrivilegeGroup.bind(roles.rbac);
    this.listPrivilegeGroups = roles.rbac.listPrivilegeGroups.bind(roles.rbac);
    this.operatePrivilegeGroup = roles.rbac.operatePrivilegeGroup.bind(roles.rbac);
    this.backupRbac = roles.rbac.backupRbac.bind(roles.rbac);
    this.restoreRbac = roles.rbac.restoreRbac.bind(roles.rbac);
    this.allows = roles.rbac.allows.bind(roles.rbac);
    this.flush = roles.maintenance.flush.bind(roles.maintenance);
    this.flushSync = roles.maintenance.flushSync.bind(roles.maintenance);
    this.compact = roles.maintenance.compact.bind(roles.maintenance);
    this.getCompactionState = roles.maintenance.getCompactionState.bind(roles.maintenance);
    this.insert = roles.writes.insert.bind(roles.writes);
    this.upsert = roles.writes.upsert.bind(roles.writes);
    this.delete = roles.writes.delete.bind(roles.writes);
    this.query = roles.reads.query.bind(roles.reads);
    this.explain = roles.reads.explain.bind(roles.reads);
    this.queryIterator = roles.reads.queryIterator.bind(roles.reads);
    this.get = roles.reads.get.bind(roles.reads);
    this.count = roles.reads.count.bind(roles.reads);
    this.search = roles.reads.search.bind(roles.reads);
    this.searchColumns = roles.reads.searchColumns.bind(roles.reads);
    this.queryColumns = roles.reads.queryColumns.bind(roles.reads);
    this.searchIterator = roles.reads.searchIterator.bind(roles.reads);
    this.hybridSearch = roles.reads.hybridSearch.bind(roles.reads);
    this.readTicket = roles.reads.readTicket.bind(roles.reads);
  }

  /** The limits this engine was opened with (frozen). */
  get limits(): EngineLimits {
    return this.core.limits;
  }

  /** Background failures (flush or compaction that could not finish). */
  get backgroundErrors(): readonly unknown[] {
    return this.core.backgroundErrors;
  }

  /** Opens (or creates) an embedded engine in a data folder: its stores are files there. */
  static async open(opts: OpenOptions): Promise<Elanus> {
    if (typeof opts?.path !== 'string' || opts.path === '') fail('INVALID_ARGUMENT', { detail: 'open needs a data folder path' });
    checkStartOptions(opts);
    const fs = opts.fs ?? new NodeFileSystem();
    const root = opts.path.replace(/\/+$/, '');
    const clock = opts.clock ?? systemClock;
    await mkdirDurable(fs, root);
    const lock = await fs.lock(root);
    const health = new Health(() => clock.now(), opts.events);
    let meta: LocalMetaStore | undefined;
    let log: EngineLogStore | undefined;
    let objects: FsObjectStore | undefined;
    try {
      meta = await LocalMetaStore.open({
        fs, dir: joinPath(root, 'meta'), txnOpsMax: metaTxnOpsMax,
        onHealth: (f) => (f === undefined ? health.healed('metadata', 'journal') : health.fault('metadata', 'journal', f)),
        onTailCut: (path, offset, bytes) => health.repaired('journal-tail-truncated', { path, offset, bytes }),
      });
      // The shards' log: the embedded one (wal/) through the LogStore interface.
      const embedded = await WalLogStore.open({
        fs, dir: joinPath(root, 'wal'), segmentBytesMax: walSegmentBytesMax,
        onHealth: (topic, f) => (f === undefined ? health.healed('log', topic) : health.fault('log', topic, f)),
        onTailCut: (topic, path, offset, bytes) => health.repaired('log-tail-truncated', { topic, path, offset, bytes }),
      });
      log = opts.wrapLog ? opts.wrapLog(embedded) : embedded;
      objects = await FsObjectStore.open({ fs, dir: joinPath(root, objectsFolder) });
      // Folders written before the ObjectStore kept these files in segments/<collection>/,
      // named as their keys are now: they move into the store once (storage/object-import.ts).
      const legacy = await importFolder(fs, joinPath(root, 'segments'), objects, 'segments/');
      const stores: EngineStores = {
        meta, log, objects,
        folder: { path: root, metaSnapshot: () => meta!.snapshotFile() },
        probeWritable: () => probeWritable(fs, root),
        release: () => lock.release(),
      };
      return await Elanus.startWith(stores, opts, health, legacy.dropped);
    } catch (e) {
      // startWith closed the stores it was given; these closes are idempotent.
      await objects?.close().catch(() => {});
      await log?.close().catch(() => {});
      await meta?.close().catch(() => {});
      await lock.release().catch(() => {});
      throw e;
    }
  }

  /**
   * Starts an engine on stores it is the only writer of (cluster mode: etcd, JetStream and
   * S3 under the coordinator's lease). Options are checked first, and a refusal leaves the
   * stores to the caller; a failure after that closes and releases them.
   */
  static async start(stores: EngineStores, opts: StartOptions = {}): Promise<Elanus> {
    checkStartOptions(opts);
    const clock = opts.clock ?? systemClock;
    try {
      return await Elanus.startWith(stores, opts, new Health(() => clock.now(), opts.events), []);
    } catch (e) {
      await stores.release().catch(() => {});
      throw e;
    }
  }

  private static async startWith(stores: EngineStores, opts: StartOptions, health: Health, legacyDropped: readonly string[]): Promise<Elanus> {
    const limits = resolveLimits(opts.limits);
    const dataNodes = opts.dataNodes ?? 1;
    const clock = opts.clock ?? systemClock;
    const { log, objects } = stores;
    try {
      const meta = await MetaCache.load(stores.meta, stores.metaFence ? { fence: stores.metaFence } : {});
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
      const core = new EngineCore(stores, meta, tso, ids, catalog, clock, opts.timers ?? systemTimers, limits, opts.crashPoint, opts.shardsDefault ?? 1, health);
      const nodes = Array.from({ length: dataNodes }, (_, i) => ({ node: `data-${i}`, reads: new ShardReads(core, `data-${i}`), writes: new ShardWrites(core) }));
      const roles: EngineRoles = {
        catalog: new CatalogRole(core), indexes: new IndexRole(core), maintenance: new Maintenance(core), resourceGroups: new ResourceGroupRole(core),
        writes: new WriteRole(core), reads: new ReadRole(core),
        placement: opts.replicas ? new ReplicatedPlacement(nodes[0]!, opts.replicas) : new LocalPlacement(nodes),
        users: new UsersRole(core, opts.rootPassword),
        rbac: new RbacRole(core),
      };
      core.roles = roles;
      await roles.maintenance.recover(legacyDropped);
      core.roles.maintenance.startBackground();
      return new Elanus(core);
    } catch (e) {
      await objects.close().catch(() => {});
      await log.close().catch(() => {});
      await stores.meta.close().catch(() => {});
      throw e;
    }
  }

  /** Releases everything. Idempotent; writes in flight finish or fail with a coded error. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.core.closed = true;
      this.core.roles.maintenance.stopBackground();
      // Every step runs even when one before it failed (a dead volume, a store that went
      // away), so the stores are closed and their lock or lease released whatever
      // happened; the first failure is reported.
      let failure: { error: unknown } | undefined;
      const step = async (work: () => Promise<unknown>): Promise<void> => {
        try {
          await work();
        } catch (e) {
          failure ??= { error: e };
        }
      };
      await step(() => Promise.all([...this.core.data.values()].map((d) => d.barrier())));
      await step(() => this.core.coord.idle());
      await step(() => Promise.all([...this.core.data.values()].map((d) => d.idle().catch(() => {}))));
      await step(() => this.core.interim.close());
      await step(() => this.core.vindex.close());
      await step(() => this.core.objects.close());
      await step(() => this.core.tso.settle());
      await step(() => this.core.ids.settle());
      await step(() => this.core.log.close());
      await step(() => this.core.meta.close());
      await step(() => this.core.stores.release());
      if (failure) throw failure.error;
    })();
    return this.closing;
  }

  /**
   * What a consistent backup of the data folder holds, decided at one instant while
   * writes go on (engine/backup.ts); the caller copies it out. NOT_SUPPORTED in cluster mode.
   */
  backupView(): Promise<BackupView> {
    return backupView(this.core, this.core.stores);
  }

  /** Storage faults the engine is living with ("degraded" while some writes are refused). */
  health(): HealthReport {
    return this.core.healthState.report();
  }

  /** How segment searches were served, process-wide (the counters are the query layer's). */
  searchCounters(): SearchCounters {
    return { ...segmentSearches };
  }

  /** Self-repairs made since open, by kind. */
  repairCounts(): ReadonlyMap<RepairKind, number> {
    return this.core.healthState.repairs;
  }

  // ---------------------------------------------------------------- introspection

  /** The collection's frozen metadata (for the wire layers, which encode it themselves). */
  collectionMeta(req: CollectionReq): CollectionMeta {
    return this.core.live(req).coll;
  }

  /**
   * The timezone the collection's Timestamptz values are shown in when a request names
   * none (its `timezone` property, else its database's, else UTC): the wire layers
   * write Timestamptz defaults in it when they describe the collection.
   */
  collectionTimezone(coll: CollectionMeta): string {
    return this.core.timezoneOf(coll);
  }

  /** Whether `db` exists (the wire layers check the database a request names). */
  hasDatabase(db: string): boolean {
    return this.core.catalog.hasDatabase(db);
  }

  /** Segment-level facts for tests, tools and the server's GetPersistentSegmentInfo. */
  segmentInfo(req: CollectionReq): Array<{ id: number; partitionId: number; shard: number; state: string; rows: number; file: string | undefined; minTs: bigint; memoryBytes: number }> {
    const { data } = this.core.live(req);
    return data.shards.flatMap((s) => s.segments().map((seg) => ({
      id: seg.id, partitionId: seg.partitionId, shard: seg.shard, state: seg.state, rows: seg.rowCount, file: seg.file,
      minTs: seg.minTs, memoryBytes: seg.memoryBytes(),
    })));
  }

  /**
   * Per shard: records in the log past the flush checkpoint (what a restart would
   * replay). The end is the shard's: one past the last record it applied (every
   * acknowledged write is applied).
   */
  logLag(req: CollectionReq): Array<{ shard: number; checkpoint: number; endOffset: number; records: number }> {
    const { data } = this.core.live(req);
    return data.shards.map((s) => {
      const endOffset = s.appliedOffset + 1;
      return { shard: s.index, checkpoint: s.checkpoint, endOffset, records: Math.max(0, endOffset - (s.checkpoint + 1)) };
    });
  }

  /** A collection's metadata by id (GetReplicas and friends address collections by id). */
  collectionMetaById(db: string, id: number): CollectionMeta {
    const c = this.core.catalog.collectionById(id);
    if (!c || c.db !== db || this.core.data.get(id)?.state !== 'ready') fail('COLLECTION_NOT_FOUND', { name: `#${id}`, db });
    return c;
  }

  /** Allocates a timestamp (AllocTimestamp, flush timestamps). */
  allocTimestamp(): bigint {
    this.core.checkOpen();
    return this.core.tso.next();
  }

  /** Bytes of memory held by a collection's rows (columns, timestamps, keys) and its key index. */
  memoryBytes(req: CollectionReq): number {
    const { data } = this.core.live(req);
    return data.shards.reduce((n, s) => n + s.pkIndex.size * pkIndexEntryBytes + s.segments().reduce((m, seg) => m + seg.memoryBytes(), 0), 0);
  }}

/** Checks what does not depend on the stores; fixes the native pool (process-wide). */
function checkStartOptions(opts: StartOptions): void {
  const dataNodes = opts.dataNodes ?? 1;
  if (!Number.isInteger(dataNodes) || dataNodes < 1 || dataNodes > 64) fail('INVALID_ARGUMENT', { detail: `dataNodes must be an integer in [1, 64], got ${String(opts.dataNodes)}` });
  if (opts.replicas && dataNodes !== 1) fail('INVALID_ARGUMENT', { detail: 'an engine with read replicas has one data node of its own (dataNodes 1)' });
  resolveLimits(opts.limits);
  if (opts.nativeThreads !== undefined || opts.nativeNice !== undefined) configureNativePool(opts.nativeThreads, opts.nativeNice);
}

export type { MetaTxn };
