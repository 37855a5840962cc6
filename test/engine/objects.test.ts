// Segment, L0 delete and index files are objects of the engine's ObjectStore, named by
// keys (issue 13): what a flush, an index build and a drop leave in the store, and the
// race of a drop with an index build saving its file under the collection's prefix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus } from '../../src/engine/index.js';
import { FaultFileSystem, ScheduledFileSystem, listObjectFiles } from '../../src/testing/index.js';
import { basicRows, countOf, createBasic } from './helpers.js';

const hnsw = { index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 32 } } as const;
const limits = { segmentRowsMax: 100, backgroundIntervalMs: 0, interimIndexRows: 0 };

test('a flush, a delete and an index build leave one object each, under the collection\'s prefix; the data folder has no other segment files', async () => {
  const fs = new FaultFileSystem({ seed: 3 });
  let db = await Elanus.open({ path: '/data', fs, limits });
  try {
    await createBasic(db, 'c');
    const c = (await db.describeCollection({ collection_name: 'c' })).collectionID;
    await db.insert({ collection_name: 'c', data: basicRows(0, 100) });
    await db.delete({ collection_name: 'c', ids: [5] });
    await db.flush({ collection_names: ['c'] });
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    await db.waitForIndexes();
    const [seg] = db.segmentInfo({ collection_name: 'c' });
    assert.equal(seg?.file, `segments/${c}/${seg!.id}.seg`, 'the metadata names the segment by its key');
    const keys = (await listObjectFiles('/data', '', fs)).map((o) => o.key);
    assert.equal(keys.length, 3, keys.join(' '));
    assert.ok(keys.includes(seg!.file!));
    assert.ok(keys.some((k) => new RegExp(`^segments/${c}/${seg!.id}\\.\\d+\\.vidx$`).test(k)), keys.join(' '));
    assert.ok(keys.some((k) => new RegExp(`^segments/${c}/L0-0-\\d+\\.del$`).test(k)), keys.join(' '));
    assert.deepEqual((await fs.readdir('/data')).filter((n) => n !== 'LOCK'), ['meta', 'objects', 'wal'], 'no segments/ folder');
    await db.close();
    fs.powerLoss();
    db = await Elanus.open({ path: '/data', fs, limits });
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 99);
    assert.equal((await db.waitForIndexes()).loaded, 1);
    await db.dropCollection({ collection_name: 'c' });
    assert.deepEqual(await listObjectFiles('/data', '', fs), [], 'a drop deletes every object under the prefix');
  } finally {
    await db.close();
  }
});

test('a committed drop succeeds while an index build is saving its file under the collection\'s prefix; the build deletes that object itself', async () => {
  const inner = new FaultFileSystem({ seed: 4 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held!: () => void;
  const saving = new Promise<void>((r) => (held = r));
  // The index file's put is held at its rename (the moment its object appears) until the drop is done.
  const fs = new ScheduledFileSystem(inner, (label, run) => {
    if (/^rename .*\.vidx$/.test(label)) {
      held();
      return gate.then(run);
    }
    return run();
  });
  const repairs: string[] = [];
  let db = await Elanus.open({ path: '/data', fs, limits, events: { repaired: (kind) => { repairs.push(kind); } } });
  try {
    await createBasic(db, 'c');
    const c = (await db.describeCollection({ collection_name: 'c' })).collectionID;
    await db.insert({ collection_name: 'c', data: basicRows(0, 100) });
    await db.flush({ collection_names: ['c'] });
    await db.releaseCollection({ collection_name: 'c' });
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    await saving;
    await db.dropCollection({ collection_name: 'c' });
    assert.equal((await db.hasCollection({ collection_name: 'c' })).value, false);
    release();
    await db.waitForIndexes();
    assert.deepEqual(await listObjectFiles('/data', `segments/${c}/`, inner), [], 'the build deleted the object it saved after the drop');
    await db.close();
    db = await Elanus.open({ path: '/data', fs, limits, events: { repaired: (kind) => { repairs.push(kind); } } });
    assert.deepEqual(repairs, [], 'nothing was left for the next open to remove');
  } finally {
    release();
    await db.close();
  }
});
