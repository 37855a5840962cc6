// Bounded heaps that keep the best items seen: TopK for search hits by score (merging per
// segment and per shard), BoundedHeap for anything with an order (a query's first keys).

/**
 * Keeps the `max` items that come first under `cmp` (negative: a before b); all of them
 * when max is Infinity, which skips the heap work. The root is the worst item kept.
 */
export class BoundedHeap<T> {
  protected readonly items: T[] = [];

  constructor(protected readonly max: number, private readonly cmp: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  /** Would an item ranking like `x` be kept? */
  admitsItem(x: T): boolean {
    return this.items.length < this.max || this.cmp(x, this.items[0]!) < 0;
  }

  push(x: T): void {
    const h = this.items;
    if (h.length < this.max) {
      h.push(x);
      if (Number.isFinite(this.max)) this.up(h.length - 1);
    } else if (this.cmp(x, h[0]!) < 0) {
      h[0] = x;
      this.down(0);
    }
  }

  /** The kept items, first first. */
  sorted(): T[] {
    return this.items.slice().sort(this.cmp);
  }

  // A max-heap on cmp: the root is the last kept item.
  private up(i: number): void {
    const h = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(h[i]!, h[p]!) <= 0) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.cmp(h[l]!, h[m]!) > 0) m = l;
      if (r < h.length && this.cmp(h[r]!, h[m]!) > 0) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

export interface Hit {
  readonly score: number;
  /** Opaque reference to the row (segment, row). */
  readonly ref: unknown;
}

/** The k best hits by score; `better(a, b)` is true when score a ranks before b. */
export class TopK extends BoundedHeap<Hit> {
  constructor(k: number, private readonly better: (a: number, b: number) => boolean) {
    super(k, (x, y) => (better(x.score, y.score) ? -1 : better(y.score, x.score) ? 1 : 0));
  }

  /** Would a hit with this score be kept? */
  admits(score: number): boolean {
    return this.items.length < this.max || this.better(score, this.items[0]!.score);
  }
}
