// The gateway's interface: every call the protocol layers (api/: gRPC and REST) make, and
// nothing else. The embedded engine implements it in process (engine/elanus.ts); a remote
// gateway in cluster mode implements the same calls over the wire. Requests and results are
// plain data (no engine objects), so either side of a wire can hold them.
import type {
  CollectionMeta, ConsistencyLevel, DataType, FieldInput, GrantMeta, Need, PrivilegeChange, PrivilegeChangeV2, RbacBackup,
} from '../catalog/index.js';
import type { AlterIndexReq, CreateIndexReq, DropIndexPropertiesReq, IndexDescription, IndexReq, IndexState } from './indexes.js';
import type { MergedHit } from './merge.js';
import type { LoadOptions, ResourceGroupCalls } from './resource-groups.js';
import type { ResultColumns } from '../query/result-columns.js';
import type { CollectionReq, CreateCollectionReq, DbScoped, DeleteReq, GetReq, InsertReq, PartitionReq, QueryReq, ReadReq, SearchReq, Status } from './requests.js';

export type HealthComponent = 'log' | 'metadata' | 'segments' | 'indexes';

export interface HealthReason {
  readonly component: HealthComponent;
  /** What is affected: a log topic, a collection's shard, an index file... */
  readonly subject: string;
  /** The error code (STORAGE_FULL, STORAGE_IO, ...). */
  readonly code: string;
  readonly message: string;
  /** Wall-clock ms of the first failure of this run of failures. */
  readonly sinceMs: number;
}

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly reasons: readonly HealthReason[];
}

/** Self-repairs, each logged at warn and counted (issue 12: no silent repair). */
export type RepairKind =
  /** A vector index file was damaged or unreadable; the index was built again from the segment. */
  | 'index-rebuilt'
  /** The log's last file ended in a record cut short (a write that was never acknowledged); it was cut off. */
  | 'log-tail-truncated'
  /** The metadata journal ended in a record cut short; it was cut off. */
  | 'journal-tail-truncated'
  /** Files no metadata names (left by a crash mid-flush, -compaction or -drop) were removed at open. */
  | 'orphan-files-removed';

export const repairKinds: readonly RepairKind[] = ['index-rebuilt', 'log-tail-truncated', 'journal-tail-truncated', 'orphan-files-removed'];

export interface EngineEvents {
  /** A repair the engine made on its own; `detail` names the file and why. */
  repaired?(kind: RepairKind, detail: Readonly<Record<string, unknown>>): void;
  /** A component started failing (reason) or recovered (undefined). */
  health?(component: HealthComponent, subject: string, reason: HealthReason | undefined): void;
}

/** How segment searches were served since the process started: by a segment's index, by interim chunks, by exact scan. */
export interface SearchCounters {
  readonly index: number;
  readonly interim: number;
  readonly exact: number;
}

/** A query's answer in columns: its rows' output fields, or its count(*). */
export type QueryColumns =
  | { readonly status: Status; readonly count: number; readonly columns?: undefined }
  | { readonly status: Status; readonly count?: undefined; readonly columns: ResultColumns };

/** A search's answer in columns. */
export interface SearchColumns {
  readonly status: Status;
  /** Per query, nearest first. */
  readonly lists: ReadonlyArray<readonly MergedHit[]>;
  /** The hits' output fields (the primary key always): the lists' hits in order, query after query. */
  readonly columns: ResultColumns;
  /** One query given as a bare vector (the rows form answers with one flat list). */
  readonly flat: boolean;
  /** The field a grouping search grouped by (each hit's `group` is its value). */
  readonly groupField: string | undefined;
  readonly search_iterator_v2_results?: { readonly token: string; readonly last_bound: number };
  readonly session_ts?: string;
}

/**
 * The coordinator's interface: catalog changes, index definitions, load state, flush and
 * compaction, each one step of the coordinator's queue (engine/catalog-ddl.ts,
 * index-ddl.ts, maintenance.ts). A gateway passes these calls on unchanged: in the
 * embedded mode they are the coordinator's own methods; in cluster mode a gateway sends
 * them to the one active coordinator. The synchronous catalog reads (`hasDatabase`,
 * `collectionMeta`, `collectionMetaById`) answer from the gateway's copy of the catalog
 * (the coordinator's commits, applied in order: catalog/meta-cache.ts).
 */
export interface Coordinator extends ResourceGroupCalls {
  // ---------------------------------------------------------------- databases

