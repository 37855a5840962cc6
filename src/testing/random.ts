// A tiny seeded PRNG (mulberry32). Tests and simulators take their randomness from
// here, never from Math.random, so that a failure is a seed that replays exactly.
import { assert } from '../errors/index.js';

export class Random {
  private state: number;

  constructor(seed: number) {
    assert(Number.isFinite(seed), 'Random seed must be a finite number');
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    assert(Number.isInteger(maxExclusive) && maxExclusive > 0, `Random.int needs a positive integer, got ${maxExclusive}`);
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(xs: readonly T[]): T {
    assert(xs.length > 0, 'Random.pick needs a non-empty list');
    return xs[this.int(xs.length)] as T;
  }
}
