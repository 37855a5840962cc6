// An engine started on stores it is given (Elanus.start), as cluster mode starts one on
// etcd, JetStream and S3: no data folder of its own. Here the three stores are the
// embedded ones in three unrelated places of a fault-injecting file system, so a restart
// can be a power loss; what the engine needs from a store is only its interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus, type EngineStores } from '../../src/engine/index.js';
import { FsObjectStore, LocalMetaStore } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { WalLogStore } from '../../src/wal/index.js';
import { isElanusError } from '../../src/errors/index.js';
import { basicRows, countOf, createBasic } from './helpers.js';

const limits = { backgroundIntervalMs: 0, interimIndexRows: 0 };

/** The embedded stores at /etcd, /jetstream and /s3 of `fs`; counts what the engine released. */
async function storesOn(fs: FaultFileSystem, released: { n: number }): Promise<EngineStores> {
  const meta = await LocalMetaStore.open({ fs, dir: '/etcd/meta', txnOpsMax: 10_000 });
  const log = await WalLogStore.open({ fs, dir: '/jetstream/log' });
  const objects = await FsObjectStore.open({ fs, dir: '/s3/bucket' });
  return {
    meta, log, objects,
    probeWritable: async () => undefined,
    release: async () => { released.n++; },
  };
}

test('an engine started on given stores writes to them only, and starts again from them after a power loss', async () => {
  const fs = new FaultFileSystem({ seed: 3 });
  const released = { n: 0 };
  let db = await Elanus.start(await storesOn(fs, released), { limits });
  await createBasic(db, 'c');
  await db.insert({ collection_name: 'c', data: basicRows(0, 300) });
  await db.flushSync({ collection_names: ['c'] });
  await db.insert({ collection_name: 'c', data: basicRows(300, 400) });
  await db.delete({ collection_name: 'c', filter: 'id < 50' });
  assert.equal(await countOf(db, 'c'), 350);
  const roots = (await fs.readdir('/')).sort();
  assert.deepEqual(roots, ['etcd', 'jetstream', 's3'], 'nothing is written outside the three stores');
  assert.ok((await fs.readdir('/s3/bucket')).length > 0, 'the flushed segment is an object of the object store');

  fs.powerLoss();
  await db.close().catch(() => undefined);
  db = await Elanus.start(await storesOn(fs, released), { limits });
  try {
    assert.equal(await countOf(db, 'c'), 350, 'every acknowledged write is back: the flushed segment, the log past it, the delete');
    const rows = await db.query({ collection_name: 'c', filter: 'id in [49, 50, 399]', output_fields: ['id'] });
    assert.deepEqual(rows.data.map((r) => r.id).sort((a, b) => Number(a) - Number(b)), [50, 399]);
  } finally {
    await db.close();
  }
  assert.equal(released.n, 2, 'each engine released its hold on the stores once, at close');
});

test('an engine that cannot start closes the stores it was given and releases them', async () => {
  const fs = new FaultFileSystem({ seed: 4 });
  const released = { n: 0 };
  const stores = await storesOn(fs, released);
  await stores.meta.close();
  await assert.rejects(Elanus.start(stores, { limits }), (e: unknown) => isElanusError(e, 'CLOSED'));
  assert.equal(released.n, 1);
  await assert.rejects(stores.log.streams(), (e: unknown) => isElanusError(e, 'CLOSED'), 'the log was closed');
  await assert.rejects(stores.objects.list(''), (e: unknown) => isElanusError(e, 'CLOSED'), 'the object store was closed');
});

test('start checks its options before touching the stores', async () => {
  const fs = new FaultFileSystem({ seed: 5 });
  const released = { n: 0 };
  const stores = await storesOn(fs, released);
  await assert.rejects(Elanus.start(stores, { dataNodes: 0 }), (e: unknown) => isElanusError(e, 'INVALID_ARGUMENT'));
  // A refused start has not taken the stores: the caller still owns them.
  assert.equal(released.n, 0);
  assert.deepEqual(await stores.log.streams(), []);
  await stores.log.close();
  await stores.objects.close();
  await stores.meta.close();
});

test('with a fence, a catalog change is refused with NOT_COORDINATOR once the fence no longer holds, and nothing of it is stored', async () => {
  const fs = new FaultFileSystem({ seed: 6 });
  const released = { n: 0 };
  const stores = await storesOn(fs, released);
  const lease = await stores.meta.grantLease(60_000);
  await stores.meta.put('cluster/coordinator', 'node-1', { lease });
  const fenced: EngineStores = { ...stores, metaFence: [{ key: 'cluster/coordinator', target: 'lease', op: '=', value: lease }] };
  const db = await Elanus.start(fenced, { limits });
  try {
    await createBasic(db, 'before');
    // Another node takes the coordinator key (this one's lease ended).
    await stores.meta.revokeLease(lease);
    await stores.meta.put('cluster/coordinator', 'node-2');
    await assert.rejects(createBasic(db, 'after'), (e: unknown) => isElanusError(e, 'NOT_COORDINATOR'));
    const stored = (await stores.meta.range('coll/')).kvs.map((kv) => JSON.parse(kv.value).name);
    assert.deepEqual(stored, ['before'], 'the change made while the fence held is stored, nothing of the refused one');
    assert.equal((await db.hasCollection({ collection_name: 'after' })).value, false, 'nor visible');
  } finally {
    await db.close();
  }
});
