// One shard of a collection: its growing and sealed segments, the primary-key index,
// and the explicit deletes not yet flushed. The shard is the single owner of all of it.
// Writes reach it in log order: `submit` appends a record to the shard's topic and
// applies it once durable, strictly in offset order, and only then acknowledges it.
import { ElanusError, assert } from '../errors/index.js';
import type { CollectionSchema } from '../catalog/types.js';
import type { Column } from './columns.js';
import type { PkKey } from './pk.js';
import type { DeleteRecord, InsertRecord, LogRecord } from './records.js';
import { Segment } from './segment.js';

export interface ShardLog {
  /** Appends durably; resolves with the record's offset. */
  append(payload: Uint8Array): Promise<number>;
}

export interface PkLocation {
  seg: Segment;
  row: number;
}

/** A stored row, read where it lies: row `row` of `columns` (schema order as it was written). */
export interface StoredRow {
  readonly columns: readonly Column[];
  readonly row: number;
  readonly partitionId: number;
  /** The timestamp of the write that stored it (a TTL expires rows by it). */
  readonly ts: bigint;
}

export interface PendingDelete {
  readonly pk: PkKey;
  readonly ts: bigint;
  readonly offset: number;
}

interface InFlight {
  readonly record: LogRecord;
  offset: number;
  done: boolean;
  error: unknown;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A record encoded and checked against the log's record limit, ready to submit. */
export interface PreparedRecord {
  readonly record: LogRecord;
  readonly payload: Uint8Array;
}

export interface ShardOptions {
  collectionId: number;
  /** The largest record the log takes (its framing limit); larger ones are refused before submit. */
  payloadBytesMax: number;
  index: number;
  schema: () => CollectionSchema;
  log: ShardLog;
  encode: (r: LogRecord) => Uint8Array;
  newSegmentId: () => number;
  /** Growing segments are sealed past these. */
  segmentRowsMax: number;
  segmentBytesMax: number;
  /** Called (synchronously) when a growing segment is sealed by size, so a flush can be scheduled. */
  onSealed: () => void;
  /** Called (synchronously) after rows were appended to a growing segment. */
  onAppended?: (seg: Segment) => void;
  /** Partitions whose rows are dropped instead of applied (dropped while records were in the log). */
  partitionExists: (id: number) => boolean;
}

export class Shard {
  readonly collectionId: number;
  readonly index: number;
  /** Every live segment; replaced (never mutated) on change, so a reader can keep the array it got. */
  private segs: readonly Segment[] = [];
  private readonly growing = new Map<number, Segment>();
  readonly pkIndex = new Map<PkKey, PkLocation>();
  private pendingDeletes: PendingDelete[] = [];
  private readonly inflight: InFlight[] = [];
  private drainWaiters: Array<{ until: number; resolve: () => void }> = [];
  private enqueued = 0;
  private lastSubmittedTs = 0n;
  private applied = 0;
  /** Offset of the last applied record (-1 before any). */
  appliedOffset = -1;
  /** Everything at or below this offset is in flushed segments and L0 delete files. */
  checkpoint = -1;

  constructor(private readonly opts: ShardOptions) {
    this.collectionId = opts.collectionId;
    this.index = opts.index;
  }

  segments(): readonly Segment[] {
    return this.segs;
  }

  pendingDeleteCount(): number {
    return this.pendingDeletes.length;
  }

  /**
   * Appends and applies a record. The append is issued synchronously, so records
   * submitted in one order get offsets (and, since callers take the timestamp in the same
   * step, timestamps) in that order.
   */
  /**
   * Encodes a record and checks it against the log's limit. A write of several records
   * (one per shard) prepares them all before it submits any, so a record that is too large
   * refuses the whole write and stores none of it.
   */
  prepare(record: LogRecord): PreparedRecord {
    const payload = this.opts.encode(record);
    if (payload.length > this.opts.payloadBytesMax) {
      throw new ElanusError('BATCH_TOO_LARGE', { size: payload.length, unit: 'bytes (encoded for the log)', max: this.opts.payloadBytesMax });
    }
    return { record, payload };
  }

  submit(prepared: LogRecord | PreparedRecord): Promise<void> {
    // Encoded before the record joins the in-flight queue: an encoder that throws would
    // otherwise leave an entry that never completes, and every later write and Strong
    // read of the shard would wait for it forever.
    const { record, payload } = 'payload' in prepared ? prepared : this.prepare(prepared);
    // The log's order is the timestamps' order (DESIGN.md): a write takes its timestamp and
    // submits in one synchronous step, so a later submit never carries an older timestamp.
    assert(record.ts >= this.lastSubmittedTs, 'records submitted in timestamp order');
    this.lastSubmittedTs = record.ts;
    let entry!: InFlight;
    const p = new Promise<void>((resolve, reject) => {
      entry = { record, offset: -1, done: false, error: undefined, resolve, reject };
    });
    this.inflight.push(entry);
    this.enqueued++;
    this.opts.log.append(payload).then(
      (offset) => {
        entry.offset = offset;
        entry.done = true;
        this.drain();
      },
      (e: unknown) => {
        entry.error = e;
        entry.done = true;
        this.drain();
      },
    );
    return p;
  }

