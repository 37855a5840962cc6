// Storage faults heal (issue 12): ENOSPC, EIO and EMFILE on each kind of write (log
// append, segment and L0 files, index files, metadata commits) are refused per request
// with a coded, retryable error; health says "degraded" and why while they last; once
// the cause clears, writes resume with no restart; no acknowledged write is lost and
// nothing refused is stored, also across a power loss after the fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus } from '../../src/engine/index.js';
import { FaultFileSystem, type LastingFault, Random } from '../../src/testing/index.js';
import { DataType } from './helpers.js';

const name = 'c';
const dim = 4;
const fields = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'v', data_type: DataType.FloatVector, dim },
];
const row = (id: number) => ({ id, v: [id % 5, 1, 2, (id * 7) % 11] });
const limits = { backgroundIntervalMs: 20, segmentRowsMax: 50, interimIndexRows: 0 };

async function open(fs: FaultFileSystem): Promise<Elanus> {
  return Elanus.open({ path: '/data', fs, limits });
}

async function fresh(seed = 1): Promise<{ fs: FaultFileSystem; db: Elanus }> {
  const fs = new FaultFileSystem({ seed });
  const db = await open(fs);
  await db.createCollection({ collection_name: name, fields });
  await db.loadCollection({ collection_name: name });
  return { fs, db };
}

async function ids(db: Elanus): Promise<number[]> {
  const r = await db.query({ collection_name: name, filter: 'id >= 0', output_fields: ['id'], limit: 16_384, consistency_level: 'Strong' });
  return r.data.map((x) => Number(x['id'])).sort((a, b) => a - b);
}

