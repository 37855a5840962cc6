// A bounded heap that keeps the k best hits seen, for merging per segment and per shard.
export interface Hit {
  readonly score: number;
  /** Opaque reference to the row (segment, row). */
  readonly ref: unknown;
}

export class TopK {
  private readonly heap: Hit[] = [];

  /** `better(a, b)` is true when a ranks before b. The heap's root is the worst kept hit. */
  constructor(private readonly k: number, private readonly better: (a: number, b: number) => boolean) {}

  get size(): number {
    return this.heap.length;
  }

  /** Would a hit with this score be kept? */
  admits(score: number): boolean {
    return this.heap.length < this.k || this.better(score, this.heap[0]!.score);
  }

  push(hit: Hit): void {
    const h = this.heap;
    if (h.length < this.k) {
      h.push(hit);
      this.up(h.length - 1);
    } else if (this.better(hit.score, h[0]!.score)) {
      h[0] = hit;
      this.down(0);
    }
  }

  /** The kept hits, best first. */
  sorted(): Hit[] {
    return [...this.heap].sort((a, b) => (this.better(a.score, b.score) ? -1 : this.better(b.score, a.score) ? 1 : 0));
  }

  private worse(i: number, j: number): boolean {
    return this.better(this.heap[j]!.score, this.heap[i]!.score);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(i, p)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.worse(l, m)) m = l;
      if (r < h.length && this.worse(r, m)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