  createDatabase(req: { db_name: string; properties?: Record<string, string> | undefined; }): Promise<Status>;
  dropDatabase(req: { db_name: string; }): Promise<Status>;
  listDatabases(): Promise<{ status: Status; db_names: string[]; }>;
  describeDatabase(req: { db_name: string; }): Promise<{ status: Status; db_name: string; dbID: number; properties: { key: string; value: string; }[]; created_timestamp: string; }>;
  alterDatabase(req: { db_name: string; properties: Record<string, string>; }): Promise<Status>;
  dropDatabaseProperties(req: { db_name: string; properties: string[]; }): Promise<Status>;
  hasDatabase(db: string): boolean;

  // ---------------------------------------------------------------- collections

  createCollection(req: CreateCollectionReq): Promise<Status>;
  dropCollection(req: CollectionReq): Promise<Status>;
  hasCollection(req: CollectionReq): Promise<{ status: Status; value: boolean; }>;
  describeCollection(req: CollectionReq): Promise<{ status: Status; collection_name: string; collectionID: number; db_name: string; schema: { name: string; description: string; enable_dynamic_field: boolean; fields: { fieldID: number; name: string; description: string; data_type: string; dataType: DataType; is_primary_key: boolean; autoID: boolean; is_partition_key: boolean; is_dynamic: boolean; nullable: boolean; default_value: unknown; element_type: string | undefined; type_params: { key: string; value: string; }[]; dim: number | undefined; max_length: number | undefined; max_capacity: number | undefined; fields?: unknown[]; }[]; }; shards_num: number; num_partitions: number; consistency_level: ConsistencyLevel; aliases: string[]; properties: { key: string; value: string; }[]; created_timestamp: string; }>;
  showCollections(req?: DbScoped): Promise<{ status: Status; data: { name: string; id: number; loadedPercentage: number; timestamp: string; }[]; }>;
  renameCollection(req: CollectionReq & { new_collection_name: string; new_db_name?: string | undefined; }): Promise<Status>;
  alterCollection(req: CollectionReq & { properties: Record<string, string | number | boolean>; }): Promise<Status>;
  alterCollectionProperties(req: CollectionReq & { properties: Record<string, string | number | boolean>; }): Promise<Status>;
  dropCollectionProperties(req: CollectionReq & { properties: string[]; }): Promise<Status>;
  getCollectionStatistics(req: CollectionReq): Promise<{ status: Status; stats: { key: string; value: string; }[]; data: { row_count: number; }; }>;
  alterCollectionField(req: CollectionReq & { field_name: string; properties: Record<string, string | number | boolean>; }): Promise<Status>;
  dropCollectionFieldProperties(req: CollectionReq & { field_name: string; properties: string[]; }): Promise<Status>;
  addCollectionField(req: CollectionReq & { field: FieldInput; }): Promise<Status>;
  truncateCollection(req: CollectionReq): Promise<Status>;
  collectionMeta(req: CollectionReq): CollectionMeta;
  collectionMetaById(db: string, id: number): CollectionMeta;
  /** The timezone the collection's Timestamptz values are shown in by default (its, its database's, or UTC). */
  collectionTimezone(coll: CollectionMeta): string;

  // ---------------------------------------------------------------- partitions

  createPartition(req: PartitionReq): Promise<Status>;
  dropPartition(req: PartitionReq): Promise<Status>;
  hasPartition(req: PartitionReq): Promise<{ status: Status; value: boolean; }>;
  showPartitions(req: CollectionReq): Promise<{ status: Status; partition_names: string[]; partitionIDs: number[]; created_utc_timestamps: string[]; loadedPercentages: number[]; }>;
  getPartitionStatistics(req: PartitionReq): Promise<{ status: Status; stats: { key: string; value: string; }[]; data: { row_count: number; }; }>;

  // ---------------------------------------------------------------- aliases

  createAlias(req: CollectionReq & { alias: string; }): Promise<Status>;
  alterAlias(req: CollectionReq & { alias: string; }): Promise<Status>;
  dropAlias(req: DbScoped & { alias: string; }): Promise<Status>;
  describeAlias(req: DbScoped & { alias: string; }): Promise<{ status: Status; alias: string; collection: string; db_name: string; }>;
  listAliases(req?: DbScoped & { collection_name?: string | undefined; }): Promise<{ status: Status; aliases: string[]; }>;

  // ---------------------------------------------------------------- load state

