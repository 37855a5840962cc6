// The MetaStore suite against the embedded implementation: on a real folder, and on the
// fault-injecting file system where every restart is a power loss and the storage can
// die mid-write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isElanusError } from '../../src/errors/index.js';
import { LocalMetaStore, NodeFileSystem, joinPath, leaseRetryMs, type MetaStore } from '../../src/storage/index.js';
import { FaultFileSystem, SimulatedClock } from '../../src/testing/index.js';
import { metaStoreConformance } from './conformance/meta-store.js';

metaStoreConformance('LocalMetaStore on NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'elanus-meta-'));
  const fs = new NodeFileSystem();
  const clock = new SimulatedClock();
  const open = () => LocalMetaStore.open({ fs, dir: joinPath(root, 'meta'), clock });
  return {
    open,
    reopen: async (s: MetaStore) => {
      await s.close();
      return open();
    },
    advance: (ms: number) => clock.advance(ms),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

let seed = 1;
metaStoreConformance('LocalMetaStore on FaultFileSystem (power loss at every restart)', async () => {
  const fs = new FaultFileSystem({ seed: seed++ });
  const clock = new SimulatedClock();
  // A small journal, so that snapshots are taken (and survive power loss) too.
  const open = () => LocalMetaStore.open({ fs, dir: '/data/meta', clock, journalBytesMax: 4096 });
  return {
    open,
    reopen: async (s: MetaStore) => {
      fs.powerLoss();
      // The old store's files died with the power; closing it stops its timers.
      await s.close().catch(() => undefined);
      return open();
    },
    advance: (ms: number) => clock.advance(ms),
    crashAfter: (ops: number) => fs.crashAfter(ops),
    cleanup: async () => undefined,
  };
});

test('LocalMetaStore: history is bounded; a watcher that fell out of it fails with COMPACTED, then can start over', async () => {
  const fs = new FaultFileSystem();
  const store = await LocalMetaStore.open({ fs, dir: '/m', watchRevisionsMax: 3 });
  try {
    const slow = await store.watch('k/');
    const r1 = await store.put('k/a', '1');
    for (let i = 0; i < 4; i++) await store.put('k/a', String(i + 2));
    await assert.rejects(slow.next(), (e: unknown) => isElanusError(e, 'COMPACTED') && e.details.revision === r1 && e.details.oldest === r1 + 2);
    await assert.rejects(store.watch('k/', { fromRevision: r1 }), (e: unknown) => isElanusError(e, 'COMPACTED'));
    const again = await store.watch('k/', { fromRevision: r1 + 2 });
    assert.equal((await again.next())?.revision, r1 + 2);
    again.close();
    slow.close();
    // By bytes: one large value pushes the older revisions out.
    const small = await LocalMetaStore.open({ fs, dir: '/m2', watchHistoryBytesMax: 4096 });
    const first = await small.put('x', 'a');
    await small.put('y', 'b'.repeat(4096));
    await assert.rejects(small.watch('', { fromRevision: first }), (e: unknown) => isElanusError(e, 'COMPACTED'));
    await small.close();
  } finally {
    await store.close();
  }
});

test('LocalMetaStore: a lease whose expiry cannot be written keeps its keys and is revoked once the volume heals', async () => {
  const fs = new FaultFileSystem();
  const clock = new SimulatedClock();
  const store = await LocalMetaStore.open({ fs, dir: '/m', clock });
  try {
    const lease = await store.grantLease(1000);
    await store.put('l/a', '1', { lease });
    fs.setFault({ errno: 'EIO' });
    clock.advance(1000);
    // The revoke failed: the key stays, the lease takes nothing new.
    for (let i = 0; i < 50 && clock.pending === 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(clock.pending, 1, 'a retry of the revoke is scheduled');
    assert.equal((await store.get('l/a'))?.value, '1');
    await assert.rejects(store.keepAlive(lease), (e: unknown) => isElanusError(e, 'LEASE_NOT_FOUND'));
    fs.clearFault();
    const w = await store.watch('l/');
    clock.advance(leaseRetryMs);
    assert.deepEqual((await w.next())?.events.map((e) => [e.type, e.kv.key]), [['delete', 'l/a']]);
    w.close();
  } finally {
    await store.close();
  }
});
