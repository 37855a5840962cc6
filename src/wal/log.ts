// The records of one topic: its segment files, the writer that appends to the last
// one with group commit, and reads of durable records.
//
// Ownership: the writer alone appends to the last segment and adds segments at the
// tail; retention (run by the topic's queue) alone removes segments at the head. Each
// change to the segment list is one synchronous step, and the last segment is never
// removed, so the two never touch the same element.
//
// Group commit: append() assigns the offset and queues the framed record at once.
// While one batch is being written and fsynced, new appends wait in `queued`; the next
// batch takes all of them (up to batchBytesMax) and shares one write and one fsync.
//
// Faults heal: when a write or fsync fails (a full volume, an I/O error), the batch and
// everything queued behind it are refused, and the offsets they took are given back.
// The active file is cut back to its durable end and fsynced at once (and again before
// the next batch, if that failed too), so no byte of a refused record can be read or
// replayed later. Appends keep being tried; the first batch that becomes durable ends
// the failure, with no restart. An fsync is never retried on the same data.
import { AssertionFailure, ElanusError, assert } from '../errors/index.js';
import { joinPath, probeWritable, type FileSystem } from '../storage/index.js';
import { segmentFileName } from './names.js';
import { decodeRecord, encodeRecord } from './record.js';
import { Segment } from './segment.js';

export interface WalRecord {
  offset: number;
  payload: Uint8Array;
}

export interface LogLimits {
  readonly segmentBytesMax: number;
  readonly batchBytesMax: number;
  readonly readBytesMax: number;
}

interface QueuedAppend {
  readonly offset: number;
  readonly bytes: Uint8Array;
  readonly resolve: (offset: number) => void;
  readonly reject: (e: unknown) => void;
}

