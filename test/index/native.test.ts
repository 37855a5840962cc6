// The native vector addon through its typed wrappers (src/index/native.ts), against real
// data and exact answers computed here:
//   recall@10 on SIFT-small (L2, the data set's ground truth, tie-aware) for every index
//   kind and storage type; COSINE on GloVe; binary IVF on clustered random bits;
//   filters inside the search at 1%, 10%, 50% and 90% of rows; serialize → load gives
//   the same answers and damaged bytes are refused; 200 searches at once equal the same
//   searches one by one; range search equals a brute force here; bad calls reject with
//   INVALID_ARGUMENT and the process goes on.
// Recall floors sit a little under what these seeded builds measure (noted beside each),
// so a regression shows while harmless noise does not. No timing is asserted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { ElanusError } from '../../src/errors/index.js';
import { Random } from '../../src/testing/index.js';
import {
  buildIndex, exactSearch, loadIndex, rangeSearch, searchMany,
  type IndexBuildSpec, type NativeIndex, type NativeMetric, type SearchResult,
} from '../../src/index/native.js';
import { describeNeeding } from '../suites.js';

// From dist/test/index/ up to /work (the repo's parent) and into shared/datasets.
const loaderUrl = new URL('../../../../shared/datasets/load.mjs', import.meta.url);
const dataMissing = existsSync(fileURLToPath(loaderUrl)) || process.env.CI ? false : `the data sets are not at ${fileURLToPath(loaderUrl)}`;

interface Vectors { n: number; d: number; data: Float32Array }
interface Loader {
  readFvecs(file: string): Vectors;
  readIvecs(file: string): { n: number; d: number; data: Int32Array };
}

const k = 10;
const sift = { dim: 128 };

let loaded: Promise<{ base: Vectors; queries: Vectors; gt: Int32Array; gtDist: Int32Array }> | undefined;
function siftData() {
  loaded ??= (async () => {
    const loader = (await import(loaderUrl.href)) as Loader;
    const file = (name: string) => fileURLToPath(new URL(`siftsmall/${name}`, loaderUrl));
    const base = loader.readFvecs(file('siftsmall_base.fvecs'));
    const queries = loader.readFvecs(file('siftsmall_query.fvecs'));
    const gt = loader.readIvecs(file('siftsmall_groundtruth.ivecs'));
    const gtDist = loader.readIvecs(file('siftsmall_groundtruth_dist2.ivecs'));
    assert.deepEqual([base.n, base.d, queries.n, gt.d, gtDist.d], [10_000, 128, 100, 100, 100]);
    return { base, queries, gt: gt.data, gtDist: gtDist.data };
  })();
  return loaded;
}

const built = new Map<string, Promise<NativeIndex>>();
/** One build per spec for the whole file. */
function siftIndex(spec: IndexBuildSpec): Promise<NativeIndex> {
  const key = JSON.stringify(spec);
  let p = built.get(key);
  if (!p) {
    p = siftData().then(({ base }) => buildIndex(spec, base.data, base.n));
    built.set(key, p);
  }
  return p;
}

const hnsw = (storage: 'f32' | 'f16' | 'bf16' | 'i8'): IndexBuildSpec => ({ type: 'HNSW', metric: 'L2', dim: 128, element: 'f32', M: 16, efConstruction: 200, storage });
const ivfFlat: IndexBuildSpec = { type: 'IVF_FLAT', metric: 'L2', dim: 128, element: 'f32', nlist: 64 };

// ---- exact distances here, in double ------------------------------------------------------

function l2(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) {
    const t = a[ao + i]! - b[bo + i]!;
    s += t * t;
  }
  return s;
}

function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[ao + i]! * b[bo + i]!;
  return s;
}

function cosine(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, d: number): number {
  const den = Math.sqrt(dot(a, ao, a, ao, d) * dot(b, bo, b, bo, d));
  return den === 0 ? 0 : dot(a, ao, b, bo, d) / den;
}

const pop = new Uint8Array(256).map((_, i) => { let n = 0; for (let x = i; x; x >>= 1) n += x & 1; return n; });
function hamming(a: Uint8Array, ao: number, b: Uint8Array, bo: number, bytes: number): number {
  let n = 0;
  for (let i = 0; i < bytes; i++) n += pop[a[ao + i]! ^ b[bo + i]!]!;
  return n;
}
function jaccard(a: Uint8Array, ao: number, b: Uint8Array, bo: number, bytes: number): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < bytes; i++) {
    inter += pop[a[ao + i]! & b[bo + i]!]!;
    union += pop[a[ao + i]! | b[bo + i]!]!;
  }
  return union === 0 ? 0 : 1 - inter / union;
}

/** Hits of query q: the rows it returned (up to the first -1). */
function hitsOf(r: SearchResult, q: number, kk = k): number[] {
  const out: number[] = [];
  for (let i = q * kk; i < (q + 1) * kk && r.rows[i]! >= 0; i++) out.push(r.rows[i]!);
  return out;
}

/**
 * Tie-aware recall: a returned row counts when its true distance is no worse than the
 * k-th true distance (so rows tied with the k-th may stand in for one another).
 */
function tieAwareRecall(r: SearchResult, nq: number, dist: (q: number, row: number) => number, kth: (q: number) => number, larger = false): number {
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const bound = kth(q);
    const tol = 1e-5 * Math.max(1, Math.abs(bound));
    for (const row of new Set(hitsOf(r, q))) if (larger ? dist(q, row) >= bound - tol : dist(q, row) <= bound + tol) hits++;
  }
  return hits / (nq * k);
}

async function siftRecall(index: NativeIndex, opts: { ef?: number; nprobe?: number } = {}): Promise<number> {
  const { base, queries, gtDist } = await siftData();
  const r = await index.search(queries.data, queries.n, { k, ...opts });
  return tieAwareRecall(r, queries.n, (q, row) => l2(queries.data, q * 128, base.data, row * 128, 128), (q) => gtDist[q * 100 + k - 1]!);
}

