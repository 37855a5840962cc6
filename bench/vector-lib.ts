// Helpers of the vector benchmark (bench/vector.ts): the data sets, their ground truth
// (plain and at 10% selectivity), tie-aware recall, and the timed query loops.
//
// Distances are compared in float64 by the benchmark itself, whatever the engine reports:
// L2 = squared Euclidean, COSINE = 1 - cos. A returned id counts as a hit when its true
// distance is at most the k-th true distance (ties across the k-th place all count).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpus } from 'node:os';
import { now, percentile, repoRoot, rng } from './lib.js';

export const K = 10;
/** Values 0..99 of the Int32 `tag` field; `tag < 10` keeps 10% of the rows. */
export const TAG_VALUES = 100;
export const FILTER = 'tag < 10';
export const FILTER_TAG_MAX = 10;

export type Metric = 'L2' | 'COSINE';

export interface Dataset {
  readonly name: string;
  readonly n: number;
  readonly dim: number;
  readonly metric: Metric;
  /** Row-major n x dim. */
  readonly base: Float32Array;
  /** Row-major nq x dim. */
  readonly queries: Float32Array;
  readonly nq: number;
  /** Per query, the k-th (K) true distance over all rows, and over the rows with tag < 10. */
  readonly kth: Float64Array;
  readonly kthFiltered: Float64Array;
  /** The Int32 tag of every row (0..99, seeded, uncorrelated with the vectors). */
  readonly tags: Int32Array;
  /** Where the data and the ground truth came from. */
  readonly source: string;
  /** Seconds spent computing ground truth here (0 when read from files). */
  readonly groundTruthSeconds: number;
}

// ---------------------------------------------------------------- flags

/** `--flag`, `--key value` and `--key=value`; known boolean flags never take the next word. */
export function parseFlags(argv: string[], booleans: readonly string[]): Record<string, string | true | undefined> {
  const out: Record<string, string | true | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (booleans.includes(a.slice(2))) out[a.slice(2)] = true;
    else out[a.slice(2)] = argv[++i];
  }
  return out;
}

// ---------------------------------------------------------------- usearch (optional)

export type UsearchModule = typeof import('usearch');
let usearchCache: { mod?: UsearchModule; error?: string } | undefined;

/** The usearch package, or why it could not be loaded. */
export async function loadUsearch(): Promise<{ mod?: UsearchModule; error?: string }> {
  if (!usearchCache) {
    try {
      const mod = (await import('usearch')) as UsearchModule;
      // One tiny search proves the native binary loads on this platform.
      const probe = new mod.Index({ dimensions: 2, metric: mod.MetricKind.L2sq, quantization: mod.ScalarKind.F32, connectivity: 4, expansion_add: 8, expansion_search: 8, multi: false });
      probe.add(1n, new Float32Array([1, 2]), 1);
      probe.search(new Float32Array([1, 2]), 1, 1);
      usearchCache = { mod };
    } catch (e) {
      usearchCache = { error: `usearch could not be loaded: ${(e as Error).message}` };
    }
  }
  return usearchCache;
}

// ---------------------------------------------------------------- distances and ground truth

