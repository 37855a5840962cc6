// Engine options: what the embedder may set, with defaults, validated once and frozen.
import type { ReplicaDirectory } from '../gateway/roles.js';
import { fail } from '../errors/index.js';
import type { Compare, FileSystem, LogStore, ObjectStore } from '../storage/index.js';
import type { EngineMetaStore } from '../catalog/index.js';
import type { Clock } from '../tso/index.js';
import type { Timers } from '../concurrency/index.js';
import type { EngineEvents } from './health.js';

/** What the engine's log offers besides the LogStore interface (health probes). */
export interface EngineLogStore extends LogStore {
  /** Heals streams whose appends failed, without appending. */
  probe(): Promise<unknown>;
  /**
   * A replicated log (JetStream): has another replica lead the stream. Recovery asks for
   * it when the stream starts past the checkpoint, which only a replica that diverged
   * from its peers can show (docs/CLUSTER.md, failures).
   */
  reelect?(stream: string): Promise<void>;
}

/**
 * The three stores an engine runs on (storage/), and what stands behind them. The
 * embedded mode opens them in a data folder (Elanus.open); cluster mode passes etcd,
 * JetStream and S3 (Elanus.start). The engine must be the only writer of the metadata
 * while it runs: a folder lock, or the coordinator's lease.
 */
export interface EngineStores {
  readonly meta: EngineMetaStore;
  readonly log: EngineLogStore;
  readonly objects: ObjectStore;
  /**
   * Conditions every metadata commit carries (cluster mode: the coordinator key is still
   * held by this node's lease). A commit that finds one false fails with NOT_COORDINATOR
   * and changes nothing.
   */
  readonly metaFence?: readonly Compare[];
  /**
   * Another process may have appended to the shards' streams until just now (cluster
   * mode: a deposed coordinator). Recovery then appends a marker to each stream and
   * replays through it, so nothing that process placed before the marker is missed, and
   * the log store's expected-position appends refuse whatever it tries after.
   */
  readonly fenceLog?: boolean;
  /**
   * Resolves once the place catalog changes are written to takes writes again, rejects
   * while it does not (a small durable write; health probes after a refused DDL step).
   */
  probeWritable(): Promise<void>;
  /**
   * Set when the stores are a data folder's (Elanus.open): where it is, and its metadata
   * as one `snapshot` file read in one synchronous step (a backup's, engine/backup.ts).
   */
  readonly folder?: {
    readonly path: string;
    metaSnapshot(): { readonly bytes: Uint8Array; readonly entries: ReadonlyArray<readonly [string, string]> };
  };
  /** Called last at close, after the stores: releases the folder lock or the lease. */
  release(): Promise<void>;
}

export interface EngineLimits {
  /** A growing segment is sealed past this many rows... */
  readonly segmentRowsMax: number;
  /** ...or past this many bytes in memory... */
  readonly segmentBytesMax: number;
  /** ...or when its oldest row is this old (then the shard is flushed). */
  readonly segmentAgeMaxMs: number;
  /** Flushed segments smaller than this are merged by compaction. */
  readonly compactionSmallRowsMax: number;
  /** A flushed segment with this share of deleted rows is rewritten. */
  readonly compactionDeletedRatioMin: number;
  /** How often the background flush/compaction pass runs; 0 turns it off. */
  readonly backgroundIntervalMs: number;
  /** Bounded consistency waits only for writes older than this. */
  readonly boundedStalenessMs: number;
  /** offset + limit of a query or search. */
  readonly resultRowsMax: number;
  /** Merge L0 delete files of a shard past this many. */
  readonly l0FilesMax: number;
  /** Keys in one L0 delete file; a flush or merge with more writes several files. */
  readonly l0FileKeysMax: number;
  /**
   * Bytes of the rows one query or search may return (output fields, keys and scores);
   * a larger result is refused with RESULT_TOO_LARGE instead of being assembled.
   */
  readonly resultBytesMax: number;
  /** Threads one vector index build may use (builds run one at a time, in the background). */
  readonly indexBuildThreads: number;
  /**
   * Rows per interim index chunk of a growing segment (an HNSW graph over each whole
   * chunk, searched until the segment's own index is ready); 0 turns them off.
   */
  readonly interimIndexRows: number;
}

