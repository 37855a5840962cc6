// recovery: how long a fresh process needs after a kill -9 to open the data folder,
// load the collection and answer the first count(*), and whether that count is exact.
//
//   node dist/bench/recovery.js [--rows 1000000] [--flushed 700000] [--reps 3]
//
// A writer child inserts `rows` rows (Int64 pk, 16-dim FloatVector, Int32, Double; a
// small vector keeps the run short), flushing every 100,000 rows for the first
// `flushed` rows (so those are in segment files) and leaving the rest only in the log.
// Once every insert is acknowledged it SIGKILLs itself. Then, alternately, fresh
// processes either
//   - open:  Elanus.open + loadCollection + first count(*) (Strong), checked exact, or
//   - floor: read every file of the data folder into memory (the I/O floor),
// each once with the files' pages dropped from the page cache (cold, via
// `dd iflag=nocache`, which touches only these files) and once with them cached (warm).
//
// Elanus runs with backgroundIntervalMs: 0 and segmentRowsMax: 1,000,000 in the
// writer and the readers alike: with the default 100,000 a growing segment is sealed
// and flushed on its own, so 300,000 rows could not stay in the log only.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DataType } from '../src/catalog/index.js';
import { Elanus } from '../src/engine/index.js';
import {
  fmt, fmtInt, fmtMB, folderSize, gc, listFiles, median, memNow, now, parseArgs, peakRss, printTable, removeDir, rng,
  scratchDir, writeResult,
} from './lib.js';

const args = parseArgs(process.argv.slice(2));
const ROWS = Number(args.rows ?? 1_000_000);
const FLUSHED = Number(args.flushed ?? 700_000);
const REPS = Number(args.reps ?? 3);
const DIM = 16;
const BATCH = 10_000;
const FLUSH_EVERY = 100_000;
const collection = 'bench_recovery';
const limits = { backgroundIntervalMs: 0, segmentRowsMax: 1_000_000 };
const self = fileURLToPath(import.meta.url);

/** Raw bytes of one row: Int64 + Int32 + Double + 4 x DIM. */
const rawBytesPerRow = 8 + 4 + 8 + 4 * DIM;

function rows(from: number, n: number): Array<Record<string, unknown>> {
  const rand = rng(from + 17);
  const out = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    const vec = new Array<number>(DIM);
    for (let d = 0; d < DIM; d++) vec[d] = Math.fround(rand() * 2 - 1);
    out[k] = { id: i, n32: i % 1000, f64: rand(), vec };
  }
  return out;
}

// ---------------------------------------------------------------- child roles

async function writer(dir: string): Promise<void> {
  const t0 = now();
  const db = await Elanus.open({ path: dir, limits });
  await db.createCollection({
    collection_name: collection,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'n32', data_type: DataType.Int32 },
      { name: 'f64', data_type: DataType.Double },
      { name: 'vec', data_type: DataType.FloatVector, dim: DIM },
    ],
  });
  // Two inserts in flight, as a client with a little pipelining would do.
  let next = 0;
  const insertUntil = async (stop: number) => {
    for (;;) {
      const from = next;
      if (from >= stop) return;
      next = Math.min(stop, from + BATCH);
      await db.insert({ collection_name: collection, data: rows(from, next - from) });
    }
  };
  // The flushed part: a flush after every FLUSH_EVERY rows gives segments of the size
  // the default limits make.
  while (next < FLUSHED) {
    const stop = Math.min(FLUSHED, next + FLUSH_EVERY);
    await Promise.all([insertUntil(stop), insertUntil(stop)]);
    await db.flush({ collection_names: [collection] });
  }
  const tFlushed = now();
  // The rest stays in the log only.
  await Promise.all([insertUntil(ROWS), insertUntil(ROWS)]);
  const segs = db.segmentInfo({ collection_name: collection });
  const report = {
    acked: next,
    seconds: (now() - t0) / 1000,
    flushedPartSeconds: (tFlushed - t0) / 1000,
    segments: segs.map((s) => ({ state: s.state, rows: s.rows })),
    peakRss: peakRss(),
  };
  process.stdout.write(`RESULT ${JSON.stringify(report)}\n`, () => {
    // Every insert above was acknowledged (durable); die without closing anything.
    process.kill(process.pid, 'SIGKILL');
  });
}

