// Query iterators (the OLAP path) running while writers insert, upsert, delete, flush and
// compact: each returns exactly the rows visible at its snapshot, each once, in key
// order — checked against a model built from every acknowledged write's timestamp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, Elanus } from '../../src/index.js';
import { FaultFileSystem, Random } from '../../src/testing/index.js';

const name = 'olap';
const keys = 600;

interface Write { ts: bigint; kind: 'put' | 'del'; keys: number[]; v: number }

test('query iterators see one snapshot, every visible row exactly once, while writes, flushes and compactions run', { timeout: 120_000 }, async () => {
  const db = await Elanus.open({ path: '/d', fs: new FaultFileSystem({ seed: 9 }), limits: { backgroundIntervalMs: 0, segmentRowsMax: 150, compactionSmallRowsMax: 400 } });
  try {
    await db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.Int64 },
      { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await db.loadCollection({ collection_name: name });
    const log: Write[] = [];
    let stop = false;
    let v = 0;
    const writer = async (w: number) => {
      const rnd = new Random(w + 1);
      while (!stop) {
        // The in-memory file system completes I/O in microtasks: yield to timers too.
        await new Promise((res) => setImmediate(res));
        const ks = [...new Set(Array.from({ length: 1 + rnd.int(20) }, () => rnd.int(keys)))];
        if (rnd.next() < 0.75) {
          const val = ++v;
          const r = await db.upsert({ collection_name: name, data: ks.map((id) => ({ id, v: val, vec: [id, val] })) });
          log.push({ ts: BigInt(r.timestamp), kind: 'put', keys: ks, v: val });
        } else {
          const r = await db.delete({ collection_name: name, ids: ks });
          log.push({ ts: BigInt(r.timestamp), kind: 'del', keys: ks, v: 0 });
        }
      }
    };
    const maintenance = async () => {
      const rnd = new Random(99);
      while (!stop) {
        await new Promise((r) => setTimeout(r, 2 + rnd.int(8)));
        if (rnd.next() < 0.6) await db.flush({ collection_names: [name] });
        else await db.compact({ collection_name: name });
      }
    };
    const runs: Array<{ ts: bigint; rows: Array<{ id: number; v: number }> }> = [];
    const reader = async (r: number) => {
      const rnd = new Random(500 + r);
      for (let i = 0; i < 6; i++) {
        await new Promise((res) => setTimeout(res, rnd.int(20)));
        const it = await db.queryIterator({ collection_name: name, batchSize: 1 + rnd.int(60), output_fields: ['v'], consistency_level: 'Strong', ...(i % 2 ? { filter: 'v >= 0' } : {}) });
        const rows: Array<{ id: number; v: number }> = [];
        for await (const page of it) {
          for (const row of page) rows.push({ id: row.id as number, v: row.v as number });
          // Give the writers a chance between pages.
          await new Promise((res) => setImmediate(res));
        }
        runs.push({ ts: BigInt(it.snapshotTs), rows });
      }
    };
    const writers = [writer(0), writer(1), writer(2), maintenance()];
    await Promise.all([reader(0), reader(1)]);
    stop = true;
    await Promise.all(writers);

    assert.equal(runs.length, 12);
    const ordered = [...log].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    for (const run of runs) {
      const model = new Map<number, number>();
      for (const w of ordered) {
        if (w.ts > run.ts) break;
        for (const k of w.keys) (w.kind === 'put' ? model.set(k, w.v) : model.delete(k));
      }
      const ids = run.rows.map((r) => r.id);
      for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `keys strictly increasing (no duplicates) at ${i}`);
      const expected = [...model.entries()].sort((a, b) => a[0] - b[0]).map(([id, val]) => ({ id, v: val }));
      assert.deepEqual(run.rows, expected, `snapshot ${run.ts}`);
    }
    // Finished iterators release their snapshots: compaction may drop old versions again.
    const before = db.segmentInfo({ collection_name: name }).reduce((n, s) => n + s.rows, 0);
    await db.flush({ collection_names: [name] });
    await db.compact({ collection_name: name });
    const after = db.segmentInfo({ collection_name: name }).reduce((n, s) => n + s.rows, 0);
    assert.ok(after <= before);
  } finally {
    await db.close();
  }
});

test('an iterator closed early releases its snapshot, and a bad batch size is refused', async () => {
  const db = await Elanus.open({ path: '/d', fs: new FaultFileSystem(), limits: { backgroundIntervalMs: 0 } });
  try {
    await db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await db.loadCollection({ collection_name: name });
    await db.insert({ collection_name: name, data: Array.from({ length: 50 }, (_, id) => ({ id, vec: [id, 0] })) });
    const it = await db.queryIterator({ collection_name: name, batchSize: 10, limit: 25 });
    const pages: number[] = [];
    for await (const page of it) pages.push(page.length);
    assert.deepEqual(pages, [10, 10, 5], 'limit caps the total');
    const early = await db.queryIterator({ collection_name: name, batchSize: 10 });
    for await (const page of early) {
      assert.equal(page.length, 10);
      break; // return() releases the pin
    }
    await assert.rejects(db.queryIterator({ collection_name: name, batchSize: 0 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.queryIterator({ collection_name: 'nope' }), { code: 'COLLECTION_NOT_FOUND' });
  } finally {
    await db.close();
  }
});
