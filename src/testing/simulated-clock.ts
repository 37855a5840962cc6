// A clock that moves only when a test says so: advance(ms) runs the timers that come due,
// in due order (ties in the order they were set), each at its own time. It is the stores'
// StoreClock, the engine's wall Clock and its Timers (the background pass runs exactly
// where a test advances time), so no test sleeps.
import { assert } from '../errors/index.js';
import type { StoreClock } from '../storage/clock.js';
import type { Timer as RepeatingTimer, Timers } from '../concurrency/index.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
  cancelled: boolean;
}

export class SimulatedClock implements StoreClock, Timers {
  private time: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, fire: () => void): () => void {
    assert(Number.isFinite(delayMs) && delayMs >= 0, `timer delay must be >= 0, got ${delayMs}`);
    const t: Timer = { at: this.time + delayMs, seq: this.seq++, fire, cancelled: false };
    this.timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }

  /** Calls `fn` every `ms` until cancelled (a promise it returns is not awaited). */
  every(ms: number, fn: () => void | Promise<void>): RepeatingTimer {
    assert(Number.isFinite(ms) && ms > 0, `a repeating timer needs ms > 0, got ${ms}`);
    let cancelled = false;
    let cancelNext = () => {};
    const arm = () => {
      cancelNext = this.setTimer(ms, () => {
        if (cancelled) return;
        arm();
        void fn();
      });
    };
    arm();
    return { cancel: () => { cancelled = true; cancelNext(); } };
  }

  after(ms: number, fn: () => void | Promise<void>): RepeatingTimer {
    const cancel = this.setTimer(ms, () => void fn());
    return { cancel };
  }

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that comes due on the way. */
  advance(ms: number): void {
    assert(Number.isFinite(ms) && ms >= 0, `advance needs ms >= 0, got ${ms}`);
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: Timer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.time = Math.max(this.time, next.at);
      next.cancelled = true;
      next.fire();
    }
    this.time = end;
  }
}