async function opener(dir: string): Promise<void> {
  const startRss = peakRss();
  const m0 = memNow();
  const t0 = now();
  const db = await Elanus.open({ path: dir, limits });
  const t1 = now();
  await db.loadCollection({ collection_name: collection });
  const t2 = now();
  const count = (await db.count({ collection_name: collection, consistency_level: 'Strong' })).data;
  const t3 = now();
  // After the timing: a full collection, so that the JS figure is what the engine holds.
  gc();
  const m1 = memNow();
  const segs = db.segmentInfo({ collection_name: collection });
  const memoryBytes = db.memoryBytes({ collection_name: collection });
  // Beyond the count: the first and the last acknowledged rows read back with their values.
  const got = await db.get({ collection_name: collection, ids: [0, ROWS - 1], output_fields: ['id', 'n32'] });
  const ends = got.data.map((r) => `${r.id}:${r.n32}`).sort().join(',');
  const endsOk = ends === [`0:0`, `${ROWS - 1}:${(ROWS - 1) % 1000}`].sort().join(',');
  const report = {
    count,
    endsOk,
    openMs: t1 - t0,
    loadMs: t2 - t1,
    countMs: t3 - t2,
    totalMs: t3 - t0,
    peakRss: peakRss(),
    startPeakRss: startRss,
    rssAfter: m1.rss,
    jsAfter: m1.js,
    jsBefore: m0.js,
    memoryBytes,
    segments: segs.map((s) => ({ state: s.state, rows: s.rows })),
  };
  await db.close();
  process.stdout.write(`RESULT ${JSON.stringify(report)}\n`);
}

async function floor(dir: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const startRss = peakRss();
  const t0 = now();
  const files = listFiles(dir);
  const held: Uint8Array[] = [];
  let bytes = 0;
  for (const f of files) {
    const b = await readFile(f.path);
    held.push(b);
    bytes += b.length;
  }
  const t1 = now();
  process.stdout.write(`RESULT ${JSON.stringify({ totalMs: t1 - t0, bytes, files: held.length, peakRss: peakRss(), startPeakRss: startRss })}\n`);
}

// ---------------------------------------------------------------- parent

interface ChildResult {
  wallMs: number;
  signal: NodeJS.Signals | null;
  code: number | null;
  result: Record<string, unknown> | undefined;
  stderr: string;
}

function child(role: string, dir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const p = spawn(process.execPath, ['--expose-gc', self, '--role', role, '--dir', dir, '--rows', String(ROWS), '--flushed', String(FLUSHED)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      resolve({ wallMs: now() - t0, code, signal, result: line ? JSON.parse(line.slice(7)) : undefined, stderr: err });
    });
  });
}

/** Drops the folder's files from the page cache (only these files; dirty pages are synced first). */
function dropCache(dir: string): void {
  const files = listFiles(dir).map((f) => f.path);
  if (files.length === 0) return;
  spawnSync('sync', files);
  for (const f of files) spawnSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
}

