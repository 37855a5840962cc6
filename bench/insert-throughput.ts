// insert-throughput: durable inserts of rows with a 128-dim FloatVector and 6 scalar
// fields, in batches of 1,000 and of 10 (1 writer, and 16 writers in flight as a
// server would see), against the machine's durable-write limit measured in the same
// run: the very bytes Elanus wrote to its log, appended to a plain file with node:fs
// and an fdatasync per batch (per group of batches when several writers are in flight,
// which is what group commit can at best achieve).
//
//   node --expose-gc dist/bench/insert-throughput.js [--rows 100000] [--reps 5] [--only 1000x1,1000x4,10x16,10x1]
//
// Every insert is acknowledged only once durable (Elanus acknowledges after the log's
// fdatasync). Elanus runs with backgroundIntervalMs: 0 and segmentRowsMax: 1,000,000 so
// that no flush starts in the middle of the timed inserts; the flush is timed apart.
import { closeSync, fdatasyncSync, openSync, readFileSync, readdirSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { Elanus } from '../src/engine/index.js';
import { CountingFileSystem } from './counting-fs.js';
import {
  MB, type Row, parseArgs, fmt, fmtInt, fmtMB, folderSize, gc, hasGc, median, memNow, now, peakRss, percentile, printTable,
  removeDir, scratchDir, wideRawBytes, wideRows, wideSchema, writeResult,
} from './lib.js';

const args = parseArgs(process.argv.slice(2));
const ROWS = Number(args.rows ?? 100_000);
const REPS = Number(args.reps ?? 5);
const DIM = 128;
const collection = 'bench_insert';

interface Config {
  key: string;
  batch: number;
  writers: number;
}

const configs: Config[] = [
  { key: '1000x1', batch: 1000, writers: 1 },
  { key: '1000x4', batch: 1000, writers: 4 },
  { key: '10x16', batch: 10, writers: 16 },
  { key: '10x1', batch: 10, writers: 1 },
].filter((c) => !args.only || String(args.only).split(',').includes(c.key));

interface ElanusRun {
  seconds: number;
  rowsPerSec: number;
  rawMBPerSec: number;
  latencyMsP50: number;
  latencyMsP99: number;
  firstTenthRowsPerSec: number;
  lastTenthRowsPerSec: number;
  fileSyncs: number;
  dirSyncs: number;
  bytesWritten: number;
  cpuSeconds: number;
  folderAfterInsert: ReturnType<typeof folderSize>;
  flushSeconds: number;
  flushFileSyncs: number;
  folderAfterFlush: ReturnType<typeof folderSize>;
  memoryBytesReported: number;
  jsHeldBytes: number | undefined;
  rssAfterInsert: number;
  count: number;
  /** The log records as written (framing included), one per insert call, in log order. */
  records: Uint8Array[];
}

interface RawRun {
  seconds: number;
  rowsPerSec: number;
  rawMBPerSec: number;
  encodedMBPerSec: number;
  latencyMsP50: number;
  latencyMsP99: number;
  fdatasyncs: number;
  fileBytes: number;
  cpuSeconds: number;
}

async function main(): Promise<void> {
  console.log(`insert-throughput: ${fmtInt(ROWS)} rows, ${DIM}-dim FloatVector + Int64 pk, Int32, Float, Double, VarChar(64), Bool, JSON; ${REPS} rep(s) per configuration`);
  const t0 = now();
  const rows = wideRows(0, ROWS, DIM);
  let rawBytes = 0;
  for (const r of rows) rawBytes += wideRawBytes(r, DIM);
  console.log(`generated rows in ${fmt((now() - t0) / 1000, 1)} s; raw data ${fmtMB(rawBytes)} (${fmt(rawBytes / ROWS, 1)} bytes/row)`);

  const out: Array<{ config: Config; elanus: Omit<ElanusRun, 'records'>[]; raw: RawRun[] }> = [];
  for (const config of configs) {
    const elanusRuns: Omit<ElanusRun, 'records'>[] = [];
    const rawRuns: RawRun[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      // Alternate the two so that a noisy neighbour hits both alike.
      const e = await runElanus(config, rows, rawBytes);
      const { records, ...rest } = e;
      elanusRuns.push(rest);
      const r = await runRaw(config, records, rows.length, rawBytes);
      rawRuns.push(r);
      console.log(`  ${config.key} rep ${rep + 1}: Elanus ${fmtInt(e.rowsPerSec)} rows/s (${e.fileSyncs} fsyncs), raw ${fmtInt(r.rowsPerSec)} rows/s (${r.fdatasyncs} fdatasyncs)`);
    }
    out.push({ config, elanus: elanusRuns, raw: rawRuns });
  }

  // ---- tables
  const summary = out.map(({ config, elanus, raw }) => {
    const e = (f: (x: Omit<ElanusRun, 'records'>) => number) => median(elanus.map(f));
    const r = (f: (x: RawRun) => number) => median(raw.map(f));
    return {
      config: config.key,
      batch: config.batch,
      writers: config.writers,
      elanusRowsPerSec: e((x) => x.rowsPerSec),
      elanusRawMBPerSec: e((x) => x.rawMBPerSec),
      elanusLatencyMsP50: e((x) => x.latencyMsP50),
      elanusLatencyMsP99: e((x) => x.latencyMsP99),
      elanusFsyncs: e((x) => x.fileSyncs),
      elanusLastOverFirstTenth: e((x) => x.lastTenthRowsPerSec / x.firstTenthRowsPerSec),
      elanusCpuSeconds: e((x) => x.cpuSeconds),
      elanusSeconds: e((x) => x.seconds),
      rawRowsPerSec: r((x) => x.rowsPerSec),
      rawRawMBPerSec: r((x) => x.rawMBPerSec),
      rawEncodedMBPerSec: r((x) => x.encodedMBPerSec),
      rawFdatasyncs: r((x) => x.fdatasyncs),
      rawLatencyMsP50: r((x) => x.latencyMsP50),
      rawSeconds: r((x) => x.seconds),
      // Each rep's Elanus run is paired with the raw run right after it (same disk weather).
      ratio: median(elanus.map((x, i) => x.rowsPerSec / raw[i]!.rowsPerSec)),
      ratioMin: elanus.reduce((m, x, i) => Math.min(m, x.rowsPerSec / raw[i]!.rowsPerSec), Infinity),
      ratioMax: elanus.reduce((m, x, i) => Math.max(m, x.rowsPerSec / raw[i]!.rowsPerSec), -Infinity),
      rawCpuSeconds: r((x) => x.cpuSeconds),
      folderAfterInsertBytes: e((x) => x.folderAfterInsert.total),
      walBytesAfterInsert: e((x) => x.folderAfterInsert.byTop.wal ?? 0),
      folderAfterFlushBytes: e((x) => x.folderAfterFlush.total),
      // Segment, L0 and index files are objects of the store at <data folder>/objects.
      segmentBytesAfterFlush: e((x) => x.folderAfterFlush.byTop.objects ?? 0),
      walBytesAfterFlush: e((x) => x.folderAfterFlush.byTop.wal ?? 0),
      flushSeconds: e((x) => x.flushSeconds),
      memoryBytesReported: e((x) => x.memoryBytesReported),
      jsHeldBytes: elanus[0]!.jsHeldBytes === undefined ? undefined : e((x) => x.jsHeldBytes!),
      rssAfterInsert: e((x) => x.rssAfterInsert),
    };
  });

  printTable(`Durable inserts, ${fmtInt(ROWS)} rows (${fmt(rawBytes / ROWS, 0)} raw bytes/row), median of ${REPS} (Elanus/raw: median and range of per-rep ratios); raw = same log bytes appended to a plain file + fdatasync per batch (per group of queued batches with >1 writer)`,
    ['batch x writers', 'Elanus rows/s', 'Elanus MB/s', 'raw rows/s', 'raw MB/s', 'Elanus/raw (range)', 'Elanus fsyncs', 'raw fsyncs', 'ack p50 ms', 'ack p99 ms', 'Elanus CPU s / wall s', 'raw CPU s / wall s', 'last/first 10%'],
    summary.map((s) => [
      `${s.batch} x ${s.writers}`, fmtInt(s.elanusRowsPerSec), fmt(s.elanusRawMBPerSec, 1), fmtInt(s.rawRowsPerSec), fmt(s.rawRawMBPerSec, 1),
      `${fmt(s.ratio * 100, 0)}% (${fmt(s.ratioMin * 100, 0)}-${fmt(s.ratioMax * 100, 0)})`, fmtInt(s.elanusFsyncs), fmtInt(s.rawFdatasyncs), fmt(s.elanusLatencyMsP50, 2), fmt(s.elanusLatencyMsP99, 2),
      `${fmt(s.elanusCpuSeconds, 2)} / ${fmt(s.elanusSeconds, 2)}`, `${fmt(s.rawCpuSeconds, 2)} / ${fmt(s.rawSeconds, 2)}`, fmt(s.elanusLastOverFirstTenth, 2),
    ]));

  printTable(`Data folder vs raw data (${fmtMB(rawBytes)})`,
    ['batch x writers', 'after insert', 'of which log', 'x raw', 'flush s', 'after flush', 'segments', 'log kept', 'x raw'],
    summary.map((s) => [
      `${s.batch} x ${s.writers}`, fmtMB(s.folderAfterInsertBytes), fmtMB(s.walBytesAfterInsert), fmt(s.folderAfterInsertBytes / rawBytes, 2),
      fmt(s.flushSeconds, 2), fmtMB(s.folderAfterFlushBytes), fmtMB(s.segmentBytesAfterFlush), fmtMB(s.walBytesAfterFlush), fmt(s.folderAfterFlushBytes / rawBytes, 2),
    ]));

  printTable('Memory after the inserts (growing segment, before flush)',
    ['batch x writers', 'memoryBytes()', 'JS heap+buffers held', 'RSS'],
    summary.map((s) => [`${s.batch} x ${s.writers}`, fmtMB(s.memoryBytesReported), s.jsHeldBytes === undefined ? 'n/a (no --expose-gc)' : fmtMB(s.jsHeldBytes), fmtMB(s.rssAfterInsert)]));

  writeResult('insert-throughput', {
    params: { rows: ROWS, dim: DIM, reps: REPS, rawBytes, rawBytesPerRow: rawBytes / ROWS, limits: { backgroundIntervalMs: 0, segmentRowsMax: 1_000_000 } },
    summary,
    runs: out,
    peakRssBytes: peakRss(),
  });
}

async function runElanus(config: Config, rows: Row[], rawBytes: number): Promise<ElanusRun> {
  const dir = scratchDir('insert');
  const fs = new CountingFileSystem();
  try {
    if (hasGc()) gc();
    const before = memNow();
    const db = await Elanus.open({ path: dir, fs, limits: { backgroundIntervalMs: 0, segmentRowsMax: 1_000_000 } });
    await db.createCollection({ collection_name: collection, fields: wideSchema(DIM) });
    const batches = Math.ceil(rows.length / config.batch);
    const latencies: number[] = new Array(batches);
    const doneAt: number[] = [];
    let next = 0;
    fs.reset();
    const cpu0 = process.cpuUsage();
    const t0 = now();
    const writer = async () => {
      for (;;) {
        const b = next++;
        if (b >= batches) return;
        const s = now();
        await db.insert({ collection_name: collection, data: rows.slice(b * config.batch, (b + 1) * config.batch) });
        latencies[b] = now() - s;
        doneAt.push(now() - t0);
      }
    };
    await Promise.all(Array.from({ length: config.writers }, writer));
    const seconds = (now() - t0) / 1000;
    // Rows/s over the first and the last tenth of the batches: a per-insert cost that
    // grows with the segment shows as last << first.
    const tenth = Math.max(1, Math.floor(batches / 10));
    const firstTenthRowsPerSec = (tenth * config.batch) / (doneAt[tenth - 1]! / 1000);
    const lastTenthRowsPerSec = (tenth * config.batch) / ((doneAt[batches - 1]! - doneAt[batches - 1 - tenth]!) / 1000);
    const cpu = process.cpuUsage(cpu0);
    const counters = fs.reset();
    const memoryBytesReported = db.memoryBytes({ collection_name: collection });
    let jsHeldBytes: number | undefined;
    if (hasGc()) {
      gc();
      jsHeldBytes = memNow().js - before.js;
    }
    const rssAfterInsert = memNow().rss;
    const folderAfterInsert = folderSize(dir);
    const records = readLogRecords(join(dir, 'wal', 'topics'));
    const tf = now();
    await db.flush({ collection_names: [collection] });
    const flushSeconds = (now() - tf) / 1000;
    const flushCounters = fs.reset();
    const folderAfterFlush = folderSize(dir);
    await db.loadCollection({ collection_name: collection });
    const count = (await db.count({ collection_name: collection, consistency_level: 'Strong' })).data;
    if (count !== rows.length) throw new Error(`count(*) is ${count}, expected ${rows.length}`);
    await db.close();
    return {
      seconds,
      rowsPerSec: rows.length / seconds,
      rawMBPerSec: rawBytes / MB / seconds,
      latencyMsP50: percentile(latencies, 50),
      latencyMsP99: percentile(latencies, 99),
      firstTenthRowsPerSec,
      lastTenthRowsPerSec,
      fileSyncs: counters.fileSyncs,
      dirSyncs: counters.dirSyncs,
      bytesWritten: counters.bytesWritten,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      folderAfterInsert,
      flushSeconds,
      flushFileSyncs: flushCounters.fileSyncs,
      folderAfterFlush,
      memoryBytesReported,
      jsHeldBytes,
      rssAfterInsert,
      count,
      records,
    };
  } finally {
    removeDir(dir);
  }
}

/** Splits the log's segment files into their framed records (u32 length | u32 crc | body). */
function readLogRecords(topicsDir: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const topic of readdirSync(topicsDir).sort()) {
    const tdir = join(topicsDir, topic);
    for (const name of readdirSync(tdir).filter((n) => n.endsWith('.log')).sort()) {
      const buf = readFileSync(join(tdir, name));
      let p = 0;
      while (p + 8 <= buf.length) {
        const len = buf.readUInt32LE(p);
        out.push(new Uint8Array(buf.buffer, buf.byteOffset + p, 8 + len));
        p += 8 + len;
      }
    }
  }
  return out;
}

