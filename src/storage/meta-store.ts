// The metadata journal: a transactional key-value store for the catalog, segment
// metadata and checkpoints. Small (metadata only), so all of it is held in memory;
// durability comes from a journal of framed transactions plus a periodic snapshot.
// It serves the engine's synchronous reads (`SyncMetaStore`) and is what the async
// `MetaStore` of local-meta-store.ts is built on (`transact`).
//
//   meta/snapshot   one framed record: { seq, revision, leaseNext, entries, leases }
//   meta/journal    framed records, one per transaction:
//                   { seq, rev, put, del, lease?, grant?, revoke? } (meta-state.ts)
//
// Files written before revisions existed read unchanged: a snapshot entry without
// revisions is taken as created and changed at the snapshot's seq, and a record without
// `rev` moves the revision by one when it changed a key.
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
import type { WatchEvent } from './meta.js';
import { type Entry, type MetaChange, MetaState, compareKeys, isEmptyChange } from './meta-state.js';

export type MetaValue = unknown;

export interface MetaTxn {
  readonly put?: Readonly<Record<string, MetaValue>>;
  readonly del?: readonly string[];
  /**
   * Every key under each prefix, deleted as one operation (etcd's DeleteRange): a drop
   * stays one small transaction however many segments the collection had, within etcd's
   * 128 operations per transaction. No put may fall under a deleted prefix.
   */
  readonly delPrefix?: readonly string[];
}

/** The engine's view of the journal: synchronous reads of JSON values, all-or-nothing commits. */
export interface SyncMetaStore {
  get(key: string): MetaValue | undefined;
  /** Entries whose key starts with `prefix`, sorted by key. */
  scan(prefix: string): Array<[string, MetaValue]>;
  /** Applies all of `txn` or nothing; resolves once durable. */
  commit(txn: MetaTxn): Promise<void>;
  close(): Promise<void>;
}

/**
 * A transaction planned inside the write loop, against the durable state plus the
 * transactions batched before it (`view`, which it must not change). It returns the
 * change to journal (none for a read) and how to answer once the change is durable.
 * It may throw a coded error, which refuses this transaction alone.
 */
export type MetaPlan<T> = (view: MetaState) => { readonly change?: MetaChange; readonly answer: (revision: number) => T };

export interface EmbeddedMetaStoreOptions {
  fs: FileSystem;
  dir: string;
  /** Past this journal size a snapshot is written and the journal emptied. */
  journalBytesMax?: number;
  /** Told when commits start failing (with the error) and when they are taken again (undefined). */
  onHealth?: (failure: unknown) => void;
  /** Told when opening cut a torn, unacknowledged tail off the journal. */
  onTailCut?: (path: string, offset: number, bytes: number) => void;
  /**
   * Told of every revision's events in order: those replayed at open (the journal since
   * the last snapshot) and then each durable one. Watches keep their history from it.
   */
  onEvents?: (revision: number, events: readonly WatchEvent[]) => void;
  /** Largest encoded transaction or snapshot; at most (and by default) the framing limit. Tests lower it. */
  recordBytesMax?: number;
  /**
   * Reads the folder and changes nothing in it (`elanus inspect`, which may run beside
   * the server that owns the folder): no folder or file is created, a torn journal tail
   * is left as it is (told to `onTailCut`, which the next writable open cuts), and every
   * commit is refused with READ_ONLY. Takes no lock: the caller holds none either.
   */
  readOnly?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Pending {
  plan: MetaPlan<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** A journal record as stored. */
interface EncodedRecord extends MetaChange {
  readonly seq: number;
  readonly rev?: number;
}

export class EmbeddedMetaStore implements SyncMetaStore {
  private readonly state = MetaState.empty();
  private seq = 0;
  private onEvents: EmbeddedMetaStoreOptions['onEvents'];
  /** Undefined only when opened read-only on a folder without a journal. */
  private journal: FileHandle | undefined;
  private readOnly = false;
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
    store.onEvents = opts.onEvents;
    store.recordBytesMax = Math.min(opts.recordBytesMax ?? recordPayloadBytesMax, recordPayloadBytesMax);
    store.readOnly = opts.readOnly === true;
    if (!store.readOnly) await mkdirDurable(opts.fs, opts.dir);
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
      this.loadSnapshot(JSON.parse(decoder.decode(r.payload)) as Snapshot);
    }
    const existed = await this.fs.exists(this.journalPath);
    if (this.readOnly && !existed) return;
    const journal = await this.fs.open(this.journalPath, this.readOnly ? 'read' : 'append');
    this.journal = journal;
    if (!existed) await this.fs.syncDir(this.dir);
    const size = await journal.size();
    const buf = size > 0 ? await journal.read(size, 0) : new Uint8Array(0);
    let offset = 0;
    while (offset < buf.length) {
      const r = scanRecord(buf, offset);
      if (r.kind === 'record') {
        const rec = JSON.parse(decoder.decode(r.payload)) as EncodedRecord;
        if (rec.seq > this.seq) {
          this.apply(rec, rec.rev);
          this.seq = rec.seq;
        }
        offset = r.next;
        continue;
      }
      if (r.kind === 'corrupt' && hasRecordAfter(buf, offset)) {
        throw new ElanusError('CORRUPT_DATA', { path: this.journalPath, offset, detail: r.detail });
      }
      // A torn tail: the write that produced it was never acknowledged (or, read-only
      // beside a running server, is being written now). A reader leaves it alone.
      if (!this.readOnly) {
        await journal.truncate(offset);
        await journal.sync();
      }
      onTailCut?.(this.journalPath, offset, buf.length - offset);
      break;
    }
    this.journalBytes = offset;
  }

