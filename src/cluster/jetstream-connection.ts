// The connection to a NATS server (or cluster) for the JetStream LogStore: its options,
// connecting with a deadline, and what the client's errors mean as coded errors. An
// unreachable server is STORE_UNAVAILABLE (retryable) at once, never a hang: the client
// tries each server once at open, and every request after that has a timeout.
import { connect, errors, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { ElanusError } from '../errors/index.js';
import type { MetaStore } from '../storage/index.js';

export interface JetStreamLogStoreOptions {
  /** Client URLs (nats://host:port or tls://host:port), any number of a cluster's servers. */
  readonly servers: readonly string[];
  /** Prefix of every JetStream name this store makes (jetstream-names.ts); streams() lists only these. */
  readonly namespace: string;
  /**
   * Where consumer positions live (log-consumer-positions.ts): the cluster's MetaStore
   * (etcd), not owned — close() leaves it open.
   */
  readonly positions: MetaStore;
  /** Copies of each stream: 1, or 3 on a cluster. Default 1. */
  readonly replicas?: 1 | 3;
  /** TLS: the CA that signed the server, and a client certificate where the server asks for one. */
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Credentials: a user and password, or a token. */
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** How long open waits for a server. Default 5,000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long one request (a publish, an info, a read) waits for its answer. Default 5,000 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * How long an operation that finds no server to answer it (a timeout, a stream leader
   * being elected) is tried again before it fails with STORE_UNAVAILABLE: an append in
   * doubt (jetstream-append.ts), and the reads and writes that are safe to repeat.
   * Default 30,000 ms.
   */
  readonly retryMs?: number;
  /** Records of a stream within which a repeated idempotency key is a duplicate. Default 10,000. */
  readonly dedupeWindowRecords?: number;
  /** JetStream's own dedupe window for new streams (duplicate_window). Default 120,000 ms. */
  readonly duplicateWindowMs?: number;
}

export const storeName = 'NATS JetStream server';

export interface Connection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly endpoint: string;
}

export function unavailable(endpoint: string, detail: string, cause?: unknown): ElanusError {
  return new ElanusError('STORE_UNAVAILABLE', { store: storeName, endpoint, detail }, { cause });
}

export async function connectJetStream(opts: JetStreamLogStoreOptions): Promise<Connection> {
  const endpoint = opts.servers.join(',');
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...opts.servers],
      name: 'elanus',
      timeout: opts.connectTimeoutMs ?? 5000,
      // After the first connection, keep trying: requests time out meanwhile, and a
      // cluster's other servers take over.
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      ...(opts.user !== undefined ? { user: opts.user, pass: opts.password ?? '' } : {}),
      ...(opts.token !== undefined ? { token: opts.token } : {}),
      ...(opts.tls !== undefined ? { tls: { ...opts.tls } } : {}),
    });
  } catch (e) {
    throw unavailable(endpoint, e instanceof Error ? e.message : String(e), e);
  }
  try {
    const timeout = opts.requestTimeoutMs ?? 5000;
    const jsm = await jetstreamManager(nc, { timeout });
    return { nc, js: jetstream(nc, { timeout }), jsm, endpoint };
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw unavailable(endpoint, `JetStream is not available: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

/** JetStream's code for a stream that does not exist. */
export const streamNotFoundCode = 10059;
/** A publish whose Nats-Expected-Last-Sequence (or a KV create's expectation) did not hold. */
export const wrongLastSequenceCode = 10071;

export function apiCode(e: unknown): number | undefined {
  return e instanceof JetStreamApiError ? e.code : undefined;
}

/**
 * Whether a STORE_UNAVAILABLE may pass by itself: no answer in time, nobody listening
 * (a stream leader being elected), a lost connection, or the server's 5xx ("JetStream
 * system temporarily unavailable"). A 4xx refusal will be refused again.
 */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof ElanusError) || e.code !== 'STORE_UNAVAILABLE') return false;
  const cause = e.cause;
  if (cause instanceof JetStreamApiError) return cause.status >= 500;
  return cause === undefined || cause instanceof errors.TimeoutError || cause instanceof errors.NoRespondersError || cause instanceof errors.RequestError
    || cause instanceof errors.ConnectionError || (cause instanceof Error && /timeout/i.test(cause.message));
}

/**
 * A client error as a coded one: a missing stream is TOPIC_NOT_FOUND (when the caller
 * names it), a closed connection CLOSED, and the rest (timeouts, lost connections, the
 * server's refusals) STORE_UNAVAILABLE, which a retry may cure.
 */
export function toStoreError(e: unknown, endpoint: string, topic?: string): ElanusError {
  if (e instanceof ElanusError) return e;
  if (topic !== undefined && apiCode(e) === streamNotFoundCode) return new ElanusError('TOPIC_NOT_FOUND', { topic });
  if (e instanceof errors.ClosedConnectionError || e instanceof errors.DrainingConnectionError) return new ElanusError('CLOSED', {}, { cause: e });
  return unavailable(endpoint, e instanceof Error ? e.message : String(e), e);
}
