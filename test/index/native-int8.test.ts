// The addon's i8 element type (Int8Vector columns as their stored Int8Array) against
// exact answers computed here on the integers: exact and range scans score exactly what
// the integers give (dims chosen so that every sum stays below 2^24, with SIMD tails of
// every length), masks are honoured, HNSW builds from i8 rows with a recall floor and
// loads back from its bytes identically, and what Milvus does not build on INT8_VECTOR
// (IVF) is refused with INVALID_ARGUMENT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElanusError } from '../../src/errors/index.js';
import { Random } from '../../src/testing/index.js';
import { buildIndex, exactSearch, loadIndex, rangeSearch, type NativeMetric } from '../../src/index/native.js';

const isInvalid = (detail: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ElanusError, `expected an ElanusError, got ${String(e)}`);
  assert.equal(e.code, 'INVALID_ARGUMENT');
  assert.match(String(e.details['detail']), detail);
  return true;
};

function int8Data(rng: Random, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => rng.int(256) - 128);
}

/** The metric's score of row r against query q, on the integers (doubles hold them exactly). */
function score(metric: NativeMetric, rows: Int8Array, r: number, q: Float32Array, dim: number): number {
  let dot = 0, l2 = 0, xx = 0, qq = 0;
  for (let i = 0; i < dim; i++) {
    const x = rows[r * dim + i]!;
    dot += x * q[i]!;
    l2 += (x - q[i]!) ** 2;
    xx += x * x;
    qq += q[i]! * q[i]!;
  }
  if (metric === 'L2') return l2;
  if (metric === 'IP') return dot;
  return xx === 0 || qq === 0 ? 0 : dot / Math.sqrt(xx * qq);
}

function exactTop(metric: NativeMetric, rows: Int8Array, n: number, q: Float32Array, dim: number, k: number, allow?: Uint8Array): Array<{ row: number; score: number }> {
  const larger = metric !== 'L2';
  const all: Array<{ row: number; score: number }> = [];
  for (let r = 0; r < n; r++) if (!allow || allow[r]) all.push({ row: r, score: score(metric, rows, r, q, dim) });
  return all.sort((a, b) => (a.score === b.score ? a.row - b.row : larger ? b.score - a.score : a.score - b.score)).slice(0, k);
}

for (const dim of [2, 7, 16, 37, 200]) {
  test(`exactSearch and rangeSearch on i8 rows, dim ${dim}: scores exactly as on the integers`, async () => {
    const rng = new Random(dim);
    const n = 700;
    const rows = int8Data(rng, n * dim);
    const nq = 3;
    const queries = Float32Array.from(int8Data(rng, nq * dim));
    const allow = Uint8Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
    for (const metric of ['L2', 'IP', 'COSINE'] as const) {
      for (const mask of [undefined, allow]) {
        const res = await exactSearch(rows, n, dim, 'i8', metric, queries, nq, { k: 10, ...(mask ? { allow: mask } : {}) });
        for (let q = 0; q < nq; q++) {
          const qv = queries.subarray(q * dim, (q + 1) * dim);
          const want = exactTop(metric, rows, n, qv, dim, 10, mask);
          for (let i = 0; i < 10; i++) {
            const got = res.scores[q * 10 + i]!;
            if (metric === 'COSINE') assert.ok(Math.abs(got - want[i]!.score) < 1e-6, `${metric} q${q} #${i}: ${got} vs ${want[i]!.score}`);
            else assert.equal(got, want[i]!.score, `${metric} q${q} #${i}`);
            // Ties may be listed in either order; a different row must be a tie.
            const row = res.rows[q * 10 + i]!;
            if (row !== want[i]!.row) assert.equal(score(metric, rows, row, qv, dim), want[i]!.score);
            if (mask) assert.equal(mask[row], 1);
          }
        }
      }
      // Range: exactly the rows strictly inside the radius.
      const qv = queries.subarray(0, dim);
      const sorted = exactTop(metric, rows, n, qv, dim, n);
      // A radius halfway between two scores well apart, so float32 rounding of cosines
      // cannot put a row on the other side of it.
      let at = 40;
      while (Math.abs(sorted[at]!.score - sorted[at + 1]!.score) < 1e-4) at++;
      const radius = (sorted[at]!.score + sorted[at + 1]!.score) / 2;
      const rr = await rangeSearch(rows, n, dim, 'i8', metric, queries.subarray(0, dim), 1, { radius });
      const inRange = sorted.filter((x) => (metric === 'L2' ? x.score < radius : x.score > radius)).map((x) => x.row).sort((a, b) => a - b);
      assert.deepEqual(Array.from(rr.rows).sort((a, b) => a - b), inRange, `${metric} range`);
    }
  });
}