/** Euclidean norms of the rows (for cosine). */
export function norms(data: Float32Array, dim: number): Float64Array {
  const n = data.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * dim;
    for (let j = 0; j < dim; j++) s += data[o + j]! * data[o + j]!;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** True distance (float64) between base row `id` and query row `qi`. */
export function trueDistance(base: Float32Array, baseNorms: Float64Array | undefined, queries: Float32Array, queryNorms: Float64Array | undefined, dim: number, metric: Metric, id: number, qi: number): number {
  const o = id * dim;
  const p = qi * dim;
  let s = 0;
  if (metric === 'L2') {
    for (let j = 0; j < dim; j++) {
      const t = base[o + j]! - queries[p + j]!;
      s += t * t;
    }
    return s;
  }
  for (let j = 0; j < dim; j++) s += base[o + j]! * queries[p + j]!;
  const d = baseNorms![id]! * queryNorms![qi]!;
  return d === 0 ? 1 : 1 - s / d;
}

/**
 * The k-th true distance of every query over the rows `subset` (all rows when undefined):
 * a candidate list from usearch's exact (brute-force, multi-threaded) search, re-ranked in
 * float64; plain JavaScript when usearch is not available.
 */
export async function kthDistances(base: Float32Array, queries: Float32Array, dim: number, metric: Metric, k: number, subset?: Int32Array): Promise<Float64Array> {
  const nq = queries.length / dim;
  const n = base.length / dim;
  const rows = subset ?? Int32Array.from({ length: n }, (_, i) => i);
  let data = base;
  if (subset) {
    data = new Float32Array(subset.length * dim);
    for (let i = 0; i < subset.length; i++) data.set(base.subarray(subset[i]! * dim, (subset[i]! + 1) * dim), i * dim);
  }
  const bn = metric === 'COSINE' ? norms(base, dim) : undefined;
  const qn = metric === 'COSINE' ? norms(queries, dim) : undefined;
  const out = new Float64Array(nq);
  const want = Math.min(rows.length, k + 10); // a margin for float32 rounding near the k-th place
  const { mod } = await loadUsearch();
  if (mod) {
    const r = mod.exactSearch(data, queries, dim, want, metric === 'L2' ? mod.MetricKind.L2sq : mod.MetricKind.Cos, 0);
    const keys = r.keys;
    const counts = 'counts' in r ? r.counts : undefined;
    for (let q = 0; q < nq; q++) {
      const c = counts ? Number(counts[q]) : want;
      const ds: number[] = [];
      for (let j = 0; j < c; j++) ds.push(trueDistance(base, bn, queries, qn, dim, metric, rows[Number(keys[q * want + j])]!, q));
      ds.sort((a, b) => a - b);
      out[q] = ds[Math.min(k, ds.length) - 1]!;
    }
    return out;
  }
  for (let q = 0; q < nq; q++) {
    const ds = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) ds[i] = trueDistance(base, bn, queries, qn, dim, metric, rows[i]!, q);
    ds.sort();
    out[q] = ds[Math.min(k, ds.length) - 1]!;
  }
  return out;
}

export function seededTags(n: number, seed = 99): Int32Array {
  const r = rng(seed);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.floor(r() * TAG_VALUES);
  return t;
}

export function filteredRows(tags: Int32Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < tags.length; i++) if (tags[i]! < FILTER_TAG_MAX) out.push(i);
  return Int32Array.from(out);
}

/** Recall tie-aware at K, averaged over the queries answered. */
export class RecallChecker {
  private readonly bn: Float64Array | undefined;
  private readonly qn: Float64Array | undefined;
  constructor(readonly ds: Dataset) {
    this.bn = ds.metric === 'COSINE' ? norms(ds.base, ds.dim) : undefined;
    this.qn = ds.metric === 'COSINE' ? norms(ds.queries, ds.dim) : undefined;
  }

  /** Hits / K of one query's answer; ids past K, duplicates and (when filtered) rows failing the filter do not count. */
  one(qi: number, ids: ArrayLike<number>, filtered: boolean): number {
    const kth = (filtered ? this.ds.kthFiltered : this.ds.kth)[qi]!;
    const tol = 1e-5 * Math.max(1, Math.abs(kth));
    const seen = new Set<number>();
    let hits = 0;
    for (let j = 0; j < Math.min(K, ids.length); j++) {
      const id = ids[j]!;
      if (seen.has(id) || !(id >= 0 && id < this.ds.n)) continue;
      seen.add(id);
      if (filtered && this.ds.tags[id]! >= FILTER_TAG_MAX) continue;
      if (trueDistance(this.ds.base, this.bn, this.ds.queries, this.qn, this.ds.dim, this.ds.metric, id, qi) <= kth + tol) hits++;
    }
    return hits / K;
  }

  mean(answers: Map<number, ArrayLike<number>>, filtered: boolean): number {
    if (answers.size === 0) return NaN;
    let s = 0;
    for (const [qi, ids] of answers) s += this.one(qi, ids, filtered);
    return s / answers.size;
  }
}

// ---------------------------------------------------------------- data sets

type Loader = {
  readFvecs: (p: string) => { n: number; d: number; data: Float32Array };
  readIvecs: (p: string) => { n: number; d: number; data: Int32Array };
  readIdx: (p: string) => { n: number; d: number; data: Uint8Array };
};

export function datasetsDir(): string {
  return process.env.ELANUS_DATASETS ?? join(repoRoot, '..', 'shared', 'datasets');
}

