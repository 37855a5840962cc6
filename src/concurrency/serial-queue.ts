// A serial queue: the owner of a mutable structure runs every change through one, so a
// check and the act that depends on it cannot be interleaved with another change, even
// when the act awaits I/O.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;

  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.depth++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => { this.depth--; },
      () => { this.depth--; },
    );
    return result;
  }

  /** Tasks queued or running. */
  get length(): number {
    return this.depth;
  }

  /** Resolves when everything queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
