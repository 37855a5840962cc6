// The embedded LogStore (storage/log.ts) as an adapter over the Wal: streams are
// topics, consumers are consumer groups, positions are offsets, truncate is retention.
// It lives here, not in storage/, because storage/ may not import wal/.
//
// Records it writes carry the idempotency key before the payload:
//
//   u8 format (1) | u8 key bytes (0 = none) | key (UTF-8) | payload
//
// so the dedupe window survives a restart: the first append to a stream after open
// reads the stream's last `dedupeWindowRecords` records back and remembers their keys.
// The window is a count of records, not a time (JetStream's duplicate_window is 2
// minutes by default): a key is remembered while fewer than `dedupeWindowRecords`
// records have been appended to its stream after it. Keys live in memory only for
// that window (at most window × idempotencyKeyBytesMax bytes per stream).
//
// A stream's records must all come through this adapter: a record without the header
// (a topic the engine writes to through the Wal directly) reads as CORRUPT_DATA.
import { ElanusError, assert } from '../errors/index.js';
import { type ConsumerStart, type FileSystem, type LogBounds, type LogEntry, type LogStore, logLimits } from '../storage/index.js';
import { Wal, type WalOptions } from './wal.js';

export interface WalLogStoreOptions extends Omit<WalOptions, 'fs' | 'dir'> {
  fs: FileSystem;
  dir: string;
  /** Records of a stream within which a repeated idempotency key is a duplicate. Default 10,000. */
  dedupeWindowRecords?: number;
}

const formatVersion = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Remembered keys of one stream: key → its position, or the append still in flight. */
interface Dedupe {
  readonly byKey: Map<string, number | Promise<number>>;
  /** Keys in position order, for forgetting the oldest. */
  readonly order: Array<readonly [number, string]>;
}

export class WalLogStore implements LogStore {
  /** Per stream, the window of keys, once loaded (loading starts at its first append). */
  private readonly dedupe = new Map<string, Promise<Dedupe>>();

  private constructor(
    private readonly wal: Wal,
    private readonly window: number,
  ) {}

  static async open(opts: WalLogStoreOptions): Promise<WalLogStore> {
    const window = opts?.dedupeWindowRecords ?? 10_000;
    if (!Number.isSafeInteger(window) || window < logLimits.dedupeWindowRecordsMin) {
      throw invalid(`dedupeWindowRecords must be an integer >= ${logLimits.dedupeWindowRecordsMin}, got ${String(window)}`);
    }
    const { dedupeWindowRecords: _, ...walOptions } = opts;
    return new WalLogStore(await Wal.open(walOptions), window);
  }

  async createStream(stream: string): Promise<void> {
    await this.wal.createTopic(stream);
  }

  async dropStream(stream: string): Promise<void> {
    await this.wal.dropTopic(stream);
    this.dedupe.delete(stream);
  }

  async streams(): Promise<string[]> {
    return this.wal.topics();
  }

  async append(stream: string, payload: Uint8Array, opts: { readonly idempotencyKey?: string } = {}): Promise<number> {
    this.wal.endOffset(stream); // CLOSED, TOPIC_NOT_FOUND, DROPPING: at once.
    if (!(payload instanceof Uint8Array)) throw invalid('a log record payload must be a Uint8Array');
    if (typeof opts !== 'object' || opts === null) throw invalid('append options must be an object');
    const key = opts.idempotencyKey;
    const keyBytes = key === undefined ? undefined : checkKey(key);
    const record = encode(keyBytes, payload);
    // Every append of the stream waits for its window, keyed or not, so that positions
    // follow call order.
    const d = await this.windowOf(stream);
    if (key === undefined) return this.wal.append(stream, record);
    const seen = d.byKey.get(key);
    if (seen !== undefined) return seen;
    const appended = this.wal.append(stream, record);
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

  /** The stream's window of keys, loaded from its last records the first time. */
  private windowOf(stream: string): Promise<Dedupe> {
    let d = this.dedupe.get(stream);
    if (d === undefined) {
      d = this.load(stream);
      this.dedupe.set(stream, d);
      // A failed load is tried again by the next append.
      d.catch(() => {
        if (this.dedupe.get(stream) === d) this.dedupe.delete(stream);
      });
    }
    return d;
  }

  private async load(stream: string): Promise<Dedupe> {
    const d: Dedupe = { byKey: new Map(), order: [] };
    const end = this.wal.durableEndOffset(stream);
    let at = Math.max(this.wal.startOffset(stream), end - this.window);
    while (at < end) {
      const records = await this.wal.read(stream, at, Math.min(end - at, logLimits.readRecordsMax));
      assert(records.length > 0, 'a read below the durable end returns records');
      for (const r of records) {
        const key = decode(stream, r.offset, r.payload).idempotencyKey;
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
    return records.map((r) => decode(stream, r.offset, r.payload));
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
    return this.wal.retain(stream, before);
  }

  close(): Promise<void> {
    return this.wal.close();
  }
}

function checkKey(key: unknown): Uint8Array {
  if (typeof key !== 'string' || key.length === 0) throw invalid('an idempotency key must be a non-empty string');
  const bytes = encoder.encode(key);
  if (bytes.length > logLimits.idempotencyKeyBytesMax || decoder.decode(bytes) !== key) {
    throw invalid(`an idempotency key must be well-formed text of at most ${logLimits.idempotencyKeyBytesMax} bytes`);
  }
  return bytes;
}

function encode(key: Uint8Array | undefined, payload: Uint8Array): Uint8Array {
  const n = key?.length ?? 0;
  const out = new Uint8Array(2 + n + payload.length);
  out[0] = formatVersion;
  out[1] = n;
  if (key) out.set(key, 2);
  out.set(payload, 2 + n);
  return out;
}

function decode(stream: string, position: number, body: Uint8Array): LogEntry {
  const n = body[1] ?? 0;
  if (body.length < 2 || body[0] !== formatVersion || 2 + n > body.length) {
    throw new ElanusError('CORRUPT_DATA', { path: `log stream "${stream}"`, offset: position, detail: 'not a LogStore record (no header)' });
  }
  const payload = body.subarray(2 + n);
  if (n === 0) return { position, payload };
  return { position, payload, idempotencyKey: decoder.decode(body.subarray(2, 2 + n)) };
}

function invalid(detail: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail });
}