async function main(): Promise<void> {
  console.log(`recovery: ${fmtInt(ROWS)} rows (Int64 pk, ${DIM}-dim FloatVector, Int32, Double; ${rawBytesPerRow} raw bytes/row), ${fmtInt(FLUSHED)} flushed in segments of ${fmtInt(FLUSH_EVERY)}, ${fmtInt(ROWS - FLUSHED)} only in the log; kill -9 after the last acknowledgement`);
  const dir = scratchDir('recovery');
  try {
    const w = await child('writer', dir);
    if (w.signal !== 'SIGKILL' || !w.result) throw new Error(`the writer did not die by SIGKILL after reporting (code ${w.code}, signal ${w.signal}): ${w.stderr}`);
    const wr = w.result as { acked: number; seconds: number; segments: Array<{ state: string; rows: number }>; peakRss: number };
    if (wr.acked !== ROWS) throw new Error(`the writer acknowledged ${wr.acked} rows, expected ${ROWS}`);
    const flushedRows = wr.segments.filter((s) => s.state === 'flushed').reduce((n, s) => n + s.rows, 0);
    console.log(`writer: ${fmtInt(wr.acked)} rows acknowledged in ${fmt(wr.seconds, 1)} s (${fmtInt(flushedRows)} in flushed segments), then SIGKILL`);
    const folder = folderSize(dir);
    const rawBytes = ROWS * rawBytesPerRow;
    console.log(`data folder: ${fmtMB(folder.total)} in ${folder.files} files (${Object.entries(folder.byTop).map(([k, v]) => `${k} ${fmtMB(v)}`).join(', ')}); raw data ${fmtMB(rawBytes)}`);

    const runs: Array<{ cache: 'cold' | 'warm'; rep: number; open: ChildResult; floor: ChildResult }> = [];
    for (let rep = 0; rep < REPS; rep++) {
      for (const cache of ['cold', 'warm'] as const) {
        // Alternate which goes first, so neither always follows the other's cache effects.
        const order = rep % 2 === 0 ? ['floor', 'open'] : ['open', 'floor'];
        const got: Record<string, ChildResult> = {};
        for (const role of order) {
          if (cache === 'cold') dropCache(dir);
          else await child('floor', dir); // warm the cache
          got[role] = await child(role, dir);
          if (!got[role]!.result) throw new Error(`${role} child failed (code ${got[role]!.code}): ${got[role]!.stderr}`);
        }
        const count = got.open!.result!.count as number;
        if (count !== ROWS) throw new Error(`count(*) after kill -9 is ${count}, expected ${ROWS} — acknowledged writes lost or duplicated`);
        if (got.open!.result!.endsOk !== true) throw new Error('the first or the last acknowledged row did not read back after kill -9');
        runs.push({ cache, rep, open: got.open!, floor: got.floor! });
        const o = got.open!.result!;
        console.log(`  rep ${rep + 1} ${cache}: open+load+count ${fmt(o.totalMs as number, 0)} ms (count ${fmtInt(count)}), read-all floor ${fmt(got.floor!.result!.totalMs as number, 0)} ms`);
      }
    }

    const rowsOut = (['cold', 'warm'] as const).map((cache) => {
      const rs = runs.filter((r) => r.cache === cache);
      const m = (f: (r: (typeof rs)[number]) => number) => median(rs.map(f));
      const o = (k: string) => m((r) => r.open.result![k] as number);
      const fl = (k: string) => m((r) => r.floor.result![k] as number);
      return {
        cache,
        openMs: o('openMs'),
        loadMs: o('loadMs'),
        countMs: o('countMs'),
        totalMs: o('totalMs'),
        floorMs: fl('totalMs'),
        ratio: o('totalMs') / fl('totalMs'),
        openPeakRss: o('peakRss'),
        floorPeakRss: fl('peakRss'),
        nodeBaselineRss: m((r) => r.open.result!.startPeakRss as number),
        openWallMs: m((r) => r.open.wallMs),
        floorWallMs: m((r) => r.floor.wallMs),
        memoryBytes: o('memoryBytes'),
        jsHeldBytes: m((r) => (r.open.result!.jsAfter as number) - (r.open.result!.jsBefore as number)),
        count: ROWS,
      };
    });
    printTable(`Recovery after kill -9: ${fmtInt(ROWS)} rows (${fmtInt(FLUSHED)} flushed, ${fmtInt(ROWS - FLUSHED)} in the log), data folder ${fmtMB(folder.total)}, median of ${REPS}`,
      ['page cache', 'open ms', 'load ms', 'count ms', 'total ms', 'read-all floor ms', 'Elanus/floor', 'peak RSS Elanus', 'peak RSS floor', 'count exact'],
      rowsOut.map((r) => [r.cache, fmt(r.openMs, 0), fmt(r.loadMs, 1), fmt(r.countMs, 1), fmt(r.totalMs, 0), fmt(r.floorMs, 0), `${fmt(r.ratio, 1)}x`,
        fmtMB(r.openPeakRss), fmtMB(r.floorPeakRss), 'yes']));
    const held = rowsOut[0]!.jsHeldBytes;
    console.log(`memory after recovery (gc'd): JS heap+buffers ${fmtMB(held)} = ${fmt(held / ROWS, 0)} bytes/row (raw ${rawBytesPerRow}); db.memoryBytes() says ${fmtMB(rowsOut[0]!.memoryBytes)} = ${fmt(rowsOut[0]!.memoryBytes / ROWS, 0)} bytes/row (measured/reported ${fmt(held / rowsOut[0]!.memoryBytes, 2)})`);
    console.log(`(a bare node process that has loaded the engine's modules peaks at ${fmtMB(rowsOut[0]!.nodeBaselineRss)} RSS; process wall time incl. node start: Elanus ${fmt(rowsOut[0]!.openWallMs, 0)} ms, floor ${fmt(rowsOut[0]!.floorWallMs, 0)} ms cold)`);

    writeResult('recovery', {
      params: { rows: ROWS, flushed: FLUSHED, dim: DIM, batch: BATCH, flushEvery: FLUSH_EVERY, reps: REPS, limits, rawBytesPerRow, rawBytes },
      writer: wr,
      folder,
      summary: rowsOut,
      runs: runs.map((r) => ({ cache: r.cache, rep: r.rep, open: { wallMs: r.open.wallMs, ...r.open.result }, floor: { wallMs: r.floor.wallMs, ...r.floor.result } })),
    });
  } finally {
    removeDir(dir);
  }
}

const role = args.role;
const dirArg = args.dir;
const run = role === 'writer' ? writer(dirArg!) : role === 'open' ? opener(dirArg!) : role === 'floor' ? floor(dirArg!) : main();
run.catch((e) => {
  console.error(e);
  process.exit(1);
});
