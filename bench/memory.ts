// memory: bytes of memory per stored row against the raw size of its data, for the
// 128-dim + 6 scalars rows of insert-throughput, in three states:
//   growing   inserted (acknowledged, in the log), not flushed, in the writing process
//   flushed   the same rows after flush(), in the same process
//   restart   a fresh process that opened the flushed folder (loadCollection + count)
// Measured as heapUsed + arrayBuffers after global.gc() (typed-array storage lives
// outside the JS heap), before and after, and set beside db.memoryBytes(), the
// engine's own accounting. RSS is shown too (it includes freed-but-kept pages).
//
//   node --expose-gc dist/bench/memory.js [--rows 100000]
//
// (Started without --expose-gc it re-runs itself with it.)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Elanus } from '../src/engine/index.js';
import {
  fmt, fmtInt, fmtMB, folderSize, gc, hasGc, memNow, parseArgs, peakRss, printTable, removeDir, scratchDir,
  wideRawBytes, wideRows, wideSchema, writeResult,
} from './lib.js';

const args = parseArgs(process.argv.slice(2));
const ROWS = Number(args.rows ?? 100_000);
const DIM = 128;
const BATCH = 1000;
const collection = 'bench_memory';
const limits = { backgroundIntervalMs: 0, segmentRowsMax: 1_000_000 };
const self = fileURLToPath(import.meta.url);

interface State {
  state: string;
  jsBytes: number;
  heapBytes: number;
  arrayBufferBytes: number;
  rssBytes: number;
  memoryBytesReported: number;
}

async function restartChild(dir: string): Promise<void> {
  gc();
  const m0 = memNow();
  const db = await Elanus.open({ path: dir, limits });
  await db.loadCollection({ collection_name: collection });
  const count = (await db.count({ collection_name: collection, consistency_level: 'Strong' })).data;
  gc();
  const m1 = memNow();
  const report = {
    count,
    jsBytes: m1.js - m0.js,
    heapBytes: m1.heapUsed - m0.heapUsed,
    arrayBufferBytes: m1.arrayBuffers - m0.arrayBuffers,
    rssBytes: m1.rss - m0.rss,
    memoryBytesReported: db.memoryBytes({ collection_name: collection }),
    peakRss: peakRss(),
    segments: db.segmentInfo({ collection_name: collection }).map((s) => ({ state: s.state, rows: s.rows })),
  };
  await db.close();
  process.stdout.write(`RESULT ${JSON.stringify(report)}\n`);
}

/** What a Map<number, {seg, row}> of `n` entries costs alone: the shape of the primary-key index. */
function mapReference(n: number): number {
  gc();
  const m0 = memNow().js;
  const seg = {};
  const map = new Map<number, { seg: object; row: number }>();
  for (let i = 0; i < n; i++) map.set(i, { seg, row: i });
  gc();
  const bytes = memNow().js - m0;
  if (map.size !== n) throw new Error('unreachable');
  return bytes;
}

/** Inserts, measures growing and flushed, closes. Returns nothing that refers to the engine. */
async function writePhase(dir: string, m0: ReturnType<typeof memNow>) {
  let rawBytes = 0;
  const states: State[] = [];
  const db = await Elanus.open({ path: dir, limits });
  await db.createCollection({ collection_name: collection, fields: wideSchema(DIM) });
  await db.loadCollection({ collection_name: collection });
  gc();
  const m1 = memNow();
  const emptyEngineBytes = m1.js - m0.js;
  for (let from = 0; from < ROWS; from += BATCH) {
    // Rows are made per batch, so nothing of the input outlives its insert.
    const rows = wideRows(from, Math.min(BATCH, ROWS - from), DIM);
    for (const r of rows) rawBytes += wideRawBytes(r, DIM);
    await db.insert({ collection_name: collection, data: rows });
  }
  const measure = (state: string): State => {
    gc();
    const m = memNow();
    return {
      state,
      jsBytes: m.js - m1.js,
      heapBytes: m.heapUsed - m1.heapUsed,
      arrayBufferBytes: m.arrayBuffers - m1.arrayBuffers,
      rssBytes: m.rss - m1.rss,
      memoryBytesReported: db.memoryBytes({ collection_name: collection }),
    };
  };
  states.push(measure('growing (not flushed)'));
  await db.flush({ collection_names: [collection] });
  states.push(measure('flushed, same process'));
  const count = (await db.count({ collection_name: collection, consistency_level: 'Strong' })).data;
  if (count !== ROWS) throw new Error(`count(*) is ${count}, expected ${ROWS}`);
  await db.close();
  return { states, rawBytes, emptyEngineBytes };
}

