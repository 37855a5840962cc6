// The ObjectStore suite against the embedded implementation: on a real folder, and on
// the fault-injecting file system where every restart is a power loss and the storage
// can die mid-write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore, NodeFileSystem, importFolder, joinPath, mkdirDurable, writeFileDurable, type ObjectStore } from '../../src/storage/index.js';
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

test('FsObjectStore: a put\'s temporary file carries the object\'s name; a damaged file is still listed, and its head and get are CORRUPT_DATA', async () => {
  const fs = new FaultFileSystem({ seed: 5 });
  const store = await FsObjectStore.open({ fs, dir: '/s' });
  try {
    const seen: string[] = [];
    // Every put goes through a temporary whose name says which object it will be.
    fs.setFault({ errno: 'EIO', ops: ['write'], where: (p) => { seen.push(p); return p.includes('seg~1~a.vidx'); } });
    await assert.rejects(store.put('seg/1/a.vidx', new Uint8Array([1])), { code: 'STORAGE_IO' });
    await store.put('seg/1/b.seg', new Uint8Array([2]));
    fs.clearFault();
    assert.ok(seen.some((p) => /\/\.tmp-\d+-seg~1~a\.vidx$/.test(p)), seen.join(' '));
    assert.deepEqual((await store.list('')).objects, [{ key: 'seg/1/b.seg', size: 1 }]);
    await fs.writeFile('/s/objects/seg~1~c.seg', new Uint8Array([1, 2, 3]));
    assert.deepEqual((await store.list('seg/1/')).objects.map((o) => o.key), ['seg/1/b.seg', 'seg/1/c.seg']);
    await assert.rejects(store.head('seg/1/c.seg'), { code: 'CORRUPT_DATA' });
    await assert.rejects(store.get('seg/1/c.seg'), { code: 'CORRUPT_DATA' });
    await store.delete('seg/1/c.seg');
    assert.deepEqual((await store.list('seg/1/')).objects.map((o) => o.key), ['seg/1/b.seg']);
  } finally {
    await store.close();
  }
});

test('importFolder moves a folder of folders of files into the store under a prefix, removes it, and is run again after a power loss at any step', async () => {
  const files: Record<string, string> = { '12/1.seg': 'one', '12/2.3.vidx': 'index', '12/L0-0-4.del': 'deletes', '13/5.seg': 'five', '13/.hidden': 'not a key' };
  const build = async (seed: number) => {
    const fs = new FaultFileSystem({ seed });
    for (const [rel, text] of Object.entries(files)) {
      await mkdirDurable(fs, `/d/segments/${rel.split('/')[0]}`);
      await writeFileDurable(fs, `/d/segments/${rel}`, new TextEncoder().encode(text));
    }
    return fs;
  };
  const want = Object.entries(files).filter(([rel]) => !rel.includes('/.')).map(([rel, text]) => [`segments/${rel}`, text]).sort();
  const check = async (fs: FaultFileSystem, where: string) => {
    const store = await FsObjectStore.open({ fs, dir: '/d/objects' });
    try {
      const r = await importFolder(fs, '/d/segments', store, 'segments/');
      const got: string[][] = [];
      for (const { key } of (await store.list('')).objects) got.push([key, new TextDecoder().decode(await store.get(key))]);
      assert.deepEqual(got, want, where);
      assert.equal(await fs.exists('/d/segments'), false, where);
      return r;
    } finally {
      await store.close();
    }
  };
  const first = await check(await build(1), 'no crash');
  assert.deepEqual([first.imported.length, first.dropped], [4, ['segments/13/.hidden']]);
  for (let ops = 0; ; ops++) {
    const fs = await build(ops + 2);
    const store = await FsObjectStore.open({ fs, dir: '/d/objects' });
    fs.crashAfter(ops);
    const done = await importFolder(fs, '/d/segments', store, 'segments/').then(() => true, () => false);
    await store.close().catch(() => undefined);
    fs.powerLoss();
    await check(fs, `crash after ${ops} operations`);
    if (done) break;
  }
});
