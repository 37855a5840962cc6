// A record on JetStream, and the server side of a stream's AppendLane (jetstream-append.ts).
//
// A record is the payload as the message body, with two headers: the position it
// expects to follow (Nats-Expected-Last-Sequence, on every publish) and, when keyed,
// Nats-Msg-Id: the idempotency key, percent-encoded (a key is any text; a header value is
// not), which JetStream also dedupes within the stream's duplicate_window. Reading back,
// the Nats-Msg-Id is the entry's key.
import { errors, headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { ElanusError } from '../errors/index.js';
import { type LogBounds, type LogEntry, logLimits } from '../storage/index.js';
import type { LaneServer, PublishOutcome, StoredRecord } from './jetstream-append.js';
import { type Connection, toStoreError, unavailable, wrongLastSequenceCode } from './jetstream-connection.js';
import type { Names } from './jetstream-names.js';
import type { RawRecord } from './jetstream-read.js';

/**
 * Bytes a publish's headers take at most: "NATS/1.0\r\n", the expected last sequence (16
 * digits), the Nats-Msg-Id (a key of idempotencyKeyBytesMax bytes, percent-encoded: up
 * to 3 characters a byte) and the blank line. The server counts headers within max_payload.
 */
export const headerBytesMax = 10 + ('Nats-Expected-Last-Sequence: '.length + 16 + 2) + ('Nats-Msg-Id: '.length + 3 * logLimits.idempotencyKeyBytesMax + 2) + 2;

/** What the lane's server side uses of the store (its reads retry while no server answers). */
export interface StreamAccess {
  readonly conn: Connection;
  readonly names: Names;
  readonly requestTimeoutMs: number;
  bounds(stream: string): Promise<LogBounds>;
  exists(stream: string): Promise<boolean>;
  retrying<T>(op: () => Promise<T>): Promise<T>;
  readRaw(stream: string, from: number, count: number, headersOnly: boolean): Promise<RawRecord[]>;
}

/** The server side of one stream's AppendLane. */
export function laneServer(stream: string, s: StreamAccess): LaneServer {
  const subject = s.names.subject(stream);
  const jsName = s.names.stream(stream);
  const endpoint = s.conn.endpoint;
  return {
    publish: async (payload, expectedLast, key): Promise<PublishOutcome> => {
      const h = natsHeaders();
      h.set('Nats-Expected-Last-Sequence', String(expectedLast));
      if (key !== undefined) h.set('Nats-Msg-Id', encodeURIComponent(key));
      try {
        const answer = (await s.conn.nc.request(subject, payload, { timeout: s.requestTimeoutMs, headers: h })).json<PubAnswer>();
        if (answer.error === undefined) return { kind: 'stored', seq: answer.seq ?? 0, duplicate: answer.duplicate === true };
        const error = unavailable(endpoint, `append refused: ${answer.error.description ?? ''} (${answer.error.err_code ?? answer.error.code ?? '?'})`);
        const wrongLast = answer.error.err_code === wrongLastSequenceCode;
        // 5xx: the stream has no leader or quorum yet; 4xx: the server refuses this message for good.
        return { kind: 'refused', wrongLast, transient: !wrongLast && (answer.error.code ?? 500) >= 500, error };
      } catch (e) {
        if (isNoResponders(e)) {
          // Nobody listens on the subject: the stream is gone, or its leader is being elected.
          const gone = await s.exists(stream).then((x) => !x, () => false);
          if (gone) return { kind: 'refused', wrongLast: false, transient: false, error: new ElanusError('TOPIC_NOT_FOUND', { topic: stream }) };
          return { kind: 'refused', wrongLast: false, transient: true, error: unavailable(endpoint, `no server answers for stream "${stream}" (no leader?)`) };
        }
        return { kind: 'unknown', error: toStoreError(e, endpoint, stream) };
      }
    },
    lastSeq: async () => (await s.bounds(stream)).end - 1,
    recordAt: (seq): Promise<StoredRecord | null> => s.retrying(async () => {
      try {
        const m = await s.conn.jsm.streams.getMessage(jsName, { seq });
        if (m === null) return null;
        const e = entryOf(seq, m.data, m.header);
        return { payload: e.payload, key: e.idempotencyKey };
      } catch (e) {
        throw toStoreError(e, endpoint, stream);
      }
    }),
    recentKeys: async (records) => {
      const { first, end } = await s.bounds(stream);
      const out: Array<readonly [number, string]> = [];
      for (let at = Math.max(first, end - records); at < end; ) {
        const from = at;
        const msgs = await s.retrying(() => s.readRaw(stream, from, Math.min(end - from, logLimits.readRecordsMax), true));
        if (msgs.length === 0) break;
        for (const m of msgs) {
          const key = keyOf(m.headers);
          if (key !== undefined) out.push([m.seq, key]);
        }
        at = msgs.at(-1)!.seq + 1;
      }
      return out;
    },
  };
}

interface PubAnswer {
  readonly seq?: number;
  readonly duplicate?: boolean;
  readonly error?: { readonly code?: number; readonly err_code?: number; readonly description?: string };
}

function isNoResponders(e: unknown): boolean {
  return e instanceof errors.NoRespondersError || (e instanceof Error && e.cause instanceof errors.NoRespondersError);
}

function keyOf(h: MsgHdrs | undefined): string | undefined {
  const id = h?.get('Nats-Msg-Id');
  return id === undefined || id === '' ? undefined : decodeURIComponent(id);
}

export function entryOf(position: number, data: Uint8Array, h: MsgHdrs | undefined): LogEntry {
  const key = keyOf(h);
  // A message's data is a view into the client's read buffer, which it goes on using for
  // later messages; a payload handed out belongs to the caller (storage/log.ts), so it is
  // copied (`new Uint8Array(buffer)` copies; a Buffer's slice() would be a view).
  const payload = new Uint8Array(data);
  return key === undefined ? { position, payload } : { position, payload, idempotencyKey: key };
}