/**
 * The durable-write limit: append the given records to a plain file, fdatasync after
 * each batch. With several writers in flight, each waits for its batch to be durable
 * before sending the next, and one loop writes whatever is queued with one write and
 * one fdatasync: group commit with no other work at all.
 */
async function runRaw(config: Config, records: Uint8Array[], rowsTotal: number, rawBytes: number): Promise<RawRun> {
  const dir = scratchDir('raw');
  const path = join(dir, 'append.log');
  const encodedBytes = records.reduce((n, r) => n + r.length, 0);
  try {
    const h = await fsp.open(path, 'w');
    // Make the file's creation durable first, as the log does when it starts a segment.
    const d = openSync(dir, 'r');
    fdatasyncSync(d);
    closeSync(d);
    let pos = 0;
    let fdatasyncs = 0;
    const latencies: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = now();
    if (config.writers === 1) {
      for (const r of records) {
        const s = now();
        await writeAll(h, r, pos);
        pos += r.length;
        await h.datasync();
        fdatasyncs++;
        latencies.push(now() - s);
      }
    } else {
      let queue: Array<{ bytes: Uint8Array; done: () => void }> = [];
      let writing = false;
      const loop = async () => {
        while (queue.length > 0) {
          const batch = queue;
          queue = [];
          const buf = Buffer.concat(batch.map((q) => q.bytes));
          await writeAll(h, buf, pos);
          pos += buf.length;
          await h.datasync();
          fdatasyncs++;
          for (const q of batch) q.done();
        }
        writing = false;
      };
      let next = 0;
      const writer = async () => {
        for (;;) {
          const i = next++;
          if (i >= records.length) return;
          const s = now();
          await new Promise<void>((done) => {
            queue.push({ bytes: records[i]!, done });
            if (!writing) {
              writing = true;
              queueMicrotask(() => void loop());
            }
          });
          latencies.push(now() - s);
        }
      };
      await Promise.all(Array.from({ length: config.writers }, writer));
    }
    const seconds = (now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await h.close();
    return {
      seconds,
      rowsPerSec: rowsTotal / seconds,
      rawMBPerSec: rawBytes / MB / seconds,
      encodedMBPerSec: encodedBytes / MB / seconds,
      latencyMsP50: percentile(latencies, 50),
      latencyMsP99: percentile(latencies, 99),
      fdatasyncs,
      fileBytes: pos,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    removeDir(dir);
  }
}

async function writeAll(h: fsp.FileHandle, data: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await h.write(data, off, data.length - off, position + off);
    off += bytesWritten;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