/** Float32 values as IEEE half bits (normal numbers and zero; enough for SIFT's integers). */
function toF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v === 0) continue;
    const sign = v < 0 ? 0x8000 : 0;
    const a = Math.abs(v);
    const e = Math.floor(Math.log2(a));
    out[i] = sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
  }
  return out;
}
/** Float32 values as bfloat16 bits (the top half; exact for SIFT's integers up to 256). */
const toBf16 = (src: Float32Array): Uint16Array => Uint16Array.from(new Uint32Array(src.buffer, src.byteOffset, src.length), (x) => x >>> 16);

function maskOf(rows: number, share: number, seed: number): { mask: Uint8Array; count: number } {
  const rng = new Random(seed);
  const mask = new Uint8Array(rows);
  let count = 0;
  for (let r = 0; r < rows; r++) if (rng.next() < share) (mask[r] = 1), count++;
  return { mask, count };
}

const isInvalid = (detail?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ElanusError, `expected an ElanusError, got ${String(e)}`);
  assert.equal(e.code, 'INVALID_ARGUMENT');
  if (detail) assert.match(String(e.details['detail']), detail);
  return true;
};

// ---- recall ----------------------------------------------------------------------------

describeNeeding(dataMissing, 'recall@10 on SIFT-small (10,000 × 128, L2)', () => {
  test('exactSearch is exact for f32, f16 and bf16 rows (SIFT\'s integers are exact in all three)', async () => {
    const { base, queries, gt, gtDist } = await siftData();
    const r = await exactSearch(base.data, base.n, 128, 'f32', 'L2', queries.data, queries.n, { k });
    assert.equal(tieAwareRecall(r, queries.n, (q, row) => l2(queries.data, q * 128, base.data, row * 128, 128), (q) => gtDist[q * 100 + k - 1]!), 1);
    // The scores are the squared distances, exactly (integers below 2^24).
    for (let q = 0; q < queries.n; q++) assert.equal(r.scores[q * k], gtDist[q * 100], `query ${q} nearest score`);
    assert.equal(r.rows[0], gt[0]);
    for (const [element, data] of [['f16', toF16(base.data)], ['bf16', toBf16(base.data)]] as const) {
      const h = await exactSearch(data, base.n, 128, element, 'L2', queries.data, queries.n, { k });
      assert.deepEqual(h.scores, r.scores, `${element} scores`);
    }
  });

  const floors: Array<[string, IndexBuildSpec, { ef?: number; nprobe?: number }, number]> = [
    ['HNSW f32', hnsw('f32'), { ef: 64 }, 0.95], // measured 0.997
    ['HNSW f16', hnsw('f16'), { ef: 64 }, 0.95], // 0.997
    ['HNSW bf16', hnsw('bf16'), { ef: 64 }, 0.95], // 0.997
    ['HNSW i8', hnsw('i8'), { ef: 64 }, 0.93], // 0.987
    ['IVF_FLAT', ivfFlat, { nprobe: 16 }, 0.95], // 0.997
    ['IVF_SQ8', { type: 'IVF_SQ8', metric: 'L2', dim: 128, element: 'f32', nlist: 64 }, { nprobe: 16 }, 0.93], // 0.987
    // PQ with 16 bytes per row keeps 1/32 of the data; its ranking is coarse by design.
    ['IVF_PQ m=16 nbits=8', { type: 'IVF_PQ', metric: 'L2', dim: 128, element: 'f32', nlist: 64, m: 16, nbits: 8 }, { nprobe: 16 }, 0.6], // 0.745
  ];
  for (const [name, spec, opts, floor] of floors) {
    test(`${name}: recall ≥ ${floor}`, async (t) => {
      const index = await siftIndex(spec);
      assert.deepEqual([index.type, index.rows, index.dim, index.metric], [spec.type, 10_000, 128, 'L2']);
      assert.ok(index.memoryBytes() > 0);
      const recall = await siftRecall(index, opts);
      t.diagnostic(`recall@10 ${recall.toFixed(3)}, ${index.memoryBytes()} bytes`);
      assert.ok(recall >= floor, `${name} recall ${recall} below ${floor}`);
    });
  }

  test('f16 and bf16 rows build the same kind of index as f32 (HNSW bf16 storage, IVF_FLAT f16)', async () => {
    const { base } = await siftData();
    const h = await buildIndex({ type: 'HNSW', metric: 'L2', dim: 128, element: 'bf16', M: 16, efConstruction: 200, storage: 'bf16' }, toBf16(base.data), base.n);
    assert.ok(await siftRecall(h, { ef: 64 }) >= 0.95);
    const i = await buildIndex({ type: 'IVF_FLAT', metric: 'L2', dim: 128, element: 'f16', nlist: 64 }, toF16(base.data), base.n);
    assert.ok(await siftRecall(i, { nprobe: 16 }) >= 0.95);
  });
});

