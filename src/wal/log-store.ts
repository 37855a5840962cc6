// The embedded LogStore (storage/log.ts) as an adapter over the Wal: streams are
// topics, consumers are consumer groups, positions are offsets, truncate is retention.
// It lives here, not in storage/, because storage/ may not import wal/.
//
// Records it writes carry the idempotency key before the payload:
//
//   u8 format (1) | u8 key bytes (0 = none) | key (UTF-8) | payload
//
// so the dedupe window survives a restart: the first keyed append to a stream after
// open reads the stream's last `dedupeWindowRecords` records back and remembers their
// keys. The header goes into the Wal's record buffer beside the payload (no extra copy).
// The window is a count of records, not a time (JetStream's duplicate_window is 2
// minutes by default): a key is remembered while fewer than `dedupeWindowRecords`
// records have been appended to its stream after it. Keys live in memory only for
// that window (at most window × idempotencyKeyBytesMax bytes per stream).
//
// Records the engine wrote through the Wal before it used this adapter have no header.
// The first open of a folder by the adapter notes, per existing topic, the position
// below which records are headerless (the file `headerless` beside `topics/`, one framed
// JSON record replaced whole); they read back as payloads without a key. A note goes
// when its topic is dropped or truncated past it. After that first open, a topic is
// written only through the adapter.
import { ElanusError, assert } from '../errors/index.js';
import {
  type ConsumerStart, type FileSystem, type LogBounds, type LogEntry, type LogStore, frameRecord, idempotencyKeyBytes, joinPath, logLimits, scanRecord,
  writeFileDurable,
} from '../storage/index.js';
import { headerlessFileName } from './names.js';
import { walPayloadBytesMax } from './record.js';
import { Wal, type WalOptions } from './wal.js';

export interface WalLogStoreOptions extends Omit<WalOptions, 'fs' | 'dir'> {
  fs: FileSystem;
  dir: string;
  /** Records of a stream within which a repeated idempotency key is a duplicate. Default 10,000. */
  dedupeWindowRecords?: number;
  /** The largest payload append takes (as a JetStream server's max_payload). Default and most: the Wal's record limit less the longest header. */
  payloadBytesMax?: number;
}

/** The Wal's record limit less the longest header. */
const payloadBytesLimit = walPayloadBytesMax - 2 - logLimits.idempotencyKeyBytesMax;

const formatVersion = 1;
const headerlessVersion = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** The header of a record appended without a key. */
const bareHead = Uint8Array.of(formatVersion, 0);

/** Remembered keys of one stream: key → its position, or the append still in flight. */
interface Dedupe {
  readonly byKey: Map<string, number | Promise<number>>;
  /** Keys in position order, for forgetting the oldest. */
  readonly order: Array<readonly [number, string]>;
}

/** A stream's window being loaded, and the appends waiting for it (they go in call order). */
interface Gate {
  readonly done: Promise<Dedupe>;
  waiting: number;
}

