// The keys a data set has written, kept sorted for range lookups: a sorted array plus a
// small buffer of new keys merged in when it grows.
const bufferMax = 2048;

export class KeyIndex {
  private sorted: number[] = [];
  private buffer: number[] = [];
  private readonly all = new Set<number>();

  add(key: number): void {
    if (this.all.has(key)) return;
    this.all.add(key);
    this.buffer.push(key);
    if (this.buffer.length > bufferMax) this.merge();
  }

  has(key: number): boolean {
    return this.all.has(key);
  }

  get size(): number {
    return this.all.size;
  }

  /** Keys in [from, to), ascending. */
  range(from: number, to: number): number[] {
    this.merge();
    const out: number[] = [];
    for (let i = lowerBound(this.sorted, from); i < this.sorted.length && this.sorted[i]! < to; i++) out.push(this.sorted[i]!);
    return out;
  }

  /** Every key, ascending. */
  keys(): readonly number[] {
    this.merge();
    return this.sorted;
  }

  /** Sorts the buffer and merges it in, in linear time. */
  private merge(): void {
    if (this.buffer.length === 0) return;
    const b = this.buffer.sort((x, y) => x - y);
    const a = this.sorted;
    const out = new Array<number>(a.length + b.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
    while (i < a.length) out[k++] = a[i++]!;
    while (j < b.length) out[k++] = b[j++]!;
    this.sorted = out;
    this.buffer = [];
  }
}

function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
