// The embedded MetaStore: a transactional key-value store for the catalog, segment
// metadata and checkpoints. Small (metadata only), so all of it is held in memory;
// durability comes from a journal of framed transactions plus a periodic snapshot.
//
//   meta/snapshot   one framed record: { seq, entries }
//   meta/journal    framed records, one per transaction: { seq, put, del }
//
// A transaction is durable once its journal record is fsynced; concurrent commits share
// one write and one fsync. On open the snapshot is read and journal records with a
// larger seq are replayed; a torn journal tail is cut off (its writer never acknowledged
// it). Replaying a put or a delete twice changes nothing, so a crash between writing a
// new snapshot and emptying the journal is harmless.
//
// Faults heal: a failed write or fsync refuses its batch (memory is not changed) and
// marks the journal's tail unknown; the journal is cut back to its last durable length
// and fsynced at once, and again before the next batch if that failed too. Commits keep
// being tried; the first durable batch ends the failure, with no restart.
import { ElanusError, assert } from '../errors/index.js';
import { frameRecord, recordPayloadBytesMax, scanRecord } from './framing.js';
import { type FileHandle, type FileSystem, joinPath, mkdirDurable, probeWritable, writeFileDurable } from './fs.js';

export type MetaValue = unknown;

export interface MetaTxn {
  readonly put?: Readonly<Record<string, MetaValue>>;
  readonly del?: readonly string[];
}

export interface MetaStore {
  get(key: string): MetaValue | undefined;
  /** Entries whose key starts with `prefix`, sorted by key. */
  scan(prefix: string): Array<[string, MetaValue]>;
  /** Applies all of `txn` or nothing; resolves once durable. */
  commit(txn: MetaTxn): Promise<void>;
  close(): Promise<void>;
}

