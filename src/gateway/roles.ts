// The interfaces between the gateway and the roles behind it (engine/README.md): the
// data/query role that serves a collection's shards (`ShardReader` for reads,
// `ShardWriter` for writes) and the coordinator's placement of shards on data nodes
// (`ShardPlacement`); the coordinator's own calls are `Coordinator` (api.ts). Requests and
// results are plain data — no segment, no closure — so a remote data node can satisfy
// the same interface over a wire in cluster mode. In the embedded mode one process
// wires them: one data node serves every shard.
//
// A read goes: the gateway checks the request, plans the filter once (query/filter.ts
// FilterPlan), picks the snapshot `at` for the consistency level, asks each data node
// for its shards' partial answer and merges them (merge.ts).
import type { FilterPlan } from '../query/filter.js';
import type { ResultColumns } from '../query/result-columns.js';
import type { SearchMetric } from '../query/distance.js';
import type { PreparedQuery } from '../query/vector-search.js';
import type { SearchParams } from '../index/spec.js';
import type { PkKey } from '../segments/pk.js';
import type { LogRecord } from '../segments/records.js';
import type { StoredRow } from '../segments/shard.js';
import type { ReadReq } from './requests.js';

/** Which rows a partial read covers: some shards of one collection, at one snapshot. */
export interface ShardReadReq {
  readonly db_name: string;
  readonly collection_name: string;
  readonly collectionId: number;
  /** Shard indexes, each served by the node asked. */
  readonly shards: readonly number[];
  /** The snapshot: rows visible at this timestamp. */
  readonly at: bigint;
  /**
   * Rows written before this timestamp have expired for this read (the collection's TTL,
   * tso/tso.ts expiredBefore, decided once by the gateway); 0 when nothing expires.
   */
  readonly since: bigint;
  /** Wait until every write submitted to these shards before the call is applied (Strong, and Bounded past its bound). */
  readonly waitApplied: boolean;
  /** Partition ids to read; undefined = every partition. */
  readonly partitions: readonly number[] | undefined;
  /**
   * The read named its partitions: one dropped before the node reads is PARTITION_NOT_FOUND
   * (a drop that raced the read), not an empty answer. Unnamed (the loaded partitions),
   * a dropped one simply has no rows left.
   */
  readonly partitionsNamed?: boolean;
  readonly filter: FilterPlan;
  /**
   * The version of the coordinator's catalog the read was planned against
   * (catalog/catalog.ts `version`): a cluster's read replica answers only from a copy of
   * that same catalog (every schema, partition and index change the plan saw, and none
   * it did not: a partition dropped since is one the read may still name).
   */
  readonly catalogVersion?: number;
  /**
   * For each of `shards`, the log position (exclusive) the coordinator had applied when it
   * sent the read (after waiting, for a read that waits): a read replica applies its log up
   * to there before it answers, with no request to the log when it is already there.
   */
  readonly logEnds?: readonly number[];
}

export interface ShardQueryReq extends ShardReadReq {
  readonly output_fields: readonly string[];
  /** Rows to skip, in key order (only when one node serves every shard read; else 0 and the gateway skips). */
  readonly offset: number;
  /** Rows to return after the offset; undefined = all that match. */
  readonly limit: number | undefined;
  /** Only keys after this one (an iterator's next page). */
  readonly after: PkKey | undefined;
  /** Refuse (RESULT_TOO_LARGE) a partial answer whose rows would hold more bytes. */
  readonly bytesMax: number;
}

/** Rows in strictly increasing key order: each row's key and estimated bytes, and the output fields in columns. */
export interface ShardRows {
  readonly keys: readonly PkKey[];
  readonly columns: ResultColumns;
  readonly bytes: readonly number[];
}

export type SearchMode =
  /** The k nearest per query. */
  | { readonly kind: 'top' }
  /** Every row inside params' radius / range_filter, nearest first, at most k. */
  | { readonly kind: 'range' }
  /**
   * The best k groups by `field` per query, each with up to `size` hits. `only`, when
   * given, restricts the search to those group values (the gateway's second round when
   * several nodes answered: each group's best hits may lie on any node).
   */
  | { readonly kind: 'group'; readonly field: string; readonly size: number; readonly strict: boolean; readonly only?: readonly unknown[] }
  /** An iterator's next batch: hits not nearer than `bound`, except keys in `ties` (already returned at `bound`). */
  | { readonly kind: 'iterate'; readonly bound: number | undefined; readonly ties: readonly PkKey[] };

