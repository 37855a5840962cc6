// The cost of the protocol: the same inserts and searches through the official Milvus
// SDK over gRPC (server in its own process, as users run it) and in-process on the
// engine, alternating, so the overhead reads as a ratio.
//
//   node dist/bench/protocol.js [--rows 50000] [--reps 3] [--searches 1000]
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Elanus, DataType } from '../src/index.js';
import { fmt, fmtInt, median, now, parseArgs, removeDir, resultsDir, scratchDir, wideRows, wideSchema } from './lib.js';

const args = parseArgs(process.argv.slice(2));
const rows = Number(args.rows ?? 50_000);
const reps = Number(args.reps ?? 3);
const searches = Number(args.searches ?? 1000);
const dim = 128;
const batch = 1000;
const siftPath = fileURLToPath(new URL('../../../shared/datasets/load.mjs', import.meta.url));

interface Target {
  insert(data: Record<string, unknown>[]): Promise<void>;
  createSift(): Promise<void>;
  insertSift(data: Record<string, unknown>[]): Promise<void>;
  search(q: number[]): Promise<number>;
  close(): Promise<void>;
  rssMb(): number;
}

async function inProcess(): Promise<Target> {
  const dir = scratchDir('elanus-proto-inproc-');
  const db = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0, segmentRowsMax: 1_000_000 } });
  await db.createCollection({ collection_name: 'wide', fields: wideSchema(dim) });
  return {
    insert: async (data) => void (await db.insert({ collection_name: 'wide', data })),
    createSift: async () => {
      await db.createCollection({ collection_name: 'sift', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 128 }] });
      await db.loadCollection({ collection_name: 'sift' });
    },
    insertSift: async (data) => void (await db.insert({ collection_name: 'sift', data })),
    search: async (q) => ((await db.search({ collection_name: 'sift', data: q, limit: 10, metric_type: 'L2' })).results as unknown[]).length,
    close: async () => { await db.close(); removeDir(dir); },
    rssMb: () => process.memoryUsage().rss / 1e6,
  };
}

async function overGrpc(): Promise<Target> {
  const dir = scratchDir('elanus-proto-grpc-');
  const script = fileURLToPath(new URL('./protocol-server.js', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += String(d);
      const m = /PORT (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  const c = new MilvusClient({ address: `127.0.0.1:${port}` });
  const check = (r: { error_code?: string | number; status?: { error_code: string | number } }) => {
    const code = r.status?.error_code ?? r.error_code;
    if (code !== 'Success') throw new Error(`gRPC call failed: ${JSON.stringify(r).slice(0, 300)}`);
  };
  check(await c.createCollection({ collection_name: 'wide', fields: wideSchema(dim) as never }));
  let rss = 0;
  return {
    insert: async (data) => check(await c.insert({ collection_name: 'wide', data: data as never })),
    createSift: async () => {
      check(await c.createCollection({ collection_name: 'sift', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 128 }] as never }));
      check(await c.loadCollection({ collection_name: 'sift' }));
    },
    insertSift: async (data) => check(await c.insert({ collection_name: 'sift', data: data as never })),
    search: async (q) => {
      const r = await c.search({ collection_name: 'sift', data: q, limit: 10, metric_type: 'L2' });
      check(r);
      return r.results.length;
    },
    close: async () => {
      const raw = (await c.getMetric({ request: { metric_type: 'system_info' } })).response as unknown;
      const m = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { memory: { rss: number } };
      rss = m.memory.rss / 1e6;
      await c.closeConnection();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      removeDir(dir);
    },
    rssMb: () => rss,
  };
}

const { readFvecs } = (await import(siftPath)) as { readFvecs: (p: string) => { n: number; d: number; data: Float32Array } };
const siftDir = fileURLToPath(new URL('../../../shared/datasets/siftsmall/', import.meta.url));
const base = readFvecs(join(siftDir, 'siftsmall_base.fvecs'));
const queries = readFvecs(join(siftDir, 'siftsmall_query.fvecs'));
const siftRows = Array.from({ length: base.n }, (_, i) => ({ id: i, v: Array.from(base.data.subarray(i * 128, (i + 1) * 128)) }));
const queryList = Array.from({ length: queries.n }, (_, i) => Array.from(queries.data.subarray(i * 128, (i + 1) * 128)));
const wide = Array.from({ length: rows / batch }, (_, b) => wideRows(b * batch, batch, dim));

const results: Record<string, Record<string, number[]>> = { inProcess: { insert: [], search1: [], search8: [] }, grpc: { insert: [], search1: [], search8: [] } };
let rss = { inProcess: 0, grpc: 0 };
for (let rep = 0; rep < reps; rep++) {
  for (const [name, make] of [['grpc', overGrpc], ['inProcess', inProcess]] as const) {
    const t = await make();
    let t0 = now();
    for (const data of wide) await t.insert(data);
    results[name]!.insert!.push(rows / ((now() - t0) / 1000));
    await t.createSift();
    for (let i = 0; i < siftRows.length; i += 1000) await t.insertSift(siftRows.slice(i, i + 1000));
    t0 = now();
    for (let i = 0; i < searches; i++) await t.search(queryList[i % queryList.length]!);
    results[name]!.search1!.push(searches / ((now() - t0) / 1000));
    t0 = now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < searches) await t.search(queryList[next++ % queryList.length]!);
    }));
    results[name]!.search8!.push(searches / ((now() - t0) / 1000));
    await t.close();
    rss = { ...rss, [name]: Math.max(rss[name], t.rssMb()) };
    console.log(`rep ${rep + 1} ${name}: insert ${fmtInt(results[name]!.insert!.at(-1)!)} rows/s, search ${fmt(results[name]!.search1!.at(-1)!, 0)} QPS (1 in flight), ${fmt(results[name]!.search8!.at(-1)!, 0)} QPS (8 in flight)`);
  }
}
const row = (label: string, key: string, unit: string) => {
  const g = median(results.grpc![key]!);
  const p = median(results.inProcess![key]!);
  return `| ${label} | ${fmtInt(g)} ${unit} | ${fmtInt(p)} ${unit} | ${fmt((g / p) * 100, 0)}% |`;
};
const table = [
  `Protocol overhead, median of ${reps}: ${fmtInt(rows)} rows of 128-dim + 6 scalars in batches of ${batch}; exact search (limit 10, L2) over SIFT-small (10,000 x 128), ${searches} queries`,
  '| operation | SDK over gRPC (server process) | in-process | gRPC / in-process |',
  '|---|---:|---:|---:|',
  row('insert', 'insert', 'rows/s'),
  row('search, 1 in flight', 'search1', 'QPS'),
  row('search, 8 in flight', 'search8', 'QPS'),
  `server process RSS at the end: ${fmt(rss.grpc, 0)} MB; in-process RSS: ${fmt(rss.inProcess, 0)} MB (includes the generated rows)`,
].join('\n');
console.log(`\n${table}`);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'protocol.json'), JSON.stringify({ rows, reps, searches, results, rss }, null, 2));
