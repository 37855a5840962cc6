// The life of a vector index: built in the background for existing segments on
// createIndex and for new segments after each flush and compaction; searches stay right
// (exact scan) until a segment's index is ready; index files are written beside their
// segment and loaded after a restart instead of being rebuilt; a damaged file is rebuilt,
// never trusted; dropping an index or compacting a segment removes its files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { Elanus } from '../../src/engine/index.js';
import { frameIndexFile, unframeIndexFile } from '../../src/engine/vector-indexes.js';
import { Random, listObjectFiles, objectFilePath, readObjectFile, writeObjectFile } from '../../src/testing/index.js';
import { DataType, withEngine } from '../engine/helpers.js';

const dim = 16;

/** Row i's vector: seeded pseudo-random components, so every row has one clear nearest neighbour (itself). */
function vec(i: number): number[] {
  const rng = new Random(i + 1);
  return Array.from({ length: dim }, () => rng.next() - 0.5);
}

function basicRows(from: number, to: number): Array<Record<string, unknown>> {
  return Array.from({ length: to - from }, (_, k) => ({ id: from + k, vector: vec(from + k) }));
}
const hnsw = { index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 64 } };

async function setup(db: Elanus, name: string, rows: number): Promise<void> {
  await db.createCollection({
    collection_name: name,
    fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vector', data_type: DataType.FloatVector, dim }],
  });
  for (let from = 0; from < rows; from += 1000) await db.insert({ collection_name: name, data: basicRows(from, Math.min(rows, from + 1000)) });
  await db.flush({ collection_names: [name] });
}

async function top(db: Elanus, name: string, qs: number[]): Promise<Array<Array<number>>> {
  const r = await db.search({ collection_name: name, data: qs.map((i) => vec(i).map((x) => x + 1e-4)), limit: 10, params: { ef: 200 }, consistency_level: 'Strong' });
  return (r.results as Array<Array<{ id: number }>>).map((l) => l.map((x) => Number(x.id)));
}

/** Collection "c" of 3,000 rows under a built HNSW index, loaded; its top hits for two queries. */
async function indexedTop(db: Elanus): Promise<Array<Array<number>>> {
  await setup(db, 'c', 3000);
  await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
  await db.waitForIndexes();
  await db.loadCollection({ collection_name: 'c' });
  return top(db, 'c', [3, 30]);
}

/** Keys of the index files (`segments/<collection>/<segment>.<index>.vidx`), sorted. */
async function indexFiles(path: string): Promise<string[]> {
  return (await listObjectFiles(path, 'segments/')).map((o) => o.key).filter((k) => k.endsWith('.vidx'));
}

