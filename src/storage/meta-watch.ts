// Watch history and watchers for the embedded MetaStore.
//
// The history holds the events of the last `revisionsMax` revisions (every revision
// changed at least one key, so they are consecutive), and at most about `bytesMax` of
// keys and values: the oldest revisions go first when either limit is passed. Watchers pull: each keeps a cursor
// (the next revision it will deliver) and reads the history from there, so a slow
// watcher costs nothing but its place in the history, and one that falls out of it
// fails with COMPACTED at its next read. There is no queue per watcher to bound.
import { ElanusError, assert } from '../errors/index.js';
import type { MetaWatch, WatchBatch, WatchEvent } from './meta.js';

export class WatchHistory {
  private readonly batches: WatchBatch[] = [];
  /** Estimated memory of each batch in `batches`, and their sum. */
  private readonly sizes: number[] = [];
  private bytes = 0;
  /** Every revision from this one on is in `batches` (or still to come). */
  private keptFrom: number;
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly revisionsMax: number,
    private readonly bytesMax: number,
    /** The store's revision when the history starts (events replayed at open come after). */
    current: number,
  ) {
    this.keptFrom = current + 1;
  }

  /** The oldest revision a watch can start from. */
  get oldest(): number {
    return this.keptFrom;
  }

  /** The revision of the newest batch (or one before the oldest kept). */
  get newest(): number {
    return this.batches.at(-1)?.revision ?? this.keptFrom - 1;
  }

  add(revision: number, events: readonly WatchEvent[]): void {
    assert(revision === this.newest + 1, `watch history got revision ${revision} after ${this.newest}`);
    let size = 64;
    for (const e of events) size += 2 * (e.kv.key.length + e.kv.value.length) + 64;
    this.batches.push(Object.freeze({ revision, events: Object.freeze([...events]) }));
    this.sizes.push(size);
    this.bytes += size;
    // The newest revision stays whatever its size: a watcher at the head must get it.
    while (this.batches.length > 1 && (this.batches.length > this.revisionsMax || this.bytes > this.bytesMax)) {
      this.compact((this.batches[1] as WatchBatch).revision);
    }
    this.wake();
  }

  /** Drops every batch before `revision`. */
  compact(revision: number): void {
    let n = 0;
    while (n < this.batches.length && (this.batches[n] as WatchBatch).revision < revision) n++;
    this.batches.splice(0, n);
    for (const size of this.sizes.splice(0, n)) this.bytes -= size;
    this.keptFrom = Math.max(this.keptFrom, revision);
  }

  /** The first batch at or after `from` (undefined when none yet); COMPACTED when `from` is gone. */
  at(from: number): WatchBatch | undefined {
    if (from < this.keptFrom) throw compacted(from, this.keptFrom);
    const first = this.batches[0];
    if (first === undefined) return undefined;
    return this.batches[Math.max(0, from - first.revision)];
  }

  /** Resolves at the next change of the history (or close). */
  changed(): { promise: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => (wake = resolve));
    if (this.closed) wake();
    else this.waiters.add(wake);
    return { promise, cancel: () => { this.waiters.delete(wake); wake(); } };
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = new Set();
    for (const w of ws) w();
  }
}

export function compacted(revision: number, oldest: number): ElanusError {
  return new ElanusError('COMPACTED', { revision, oldest });
}

export class LocalWatch implements MetaWatch {
  private cursor: number;
  private closed = false;
  private stopWaiting: (() => void) | undefined;
  /** next() calls run one after another, so two never return the same batch. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly history: WatchHistory,
    private readonly prefix: string,
    from: number,
    private readonly onClose: (w: LocalWatch) => void,
  ) {
    this.cursor = from;
  }

  next(): Promise<WatchBatch | undefined> {
    const p = this.chain.then(() => this.read());
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async read(): Promise<WatchBatch | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const batch = this.history.at(this.cursor);
      if (batch === undefined) {
        const { promise, cancel } = this.history.changed();
        this.stopWaiting = cancel;
        await promise;
        this.stopWaiting = undefined;
        continue;
      }
      this.cursor = batch.revision + 1;
      const events = batch.events.filter((e) => e.kv.key.startsWith(this.prefix));
      if (events.length > 0) return events.length === batch.events.length ? batch : Object.freeze({ revision: batch.revision, events: Object.freeze(events) });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWaiting?.();
    this.onClose(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    return watchIterator(this);
  }
}

/** `for await` over a watch: one batch per step; leaving the loop early closes the watch. */
export function watchIterator(w: Pick<MetaWatch, 'next' | 'close'>): AsyncIterator<WatchBatch> {
  return {
    next: async () => {
      const value = await w.next();
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
    return: async () => {
      w.close();
      return { done: true, value: undefined };
    },
  };
}
