// The ObjectStore suite against the embedded implementation: on a real folder, and on
// the fault-injecting file system where every restart is a power loss and the storage
// can die mid-write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore, NodeFileSystem, joinPath, type ObjectStore } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { objectStoreConformance } from './conformance/object-store.js';

objectStoreConformance('FsObjectStore on NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'elanus-objects-'));
  const fs = new NodeFileSystem();
  const open = () => FsObjectStore.open({ fs, dir: joinPath(root, 'objects') });
  return {
    open,
    reopen: async (s: ObjectStore) => {
      await s.close();
      return open();
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

let seed = 1;
objectStoreConformance('FsObjectStore on FaultFileSystem (power loss at every restart)', async () => {
  const fs = new FaultFileSystem({ seed: seed++ });
  const open = () => FsObjectStore.open({ fs, dir: '/data/objects' });
  return {
    open,
    reopen: async (s: ObjectStore) => {
      fs.powerLoss();
      await s.close().catch(() => undefined);
      return open();
    },
    crashAfter: (ops: number) => fs.crashAfter(ops),
    cleanup: async () => undefined,
  };
});

test('FsObjectStore: files stay inside its folder, temporaries of a crash are removed at open, damage is CORRUPT_DATA', async () => {
  const root = await mkdtemp(join(tmpdir(), 'elanus-objects-'));
  try {
    const fs = new NodeFileSystem();
    const dir = joinPath(root, 'store');
    let store = await FsObjectStore.open({ fs, dir });
    await store.put('seg/1/data', new Uint8Array([1, 2, 3]));
    await fs.writeFile(joinPath(dir, 'objects', '.tmp-99'), new Uint8Array([9]));
    await store.close();
    store = await FsObjectStore.open({ fs, dir });
    assert.deepEqual(await readdir(join(dir, 'objects')), ['seg~1~data']);
    assert.deepEqual((await readdir(root)).sort(), ['store']);
    // A flipped byte in the object's body: get checks the checksum.
    const path = joinPath(dir, 'objects', 'seg~1~data');
    const raw = await fs.readFile(path);
    raw[raw.length - 1] ^= 0xff;
    await fs.writeFile(path, raw);
    await assert.rejects(store.get('seg/1/data'), { code: 'CORRUPT_DATA' });
    await fs.writeFile(path, raw.subarray(0, 10));
    await assert.rejects(store.head('seg/1/data'), { code: 'CORRUPT_DATA' });
    await store.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
