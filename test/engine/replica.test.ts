// A read replica (engine/replica.ts) beside an engine on the same stores, asked directly
// with the shard reads a coordinator would send: it answers exactly what the engine
// answers at the same snapshot, follows the log without being told, and refuses
// (REPLICA_BEHIND) what its copy cannot answer exactly: another catalog version, or a
// snapshot older than a compaction it holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus, ReadReplica } from '../../src/engine/index.js';
import type { ShardReadReq } from '../../src/gateway/index.js';
import { FsObjectStore, LocalMetaStore } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { WalLogStore } from '../../src/wal/index.js';
import { isElanusError } from '../../src/errors/index.js';
import { basicRows, countOf, createBasic } from './helpers.js';

const limits = { backgroundIntervalMs: 0, interimIndexRows: 0, compactionSmallRowsMax: 1_000_000, compactionDeletedRatioMin: 0.01 };

test('a read replica answers as the engine does, follows its log, and refuses another catalog or a snapshot older than a compaction', async () => {
  const fs = new FaultFileSystem({ seed: 11 });
  const meta = await LocalMetaStore.open({ fs, dir: '/etcd/meta', txnOpsMax: 10_000 });
  const log = await WalLogStore.open({ fs, dir: '/jetstream/log' });
  const objects = await FsObjectStore.open({ fs, dir: '/s3/bucket' });
  const db = await Elanus.start({ meta, log, objects, probeWritable: async () => undefined, release: async () => undefined }, { limits });
  let replica: ReadReplica | undefined;
  try {
    await createBasic(db, 'c');
    await db.insert({ collection_name: 'c', data: basicRows(0, 200) });
    await db.flushSync({ collection_names: ['c'] });
    const old = db.allocTimestamp();
    await db.delete({ collection_name: 'c', filter: 'id < 100' });
    await db.flushSync({ collection_names: ['c'] });
    await db.insert({ collection_name: 'c', data: basicRows(200, 230) });

    replica = await ReadReplica.open({ node: 'r', meta, log, objects, limits });
    const id = db.collectionMeta({ collection_name: 'c' }).id;
    const version = (await meta.get('catalog/version'))!.value;
    const req = (at: bigint, over: Partial<ShardReadReq> = {}): ShardReadReq => ({
      db_name: 'default', collection_name: 'c', collectionId: id, shards: [0], at, since: 0n, waitApplied: true,
      partitions: undefined, filter: { kind: 'all' }, catalogVersion: Number(version), ...over,
    });
    assert.equal(await replica.countShards(req(db.allocTimestamp())), 130);
    assert.equal(await countOf(db, 'c'), 130);
    assert.equal(await replica.countShards(req(old)), 200, 'an older snapshot, before any compaction: the deleted rows are still visible at it');

    // Written after the copy was read: the replica applies the log before it answers.
    await db.insert({ collection_name: 'c', data: basicRows(230, 240) });
    await db.delete({ collection_name: 'c', filter: 'id in [100, 101]' });
    assert.equal(await replica.countShards(req(db.allocTimestamp())), 138);
    // As the coordinator asks: up to the log position it has applied, with no request for the log's end.
    await db.insert({ collection_name: 'c', data: basicRows(240, 245) });
    const logEnds = [db.logLag({ collection_name: 'c' })[0]!.endOffset];
    assert.equal(await replica.countShards(req(db.allocTimestamp(), { logEnds })), 143);

    const refused = (e: unknown) => isElanusError(e, 'REPLICA_BEHIND');
    await assert.rejects(replica.countShards(req(db.allocTimestamp(), { catalogVersion: Number(version) + 1 })), refused, 'a plan against a newer catalog');
    await assert.rejects(replica.countShards(req(db.allocTimestamp(), { catalogVersion: Number(version) - 1 })), refused, 'a plan against an older catalog');

    // A compaction drops the deleted rows; a copy read after it cannot answer for before it.
    const compacted = await db.compact({ collection_name: 'c' });
    assert.ok(compacted.removedRows > 0, 'the compaction dropped deleted rows');
    await replica.close();
    replica = await ReadReplica.open({ node: 'r', meta, log, objects, limits });
    await assert.rejects(replica.countShards(req(old)), refused, 'a snapshot older than the compaction the copy holds');
    assert.equal(await replica.countShards(req(db.allocTimestamp())), 143, 'a current snapshot is answered');
  } finally {
    await replica?.close();
    await db.close();
  }
});
