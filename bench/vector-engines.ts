// The engines the vector benchmark compares, behind one small interface: Elanus
// in-process, Elanus through the official Milvus SDK over gRPC (server in a child
// process), the usearch npm package's own binding (the raw native library), and LanceDB
// embedded (HNSW-SQ and IVF-PQ). Each builds an index over a Dataset with the same
// parameters and answers one query (by its row number in the data set's queries) with the
// ids of its nearest K rows.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Elanus, DataType } from '../src/index.js';
import { folderSize, gc, hasGc, now, removeDir, scratchDir } from './lib.js';
import { cpuCount, FILTER, K, loadUsearch, type Dataset } from './vector-lib.js';

export interface BuildParams {
  /** HNSW graph degree (usearch connectivity, LanceDB m). */
  readonly M: number;
  readonly efConstruction: number;
}

export interface BuildReport {
  /** Seconds per step (insert, flush, index, load, ...). */
  readonly steps: Record<string, number>;
  /** Seconds from "data is in" to "index searchable": the index build as each engine does it. */
  readonly indexSeconds: number;
  /** Resident memory the engine added (after gc), in bytes; for the server, its own RSS growth. */
  readonly rssDeltaBytes: number;
  /** Other sizes: serialized index bytes, engine-reported memory, folder bytes. */
  readonly sizes: Record<string, number>;
  readonly notes: string[];
}

export interface ConcurrentMode {
  readonly label: string;
  readonly inFlight: number;
  /** One native batch call for all queries (usearch) instead of requests in flight. */
  readonly batched?: boolean;
}

export interface Engine {
  readonly name: string;
  readonly paramName: string;
  readonly params: readonly number[];
  /** How a parameter value prints (LanceDB IVF-PQ: "nprobes/refineFactor"). */
  label?(param: number): string;
  readonly concurrent: ConcurrentMode;
  /** Why filtered search is not measured, when it is not. */
  readonly filterUnsupported?: string;
  build(): Promise<BuildReport>;
  /** Called before the loops of one parameter value. */
  prepare(param: number): Promise<void>;
  search(qi: number, param: number, filtered: boolean): Promise<ArrayLike<number>> | ArrayLike<number>;
  /** Batched engines: every query in one call. */
  searchAll?(param: number): Array<ArrayLike<number>>;
  /** Engines with a server process: its CPU time so far (user + system), seconds. */
  serverCpuSeconds?(): number;
  close(): Promise<void>;
}