describeNeeding(dataMissing, 'COSINE and IP on GloVe-100', () => {
  const d = 100;
  const nq = 100;
  let glove: Promise<{ base: Vectors; qs: Float32Array; gtDist: Float32Array }> | undefined;
  const gloveData = () => (glove ??= (async () => {
    const loader = (await import(loaderUrl.href)) as Loader;
    const file = (name: string) => fileURLToPath(new URL(`glove-100-wink/${name}`, loaderUrl));
    const queries = loader.readFvecs(file('glove100_query.fvecs'));
    return { base: loader.readFvecs(file('glove100_base.fvecs')), qs: queries.data.subarray(0, nq * d), gtDist: loader.readFvecs(file('glove100_groundtruth_dist.fvecs')).data };
  })());

  test('exact cosine matches the data set\'s ground truth; HNSW and IVF_FLAT against exact truth on 10,000 rows', async (t) => {
    const { base, qs, gtDist } = await gloveData();
    // Over all 30,000 rows: cosine distance (1 - score) of every hit within the k-th true one.
    const all = await exactSearch(base.data, base.n, d, 'f32', 'COSINE', qs, nq, { k });
    const recallAll = tieAwareRecall(all, nq, (q, row) => 1 - cosine(qs, q * d, base.data, row * d, d), (q) => gtDist[q * 100 + k - 1]!);
    assert.equal(recallAll, 1);
    for (let i = 0; i < 20; i++) {
      const row = all.rows[i]!;
      assert.ok(Math.abs(all.scores[i]! - cosine(qs, Math.floor(i / k) * d, base.data, row * d, d)) < 1e-5, 'score is the cosine');
    }

    const n = 10_000;
    const sub = base.data.subarray(0, n * d);
    const truth = await exactSearch(sub, n, d, 'f32', 'COSINE', qs, nq, { k });
    const cos = (q: number, row: number) => cosine(qs, q * d, sub, row * d, d);
    const kth = (q: number) => cos(q, truth.rows[q * k + k - 1]!);
    const h = await buildIndex({ type: 'HNSW', metric: 'COSINE', dim: d, element: 'f32', M: 16, efConstruction: 200, storage: 'f32' }, sub, n);
    const hr = await h.search(qs, nq, { k, ef: 64 });
    const hRecall = tieAwareRecall(hr, nq, cos, kth, true);
    const ivf = await buildIndex({ type: 'IVF_FLAT', metric: 'COSINE', dim: d, element: 'f32', nlist: 64 }, sub, n);
    const ir = await ivf.search(qs, nq, { k, nprobe: 16 });
    const iRecall = tieAwareRecall(ir, nq, cos, kth, true);
    t.diagnostic(`HNSW COSINE recall@10 ${hRecall.toFixed(3)}, IVF_FLAT COSINE ${iRecall.toFixed(3)}`);
    assert.ok(hRecall >= 0.9, `HNSW COSINE recall ${hRecall}`); // measured 0.960
    assert.ok(iRecall >= 0.9, `IVF_FLAT COSINE recall ${iRecall}`); // 0.960
    // Scores of float indexes are cosines, nearest first.
    for (let q = 0; q < nq; q++) {
      for (let i = 0; i < k; i++) {
        const row = hr.rows[q * k + i]!;
        assert.ok(Math.abs(hr.scores[q * k + i]! - cos(q, row)) < 1e-4, `HNSW score of row ${row}`);
        if (i > 0) assert.ok(hr.scores[q * k + i]! <= hr.scores[q * k + i - 1]! + 1e-6, 'larger first');
      }
    }
  });

  // Quantized storage under IP and COSINE on 5,000 rows (threads: 2 to keep the file fast).
  // Scores are those of the stored codes mapped back to the data's scale: the nearest
  // hit's score is checked against its exact score with the stated relative tolerance.
  const quantized: Array<[IndexBuildSpec, number, number]> = [
    // spec, recall floor (measured on these rows), score tolerance
    [{ type: 'HNSW', metric: 'IP', dim: d, element: 'f32', M: 16, efConstruction: 200, storage: 'i8', threads: 2 }, 0.9, 0.03],
    [{ type: 'HNSW', metric: 'COSINE', dim: d, element: 'f32', M: 16, efConstruction: 200, storage: 'f16', threads: 2 }, 0.9, 1e-3],
    [{ type: 'IVF_SQ8', metric: 'IP', dim: d, element: 'f32', nlist: 32 }, 0.8, 0.03],
    [{ type: 'IVF_SQ8', metric: 'COSINE', dim: d, element: 'f32', nlist: 32 }, 0.85, 0.03],
    [{ type: 'IVF_PQ', metric: 'COSINE', dim: d, element: 'f32', nlist: 32, m: 25, nbits: 8 }, 0.5, 0.3],
  ];
  for (const [spec, floor, tol] of quantized) {
    const name = `${spec.type} ${spec.metric}${spec.type === 'HNSW' ? ` ${spec.storage}` : ''}`;
    test(`${name}: recall ≥ ${floor} against exact, scores within ${tol * 100}%`, async (t) => {
      const { base, qs } = await gloveData();
      const n = 5000;
      const sub = base.data.subarray(0, n * d);
      const metric = spec.metric as NativeMetric;
      const truth = await exactSearch(sub, n, d, 'f32', metric, qs, nq, { k });
      const exactScore = (q: number, row: number) => (metric === 'IP' ? dot : cosine)(qs, q * d, sub, row * d, d);
      const index = await buildIndex(spec, sub, n);
      const r = await index.search(qs, nq, { k, ef: 64, nprobe: 8 });
      const recall = tieAwareRecall(r, nq, exactScore, (q) => exactScore(q, truth.rows[q * k + k - 1]!), true);
      t.diagnostic(`recall@10 ${recall.toFixed(3)}`);
      assert.ok(recall >= floor, `recall ${recall}`);
      for (let q = 0; q < nq; q++) {
        const want = exactScore(q, r.rows[q * k]!);
        assert.ok(Math.abs(r.scores[q * k]! - want) <= tol * Math.max(Math.abs(want), 0.05), `query ${q}: score ${r.scores[q * k]}, exact ${want}`);
      }
    });
  }
});