describe('vector index lifecycle', () => {
  test('built for existing segments, persisted, loaded after a restart without rebuilding', () => withEngine(async (db, h) => {
    await setup(db, 'c', 5000);
    await db.loadCollection({ collection_name: 'c' });
    const exact = await top(db, 'c', [1, 50, 900]);
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    // Right answers while the build runs (exact scan), and progress never past the total.
    const during = await top(db, 'c', [1, 50, 900]);
    assert.deepEqual(during.map((l) => l[0]), exact.map((l) => l[0]));
    const p = await db.getIndexBuildProgress({ collection_name: 'c', field_name: 'vector' });
    assert.ok(p.indexed_rows <= p.total_rows && p.total_rows === 5000);
    const stats = await db.waitForIndexes();
    assert.equal(stats.failed, 0);
    assert.equal((await db.getIndexState({ collection_name: 'c', field_name: 'vector' })).state, 'Finished');
    const desc = (await db.describeIndex({ collection_name: 'c', field_name: 'vector' })).index_descriptions[0]!;
    assert.equal(desc.indexed_rows, 5000);
    assert.equal(desc.pending_index_rows, 0);
    const before = await top(db, 'c', [1, 50, 900]);
    const files = await indexFiles(h.path);
    assert.equal(files.length, db.segmentInfo({ collection_name: 'c' }).filter((s) => s.state === 'flushed').length);

    const db2 = await h.reopen();
    const after = await db2.waitForIndexes();
    assert.equal(after.built, 0, 'nothing rebuilt after a restart');
    assert.equal(after.loaded, files.length, 'every index file loaded');
    assert.deepEqual(await top(db2, 'c', [1, 50, 900]), before, 'identical results after the restart');
    assert.deepEqual(await indexFiles(h.path), files);
  }, { limits: { segmentRowsMax: 2000 } }));

  test('deleted rows never come back from an index; a snapshot before the delete still sees them', () => withEngine(async (db) => {
    await setup(db, 'c', 4000);
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    await db.waitForIndexes();
    await db.loadCollection({ collection_name: 'c' });
    const qs = [5, 500, 2500, 3999];
    const before = await top(db, 'c', qs);
    const it = await db.searchIterator({ collection_name: 'c', data: [vec(5)], batchSize: 5, limit: 5 });
    const gone = before.flatMap((l) => l.slice(0, 3));
    await db.delete({ collection_name: 'c', ids: gone });
    const after = await top(db, 'c', qs);
    for (const l of after) for (const id of l) assert.ok(!gone.includes(id), `deleted row ${id} returned`);
    after.forEach((l, i) => assert.deepEqual(l.slice(0, 7), before[i]!.slice(3, 10), `query ${qs[i]}: the next nearest move up`));
    // The iterator's snapshot predates the delete: row 5 is still its first hit.
    const first = await it.next();
    assert.equal((first.value as Array<{ id: number }>)[0]!.id, 5);
    it.close();
  }));

  test('a read pinned before later appends to a growing segment sees exactly its rows', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'g',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vector', data_type: DataType.FloatVector, dim }],
    });
    await db.loadCollection({ collection_name: 'g' });
    await db.insert({ collection_name: 'g', data: basicRows(0, 300) });
    await db.delete({ collection_name: 'g', ids: [7, 8] });
    // Pinned here: rows 0..299 but 7 and 8.
    const it = await db.searchIterator({ collection_name: 'g', data: [vec(7)], batchSize: 100, limit: 1000 });
    // Later appends to the same growing segment, an exact copy of row 7's vector among them.
    await db.insert({ collection_name: 'g', data: [...basicRows(300, 400), { id: 1000, vector: vec(7) }] });
    const seen: number[] = [];
    for await (const batch of it) seen.push(...(batch as Array<{ id: number }>).map((x) => x.id));
    assert.equal(db.segmentInfo({ collection_name: 'g' }).filter((x) => x.state === 'growing').length, 1);
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i).filter((i) => i !== 7 && i !== 8));
  }));

  test('a damaged index file is rebuilt, not trusted', () => withEngine(async (db, h) => {
    const before = await indexedTop(db);
    const [file] = await indexFiles(h.path);
    // A flipped byte in the file as it lies on disk.
    const bytes = await readFile(objectFilePath(h.path, file!));
    bytes[bytes.length >> 1] ^= 0xff;
    await h.db.close();
    await writeFile(objectFilePath(h.path, file!), bytes);
    const db2 = await h.reopen();
    const s = await db2.waitForIndexes();
    assert.equal(s.loaded, 0);
    assert.equal(s.built, 1);
    assert.deepEqual(await top(db2, 'c', [3, 30]), before);
  }));

  test('an index file this build must not read (another usearch, a newer format or file version) is rebuilt from its segment; opening does not fail', async () => {
    const repairs: string[] = [];
    await withEngine(async (db, h) => {
      const before = await indexedTop(db);
      const [file] = await indexFiles(h.path);
      const good = await readObjectFile(h.path, file!);
      const framed = unframeIndexFile(good);
      assert.ok('payload' in framed);
      /** The native bytes with one u16/u32 changed and their checksum fixed: whole, of another version. */
      const native = (at: number, width: 2 | 4, value: number): Uint8Array => {
        const body = framed.payload.slice(0, framed.payload.length - 4);
        const v = new DataView(body.buffer);
        if (width === 2) v.setUint16(at, value, true);
        else v.setUint32(at, value, true);
        const out = new Uint8Array(body.length + 4);
        out.set(body);
        new DataView(out.buffer).setUint32(body.length, crc32(body), true);
        return frameIndexFile(out);
      };
      const newerFile = good.slice();
      new DataView(newerFile.buffer).setUint32(4, 2, true);
      const cases: Array<[string, Uint8Array, RegExp]> = [
        ['usearch patch version + 1', native(28, 2, new DataView(framed.payload.buffer, framed.payload.byteOffset).getUint16(28, true) + 1), /incompatible index: the HNSW graph was written by usearch/],
        ['format version 3', native(4, 4, 3), /incompatible index: format version 3 is newer/],
        ['file version 2', newerFile, /the file is of version 2, newer than this build reads/],
      ];
      for (const [name, bytes, reason] of cases) {
        repairs.length = 0;
        await h.db.close();
        // A whole object (the store's checksum is right): only the engine's own checks see it.
        await writeObjectFile(h.path, file!, bytes);
        const db2 = await h.reopen();
        const s = await db2.waitForIndexes();
        assert.deepEqual([s.loaded, s.built, s.failed], [0, 1, 0], name);
        assert.equal(repairs.length, 1, name);
        assert.match(repairs[0]!, reason, name);
        assert.deepEqual(await top(db2, 'c', [3, 30]), before, name);
        // The rebuilt index replaced the file: the next open loads it.
        const again = await h.reopen();
        assert.deepEqual([(await again.waitForIndexes()).loaded, repairs.length], [1, 1], name);
      }
    }, { events: { repaired: (kind, detail) => { if (kind === 'index-rebuilt') repairs.push(String(detail['reason'])); } } });
  });

  test('new segments get the index after a flush; compaction and dropIndex remove old files', () => withEngine(async (db, h) => {
    await setup(db, 'c', 1000);
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    await db.waitForIndexes();
    await db.insert({ collection_name: 'c', data: basicRows(1000, 1500) });
    await db.flush({ collection_names: ['c'] });
    await db.waitForIndexes();
    assert.equal((await indexFiles(h.path)).length, 2);
    const p = await db.getIndexBuildProgress({ collection_name: 'c', field_name: 'vector' });
    assert.equal(p.indexed_rows, 1500);
    // Both segments are small: compaction merges them into one, which gets its own index.
    const r = await db.compact({ collection_name: 'c' });
    assert.ok(r.status !== undefined);
    await db.waitForIndexes();
    const segs = db.segmentInfo({ collection_name: 'c' }).filter((s) => s.state === 'flushed');
    assert.equal(segs.length, 1);
    await db.loadCollection({ collection_name: 'c' });
    assert.deepEqual((await top(db, 'c', [1200]))[0]![0], 1200);
    // The next pass prunes the replaced segments' files.
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    await db.waitForIndexes();
    assert.deepEqual((await indexFiles(h.path)).map((f) => f.split('/')[2]!.split('.')[0]), [String(segs[0]!.id)]);
    await db.releaseCollection({ collection_name: 'c' });
    await db.dropIndex({ collection_name: 'c', field_name: 'vector' });
    assert.deepEqual(await indexFiles(h.path), []);
  }, { limits: { compactionSmallRowsMax: 10_000 } }));

  test('an index of another type replaces the dropped one', () => withEngine(async (db) => {
    await setup(db, 'c', 2000);
    await db.createIndex({ collection_name: 'c', field_name: 'vector', index_type: 'IVF_FLAT', metric_type: 'L2', params: { nlist: 16 } });
    await db.waitForIndexes();
    await db.loadCollection({ collection_name: 'c' });
    const ivf = await db.search({ collection_name: 'c', data: [vec(7)], limit: 5, params: { nprobe: 16 } });
    await db.releaseCollection({ collection_name: 'c' });
    await db.dropIndex({ collection_name: 'c', field_name: 'vector' });
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    const s = await db.waitForIndexes();
    assert.equal(s.failed, 0);
    await db.loadCollection({ collection_name: 'c' });
    const g = await db.search({ collection_name: 'c', data: [vec(7)], limit: 5, params: { ef: 64 } });
    // nprobe = nlist makes IVF exact; the graph agrees on these easy queries.
    assert.deepEqual((g.results as Array<{ id: number }>).map((x) => x.id), (ivf.results as Array<{ id: number }>).map((x) => x.id));
  }));
});

