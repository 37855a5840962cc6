// Data folders whose log the engine wrote through the Wal directly (before it used the
// LogStore interface, issue 13) keep opening with every row: their records have no
// LogStore header, and the adapter reads them as they are (wal/log-store.ts). A test
// makes such a folder from one of today by writing each record again without its header
// at the same position, then opens it, writes more and opens it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus } from '../../src/engine/index.js';
import { type FileSystem, joinPath } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { Wal } from '../../src/wal/index.js';
import { basicRows, countOf, createBasic } from './helpers.js';

const limits = { backgroundIntervalMs: 0, interimIndexRows: 0 };

/** Rewrites every topic of a closed engine's log without the LogStore header, as the engine wrote it before. */
async function toHeaderlessLog(fs: FileSystem, dir: string): Promise<number> {
  const wal = await Wal.open({ fs, dir });
  let records = 0;
  try {
    for (const topic of wal.topics()) {
      assert.equal(wal.startOffset(topic), 0, 'nothing truncated yet: positions restart at 0');
      const payloads: Uint8Array[] = [];
      for (let at = 0; at < wal.durableEndOffset(topic); ) {
        const got = await wal.read(topic, at, 1000);
        for (const r of got) {
          assert.deepEqual([...r.payload.subarray(0, 2)], [1, 0], 'a record the engine appended: header of format 1, no key');
          payloads.push(r.payload.slice(2));
        }
        at = got.at(-1)!.offset + 1;
      }
      await wal.dropTopic(topic);
      await wal.createTopic(topic);
      for (const p of payloads) await wal.append(topic, p);
      records += payloads.length;
    }
  } finally {
    await wal.close();
  }
  await fs.unlink(joinPath(dir, 'headerless'));
  await fs.syncDir(dir);
  return records;
}

test('a folder whose log has no LogStore headers opens with every row, takes writes and opens again', async () => {
  const fs = new FaultFileSystem({ seed: 3 });
  let db = await Elanus.open({ path: '/data', fs, limits });
  await createBasic(db, 'c');
  await db.insert({ collection_name: 'c', data: basicRows(0, 100) });
  await db.flush({ collection_names: ['c'] });
  await db.insert({ collection_name: 'c', data: basicRows(100, 250) });
  await db.delete({ collection_name: 'c', ids: [5, 120] });
  await db.upsert({ collection_name: 'c', data: basicRows(7, 8) });
  await db.close();
  const rewritten = await toHeaderlessLog(fs, '/data/wal');
  assert.ok(rewritten >= 4, `the log holds the writes (${rewritten} records)`);
  fs.powerLoss();

  db = await Elanus.open({ path: '/data', fs, limits });
  await db.loadCollection({ collection_name: 'c' });
  assert.equal(await countOf(db, 'c'), 248, 'every row of the old log, its deletes applied');
  const got = await db.get({ collection_name: 'c', ids: [5, 6, 7, 120, 121] });
  assert.deepEqual(got.data.map((r) => r['id']).sort((a, b) => Number(a) - Number(b)), [6, 7, 121]);
  await db.insert({ collection_name: 'c', data: basicRows(250, 300) });
  await db.delete({ collection_name: 'c', ids: [260] });
  fs.powerLoss();
  await db.close().catch(() => undefined);

  db = await Elanus.open({ path: '/data', fs, limits });
  await db.loadCollection({ collection_name: 'c' });
  assert.equal(await countOf(db, 'c'), 297, 'old records and new ones replay together');
  // A flush moves the checkpoint past the old records; the folder still opens.
  await db.flush({ collection_names: ['c'] });
  await db.close();
  db = await Elanus.open({ path: '/data', fs, limits });
  await db.loadCollection({ collection_name: 'c' });
  assert.equal(await countOf(db, 'c'), 297);
  await db.close();
});
