// Typed wrappers over our native addon (native/*.cc, built by node-gyp into
// build/Release/elanus_vector.node, or the N-API prebuild an installed package carries in
// prebuilds/; node-gyp-build picks the first that fits, the local build first): vector indexes (HNSW from usearch's C++ headers; IVF_FLAT,
// IVF_SQ8, IVF_PQ and BIN_IVF_FLAT of our own) and exact scans. All work runs on the
// addon's own thread pool (native/pool.h), never on libuv's, whose threads node:fs needs
// for the log's writes and fsyncs; filters are applied inside the search. Errors the
// caller can cause come back as ElanusError INVALID_ARGUMENT (bytes that are not an index:
// "corrupt index: …"; a whole index this build must not read: "incompatible index: …").
//
// Scores follow Milvus and query/distance.ts: L2 is the squared distance (smaller is
// nearer); IP and COSINE are similarities (larger is nearer); HAMMING counts differing
// bits; JACCARD is 1 - |a∩b|/|a∪b|. Scores of quantized indexes (HNSW f16/bf16/i8,
// IVF_SQ8, IVF_PQ) are computed on the stored codes and mapped back to the original
// scale, so they approximate the exact score.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ElanusError } from '../errors/index.js';

export type NativeMetric = 'L2' | 'IP' | 'COSINE' | 'HAMMING' | 'JACCARD';
/** Layout of vectors handed in: f32 = Float32Array (dim per row); f16 / bf16 = Uint16Array of raw half bits (dim per row); i8 = Int8Array (dim per row); bin = Uint8Array (dim/8 bytes per row, dim = bits). */
export type ElementType = 'f32' | 'f16' | 'bf16' | 'i8' | 'bin';
export type VectorData = Float32Array | Uint16Array | Int8Array | Uint8Array;
export type IndexBuildSpec =
  /** i8 (Int8Vector) only here: Milvus builds nothing but the HNSW family on it. The graph keeps `storage`. */
  | { type: 'HNSW'; metric: 'L2' | 'IP' | 'COSINE'; dim: number; element: 'f32' | 'f16' | 'bf16' | 'i8'; M: number; efConstruction: number; storage: 'f32' | 'f16' | 'bf16' | 'i8'; threads?: number }
  | { type: 'IVF_FLAT' | 'IVF_SQ8'; metric: 'L2' | 'IP' | 'COSINE'; dim: number; element: 'f32' | 'f16' | 'bf16'; nlist: number; threads?: number }
  | { type: 'IVF_PQ'; metric: 'L2' | 'IP' | 'COSINE'; dim: number; element: 'f32' | 'f16' | 'bf16'; nlist: number; m: number; nbits: number; threads?: number }
  | { type: 'BIN_IVF_FLAT'; metric: 'HAMMING' | 'JACCARD'; dim: number; element: 'bin'; nlist: number; threads?: number };

export interface SearchOptions {
  k: number;
  /** HNSW search breadth (usearch's expansion_search): max(k, ef), ef defaulting to 64. */
  ef?: number;
  /** IVF lists probed; default 8, capped at nlist. */
  nprobe?: number;
  /**
   * One byte per row of the index/data: 1 = the row may be returned. Absent = every row.
   * Honoured inside the search (HNSW's graph walk skips disallowed rows in its results but
   * still walks through them; IVF lists and scans skip them), so k allowed rows come back
   * whenever that many exist and are reachable. HNSW scans the allowed rows exactly when
   * there are no more of them than the walk's list (max(k, ef)).
   */
  allow?: Uint8Array;
  /** How many rows `allow` allows, when the caller knows (saves the search counting them). */
  allowedCount?: number;
}

/** nq*k entries, query-major, nearest first; rows[i] = -1 and scores[i] = NaN where fewer than k rows were found. */
export interface SearchResult { rows: Int32Array; scores: Float32Array }
export interface RangeResult { /** nq+1 offsets into rows/scores */ offsets: Int32Array; rows: Int32Array; scores: Float32Array }