/** Waits (bounded) until health reads ok: the background pass probes a failed log and journal. */
async function healthy(db: Elanus): Promise<void> {
  for (let i = 0; i < 250 && db.health().status !== 'ok'; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(db.health(), { status: 'ok', reasons: [] });
}

/** Reopens after a power loss: only what was made durable is left. */
async function afterPowerLoss(fs: FaultFileSystem, db: Elanus): Promise<Elanus> {
  await db.close().catch(() => undefined);
  fs.powerLoss();
  const again = await open(fs);
  await again.loadCollection({ collection_name: name });
  return again;
}

const faults: Array<{ label: string; fault: LastingFault; code: string }> = [
  { label: 'ENOSPC', fault: { errno: 'ENOSPC' }, code: 'STORAGE_FULL' },
  { label: 'EIO on fsync', fault: { errno: 'EIO', ops: ['sync'] }, code: 'STORAGE_IO' },
  { label: 'EIO on write', fault: { errno: 'EIO', ops: ['write'] }, code: 'STORAGE_IO' },
];

for (const { label, fault, code } of faults) {
  test(`log append, ${label}: refused with ${code} and degraded; space back: writes resume, nothing refused is stored`, async () => {
    const { fs, db } = await fresh();
    let live: Elanus = db;
    try {
      await live.insert({ collection_name: name, data: [row(1), row(2)] });
      fs.setFault(fault);
      await assert.rejects(live.insert({ collection_name: name, data: [row(3)] }), { code, retryable: true });
      await assert.rejects(live.upsert({ collection_name: name, data: [row(1), row(4)] }), { code });
      await assert.rejects(live.delete({ collection_name: name, ids: [2] }), { code });
      const h = live.health();
      assert.equal(h.status, 'degraded');
      assert.ok(h.reasons.some((r) => r.component === 'log' && r.code === code), JSON.stringify(h));
      // Reads go on, and see none of the refused writes.
      assert.deepEqual(await ids(live), [1, 2]);
      fs.clearFault();
      await healthy(live);
      await live.insert({ collection_name: name, data: [row(5)] });
      await live.delete({ collection_name: name, ids: [1] });
      assert.deepEqual(await ids(live), [2, 5]);
      live = await afterPowerLoss(fs, live);
      assert.deepEqual(await ids(live), [2, 5]);
    } finally {
      await live.close();
    }
  });
}

test('metadata commit on a full volume: the DDL is refused, the catalog unchanged; space back: it works', async () => {
  const { fs, db } = await fresh();
  let live = db;
  try {
    fs.setFault({ errno: 'ENOSPC' });
    await assert.rejects(live.createCollection({ collection_name: 'other', fields }), { code: 'STORAGE_FULL' });
    assert.equal((await live.hasCollection({ collection_name: 'other' })).value, false);
    assert.ok(live.health().reasons.some((r) => r.component === 'metadata'));
    fs.clearFault();
    await healthy(live);
    await live.createCollection({ collection_name: 'other', fields });
    live = await afterPowerLoss(fs, live);
    assert.equal((await live.hasCollection({ collection_name: 'other' })).value, true);
  } finally {
    await live.close();
  }
});

for (const { label, fault, code } of [
  ...faults,
  { label: 'EMFILE', fault: { errno: 'EMFILE' } as LastingFault, code: 'STORAGE_IO' },
]) {
  test(`flush, ${label}: the flush fails and is retried; once the cause clears, files are written and counts stay exact`, async () => {
    const { fs, db } = await fresh();
    let live = db;
    try {
      for (let i = 0; i < 120; i++) await live.insert({ collection_name: name, data: [row(i)] });
      await live.delete({ collection_name: name, ids: [7, 8] });
      fs.setFault(fault);
      await assert.rejects(live.flush({ collection_names: [name] }), { code });
      assert.ok(live.health().reasons.some((r) => r.component === 'segments' || r.component === 'metadata'), JSON.stringify(live.health()));
      fs.clearFault();
      // No explicit flush: the background pass retries the sealed segments by itself.
      for (let i = 0; i < 250 && live.segmentInfo({ collection_name: name }).some((s) => s.state !== 'flushed'); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await live.flush({ collection_names: [name] });
      await healthy(live);
      assert.ok(live.segmentInfo({ collection_name: name }).every((s) => s.state === 'flushed'));
      live = await afterPowerLoss(fs, live);
      const got = await ids(live);
      assert.equal(got.length, 118);
      assert.ok(!got.includes(7) && !got.includes(8));
    } finally {
      await live.close();
    }
  });
}

test('index file on a full volume: the index is used from memory, degraded; space back: the file is written and loads after a restart', async () => {
  const { fs, db } = await fresh();
  let live = db;
  try {
    for (let i = 0; i < 200; i += 50) await live.insert({ collection_name: name, data: Array.from({ length: 50 }, (_, k) => row(i + k)) });
    await live.flush({ collection_names: [name] });
    // Only index files: the index's own commit goes through.
    fs.setFault({ errno: 'ENOSPC', where: (p) => p.includes('.vidx') });
    await live.createIndex({ collection_name: name, field_name: 'v', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 32 } });
    await live.waitForIndexes();
    const state = await live.getIndexBuildProgress({ collection_name: name, field_name: 'v' });
    assert.equal(state.indexed_rows, state.total_rows, 'every segment is searched through its index, from memory');
    assert.ok(live.health().reasons.some((r) => r.component === 'indexes' && r.code === 'STORAGE_FULL'));
    fs.clearFault();
    await healthy(live);
    await live.waitForIndexes();
    const search = await live.search({ collection_name: name, data: row(3).v, limit: 1, consistency_level: 'Strong' });
    assert.equal((search.results as Array<Record<string, unknown>>)[0]!["id"], 3, JSON.stringify(search));
    live = await afterPowerLoss(fs, live);
    const stats = await live.waitForIndexes();
    assert.ok(stats.loaded >= 1 && stats.built === 0, `after the restart the index files load (${JSON.stringify(stats)})`);
  } finally {
    await live.close();
  }
});

test('random faults on every kind of write, seeded: what was acknowledged is exactly what is stored', { timeout: 120_000 }, async (t) => {
  const kinds: LastingFault[] = [{ errno: 'ENOSPC' }, { errno: 'EIO', ops: ['sync'] }, { errno: 'EIO', ops: ['write'] }, { errno: 'EMFILE' }];
  let refused = 0;
  let acknowledged = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const rng = new Random(seed);
    const { fs, db } = await fresh(seed);
    let live = db;
    const stored = new Set<number>();
    try {
      let next = 0;
      for (let step = 0; step < 60; step++) {
        const dice = rng.int(10);
        if (dice === 0) fs.setFault(kinds[rng.int(kinds.length)]!);
        else if (dice === 1) fs.clearFault();
        const op = rng.int(6);
        try {
          if (op <= 2) {
            const batch = Array.from({ length: 1 + rng.int(20) }, () => next++);
            await live.insert({ collection_name: name, data: batch.map(row) });
            for (const k of batch) stored.add(k);
            acknowledged++;
          } else if (op === 3 && stored.size > 0) {
            const victims = [...stored].filter(() => rng.int(4) === 0);
            await live.delete({ collection_name: name, ids: victims });
            for (const k of victims) stored.delete(k);
          } else if (op === 4) {
            await live.flush({ collection_names: [name] });
          } else {
            await live.compact({ collection_name: name });
          }
        } catch (e) {
          const c = (e as { code?: string }).code;
          assert.ok(c === 'STORAGE_FULL' || c === 'STORAGE_IO', `seed ${seed} step ${step}: ${String(e)}`);
          refused++;
        }
      }
      fs.clearFault();
      await healthy(live);
      assert.deepEqual(await ids(live), [...stored].sort((a, b) => a - b), `seed ${seed}: before the restart`);
      live = await afterPowerLoss(fs, live);
      assert.deepEqual(await ids(live), [...stored].sort((a, b) => a - b), `seed ${seed}: after a power loss`);
    } finally {
      await live.close();
    }
  }
  t.diagnostic(`${acknowledged} inserts acknowledged, ${refused} operations refused by a fault`);
  assert.ok(refused > 50 && acknowledged > 50, 'the faults and the writes both happened');
});