async function loader(dir: string): Promise<Loader> {
  return (await import(pathToFileURL(join(dir, 'load.mjs')).href)) as Loader;
}

export const FASHION_BASE = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';

/** The named data set, or the reason it is skipped. `queries` caps the query count. */
export async function loadDataset(spec: string, queriesMax: number): Promise<Dataset | { skip: string }> {
  const dir = datasetsDir();
  const synth = /^synthetic-(\d+)$/.exec(spec);
  if (synth) return synthetic(Number(synth[1]), Math.min(queriesMax, 1000));
  if (!existsSync(join(dir, 'load.mjs'))) return { skip: `no data sets at ${dir} (set ELANUS_DATASETS)` };
  const L = await loader(dir);
  // k-th true distance from the data set's distance file: row qi, column K-1.
  const kthFromFile = (dist: { d: number; data: Int32Array | Float32Array }, nq: number) =>
    Float64Array.from({ length: nq }, (_, q) => dist.data[q * dist.d + K - 1]!);
  if (spec === 'siftsmall') {
    const base = L.readFvecs(join(dir, 'siftsmall/siftsmall_base.fvecs'));
    const q = L.readFvecs(join(dir, 'siftsmall/siftsmall_query.fvecs'));
    const nq = Math.min(q.n, queriesMax);
    const dist = L.readIvecs(join(dir, 'siftsmall/siftsmall_groundtruth_dist2.ivecs'));
    return finish('siftsmall', base.data, base.d, 'L2', q.data.slice(0, nq * q.d), kthFromFile(dist, nq), 'shared/datasets/siftsmall (TEXMEX SIFT10K), ground truth from its dist2 file');
  }
  if (spec === 'glove-30k') {
    const base = L.readFvecs(join(dir, 'glove-100-wink/glove100_base.fvecs'));
    const q = L.readFvecs(join(dir, 'glove-100-wink/glove100_query.fvecs'));
    const nq = Math.min(q.n, queriesMax);
    const dist = L.readFvecs(join(dir, 'glove-100-wink/glove100_groundtruth_dist.fvecs'));
    return finish('glove-30k', base.data, base.d, 'COSINE', q.data.slice(0, nq * q.d), kthFromFile(dist, nq), 'shared/datasets/glove-100-wink (GloVe 6B 100-d, 30,000 words), ground truth from its dist file');
  }
  if (spec === 'fashion-mnist') {
    if (!existsSync(FASHION_BASE)) return { skip: `fashion-mnist: its base (${FASHION_BASE}) is not installed; apt-get install -y dataset-fashion-mnist` };
    const base = L.readIdx(FASHION_BASE);
    const q = L.readIdx(join(dir, 'fashion-mnist/t10k-images-idx3-ubyte.gz'));
    const nq = Math.min(q.n, queriesMax);
    const dist = L.readIvecs(join(dir, 'fashion-mnist/fashion-mnist_groundtruth_dist2.ivecs'));
    return finish('fashion-mnist', Float32Array.from(base.data), base.d, 'L2', Float32Array.from(q.data.subarray(0, nq * q.d)), kthFromFile(dist, nq), `Fashion-MNIST 60k train (apt) x ${nq} t10k queries, ground truth from its dist2 file`);
  }
  return { skip: `unknown data set ${spec} (known: siftsmall, glove-30k, fashion-mnist, synthetic-<rows>)` };
}

async function finish(name: string, base: Float32Array, dim: number, metric: Metric, queries: Float32Array, kth: Float64Array, source: string, gtSeconds = 0): Promise<Dataset> {
  const n = base.length / dim;
  const tags = seededTags(n);
  const t0 = now();
  const kthFiltered = await kthDistances(base, queries, dim, metric, K, filteredRows(tags));
  return {
    name, n, dim, metric, base, queries, nq: queries.length / dim, kth, kthFiltered, tags, source,
    groundTruthSeconds: gtSeconds + (now() - t0) / 1000,
  };
}

/**
 * Random clustered data, dim 128: 32-dimensional latent points from a mixture of Gaussians
 * (one centre per 1,000 rows), mapped to 128 dimensions by a fixed random matrix, plus a
 * little isotropic noise. Queries come from the same mixture (other draws). Ground truth:
 * exact search here.
 */
