// A clock and timers that move only when a test says so: `advance(ms)` moves the time
// forward and runs every timer that falls due, in due order (a repeating timer as many
// times as its period fits), awaiting each callback's promise before the next. So a
// background pass runs exactly where the test puts it, and a test never sleeps.
import type { Timer, Timers } from '../concurrency/index.js';

interface Entry {
  due: number;
  readonly period: number | undefined;
  readonly fn: () => void | Promise<void>;
  cancelled: boolean;
}

export class ManualClock implements Timers {
  private readonly entries: Entry[] = [];

  constructor(private time = 1_800_000_000_000) {}

  now(): number {
    return this.time;
  }

  every(ms: number, fn: () => void | Promise<void>): Timer {
    return this.add(ms, ms, fn);
  }

  after(ms: number, fn: () => void | Promise<void>): Timer {
    return this.add(ms, undefined, fn);
  }

  /** Timers not cancelled (one-shot timers until they ran). */
  get pending(): number {
    return this.entries.filter((e) => !e.cancelled).length;
  }

  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      let next: Entry | undefined;
      for (const e of this.entries) if (!e.cancelled && e.due <= until && (!next || e.due < next.due)) next = e;
      if (!next) break;
      this.time = Math.max(this.time, next.due);
      if (next.period === undefined) next.cancelled = true;
      else next.due += Math.max(1, next.period);
      await next.fn();
    }
    this.time = until;
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.cancelled) this.entries.splice(i, 1);
  }

  private add(ms: number, period: number | undefined, fn: () => void | Promise<void>): Timer {
    const e: Entry = { due: this.time + Math.max(0, ms), period, fn, cancelled: false };
    this.entries.push(e);
    return { cancel: () => { e.cancelled = true; } };
  }
}
