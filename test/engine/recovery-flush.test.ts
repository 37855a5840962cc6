// A flush that recovery sets off (the log replayed past the checkpoint seals segments)
// and the garbage collection at open must not meet: the collection listed every object
// no metadata named yet, while the flush was putting its segment and L0 files and then
// committing them, so a file the metadata named a moment later was deleted, and the next
// open failed on it (OBJECT_NOT_FOUND). Found by the kill -9 test at 200 kill points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Elanus } from '../../src/engine/index.js';
import { NodeFileSystem } from '../../src/storage/index.js';
import { basicRows, countOf, createBasic } from './helpers.js';

test('segments sealed while the log is replayed at open are flushed after the garbage collection, and every file the metadata names is there', async () => {
  const path = mkdtempSync(join(tmpdir(), 'elanus-recovery-flush-'));
  try {
    let db = await Elanus.open({ path, limits: { backgroundIntervalMs: 0, segmentRowsMax: 1_000_000, compactionSmallRowsMax: 0 } });
    await createBasic(db, 'c');
    // A long log past the checkpoint: its replay at the next open seals segment after
    // segment, and flushes run all along it, so one is mid-way when the collection starts.
    for (let i = 0; i < 200; i++) {
      await db.insert({ collection_name: 'c', data: basicRows(i * 100, i * 100 + 100) });
      if (i % 10 === 9) await db.delete({ collection_name: 'c', filter: `id >= ${i * 100} and id < ${i * 100 + 30}` });
    }
    await db.close();
    // Reopened with small segments: replaying 20,000 rows seals 200 segments, and their
    // flushes run while recovery does.
    for (let round = 0; round < 3; round++) {
      // The object listing of the garbage collection is slow (a large bucket): a flush in
      // flight at its start puts and commits its files before the listing returns.
      db = await Elanus.open({ path, fs: slowListing(), limits: { backgroundIntervalMs: 0, segmentRowsMax: 100, l0FilesMax: 1 } });
      try {
        await db.loadCollection({ collection_name: 'c' });
        assert.equal(await countOf(db, 'c'), 19_400 + round * 200, `round ${round}`);
        await db.insert({ collection_name: 'c', data: basicRows(100_000 + round * 300, 100_300 + round * 300) });
        await db.delete({ collection_name: 'c', filter: `id >= ${100_000 + round * 300} and id < ${100_100 + round * 300}` });
        // Compaction reads every L0 file the metadata names: a missing one fails it.
        await db.compact({ collection_name: 'c' });
      } finally {
        await db.close();
      }
    }
    db = await Elanus.open({ path, limits: { backgroundIntervalMs: 0 } });
    try {
      await db.loadCollection({ collection_name: 'c' });
      assert.equal(await countOf(db, 'c'), 19_400 + 3 * 200);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
});

/** The node file system, with each listing of the object folder starting 300 ms late. */
function slowListing(): NodeFileSystem {
  const fs = new NodeFileSystem();
  const readdir = fs.readdir.bind(fs);
  fs.readdir = async (dir: string) => {
    if (dir.endsWith('objects')) await new Promise((r) => setTimeout(r, 300));
    return readdir(dir);
  };
  return fs;
}