  private loadSnapshot(snap: Snapshot): void {
    this.seq = snap.seq;
    // Snapshots from before revisions: every key as created at the snapshot's seq.
    const base = snap.revision ?? snap.seq;
    this.state.revision = base;
    this.state.leaseNext = snap.leaseNext ?? 1;
    for (const [k, value, create, mod, version, lease] of snap.entries) {
      this.state.entries.set(k, Object.freeze({ value, create: create ?? base, mod: mod ?? base, version: version ?? 1, lease: lease ?? 0 }));
    }
    for (const [id, ttlMs] of snap.leases ?? []) this.state.leases.set(id, Object.freeze({ ttlMs }));
  }

  /** The journal, to write: never reached read-only, where transact refuses first. */
  private get handle(): FileHandle {
    assert(this.journal !== undefined && !this.readOnly, 'metadata journal written while read-only');
    return this.journal;
  }

  /** The durable state. Callers read it and never change it. */
  get view(): MetaState {
    return this.state;
  }

  get(key: string): MetaValue | undefined {
    const e = this.state.entries.get(key);
    return e === undefined ? undefined : JSON.parse(e.value);
  }

  scan(prefix: string): Array<[string, MetaValue]> {
    return this.state.keysWithPrefix(prefix).map((k) => [k, JSON.parse((this.state.entries.get(k) as Entry).value)]);
  }