  /**
   * Applies finished appends in order. A failed append is refused and applied nowhere:
   * the log refuses every record queued behind a failed one too, and cuts their bytes off
   * before it takes new ones (wal/log.ts), so memory and the log agree on what exists.
   * A record appended after that is self-contained (keys and rows at its timestamp) and
   * applies on its own.
   */
  private drain(): void {
    while (this.inflight.length > 0 && this.inflight[0]!.done) {
      const e = this.inflight.shift()!;
      this.applied++;
      if (e.error !== undefined) {
        e.reject(e.error);
        continue;
      }
      this.apply(e.record, e.offset);
      e.resolve();
    }
    if (this.drainWaiters.length > 0) {
      const still: typeof this.drainWaiters = [];
      for (const w of this.drainWaiters) (this.applied >= w.until ? w.resolve() : still.push(w));
      this.drainWaiters = still;
    }
  }

  /** Resolves once every record submitted before this call is applied (or failed). */
  barrier(): Promise<void> {
    if (this.applied >= this.enqueued) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ until: this.enqueued, resolve }));
  }

  /**
   * One past the log position of the last record submitted before this call, once every
   * such record is applied (or failed): the log below it holds exactly the records
   * submitted before the call, whatever was submitted since. A backup's cut
   * (engine/backup.ts).
   */
  async logEndNow(): Promise<number> {
    const submitted = this.inflight.slice();
    let end = this.appliedOffset + 1;
    await this.barrier();
    for (const e of submitted) if (e.error === undefined) end = Math.max(end, e.offset + 1);
    return end;
  }

  /** The timestamp below which everything submitted is applied: the oldest in-flight one, or none. */
  oldestInFlightTs(): bigint | undefined {
    return this.inflight[0]?.record.ts;
  }

  hasInFlight(): boolean {
    return this.inflight.length > 0;
  }

  /**
   * For each key, the row a record submitted now would replace: the shard's applied
   * state, then every record still in flight applied over it in log order (an insert
   * takes the key, a delete removes it). Read in the caller's synchronous step, so it is
   * exactly the state the caller's record will follow in the log. Columns are the
   * shard's own (a segment's or an in-flight record's) and must be copied at once.
   */
  latestRows(pks: readonly PkKey[]): Array<StoredRow | undefined> {
    const at = new Map<PkKey, StoredRow | undefined>();
    for (const pk of pks) {
      const loc = this.pkIndex.get(pk);
      at.set(pk, loc ? { columns: loc.seg.columns(), row: loc.row, partitionId: loc.seg.partitionId, ts: loc.seg.tsAt(loc.row) } : undefined);
    }
    for (const { record: r } of this.inflight) {
      if (r.kind === 'delete') {
        for (const pk of r.pks) {
          const cur = at.get(pk);
          if (cur && (r.partitionId === -1 || r.partitionId === cur.partitionId)) at.set(pk, undefined);
        }
        continue;
      }
      for (let i = 0; i < r.count; i++) {
        const pk = r.pks[i]!;
        if (!at.has(pk)) continue;
        const partitionId = r.rowPartitions ? r.rowPartitions[i]! : r.partitionId;
        // A record for a partition dropped meanwhile is dropped when applied (applyInsert).
        if (this.opts.partitionExists(partitionId)) at.set(pk, { columns: r.columns, row: i, partitionId, ts: r.ts });
      }
    }
    return pks.map((pk) => at.get(pk));
  }

  /** Applies one record. Idempotent under replay: records at or below appliedOffset are skipped. */
  apply(record: LogRecord, offset: number): void {
    if (offset <= this.appliedOffset) return;
    assert(offset > this.appliedOffset, 'records applied out of order');
    if (record.kind === 'insert') this.applyInsert(record, offset);
    else this.applyDelete(record, offset);
    this.appliedOffset = offset;
  }

  private applyInsert(r: InsertRecord, offset: number): void {
    // Group the rows by partition; a partition-key record holds several.
    const runs = new Map<number, number[]>();
    if (r.rowPartitions) {
      for (let i = 0; i < r.count; i++) {
        const p = r.rowPartitions[i]!;
        let rows = runs.get(p);
        if (!rows) runs.set(p, (rows = []));
        rows.push(i);
      }
    }
    const parts = r.rowPartitions ? [...runs.keys()] : [r.partitionId];
    for (const partitionId of parts) {
      if (!this.opts.partitionExists(partitionId)) continue;
      const seg = this.growingFor(partitionId, offset, r.columns.length);
      const rows = runs.get(partitionId);
      if (!rows) {
        this.replaceKeys(r.pks, 0, r.count, r.ts);
        const first = seg.append(r.columns, r.pks, 0, r.count, r.ts, offset);
        for (let i = 0; i < r.count; i++) this.setLive(r.pks[i]!, seg, first + i, r.ts);
      } else {
        for (const i of rows) {
          this.replaceKeys(r.pks, i, i + 1, r.ts);
          const at = seg.append(r.columns, r.pks, i, i + 1, r.ts, offset);
          this.setLive(r.pks[i]!, seg, at, r.ts);
        }
      }
      this.opts.onAppended?.(seg);
      this.maybeSeal(seg);
    }
  }

  /**
   * Points the key at its new row. A key that an earlier row of the same insert already
   * took (an insert may repeat a key) hides that row at the same timestamp: never
   * visible, so the last row of a key in a batch is the one kept.
   */
  private setLive(pk: PkKey, seg: Segment, row: number, ts: bigint): void {
    const old = this.pkIndex.get(pk);
    if (old && old.seg.tsAt(old.row) === ts && (old.seg !== seg || old.row !== row)) old.seg.markDeleted(old.row, ts);
    this.pkIndex.set(pk, { seg, row });
  }

  /** The rows being written replace any visible row with the same key. */
  private replaceKeys(pks: readonly PkKey[], from: number, to: number, ts: bigint): void {
    for (let i = from; i < to; i++) {
      const old = this.pkIndex.get(pks[i]!);
      if (old) old.seg.markDeleted(old.row, ts);
    }
  }

  private applyDelete(r: DeleteRecord, offset: number): void {
    for (const pk of r.pks) {
      const loc = this.pkIndex.get(pk);
      if (!loc) continue;
      if (r.partitionId !== -1 && loc.seg.partitionId !== r.partitionId) continue;
      if (loc.seg.tsAt(loc.row) >= r.ts) continue;
      loc.seg.markDeleted(loc.row, r.ts);
      this.pkIndex.delete(pk);
      this.pendingDeletes.push({ pk, ts: r.ts, offset });
    }
  }

  private growingFor(partitionId: number, offset: number, columns: number): Segment {
    let seg = this.growing.get(partitionId);
    if (seg && seg.schema.fields.length < columns) {
      // The schema gained a field since this segment began: seal it and start one that
      // has the column.
      this.growing.delete(partitionId);
      seg.seal();
      this.opts.onSealed();
      seg = undefined;
    }
    if (!seg) {
      seg = new Segment({ id: this.opts.newSegmentId(), partitionId, shard: this.index, schema: this.opts.schema(), startOffset: offset });
      this.growing.set(partitionId, seg);
      this.segs = [...this.segs, seg];
    }
    return seg;
  }

  private maybeSeal(seg: Segment): void {
    if (seg.rowCount >= this.opts.segmentRowsMax || seg.memoryBytes() >= this.opts.segmentBytesMax) {
      this.growing.delete(seg.partitionId);
      seg.seal();
      this.opts.onSealed();
    }
  }

  /** A field was added: every segment follows the new schema (growing ones are sealed first). */
  conform(schema: CollectionSchema): void {
    for (const seg of this.growing.values()) seg.seal();
    if (this.growing.size > 0) this.opts.onSealed();
    this.growing.clear();
    for (const seg of this.segs) seg.conform(schema);
  }

  /** The oldest growing segment's age anchor, for age-based sealing. */
  growingSegments(): Segment[] {
    return [...this.growing.values()];
  }

  /**
   * Starts a flush: seals every growing segment and takes the deletes applied so far.
   * Everything at or below the returned offset is covered by the returned segments, the
   * segments already flushed, and the returned deletes.
   */
  beginFlush(): { upTo: number; segments: Segment[]; deletes: PendingDelete[] } {
    for (const seg of this.growing.values()) seg.seal();
    this.growing.clear();
    const segments = this.segs.filter((s) => s.state === 'sealed');
    return { upTo: this.appliedOffset, segments, deletes: this.pendingDeletes.slice() };
  }

  /** After the flush's metadata commit: the segments are flushed and the deletes stored. */
  finishFlush(upTo: number, flushed: ReadonlyArray<{ seg: Segment; file: string; bytes: number }>): void {
    for (const f of flushed) {
      if (f.seg.state !== 'sealed') continue; // dropped meanwhile
      f.seg.state = 'flushed';
      f.seg.file = f.file;
      f.seg.fileBytes = f.bytes;
    }
    this.pendingDeletes = this.pendingDeletes.filter((d) => d.offset > upTo);
    if (upTo > this.checkpoint) this.checkpoint = upTo;
  }

  /** Adds a segment loaded at recovery. */
  addRecovered(seg: Segment): void {
    this.segs = [...this.segs, seg];
  }

  /**
   * Swaps compacted segments for their replacements (after the metadata commit). Row i of
   * a replacement is row `origin[i]` of a removed segment.
   */
  swap(removed: readonly Segment[], added: ReadonlyArray<{ seg: Segment; origin: ReadonlyArray<{ seg: Segment; row: number }> }>, expired: boolean): void {
    for (const { seg, origin } of added) {
      // A field may have been added while the replacement was written.
      seg.conform(this.opts.schema());
      // Deletes that happened while the replacement was written carry over, and keys
      // whose live row moved now point into the replacement.
      for (let i = 0; i < origin.length; i++) {
        const o = origin[i]!;
        const d = o.seg.deleteTsAt(o.row);
        if (d !== tsMaxLocal) seg.markDeleted(i, d);
        const pk = seg.pks[i]!;
        const loc = this.pkIndex.get(pk);
        if (loc && loc.seg === o.seg && loc.row === o.row) this.pkIndex.set(pk, { seg, row: i });
      }
    }
    // A live row that no replacement carries expired under the TTL (a deleted one has left
    // the key index already): its key no longer has a row. Without expiry (`expired`
    // false: the compaction cut at no TTL) every live row is carried, and nothing is read.
    for (const s of expired ? removed : []) {
      for (let i = 0; i < s.rowCount; i++) {
        const loc = this.pkIndex.get(s.pks[i]!);
        if (loc && loc.seg === s && loc.row === i) this.pkIndex.delete(s.pks[i]!);
      }
    }
    const gone = new Set(removed);
    for (const s of removed) s.state = 'dropped';
    this.segs = this.segs.filter((s) => !gone.has(s)).concat(added.map((a) => a.seg));
  }

  /** Removes a partition's rows (drop partition). */
  dropPartition(partitionId: number): Segment[] {
    const removed = this.segs.filter((s) => s.partitionId === partitionId);
    for (const seg of removed) {
      for (let i = 0; i < seg.rowCount; i++) {
        const loc = this.pkIndex.get(seg.pks[i]!);
        if (loc && loc.seg === seg) this.pkIndex.delete(seg.pks[i]!);
      }
      seg.state = 'dropped';
    }
    this.growing.delete(partitionId);
    this.segs = this.segs.filter((s) => s.partitionId !== partitionId);
    return removed;
  }

  /** Recovery: hides the live row of `pk` when it is older than a stored delete. */
  deleteIfOlder(pk: PkKey, ts: bigint): void {
    const cur = this.pkIndex.get(pk);
    if (cur && cur.seg.tsAt(cur.row) < ts) {
      cur.seg.markDeleted(cur.row, ts);
      this.pkIndex.delete(pk);
    }
  }

  /** Recovery: rebuilds the primary-key index from loaded segments and stored deletes. */
  rebuildIndex(deletes: ReadonlyArray<{ pk: PkKey; ts: bigint }>): void {
    this.pkIndex.clear();
    for (const seg of this.segs) {
      for (let i = 0; i < seg.rowCount; i++) {
        const pk = seg.pks[i]!;
        const ts = seg.tsAt(i);
        const cur = this.pkIndex.get(pk);
        if (!cur) this.pkIndex.set(pk, { seg, row: i });
        // At an equal timestamp (one insert that repeated a key) the later row wins.
        else if (cur.seg.tsAt(cur.row) <= ts) {
          cur.seg.markDeleted(cur.row, ts);
          this.pkIndex.set(pk, { seg, row: i });
        } else {
          seg.markDeleted(i, cur.seg.tsAt(cur.row));
        }
      }
    }
    for (const d of deletes) {
      const cur = this.pkIndex.get(d.pk);
      if (cur && cur.seg.tsAt(cur.row) < d.ts) {
        cur.seg.markDeleted(cur.row, d.ts);
        this.pkIndex.delete(d.pk);
      }
    }
  }

  /** Rows visible at `at`, not expired for a read from `since`, in the given partitions (all when undefined). */
  count(at: bigint, since: bigint, partitions?: ReadonlySet<number>): number {
    let n = 0;
    for (const s of this.segs) if (!partitions || partitions.has(s.partitionId)) n += s.countVisible(at, since);
    return n;
  }
}

const tsMaxLocal = 2n ** 63n - 1n;

