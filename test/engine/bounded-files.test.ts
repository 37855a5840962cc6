// Every file the engine writes stays within its declared limits, whatever the history,
// and the next open reads it back: the two histories of issue 12 that left a data folder
// unopenable, at full size, and each limit at its boundary (exactly at, one over).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeFileSystem, forEachFrame, recordPayloadBytesMax } from '../../src/storage/index.js';
import { listObjectFiles, readObjectFile } from '../../src/testing/index.js';
import type { Elanus } from '../../src/engine/index.js';
import { PartsReader } from '../../src/segments/file-parts.js';
import { DataType, countOf, openEngine, type EngineHandle } from './helpers.js';

const fs = new NodeFileSystem();

/** Frames of every segment object (file) with this suffix: [key, payload sizes]. */
async function framesOf(h: EngineHandle, suffix: string): Promise<Array<[string, number[]]>> {
  const out: Array<[string, number[]]> = [];
  for (const { key } of (await listObjectFiles(h.path, 'segments/', fs)).filter((o) => o.key.endsWith(suffix))) {
    const sizes: number[] = [];
    forEachFrame(await readObjectFile(h.path, key, fs), key, (p) => { sizes.push(p.length); });
    out.push([key, sizes]);
  }
  return out;
}

async function insertIds(db: Elanus, name: string, from: number, to: number, row: (i: number) => Record<string, unknown>): Promise<void> {
  for (let i = from; i < to; i += 10_000) {
    const data: Array<Record<string, unknown>> = [];
    for (let k = i; k < Math.min(to, i + 10_000); k++) data.push(row(k));
    await db.insert({ collection_name: name, data });
  }
}

test('bug 1: 200,000 rows deleted by a filter, flushed, reopened: the folder opens and counts 0', { timeout: 300_000 }, async () => {
  const h = await openEngine({ limits: { segmentRowsMax: 1_000_000 } });
  try {
    const name = 'mass_delete';
    await h.db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await insertIds(h.db, name, 0, 200_000, (i) => ({ id: i, v: [i % 7, 1] }));
    await h.db.flush({ collection_names: [name] });
    const r = await h.db.delete({ collection_name: name, filter: 'id >= 0' });
    assert.equal(r.delete_cnt, 200_000);
    await h.db.flush({ collection_names: [name] });
    // The whole delete went into one L0 file: the case that overflowed the stack.
    const l0 = await framesOf(h, '.del');
    assert.equal(l0.length, 1);
    let db = await h.reopen();
    await db.loadCollection({ collection_name: name });
    assert.equal(await countOf(db, name), 0);
    // Upserts over the deleted keys come back, once each, and survive another restart.
    await db.upsert({ collection_name: name, data: [{ id: 5, v: [1, 1] }, { id: 199_999, v: [2, 2] }] });
    db = await h.reopen();
    await db.loadCollection({ collection_name: name });
    assert.equal(await countOf(db, name), 2);
    const got = await db.get({ collection_name: name, ids: [5, 6, 199_999], consistency_level: 'Strong' });
    assert.deepEqual(got.data.map((x) => x['id']).sort((a, b) => Number(a) - Number(b)), [5, 199_999]);
  } finally {
    await h.dispose();
  }
});