describe('binary vectors', () => {
  // 6,000 rows of 256 bits around 60 random centres (each bit flipped with p = 0.1).
  const rows = 6000;
  const dim = 256;
  const bytes = dim / 8;
  const nq = 50;
  const rng = new Random(7);
  const centres = Array.from({ length: 60 }, () => Uint8Array.from({ length: bytes }, () => rng.int(256)));
  const near = (c: Uint8Array, out: Uint8Array, at: number) => {
    for (let b = 0; b < bytes; b++) {
      let v = c[b]!;
      for (let t = 0; t < 8; t++) if (rng.next() < 0.1) v ^= 1 << t;
      out[at + b] = v;
    }
  };
  const data = new Uint8Array(rows * bytes);
  for (let r = 0; r < rows; r++) near(centres[rng.int(60)]!, data, r * bytes);
  const queries = new Uint8Array(nq * bytes);
  for (let q = 0; q < nq; q++) near(centres[rng.int(60)]!, queries, q * bytes);

  for (const metric of ['HAMMING', 'JACCARD'] as const) {
    test(`${metric}: exactSearch is exact, BIN_IVF_FLAT recall ≥ 0.9`, async (t) => {
      const dist = (q: number, row: number) => (metric === 'HAMMING' ? hamming : jaccard)(queries, q * bytes, data, row * bytes, bytes);
      const truth = Array.from({ length: nq }, (_, q) => Array.from({ length: rows }, (_, r) => dist(q, r)).sort((a, b) => a - b)[k - 1]!);
      const exact = await exactSearch(data, rows, dim, 'bin', metric, queries, nq, { k });
      assert.equal(tieAwareRecall(exact, nq, dist, (q) => truth[q]!), 1);
      for (let i = 0; i < nq * k; i++) assert.ok(Math.abs(exact.scores[i]! - dist(Math.floor(i / k), exact.rows[i]!)) < 1e-6, 'score is the distance');
      const index = await buildIndex({ type: 'BIN_IVF_FLAT', metric, dim, element: 'bin', nlist: 32 }, data, rows);
      const r = await index.search(queries, nq, { k, nprobe: 4 });
      const recall = tieAwareRecall(r, nq, dist, (q) => truth[q]!);
      t.diagnostic(`BIN_IVF_FLAT ${metric} recall@10 ${recall.toFixed(3)}`);
      assert.ok(recall >= 0.9, `recall ${recall}`);
      const again = await (await loadIndex(await index.serialize())).search(queries, nq, { k, nprobe: 4 });
      assert.deepEqual(again, r);
    });
  }
});

// ---- filters -----------------------------------------------------------------------------

describeNeeding(dataMissing, 'filters inside the search', () => {
  // Floors per allowed share: filtered HNSW walks through disallowed rows, IVF scans only
  // nprobe of nlist lists whatever the filter (so at 1% it sees ~25 allowed rows).
  const cases: Array<[number, number, number]> = [
    // share, HNSW floor (measured), IVF floor (measured)
    [0.01, 0.95, 0.8], // 1.000, 0.914
    [0.1, 0.95, 0.93], // 1.000, 0.990
    [0.5, 0.95, 0.95], // 1.000, 0.996
    [0.9, 0.95, 0.95], // 0.997, 0.998
  ];
  for (const [share, hnswFloor, ivfFloor] of cases) {
    test(`${share * 100}% of rows allowed: only allowed rows, k of them, recall against the filtered exact answer`, async (t) => {
      const { base, queries } = await siftData();
      const { mask, count } = maskOf(base.n, share, Math.round(share * 1000));
      const truth = await exactSearch(base.data, base.n, 128, 'f32', 'L2', queries.data, queries.n, { k, allow: mask });
      const dist = (q: number, row: number) => l2(queries.data, q * 128, base.data, row * 128, 128);
      const kth = (q: number) => dist(q, truth.rows[q * k + k - 1]!);
      const results: Array<[string, SearchResult, number]> = [
        ['exact', truth, 1],
        ['HNSW', await (await siftIndex(hnsw('f32'))).search(queries.data, queries.n, { k, ef: 64, allow: mask }), hnswFloor],
        ['IVF_FLAT', await (await siftIndex(ivfFlat)).search(queries.data, queries.n, { k, nprobe: 16, allow: mask }), ivfFloor],
      ];
      const notes: string[] = [];
      for (const [name, r, floor] of results) {
        for (let q = 0; q < queries.n; q++) {
          const hits = hitsOf(r, q);
          for (const row of hits) assert.equal(mask[row], 1, `${name}: row ${row} is not allowed`);
          assert.equal(new Set(hits).size, hits.length, `${name}: distinct rows`);
          if (name !== 'IVF_FLAT') assert.equal(hits.length, Math.min(k, count), `${name}: query ${q} gets k rows`);
        }
        const recall = tieAwareRecall(r, queries.n, dist, kth);
        notes.push(`${name} ${recall.toFixed(3)}`);
        assert.ok(recall >= floor, `${name} recall ${recall} below ${floor}`);
      }
      t.diagnostic(`${count} allowed: ${notes.join(', ')}`);
    });
  }

  test('k larger than the allowed rows returns exactly the allowed rows, then -1 / NaN', async () => {
    const { base, queries } = await siftData();
    const allowed = [3, 77, 1500, 4242, 8000, 9001, 9999];
    const mask = new Uint8Array(base.n);
    for (const r of allowed) mask[r] = 1;
    const q = queries.data.subarray(0, 128);
    const runs: Array<[string, Promise<SearchResult>]> = [
      ['exact', exactSearch(base.data, base.n, 128, 'f32', 'L2', q, 1, { k, allow: mask })],
      ['HNSW', (await siftIndex(hnsw('f32'))).search(q, 1, { k, allow: mask })],
      ['HNSW i8', (await siftIndex(hnsw('i8'))).search(q, 1, { k, allow: mask })],
      ['IVF_FLAT (every list probed)', (await siftIndex(ivfFlat)).search(q, 1, { k, nprobe: 64, allow: mask })],
    ];
    for (const [name, p] of runs) {
      const r = await p;
      assert.deepEqual(hitsOf(r, 0).sort((a, b) => a - b), allowed, name);
      for (let i = allowed.length; i < k; i++) {
        assert.equal(r.rows[i], -1, `${name} rows[${i}]`);
        assert.ok(Number.isNaN(r.scores[i]), `${name} scores[${i}]`);
      }
    }
    // Nothing allowed: nothing found.
    const none = await (await siftIndex(hnsw('f32'))).search(q, 1, { k, allow: new Uint8Array(base.n) });
    assert.deepEqual([...none.rows], new Array(k).fill(-1));
  });
});

