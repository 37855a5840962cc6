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
import { ElanusError, assert } from '../errors/index.js';
import { frameRecord, scanRecord } from './framing.js';
import { type FileHandle, type FileSystem, joinPath, mkdirDurable, writeFileDurable } from './fs.js';

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
  private pending: Pending[] = [];
  private writing = false;
  private closed = false;
  private journalClosed = false;
  private readonly journalBytesMax: number;

  private constructor(private readonly fs: FileSystem, private readonly dir: string, journalBytesMax: number) {
    this.journalBytesMax = journalBytesMax;
  }

  static async open(opts: EmbeddedMetaStoreOptions): Promise<EmbeddedMetaStore> {
    const store = new EmbeddedMetaStore(opts.fs, opts.dir, opts.journalBytesMax ?? 4 * 1024 * 1024);
    await mkdirDurable(opts.fs, opts.dir);
    await store.recover();
    return store;
  }

  private get snapshotPath(): string {
    return joinPath(this.dir, 'snapshot');
  }
  private get journalPath(): string {
    return joinPath(this.dir, 'journal');
  }

  private async recover(): Promise<void> {
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
        const batch = this.pending;
        this.pending = [];
        const frames: Uint8Array[] = [];
        const encoded: Array<{ put: Record<string, string>; del: string[] }> = [];
        let seq = this.seq;
        for (const p of batch) {
          const put: Record<string, string> = {};
          for (const [k, v] of Object.entries(p.txn.put ?? {})) put[k] = JSON.stringify(v);
          const del = [...(p.txn.del ?? [])];
          encoded.push({ put, del });
          frames.push(frameRecord(encoder.encode(JSON.stringify({ seq: ++seq, put, del }))));
        }
        const bytes = concat(frames);
        try {
          await this.journal.write(bytes, this.journalBytes);
          await this.journal.sync();
        } catch (e) {
          // Nothing of the batch is acknowledged. Cut the file back so a partly written
          // batch cannot be replayed later; if even that fails the store stops taking
          // commits, since its journal no longer matches memory.
          try {
            await this.journal.truncate(this.journalBytes);
          } catch {
            this.closed = true;
          }
          for (const p of batch) p.reject(e);
          continue;
        }
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

  private applyEncoded(put: Record<string, string>, del: string[]): void {
    for (const k of del) this.data.delete(k);
    for (const [k, v] of Object.entries(put)) this.data.set(k, v);
  }

  /** Writes a snapshot of everything and empties the journal. Runs inside the write loop. */
  private async checkpoint(): Promise<void> {
    assert(this.writing, 'checkpoint outside the write loop');
    const snap = { seq: this.seq, entries: [...this.data.entries()] };
    await writeFileDurable(this.fs, this.snapshotPath, frameRecord(encoder.encode(JSON.stringify(snap))));
    await this.journal.truncate(0);
    await this.journal.sync();
    this.journalBytes = 0;
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