test('bug 2: ten 10,000-row segments of 768-d floats compacted: every file within its limits, and the folder opens', { timeout: 600_000 }, async () => {
  const dim = 768;
  const h = await openEngine({ limits: { compactionSmallRowsMax: 20_000 } });
  try {
    const name = 'wide';
    await h.db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim },
    ] });
    const vector = (i: number) => {
      const v = new Array<number>(dim);
      for (let k = 0; k < dim; k++) v[k] = ((i * 31 + k * 17) % 1000) / 1000;
      return v;
    };
    for (let s = 0; s < 10; s++) {
      await insertIds(h.db, name, s * 10_000, (s + 1) * 10_000, (i) => ({ id: i, v: vector(i) }));
      await h.db.flush({ collection_names: [name] });
    }
    // 100,000 x 768 x 4 bytes = 307 MB of vectors: more than one frame (256 MiB) and more
    // than one segment (segmentBytesMax, 256 MiB) can hold.
    assert.ok(100_000 * dim * 4 > recordPayloadBytesMax);
    const r = await h.db.compact({ collection_name: name });
    assert.equal(r.merged, 10);
    const segs = h.db.segmentInfo({ collection_name: name });
    assert.ok(segs.length >= 2, `compaction wrote ${segs.length} segment(s)`);
    assert.equal(segs.reduce((n, s) => n + s.rows, 0), 100_000);
    for (const s of segs) assert.ok(s.rows * (dim * 4) <= h.db.limits.segmentBytesMax, `a segment of ${s.rows} rows is over segmentBytesMax`);
    for (const [file, frames] of await framesOf(h, '.seg')) {
      for (const f of frames) assert.ok(f <= recordPayloadBytesMax, `${file}: a frame of ${f} bytes`);
    }
    const db = await h.reopen();
    await db.loadCollection({ collection_name: name });
    assert.equal(await countOf(db, name), 100_000);
    const got = await db.get({ collection_name: name, ids: [0, 54_321, 99_999], output_fields: ['v'], consistency_level: 'Strong' });
    for (const row of got.data) {
      const want = vector(Number(row['id']));
      assert.deepEqual((row['v'] as number[]).slice(0, 5), want.slice(0, 5).map(Math.fround));
    }
  } finally {
    await h.dispose();
  }
});

test('L0 delete files hold at most l0FileKeysMax keys: exactly at the limit one file, one over two', async () => {
  const h = await openEngine({ storage: 'memory', limits: { l0FileKeysMax: 1_000, segmentRowsMax: 1_000_000 } });
  try {
    const name = 'l0';
    await h.db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await insertIds(h.db, name, 0, 3_000, (i) => ({ id: i, v: [1, i] }));
    await h.db.flush({ collection_names: [name] });
    const filesOf = () => h.db.segmentInfo({ collection_name: name }).length;
    assert.equal(filesOf(), 1);
    await h.db.delete({ collection_name: name, filter: 'id < 1000' });
    await h.db.flush({ collection_names: [name] });
    assert.deepEqual(await l0Counts(h), [1_000]);
    await h.db.delete({ collection_name: name, filter: 'id >= 1000 and id < 2001' });
    await h.db.flush({ collection_names: [name] });
    assert.deepEqual(await l0Counts(h), [1_000, 1_000, 1]);
    const db = await h.reopen();
    await db.loadCollection({ collection_name: name });
    assert.equal(await countOf(db, name), 999);
  } finally {
    await h.dispose();
  }
});

test('compaction outputs hold at most segmentRowsMax rows: exactly at the limit one segment, one over two', async () => {
  const h = await openEngine({ storage: 'memory', limits: { segmentRowsMax: 1_000, compactionSmallRowsMax: 2_000, compactionDeletedRatioMin: 0.0005 } });
  try {
    const name = 'cut';
    await h.db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await h.db.insert({ collection_name: name, data: rows(0, 500) });
    await h.db.flush({ collection_names: [name] });
    await h.db.insert({ collection_name: name, data: rows(500, 1_000) });
    await h.db.flush({ collection_names: [name] });
    await h.db.compact({ collection_name: name });
    assert.deepEqual(h.db.segmentInfo({ collection_name: name }).map((s) => s.rows), [1_000]);
    await h.db.insert({ collection_name: name, data: rows(1_000, 1_001) });
    await h.db.flush({ collection_names: [name] });
    // 1,001 rows in two small segments: one over the limit, so the merge keeps two.
    const sizes = () => h.db.segmentInfo({ collection_name: name }).map((s) => s.rows).sort((a, b) => a - b);
    await h.db.compact({ collection_name: name });
    assert.deepEqual(sizes(), [1, 1_000]);
    const ids = () => h.db.segmentInfo({ collection_name: name }).map((s) => s.id).sort((a, b) => a - b);
    const before = ids();
    // Merging them again would gain nothing: compaction leaves them alone.
    await h.db.compact({ collection_name: name });
    assert.deepEqual(ids(), before);
    // Deletes make the full one worth rewriting: 998 + 1 + 1 live rows fit one segment.
    await h.db.delete({ collection_name: name, ids: [0, 1] });
    await h.db.insert({ collection_name: name, data: rows(2_000, 2_001) });
    await h.db.flush({ collection_names: [name] });
    await h.db.compact({ collection_name: name });
    assert.deepEqual(sizes(), [1_000]);
    const db = await h.reopen();
    await db.loadCollection({ collection_name: name });
    assert.equal(await countOf(db, name), 1_000);
  } finally {
    await h.dispose();
  }
});