  commit(txn: MetaTxn): Promise<void> {
    const put = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(txn.put ?? {})) put[k] = JSON.stringify(v);
    const change: MetaChange = { put, del: [...(txn.del ?? [])] };
    return this.transact(() => ({ change, answer: () => undefined }));
  }

  /**
   * Runs `plan` in the write loop (see MetaPlan) and resolves with its answer once its
   * change is durable; a plan that changes nothing resolves once what it read is.
   */
  transact<T>(plan: MetaPlan<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ElanusError('CLOSED'));
    if (this.readOnly) return Promise.reject(new ElanusError('READ_ONLY', { what: 'the metadata journal', path: this.dir }));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ plan, resolve: resolve as (v: unknown) => void, reject });
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
        const batch: Array<{ p: Pending; answer: () => unknown }> = [];
        const frames: Uint8Array[] = [];
        const encoded: EncodedRecord[] = [];
        // Each plan sees the durable state and the changes batched before it.
        const staged = MetaState.staged(this.state);
        let seq = this.seq;
        for (const p of taken) {
          let planned: ReturnType<MetaPlan<unknown>>;
          try {
            planned = p.plan(staged);
          } catch (e) {
            p.reject(e);
            continue;
          }
          const { change, answer } = planned;
          if (change === undefined || isEmptyChange(change)) {
            const revision = staged.revision;
            batch.push({ p, answer: () => answer(revision) });
            continue;
          }
          const changesKeys = Object.keys(change.put).length > 0 || change.del.some((k) => staged.entries.has(k));
          const rec: EncodedRecord = { seq: seq + 1, rev: staged.revision + (changesKeys ? 1 : 0), ...change };
          const payload = encoder.encode(JSON.stringify(rec));
          // Refused here, before the journal: the reader takes a record past the framing
          // limit for damage, so one written would make the folder unopenable.
          if (payload.length > this.recordBytesMax) {
            p.reject(new ElanusError('LIMIT_EXCEEDED', { what: 'metadata transaction', detail: `${payload.length} bytes encoded, over ${this.recordBytesMax}` }));
            continue;
          }
          staged.apply(change, rec.rev);
          seq++;
          const revision = staged.revision;
          batch.push({ p, answer: () => answer(revision) });
          encoded.push(rec);
          frames.push(frameRecord(payload));
        }
        if (batch.length === 0) continue;
        if (frames.length === 0) {
          // Reads of durable state only: nothing to wait for.
          for (const b of batch) settle(b.p, b.answer);
          continue;
        }
        const bytes = concat(frames);
        try {
          if (this.tailUnknown) await this.cutTail();
          await this.handle.write(bytes, this.journalBytes);
          await this.handle.sync();
        } catch (e) {
          // Nothing of the batch is acknowledged and memory is unchanged. What reached the
          // file is unknown, so it is cut off before the next batch (cutTail).
          this.tailUnknown = true;
          if (!this.failing) this.onHealth?.(e);
          this.failing = true;
          for (const b of batch) b.p.reject(e);
          await this.cutTail().catch(() => undefined);
          continue;
        }
        this.recovered();
        this.journalBytes += bytes.length;
        this.seq = seq;
        for (const rec of encoded) this.apply(rec, rec.rev);
        for (const b of batch) settle(b.p, b.answer);
        if (this.journalBytes > this.journalBytesMax) await this.checkpoint().catch(() => {});
      }
    } finally {
      this.writing = false;
    }
  }

  /** Cuts the journal back to its durable length and makes that durable. */
  private async cutTail(): Promise<void> {
    await this.handle.truncate(this.journalBytes);
    await this.handle.sync();
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
    if (this.writing || this.closed || this.readOnly) return false;
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

  private apply(change: MetaChange, revision: number | undefined): void {
    const events = this.state.apply(change, revision);
    if (events.length > 0) this.onEvents?.(this.state.revision, events);
  }

  /**
   * The durable state as the bytes of a `snapshot` file (which a folder holding only that
   * file opens to), with its entries: read in one synchronous step, so it is the state
   * after one commit and before the next. A backup's metadata (cli/backup-server.ts).
   */
  snapshotFile(): { readonly bytes: Uint8Array; readonly entries: ReadonlyArray<readonly [string, string]> } {
    const snap = this.snapshot();
    return { bytes: frameRecord(encoder.encode(JSON.stringify(snap))), entries: snap.entries.map(([k, v]) => [k, v] as const) };
  }

  private snapshot(): Snapshot {
    return {
      seq: this.seq,
      revision: this.state.revision,
      leaseNext: this.state.leaseNext,
      entries: [...this.state.entries.entries()].sort((a, b) => compareKeys(a[0], b[0])).map(([k, e]) => [k, e.value, e.create, e.mod, e.version, e.lease]),
      leases: [...this.state.leases.entries()].map(([id, l]) => [id, l.ttlMs]),
    };
  }

  /** Writes a snapshot of everything and empties the journal. Runs inside the write loop. */
  private async checkpoint(): Promise<void> {
    assert(this.writing, 'checkpoint outside the write loop');
    const payload = encoder.encode(JSON.stringify(this.snapshot()));
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
      await this.handle.truncate(0);
      await this.handle.sync();
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
    await this.journal?.close().catch(() => {});
  }
}

interface Snapshot {
  seq: number;
  revision?: number;
  leaseNext?: number;
  /** [key, value, create, mod, version, lease]; only the first two in old snapshots. */
  entries: Array<[string, string, number?, number?, number?, number?]>;
  leases?: Array<[number, number]>;
}

/** Resolves with the answer, or rejects with what computing it threw. */
function settle(p: Pending, answer: () => unknown): void {
  let v: unknown;
  try {
    v = answer();
  } catch (e) {
    p.reject(e);
    return;
  }
  p.resolve(v);
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
