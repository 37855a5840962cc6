// Consumer positions of the JetStream LogStore, in one JetStream KV bucket per namespace
// (jetstream-names.ts): a key per (stream, consumer), its value the position as decimal
// text. A KV write is acknowledged once the bucket's stream stored it on its replicas, as
// an append is. Why KV and not JetStream's durable consumers: a durable consumer's
// position is its ack floor, which moves only by delivering and acking messages; the
// contract's commit sets a position directly, and KV's compare-and-set (a write that
// expects the key's last revision) makes create-once and forward-only exact.
import { type KV } from '@nats-io/kv';
import type { JetStreamManager } from '@nats-io/jetstream';
import { ElanusError } from '../errors/index.js';
import { apiCode, toStoreError, wrongLastSequenceCode } from './jetstream-connection.js';
import type { Names } from './jetstream-names.js';

/** Compare-and-set attempts of one commit before it gives up (each loses only to another writer). */
const casAttemptsMax = 16;

export class ConsumerPositions {
  constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly names: Names,
    private readonly endpoint: string,
  ) {}

  async create(stream: string, consumer: string, position: number): Promise<void> {
    try {
      await this.kv.create(this.names.consumerKey(stream, consumer), String(position));
    } catch (e) {
      if (apiCode(e) === wrongLastSequenceCode) throw new ElanusError('CONSUMER_GROUP_ALREADY_EXISTS', { topic: stream, group: consumer });
      throw toStoreError(e, this.endpoint, stream);
    }
  }

  async get(stream: string, consumer: string): Promise<{ position: number; revision: number }> {
    let entry;
    try {
      entry = await this.kv.get(this.names.consumerKey(stream, consumer));
    } catch (e) {
      throw toStoreError(e, this.endpoint, stream);
    }
    if (entry === null || entry.operation !== 'PUT') throw new ElanusError('CONSUMER_GROUP_NOT_FOUND', { topic: stream, group: consumer });
    const position = Number(entry.string());
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new ElanusError('CORRUPT_DATA', { path: `KV ${this.names.bucket} key ${entry.key}`, offset: entry.revision, detail: `not a position: ${entry.string().slice(0, 40)}` });
    }
    return { position, revision: entry.revision };
  }

  /** Moves forward to `position` (<= `end`, checked by the caller's bounds); backwards is INVALID_ARGUMENT. */
  async commit(stream: string, consumer: string, position: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const cur = await this.get(stream, consumer);
      if (position < cur.position) {
        throw new ElanusError('INVALID_ARGUMENT', { detail: `consumer "${consumer}" of "${stream}" is at ${cur.position}; a commit moves forward only, got ${position}` });
      }
      if (position === cur.position) return;
      try {
        await this.kv.update(this.names.consumerKey(stream, consumer), String(position), cur.revision);
        return;
      } catch (e) {
        // Another writer moved it between the read and the write: read again.
        if (apiCode(e) !== wrongLastSequenceCode || attempt >= casAttemptsMax) throw toStoreError(e, this.endpoint, stream);
      }
    }
  }

  async drop(stream: string, consumer: string): Promise<void> {
    const cur = await this.get(stream, consumer);
    try {
      await this.kv.delete(this.names.consumerKey(stream, consumer), { previousSeq: cur.revision });
    } catch (e) {
      if (apiCode(e) === wrongLastSequenceCode) throw new ElanusError('CONSUMER_GROUP_NOT_FOUND', { topic: stream, group: consumer });
      throw toStoreError(e, this.endpoint, stream);
    }
  }

  async list(stream: string): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const key of await this.kv.keys(this.names.consumerFilter(stream))) out.push(this.names.consumerOf(key));
    } catch (e) {
      throw toStoreError(e, this.endpoint, stream);
    }
    return out.sort();
  }

  /** Removes every consumer of a stream, tombstones and all (dropStream). */
  async dropAll(stream: string): Promise<void> {
    const bucketStream = `KV_${this.names.bucket}`;
    try {
      await this.jsm.streams.purge(bucketStream, { filter: `$KV.${this.names.bucket}.${this.names.consumerFilter(stream)}` });
    } catch (e) {
      throw toStoreError(e, this.endpoint);
    }
  }
}