export const ENGINE_NAMES = ['usearch', 'elanus', 'elanus-grpc', 'lancedb-hnsw-sq', 'lancedb-ivf-pq'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/**
 * Resident set size after a full collection. Native memory held by collected JS objects
 * (a usearch index, LanceDB handles) is freed by finalizers that run after the collection,
 * so collect, let them run, and collect again before reading.
 */
const rss = async (): Promise<number> => {
  for (let i = 0; i < 2; i++) {
    if (hasGc()) gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().rss;
};

const query = (ds: Dataset, qi: number) => ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim);

// ---------------------------------------------------------------- usearch (raw library)

export async function usearchEngine(ds: Dataset, bp: BuildParams, efs: readonly number[]): Promise<Engine> {
  const { mod, error } = await loadUsearch();
  if (!mod) throw new Error(error);
  const dir = scratchDir('vector-usearch');
  const file = join(dir, 'index.usearch');
  const metric = ds.metric === 'L2' ? mod.MetricKind.L2sq : mod.MetricKind.Cos;
  const make = (ef: number) => new mod.Index({
    dimensions: ds.dim, metric, quantization: mod.ScalarKind.F32, connectivity: bp.M,
    expansion_add: bp.efConstruction, expansion_search: ef, multi: false,
  });
  let index: InstanceType<UsearchIndex> | undefined;
  let currentEf = -1;
  return {
    name: 'usearch',
    paramName: 'ef',
    params: efs,
    concurrent: { label: `batch, ${cpuCount} threads`, inFlight: cpuCount, batched: true },
    filterUnsupported: 'N/A: the JS binding has no filtered search (only the C++/Python APIs take a predicate)',
    async build() {
      const r0 = await rss();
      index = make(efs[0]!);
      currentEf = efs[0]!;
      const keys = new BigUint64Array(ds.n);
      for (let i = 0; i < ds.n; i++) keys[i] = BigInt(i);
      const t0 = now();
      index.add(keys, ds.base, cpuCount);
      const indexSeconds = (now() - t0) / 1000;
      const r1 = await rss();
      index.save(file);
      return {
        steps: { add: indexSeconds }, indexSeconds, rssDeltaBytes: r1 - r0,
        sizes: { serializedBytes: statSync(file).size },
        notes: [`add() with ${cpuCount} threads; the JS binding exposes no memory_usage(), so memory is the RSS delta and the serialized size`],
      };
    },
    async prepare(ef) {
      if (ef === currentEf) return;
      // expansion_search is fixed at construction in the JS binding: reload the saved graph.
      index = undefined;
      if (hasGc()) gc();
      const next = make(ef);
      next.load(file);
      index = next;
      currentEf = ef;
    },
    search(qi) {
      const m = index!.search(query(ds, qi), K, 1);
      const out = new Array<number>(m.keys.length);
      for (let j = 0; j < m.keys.length; j++) out[j] = Number(m.keys[j]);
      return out;
    },
    searchAll() {
      const m = index!.search(ds.queries, K, cpuCount) as unknown as { get(i: number): { keys: BigUint64Array } };
      return Array.from({ length: ds.nq }, (_, qi) => Array.from(m.get(qi).keys, Number));
    },
    async close() {
      index = undefined;
      removeDir(dir);
    },
  };
}
type UsearchIndex = typeof import('usearch').Index;

// ---------------------------------------------------------------- Elanus in-process

const COLLECTION = 'vectors';

function schema(ds: Dataset) {
  return [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'tag', data_type: DataType.Int32 },
    { name: 'v', data_type: DataType.FloatVector, dim: ds.dim },
  ];
}

const limitsFor = (ds: Dataset) => ({ backgroundIntervalMs: 0, segmentRowsMax: Math.max(1_000_000, ds.n) });

type Hit = Record<string, unknown>;
const idsOf = (results: unknown): number[] => {
  const list = (Array.isArray(results) && Array.isArray(results[0]) ? results[0] : results) as Hit[];
  return list.map((h) => Number(h.id));
};

