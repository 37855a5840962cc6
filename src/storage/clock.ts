// Time for the stores that need it (leases): injected, so that a test moves time by
// hand (testing/simulated-clock.ts) and no test sleeps.

export interface StoreClock {
  /** Milliseconds since an arbitrary origin; never decreases. */
  now(): number;
  /** Calls `fire` once, `delayMs` from now, unless the returned cancel is called first. */
  setTimer(delayMs: number, fire: () => void): () => void;
}

/** Real time. Timers do not keep the process alive. */
export const systemStoreClock: StoreClock = Object.freeze({
  now: () => performance.now(),
  setTimer: (delayMs: number, fire: () => void) => {
    const t = setTimeout(fire, delayMs);
    t.unref();
    return () => clearTimeout(t);
  },
});
