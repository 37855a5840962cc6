// The LogStore (storage/log.ts) on NATS JetStream: cluster mode's log.
//
// - A log stream is a JetStream stream with one subject (jetstream-names.ts); a position
//   is the stream's sequence, so positions start at 1 and are dense: the streams are
//   made with deny_delete (no message is removed from the middle), and truncate purges
//   below a sequence, which leaves the sequences above it as they were.
// - Appends go through one AppendLane per stream (jetstream-append.ts): call order is
//   position order, a failed append fails everything called after it, keys dedupe over
//   a count of records (the contract) and through Nats-Msg-Id (the server).
// - Consumers are positions in the cluster's MetaStore, etcd (log-consumer-positions.ts).
//
// Durable here means: the server acknowledged the write after the stream's replicas
// stored it (1, or a majority of 3 through the stream's Raft group), in file storage.
// nats-server 2.9.10 has no `sync_interval` setting (it fsyncs on an internal timer;
// later servers make it configurable, down to `always`): an acknowledged record has
// reached the server's files, not necessarily the disk. The tests kill servers with
// SIGKILL right after acknowledgements and find every acknowledged record; a power loss
// of a lone server may lose the last ones. With 3 replicas a record survives the loss
// of one machine, power included, as long as the two others keep running.
import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { ElanusError } from '../errors/index.js';
import { type ConsumerStart, type LogBounds, type LogEntry, type LogStore, idempotencyKeyBytes, logLimits } from '../storage/index.js';
import { AppendLane } from './jetstream-append.js';
import { ConsumerPositions } from './log-consumer-positions.js';
import {
  type Connection, type JetStreamLogStoreOptions, apiCode, connectJetStream, isTransient, streamNotFoundCode, toStoreError, unavailable,
} from './jetstream-connection.js';
import { type Names, checkConsumerName, checkStreamName, names as namesOf } from './jetstream-names.js';
import { type RawRecord, readRange } from './jetstream-read.js';
import { entryOf, headerBytesMax, laneServer } from './jetstream-publish.js';

export type { JetStreamLogStoreOptions } from './jetstream-connection.js';
export { headerBytesMax } from './jetstream-publish.js';

const nanosPerMs = 1_000_000;
/** Pause between two tries of an operation in doubt (a leader election takes seconds). */
const retryIntervalMs = 100;

