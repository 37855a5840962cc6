// Searches off the event loop: a server (its own process) holding 100,000 x 128 vectors
// under an HNSW index is saturated with searches from 16 SDK clients while one client
// keeps inserting batches of 100 rows. Reports the server's event-loop delay (p50, p99,
// max) and the insert latency, beside the same insert loop with no search load, and the
// search throughput. Synthetic data (the size matters here, not recall).
// The growing segment the writer fills gets interim HNSW chunks (engine/interim-indexes.ts)
// every --interim-index-rows rows (default: the engine's, 16,384; 0 = scan it exactly).
//   node dist/bench/search-load.js [--rows 100000] [--seconds 10] [--clients 16] [--interim-index-rows N]
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { fmt, fmtInt, machine, now, parseArgs, percentile, printTable, removeDir, rng, scratchDir, writeResult } from './lib.js';

const args = parseArgs(process.argv.slice(2));
const rows = Number(args.rows ?? 100_000);
const seconds = Number(args.seconds ?? 10);
const clients = Number(args.clients ?? 16);
const dim = 128;
const interimRows = args['interim-index-rows'] === undefined ? undefined : String(Number(args['interim-index-rows']));

function randomVectors(n: number, seed: number): number[][] {
  const r = rng(seed);
  // Clustered, so the graph has structure: 256 centres, points around them.
  const centres = Array.from({ length: 256 }, () => Array.from({ length: dim }, () => r() * 2 - 1));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(r() * centres.length)]!;
    return c.map((x) => x + (r() - 0.5) * 0.3);
  });
}

class Server {
  private readonly waiting: Array<(line: string) => void> = [];
  port = 0;
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
  }
  next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  async stats(): Promise<{ p50: number; p99: number; max: number; samples: number; index: { memoryBytes: number; built: number; interim: { chunks: number; memoryBytes: number } }; rss: number }> {
    const line = this.next();
    this.child.stdin!.write('STATS\n');
    return JSON.parse((await line).slice(6));
  }
}

const dir = scratchDir('elanus-search-load-');
const child = spawn(process.execPath, [fileURLToPath(new URL('./search-load-server.js', import.meta.url)), dir, ...(interimRows !== undefined ? [interimRows] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
const server = new Server(child);
server.port = Number((await server.next()).slice(5));
const address = `127.0.0.1:${server.port}`;
const client = new MilvusClient({ address, timeout: 120_000 });
try {
  await client.createCollection({ collection_name: 'load', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'vector', data_type: DataType.FloatVector, dim },
  ] });
  const data = randomVectors(rows, 1);
  for (let f = 0; f < rows; f += 5000) {
    await client.insert({ collection_name: 'load', data: data.slice(f, f + 5000).map((vector, i) => ({ id: f + i, vector })) });
  }
  await client.flushSync({ collection_names: ['load'] });
  const t0 = now();
  await client.createIndex({ collection_name: 'load', field_name: 'vector', index_type: 'HNSW', metric_type: 'L2', params: { M: 16, efConstruction: 100 } });
  for (;;) {
    const p = await client.getIndexBuildProgress({ collection_name: 'load', field_name: 'vector' });
    if (Number(p.total_rows) > 0 && p.indexed_rows === p.total_rows) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const buildMs = now() - t0;
  await client.loadCollectionSync({ collection_name: 'load' });
  const queries = randomVectors(1000, 2);

  let nextId = rows;
  /** Inserts batches of 100 until `until`, returning each batch's latency (ms). */
  const writer = async (until: number): Promise<number[]> => {
    const lat: number[] = [];
    const w = new MilvusClient({ address });
    while (now() < until) {
      const batch = Array.from({ length: 100 }, (_, i) => ({ id: nextId + i, vector: queries[(nextId + i) % queries.length]! }));
      nextId += 100;
      const s = now();
      const r = await w.insert({ collection_name: 'load', data: batch });
      if (r.status.error_code !== 'Success') throw new Error(r.status.reason);
      lat.push(now() - s);
    }
    await w.closeConnection();
    return lat;
  };
  const searcher = async (c: MilvusClient, until: number, lat: number[]): Promise<void> => {
    let q = Math.floor(Math.random() * queries.length);
    while (now() < until) {
      const s = now();
      const r = await c.search({ collection_name: 'load', data: queries[q++ % queries.length]!, limit: 10, params: { ef: 64 } });
      if (r.status.error_code !== 'Success') throw new Error(r.status.reason);
      lat.push(now() - s);
    }
  };

  // 1. Writes alone.
  server.child.stdin!.write('RESET\n');
  const quietWrites = await writer(now() + seconds * 1000);
  const quietLoop = await server.stats();
  // 2. Writes while 16 clients saturate the server with searches.
  const searchClients = Array.from({ length: clients }, () => new MilvusClient({ address }));
  for (const c of searchClients) await c.connectPromise;
  server.child.stdin!.write('RESET\n');
  const until = now() + seconds * 1000;
  const searchLat: number[] = [];
  const [busyWrites] = await Promise.all([writer(until), ...searchClients.map((c) => searcher(c, until, searchLat))]);
  const busyLoop = await server.stats();
  for (const c of searchClients) await c.closeConnection();

  const qps = searchLat.length / seconds;
  printTable(`search load: ${fmtInt(rows)} x ${dim}, HNSW M=16 efC=100 ef=64, ${clients} search clients + 1 writer (batches of 100), ${seconds} s each`, ['', 'event-loop delay p50 / p99 / max (ms)', 'insert latency p50 / p99 (ms)', 'searches/s'], [
    ['writes alone', `${fmt(quietLoop.p50)} / ${fmt(quietLoop.p99)} / ${fmt(quietLoop.max)}`, `${fmt(percentile(quietWrites, 50))} / ${fmt(percentile(quietWrites, 99))}`, '-'],
    ['writes + searches', `${fmt(busyLoop.p50)} / ${fmt(busyLoop.p99)} / ${fmt(busyLoop.max)}`, `${fmt(percentile(busyWrites, 50))} / ${fmt(percentile(busyWrites, 99))}`, fmtInt(qps)],
  ]);
  console.log(`index build ${fmt(buildMs / 1000)} s (2 threads); index memory ${fmt(busyLoop.index.memoryBytes / 1e6)} MB (${fmt(busyLoop.index.memoryBytes / rows)} B/vector); server RSS ${fmt(busyLoop.rss / 1e6)} MB; search p50 / p99 ${fmt(percentile(searchLat, 50))} / ${fmt(percentile(searchLat, 99))} ms; growing rows at the end ${fmtInt(nextId - rows)} in ${busyLoop.index.interim.chunks} interim chunks (${fmt(busyLoop.index.interim.memoryBytes / 1e6)} MB)`);
  const file = writeResult('search-load', {
    machine: machine(), rows, dim, seconds, clients, buildMs, interimIndexRows: interimRows ?? 'default', growingRows: nextId - rows,
    quiet: { loop: quietLoop, insertP50: percentile(quietWrites, 50), insertP99: percentile(quietWrites, 99), batches: quietWrites.length },
    busy: { loop: busyLoop, insertP50: percentile(busyWrites, 50), insertP99: percentile(busyWrites, 99), batches: busyWrites.length, qps, searchP50: percentile(searchLat, 50), searchP99: percentile(searchLat, 99) },
  });
  console.log(`results: ${file}`);
} finally {
  await client.closeConnection();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  removeDir(dir);
}
