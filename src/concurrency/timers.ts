// Timers, injected: the engine asks its `Timers` for a repeating or one-shot callback
// instead of calling setInterval/setTimeout itself, so a test can run the background
// pass exactly when it chooses (testing/simulated-clock.ts) and nothing waits on real time.

export interface Timer {
  cancel(): void;
}

export interface Timers {
  /** Calls `fn` every `ms` milliseconds until cancelled. */
  every(ms: number, fn: () => void | Promise<void>): Timer;
  /** Calls `fn` once, `ms` milliseconds from now, unless cancelled first. */
  after(ms: number, fn: () => void | Promise<void>): Timer;
}

/** Node's timers, unref'd: a pending timer never keeps the process alive. */
export const systemTimers: Timers = {
  every(ms, fn) {
    const t = setInterval(() => void fn(), ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
  after(ms, fn) {
    const t = setTimeout(() => void fn(), ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
