// A gate the workers pass before every operation: closed while the server is killed and
// restarted, or while a quiescent check runs, so those see no operation in flight.
export class Gate {
  private waiting: Promise<void> | undefined;
  private release: (() => void) | undefined;

  get closed(): boolean {
    return this.waiting !== undefined;
  }

  /** Resolves at once when open, else when opened. */
  pass(): Promise<void> | undefined {
    return this.waiting;
  }

  close(): void {
    if (this.waiting) return;
    this.waiting = new Promise<void>((r) => (this.release = r));
  }

  open(): void {
    const r = this.release;
    this.waiting = undefined;
    this.release = undefined;
    r?.();
  }
}