export interface ShardSearchReq extends ShardReadReq {
  readonly anns_field: string;
  readonly metric: SearchMetric;
  readonly queries: readonly PreparedQuery[];
  /** Hits per query (groups, when grouping), offset included unless `offset` is set. */
  readonly k: number;
  /** Hits (groups) to skip per query (only when one node serves every shard read). */
  readonly offset: number;
  readonly params: SearchParams;
  readonly output_fields: readonly string[];
  readonly mode: SearchMode;
  readonly bytesMax: number;
}

export interface ShardHit {
  readonly key: PkKey;
  readonly score: number;
  /** Its row in the answer's columns (the output fields; the primary key always). */
  readonly at: number;
  readonly bytes: number;
  /** The group's value, when grouping. */
  readonly group?: unknown;
}

/** Per query, hits nearest first (equal scores by key), and their output fields in columns. */
export interface ShardHits {
  readonly hits: ReadonlyArray<readonly ShardHit[]>;
  readonly columns: ResultColumns;
}

/** The data/query role as the gateway sees it: partial answers over the shards it serves. */
export interface ShardReader {
  /** The log positions (exclusive) this node has applied for the shards asked, once applied as the read requires (`logEnds`). */
  appliedEnds?(req: ShardReadReq): Promise<readonly number[]>;
  countShards(req: ShardReadReq): Promise<number>;
  queryShards(req: ShardQueryReq): Promise<ShardRows>;
  searchShards(req: ShardSearchReq): Promise<ShardHits>;
}

/** One shard's record of a write (rows or deletes, with the write's timestamp), checked and encoded. */
export interface PreparedWrite {
  readonly collectionId: number;
  readonly shard: number;
  readonly record: LogRecord;
  /** The record as the log stores it. */
  readonly payload: Uint8Array;
}

/**
 * The data/query role's write side: a shard's write path. A write is prepared for every
 * shard it touches before any is submitted (a record too large for the log refuses the
 * whole write), and the records are submitted in one synchronous step right after the
 * write takes its timestamp: `submit` takes the shard's next log position at the call,
 * so the log's order is the timestamps' order (DESIGN.md).
 */
export interface ShardWriter {
  /** Checks and encodes (BATCH_TOO_LARGE past the log's record limit); no effect. */
  prepare(collectionId: number, shard: number, record: LogRecord): PreparedWrite;
  /** Resolves once the record is durable in the shard's log and applied to its segments. */
  submit(write: PreparedWrite): Promise<void>;
  /**
   * For each key, the stored row a record submitted in the same synchronous step would
   * replace (applied or still in flight; undefined: none). A partial upsert merges with
   * it (engine/partial-upsert.ts). No effect; the columns are the node's and are read at once.
   */
  latestRows(collectionId: number, shard: number, pks: readonly PkKey[]): ReadonlyArray<StoredRow | undefined>;
}

/**
 * A cluster's read replicas as the coordinator sees them: other nodes that hold a copy of
 * the loaded collections (read from the stores and the shards' logs) and answer partial
 * reads over the wire.
 */
export interface ReplicaDirectory {
  /** The replicas that may serve reads now, by node id. */
  nodes(): readonly string[];
  /** A replica's read side. */
  reader(node: string): ShardReader;
  /** A replica's read failed (the coordinator answered it itself): kept out of reads for a while. */
  failed(node: string, e: unknown): void;
}

/** The coordinator's placement of shards on data nodes. */
export interface ShardPlacement {
  /** The data node serving reads of each shard of a collection (index = shard), by node id; may change per call. */
  owners(collectionId: number, shardsNum: number): readonly string[];
  /** The data node taking each shard's writes (its log's one writer), by node id. */
  writeOwners(collectionId: number, shardsNum: number): readonly string[];
  /** A data node's read side, by id. */
  reader(node: string): ShardReader;
  /** A data node's write side, by id. */
  writer(node: string): ShardWriter;
}

/**
 * What a read sees, as the coordinator gives it to a cluster's gateway that answers a read
 * from its own replica (engine/replica.ts): the snapshot, the log position of every shard
 * the coordinator had applied by then (after the wait, for a read that waits), and the
 * catalog version the coordinator checked the request against.
 */
export interface ReadTicket {
  readonly catalogVersion: number;
  readonly collectionId: number;
  readonly at: bigint;
  /** Per shard of the collection (index = shard), exclusive. */
  readonly logEnds: readonly number[];
}

/** What a ticket is asked for with: the read's collection, consistency level and named partitions. */
export type TicketReq = ReadReq;

/** Where a replica's reads take their view: the coordinator's ticket, checked against the replica's copy. */
export type TicketSource = (req: TicketReq) => Promise<ReadTicket>;
