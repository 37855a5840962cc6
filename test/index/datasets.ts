// The real data sets of ../shared/datasets for the index tests: loading, exact
// neighbours (for subsets and filters the published ground truth does not cover), and
// tie-aware recall (a returned row counts when its true distance is no worse than the
// k-th true distance, so equal distances cannot make a right answer look wrong).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// From dist/test/index/ up to the repo's parent and into shared/datasets.
const loaderUrl = new URL('../../../../shared/datasets/load.mjs', import.meta.url);
const dir = (name: string) => fileURLToPath(new URL(`./${name}/`, loaderUrl));

/** Skip reason when the data sets are absent outside CI (CI always has ../shared: there a missing file fails). */
export const datasetsMissing = existsSync(fileURLToPath(loaderUrl)) || process.env['CI'] ? false : `the data sets are not at ${fileURLToPath(loaderUrl)}`;

export interface Vectors { n: number; d: number; data: Float32Array }
interface Loader {
  readFvecs(file: string): Vectors;
  readIvecs(file: string): { n: number; d: number; data: Int32Array };
  readIdx(file: string): { n: number; d: number; data: Uint8Array; shape: number[] };
}

let loader: Loader | undefined;
async function load(): Promise<Loader> {
  loader ??= (await import(loaderUrl.href)) as Loader;
  return loader;
}

export interface Dataset {
  readonly name: string;
  readonly metric: Metric;
  readonly base: Vectors;
  readonly queries: Vectors;
}

export type Metric = 'L2' | 'IP' | 'COSINE';

export async function siftsmall(): Promise<Dataset> {
  const l = await load();
  return { name: 'siftsmall', metric: 'L2', base: l.readFvecs(`${dir('siftsmall')}siftsmall_base.fvecs`), queries: l.readFvecs(`${dir('siftsmall')}siftsmall_query.fvecs`) };
}

/** GloVe-100 (cosine): the first `rows` words and the first `nq` queries. */
export async function glove(rows: number, nq: number): Promise<Dataset> {
  const l = await load();
  const base = l.readFvecs(`${dir('glove-100-wink')}glove100_base.fvecs`);
  const q = l.readFvecs(`${dir('glove-100-wink')}glove100_query.fvecs`);
  return { name: 'glove-100', metric: 'COSINE', base: slice(base, rows), queries: slice(q, nq) };
}

/** MNIST digits (784-d, pixel values 0..255, L2): rows 0..rows-1 as base, rows 9000.. as queries. */
export async function mnist(rows: number, nq: number): Promise<Dataset & { raw: Uint8Array }> {
  const l = await load();
  const img = l.readIdx(`${dir('mnist-10k')}t10k-images-idx3-ubyte.gz`);
  const d = 784;
  const all = Float32Array.from(img.data);
  return {
    name: 'mnist', metric: 'L2', raw: img.data,
    base: { n: rows, d, data: all.subarray(0, rows * d) },
    queries: { n: nq, d, data: all.subarray(9000 * d, (9000 + nq) * d) },
  };
}

function slice(v: Vectors, n: number): Vectors {
  const rows = Math.min(n, v.n);
  return { n: rows, d: v.d, data: v.data.subarray(0, rows * v.d) };
}

export function row(v: Vectors, i: number): number[] {
  return Array.from(v.data.subarray(i * v.d, (i + 1) * v.d));
}

/** Milvus's score of base row i for query q: L2 squared distance, IP, cosine similarity. */
export function score(metric: Metric, base: Vectors, i: number, q: Float32Array): number {
  const d = base.d;
  let dot = 0;
  let l2 = 0;
  let nb = 0;
  let nq = 0;
  for (let k = 0; k < d; k++) {
    const a = base.data[i * d + k]!;
    const b = q[k]!;
    dot += a * b;
    l2 += (a - b) * (a - b);
    nb += a * a;
    nq += b * b;
  }
  if (metric === 'L2') return l2;
  if (metric === 'IP') return dot;
  return nb === 0 || nq === 0 ? 0 : dot / Math.sqrt(nb * nq);
}

export const better = (metric: Metric) => (metric === 'L2' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b);

/** The exact top-k rows (ids) among those `allow` accepts, with their scores. */
export function exactTopK(ds: Dataset, q: number, k: number, allow: (i: number) => boolean = () => true): Array<{ id: number; score: number }> {
  const query = ds.queries.data.subarray(q * ds.queries.d, (q + 1) * ds.queries.d);
  const out: Array<{ id: number; score: number }> = [];
  for (let i = 0; i < ds.base.n; i++) if (allow(i)) out.push({ id: i, score: score(ds.metric, ds.base, i, query) });
  const b = better(ds.metric);
  out.sort((x, y) => (b(x.score, y.score) ? -1 : b(y.score, x.score) ? 1 : x.id - y.id));
  return out.slice(0, k);
}

/**
 * Tie-aware recall@k of `got` (row ids per query) against the exact answers: a returned
 * id counts when its true score is at least as near as the k-th exact score.
 */
export function recall(ds: Dataset, got: number[][], truth: Array<Array<{ id: number; score: number }>>, k: number): number {
  let hit = 0;
  let total = 0;
  const b = better(ds.metric);
  got.forEach((ids, q) => {
    const t = truth[q]!;
    if (t.length === 0) return;
    const kth = t[Math.min(k, t.length) - 1]!.score;
    const query = ds.queries.data.subarray(q * ds.queries.d, (q + 1) * ds.queries.d);
    const seen = new Set<number>();
    for (const id of ids.slice(0, k)) {
      if (seen.has(id)) continue;
      seen.add(id);
      const s = score(ds.metric, ds.base, id, query);
      // A float32 tolerance: the engine and this file round differently.
      const tol = Math.abs(kth) * 1e-5 + 1e-6;
      if (!b(kth, s - (ds.metric === 'L2' ? tol : -tol))) hit++;
    }
    total += Math.min(k, t.length);
  });
  return total === 0 ? 1 : hit / total;
}