// ---- serialization, concurrency, range ----------------------------------------------------

describeNeeding(dataMissing, 'serialize and load', () => {
  test('every index kind loads back into one that answers identically; damaged bytes are refused', async () => {
    const { queries } = await siftData();
    const { mask } = maskOf(10_000, 0.3, 3);
    for (const spec of [hnsw('f32'), hnsw('i8'), ivfFlat, { type: 'IVF_SQ8', metric: 'L2', dim: 128, element: 'f32', nlist: 64 } as const,
      { type: 'IVF_PQ', metric: 'L2', dim: 128, element: 'f32', nlist: 64, m: 16, nbits: 8 } as const]) {
      const index = await siftIndex(spec);
      const bytes = await index.serialize();
      const copy = await loadIndex(bytes);
      assert.deepEqual([copy.type, copy.rows, copy.dim, copy.metric], [index.type, index.rows, index.dim, index.metric]);
      for (const opts of [{ k, ef: 40, nprobe: 8 }, { k, ef: 64, nprobe: 16, allow: mask }]) {
        assert.deepEqual(await copy.search(queries.data, queries.n, opts), await index.search(queries.data, queries.n, opts), `${spec.type} ${JSON.stringify(opts.ef)}`);
      }
      assert.deepEqual(await copy.serialize(), bytes, `${spec.type}: serializing the copy gives the same bytes`);

      // A flipped byte anywhere, a cut tail, or no bytes at all: refused, never trusted.
      const rng = new Random(bytes.length);
      const flip = 40 + rng.int(bytes.length - 44);
      for (const bad of [
        Uint8Array.from(bytes, (b, i) => (i === flip ? b ^ 0x10 : b)),
        bytes.subarray(0, bytes.length - 1 - rng.int(bytes.length - 1)),
        new Uint8Array(0),
      ]) {
        await assert.rejects(loadIndex(bad), isInvalid(/^corrupt index/));
      }
    }
    // Random garbage, and garbage that carries the right magic.
    const rng = new Random(99);
    const garbage = Uint8Array.from({ length: 4096 }, () => rng.int(256));
    await assert.rejects(loadIndex(garbage), isInvalid(/^corrupt index/));
    garbage.set([0x45, 0x4c, 0x56, 0x58, 1, 0, 0, 0]);
    await assert.rejects(loadIndex(garbage), isInvalid(/^corrupt index/));
    // Still alive and working.
    const r = await (await siftIndex(hnsw('f32'))).search(queries.data.subarray(0, 128), 1, { k });
    assert.ok(r.rows[0]! >= 0);
  });
});

/**
 * The serialized header (native/format.h): magic, format version (u32 at 4), kind, metric,
 * element, padding, dim, rows (24 bytes); an HNSW body then starts with the usearch
 * version (three u16 at 24); a CRC-32 of everything before it ends the bytes.
 */
function withChecksum(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}
function patched(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const body = bytes.slice(0, bytes.length - 4);
  edit(new DataView(body.buffer));
  return withChecksum(body);
}

describe('versions in the serialized header', () => {
  const dim = 16;
  const rows = 500;
  const rng = new Random(17);
  const data = Float32Array.from({ length: rows * dim }, () => rng.next());
  const queries = data.subarray(0, 4 * dim);
  const pkg = (path: string) => JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8')) as { version: string; dependencies: Record<string, string> };

  test('an HNSW index records the usearch it was built with: exactly the version package.json pins', async () => {
    const pinned = pkg('../../../package.json').dependencies['usearch'];
    assert.match(pinned!, /^\d+\.\d+\.\d+$/, 'usearch is pinned to one exact version (no range)');
    assert.equal(pkg('../../../node_modules/usearch/package.json').version, pinned, 'node_modules holds the pinned usearch');
    const bytes = await (await buildIndex({ type: 'HNSW', metric: 'L2', dim, element: 'f32', M: 8, efConstruction: 32, storage: 'f32' }, data, rows)).serialize();
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(v.getUint32(4, true), 2, 'format version');
    assert.equal([v.getUint16(24, true), v.getUint16(26, true), v.getUint16(28, true)].join('.'), pinned);
  });

  test('a graph from another usearch, an HNSW index of format 1 and any newer format are refused as incompatible', async () => {
    const index = await buildIndex({ type: 'HNSW', metric: 'L2', dim, element: 'f32', M: 8, efConstruction: 32, storage: 'f32' }, data, rows);
    const bytes = await index.serialize();
    const [major, minor, patch] = [24, 26, 28].map((o) => new DataView(bytes.buffer, bytes.byteOffset).getUint16(o, true));
    // Checksums fixed: these are whole indexes, only their versions differ.
    for (const [at, value] of [[28, patch! + 1], [26, minor! - 1], [24, major! + 1]] as const) {
      const other = patched(bytes, (v) => v.setUint16(at, value, true));
      await assert.rejects(loadIndex(other), isInvalid(/^incompatible index: the HNSW graph was written by usearch \d+\.\d+\.\d+; this build uses usearch \d+\.\d+\.\d+$/));
    }
    const newer = patched(bytes, (v) => v.setUint32(4, 3, true));
    await assert.rejects(loadIndex(newer), isInvalid(/^incompatible index: format version 3 is newer than this build reads \(1 to 2\)$/));
    // Format 1 had no usearch version: the same bytes without it.
    const body = bytes.slice(0, bytes.length - 4);
    const stripped = new Uint8Array([...body.subarray(0, 24), ...body.subarray(30)]);
    new DataView(stripped.buffer).setUint32(4, 1, true);
    const v1 = withChecksum(stripped);
    await assert.rejects(loadIndex(v1), isInvalid(/^incompatible index: format version 1 does not record which usearch wrote the HNSW graph$/));
    // A version that never existed is damage, not a newer format.
    await assert.rejects(loadIndex(patched(bytes, (v) => v.setUint32(4, 0, true))), isInvalid(/^corrupt index: format version 0 does not exist$/));
    // The untouched bytes still load.
    assert.deepEqual(await (await loadIndex(bytes)).search(queries, 4, { k: 5 }), await index.search(queries, 4, { k: 5 }));
  });

  test('IVF indexes of format 1 (the same layout) still load; a newer format is refused', async () => {
    for (const spec of [
      { type: 'IVF_FLAT', metric: 'L2', dim, element: 'f32', nlist: 8 },
      { type: 'BIN_IVF_FLAT', metric: 'HAMMING', dim, element: 'bin', nlist: 8 },
    ] as IndexBuildSpec[]) {
      const vectors = spec.element === 'bin' ? new Uint8Array(data.buffer, 0, rows * dim / 8) : data;
      const q = spec.element === 'bin' ? vectors.subarray(0, 4 * dim / 8) : queries;
      const index = await buildIndex(spec, vectors, rows);
      const bytes = await index.serialize();
      assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true), 2);
      const v1 = await loadIndex(patched(bytes, (v) => v.setUint32(4, 1, true)));
      assert.deepEqual(await v1.search(q, 4, { k: 5, nprobe: 8 }), await index.search(q, 4, { k: 5, nprobe: 8 }), spec.type);
      await assert.rejects(loadIndex(patched(bytes, (v) => v.setUint32(4, 3, true))), isInvalid(/^incompatible index: format version 3/));
    }
  });
});