export const defaultLimits: EngineLimits = Object.freeze({
  segmentRowsMax: 100_000,
  segmentBytesMax: 256 * 1024 * 1024,
  segmentAgeMaxMs: 10 * 60 * 1000,
  compactionSmallRowsMax: 20_000,
  compactionDeletedRatioMin: 0.2,
  backgroundIntervalMs: 5_000,
  boundedStalenessMs: 5_000,
  resultRowsMax: 16_384,
  l0FilesMax: 8,
  l0FileKeysMax: 1_000_000,
  resultBytesMax: 100 * 1024 * 1024,
  indexBuildThreads: 1,
  interimIndexRows: 16_384,
});

/** How an engine runs, whatever its stores. */
export interface StartOptions {
  /** Wall clock (timestamps, ages, leases); tests pass a manual one. */
  clock?: Clock;
  /** Where the background pass gets its timer; tests pass a manual one (testing/simulated-clock.ts). */
  timers?: Timers;
  limits?: Partial<EngineLimits>;
  /**
   * Named crash points: called at each step of flush and compaction where a crash must
   * be harmless. Tests use it to stop the process at exactly that step.
   */
  crashPoint?: (name: CrashPoint) => void;
  /** Shards of new collections unless the request says otherwise. */
  shardsDefault?: number;
  /** Self-repairs and health changes, for logs and metrics (the server logs repairs at warn). */
  events?: EngineEvents;
  /**
   * Root's password until root's own is changed (UpdateCredential); from then on the
   * stored hash wins and this is not read. Default `Milvus`, as Milvus.
   */
  rootPassword?: string;
  /**
   * Threads of the native pool that runs every vector index build and search (0 = every
   * core but one). The pool is the process's: the first engine opened with this set (or
   * the first native call, with the default) fixes it, and opening another engine with a
   * different value is INVALID_ARGUMENT. Unset = whatever the process already has.
   */
  nativeThreads?: number;
  /**
   * The nice value (0-19, Linux) the native pool's threads run at; default 10, below the
   * event loop, which carries requests and the log's fsyncs. Fixed for the process like
   * nativeThreads. Lower it on a machine shared with other busy processes, where nice 10
   * lets them take the searches' CPU (bench/README.md §8).
   */
  nativeNice?: number;
  /**
   * Data nodes in this process (default 1). With more, the shards are spread over them
   * (shard i on node i mod n) and every read fans out and is merged by the gateway as in
   * cluster mode; tests use it to show the answers do not depend on the placement.
   */
  dataNodes?: number;
  /**
   * Cluster mode: read replicas on other nodes. Reads are spread over this engine and
   * them, shard by shard; a replica that fails or is behind is answered for by this
   * engine (engine/placement.ts ReplicatedPlacement).
   */
  replicas?: ReplicaDirectory;
}

/** An embedded engine: the stores in a data folder. */
export interface OpenOptions extends StartOptions {
  /** The data folder. */
  path: string;
  /** File system to use (tests pass a fault-injecting one). */
  fs?: FileSystem;
  /**
   * For tests: wraps the embedded log store before the engine uses it (a log whose
   * positions start elsewhere, as JetStream's start at 1; one that fails on demand). The
   * engine closes what this returns.
   */
  wrapLog?: (log: EngineLogStore) => EngineLogStore;
}

export type CrashPoint =
  | 'flush:segment-files-written'
  | 'flush:committed'
  | 'compaction:file-written'
  | 'compaction:committed'
  | 'drop:committed';

export const crashPoints: readonly CrashPoint[] = [
  'flush:segment-files-written', 'flush:committed', 'compaction:file-written', 'compaction:committed', 'drop:committed',
];

export function resolveLimits(given: Partial<EngineLimits> | undefined): EngineLimits {
  const l = { ...defaultLimits, ...given };
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail('INVALID_ARGUMENT', { detail: `limit ${k} must be a non-negative number, got ${String(v)}` });
  }
  for (const k of ['segmentRowsMax', 'l0FileKeysMax', 'resultBytesMax'] as const) {
    if (l[k] < 1) fail('INVALID_ARGUMENT', { detail: `limit ${k} must be at least 1, got ${l[k]}` });
  }
  return Object.freeze(l);
}
