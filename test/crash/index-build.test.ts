// A crash during an index build leaves no half-written index visible. kill -9 at random
// moments of a build (real disk), and power loss at every I/O operation of a build (the
// fault-injecting file system, which forgets what was not fsynced): after each restart
// no build fails, every index file that is used is whole (or the segment is rebuilt),
// no temporary file is left, and search answers are those of an exact search.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataType, Elanus, ElanusError } from '../../src/index.js';
import { FaultFileSystem, Random, ScheduledFileSystem, listObjectFiles, temporaryObjectFiles } from '../../src/testing/index.js';
import { indexCollection, indexDim, indexRows, vectorOf } from './index-data.js';

const childPath = fileURLToPath(new URL('./index-child.js', import.meta.url));

/** Exact top-5 ids (L2) among rows 0..n-1 for the query vector. */
function exactTop(q: number[], n: number, k = 5): number[] {
  const d: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const v = vectorOf(i);
    let s = 0;
    for (let j = 0; j < indexDim; j++) s += (v[j]! - q[j]!) ** 2;
    d.push([i, s]);
  }
  return d.sort((a, b) => a[1] - b[1] || a[0] - b[0]).slice(0, k).map((x) => x[0]);
}

async function checkSearch(db: Elanus, n: number, where: string): Promise<void> {
  await db.loadCollection({ collection_name: indexCollection });
  for (const i of [3, 777, n - 1]) {
    const q = vectorOf(i).map((x) => x + 0.01);
    const r = await db.search({ collection_name: indexCollection, data: [q], limit: 5, params: { ef: 200 }, consistency_level: 'Strong' });
    assert.equal((r.results as Array<Array<{ id: number }>>)[0]![0]!.id, exactTop(q, n)[0], `${where}: query near row ${i}`);
  }
}

test('kill -9 during index builds: restart, no half-written index, builds finish', { timeout: 300_000 }, async () => {
  const path = mkdtempSync(join(tmpdir(), 'elanus-index-kill-'));
  const rnd = new Random(9);
  let killedMidBuild = 0;
  try {
    for (let run = 0; run < 6; run++) {
      const outcome = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [childPath, path], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => {
          out += String(d);
          if (out.includes('BUILDING\n') && !out.includes('KILLING')) {
            out += 'KILLING';
            setTimeout(() => child.kill('SIGKILL'), rnd.int(1500));
          }
        });
        child.stderr.on('data', (d) => (err += String(d)));
        child.on('error', reject);
        child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve(out.includes('BUILT') ? 'built' : 'mid-build') : reject(new Error(`child exited on its own: ${err}`))));
      });
      if (outcome === 'mid-build') killedMidBuild++;
      // Reopen in this process: the leftovers of the killed build are collected, nothing half-written is used.
      const db = await Elanus.open({ path, limits: { backgroundIntervalMs: 0 } });
      try {
        assert.deepEqual(await temporaryObjectFiles(path), [], 'no temporary file survives a restart');
        assert.deepEqual((await listObjectFiles(path)).filter((o) => !/^segments\/\d+\/\d+\.(seg|\d+\.vidx)$/.test(o.key)), [], 'only segment and index files');
        const s = await db.waitForIndexes();
        assert.equal(s.failed, 0, `run ${run}: no build fails`);
        const p = await db.getIndexBuildProgress({ collection_name: indexCollection, field_name: 'vector' });
        assert.equal(p.indexed_rows, indexRows);
        await checkSearch(db, indexRows, `after kill ${run} (${outcome})`);
      } finally {
        await db.close();
      }
      // Drop the index files now and then so the next run builds again.
      if (run % 2 === 1) {
        const db2 = await Elanus.open({ path, limits: { backgroundIntervalMs: 0 } });
        await db2.releaseCollection({ collection_name: indexCollection });
        await db2.dropIndex({ collection_name: indexCollection, field_name: 'vector' });
        await db2.close();
      }
    }
    console.log(`# 6 kills, ${killedMidBuild} of them during a build`);
    assert.ok(killedMidBuild >= 2, `some kills landed during a build (${killedMidBuild})`);
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
});

test('power loss at every I/O operation of an index build', { timeout: 300_000 }, async () => {
  const rows = 3000;
  const limits = { backgroundIntervalMs: 0, segmentRowsMax: 1000 };
  const prepare = async (fs: FaultFileSystem) => {
    const db = await Elanus.open({ path: '/d', fs, limits });
    await db.createCollection({ collection_name: indexCollection, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vector', data_type: DataType.FloatVector, dim: indexDim }] });
    // Three batches of 1,000: three segments, three index files.
    for (let f = 0; f < rows; f += 1000) await db.insert({ collection_name: indexCollection, data: Array.from({ length: 1000 }, (_, i) => ({ id: f + i, vector: vectorOf(f + i) })) });
    await db.flush({ collection_names: [indexCollection] });
    await db.close();
  };
  const build = async (fs: FaultFileSystem) => {
    let fenced = false;
    const view = new ScheduledFileSystem(fs, (label, run) => (fenced ? Promise.reject(new ElanusError('STORAGE_IO', { path: label, detail: 'fenced' })) : run()));
    try {
      const db = await Elanus.open({ path: '/d', fs: view, limits });
      await db.createIndex({ collection_name: indexCollection, field_name: 'vector', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 64 } });
      await db.waitForIndexes();
      if (!fs.crashed) await db.close();
    } catch (e) {
      assert.ok(e instanceof ElanusError, `only coded errors escape: ${String(e)}`);
    } finally {
      fenced = true;
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    }
  };
  const dry = new FaultFileSystem({ seed: 3 });
  await prepare(dry);
  const before = dry.opCount;
  await build(dry);
  const total = dry.opCount - before;
  assert.ok(total >= 3 * 5, `the build does its own I/O (${total} operations)`);
  let withIndex = 0;
  for (let k = 1; k <= total; k++) {
    const fs = new FaultFileSystem({ seed: 3 });
    await prepare(fs);
    fs.crashAfter(k);
    await build(fs);
    fs.powerLoss();
    const db = await Elanus.open({ path: '/d', fs, limits });
    try {
      const s = await db.waitForIndexes();
      assert.equal(s.failed, 0, `power loss after build op ${k}: no build fails`);
      const has = (await db.listIndexes({ collection_name: indexCollection })).indexes.length > 0;
      if (has) {
        withIndex++;
        assert.equal(s.loaded + s.built, 3, `power loss after build op ${k}: every segment has its index (loaded ${s.loaded}, built ${s.built})`);
      }
      await checkSearch(db, rows, `power loss after build op ${k} of ${total}`);
    } finally {
      await db.close();
    }
  }
  console.log(`# power loss at ${total} build operations; the index survived in ${withIndex}`);
});
