// Dropping or truncating a collection is one small metadata transaction however much the
// collection holds: its segments, delete files and checkpoints go by prefix (one
// operation each), within etcd's 128 operations per transaction (cluster mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Elanus } from '../../src/engine/index.js';
import type { MetaTxnRequest } from '../../src/storage/index.js';
import { createBasic, basicRows, openEngine, range } from './helpers.js';

/** Records the operations of every transaction the engine's metadata store commits. */
function spyTxns(db: Elanus): number[] {
  const store = (db as unknown as { core: { meta: { store: { txn(r: MetaTxnRequest): Promise<unknown> } } } }).core.meta.store;
  const sizes: number[] = [];
  const txn = store.txn.bind(store);
  store.txn = (r: MetaTxnRequest) => {
    sizes.push((r.success?.length ?? 0) + (r.compare?.length ?? 0));
    return txn(r);
  };
  return sizes;
}

function keysUnder(db: Elanus, prefix: string): string[] {
  return (db as unknown as { core: { meta: { scan(p: string): Array<[string, unknown]> } } }).core.meta.scan(prefix).map(([k]) => k);
}

async function manySegments(db: Elanus, name: string): Promise<number> {
  await createBasic(db, name, { load: true });
  for (let b = 0; b < 150; b++) {
    await db.insert({ collection_name: name, data: basicRows(b * 2, b * 2 + 2) });
    await db.flush({ collection_names: [name] });
  }
  await db.delete({ collection_name: name, ids: range(0, 300).filter((i) => i % 7 === 0) });
  await db.flush({ collection_names: [name] });
  return db.collectionMeta({ collection_name: name }).id;
}

test('drop and truncate of a collection with 150 segments commit one transaction of a few operations', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    const id = await manySegments(h.db, 'c');
    const segs = keysUnder(h.db, `seg/${id}/`).length;
    assert.ok(segs >= 150, `${segs} segments`);
    assert.ok(keysUnder(h.db, `l0/${id}/`).length > 0, 'delete files');
    let sizes = spyTxns(h.db);
    await h.db.truncateCollection({ collection_name: 'c' });
    assert.deepEqual(keysUnder(h.db, `seg/${id}/`), []);
    assert.deepEqual(keysUnder(h.db, `l0/${id}/`), []);
    assert.ok(sizes.length >= 1 && Math.max(...sizes) <= 8, `truncate's transactions: ${sizes.join(', ')} operations`);
    assert.equal((await h.db.count({ collection_name: 'c', consistency_level: 'Strong' })).data, 0);

    const id2 = await manySegments(h.db, 'd');
    sizes = spyTxns(h.db);
    await h.db.dropCollection({ collection_name: 'd' });
    assert.ok(sizes.length >= 1 && Math.max(...sizes) <= 8, `drop's transactions: ${sizes.join(', ')} operations`);
    for (const p of [`seg/${id2}/`, `l0/${id2}/`, `ckpt/${id2}/`]) assert.deepEqual(keysUnder(h.db, p), [], p);
    // Nothing of either comes back after a restart.
    const db = await h.reopen();
    assert.deepEqual(keysUnder(db, `seg/${id2}/`), []);
    assert.equal((await db.hasCollection({ collection_name: 'd' })).value, false);
    assert.equal((await db.count({ collection_name: 'c', consistency_level: 'Strong' })).data, 0);
    await db.insert({ collection_name: 'c', data: basicRows(0, 5) });
    assert.equal((await db.count({ collection_name: 'c', consistency_level: 'Strong' })).data, 5);
  } finally {
    await h.dispose();
  }
});