export async function synthetic(n: number, nq: number): Promise<Dataset> {
  const dim = 128;
  const latent = 32;
  const clusters = Math.max(10, Math.round(n / 1000));
  const r = rng(20240601);
  const gauss = () => {
    // Box-Muller
    const u = Math.max(r(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
  const W = Float64Array.from({ length: dim * latent }, () => gauss() / Math.sqrt(latent));
  const centres = Float64Array.from({ length: clusters * latent }, () => gauss() * 2);
  const z = new Float64Array(latent);
  const draw = (count: number): Float32Array => {
    const out = new Float32Array(count * dim);
    for (let i = 0; i < count; i++) {
      const c = Math.floor(r() * clusters);
      for (let l = 0; l < latent; l++) z[l] = centres[c * latent + l]! + 0.7 * gauss();
      const o = i * dim;
      for (let d = 0; d < dim; d++) {
        let s = 0.05 * gauss();
        const w = d * latent;
        for (let l = 0; l < latent; l++) s += W[w + l]! * z[l]!;
        out[o + d] = s;
      }
    }
    return out;
  };
  const base = draw(n);
  const queries = draw(nq);
  const t0 = now();
  const kth = await kthDistances(base, queries, dim, 'L2', K);
  const gt = (now() - t0) / 1000;
  const { mod } = await loadUsearch();
  return finish(`synthetic-${n}`, base, dim, 'L2', queries, kth,
    `synthetic: ${clusters} Gaussian clusters in a 32-d latent space mapped to 128-d (+ noise), seeded; ground truth by ${mod ? "usearch's exact search" : 'a JavaScript scan'} here`, gt);
}

// ---------------------------------------------------------------- timed loops

export interface LoopResult {
  /** Queries per second over the whole loop. */
  qps: number;
  count: number;
  seconds: number;
  inFlight: number;
  /** Per-query latency in ms (empty for batched loops). */
  p50: number;
  p99: number;
  /** The answer of the first time each query was asked. */
  answers: Map<number, ArrayLike<number>>;
}

export interface LoopLimits {
  /** Stop once every query was asked and this much time passed... */
  minSeconds: number;
  /** ...or once this much time passed (after at least `minQueries`). */
  maxSeconds: number;
  minQueries: number;
}

/**
 * Runs queries 0..nq-1 cyclically with `inFlight` requests outstanding at any time until
 * the limits say stop; `ask` returns the ids of one query's answer.
 */
export async function timedLoop(nq: number, inFlight: number, limits: LoopLimits, ask: (qi: number) => Promise<ArrayLike<number>> | ArrayLike<number>): Promise<LoopResult> {
  const lat: number[] = [];
  const answers = new Map<number, ArrayLike<number>>();
  let next = 0;
  let done = 0;
  let stop = false;
  const t0 = now();
  const worker = async () => {
    while (!stop) {
      const i = next++;
      const qi = i % nq;
      const t = now();
      const ids = await ask(qi);
      const end = now();
      lat.push(end - t);
      if (!answers.has(qi)) answers.set(qi, ids);
      done++;
      const el = (end - t0) / 1000;
      if ((done >= nq && el >= limits.minSeconds) || (el >= limits.maxSeconds && done >= limits.minQueries)) stop = true;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (now() - t0) / 1000;
  return { qps: done / seconds, count: done, seconds, inFlight, p50: percentile(lat, 50), p99: percentile(lat, 99), answers };
}

/** The same with one call answering every query at once (a native batch search). */
export async function batchedLoop(nq: number, threads: number, limits: LoopLimits, askAll: () => Array<ArrayLike<number>>): Promise<LoopResult> {
  const answers = new Map<number, ArrayLike<number>>();
  let done = 0;
  const t0 = now();
  for (;;) {
    const all = askAll();
    if (answers.size === 0) all.forEach((ids, qi) => answers.set(qi, ids));
    done += nq;
    const el = (now() - t0) / 1000;
    if (el >= limits.minSeconds || el >= limits.maxSeconds) break;
  }
  const seconds = (now() - t0) / 1000;
  return { qps: done / seconds, count: done, seconds, inFlight: threads, p50: NaN, p99: NaN, answers };
}

export const cpuCount = cpus().length;