  loadCollection(req: CollectionReq & LoadOptions): Promise<Status>;
  loadCollectionSync(req: CollectionReq & LoadOptions): Promise<Status>;
  releaseCollection(req: CollectionReq): Promise<Status>;
  loadPartitions(req: CollectionReq & LoadOptions & { partition_names: string[]; }): Promise<Status>;
  releasePartitions(req: CollectionReq & { partition_names: string[]; }): Promise<Status>;
  getLoadState(req: CollectionReq & { partition_names?: string[] | undefined; }): Promise<{ status: Status; state: "LoadStateNotLoad" | "LoadStateLoaded"; }>;
  getLoadingProgress(req: CollectionReq & { partition_names?: string[] | undefined; }): Promise<{ status: Status; progress: number; }>;

  // ---------------------------------------------------------------- indexes

  createIndex(req: CreateIndexReq | CreateIndexReq[]): Promise<Status>;
  describeIndex(req: IndexReq): Promise<{ status: Status; index_descriptions: IndexDescription[]; }>;
  getIndexStatistics(req: IndexReq): Promise<{ status: Status; index_descriptions: IndexDescription[]; }>;
  listIndexes(req: CollectionReq & { field_name?: string | undefined; }): Promise<{ status: Status; indexes: string[]; }>;
  hasIndex(req: IndexReq): Promise<{ status: Status; value: boolean; }>;
  getIndexState(req: IndexReq): Promise<{ status: Status; state: IndexState; fail_reason: string; }>;
  getIndexBuildProgress(req: IndexReq): Promise<{ status: Status; indexed_rows: number; total_rows: number; pending_index_rows: number; }>;
  dropIndex(req: IndexReq): Promise<Status>;
  alterIndex(req: AlterIndexReq): Promise<Status>;
  alterIndexProperties(req: AlterIndexReq): Promise<Status>;
  dropIndexProperties(req: DropIndexPropertiesReq): Promise<Status>;
  vectorIndexStats(): { built: number; loaded: number; failed: number; discarded: number; memoryBytes: number; interim: { chunks: number; built: number; failed: number; dropped: number; memoryBytes: number; }; };
  waitForIndexes(): Promise<{ built: number; loaded: number; failed: number; discarded: number; }>;

  // ---------------------------------------------------------------- users (engine/users.ts)

  createCredential(req: { username: string; password: string; }): Promise<Status>;
  /** The old password must match unless `caller` (the authenticated user) is root. */
  updateCredential(req: { username: string; oldPassword?: string | undefined; newPassword: string; caller?: string | undefined; }): Promise<Status>;
  deleteCredential(req: { username: string; }): Promise<Status>;
  listCredUsers(): Promise<{ status: Status; usernames: string[]; }>;
  describeUser(req: { username: string; }): Promise<{ status: Status; username: string; roles: string[]; }>;
  /** An opaque string that changes whenever the user's password does; undefined: no such user. */
  credentialStamp(username: string): string | undefined;
  /** Resolves with the stamp the password was verified against, or undefined when the user or password is wrong. */
  verifyCredential(username: string, password: string): Promise<string | undefined>;

  // ---------------------------------------------------------------- roles and privileges (engine/rbac.ts)

  createRole(req: { roleName: string; }): Promise<Status>;
  /** Refused while the role has grants, unless `forceDrop`. */
  dropRole(req: { roleName: string; forceDrop?: boolean; }): Promise<Status>;
  operateUserRole(req: { username: string; roleName: string; remove: boolean; }): Promise<Status>;
  selectRole(req: { roleName?: string | undefined; includeUserInfo?: boolean; }): { status: Status; results: Array<{ role: string; users: string[]; }>; };
  selectUser(req: { username?: string | undefined; includeRoleInfo?: boolean; }): { status: Status; results: Array<{ user: string; roles: string[]; }>; };
  operatePrivilege(req: PrivilegeChange): Promise<Status>;
  operatePrivilegeV2(req: PrivilegeChangeV2): Promise<Status>;
  selectGrant(req: { role: string; objectType?: string | undefined; objectName?: string | undefined; dbName?: string | undefined; }): { status: Status; grants: GrantMeta[]; };
  createPrivilegeGroup(req: { groupName: string; }): Promise<Status>;
  dropPrivilegeGroup(req: { groupName: string; }): Promise<Status>;
  listPrivilegeGroups(): { status: Status; groups: Array<{ name: string; privileges: string[]; }>; };
  operatePrivilegeGroup(req: { groupName: string; privileges: readonly string[]; remove: boolean; }): Promise<Status>;
  backupRbac(): { status: Status; backup: RbacBackup; };
  restoreRbac(req: { backup: RbacBackup; grantor?: string | undefined; }): Promise<Status>;
  /** Whether `user` may make a call that needs `need` (root and admin may make every call). Synchronous: every call asks it. */
  allows(user: string, need: Need): boolean;