export interface NativeIndex {
  readonly type: string;
  readonly rows: number;
  readonly dim: number;
  readonly metric: NativeMetric;
  /** queries: Float32Array (nq*dim) for dense indexes, Uint8Array (nq*dim/8) for binary. Runs on a worker thread. */
  search(queries: Float32Array | Uint8Array, nq: number, opts: SearchOptions): Promise<SearchResult>;
  /** Self-describing bytes (type, metric, dim, params, rows, structure, CRC-32) that loadIndex turns back into an identical index. */
  serialize(): Promise<Uint8Array>;
  /** Bytes of memory the index holds. */
  memoryBytes(): number;
}

// ---- the addon ---------------------------------------------------------------------------

interface NativeHandle {
  search(queries: Float32Array | Uint8Array, nq: number, k: number, ef: number | undefined, nprobe: number | undefined, allow: Uint8Array | undefined, allowed: number | undefined): Promise<SearchResult>;
  serialize(): Promise<Uint8Array>;
  memoryBytes(): number;
  info(): { type: string; metric: NativeMetric; rows: number; dim: number };
}

interface Addon {
  buildIndex(spec: IndexBuildSpec, vectors: VectorData, rows: number, cancel?: Int32Array): Promise<NativeHandle>;
  loadIndex(bytes: Uint8Array): Promise<NativeHandle>;
  exactSearch(vectors: VectorData, rows: number, dim: number, element: ElementType, metric: NativeMetric, queries: Float32Array | Uint8Array, nq: number, k: number, allow: Uint8Array | undefined): Promise<SearchResult>;
  rangeSearch(vectors: VectorData, rows: number, dim: number, element: ElementType, metric: NativeMetric, queries: Float32Array | Uint8Array, nq: number, radius: number, rangeFilter: number | undefined, limit: number | undefined, allow: Uint8Array | undefined): Promise<RangeResult>;
  searchMany(handles: NativeHandle[], queries: Float32Array, nq: number, k: number, ef: number | undefined, allow: Uint8Array | undefined): Promise<SearchResult>;
  isa(): { scans: string; searchContexts: number };
  initPool(threads: number, fixed: boolean, nice: number): number;
  poolStats(reset: boolean): NativePoolStats;
  holdForTest(word: Int32Array, asBuild: boolean): Promise<void>;
}

/** The native pool's counters (for tests and benchmarks). */
export interface NativePoolStats {
  readonly threads: number;
  /** The nice value its threads were started at (Linux). */
  readonly nice: number;
  /** Tasks running now, and the most that ran at once since the last reset. */
  readonly running: number;
  readonly runningMax: number;
  /** Of those, builds (which may hold at most threads - 1 threads, or the one of a pool of one). */
  readonly buildsRunning: number;
  readonly buildsRunningMax: number;
  readonly queued: number;
  readonly finished: number;
}

/** The folder holding package.json, walking up from this module (dist/src/index/ when compiled). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new ElanusError('INTERNAL', { detail: `no package.json above ${fileURLToPath(import.meta.url)}` });
    dir = up;
  }
}

let addon: Addon | undefined;

/** Threads the native pool may have (native/pool.h's pool_threads_max). */
export const nativeThreadsMax = 256;

/**
 * The pool's size when none is configured: every core but one, and at least two.
 * The core left over is the event loop's: it decodes requests, appends to the log and
 * answers, and its fsyncs run on libuv's threads, which the native pool no longer
 * shares; more threads than cores would make searches take turns with it. At least two,
 * because builds may hold every thread but one: with one thread, a search would wait
 * for a whole background build (seconds) to end.
 */
export function defaultNativeThreads(): number {
  return Math.min(nativeThreadsMax, Math.max(2, availableParallelism() - 1));
}

/** The size chosen for this process, once chosen (by configureNativePool or the first native call). */
let poolThreads: number | undefined;
/** The nice value chosen for this process's pool threads, once chosen. */
let poolNice: number | undefined;

/**
 * The nice value of the pool's threads unless configured (Linux): below the event loop,
 * which carries requests and the log's fsyncs (native/pool.h, bench/README.md §7).
 */
export const nativeNiceDefault = 10;
export const nativeNiceMax = 19;

/**
 * Fixes the native pool's size (0 = defaultNativeThreads()) and its threads' nice value
 * (0-19; default nativeNiceDefault; undefined = as already chosen, else the default) for the life of the process. The first call decides,
 * or, without one, the first native call (with the defaults). A later call for the same
 * values does nothing; for others it throws INVALID_ARGUMENT, because the pool's threads
 * and every index's search contexts are made for one size, and a thread's nice value
 * cannot be lowered again without privilege. Returns the size. Does not load the addon
 * (that waits for the first native call).
 */
