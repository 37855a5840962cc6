// Runs async tasks one at a time, in the order they were queued. Each topic owns one
// for its metadata (groups, positions, retention, drop), so that a task can check the
// state, await its durable write and then act on what it checked: no other metadata
// task of the topic runs in between.

export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  /** Tasks queued or running. */
  get size(): number {
    return this.queued;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.tail.then(task);
    // The chain goes on whether the task succeeded or not; its outcome belongs to the caller.
    this.tail = result.then(
      () => this.done(),
      () => this.done(),
    );
    return result;
  }

  /** Resolves once every task queued so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }

  private done(): void {
    this.queued--;
  }
}
