// Data folders written before the ObjectStore (issue 13) keep opening with all their data.
// Those kept segment, L0 delete and index files as `<folder>/segments/<collection>/<file>`,
// each the bytes it now holds as an object under the key `segments/<collection>/<file>`.
// A test makes such a folder by writing those files directly from a folder of today
// (toLegacyLayout), then opens it: every row, every delete and every index file is there,
// the old folder is gone, and leftovers are removed and reported. The move into the store
// is crash-safe: a power loss at every mutating operation of the first open, then another
// open, loses nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus } from '../../src/engine/index.js';
import { type FileSystem, NodeFileSystem, dirname, forEachFrame, joinPath, mkdirDurable, writeFileDurable } from '../../src/storage/index.js';
import { FaultFileSystem, listObjectFiles, readObjectFile } from '../../src/testing/index.js';
import { basicRows, countOf, createBasic, openEngine, range, vec } from './helpers.js';

const hnsw = { index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 32 } } as const;

/** Rewrites a closed engine's folder in the layout before the ObjectStore: each object a file under segments/. */
async function toLegacyLayout(fs: FileSystem, root: string): Promise<string[]> {
  const keys: string[] = [];
  for (const { key } of await listObjectFiles(root, '', fs)) {
    const bytes = await readObjectFile(root, key, fs);
    if (key.endsWith('.seg') || key.endsWith('.del')) forEachFrame(bytes, key, () => undefined);
    const path = joinPath(root, key);
    await mkdirDurable(fs, dirname(path));
    await writeFileDurable(fs, path, bytes);
    keys.push(key);
  }
  await fs.rmdir(joinPath(root, 'objects'));
  await fs.syncDir(root);
  return keys;
}

test('a folder in the layout before the ObjectStore opens with every row, delete and index file; leftovers are removed and reported', async () => {
  const repairs: Array<[string, Record<string, unknown>]> = [];
  const h = await openEngine({ limits: { segmentRowsMax: 100 }, events: { repaired: (kind, detail) => { repairs.push([kind, { ...detail }]); } } });
  const fs = new NodeFileSystem();
  try {
    let db = h.db;
    await createBasic(db, 'c');
    for (const from of [0, 100, 200]) await db.insert({ collection_name: 'c', data: basicRows(from, from + 100) });
    await db.flush({ collection_names: ['c'] });
    await db.createPartition({ collection_name: 'c', partition_name: 'p' });
    await db.insert({ collection_name: 'c', partition_name: 'p', data: basicRows(300, 350) });
    await db.delete({ collection_name: 'c', ids: [1, 2, 3, 320] });
    await db.flush({ collection_names: ['c'] });
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    await db.waitForIndexes();
    const collId = (await db.describeCollection({ collection_name: 'c' })).collectionID;
    const segments = db.segmentInfo({ collection_name: 'c' }).filter((s) => s.state === 'flushed').length;
    assert.equal(segments, 4);
    await db.close();

    const keys = await toLegacyLayout(fs, h.path);
    assert.equal(keys.filter((k) => k.endsWith('.seg')).length, 4);
    assert.equal(keys.filter((k) => k.endsWith('.vidx')).length, 4);
    assert.equal(keys.filter((k) => k.endsWith('.del')).length, 1);
    assert.deepEqual(await listObjectFiles(h.path, '', fs), [], 'the store is gone: only the old layout is left');
    // What a crash left in the old layout: a flush's temporary file, and the folder of a
    // collection whose drop did not finish removing it.
    await fs.writeFile(joinPath(h.path, 'segments', String(collId), '999999.seg.tmp'), new Uint8Array(7));
    await mkdirDurable(fs, joinPath(h.path, 'segments', '888888'));
    await fs.writeFile(joinPath(h.path, 'segments', '888888', '5.seg'), new Uint8Array(9));

    db = await h.reopen();
    assert.equal(await fs.exists(joinPath(h.path, 'segments')), false, 'the old folder is gone');
    assert.deepEqual((await listObjectFiles(h.path, '', fs)).map((o) => o.key), [...keys].sort(), 'every file is an object under its old name; nothing else is');
    assert.deepEqual(repairs.map(([k, d]) => [k, d['count']]), [['orphan-files-removed', 2]]);
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 346);
    assert.equal(await countOf(db, 'c', { partition_names: ['p'] }), 49);
    assert.deepEqual((await db.get({ collection_name: 'c', ids: [1, 2, 3, 4, 320, 321] })).data.map((r) => r['id']).sort((a, b) => Number(a) - Number(b)), [4, 321]);
    const stats = await db.waitForIndexes();
    assert.deepEqual([stats.loaded, stats.built, stats.failed], [4, 0, 0], 'the index files load, none is rebuilt');
    const r = await db.search({ collection_name: 'c', data: vec(77, 4), limit: 1, consistency_level: 'Strong' });
    assert.equal((r.results as Array<Record<string, unknown>>)[0]!['id'], 77);

    // The next open finds nothing to move and nothing to remove.
    db = await h.reopen();
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 346);
    assert.equal(repairs.length, 1);
    assert.deepEqual((await db.waitForIndexes()).built, 0);
  } finally {
    await h.dispose();
  }
});

