// A MetaWatch on etcd's Watch stream. etcd pushes; the interface is pulled (`next()`).
//
// Between the two sits a bounded queue of whole batches. Past `batchesMax` batches or
// about `bytesMax` bytes of keys and values the etcd watch is cancelled, and the queue
// only drains: when the reader has taken every queued batch, the watch is created again
// from the next revision not yet queued. So a reader that never reads costs at most one
// queue, and one that comes back after etcd compacted its next revision gets COMPACTED,
// as the interface says. A broken stream (server restart, lost connection) is mended the
// same way, from the same revision, at the next read; if the server cannot be reached
// then, that read fails with STORE_UNAVAILABLE and the next one tries again.
//
// One batch per revision: a response holds whole revisions unless it is a fragment (the
// watch asks for fragments, so a revision larger than etcd's message limit still comes),
// and fragments are joined before their events are grouped by revision. A revision is
// queued once: each stream starts from the revision after the last one queued.
import type { IDuplexStream, IWatchRequest, IWatchResponse } from 'etcd3';
import { ElanusError, assert } from '../errors/index.js';
import { watchIterator, type MetaWatch, type WatchBatch, type WatchEvent } from '../storage/index.js';
import { type Keyspace, unavailable } from './etcd-codec.js';

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

export interface EtcdWatchOptions {
  readonly keyspace: Keyspace;
  readonly prefix: string;
  /** Opens a new gRPC Watch stream on the store's connection. */
  readonly openStream: () => Promise<WatchStream>;
  readonly endpoint: string;
  /** How long the creation of an etcd watch may take. */
  readonly createTimeoutMs: number;
  /** Batches queued before the etcd watch is paused. */
  readonly batchesMax: number;
  /** Estimated bytes of keys and values queued before the etcd watch is paused. */
  readonly bytesMax: number;
  readonly onClose: (w: EtcdWatch) => void;
}

interface Queued {
  readonly batch: WatchBatch;
  readonly bytes: number;
}

export class EtcdWatch implements MetaWatch {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  /** The first revision not yet queued; undefined until the first stream says where it starts. */
  private resumeFrom: number | undefined;
  private stream: WatchStream | undefined;
  /** Responses of streams before this one are stale (a paused or broken stream may still send). */
  private generation = 0;
  /** Events of a response cut into fragments, until its last fragment. */
  private fragments: WatchEvent[] = [];
  /** The watch fell behind etcd's history: every later read fails with it. */
  private compacted: ElanusError | undefined;
  /** The stream broke or was cancelled by etcd (not by us); the next read makes a new one. */
  private broken: ElanusError | undefined;
  private wakers = new Set<() => void>();
  private closed = false;
  /** next() calls run one after another, so two never return the same batch. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: EtcdWatchOptions, from: number | undefined) {
    this.resumeFrom = from;
  }

  /**
   * Creates the first etcd watch. With `compactedHint` (the store found `from` compacted),
   * waits for etcd to say so on the stream, which also tells the oldest revision kept.
   */
  async start(compactedHint: boolean): Promise<void> {
    await this.openStream();
    if (!compactedHint) return;
    const deadline = Date.now() + this.o.createTimeoutMs;
    while (this.compacted === undefined && !this.closed && Date.now() < deadline) {
      await this.changed(deadline - Date.now());
    }
    throw this.compacted ?? new ElanusError('COMPACTED', { revision: this.resumeFrom ?? 'requested', oldest: 'unknown' });
  }

  /** Batches waiting for the reader (at most about batchesMax: past it etcd's stream is paused). */
  get queuedBatches(): number {
    return this.queue.length;
  }