export function configureNativePool(threads: number | undefined, nice?: number): number {
  if (threads === undefined) threads = poolThreads ?? 0;
  if (nice === undefined) nice = poolNice ?? nativeNiceDefault;
  if (!Number.isSafeInteger(threads) || threads < 0 || threads > nativeThreadsMax) {
    throw new ElanusError('INVALID_ARGUMENT', { detail: `nativeThreads must be an integer in [0, ${nativeThreadsMax}] (0 = ${defaultNativeThreads()}, every core but one, at least two), got ${String(threads)}` });
  }
  if (!Number.isSafeInteger(nice) || nice < 0 || nice > nativeNiceMax) {
    throw new ElanusError('INVALID_ARGUMENT', { detail: `nativeNice must be an integer in [0, ${nativeNiceMax}], got ${String(nice)}` });
  }
  const want = threads === 0 ? defaultNativeThreads() : threads;
  if (poolThreads !== undefined && poolThreads !== want) {
    throw new ElanusError('INVALID_ARGUMENT', { detail: `the native pool already has ${poolThreads} threads for this process; nativeThreads cannot change to ${want} (it is fixed by the first engine opened with it, or by the first native call)` });
  }
  if (poolNice !== undefined && poolNice !== nice) {
    throw new ElanusError('INVALID_ARGUMENT', { detail: `the native pool already runs at nice ${poolNice} in this process; nativeNice cannot change to ${nice} (it is fixed by the first engine opened with it, or by the first native call)` });
  }
  poolThreads = want;
  poolNice = nice;
  return want;
}

/** Loaded on first use, so that importing this module never fails on a machine without the build. */
function native(): Addon {
  if (addon) return addon;
  const root = packageRoot();
  let loaded: Addon;
  try {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (dir: string) => unknown;
    loaded = load(root) as Addon;
  } catch (e) {
    throw new ElanusError('INTERNAL', { detail: `the native vector addon could not be loaded from ${root} (build/Release or prebuilds/; run npm run build:native): ${(e as Error).message}` }, { cause: e });
  }
  // The pool is the process's: another module instance (a worker thread) may have
  // started it. A size configured here must be the one it runs (else "invalid"); with
  // none configured, this instance takes whatever it runs, or starts it with the default.
  try {
    poolThreads = poolThreads !== undefined ? loaded.initPool(poolThreads, true, poolNice ?? nativeNiceDefault) : loaded.initPool(defaultNativeThreads(), false, nativeNiceDefault);
  } catch (e) {
    throw translate(e);
  }
  addon = loaded;
  return addon;
}

/** The addon's errors carry `kind`: invalid or corrupt input is the caller's; anything else is ours. */
function translate(e: unknown): unknown {
  if (e instanceof ElanusError || !(e instanceof Error)) return e;
  const kind = (e as Error & { kind?: string }).kind;
  if (kind === 'invalid' || kind === 'corrupt' || kind === 'incompatible') return new ElanusError('INVALID_ARGUMENT', { detail: e.message }, { cause: e });
  if (kind === 'busy') return new ElanusError('LIMIT_EXCEEDED', { what: 'native task queue', detail: e.message }, { cause: e });
  if (kind === 'internal') return new ElanusError('INTERNAL', { detail: e.message }, { cause: e });
  // Only a closing engine cancels its builds.
  if (kind === 'cancelled') return new ElanusError('CLOSED', {}, { cause: e });
  return e;
}

/** Runs a native call; both a synchronous throw and a rejection come back translated. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw translate(e);
  }
}

/** The addon's handle behind each index this module made. */
const handles = new WeakMap<NativeIndex, NativeHandle>();

class Index implements NativeIndex {
  readonly type: string;
  readonly rows: number;
  readonly dim: number;
  readonly metric: NativeMetric;

  constructor(private readonly handle: NativeHandle) {
    const info = handle.info();
    this.type = info.type;
    this.rows = info.rows;
    this.dim = info.dim;
    this.metric = info.metric;
    handles.set(this, handle);
    Object.freeze(this);
  }