async function waitIndexed(progress: () => Promise<{ indexed_rows: number | string; total_rows: number | string; pending_index_rows?: number | string }>): Promise<void> {
  const deadline = now() + 3_600_000;
  for (;;) {
    const p = await progress();
    if (Number(p.pending_index_rows ?? 0) === 0 && Number(p.indexed_rows) >= Number(p.total_rows)) return;
    if (now() > deadline) throw new Error(`index not built after an hour: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function elanusEngine(ds: Dataset, bp: BuildParams, efs: readonly number[]): Promise<Engine> {
  const dir = scratchDir('vector-inproc');
  let db: Elanus | undefined;
  const metric_type = ds.metric;
  return {
    name: 'elanus',
    paramName: 'ef',
    params: efs,
    concurrent: { label: '2 in flight', inFlight: 2 },
    async build() {
      const r0 = await rss();
      const steps: Record<string, number> = {};
      let t = now();
      db = await Elanus.open({ path: dir, limits: limitsFor(ds) });
      await db.createCollection({ collection_name: COLLECTION, fields: schema(ds) });
      for (let b = 0; b < ds.n; b += 1000) {
        const data = Array.from({ length: Math.min(1000, ds.n - b) }, (_, k) => {
          const i = b + k;
          return { id: i, tag: ds.tags[i], v: ds.base.subarray(i * ds.dim, (i + 1) * ds.dim) };
        });
        await db.insert({ collection_name: COLLECTION, data });
      }
      steps.insert = (now() - t) / 1000;
      t = now();
      await db.flush({ collection_names: [COLLECTION] });
      steps.flush = (now() - t) / 1000;
      t = now();
      await db.createIndex({ collection_name: COLLECTION, field_name: 'v', index_type: 'HNSW', metric_type, params: { M: bp.M, efConstruction: bp.efConstruction } });
      await waitIndexed(() => db!.getIndexBuildProgress({ collection_name: COLLECTION, field_name: 'v' }));
      steps.createIndex = (now() - t) / 1000;
      t = now();
      await db.loadCollection({ collection_name: COLLECTION });
      steps.load = (now() - t) / 1000;
      t = now();
      await db.search({ collection_name: COLLECTION, data: [query(ds, 0)], limit: K, metric_type, params: { ef: efs[0] } });
      steps.firstSearch = (now() - t) / 1000;
      const r1 = await rss();
      return {
        steps, indexSeconds: steps.createIndex + steps.load + steps.firstSearch, rssDeltaBytes: r1 - r0,
        sizes: { memoryBytesReported: db.memoryBytes({ collection_name: COLLECTION }), folderBytes: folderSize(dir).total },
        notes: ['index time = createIndex (until getIndexBuildProgress reports every row) + loadCollection + the first search'],
      };
    },
    async prepare() {},
    async search(qi, ef, filtered) {
      const r = await db!.search({
        collection_name: COLLECTION, data: [query(ds, qi)], limit: K, metric_type, params: { ef },
        ...(filtered ? { filter: FILTER } : {}), output_fields: [],
      });
      return idsOf(r.results);
    },
    async close() {
      await db?.close();
      removeDir(dir);
    },
  };
}

// ---------------------------------------------------------------- Elanus over gRPC (official SDK)

export async function elanusGrpcEngine(ds: Dataset, bp: BuildParams, efs: readonly number[]): Promise<Engine> {
  const { MilvusClient } = await import('@zilliz/milvus2-sdk-node');
  const dir = scratchDir('vector-grpc');
  const script = fileURLToPath(new URL('./vector-server.js', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script, dir, String(limitsFor(ds).segmentRowsMax)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      const m = /PORT (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  const c = new MilvusClient({ address: `127.0.0.1:${port}` });
  const check = <T extends { error_code?: string | number; status?: { error_code: string | number } }>(r: T): T => {
    const code = r.status?.error_code ?? r.error_code;
    if (code !== 'Success') throw new Error(`gRPC call failed: ${JSON.stringify(r).slice(0, 300)}`);
    return r;
  };
  const serverRss = async (): Promise<number> => {
    const raw = (await c.getMetric({ request: { metric_type: 'system_info' } })).response as unknown;
    const m = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { memory: { rss: number } };
    return m.memory.rss;
  };
  const qs = Array.from({ length: ds.nq }, (_, qi) => Array.from(query(ds, qi)));
  const metric_type = ds.metric;
  return {
    name: 'elanus-grpc',
    paramName: 'ef',
    params: efs,
    concurrent: { label: '16 in flight', inFlight: 16 },
    async build() {
      const r0 = await serverRss();
      const steps: Record<string, number> = {};
      let t = now();
      check(await c.createCollection({ collection_name: COLLECTION, fields: schema(ds) as never }));
      for (let b = 0; b < ds.n; b += 1000) {
        const data = Array.from({ length: Math.min(1000, ds.n - b) }, (_, k) => {
          const i = b + k;
          return { id: i, tag: ds.tags[i], v: Array.from(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)) };
        });
        check(await c.insert({ collection_name: COLLECTION, data: data as never }));
      }
      steps.insert = (now() - t) / 1000;
      t = now();
      check(await c.flushSync({ collection_names: [COLLECTION] }));
      steps.flush = (now() - t) / 1000;
      t = now();
      check(await c.createIndex({ collection_name: COLLECTION, field_name: 'v', index_type: 'HNSW', metric_type, params: { M: bp.M, efConstruction: bp.efConstruction } }));
      await waitIndexed(async () => check(await c.getIndexBuildProgress({ collection_name: COLLECTION, field_name: 'v' })));
      steps.createIndex = (now() - t) / 1000;
      t = now();
      check(await c.loadCollection({ collection_name: COLLECTION }));
      steps.load = (now() - t) / 1000;
      t = now();
      check(await c.search({ collection_name: COLLECTION, data: [qs[0]!], limit: K, metric_type, params: { ef: efs[0] } }));
      steps.firstSearch = (now() - t) / 1000;
      const r1 = await serverRss();
      return {
        steps, indexSeconds: steps.createIndex + steps.load + steps.firstSearch, rssDeltaBytes: r1 - r0,
        sizes: { serverRssBytes: r1, folderBytes: folderSize(dir).total },
        notes: ['inserted through the SDK in batches of 1,000 rows (number[] vectors); memory = the server process RSS growth'],
      };
    },
    async prepare() {},
    serverCpuSeconds() {
      // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    async search(qi, ef, filtered) {
      const r = check(await c.search({
        collection_name: COLLECTION, data: [qs[qi]!], limit: K, metric_type, params: { ef },
        ...(filtered ? { filter: FILTER } : {}), output_fields: [],
      }));
      return idsOf(r.results);
    },
    async close() {
      await c.closeConnection();
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      removeDir(dir);
    },
  };
}

// ---------------------------------------------------------------- LanceDB embedded

// @lancedb/lancedb is not a dependency of the project (its lock file entry names
// platform packages this registry lacks, so `npm ci` refused it): it is installed on
// demand with `npm install --no-save @lancedb/lancedb`. So no types come from it; these
// are the few calls the benchmark makes.
interface LanceQuery {
  distanceType(d: string): LanceQuery;
  limit(n: number): LanceQuery;
  ef(n: number): LanceQuery;
  nprobes(n: number): LanceQuery;
  refineFactor(n: number): LanceQuery;
  where(predicate: string): LanceQuery;
  select(columns: string[]): LanceQuery;
  toArray(): Promise<Array<{ id: number }>>;
}
interface LanceTable {
  add(data: unknown): Promise<unknown>;
  createIndex(column: string, options: { config: unknown }): Promise<void>;
  listIndices(): Promise<Array<{ name: string }>>;
  waitForIndex(names: string[], timeoutSeconds: number): Promise<void>;
  prewarmIndex(name: string): Promise<void>;
  vectorSearch(v: Float32Array): LanceQuery;
  close(): void;
}
interface LanceConnection {
  createTable(name: string, data: unknown): Promise<LanceTable>;
  close(): void;
}
interface Lance {
  connect(uri: string): Promise<LanceConnection>;
  makeArrowTable(rows: Array<Record<string, unknown>>): unknown;
  Index: {
    hnswSq(o: Record<string, unknown>): unknown;
    ivfPq(o: Record<string, unknown>): unknown;
    btree(): unknown;
  };
}
const lancePackage = '@lancedb/lancedb';
let lanceCache: { mod?: Lance; error?: string } | undefined;

export async function loadLance(): Promise<{ mod?: Lance; error?: string }> {
  if (!lanceCache) {
    // Its Rust logger prints warnings (e.g. empty IVF partitions) on stderr unless told otherwise.
    process.env.LANCEDB_LOG ??= 'error';
    try {
      lanceCache = { mod: (await import(lancePackage)) as Lance };
    } catch (e) {
      lanceCache = { error: `LanceDB skipped: ${lancePackage} could not be loaded (${(e as Error).message.split('\n')[0]}); install it with \`npm install --no-save ${lancePackage}\`` };
    }
  }
  return lanceCache;
}