test('HNSW builds from i8 rows: recall against the exact answer, exact scores for plain storage, and the same answers after serialize and load', async () => {
  const rng = new Random(99);
  const dim = 24;
  const n = 4000;
  const rows = int8Data(rng, n * dim);
  const nq = 20;
  const queries = Float32Array.from(int8Data(rng, nq * dim));
  for (const metric of ['L2', 'IP', 'COSINE'] as const) {
    const index = await buildIndex({ type: 'HNSW', metric, dim, element: 'i8', M: 16, efConstruction: 200, storage: 'f32' }, rows, n);
    const res = await index.search(queries, nq, { k: 10, ef: 128 });
    let found = 0;
    for (let q = 0; q < nq; q++) {
      const qv = queries.subarray(q * dim, (q + 1) * dim);
      const want = exactTop(metric, rows, n, qv, dim, 10);
      const cut = want[9]!.score;
      for (let i = 0; i < 10; i++) {
        const row = res.rows[q * 10 + i]!;
        const exact = score(metric, rows, row, qv, dim);
        // The graph holds the integers as float32: its scores are the exact ones (cosine to rounding).
        assert.ok(Math.abs(res.scores[q * 10 + i]! - exact) <= (metric === 'COSINE' ? 1e-6 : 0), `${metric}: ${res.scores[q * 10 + i]} vs ${exact}`);
        if (metric === 'L2' ? exact <= cut : exact >= cut) found++;
      }
    }
    assert.ok(found / (nq * 10) >= 0.95, `${metric} recall ${found / (nq * 10)}`);
    const copy = await loadIndex(await index.serialize());
    assert.deepEqual(await copy.search(queries, nq, { k: 10, ef: 128 }), res);
  }
  // HNSW_SQ's SQ8 codes from i8 rows: approximate scores, recall still high.
  const sq = await buildIndex({ type: 'HNSW', metric: 'L2', dim, element: 'i8', M: 16, efConstruction: 200, storage: 'i8' }, rows, n);
  const r = await sq.search(queries, nq, { k: 10, ef: 128 });
  let found = 0;
  for (let q = 0; q < nq; q++) {
    const qv = queries.subarray(q * dim, (q + 1) * dim);
    const cut = exactTop('L2', rows, n, qv, dim, 10)[9]!.score;
    for (let i = 0; i < 10; i++) if (score('L2', rows, r.rows[q * 10 + i]!, qv, dim) <= cut) found++;
  }
  assert.ok(found / (nq * 10) >= 0.85, `HNSW i8 storage recall ${found / (nq * 10)}`);
});

test('i8 rows: IVF kinds refused (Milvus builds only HNSW on INT8_VECTOR), and an i8 call needs an Int8Array', async () => {
  const rng = new Random(5);
  const dim = 8;
  const rows = int8Data(rng, 100 * dim);
  const q = new Float32Array(dim);
  await assert.rejects(buildIndex({ type: 'IVF_FLAT', metric: 'L2', dim, element: 'i8' as 'f32', nlist: 4 }, rows, 100), isInvalid(/element i8 is not valid for IVF_FLAT/));
  await assert.rejects(buildIndex({ type: 'IVF_SQ8', metric: 'IP', dim, element: 'i8' as 'f32', nlist: 4 }, rows, 100), isInvalid(/element i8 is not valid/));
  await assert.rejects(exactSearch(Float32Array.from(rows), 100, dim, 'i8', 'L2', q, 1, { k: 5 }), isInvalid(/Int8Array/));
  await assert.rejects(exactSearch(rows, 100, dim, 'f32', 'L2', q, 1, { k: 5 }), isInvalid(/Float32Array/));
  await assert.rejects(exactSearch(rows, 100, dim, 'i8', 'HAMMING', q, 1, { k: 5 }), isInvalid(/does not fit/));
});