  next(): Promise<WatchBatch | undefined> {
    const p = this.chain.then(() => this.read());
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async read(): Promise<WatchBatch | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const q = this.queue.shift();
      if (q !== undefined) {
        this.queuedBytes -= q.bytes;
        return q.batch;
      }
      if (this.compacted) throw this.compacted;
      if (this.stream === undefined) {
        // Paused (the queue was full) or broken: watch again from where the queue ends.
        this.broken = undefined;
        await this.openStream();
        continue;
      }
      if (this.broken) {
        this.dropStream();
        continue;
      }
      await this.changed();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropStream();
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.wake();
    this.o.onClose(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    return watchIterator(this);
  }

  // ---- the etcd stream ---------------------------------------------------------------

  /** Opens a stream and creates the etcd watch on it; resolves once etcd confirmed it. */
  private async openStream(): Promise<void> {
    assert(this.stream === undefined, 'a watch opened a second stream');
    const generation = ++this.generation;
    let stream: WatchStream;
    try {
      stream = await this.o.openStream();
    } catch (e) {
      throw unavailable(this.o.endpoint, `cannot open a watch stream: ${(e as Error).message}`, e);
    }
    if (this.closed || generation !== this.generation) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    this.fragments = [];
    let created!: () => void;
    let failed!: (e: ElanusError) => void;
    const confirmation = new Promise<void>((resolve, reject) => {
      created = resolve;
      failed = reject;
    });
    // A rejection nobody awaits yet must not count as unhandled: it is awaited below.
    confirmation.catch(() => undefined);
    stream.on('data', (res: IWatchResponse) => {
      if (generation !== this.generation) return;
      if (res.created && res.canceled && !(Number(res.compact_revision) > 0)) {
        // Refused at creation (a permission, a bad range): trying again would loop.
        failed(unavailable(this.o.endpoint, `etcd refused the watch: ${res.cancel_reason || 'no reason given'}`));
        return;
      }
      if (res.created) {
        // Without a start revision etcd watches from the revision after its current one.
        this.resumeFrom ??= Number(res.header.revision) + 1;
        created();
      }
      this.onResponse(res);
    });
    const onEnd = (e: Error | undefined) => {
      if (generation !== this.generation) return;
      const err = unavailable(this.o.endpoint, `the watch stream ended${e ? `: ${e.message}` : ''}`, e);
      failed(err);
      this.broken = err;
      this.wake();
    };
    stream.on('error', (e: Error) => onEnd(e));
    stream.on('end', () => onEnd(undefined));
    const create: Record<string, unknown> = { ...this.o.keyspace.range(this.o.prefix), fragment: true };
    if (this.resumeFrom !== undefined) create.start_revision = this.resumeFrom;
    stream.write({ create_request: create });
    const timer = setTimeout(() => failed(unavailable(this.o.endpoint, `etcd did not confirm a watch within ${this.o.createTimeoutMs} ms`)), this.o.createTimeoutMs);
    try {
      await confirmation;
    } catch (e) {
      if (generation === this.generation) this.dropStream();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private onResponse(res: IWatchResponse): void {
    if (res.compact_revision !== undefined && Number(res.compact_revision) > 0) {
      // etcd cancels a watch whose next revision it no longer keeps.
      this.compacted = new ElanusError('COMPACTED', { revision: this.resumeFrom ?? 'requested', oldest: Number(res.compact_revision) });
      this.dropStream();
      this.wake();
      return;
    }
    if (res.canceled) {
      this.broken = unavailable(this.o.endpoint, `etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`);
      this.wake();
      return;
    }
    for (const e of res.events) this.fragments.push(this.o.keyspace.event(e.type, e.kv));
    if (res.fragment) return;
    const events = this.fragments;
    this.fragments = [];
    this.enqueue(events);
  }

  /** Groups whole responses' events by revision (they come in revision order) and queues them. */
  private enqueue(events: readonly WatchEvent[]): void {
    let i = 0;
    while (i < events.length) {
      const revision = (events[i] as WatchEvent).kv.modRevision;
      let j = i;
      let bytes = 64;
      while (j < events.length && (events[j] as WatchEvent).kv.modRevision === revision) {
        const kv = (events[j] as WatchEvent).kv;
        bytes += 2 * (kv.key.length + kv.value.length) + 64;
        j++;
      }
      // A stream starts at resumeFrom, so nothing older comes; this guards the once-each promise.
      if (this.resumeFrom === undefined || revision >= this.resumeFrom) {
        this.queue.push({ batch: Object.freeze({ revision, events: Object.freeze(events.slice(i, j)) }), bytes });
        this.queuedBytes += bytes;
        this.resumeFrom = revision + 1;
      }
      i = j;
    }
    if (this.queue.length >= this.o.batchesMax || this.queuedBytes >= this.o.bytesMax) {
      // The reader is behind: stop etcd sending until it has caught up (read()).
      this.dropStream();
    }
    this.wake();
  }

  private dropStream(): void {
    this.generation++;
    const s = this.stream;
    this.stream = undefined;
    this.fragments = [];
    if (s !== undefined) {
      // Cancelling ends the stream with an error event; without a listener it would throw.
      s.on('error', () => undefined);
      s.cancel();
    }
  }

  // ---- waiting -----------------------------------------------------------------------

  private changed(timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(wake, Math.max(0, timeoutMs));
      function wake(): void {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      }
      this.wakers.add(wake);
    });
  }

  private wake(): void {
    const ws = this.wakers;
    this.wakers = new Set();
    for (const w of ws) w();
  }
}
