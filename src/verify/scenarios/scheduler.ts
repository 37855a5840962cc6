// A seeded scheduler for interleaving runs: every scheduled completion waits until the
// scheduler releases it, and the scheduler releases them in an order drawn from a seeded
// PRNG — so one seed is one interleaving, replayed exactly. The same contract as
// fast-check's fc.scheduler() (schedule, waitOne, waitAll, count), without a dependency
// the shipped tool would need at run time.
import type { Random } from '../../testing/random.js';

interface Task {
  readonly label: string;
  readonly trigger: () => void;
  readonly settled: Promise<void>;
}

/** Labels of released tasks kept for a report. */
const traceMax = 400;

export class SeededScheduler {
  private readonly tasks: Task[] = [];
  /** The most recent releases, oldest first: the schedule of a failing run. */
  readonly trace: string[] = [];
  released = 0;

  constructor(private readonly rng: Random) {}

  /** A promise that settles like `p`, but only once the scheduler releases it. */
  schedule<T>(p: Promise<T>, label: string): Promise<T> {
    // Mark `p` handled now: it may reject long before it is released.
    p.catch(() => undefined);
    let trigger: () => void = () => undefined;
    const out = new Promise<T>((resolve, reject) => {
      trigger = () => void p.then(resolve, reject);
    });
    this.tasks.push({ label, trigger, settled: out.then(() => undefined, () => undefined) });
    return out;
  }

  count(): number {
    return this.tasks.length;
  }

  /** Releases one task, drawn at random, and waits for it to settle. */
  async waitOne(): Promise<void> {
    const [t] = this.tasks.splice(this.rng.int(this.tasks.length), 1);
    this.released++;
    this.trace.push(t!.label);
    if (this.trace.length > traceMax) this.trace.shift();
    t!.trigger();
    await t!.settled;
  }

  async waitAll(): Promise<void> {
    while (this.tasks.length > 0) await this.waitOne();
  }
}
