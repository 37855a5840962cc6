// The data/query role's write side (gateway/roles.ts ShardWriter): a shard's record is
// checked and encoded, then appended to the shard's log and applied (segments/shard.ts).
// A role of the embedded engine (engine/README.md): its state is the engine core's,
// shared with the other roles; it reaches them only through core.roles.
import { assert, fail } from '../errors/index.js';
import type { PreparedWrite, ShardWriter } from '../gateway/roles.js';
import type { PkKey } from '../segments/pk.js';
import type { LogRecord } from '../segments/records.js';
import type { Shard, StoredRow } from '../segments/shard.js';
import type { EngineCore } from './core.js';

export class ShardWrites implements ShardWriter {
  constructor(private readonly core: EngineCore) {}

  prepare(collectionId: number, shard: number, record: LogRecord): PreparedWrite {
    const { payload } = this.shard(collectionId, shard).prepare(record);
    return { collectionId, shard, record, payload };
  }

  submit(write: PreparedWrite): Promise<void> {
    return this.shard(write.collectionId, write.shard).submit({ record: write.record, payload: write.payload });
  }

  latestRows(collectionId: number, shard: number, pks: readonly PkKey[]): ReadonlyArray<StoredRow | undefined> {
    return this.shard(collectionId, shard).latestRows(pks);
  }

  private shard(collectionId: number, index: number): Shard {
    const data = this.core.data.get(collectionId);
    // The gateway checked the collection in the same synchronous step.
    if (!data) fail('COLLECTION_NOT_FOUND', { name: String(collectionId), db: '' });
    const s = data.shards[index];
    assert(s !== undefined, 'a write names a shard of its collection');
    return s;
  }
}