const limits = { segmentRowsMax: 100, backgroundIntervalMs: 0, interimIndexRows: 0 };

/** A folder in the old layout on a simulated disk: 300 rows in three segments, two deleted, an index. */
async function legacyFolder(seed: number): Promise<FaultFileSystem> {
  const fs = new FaultFileSystem({ seed });
  const db = await Elanus.open({ path: '/data', fs, limits });
  await createBasic(db, 'c');
  for (const from of [0, 100, 200]) await db.insert({ collection_name: 'c', data: basicRows(from, from + 100) });
  await db.delete({ collection_name: 'c', ids: [10, 250] });
  await db.flush({ collection_names: ['c'] });
  await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
  await db.waitForIndexes();
  await db.close();
  await toLegacyLayout(fs, '/data');
  // Only what reached the disk: the old layout is all there is.
  fs.powerLoss();
  return fs;
}

async function checkWhole(db: Elanus, where: string): Promise<void> {
  await db.loadCollection({ collection_name: 'c' });
  assert.equal(await countOf(db, 'c'), 298, where);
  assert.deepEqual((await db.get({ collection_name: 'c', ids: [9, 10, 11, 250] })).data.map((r) => r['id']).sort((a, b) => Number(a) - Number(b)), [9, 11], where);
  const stats = await db.waitForIndexes();
  assert.equal(stats.failed, 0, where);
  const p = await db.getIndexBuildProgress({ collection_name: 'c', field_name: 'vector' });
  assert.equal(p.indexed_rows, p.total_rows, where);
}

test('a power loss at any step of moving the old layout into the store loses nothing: the next open finishes the move', { timeout: 240_000 }, async () => {
  // The mutating operations of an open that moves the folder: a crash is tried before each.
  const clean = await legacyFolder(1);
  const from = clean.opCount;
  const db = await Elanus.open({ path: '/data', fs: clean, limits });
  const opsOfOpen = clean.opCount - from;
  await checkWhole(db, 'no crash');
  await db.close();
  // Seven files (three segments, their index files, one L0 file), each put and removed.
  assert.ok(opsOfOpen > 7 * 6, `an open that moves seven files takes more than ${opsOfOpen} operations`);

  let crashed = 0;
  for (const ops of range(0, opsOfOpen)) {
    const fs = await legacyFolder(ops + 2);
    fs.crashAfter(ops);
    try {
      const half = await Elanus.open({ path: '/data', fs, limits });
      // The open finished before the crash point (operations can vary by a few).
      await half.close().catch(() => undefined);
    } catch {
      crashed++;
    }
    fs.powerLoss();
    const again = await Elanus.open({ path: '/data', fs, limits });
    try {
      await checkWhole(again, `crash after ${ops} operations`);
      assert.equal(await fs.exists('/data/segments'), false, `crash after ${ops}: the old folder is gone`);
    } finally {
      await again.close();
    }
  }
  assert.ok(crashed >= opsOfOpen - 5, `${crashed} of ${opsOfOpen} opens crashed`);
});