export class WalLogStore implements LogStore {
  /**
   * Per stream, its window of keys once loaded. Loading starts at the stream's first
   * keyed append, so a stream that never sees a key (the engine's) never reads its
   * records back for it.
   */
  private readonly windows = new Map<string, Dedupe>();
  private readonly gates = new Map<string, Gate>();
  /** Durable writes of the `headerless` file, one at a time. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly wal: Wal,
    private readonly window: number,
    private readonly fs: FileSystem,
    private readonly dir: string,
    /** Stream → the position below which its records have no header. */
    private readonly headerless: Map<string, number>,
    readonly payloadBytesMax: number,
  ) {}

  static async open(opts: WalLogStoreOptions): Promise<WalLogStore> {
    const window = opts?.dedupeWindowRecords ?? 10_000;
    if (!Number.isSafeInteger(window) || window < logLimits.dedupeWindowRecordsMin) {
      throw invalid(`dedupeWindowRecords must be an integer >= ${logLimits.dedupeWindowRecordsMin}, got ${String(window)}`);
    }
    const payloadBytesMax = opts.payloadBytesMax ?? payloadBytesLimit;
    if (!Number.isSafeInteger(payloadBytesMax) || payloadBytesMax < 1 || payloadBytesMax > payloadBytesLimit) {
      throw invalid(`payloadBytesMax must be an integer from 1 to ${payloadBytesLimit}, got ${String(payloadBytesMax)}`);
    }
    const { dedupeWindowRecords: _, payloadBytesMax: __, ...walOptions } = opts;
    const wal = await Wal.open(walOptions);
    try {
      const headerless = await loadHeaderless(opts.fs, opts.dir, wal);
      return new WalLogStore(wal, window, opts.fs, opts.dir, headerless, payloadBytesMax);
    } catch (e) {
      await wal.close().catch(() => undefined);
      throw e;
    }
  }

  async createStream(stream: string): Promise<void> {
    await this.wal.createTopic(stream);
  }

  async dropStream(stream: string): Promise<void> {
    await this.wal.dropTopic(stream);
    this.windows.delete(stream);
    this.gates.delete(stream);
    // A stream created again under this name has headers from its first record.
    if (this.headerless.delete(stream)) await this.saveHeaderless();
  }

  async streams(): Promise<string[]> {
    return this.wal.topics();
  }

  /**
   * Appends without an await in between, so the position is taken at the call (the
   * engine relies on it: log order is the order of its writes' timestamps); only while
   * a stream's window loads (its first keyed append) do appends wait, in call order.
   */
  append(stream: string, payload: Uint8Array, opts: { readonly idempotencyKey?: string } = {}): Promise<number> {
    let key: string | undefined;
    let head: Uint8Array;
    try {
      this.wal.endOffset(stream); // CLOSED, TOPIC_NOT_FOUND, DROPPING: at once.
      if (!(payload instanceof Uint8Array)) throw invalid('a log record payload must be a Uint8Array');
      if (payload.length > this.payloadBytesMax) {
        throw new ElanusError('BATCH_TOO_LARGE', { size: payload.length, unit: 'bytes', max: this.payloadBytesMax });
      }
      if (typeof opts !== 'object' || opts === null) throw invalid('append options must be an object');
      key = opts.idempotencyKey;
      head = key === undefined ? bareHead : headOf(idempotencyKeyBytes(key));
    } catch (e) {
      return Promise.reject(e);
    }
    const gate = this.gates.get(stream);
    if (gate === undefined) {
      if (key === undefined) return this.wal.append(stream, payload, head);
      const d = this.windows.get(stream);
      if (d !== undefined) return this.appendKeyed(d, stream, key, payload, head);
    }
    // The append runs after the load: the caller may reuse its buffer before then.
    return this.behind(gate ?? this.openGate(stream), stream, key, new Uint8Array(payload), head);
  }

  private openGate(stream: string): Gate {
    const gate: Gate = {
      done: this.load(stream).then((d) => {
        if (this.gates.get(stream) === gate) this.windows.set(stream, d);
        return d;
      }),
      waiting: 0,
    };
    this.gates.set(stream, gate);
    return gate;
  }

  private behind(gate: Gate, stream: string, key: string | undefined, payload: Uint8Array, head: Uint8Array): Promise<number> {
    gate.waiting++;
    const leave = () => {
      // The last one out closes the gate; a failed load is tried again by the next keyed append.
      if (--gate.waiting === 0 && this.gates.get(stream) === gate) this.gates.delete(stream);
    };
    return gate.done.then(
      (d) => {
        leave();
        return key === undefined ? this.wal.append(stream, payload, head) : this.appendKeyed(d, stream, key, payload, head);
      },
      (e: unknown) => {
        leave();
        throw e;
      },
    );
  }

  private appendKeyed(d: Dedupe, stream: string, key: string, payload: Uint8Array, head: Uint8Array): Promise<number> {
    const seen = d.byKey.get(key);
    if (seen !== undefined) return typeof seen === 'number' ? Promise.resolve(seen) : seen;
    const appended = this.wal.append(stream, payload, head);
    d.byKey.set(key, appended);
    appended.then(
      (position) => {
        if (d.byKey.get(key) !== appended) return;
        d.byKey.set(key, position);
        d.order.push([position, key]);
        this.forgetOld(d, position + 1);
      },
      // Not stored: a retry of the key appends anew. Whoever repeated the key while it
      // was in flight got this same rejection.
      () => {
        if (d.byKey.get(key) === appended) d.byKey.delete(key);
      },
    );
    return appended;
  }

  /** The stream's window of keys, from its last `window` durable records. */
  private async load(stream: string): Promise<Dedupe> {
    const d: Dedupe = { byKey: new Map(), order: [] };
    const end = this.wal.durableEndOffset(stream);
    let at = Math.max(this.wal.startOffset(stream), end - this.window);
    while (at < end) {
      const records = await this.wal.read(stream, at, Math.min(end - at, logLimits.readRecordsMax));
      assert(records.length > 0, 'a read below the durable end returns records');
      for (const r of records) {
        const key = this.decode(stream, r.offset, r.payload).idempotencyKey;
        if (key !== undefined) {
          d.byKey.set(key, r.offset);
          d.order.push([r.offset, key]);
        }
      }
      at = (records.at(-1) as { offset: number }).offset + 1;
    }
    return d;
  }

  /** Forgets keys that `window` records or more have followed. */
  private forgetOld(d: Dedupe, end: number): void {
    // Appends resolve in position order, so `order` is sorted.
    let n = 0;
    while (n < d.order.length && (d.order[n] as readonly [number, string])[0] < end - this.window) {
      const [position, key] = d.order[n] as readonly [number, string];
      if (d.byKey.get(key) === position) d.byKey.delete(key);
      n++;
    }
    if (n > 0) d.order.splice(0, n);
  }

  async read(stream: string, from: number, max: number): Promise<LogEntry[]> {
    if (!Number.isSafeInteger(max) || max < 1 || max > logLimits.readRecordsMax) {
      throw invalid(`a read takes 1 to ${logLimits.readRecordsMax} records, got ${String(max)}`);
    }
    const records = await this.wal.read(stream, from, max);
    return records.map((r) => this.decode(stream, r.offset, r.payload));
  }

  async bounds(stream: string): Promise<LogBounds> {
    return { first: this.wal.startOffset(stream), end: this.wal.durableEndOffset(stream) };
  }

  async createConsumer(stream: string, consumer: string, start: ConsumerStart): Promise<void> {
    await this.wal.createGroup(stream, consumer, start);
  }

  async dropConsumer(stream: string, consumer: string): Promise<void> {
    await this.wal.destroyGroup(stream, consumer);
  }

  async consumers(stream: string): Promise<string[]> {
    return this.wal.groups(stream);
  }

  async position(stream: string, consumer: string): Promise<number> {
    return this.wal.position(stream, consumer);
  }

  async commit(stream: string, consumer: string, position: number): Promise<void> {
    await this.wal.commit(stream, consumer, position);
  }

  async truncate(stream: string, before: number): Promise<number> {
    const end = this.wal.durableEndOffset(stream);
    if (!Number.isSafeInteger(before) || before < 0 || before > end) {
      throw invalid(`truncate position must be an integer from 0 to the end (${end}) of stream "${stream}", got ${String(before)}`);
    }
    const first = await this.wal.retain(stream, before);
    const below = this.headerless.get(stream);
    if (below !== undefined && first >= below) {
      this.headerless.delete(stream);
      await this.saveHeaderless();
    }
    return first;
  }

  /** Heals streams whose log failed, without appending (health probes); the streams still failing. */
  probe(): Promise<string[]> {
    return this.wal.probe();
  }

  /** Writes the headerless notes as they are when the write starts (one write at a time). */
  private saveHeaderless(): Promise<void> {
    const write = this.saving.then(() => writeHeaderless(this.fs, this.dir, this.headerless));
    this.saving = write.catch(() => undefined);
    return write;
  }

  /** A stored record as an entry: its header taken off, unless it was written before the adapter. */
  private decode(stream: string, position: number, body: Uint8Array): LogEntry {
    const below = this.headerless.get(stream);
    if (below !== undefined && position < below) return { position, payload: body };
    const n = body[1] ?? 0;
    if (body.length < 2 || body[0] !== formatVersion || 2 + n > body.length) {
      throw new ElanusError('CORRUPT_DATA', { path: `log stream "${stream}"`, offset: position, detail: 'not a LogStore record (no header)' });
    }
    const payload = body.subarray(2 + n);
    if (n === 0) return { position, payload };
    return { position, payload, idempotencyKey: decoder.decode(body.subarray(2, 2 + n)) };
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}


