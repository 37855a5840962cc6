// The client interface the scenarios drive: a few domain-level calls, each answering
// with its outcome — ok with a value, fail with a coded error (the call took no effect),
// or unknown (a timeout or a lost connection: it may have taken effect). MilvusTarget
// (milvus-target.ts) implements it over the official Milvus client only, so the same
// scenarios run against Elanus or Milvus; the self-test wraps it in deliberately broken
// versions to show that the checker notices.
import type { Row, Schema } from './values.js';

export type Result<T> =
  | { readonly outcome: 'ok'; readonly value: T }
  | { readonly outcome: 'fail'; readonly code: string; readonly message: string }
  | { readonly outcome: 'unknown'; readonly message: string };

export interface Hit {
  readonly key: number;
  readonly score: number;
}

export interface IndexSpec {
  readonly field: string;
  readonly indexName: string;
  /** HNSW, FLAT, BITMAP, INVERTED, ... */
  readonly indexType: string;
  readonly metric?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface QuerySpec {
  readonly filter: string;
  readonly outputFields: readonly string[];
  readonly limit: number;
  readonly partitions?: readonly string[];
}

export interface SearchSpec {
  readonly field: string;
  readonly vector: readonly number[];
  readonly limit: number;
  readonly metric: string;
  readonly filter?: string;
  readonly partitions?: readonly string[];
}

export interface HybridSpec {
  readonly requests: ReadonlyArray<{ readonly field: string; readonly vector: readonly number[] }>;
  readonly limit: number;
  readonly filter?: string;
  readonly partitions?: readonly string[];
}

export interface SegmentsInfo {
  readonly collectionId: string;
  readonly segmentIds: readonly string[];
  readonly indexIds: readonly string[];
  /** Rows not indexed yet, over every index (index builds still running). */
  readonly indexPendingRows: number;
}

/** One index as DescribeIndex reports it. */
export interface IndexInfo {
  readonly indexName: string;
  readonly field: string;
  /** From the index's parameters (index_type). */
  readonly indexType: string;
  readonly indexedRows: number;
  readonly totalRows: number;
  /** Rows the build has still to index. */
  readonly pendingRows: number;
  /** Why the build failed ('' when it did not). */
  readonly failReason: string;
}

/** A manual compaction's state, as GetCompactionState reports it. */
export type CompactionState = 'executing' | 'completed' | 'undefined';

export interface Target {
  /** Where it points, for reports. */
  readonly address: string;
  createCollection(name: string, schema: Schema): Promise<Result<void>>;
  dropCollection(name: string): Promise<Result<void>>;
  listCollections(): Promise<Result<string[]>>;
  createPartition(collection: string, partition: string): Promise<Result<void>>;
  dropPartition(collection: string, partition: string): Promise<Result<void>>;
  listPartitions(collection: string): Promise<Result<string[]>>;
  loadPartitions(collection: string, partitions: readonly string[]): Promise<Result<void>>;
  releasePartitions(collection: string, partitions: readonly string[]): Promise<Result<void>>;
  /** Loads the whole collection and resolves once the target reports it loaded. */
  loadCollection(collection: string): Promise<Result<void>>;
  releaseCollection(collection: string): Promise<Result<void>>;
  createIndex(collection: string, index: IndexSpec): Promise<Result<void>>;
  dropIndex(collection: string, field: string, indexName: string): Promise<Result<void>>;
  /** The collection's indexes with their build progress (INDEX_NOT_FOUND when it has none). */
  describeIndex(collection: string): Promise<Result<IndexInfo[]>>;
  /** Starts a manual compaction; resolves with its id. */
  compact(collection: string): Promise<Result<string>>;
  compactionState(compactionId: string): Promise<Result<CompactionState>>;
  flush(collection: string): Promise<Result<void>>;
  insert(collection: string, rows: readonly Row[], partition?: string): Promise<Result<void>>;
  upsert(collection: string, rows: readonly Row[], partition?: string): Promise<Result<void>>;
  delete(collection: string, filter: string, partition?: string): Promise<Result<void>>;
  query(collection: string, q: QuerySpec): Promise<Result<Row[]>>;
  /** Rows by primary key (the client's get()), Strong. */
  get(collection: string, ids: readonly number[], outputFields: readonly string[]): Promise<Result<Row[]>>;
  count(collection: string, filter: string, partitions?: readonly string[]): Promise<Result<number>>;
  search(collection: string, s: SearchSpec): Promise<Result<Hit[]>>;
  hybridSearch(collection: string, h: HybridSpec): Promise<Result<Hit[]>>;
  /**
   * The client's own query iterator (pages in primary-key order), every page handed to
   * `onBatch`; resolves with the number of pages. `pagesMax` stops a runaway iterator.
   */
  queryIterator(collection: string, q: Omit<QuerySpec, 'limit'> & { readonly batchSize: number; readonly pagesMax: number }, onBatch: (rows: Row[]) => void): Promise<Result<number>>;
  /** The collection's identifier, its flushed segments and its indexes (for the file check). */
  segments(collection: string): Promise<Result<SegmentsInfo>>;
  close(): Promise<void>;
}

export const isOk = <T>(r: Result<T>): r is { outcome: 'ok'; value: T } => r.outcome === 'ok';