  // ---------------------------------------------------------------- flush and compaction

  flush(req: DbScoped & { collection_names: string[]; }): Promise<{ status: Status; coll_segIDs: Record<string, { data: number[]; }>; }>;
  flushSync(req: DbScoped & { collection_names: string[]; }): Promise<{ status: Status; coll_segIDs: Record<string, { data: number[]; }>; }>;
  compact(req: CollectionReq): Promise<{ status: Status; compactionID: number; merged: number; removedRows: number; }>;
  getCompactionState(req: { compactionID: number | string | bigint; }): { status: Status; state: 'Completed' | 'UndefiedState'; completedPlans: number; };
}

/**
 * Every call the protocol layers make: the coordinator's (passed on), and the writes and
 * reads the gateway itself routes to the data nodes serving each shard (gateway/roles.ts
 * ShardWriter, ShardReader, ShardPlacement) and merges.
 */
export interface Gateway extends Coordinator {
  // ---------------------------------------------------------------- writes

  insert(req: InsertReq): Promise<{ status: Status; succ_index: number[]; err_index: number[]; IDs: { int_id: { data: (string | number)[]; }; } | { str_id: { data: string[]; }; }; insert_cnt: number; timestamp: string; }>;
  upsert(req: InsertReq): Promise<{ status: Status; succ_index: number[]; err_index: number[]; IDs: { int_id: { data: (string | number)[]; }; } | { str_id: { data: string[]; }; }; upsert_cnt: number; timestamp: string; }>;
  delete(req: DeleteReq): Promise<{ status: Status; delete_cnt: number; timestamp: string; }>;

  // ---------------------------------------------------------------- reads

  query(req: QueryReq): Promise<{ status: Status; data: Record<string, unknown>[]; }>;
  /** query() with the rows in columns (or the count(*)), for the wire. */
  queryColumns(req: QueryReq): Promise<QueryColumns>;
  explain(req: CollectionReq & { filter?: string | undefined; expr?: string | undefined; exprValues?: unknown; expr_params?: unknown; }): Promise<{ status: Status; plan: string; }>;
  queryIterator(req: QueryReq & { batchSize?: number | undefined; }): Promise<AsyncIterableIterator<Record<string, unknown>[]> & { readonly snapshotTs: string; close(): void; }>;
  get(req: GetReq): Promise<{ status: Status; data: Record<string, unknown>[]; }>;
  count(req: ReadReq & { filter?: string | undefined; }): Promise<{ status: Status; data: number; }>;
  search(req: SearchReq): Promise<{ status: Status; results: Record<string, unknown>[] | Record<string, unknown>[][]; search_iterator_v2_results?: { token: string; last_bound: number; } | undefined; session_ts?: string | undefined; }>;
  /** search() with the hits' output fields in columns, for the wire. */
  searchColumns(req: SearchReq): Promise<SearchColumns>;
  searchIterator(req: SearchReq & { batchSize?: number | undefined; }): Promise<AsyncIterableIterator<Record<string, unknown>[]> & { close(): void; }>;
  hybridSearch(req: ReadReq & { data: { anns_field: string; data: unknown; limit?: number | undefined; params?: Record<string, unknown> | undefined; filter?: string | undefined; expr?: string | undefined; metric_type?: string | undefined; exprValues?: Record<string, unknown> | undefined; expr_params?: Record<string, unknown> | undefined; }[]; rerank?: { strategy: string; params?: { k?: number | undefined; weights?: number[] | undefined; norm_score?: boolean | undefined; } | undefined; } | undefined; limit?: number | undefined; offset?: number | undefined; }): Promise<{ status: Status; results: Record<string, unknown>[] | Record<string, unknown>[][]; }>;
  allocTimestamp(): bigint;

  // ---------------------------------------------------------------- state and health

  readonly backgroundErrors: readonly unknown[];
  /** Storage faults being lived with, for /healthz, CheckHealth and the metrics. */
  health(): HealthReport;
  repairCounts(): ReadonlyMap<RepairKind, number>;
  segmentInfo(req: CollectionReq): { id: number; partitionId: number; shard: number; state: string; rows: number; file: string | undefined; minTs: bigint; memoryBytes: number; }[];
  logLag(req: CollectionReq): { shard: number; checkpoint: number; endOffset: number; records: number; }[];
  memoryBytes(req: CollectionReq): number;
  searchCounters(): SearchCounters;
}
