// The MetaStore suite against the embedded implementation: on a real folder, and on the
// fault-injecting file system where every restart is a power loss and the storage can
// die mid-write.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMetaStore, NodeFileSystem, joinPath, type MetaStore } from '../../src/storage/index.js';
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