  search(queries: Float32Array | Uint8Array, nq: number, opts: SearchOptions): Promise<SearchResult> {
    return call(() => this.handle.search(queries, nq, opts.k, opts.ef, opts.nprobe, opts.allow, opts.allow ? opts.allowedCount : undefined));
  }

  serialize(): Promise<Uint8Array> {
    return call(() => this.handle.serialize());
  }

  memoryBytes(): number {
    return this.handle.memoryBytes();
  }
}

/**
 * Builds on a pool thread (threads default 1: the build's own helper threads beside it;
 * more allowed for benchmarks). Row r of `vectors` gets label r. Setting `cancel[0]` to
 * nonzero (Atomics.store) stops the build between rows: it rejects with CLOSED.
 */
export function buildIndex(spec: IndexBuildSpec, vectors: VectorData, rows: number, cancel?: Int32Array): Promise<NativeIndex> {
  return call(async () => new Index(await native().buildIndex(spec, vectors, rows, cancel)));
}

/** A cancel word for buildIndex: shared memory, so the worker thread sees the store at once. */
export function newCancelWord(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

export function loadIndex(bytes: Uint8Array): Promise<NativeIndex> {
  return call(async () => new Index(await native().loadIndex(bytes)));
}

/** Exact top-k over rows [0, rows) of `vectors` (SIMD), off the event loop. */
export function exactSearch(vectors: VectorData, rows: number, dim: number, element: ElementType, metric: NativeMetric, queries: Float32Array | Uint8Array, nq: number, opts: { k: number; allow?: Uint8Array }): Promise<SearchResult> {
  return call(() => native().exactSearch(vectors, rows, dim, element, metric, queries, nq, opts.k, opts.allow));
}

/**
 * Exact range search: every allowed row whose score lies in the range, nearest first, at
 * most `limit` per query (default unlimited). For L2/HAMMING/JACCARD (smaller is nearer):
 * rangeFilter <= score < radius (rangeFilter default -Infinity). For IP/COSINE (larger is
 * nearer): radius < score <= rangeFilter (rangeFilter default +Infinity).
 */
export function rangeSearch(vectors: VectorData, rows: number, dim: number, element: ElementType, metric: NativeMetric, queries: Float32Array | Uint8Array, nq: number, opts: { radius: number; rangeFilter?: number; limit?: number; allow?: Uint8Array }): Promise<RangeResult> {
  return call(() => native().rangeSearch(vectors, rows, dim, element, metric, queries, nq, opts.radius, opts.rangeFilter, opts.limit, opts.allow));
}

/**
 * One search over dense indexes of one metric and dim that stand for consecutive row
 * ranges (index i's row r is row rows(0..i-1) + r): each is searched in turn in one worker
 * task and the hits merged per query (equal scores by row). `allow` covers all their rows.
 */
export function searchMany(indexes: readonly NativeIndex[], queries: Float32Array, nq: number, opts: { k: number; ef?: number; allow?: Uint8Array }): Promise<SearchResult> {
  return call(() => {
    const hs = indexes.map((ix) => {
      const h = handles.get(ix);
      if (!h) throw new ElanusError('INVALID_ARGUMENT', { detail: 'searchMany takes indexes made by buildIndex or loadIndex' });
      return h;
    });
    return native().searchMany(hs, queries, nq, opts.k, opts.ef, opts.allow);
  });
}

/** Which kernels the scans use on this CPU, and how many searches one index runs at once. */
export function nativeInfo(): { scans: string; searchContexts: number } {
  return native().isa();
}

/** The native pool's counters; `resetMax` starts a new runningMax from the tasks running now. */
export function nativePoolStats(resetMax = false): NativePoolStats {
  return native().poolStats(resetMax);
}

/**
 * For tests: a task that occupies one pool thread until `word[0]` is set to nonzero
 * (Atomics.store), then resolves. Fills the pool for exactly as long as a test wants;
 * `asBuild` queues and counts it as a build instead of a short task.
 */
export function holdNativeThreadForTest(word: Int32Array, opts: { asBuild?: boolean } = {}): Promise<void> {
  return call(() => native().holdForTest(word, opts.asBuild ?? false));
}