describeNeeding(dataMissing, 'concurrency', () => {
  test('200 searches started at once on one index equal the same searches run one by one', async () => {
    const { queries } = await siftData();
    const { mask } = maskOf(10_000, 0.2, 11);
    for (const spec of [hnsw('f32'), ivfFlat]) {
      const index = await siftIndex(spec);
      // Two queries per call; k, ef, nprobe and the filter vary from call to call.
      const call = (i: number) => {
        const q = i % (queries.n - 1);
        return index.search(queries.data.subarray(q * 128, (q + 2) * 128), 2, { k: 5 + (i % 7), ef: 32 + (i % 5) * 16, nprobe: 4 + (i % 4), ...(i % 3 === 0 ? { allow: mask } : {}) });
      };
      const sequential: SearchResult[] = [];
      for (let i = 0; i < 200; i++) sequential.push(await call(i));
      const together = await Promise.all(Array.from({ length: 200 }, (_, i) => call(i)));
      for (let i = 0; i < 200; i++) assert.deepEqual(together[i], sequential[i], `${spec.type} search ${i}`);
    }
  });
});

describeNeeding(dataMissing, 'range search', () => {
  // SIFT's values are integers, so float32 L2 and IP over them are exact: the native answer
  // must equal the brute force here row for row, in order (ties by row).
  async function check(metric: NativeMetric, pick: (sorted: number[]) => { radius: number; rangeFilter?: number }, limit?: number): Promise<void> {
    const { base, queries } = await siftData();
    const n = 3000;
    const nq = 5;
    const data = base.data.subarray(0, n * 128);
    const qs = queries.data.subarray(0, nq * 128);
    const { mask } = maskOf(n, 0.7, 5);
    const larger = metric === 'IP';
    const score = (q: number, r: number) => (metric === 'L2' ? l2 : dot)(qs, q * 128, data, r * 128, 128);
    for (const allow of [undefined, mask]) {
      for (let q = 0; q < nq; q++) {
        const sorted = Array.from({ length: n }, (_, r) => score(q, r)).sort((a, b) => (larger ? b - a : a - b));
        const { radius, rangeFilter } = pick(sorted);
        const inRange = (s: number) => (larger ? s > radius && s <= (rangeFilter ?? Infinity) : s < radius && s >= (rangeFilter ?? -Infinity));
        let want = Array.from({ length: n }, (_, r) => r)
          .filter((r) => (!allow || allow[r] === 1) && inRange(score(q, r)))
          .sort((a, b) => (larger ? score(q, b) - score(q, a) : score(q, a) - score(q, b)) || a - b);
        if (limit !== undefined) want = want.slice(0, limit);
        const got = await rangeSearch(data, n, 128, 'f32', metric, qs.subarray(q * 128, (q + 1) * 128), 1, { radius, ...(rangeFilter !== undefined ? { rangeFilter } : {}), ...(limit !== undefined ? { limit } : {}), ...(allow ? { allow } : {}) });
        assert.deepEqual([...got.offsets], [0, want.length]);
        assert.deepEqual([...got.rows], want, `${metric} query ${q}`);
        assert.deepEqual([...got.scores], want.map((r) => score(q, r)));
      }
    }
  }

  test('L2: rangeFilter <= d < radius, nearest first', async () => {
    await check('L2', (s) => ({ radius: s[200]! + 0.5 }));
    await check('L2', (s) => ({ radius: s[300]! + 0.5, rangeFilter: s[40]! }));
    await check('L2', (s) => ({ radius: s[300]! + 0.5 }), 25);
  });

  test('IP: radius < s <= rangeFilter, largest first', async () => {
    await check('IP', (s) => ({ radius: s[150]! - 0.5 }));
    await check('IP', (s) => ({ radius: s[500]! - 0.5, rangeFilter: s[60]! }));
  });

  test('several queries at once: offsets delimit each query\'s hits', async () => {
    const { base, queries } = await siftData();
    const r = await rangeSearch(base.data, 2000, 128, 'f32', 'L2', queries.data.subarray(0, 3 * 128), 3, { radius: 100_000 });
    assert.equal(r.offsets.length, 4);
    for (let q = 0; q < 3; q++) {
      const one = await rangeSearch(base.data, 2000, 128, 'f32', 'L2', queries.data.subarray(q * 128, (q + 1) * 128), 1, { radius: 100_000 });
      assert.deepEqual(r.rows.subarray(r.offsets[q]!, r.offsets[q + 1]!), one.rows);
    }
  });
});