function rows(from: number, to: number): Array<Record<string, unknown>> {
  return Array.from({ length: to - from }, (_, k) => ({ id: from + k, v: [from + k, 1] }));
}

/** Keys in each L0 delete file, in the order they were written (file ids ascend). */
async function l0Counts(h: EngineHandle): Promise<number[]> {
  const files = h.fs ?? fs;
  const out: Array<[number, number]> = [];
  for (const { key } of await listObjectFiles(h.path, 'segments/', files)) {
    const m = /^segments\/\d+\/L0-\d+-(\d+)\.del$/.exec(key);
    if (!m) continue;
    const parts = new PartsReader(() => ({ type: DataType.Int64 }) as never, key);
    forEachFrame(await readObjectFile(h.path, key, files), key, (p) => parts.add(p));
    out.push([Number(m[1]), parts.finish().count]);
  }
  return out.sort((a, b) => a[0] - b[0]).map(([, n]) => n);
}

test('a growing segment is sealed at segmentRowsMax: exactly that many rows make one sealed segment, one more starts the next', async () => {
  const h = await openEngine({ storage: 'memory', limits: { segmentRowsMax: 1_000 } });
  try {
    const name = 'seal';
    await h.db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] });
    const states = () => h.db.segmentInfo({ collection_name: name }).map((s) => `${s.state}:${s.rows}`).sort();
    await h.db.insert({ collection_name: name, data: rows(0, 1_000) });
    assert.ok(states().every((s) => s.endsWith(':1000') && !s.startsWith('growing')), states().join(' '));
    await h.db.insert({ collection_name: name, data: rows(1_000, 1_001) });
    assert.ok(states().includes('growing:1'), states().join(' '));
    await h.db.flush({ collection_names: [name] });
    assert.deepEqual(states(), ['flushed:1', 'flushed:1000']);
  } finally {
    await h.dispose();
  }
});

test('compaction outputs hold at most segmentBytesMax bytes: rows that fill it exactly make one segment, one row more makes two', async () => {
  // Bytes per row as the engine counts them for this schema, read off a flushed segment.
  const probe = await openEngine({ storage: 'memory' });
  let perRow: number;
  try {
    await probe.db.createCollection({ collection_name: 'p', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await probe.db.insert({ collection_name: 'p', data: rows(0, 500) });
    await probe.db.flush({ collection_names: ['p'] });
    const [s] = probe.db.segmentInfo({ collection_name: 'p' });
    perRow = s!.memoryBytes / s!.rows;
  } finally {
    await probe.dispose();
  }
  const h = await openEngine({ storage: 'memory', limits: { segmentBytesMax: perRow * 1_000, segmentRowsMax: 1_000_000, compactionSmallRowsMax: 2_000 } });
  try {
    const name = 'bytes';
    await h.db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] });
    const sizes = () => h.db.segmentInfo({ collection_name: name }).map((s) => s.rows).sort((a, b) => a - b);
    for (const [from, to] of [[0, 500], [500, 1_000]]) {
      await h.db.insert({ collection_name: name, data: rows(from!, to!) });
      await h.db.flush({ collection_names: [name] });
    }
    await h.db.compact({ collection_name: name });
    assert.deepEqual(sizes(), [1_000]);
    await h.db.insert({ collection_name: name, data: rows(1_000, 1_001) });
    await h.db.flush({ collection_names: [name] });
    await h.db.compact({ collection_name: name });
    assert.deepEqual(sizes(), [1, 1_000]);
  } finally {
    await h.dispose();
  }
});
