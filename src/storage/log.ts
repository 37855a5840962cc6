// The LogStore interface: named streams of records with durable consumer positions,
// modelled on NATS JetStream, which is the log in cluster mode (DESIGN.md). The embedded
// implementation is wal/log-store.ts (an adapter over wal/'s Wal: storage/ may not import
// wal/); every implementation passes test/storage/conformance/log-store.ts.
//
// What it promises:
// - Positions are integers >= 0, assigned densely in append order per stream (JetStream
//   starts at 1, the embedded log at 0: callers use the positions they are given).
// - append is durable when its promise resolves, and appends resolve in position order.
//   The position is taken when append is called: two appends called one after the
//   other get positions in that order (the engine's log order is its timestamps' order).
// - A failed append leaves nothing behind it: every append to the stream called after
//   it and not yet durable fails too, so a reader never finds a record past a gap that
//   a writer was told failed (the engine's memory and its log then agree on what exists).
// - An append that repeats the idempotency key of a recent append stores nothing and
//   resolves with the first append's position (JetStream's Nats-Msg-Id). "Recent" is
//   the implementation's dedupe window (logDedupe below states the embedded one's);
//   every implementation keeps at least the last `dedupeWindowRecordsMin` records'
//   keys, across a restart too. An append repeating a key whose first append is still
//   in flight shares that append's outcome.
// - A consumer is a named, durable position on a stream: the next position it will
//   read. commit moves it forward only.
// - truncate(before) removes records below `before`, or fewer: an implementation may
//   keep more (whole files; what a consumer has not committed). Reads below the first
//   kept position fail with OFFSET_TRUNCATED.

import { ElanusError } from '../errors/index.js';

export interface LogEntry {
  readonly position: number;
  readonly payload: Uint8Array;
  /** The idempotency key it was appended with, if any. */
  readonly idempotencyKey?: string;
}

export type ConsumerStart = 'earliest' | 'latest' | number;

export interface LogBounds {
  /** The first position still stored (the end, when nothing is). */
  readonly first: number;
  /** One past the last durable position: the next append's position when none is in flight. */
  readonly end: number;
}

export interface LogStore {
  /** The largest payload append takes; a larger one is BATCH_TOO_LARGE. */
  readonly payloadBytesMax: number;
  /** Creates a stream durably. Idempotent. */
  createStream(stream: string): Promise<void>;
  /** Removes a stream, its records and its consumers. TOPIC_NOT_FOUND when missing. */
  dropStream(stream: string): Promise<void>;
  /** Streams that exist, sorted. */
  streams(): Promise<string[]>;
  /** Appends one record; resolves with its position once durable. */
  append(stream: string, payload: Uint8Array, opts?: { readonly idempotencyKey?: string }): Promise<number>;
  /** Up to `max` durable records from position `from` (fewer at the end, or past the read size limit). */
  read(stream: string, from: number, max: number): Promise<LogEntry[]>;
  bounds(stream: string): Promise<LogBounds>;
  /** Creates a consumer durably; CONSUMER_GROUP_ALREADY_EXISTS when the name is taken. */
  createConsumer(stream: string, consumer: string, start: ConsumerStart): Promise<void>;
  dropConsumer(stream: string, consumer: string): Promise<void>;
  consumers(stream: string): Promise<string[]>;
  /** The consumer's durable position: the next position it will read. */
  position(stream: string, consumer: string): Promise<number>;
  /** Moves the consumer's position forward to `position`, durably; backwards is INVALID_ARGUMENT. */
  commit(stream: string, consumer: string, position: number): Promise<void>;
  /** Removes records below `before` (or fewer, see above); resolves with the new first position. */
  truncate(stream: string, before: number): Promise<number>;
  /** Idempotent. Appends in flight finish or fail with CLOSED; later calls fail with CLOSED. */
  close(): Promise<void>;
}

export const logLimits = Object.freeze({
  /** Bytes of an idempotency key (UTF-8); NATS headers allow more, no producer needs it. */
  idempotencyKeyBytesMax: 128,
  /** Every implementation dedupes a key repeated within at least this many records of a stream. */
  dedupeWindowRecordsMin: 1000,
  /** Records one read returns. */
  readRecordsMax: 10_000,
});

/**
 * Checks an idempotency key as every implementation must (non-empty, well-formed text,
 * at most idempotencyKeyBytesMax bytes); resolves with its UTF-8 bytes.
 */
export function idempotencyKeyBytes(key: unknown): Uint8Array {
  const invalid = (detail: string) => new ElanusError('INVALID_ARGUMENT', { detail });
  if (typeof key !== 'string' || key.length === 0) throw invalid('an idempotency key must be a non-empty string');
  // Lone surrogates encode as U+FFFD: such a key does not read back as itself.
  const bytes = new TextEncoder().encode(key);
  if (bytes.length > logLimits.idempotencyKeyBytesMax || new TextDecoder().decode(bytes) !== key) {
    throw invalid(`an idempotency key must be well-formed text of at most ${logLimits.idempotencyKeyBytesMax} bytes`);
  }
  return bytes;
}