// ---- refusals ------------------------------------------------------------------------------

describeNeeding(dataMissing, 'searchMany: indexes over consecutive row ranges, one task', () => {
  test('equals each index searched alone, rows shifted by the ranges before, merged per query; masks cover all rows', async () => {
    const { base, queries } = await siftData();
    const spec = { type: 'HNSW', metric: 'L2', dim: 128, element: 'f32', M: 16, efConstruction: 100, storage: 'f32' } as const;
    const sizes = [3000, 3000, 2500];
    const chunks: NativeIndex[] = [];
    let at = 0;
    for (const n of sizes) {
      chunks.push(await buildIndex(spec, base.data.subarray(at * 128, (at + n) * 128), n));
      at += n;
    }
    const { mask } = maskOf(at, 0.5, 7);
    for (const allow of [undefined, mask]) {
      const many = await searchMany(chunks, queries.data, queries.n, { k, ef: 64, ...(allow ? { allow } : {}) });
      let from = 0;
      const alone: Array<Array<{ row: number; score: number }>> = Array.from({ length: queries.n }, () => []);
      for (let c = 0; c < chunks.length; c++) {
        const sub = allow?.subarray(from, from + sizes[c]!);
        const r = await chunks[c]!.search(queries.data, queries.n, { k, ef: 64, ...(sub ? { allow: sub } : {}) });
        for (let q = 0; q < queries.n; q++) for (const row of hitsOf(r, q)) alone[q]!.push({ row: from + row, score: r.scores[hitsOf(r, q).indexOf(row) + q * k]! });
        from += sizes[c]!;
      }
      for (let q = 0; q < queries.n; q++) {
        const want = alone[q]!.sort((a, b) => a.score - b.score || a.row - b.row).slice(0, k);
        assert.deepEqual(hitsOf(many, q), want.map((h) => h.row), `query ${q}${allow ? ' (masked)' : ''}`);
        if (allow) for (const row of hitsOf(many, q)) assert.equal(allow[row], 1);
      }
    }
    const one = queries.data.subarray(0, 128);
    await assert.rejects(searchMany([], one, 1, { k }), isInvalid(/non-empty/));
    await assert.rejects(searchMany(chunks, one, 1, { k, allow: new Uint8Array(at - 1) }), isInvalid(/allow holds/));
    const ip = await buildIndex({ ...spec, metric: 'IP' }, base.data.subarray(0, 1000 * 128), 1000);
    await assert.rejects(searchMany([chunks[0]!, ip], one, 1, { k }), isInvalid(/differ in metric/));
    await assert.rejects(searchMany([{} as NativeIndex], one, 1, { k }), isInvalid(/made by buildIndex/));
  });
});