export class JetStreamLogStore implements LogStore {
  private readonly lanes = new Map<string, AppendLane>();
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly conn: Connection,
    private readonly positions: ConsumerPositions,
    private readonly names: Names,
    private readonly opts: Required<Pick<JetStreamLogStoreOptions, 'replicas' | 'requestTimeoutMs' | 'retryMs' | 'dedupeWindowRecords' | 'duplicateWindowMs'>>,
    readonly payloadBytesMax: number,
  ) {}

  static async open(opts: JetStreamLogStoreOptions): Promise<JetStreamLogStore> {
    const names = namesOf(opts.namespace);
    const settings = {
      replicas: opts.replicas ?? 1,
      requestTimeoutMs: opts.requestTimeoutMs ?? 5000,
      retryMs: opts.retryMs ?? 30_000,
      dedupeWindowRecords: opts.dedupeWindowRecords ?? 10_000,
      duplicateWindowMs: opts.duplicateWindowMs ?? 120_000,
    };
    if (settings.replicas !== 1 && settings.replicas !== 3) throw invalid(`replicas must be 1 or 3, got ${String(settings.replicas)}`);
    if (!Array.isArray(opts.servers) || opts.servers.length === 0) throw invalid('servers must list at least one server URL');
    for (const [k, v] of Object.entries(settings)) if (!Number.isSafeInteger(v) || v < 1) throw invalid(`${k} must be a positive integer, got ${String(v)}`);
    if (settings.dedupeWindowRecords < logLimits.dedupeWindowRecordsMin) {
      throw invalid(`dedupeWindowRecords must be at least ${logLimits.dedupeWindowRecordsMin}, got ${settings.dedupeWindowRecords}`);
    }
    const conn = await connectJetStream(opts);
    try {
      const maxPayload = conn.nc.info?.max_payload ?? 0;
      if (maxPayload <= headerBytesMax) throw unavailable(conn.endpoint, `the server's max_payload (${maxPayload} bytes) leaves no room for a record`);
      // A lone server refuses replicated streams with a 500, which would look passing.
      if (settings.replicas > 1 && !conn.nc.info?.cluster) throw invalid(`replicas ${settings.replicas} needs a cluster; the server at ${conn.endpoint} is not in one`);
      const positions = new ConsumerPositions(opts.positions, opts.namespace);
      return new JetStreamLogStore(conn, positions, names, settings, maxPayload - headerBytesMax);
    } catch (e) {
      await conn.nc.close().catch(() => undefined);
      throw e;
    }
  }

  async createStream(stream: string): Promise<void> {
    this.check();
    checkStreamName(this.names, stream);
    const config = {
      name: this.names.stream(stream),
      subjects: [this.names.subject(stream)],
      storage: StorageType.File,
      num_replicas: this.opts.replicas,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      deny_delete: true,
      duplicate_window: this.opts.duplicateWindowMs * nanosPerMs,
    };
    await this.retrying(async () => {
      try {
        await this.conn.jsm.streams.add(config);
      } catch (e) {
        // Made before with other settings (another replicas count): it exists, which is what create promises.
        if (!(await this.exists(stream))) throw toStoreError(e, this.conn.endpoint);
      }
    });
  }

  async dropStream(stream: string): Promise<void> {
    await this.bounds(stream);
    // Consumers first: a drop cut short leaves a stream without consumers, never consumers
    // that a stream made again under this name would inherit.
    await this.positions.dropAll(stream);
    try {
      await this.conn.jsm.streams.delete(this.names.stream(stream));
    } catch (e) {
      throw toStoreError(e, this.conn.endpoint, stream);
    } finally {
      this.lanes.delete(stream);
    }
  }

  async streams(): Promise<string[]> {
    this.check();
    return this.retrying(async () => {
      const out: string[] = [];
      try {
        for await (const name of this.conn.jsm.streams.names()) {
          const s = this.names.decode(name);
          if (s !== undefined) out.push(s);
        }
      } catch (e) {
        throw toStoreError(e, this.conn.endpoint);
      }
      return out.sort();
    });
  }

  append(stream: string, payload: Uint8Array, opts: { readonly idempotencyKey?: string } = {}): Promise<number> {
    let key: string | undefined;
    try {
      this.check();
      if (typeof stream !== 'string' || !this.validName(stream)) throw new ElanusError('TOPIC_NOT_FOUND', { topic: String(stream) });
      if (!(payload instanceof Uint8Array)) throw invalid('a log record payload must be a Uint8Array');
      if (payload.length > this.payloadBytesMax) throw new ElanusError('BATCH_TOO_LARGE', { size: payload.length, unit: 'bytes', max: this.payloadBytesMax });
      if (typeof opts !== 'object' || opts === null) throw invalid('append options must be an object');
      if (opts.idempotencyKey !== undefined) idempotencyKeyBytes(opts.idempotencyKey);
      key = opts.idempotencyKey;
    } catch (e) {
      return Promise.reject(e);
    }
    let lane = this.lanes.get(stream);
    if (lane === undefined) {
      const server = laneServer(stream, {
        conn: this.conn,
        names: this.names,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        bounds: (st) => this.bounds(st),
        exists: (st) => this.exists(st),
        retrying: (op) => this.retrying(op),
        readRaw: (st, from, count, headersOnly) => this.readRaw(st, from, count, headersOnly),
      });
      lane = new AppendLane(server, {
        dedupeWindowRecords: this.opts.dedupeWindowRecords,
        resolveMs: this.opts.retryMs,
        retryIntervalMs,
        isClosed: () => this.closed,
        unavailable: (detail) => unavailable(this.conn.endpoint, detail),
      });
      this.lanes.set(stream, lane);
    }
    // A copy: the lane may publish it again after the caller has reused its buffer.
    return lane.append(new Uint8Array(payload), key);
  }

  async read(stream: string, from: number, max: number): Promise<LogEntry[]> {
    this.check();
    if (!Number.isSafeInteger(max) || max < 1 || max > logLimits.readRecordsMax) throw invalid(`a read takes 1 to ${logLimits.readRecordsMax} records, got ${String(max)}`);
    if (!Number.isSafeInteger(from) || from < 0) throw invalid(`a read position must be an integer >= 0, got ${String(from)}`);
    const { first, end } = await this.bounds(stream);
    if (from > end) throw invalid(`read position ${from} is past the end (${end}) of stream "${stream}"`);
    if (from < first) throw new ElanusError('OFFSET_TRUNCATED', { topic: stream, offset: from, start: first });
    if (from === end) return [];
    const count = Math.min(max, end - from);
    const msgs = await this.retrying(() => this.readRaw(stream, from, count, false));
    {
      if (msgs.length === 0 || msgs[0]!.seq !== from) {
        // Purged between the bounds and the read.
        const now = await this.bounds(stream);
        if (from < now.first) throw new ElanusError('OFFSET_TRUNCATED', { topic: stream, offset: from, start: now.first });
      }
      return msgs.map((m) => entryOf(m.seq, m.data, m.headers));
    }
  }

  private async readRaw(stream: string, from: number, count: number, headersOnly: boolean): Promise<RawRecord[]> {
    try {
      return await readRange(this.conn, this.names.stream(stream), from, count, this.opts.requestTimeoutMs, headersOnly);
    } catch (e) {
      throw toStoreError(e, this.conn.endpoint, stream);
    }
  }

  async bounds(stream: string): Promise<LogBounds> {
    this.check();
    if (typeof stream !== 'string' || !this.validName(stream)) throw new ElanusError('TOPIC_NOT_FOUND', { topic: String(stream) });
    return this.retrying(async () => {
      try {
        const { state } = await this.conn.jsm.streams.info(this.names.stream(stream));
        const end = state.last_seq + 1;
        return { first: state.messages === 0 ? end : state.first_seq, end };
      } catch (e) {
        throw toStoreError(e, this.conn.endpoint, stream);
      }
    });
  }

  /**
   * Has another replica lead the stream (JetStream's leader step-down), then waits until
   * the stream answers again. The engine asks for it when a stream starts past its
   * checkpoint: nats-server 2.9.x can leave a restarted replica holding the stream from a
   * later first sequence than its peers (nats-io/nats-server#4196), and the records it
   * lacks are on the others. One replica: nothing to do.
   */
  async reelect(stream: string): Promise<void> {
    this.check();
    if (typeof stream !== 'string' || !this.validName(stream)) throw new ElanusError('TOPIC_NOT_FOUND', { topic: String(stream) });
    if ((this.opts.replicas ?? 1) <= 1) return;
    const name = this.names.stream(stream);
    const leader = async (): Promise<string | undefined> => this.retrying(async () => {
      try {
        return (await this.conn.jsm.streams.info(name)).cluster?.leader;
      } catch (e) {
        throw toStoreError(e, this.conn.endpoint, stream);
      }
    });
    const before = await leader();
    await this.retrying(async () => {
      try {
        const reply = await this.conn.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${name}`, undefined, { timeout: this.opts.requestTimeoutMs });
        const answer = reply.json<{ error?: { code?: number; description?: string } }>();
        if (answer.error) throw new Error(`JetStream refused the leader step-down: ${answer.error.description ?? answer.error.code}`);
      } catch (e) {
        throw toStoreError(e, this.conn.endpoint, stream);
      }
    });
    // Elected when the stream names a leader other than the one that stepped down.
    const deadline = Date.now() + this.opts.retryMs;
    for (;;) {
      const now = await leader().catch(() => undefined);
      if ((now !== undefined && now !== '' && now !== before) || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, retryIntervalMs));
    }
    await this.bounds(stream);
  }

  async createConsumer(stream: string, consumer: string, start: ConsumerStart): Promise<void> {
    this.check();
    checkConsumerName(consumer);
    if (start !== 'earliest' && start !== 'latest' && (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0)) {
      throw invalid(`a consumer starts at 'earliest', 'latest' or a position, got ${String(start)}`);
    }
    const { first, end } = await this.bounds(stream);
    if (typeof start === 'number' && start > end) throw invalid(`start ${start} is past the end (${end}) of stream "${stream}"`);
    if (typeof start === 'number' && start < first) throw new ElanusError('OFFSET_TRUNCATED', { topic: stream, offset: start, start: first });
    await this.positions.create(stream, consumer, start === 'earliest' ? first : start === 'latest' ? end : start);
  }

  async dropConsumer(stream: string, consumer: string): Promise<void> {
    await this.bounds(stream);
    await this.positions.drop(stream, checkConsumerName(consumer));
  }

  async consumers(stream: string): Promise<string[]> {
    await this.bounds(stream);
    return this.retrying(() => this.positions.list(stream));
  }

  async position(stream: string, consumer: string): Promise<number> {
    await this.bounds(stream);
    checkConsumerName(consumer);
    return (await this.retrying(() => this.positions.get(stream, consumer))).position;
  }

  async commit(stream: string, consumer: string, position: number): Promise<void> {
    const { end } = await this.bounds(stream);
    checkConsumerName(consumer);
    if (!Number.isSafeInteger(position) || position < 0 || position > end) {
      throw invalid(`a commit position must be an integer from 0 to the end (${end}) of stream "${stream}", got ${String(position)}`);
    }
    // A commit is a compare-and-set from the position read: repeating one is harmless.
    await this.retrying(() => this.positions.commit(stream, consumer, position));
  }

  async truncate(stream: string, before: number): Promise<number> {
    const { first, end } = await this.bounds(stream);
    if (!Number.isSafeInteger(before) || before < 0 || before > end) {
      throw invalid(`truncate position must be an integer from 0 to the end (${end}) of stream "${stream}", got ${String(before)}`);
    }
    if (before <= first) return first;
    await this.retrying(async () => {
      try {
        // Purge keeps the sequences at and above `before`, and the stream's last sequence.
        await this.conn.jsm.streams.purge(this.names.stream(stream), { seq: before });
      } catch (e) {
        throw toStoreError(e, this.conn.endpoint, stream);
      }
    });
    return (await this.bounds(stream)).first;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      const error = new ElanusError('CLOSED');
      for (const lane of this.lanes.values()) lane.abortHeld(error);
      // Appends in flight finish by their answers; past one request's timeout they fail with CLOSED.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...this.lanes.values()].map((l) => l.idle())),
        new Promise((r) => (timer = setTimeout(r, this.opts.requestTimeoutMs))),
      ]);
      clearTimeout(timer);
      await this.conn.nc.close().catch(() => undefined);
    })();
    return this.closing;
  }

  private check(): void {
    if (this.closed) throw new ElanusError('CLOSED');
  }

  /** Runs an operation that is safe to repeat again while it fails for want of a server, up to retryMs. */
  private async retrying<T>(op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.opts.retryMs;
    for (;;) {
      try {
        return await op();
      } catch (e) {
        if (this.closed || !isTransient(e) || Date.now() >= deadline) throw e;
      }
      await new Promise((r) => setTimeout(r, retryIntervalMs));
    }
  }

  private validName(stream: string): boolean {
    try {
      checkStreamName(this.names, stream);
      return true;
    } catch {
      return false;
    }
  }

  private async exists(stream: string): Promise<boolean> {
    try {
      await this.conn.jsm.streams.info(this.names.stream(stream));
      return true;
    } catch (e) {
      if (apiCode(e) === streamNotFoundCode) return false;
      throw toStoreError(e, this.conn.endpoint, stream);
    }
  }
}


function invalid(detail: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail });
}
