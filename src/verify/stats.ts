// Counts and latencies per operation kind: a log-scale histogram (buckets 5% apart), so
// a run of hours keeps a constant size and p50/p99 stay within 5%.
export interface KindTotals {
  count: number;
  ok: number;
  failed: number;
  unknown: number;
}

const bucketRatio = 1.05;
const logRatio = Math.log(bucketRatio);
/** Latencies below 10 µs share the first bucket. */
const floorMs = 0.01;

class Histogram {
  private readonly buckets = new Map<number, number>();
  private n = 0;

  add(ms: number): void {
    const b = ms <= floorMs ? 0 : Math.ceil(Math.log(ms / floorMs) / logRatio);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.n++;
  }

  /** The q-quantile (0..1), as the upper edge of its bucket. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.ceil(q * this.n);
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b)!;
      if (seen >= rank) return floorMs * bucketRatio ** b;
    }
    return 0;
  }
}

export interface KindRow extends KindTotals {
  readonly kind: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export class Stats {
  private readonly kinds = new Map<string, KindTotals & { latency: Histogram }>();

  record(kind: string, outcome: 'ok' | 'fail' | 'unknown', latencyMs: number): void {
    let k = this.kinds.get(kind);
    if (!k) {
      k = { count: 0, ok: 0, failed: 0, unknown: 0, latency: new Histogram() };
      this.kinds.set(kind, k);
    }
    k.count++;
    if (outcome === 'ok') k.ok++;
    else if (outcome === 'fail') k.failed++;
    else k.unknown++;
    k.latency.add(latencyMs);
  }

  /** Counts per kind, for rates between two progress lines. */
  totals(): Map<string, KindTotals> {
    const out = new Map<string, KindTotals>();
    for (const [kind, k] of this.kinds) out.set(kind, { count: k.count, ok: k.ok, failed: k.failed, unknown: k.unknown });
    return out;
  }

  rows(): KindRow[] {
    return [...this.kinds].sort(([a], [b]) => a.localeCompare(b)).map(([kind, k]) => ({
      kind, count: k.count, ok: k.ok, failed: k.failed, unknown: k.unknown,
      p50Ms: round(k.latency.quantile(0.5)), p99Ms: round(k.latency.quantile(0.99)),
    }));
  }
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