describe('invalid input rejects with INVALID_ARGUMENT, never crashes', () => {
  const dim = 16;
  const rows = 50;
  const rng = new Random(1);
  const data = Float32Array.from({ length: rows * dim }, () => rng.next());
  const q = data.slice(0, dim);

  test('exactSearch and rangeSearch', async () => {
    const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['vectors shorter than rows*dim', () => exactSearch(data.subarray(0, 10), rows, dim, 'f32', 'L2', q, 1, { k: 5 }), /fewer than rows/],
      ['queries not nq*dim', () => exactSearch(data, rows, dim, 'f32', 'L2', q, 2, { k: 5 }), /nq \* dim/],
      ['k = 0', () => exactSearch(data, rows, dim, 'f32', 'L2', q, 1, { k: 0 }), /k must be/],
      ['k = -3', () => exactSearch(data, rows, dim, 'f32', 'L2', q, 1, { k: -3 }), /k must be/],
      ['k = 2.5', () => exactSearch(data, rows, dim, 'f32', 'L2', q, 1, { k: 2.5 }), /k must be/],
      ['allow of the wrong length', () => exactSearch(data, rows, dim, 'f32', 'L2', q, 1, { k: 5, allow: new Uint8Array(rows - 1) }), /allow holds/],
      ['f16 rows in a Float32Array', () => exactSearch(data, rows, dim, 'f16', 'L2', q, 1, { k: 5 }), /Uint16Array/],
      ['unknown metric', () => exactSearch(data, rows, dim, 'f32', 'MANHATTAN' as NativeMetric, q, 1, { k: 5 }), /metric must be/],
      ['HAMMING on floats', () => exactSearch(data, rows, dim, 'f32', 'HAMMING', q, 1, { k: 5 }), /does not fit/],
      ['binary dim not a multiple of 8', () => exactSearch(new Uint8Array(100), 10, 12, 'bin', 'HAMMING', new Uint8Array(1), 1, { k: 5 }), /multiple of 8/],
      ['negative rows', () => exactSearch(data, -1, dim, 'f32', 'L2', q, 1, { k: 5 }), /rows must be/],
      ['range radius NaN', () => rangeSearch(data, rows, dim, 'f32', 'L2', q, 1, { radius: NaN }), /radius/],
      ['range limit 0', () => rangeSearch(data, rows, dim, 'f32', 'L2', q, 1, { radius: 1, limit: 0 }), /limit must be/],
    ];
    for (const [name, run, detail] of cases) await assert.rejects(run(), isInvalid(detail), name);
  });

  test('buildIndex and search', async () => {
    const spec = { type: 'HNSW', metric: 'L2', dim, element: 'f32', M: 8, efConstruction: 50, storage: 'f32' } as const;
    const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['dim 0', () => buildIndex({ ...spec, dim: 0 }, data, rows), /dim must be/],
      ['M 1', () => buildIndex({ ...spec, M: 1 }, data, rows), /M must be/],
      ['unknown storage', () => buildIndex({ ...spec, storage: 'f8' as 'f32' }, data, rows), /storage must be/],
      ['vectors too short', () => buildIndex(spec, data, rows + 1), /fewer than rows/],
      ['unknown type', () => buildIndex({ ...spec, type: 'SCANN' as 'HNSW' }, data, rows), /type must be/],
      ['nlist 0', () => buildIndex({ type: 'IVF_FLAT', metric: 'L2', dim, element: 'f32', nlist: 0 }, data, rows), /nlist must be/],
      ['m not dividing dim', () => buildIndex({ type: 'IVF_PQ', metric: 'L2', dim, element: 'f32', nlist: 4, m: 5, nbits: 8 }, data, rows), /m must divide/],
      ['nbits 9', () => buildIndex({ type: 'IVF_PQ', metric: 'L2', dim, element: 'f32', nlist: 4, m: 4, nbits: 9 }, data, rows), /nbits must be/],
      ['JACCARD on HNSW', () => buildIndex({ ...spec, metric: 'JACCARD' as 'L2' }, data, rows), /does not fit|not valid/],
      ['threads 0', () => buildIndex({ ...spec, threads: 0 }, data, rows), /threads must be/],
      ['not bytes', () => loadIndex(data as unknown as Uint8Array), /Uint8Array/],
    ];
    for (const [name, run, detail] of cases) await assert.rejects(run(), isInvalid(detail), name);

    const index = await buildIndex(spec, data, rows);
    const ivf = await buildIndex({ type: 'IVF_FLAT', metric: 'L2', dim, element: 'f32', nlist: 4 }, data, rows);
    const searches: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['queries not nq*dim', () => index.search(q, 3, { k: 5 }), /nq \* dim/],
      ['bytes as dense queries', () => index.search(new Uint8Array(dim), 1, { k: 5 }), /Float32Array/],
      ['k = 0', () => index.search(q, 1, { k: 0 }), /k must be/],
      ['allow of the wrong length', () => index.search(q, 1, { k: 5, allow: new Uint8Array(rows + 1) }), /allow holds/],
      ['ef negative', () => index.search(q, 1, { k: 5, ef: -1 }), /ef must be/],
      ['nprobe fractional', () => ivf.search(q, 1, { k: 5, nprobe: 1.5 }), /nprobe must be/],
    ];
    for (const [name, run, detail] of searches) await assert.rejects(run(), isInvalid(detail), name);
    // Both indexes still answer.
    assert.equal((await index.search(q, 1, { k: 1 })).rows[0], 0);
    assert.equal((await ivf.search(q, 1, { k: 1, nprobe: 4 })).rows[0], 0);
  });

  test('edge cases that are valid: no rows, no queries, k above the rows', async () => {
    const empty = await buildIndex({ type: 'HNSW', metric: 'IP', dim, element: 'f32', M: 8, efConstruction: 50, storage: 'f32' }, new Float32Array(0), 0);
    assert.deepEqual([...(await empty.search(q, 1, { k: 3 })).rows], [-1, -1, -1]);
    assert.deepEqual([...(await (await loadIndex(await empty.serialize())).search(q, 1, { k: 3 })).rows], [-1, -1, -1]);
    const emptyIvf = await buildIndex({ type: 'IVF_SQ8', metric: 'IP', dim, element: 'f32', nlist: 8 }, new Float32Array(0), 0);
    assert.deepEqual([...(await emptyIvf.search(q, 1, { k: 2 })).rows], [-1, -1]);
    assert.equal((await exactSearch(data, rows, dim, 'f32', 'L2', new Float32Array(0), 0, { k: 5 })).rows.length, 0);
    // More lists asked for than rows: one list per row.
    const tiny = await buildIndex({ type: 'IVF_FLAT', metric: 'L2', dim, element: 'f32', nlist: 64 }, data, 5);
    assert.deepEqual(await tiny.search(q, 1, { k: 8, nprobe: 64 }), await exactSearch(data, 5, dim, 'f32', 'L2', q, 1, { k: 8 }));
    const all = await exactSearch(data, rows, dim, 'f32', 'IP', q, 1, { k: rows + 10 });
    assert.equal(hitsOf(all, 0, rows + 10).length, rows);
  });
});

test('a build whose cancel word is set stops between rows and rejects with CLOSED (a closing engine does not wait for it)', async () => {
  const { newCancelWord } = await import('../../src/index/native.js');
  // 200,000 x 64 with efConstruction 400: far longer than the 50 ms before the cancel.
  const rows = 200_000;
  const dim = 64;
  const rng = new Random(3);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  for (const spec of [
    { type: 'HNSW', metric: 'L2', element: 'f32', dim, M: 32, efConstruction: 400, storage: 'f32' },
    { type: 'IVF_FLAT', metric: 'L2', element: 'f32', dim, nlist: 1024 },
  ] as IndexBuildSpec[]) {
    const cancel = newCancelWord();
    const building = buildIndex(spec, data, rows, cancel);
    setTimeout(() => Atomics.store(cancel, 0, 1), 50);
    await assert.rejects(building, { code: 'CLOSED' }, spec.type);
  }
  // A word that is not an Int32Array is a usage error, not a crash.
  await assert.rejects(buildIndex({ type: 'HNSW', metric: 'L2', element: 'f32', dim: 2, M: 8, efConstruction: 8, storage: 'f32' } as IndexBuildSpec, new Float32Array(4), 2, new Float32Array(1) as unknown as Int32Array), { code: 'INVALID_ARGUMENT' });
});
