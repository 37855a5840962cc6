// The LogStore suite against the embedded implementation (wal/'s adapter): on a real
// folder, and on the fault-injecting file system where every restart is a power loss
// and the storage can die mid-write. Segment files are small, so that truncation (which
// removes whole files) has files to remove.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSystem, joinPath, type LogStore } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { WalLogStore } from '../../src/wal/index.js';
import { logStoreConformance } from './conformance/log-store.js';

const segmentBytesMax = 256;

logStoreConformance('WalLogStore on NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'elanus-log-'));
  const fs = new NodeFileSystem();
  const open = () => WalLogStore.open({ fs, dir: joinPath(root, 'log'), segmentBytesMax });
  return {
    open,
    reopen: async (s: LogStore) => {
      await s.close();
      return open();
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

let seed = 1;
logStoreConformance('WalLogStore on FaultFileSystem (power loss at every restart)', async () => {
  const fs = new FaultFileSystem({ seed: seed++ });
  const open = () => WalLogStore.open({ fs, dir: '/data/log', segmentBytesMax, batchBytesMax: 128 });
  return {
    open,
    reopen: async (s: LogStore) => {
      fs.powerLoss();
      await s.close().catch(() => undefined);
      return open();
    },
    crashAfter: (ops: number) => fs.crashAfter(ops),
    cleanup: async () => undefined,
  };
});