function headOf(key: Uint8Array): Uint8Array {
  const head = new Uint8Array(2 + key.length);
  head[0] = formatVersion;
  head[1] = key.length;
  head.set(key, 2);
  return head;
}

/**
 * The headerless notes of the folder. Absent (the first open by the adapter): every
 * topic's records so far were written without a header, and the notes say so before
 * anything is appended. Notes for topics gone or truncated past them are dropped.
 */
async function loadHeaderless(fs: FileSystem, dir: string, wal: Wal): Promise<Map<string, number>> {
  const path = joinPath(dir, headerlessFileName);
  const notes = new Map<string, number>();
  if (!(await fs.exists(path))) {
    for (const t of wal.topics()) if (wal.durableEndOffset(t) > wal.startOffset(t)) notes.set(t, wal.durableEndOffset(t));
    await writeHeaderless(fs, dir, notes);
    return notes;
  }
  const buf = await fs.readFile(path);
  const r = scanRecord(buf, 0);
  const bad = (detail: string): never => {
    throw new ElanusError('CORRUPT_DATA', { path, offset: 0, detail });
  };
  if (r.kind !== 'record' || r.next !== buf.length) bad('not one whole record');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode((r as { payload: Uint8Array }).payload));
  } catch (e) {
    return bad(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const m = parsed as { version?: unknown; below?: unknown };
  if (m.version !== headerlessVersion || !Array.isArray(m.below)) return bad(`unknown version ${String(m.version)} or no notes`);
  const topics = new Set(wal.topics());
  let stale = false;
  for (const e of m.below as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !Number.isSafeInteger(e[1])) return bad(`bad note ${JSON.stringify(e)}`);
    const [topic, below] = e as [string, number];
    if (topics.has(topic) && wal.startOffset(topic) < below) notes.set(topic, below);
    else stale = true;
  }
  if (stale) await writeHeaderless(fs, dir, notes);
  return notes;
}

function writeHeaderless(fs: FileSystem, dir: string, notes: ReadonlyMap<string, number>): Promise<void> {
  const body = encoder.encode(JSON.stringify({ version: headerlessVersion, below: [...notes] }));
  return writeFileDurable(fs, joinPath(dir, headerlessFileName), frameRecord(body));
}

function invalid(detail: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail });
}
