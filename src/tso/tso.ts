// Hybrid timestamps: (physical ms << 18) | logical, as Milvus allocates them.
// Timestamps are strictly increasing, also across restarts: the allocator never hands
// out a physical time at or above a high-water mark that is durably stored first, and
// on start it begins above the stored mark.
import { ElanusError, assert } from '../errors/index.js';

export const logicalBits = 18n;
const logicalMax = (1 << 18) - 1;

export interface Clock {
  /** Wall-clock milliseconds. */
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export type Timestamp = bigint;

export function composeTs(physicalMs: number, logical: number): Timestamp {
  return (BigInt(physicalMs) << logicalBits) | BigInt(logical);
}
export function physicalOf(ts: Timestamp): number {
  return Number(ts >> logicalBits);
}

/**
 * The first write timestamp a read at `at` still sees under a TTL of `ttlSeconds`: rows
 * written before it have expired for that read (0 when nothing expires). Decided from
 * the read's own timestamp, not the clock at each row, so every shard and segment of one
 * read agrees on which rows are gone.
 */
export function expiredBefore(at: Timestamp, ttlSeconds: number): Timestamp {
  if (ttlSeconds <= 0) return 0n;
  const physical = physicalOf(at) - ttlSeconds * 1000;
  return physical <= 0 ? 0n : composeTs(physical, 0);
}

export interface TsoOptions {
  clock: Clock;
  /** Loads the stored high-water mark (physical ms). */
  loadHighWater: () => number;
  /** Stores a new high-water mark durably. */
  storeHighWater: (physicalMs: number) => Promise<void>;
  /** How far ahead of the clock the stored mark is kept. */
  windowMs?: number;
}

export class Tso {
  private physical: number;
  private logical = 0;
  /** The last timestamp handed out by next(). */
  private issued = -1n;
  private highWater: number;
  private renewing: Promise<void> | null = null;
  private readonly windowMs: number;

  private constructor(private readonly opts: TsoOptions, start: number, highWater: number) {
    this.physical = start;
    this.highWater = highWater;
    this.windowMs = opts.windowMs ?? 3000;
  }

  static async open(opts: TsoOptions): Promise<Tso> {
    const stored = opts.loadHighWater();
    // Start strictly above anything the previous run could have handed out.
    const start = Math.max(opts.clock.now(), stored + 1);
    const highWater = start + (opts.windowMs ?? 3000);
    await opts.storeHighWater(highWater);
    return new Tso(opts, start, highWater);
  }

  /** Allocates the next timestamp. Synchronous, so callers can allocate and append in one step. */
  next(): Timestamp {
    const now = this.opts.clock.now();
    // Keep the stored mark a window ahead of the clock, also when the clock jumps forward.
    if (Math.max(now, this.physical) > this.highWater - this.windowMs / 2) this.renew();
    if (now > this.physical && now < this.highWater) {
      this.physical = now;
      this.logical = 0;
    } else if (this.logical < logicalMax) {
      this.logical++;
    } else if (this.physical + 1 < this.highWater) {
      this.physical++;
      this.logical = 0;
    } else {
      this.renew();
      throw new ElanusError('TIMEOUT', { what: 'timestamp allocation (high-water mark not yet stored)', ms: this.windowMs });
    }
    const ts = composeTs(this.physical, this.logical);
    assert(ts > this.issued, 'timestamps strictly increase');
    this.issued = ts;
    return ts;
  }

  /** The last timestamp handed out (or the start). */
  last(): Timestamp {
    return composeTs(this.physical, this.logical);
  }

  private renew(): void {
    if (this.renewing) return;
    const target = Math.max(this.opts.clock.now(), this.physical) + this.windowMs;
    this.renewing = this.opts
      .storeHighWater(target)
      .then(() => {
        this.highWater = Math.max(this.highWater, target);
      })
      // A failed store only means the window does not move: allocation stays below the
      // old mark and reports TIMEOUT when it runs out.
      .catch(() => {})
      .finally(() => {
        this.renewing = null;
      });
  }

  /** Waits for a high-water renewal in flight (used by close). */
  async settle(): Promise<void> {
    await this.renewing;
  }
}