/** PQ sub-vectors of 8 or 16 dimensions when the dimension allows, else 4 or 2 (LanceDB's own default falls to 1 sub-vector). */
export function pqSubVectors(dim: number): number {
  for (const w of [16, 8, 4, 2]) if (dim % w === 0) return dim / w;
  return 1;
}

/**
 * LanceDB embedded. HNSW-SQ sweeps ef; IVF-PQ sweeps pairs: step i searches with
 * nprobes = sweep[i] and refineFactor = refineFactors[i] (both have to grow for the PQ
 * codes' error not to cap recall).
 */
export async function lanceEngine(ds: Dataset, bp: BuildParams, kind: 'hnsw-sq' | 'ivf-pq', sweep: readonly number[], refineFactors: readonly number[]): Promise<Engine> {
  const { mod: lancedb, error } = await loadLance();
  if (!lancedb) throw new Error(error);
  const dir = scratchDir(`vector-lance-${kind}`);
  const conn = await lancedb.connect(dir);
  let table: LanceTable | undefined;
  const distanceType = ds.metric === 'L2' ? 'l2' : 'cosine';
  const numPartitions = Math.max(1, Math.round(Math.sqrt(ds.n)));
  const refineOf = (p: number) => refineFactors[Math.max(0, sweep.indexOf(p))] ?? refineFactors.at(-1)!;
  return {
    name: `lancedb-${kind}`,
    paramName: kind === 'hnsw-sq' ? 'ef' : 'nprobes/refineFactor',
    params: sweep,
    label: (p) => (kind === 'hnsw-sq' ? String(p) : `${p}/${refineOf(p)}`),
    concurrent: { label: '16 in flight', inFlight: 16 },
    async build() {
      const r0 = await rss();
      const steps: Record<string, number> = {};
      let t = now();
      const chunk = 50_000;
      for (let b = 0; b < ds.n; b += chunk) {
        const rows = Array.from({ length: Math.min(chunk, ds.n - b) }, (_, k) => {
          const i = b + k;
          return { id: i, tag: ds.tags[i]!, vector: ds.base.subarray(i * ds.dim, (i + 1) * ds.dim) };
        });
        const data = lancedb.makeArrowTable(rows);
        if (table === undefined) table = await conn.createTable('vectors', data);
        else await table.add(data);
      }
      steps.ingest = (now() - t) / 1000;
      t = now();
      const config = kind === 'hnsw-sq'
        ? lancedb.Index.hnswSq({ distanceType, m: bp.M, efConstruction: bp.efConstruction, numPartitions: 1 })
        : lancedb.Index.ivfPq({ distanceType, numPartitions, numSubVectors: pqSubVectors(ds.dim) });
      await table!.createIndex('vector', { config });
      const names = (await table!.listIndices()).map((i) => i.name);
      await table!.waitForIndex(names, 3600);
      steps.vectorIndex = (now() - t) / 1000;
      t = now();
      await table!.createIndex('tag', { config: lancedb.Index.btree() });
      steps.tagIndex = (now() - t) / 1000;
      t = now();
      for (const n of (await table!.listIndices()).map((i) => i.name)) {
        try { await table!.prewarmIndex(n); } catch { /* not every index kind can be prewarmed */ }
      }
      steps.prewarm = (now() - t) / 1000;
      const r1 = await rss();
      return {
        steps, indexSeconds: steps.vectorIndex, rssDeltaBytes: r1 - r0,
        sizes: { folderBytes: folderSize(dir).total },
        notes: [kind === 'hnsw-sq'
          ? `IVF_HNSW_SQ (numPartitions 1, m ${bp.M}, efConstruction ${bp.efConstruction}); BTree index on tag; filter as a prefilter (the default)`
          : `IVF_PQ (numPartitions ${numPartitions}, numSubVectors ${pqSubVectors(ds.dim)}, 8 bits), searched with nprobes/refineFactor ${sweep.map((p) => `${p}/${refineOf(p)}`).join(', ')}; BTree index on tag; filter as a prefilter`],
      };
    },
    async prepare() {},
    async search(qi, p, filtered) {
      let q = table!.vectorSearch(query(ds, qi)).distanceType(distanceType).limit(K);
      q = kind === 'hnsw-sq' ? q.ef(p) : q.nprobes(p).refineFactor(refineOf(p));
      if (filtered) q = q.where(FILTER);
      const rows = await q.select(['id', '_distance']).toArray();
      return rows.map((r) => Number(r.id));
    },
    async close() {
      table?.close();
      conn.close();
      removeDir(dir);
    },
  };
}