export interface EmbeddedMetaStoreOptions {
  fs: FileSystem;
  dir: string;
  /** Past this journal size a snapshot is written and the journal emptied. */
  journalBytesMax?: number;
  /** Told when commits start failing (with the error) and when they are taken again (undefined). */
  onHealth?: (failure: unknown) => void;
  /** Told when opening cut a torn, unacknowledged tail off the journal. */
  onTailCut?: (path: string, offset: number, bytes: number) => void;
  /** Largest encoded transaction or snapshot; at most (and by default) the framing limit. Tests lower it. */
  recordBytesMax?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Pending {
  txn: MetaTxn;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class EmbeddedMetaStore implements MetaStore {
  private readonly data = new Map<string, string>();
  private seq = 0;
  private journal!: FileHandle;
  private journalBytes = 0;
  /** A write or fsync failed: bytes past journalBytes may be on disk and must be cut off first. */
  private tailUnknown = false;
  /** The last batch failed (reported to onHealth); the next durable one ends it. */
  private failing = false;
  private pending: Pending[] = [];
  private writing = false;
  private closed = false;
  private journalClosed = false;
  private readonly journalBytesMax: number;
  private recordBytesMax = recordPayloadBytesMax;

  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    journalBytesMax: number,
    private readonly onHealth: ((failure: unknown) => void) | undefined,
  ) {
    this.journalBytesMax = journalBytesMax;
  }

  static async open(opts: EmbeddedMetaStoreOptions): Promise<EmbeddedMetaStore> {
    const store = new EmbeddedMetaStore(opts.fs, opts.dir, opts.journalBytesMax ?? 4 * 1024 * 1024, opts.onHealth);
    store.recordBytesMax = Math.min(opts.recordBytesMax ?? recordPayloadBytesMax, recordPayloadBytesMax);
    await mkdirDurable(opts.fs, opts.dir);
    await store.recover(opts.onTailCut);
    return store;
  }

  private get snapshotPath(): string {
    return joinPath(this.dir, 'snapshot');
  }
  private get journalPath(): string {
    return joinPath(this.dir, 'journal');
  }

  private async recover(onTailCut: EmbeddedMetaStoreOptions['onTailCut']): Promise<void> {
    if (await this.fs.exists(this.snapshotPath)) {
      const buf = await this.fs.readFile(this.snapshotPath);
      const r = scanRecord(buf, 0);
      // The snapshot is replaced atomically, so anything but one whole record is damage.
      if (r.kind !== 'record') {
        throw new ElanusError('CORRUPT_DATA', { path: this.snapshotPath, offset: 0, detail: r.kind === 'corrupt' ? r.detail : 'truncated snapshot' });
      }
      const snap = JSON.parse(decoder.decode(r.payload)) as { seq: number; entries: Array<[string, string]> };
      this.seq = snap.seq;
      for (const [k, v] of snap.entries) this.data.set(k, v);
    }
    const existed = await this.fs.exists(this.journalPath);
    this.journal = await this.fs.open(this.journalPath, 'append');
    if (!existed) await this.fs.syncDir(this.dir);
    const size = await this.journal.size();
    const buf = size > 0 ? await this.journal.read(size, 0) : new Uint8Array(0);
    let offset = 0;
    while (offset < buf.length) {
      const r = scanRecord(buf, offset);
      if (r.kind === 'record') {
        const rec = JSON.parse(decoder.decode(r.payload)) as { seq: number; put: Record<string, string>; del: string[] };
        if (rec.seq > this.seq) {
          this.applyEncoded(rec.put, rec.del);
          this.seq = rec.seq;
        }
        offset = r.next;
        continue;
      }
      if (r.kind === 'corrupt' && hasRecordAfter(buf, offset)) {
        throw new ElanusError('CORRUPT_DATA', { path: this.journalPath, offset, detail: r.detail });
      }
      // A torn tail: the write that produced it was never acknowledged.
      await this.journal.truncate(offset);
      await this.journal.sync();
      onTailCut?.(this.journalPath, offset, buf.length - offset);
      break;
    }
    this.journalBytes = offset;
  }

  get(key: string): MetaValue | undefined {
    const v = this.data.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }

  scan(prefix: string): Array<[string, MetaValue]> {
    const out: Array<[string, MetaValue]> = [];
    for (const [k, v] of this.data) if (k.startsWith(prefix)) out.push([k, JSON.parse(v)]);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  commit(txn: MetaTxn): Promise<void> {
    if (this.closed) return Promise.reject(new ElanusError('CLOSED'));
    return new Promise((resolve, reject) => {
      this.pending.push({ txn, resolve, reject });
      if (!this.writing) void this.writeLoop();
    });
  }

  /** Group commit: every transaction queued while a write is in flight goes into the next one. */
  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const taken = this.pending;
        this.pending = [];
        const batch: Pending[] = [];
        const frames: Uint8Array[] = [];
        const encoded: Array<{ put: Record<string, string>; del: string[] }> = [];
        let seq = this.seq;
        for (const p of taken) {
          const put: Record<string, string> = {};
          for (const [k, v] of Object.entries(p.txn.put ?? {})) put[k] = JSON.stringify(v);
          const del = [...(p.txn.del ?? [])];
          const payload = encoder.encode(JSON.stringify({ seq: seq + 1, put, del }));
          // Refused here, before the journal: the reader takes a record past the framing
          // limit for damage, so one written would make the folder unopenable.
          if (payload.length > this.recordBytesMax) {
            p.reject(new ElanusError('LIMIT_EXCEEDED', { what: 'metadata transaction', detail: `${payload.length} bytes encoded, over ${this.recordBytesMax}` }));
            continue;
          }
          seq++;
          batch.push(p);
          encoded.push({ put, del });
          frames.push(frameRecord(payload));
        }
        if (batch.length === 0) continue;
        const bytes = concat(frames);
        try {
          if (this.tailUnknown) await this.cutTail();
          await this.journal.write(bytes, this.journalBytes);
          await this.journal.sync();
        } catch (e) {
          // Nothing of the batch is acknowledged and memory is unchanged. What reached the
          // file is unknown, so it is cut off before the next batch (cutTail).
          this.tailUnknown = true;
          if (!this.failing) this.onHealth?.(e);
          this.failing = true;
          for (const p of batch) p.reject(e);
          await this.cutTail().catch(() => undefined);
          continue;
        }
        this.recovered();
        this.journalBytes += bytes.length;
        this.seq = seq;
        for (const t of encoded) this.applyEncoded(t.put, t.del);
        for (const p of batch) p.resolve();
        if (this.journalBytes > this.journalBytesMax) await this.checkpoint().catch(() => {});
      }
    } finally {
      this.writing = false;
    }
  }

  /** Cuts the journal back to its durable length and makes that durable. */
  private async cutTail(): Promise<void> {
    await this.journal.truncate(this.journalBytes);
    await this.journal.sync();
    this.tailUnknown = false;
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.onHealth?.(undefined);
  }

  /** True when commits are being taken; heals a failed journal if no commit is in flight. */
  async probe(): Promise<boolean> {
    if (!this.failing) return true;
    if (this.writing || this.closed) return false;
    this.writing = true;
    try {
      if (this.tailUnknown) await this.cutTail();
      await probeWritable(this.fs, this.dir);
      this.recovered();
      return true;
    } catch {
      return false;
    } finally {
      this.writing = false;
      if (this.pending.length > 0) void this.writeLoop();
    }
  }

  private applyEncoded(put: Record<string, string>, del: string[]): void {
    for (const k of del) this.data.delete(k);
    for (const [k, v] of Object.entries(put)) this.data.set(k, v);
  }

  /** Writes a snapshot of everything and empties the journal. Runs inside the write loop. */
  private async checkpoint(): Promise<void> {
    assert(this.writing, 'checkpoint outside the write loop');
    const snap = { seq: this.seq, entries: [...this.data.entries()] };
    const payload = encoder.encode(JSON.stringify(snap));
    // A snapshot past the framing limit could not be read back: keep the journal instead
    // (it replays to the same state), which only costs a longer open.
    if (payload.length > this.recordBytesMax) {
      throw new ElanusError('LIMIT_EXCEEDED', { what: 'metadata snapshot', detail: `${payload.length} bytes, over ${this.recordBytesMax}` });
    }
    await writeFileDurable(this.fs, this.snapshotPath, frameRecord(payload));
    // The snapshot holds everything: from here the journal's durable length is 0, whether
    // or not the truncate reaches the disk (its records are replayed as no-ops if it
    // does not). A failure leaves the tail to cut before the next batch.
    this.journalBytes = 0;
    try {
      await this.journal.truncate(0);
      await this.journal.sync();
    } catch (e) {
      this.tailUnknown = true;
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed && this.journalClosed) return;
    this.closed = true;
    while (this.writing) await new Promise((r) => setImmediate(r));
    if (this.journalClosed) return;
    this.journalClosed = true;
    await this.journal.close().catch(() => {});
  }
}

/** True when a valid record starts somewhere after `offset`: the damage is in the middle. */
export function hasRecordAfter(buf: Uint8Array, offset: number): boolean {
  for (let p = offset + 1; p + 8 <= buf.length; p++) {
    const r = scanRecord(buf, p);
    if (r.kind === 'record' && r.payload.length > 0) return true;
  }
  return false;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