async function main(): Promise<void> {
  console.log(`memory: ${fmtInt(ROWS)} rows, ${DIM}-dim FloatVector + Int64 pk, Int32, Float, Double, VarChar(64), Bool, JSON`);
  const dir = scratchDir('memory');
  try {
    gc();
    const m0 = memNow();
    const { states, rawBytes, emptyEngineBytes } = await writePhase(dir, m0);
    // Nothing of ours refers to the engine any more: what stays is held by something else.
    gc();
    const afterClose = memNow().js - m0.js;
    const folder = folderSize(dir);

    const r = spawnSync(process.execPath, ['--expose-gc', self, '--role', 'restart', '--dir', dir, '--rows', String(ROWS)], { encoding: 'utf8' });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`restart child failed: ${r.stderr}`);
    const child = JSON.parse(line.slice(7)) as State & { count: number; peakRss: number };
    if (child.count !== ROWS) throw new Error(`count(*) after restart is ${child.count}, expected ${ROWS}`);
    states.push({ ...child, state: 'flushed, after restart' });

    const mapBytes = mapReference(ROWS);
    const rawPerRow = rawBytes / ROWS;
    printTable(`Memory per row, ${fmtInt(ROWS)} rows; raw data ${fmt(rawPerRow, 1)} bytes/row (${fmtMB(rawBytes)})`,
      ['state', 'JS heap+buffers', 'bytes/row', 'x raw', 'of which heap', 'of which buffers', 'memoryBytes()', 'bytes/row', 'measured/reported', 'RSS delta'],
      states.map((s) => [
        s.state, fmtMB(s.jsBytes), fmt(s.jsBytes / ROWS, 0), fmt(s.jsBytes / rawBytes, 2), fmt(s.heapBytes / ROWS, 0), fmt(s.arrayBufferBytes / ROWS, 0),
        fmtMB(s.memoryBytesReported), fmt(s.memoryBytesReported / ROWS, 0), fmt(s.jsBytes / s.memoryBytesReported, 2), fmtMB(s.rssBytes),
      ]));
    console.log(`\nreference: a Map<number, {seg, row}> of ${fmtInt(ROWS)} entries (the primary-key index's shape) alone takes ${fmt(mapBytes / ROWS, 0)} bytes/entry`);
    console.log(`engine open with an empty collection: ${fmtMB(emptyEngineBytes, 2)}; left after close(), dropping our reference and gc: ${fmtMB(afterClose, 2)}`);
    console.log(`data folder after flush: ${fmtMB(folder.total)} (${fmt(folder.total / rawBytes, 2)} x raw); restart process peak RSS ${fmtMB(child.peakRss)}`);

    writeResult('memory', {
      params: { rows: ROWS, dim: DIM, batch: BATCH, limits, rawBytes, rawBytesPerRow: rawPerRow },
      states: states.map((s) => ({ ...s, jsBytesPerRow: s.jsBytes / ROWS, reportedBytesPerRow: s.memoryBytesReported / ROWS, xRaw: s.jsBytes / rawBytes })),
      emptyEngineBytes,
      afterCloseBytes: afterClose,
      pkMapReferenceBytesPerEntry: mapBytes / ROWS,
      folderAfterFlush: folder,
      restartPeakRss: child.peakRss,
      restartSegments: (child as unknown as { segments: unknown }).segments,
    });
  } finally {
    removeDir(dir);
  }
}

if (!hasGc()) {
  // Re-run with --expose-gc: the readings need a full collection before each.
  const r = spawnSync(process.execPath, ['--expose-gc', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else if (args.role === 'restart') {
  restartChild(args.dir!).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