export class SegmentLog {
  private readonly segments: Segment[];
  private queued: QueuedAppend[] = [];
  private writing = false;
  private idleWaiters: Array<() => void> = [];
  private next: number;
  private durable: number;
  /** Set when a write or fsync failed; cleared by the next batch that becomes durable (or a probe). */
  failure: ElanusError | undefined;
  /** Bytes past the durable end may be on disk (a failed write or fsync): cut them off first. */
  private tailDirty = false;
  /** Bytes of the batch the volume refused: a probe heals only once that much would fit again. */
  private failedBytes = 0;

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    segments: Segment[],
    private readonly limits: LogLimits,
    /** Called after each batch becomes durable. */
    private readonly onDurable: () => void,
    /** Told when the log stops taking appends (a fault) and when it takes them again. */
    private readonly onHealth: (failure: ElanusError | undefined) => void = () => undefined,
  ) {
    assert(segments.length > 0, 'a log has at least one segment');
    this.segments = segments;
    this.durable = (segments.at(-1) as Segment).end;
    this.next = this.durable;
  }

  /** Next offset to be assigned. */
  get endOffset(): number {
    return this.next;
  }

  /** Offsets below this are durable. */
  get durableEndOffset(): number {
    return this.durable;
  }

  get startOffset(): number {
    // After drop or close detached every segment, the start is where the log ended.
    return this.segments[0]?.base ?? this.durable;
  }

  append(payload: Uint8Array, head?: Uint8Array): Promise<number> {
    const offset = this.next++;
    const bytes = encodeRecord(offset, payload, head);
    return new Promise<number>((resolve, reject) => {
      this.queued.push({ offset, bytes, resolve, reject });
      if (!this.writing) {
        // Start on the next microtask, so that every append made in the same
        // synchronous run shares the first fsync too.
        this.writing = true;
        queueMicrotask(() => void this.writeLoop());
      }
    });
  }

  /** Rejects every append not yet handed to the disk; the batch in flight completes. */
  rejectQueued(error: ElanusError): void {
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) q.reject(error);
  }

  /** Resolves when no batch is being written. */
  whenIdle(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async writeLoop(): Promise<void> {
    while (this.queued.length > 0) {
      try {
        if (this.tailDirty) await this.cutTail();
        const active = this.segments.at(-1) as Segment;
        const first = this.queued[0] as QueuedAppend;
        if (active.size > 0 && active.size + first.bytes.length > this.limits.segmentBytesMax) {
          await this.roll(first.offset);
          // Appends may have been rejected (drop, close) while the file was created.
          continue;
        }
        await this.writeBatch(active, this.takeBatch(active));
      } catch (e) {
        // A broken belief of this code is not an I/O error: let it stop the process.
        if (e instanceof AssertionFailure) throw e;
        this.fail(asIoError(e, this.dir));
        // At once, not only before the next batch: a crash in between must not find a
        // whole refused record on disk and replay it. Truncating needs no space, so this
        // usually works even on a full volume.
        await this.cutTail().catch(() => undefined);
      }
    }
    this.stopWriting();
  }

  private stopWriting(): void {
    this.writing = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Heals a failed log with no append waiting (a health probe, so that a volume that got
   * space back reads as healthy before the next write). True when the log takes appends.
   */
  async probe(): Promise<boolean> {
    if (this.failure === undefined) return true;
    if (this.writing) await this.whenIdle();
    // Appends came in meanwhile and are being written: they will tell.
    if (this.writing) return this.failure === undefined;
    if (this.failure === undefined) return true;
    this.writing = true;
    let healed = false;
    try {
      if (this.tailDirty) await this.cutTail();
      // Cutting the tail frees the refused batch's bytes, so a small probe would pass on a
      // volume still too full for that batch: the probe writes as much as it held.
      await probeWritable(this.fs, this.dir, Math.max(4096, this.failedBytes));
      this.recovered();
      healed = true;
    } catch {
      // Still failing: the failure stays as it was, and the next append tries again.
    }
    if (this.queued.length > 0) void this.writeLoop();
    else this.stopWriting();
    return healed;
  }

  /**
   * Refuses everything not durable and gives its offsets back: the batch that failed was
   * rejected by writeBatch, the queue is rejected here, so no offset at or past the
   * durable end belongs to anyone.
   */
  private fail(error: ElanusError): void {
    const first = this.failure === undefined;
    this.failure = error;
    this.tailDirty = true;
    this.rejectQueued(error);
    this.next = this.durable;
    if (first) this.onHealth(error);
  }

  /** A batch became durable (or a probe wrote): the failure is over. */
  private recovered(): void {
    if (this.failure === undefined) return;
    this.failure = undefined;
    this.failedBytes = 0;
    this.onHealth(undefined);
  }

  /**
   * Cuts the active file back to its durable end and makes that durable: the bytes of
   * refused records (a short write, or a whole batch whose fsync failed) are gone before
   * anything new is written after them. Throws when the fault persists.
   */
  private async cutTail(): Promise<void> {
    const active = this.segments.at(-1) as Segment;
    await active.handle.truncate(active.size);
    await active.handle.sync();
    this.tailDirty = false;
  }

  /** The oldest queued records that fit in one batch and in the active segment (at least one). */
  private takeBatch(active: Segment): QueuedAppend[] {
    const room = this.limits.segmentBytesMax - active.size;
    const limit = Math.min(this.limits.batchBytesMax, room);
    let n = 0;
    let bytes = 0;
    for (const q of this.queued) {
      if (n > 0 && bytes + q.bytes.length > limit) break;
      bytes += q.bytes.length;
      n++;
    }
    return this.queued.splice(0, n);
  }

  private async writeBatch(active: Segment, batch: QueuedAppend[]): Promise<void> {
    assert(batch.length > 0 && (batch[0] as QueuedAppend).offset === this.durable, 'batches are written in offset order');
    let total = 0;
    for (const q of batch) total += q.bytes.length;
    const buf = new Uint8Array(total);
    let at = 0;
    for (const q of batch) {
      buf.set(q.bytes, at);
      at += q.bytes.length;
    }
    try {
      await active.handle.write(buf, active.size);
      await active.handle.sync();
    } catch (e) {
      this.failedBytes = total;
      for (const q of batch) q.reject(asIoError(e, active.path));
      throw e;
    }
    // Durable from here: publish in one step, then tell the waiting appenders in offset order.
    active.appended(batch.map((q) => q.bytes.length));
    this.durable = (batch.at(-1) as QueuedAppend).offset + 1;
    this.recovered();
    for (const q of batch) q.resolve(q.offset);
    this.onDurable();
  }

  /** Starts a new segment at `base`; its directory entry is durable before any record goes in. */
  private async roll(base: number): Promise<void> {
    assert(base === this.durable, 'a new segment starts at the durable end');
    const path = joinPath(this.dir, segmentFileName(base));
    // A roll that failed before (its folder entry not synced) may have left this file:
    // no segment holds offset `base` yet, so whatever it contains was never acknowledged.
    await this.fs.unlink(path);
    const handle = await this.fs.open(path, 'create');
    try {
      await this.fs.syncDir(this.dir);
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw e;
    }
    this.segments.push(new Segment(base, path, handle, [], 0));
  }

  /**
   * Durable records from `from`, at most `maxRecords` of them and about readBytesMax
   * bytes (always at least one record when one exists). The caller checked that `from`
   * is within [startOffset, endOffset].
   */
  async read(from: number, maxRecords: number): Promise<WalRecord[]> {
    const end = Math.min(this.durable, from + maxRecords);
    if (from >= end) return [];
    // Plan and pin synchronously: retention cannot remove a segment between the
    // check of `from` (by the caller) and the pin.
    const plan: Array<{ segment: Segment; first: number; stop: number; position: number; length: number }> = [];
    let budget = this.limits.readBytesMax;
    let offset = from;
    for (let i = this.indexOf(from); offset < end && i < this.segments.length; i++) {
      const segment = this.segments[i] as Segment;
      const position = segment.positionOf(offset);
      let stop = offset;
      const segmentEnd = Math.min(end, segment.end);
      while (stop < segmentEnd) {
        const bytes = segment.positionOf(stop + 1) - position;
        if (bytes > budget && (plan.length > 0 || stop > offset)) break;
        stop++;
      }
      if (stop === offset) break;
      const length = segment.positionOf(stop) - position;
      budget -= length;
      plan.push({ segment, first: offset, stop, position, length });
      offset = stop;
      if (offset < segmentEnd) break;
    }
    for (const p of plan) p.segment.pin();
    try {
      const out: WalRecord[] = [];
      for (const p of plan) {
        const buf = await p.segment.handle.read(p.length, p.position);
        let at = 0;
        for (let o = p.first; o < p.stop; o++) {
          const r = buf.length === p.length ? decodeRecord(buf, at, o) : ({ kind: 'torn' } as const);
          if (r.kind !== 'record') {
            const detail = r.kind === 'torn' ? 'durable record cut short' : r.detail;
            throw new ElanusError('CORRUPT_DATA', { path: p.segment.path, offset: p.position + at, detail });
          }
          out.push({ offset: o, payload: r.payload });
          at = r.next;
        }
      }
      return out;
    } finally {
      for (const p of plan) p.segment.unpin();
    }
  }

  /** Index of the segment holding `offset` (the last one for the end offset). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.segments[mid] as Segment).base <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Removes, in one step, the segments whose every offset is below `limit`; never the
   * last one. The caller retires them and deletes their files.
   */
  detachBelow(limit: number): Segment[] {
    let n = 0;
    while (n < this.segments.length - 1 && (this.segments[n + 1] as Segment).base <= limit) n++;
    return this.segments.splice(0, n);
  }

  /** Removes every segment, for drop and close; the caller retires them. */
  detachAll(): Segment[] {
    return this.segments.splice(0, this.segments.length);
  }
}

export function asIoError(e: unknown, path: string): ElanusError {
  if (e instanceof ElanusError) return e;
  return new ElanusError('STORAGE_IO', { path, detail: e instanceof Error ? e.message : String(e) }, { cause: e });
}