test('closing the engine cancels a build in progress instead of waiting for it (a shutdown keeps its deadline)', { timeout: 300_000 }, async () => {
  await withEngine(async (db) => {
    const name = 'cancel';
    await db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 64 },
    ] });
    const rng = new Random(5);
    for (let from = 0; from < 150_000; from += 10_000) {
      await db.insert({ collection_name: name, data: Array.from({ length: 10_000 }, (_, k) => ({ id: from + k, v: Array.from({ length: 64 }, () => rng.next()) })) });
    }
    await db.flush({ collection_names: [name] });
    // One segment of 150,000 rows, built with a wide graph: many seconds of work.
    await db.createIndex({ collection_name: name, field_name: 'v', index_type: 'HNSW', metric_type: 'L2', params: { M: 32, efConstruction: 400 } });
    await new Promise((r) => setTimeout(r, 200));
    const before = db.vectorIndexStats();
    await db.close();
    const after = db.vectorIndexStats();
    // Cancelled: the build neither finished (built) nor ran to its end to be thrown away (discarded).
    assert.equal(before.built, 0, 'the build was still running when the engine closed');
    assert.equal(after.built, 0);
    assert.equal(after.discarded, 0, 'the build stopped when asked, not at its end');
  }, { limits: { segmentRowsMax: 1_000_000, interimIndexRows: 0 } });
});
