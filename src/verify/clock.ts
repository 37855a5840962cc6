// The verifier's clock: milliseconds from a monotonic source, so that "B started after A
// was acknowledged" is decided by one clock that never jumps. Injected, so the checker's
// unit tests can write histories with hand-picked times.
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Milliseconds since an arbitrary origin; never decreases. */
  now(): number;
}

export const monotonicClock: Clock = Object.freeze({ now: () => performance.now() });

/** A clock that moves only when told to (tests). */
export class ManualClock implements Clock {
  private t = 0;
  now(): number {
    return this.t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}
