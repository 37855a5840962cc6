// SPARSE_INVERTED_INDEX (and SPARSE_WAND, served the same way): for each dimension, the
// rows that have a value there and the values. A search visits only the posting lists
// of the query's dimensions, accumulating inner products, so its cost follows the
// number of non-zeros it touches instead of the segment's size.
//
// Written here, in TypeScript: the structure is small, and sparse rows are already JS
// objects in the segment's column.
import { TopK } from './topk.js';

export interface SparseVec {
  readonly indices: readonly number[];
  readonly values: readonly number[];
}

interface Posting {
  rows: Int32Array;
  values: Float32Array;
}

export class SparseIndex {
  readonly type = 'SPARSE_INVERTED_INDEX';
  private constructor(private readonly postings: ReadonlyMap<number, Posting>, readonly rows: number, private readonly bytes: number) {}

  /** `column` holds one sparse vector per row (null for rows without one). */
  static build(column: readonly unknown[], rows: number): SparseIndex {
    const counts = new Map<number, number>();
    for (let r = 0; r < rows; r++) {
      const v = column[r] as SparseVec | null | undefined;
      if (!v) continue;
      for (const d of v.indices) counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    const lists = new Map<number, Posting & { n: number }>();
    let bytes = 0;
    for (const [d, n] of counts) {
      lists.set(d, { rows: new Int32Array(n), values: new Float32Array(n), n: 0 });
      bytes += n * 8 + 64;
    }
    for (let r = 0; r < rows; r++) {
      const v = column[r] as SparseVec | null | undefined;
      if (!v) continue;
      for (let i = 0; i < v.indices.length; i++) {
        const p = lists.get(v.indices[i]!)!;
        p.rows[p.n] = r;
        p.values[p.n++] = v.values[i]!;
      }
    }
    return new SparseIndex(lists, rows, bytes);
  }

  memoryBytes(): number {
    return this.bytes;
  }

  /**
   * Top-k rows by inner product with `q` among rows with a non-zero product, skipping
   * rows where `allow` is 0. `dropRatio` ignores that share of the query's entries with
   * the smallest magnitudes (Milvus's drop_ratio_search).
   */
  search(q: SparseVec, k: number, allow: Uint8Array | undefined, dropRatio = 0): Array<{ row: number; score: number }> {
    let entries = q.indices.map((d, i) => ({ d, v: q.values[i]! }));
    if (dropRatio > 0 && entries.length > 1) {
      const keep = Math.max(1, Math.ceil(entries.length * (1 - dropRatio)));
      entries = [...entries].sort((a, b) => Math.abs(b.v) - Math.abs(a.v)).slice(0, keep);
    }
    const acc = new Map<number, number>();
    for (const { d, v } of entries) {
      const p = this.postings.get(d);
      if (!p) continue;
      for (let i = 0; i < p.rows.length; i++) {
        const r = p.rows[i]!;
        if (allow && allow[r] !== 1) continue;
        acc.set(r, (acc.get(r) ?? 0) + v * p.values[i]!);
      }
    }
    const heap = new TopK(k, (a: number, b: number) => a > b);
    for (const [row, score] of acc) if (heap.admits(score)) heap.push({ score, ref: row });
    return heap.sorted().map((x) => ({ row: x.ref as number, score: x.score }));
  }
}
