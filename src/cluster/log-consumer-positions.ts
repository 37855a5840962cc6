// Consumer positions of the JetStream LogStore, kept in the cluster's MetaStore (etcd):
// one key per (stream, consumer), `log/<namespace>/consumers/<stream>/<consumer>`, its
// value the position as decimal text. Why not JetStream: a durable consumer's position is
// its ack floor, which moves only by delivering and acking messages, while the contract's
// commit sets a position directly; and DESIGN.md keeps metadata that needs
// compare-and-set on etcd, whose transactions make create-once and forward-only exact
// (JetStream 2.9's KV compare-and-set is not trusted for it).
//
// Stream names hold no '/', so `…/<stream>/` is a prefix of that stream's consumers only.
import { ElanusError } from '../errors/index.js';
import type { MetaStore } from '../storage/index.js';

/** Compare-and-set attempts of one commit before it gives up (each loses only to another writer). */
const casAttemptsMax = 16;

export class ConsumerPositions {
  constructor(
    private readonly meta: MetaStore,
    private readonly namespace: string,
  ) {}

  private prefix(stream: string): string {
    return `log/${this.namespace}/consumers/${stream}/`;
  }

  private key(stream: string, consumer: string): string {
    return this.prefix(stream) + consumer;
  }

  async create(stream: string, consumer: string, position: number): Promise<void> {
    const key = this.key(stream, consumer);
    const r = await this.meta.txn({ compare: [{ key, target: 'exists', value: false }], success: [{ op: 'put', key, value: String(position) }] });
    if (!r.succeeded) throw new ElanusError('CONSUMER_GROUP_ALREADY_EXISTS', { topic: stream, group: consumer });
  }

  async get(stream: string, consumer: string): Promise<{ position: number; revision: number }> {
    const kv = await this.meta.get(this.key(stream, consumer));
    if (kv === undefined) throw new ElanusError('CONSUMER_GROUP_NOT_FOUND', { topic: stream, group: consumer });
    const position = Number(kv.value);
    if (!/^\d+$/.test(kv.value) || !Number.isSafeInteger(position)) {
      throw new ElanusError('CORRUPT_DATA', { path: `metadata key ${kv.key}`, offset: kv.modRevision, detail: `not a position: ${kv.value.slice(0, 40)}` });
    }
    return { position, revision: kv.modRevision };
  }

  /** Moves forward to `position` (<= the stream's end, checked by the caller); backwards is INVALID_ARGUMENT. */
  async commit(stream: string, consumer: string, position: number): Promise<void> {
    const key = this.key(stream, consumer);
    for (let attempt = 1; ; attempt++) {
      const cur = await this.get(stream, consumer);
      if (position < cur.position) {
        throw new ElanusError('INVALID_ARGUMENT', { detail: `consumer "${consumer}" of "${stream}" is at ${cur.position}; a commit moves forward only, got ${position}` });
      }
      if (position === cur.position) return;
      const r = await this.meta.txn({ compare: [{ key, target: 'modRevision', op: '=', value: cur.revision }], success: [{ op: 'put', key, value: String(position) }] });
      if (r.succeeded) return;
      // Another writer moved it (or dropped it) between the read and the write: read again.
      if (attempt >= casAttemptsMax) {
        throw new ElanusError('STORE_UNAVAILABLE', { store: 'metadata store', endpoint: key, detail: `consumer "${consumer}" of "${stream}" moved under each of ${casAttemptsMax} commits; retry` });
      }
    }
  }

  async drop(stream: string, consumer: string): Promise<void> {
    const key = this.key(stream, consumer);
    const r = await this.meta.txn({ compare: [{ key, target: 'exists', value: true }], success: [{ op: 'delete', key }] });
    if (!r.succeeded) throw new ElanusError('CONSUMER_GROUP_NOT_FOUND', { topic: stream, group: consumer });
  }

  async list(stream: string): Promise<string[]> {
    const prefix = this.prefix(stream);
    const out: string[] = [];
    for (let after: string | undefined; ;) {
      const page = await this.meta.range(prefix, after === undefined ? {} : { startAfter: after });
      for (const kv of page.kvs) out.push(kv.key.slice(prefix.length));
      if (!page.more || page.kvs.length === 0) break;
      after = page.kvs[page.kvs.length - 1]!.key;
    }
    return out.sort();
  }

  /** Removes every consumer of a stream (dropStream). */
  async dropAll(stream: string): Promise<void> {
    await this.meta.txn({ success: [{ op: 'deletePrefix', prefix: this.prefix(stream) }] });
  }
}
