// A counting semaphore: at most `slots` tasks run at once; the rest wait in arrival
// order. Used to bound native work on the thread pool (vector searches), which Node's
// file system calls share: searches must not take every thread.
export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number) {
    if (!(slots >= 1)) throw new RangeError(`a semaphore needs at least one slot, got ${slots}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so `running` stays counted.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
