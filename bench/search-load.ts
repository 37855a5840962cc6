// Inserts beside searches: a server (its own process) holding 100,000 x 128 vectors under
// an HNSW index; one writer inserts batches of 100 rows, first alone ("idle"), then while
// 16 SDK clients search as fast as they can ("under load"), alternating for --rounds
// rounds of --seconds each. Reports, idle and under load side by side with the ratio:
//   - the insert latency the writer sees (SDK, gRPC, server, fsync), p50 / p99;
//   - the engine's own insert time inside the server (from the gRPC handler's call to its
//     answer: validation, the log append and its fsync), p50 / p99;
//   - the server's event-loop delay and utilization (the share of time it was busy, so
//     the chance that an insert arrives while a search's JS holds it), its CPU, the
//     native pool's threads and most tasks at once, the search rate, index memory and the
//     server's RSS.
// The writer runs in a worker thread of the benchmark, with its own event loop: the 16
// search clients decode their answers on the main thread, which would otherwise delay the
// writer's own callbacks and be counted as insert latency. Synthetic data (the size
// matters here, not recall). The growing segment the writer fills gets interim HNSW
// chunks (engine/interim-indexes.ts) every --interim-index-rows rows (default: the
// engine's, 16,384; 0 = scan it exactly).
// --clients-nice N runs the search clients at nice N (Linux: setpriority applies to the
// calling thread, and the clients all run on the main thread; the writer's thread keeps
// nice 0): they then stand for clients on other machines, so that the server's inserts
// compete with the server's own work for the cores, not with the load generator's.
//   node dist/bench/search-load.js [--rows 100000] [--seconds 10] [--rounds 2] [--clients 16]
//     [--interim-index-rows N] [--native-threads N] [--clients-nice N]
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { fmt, fmtInt, machine, now, parseArgs, percentile, printTable, removeDir, rng, scratchDir, writeResult } from './lib.js';

const dim = 128;

function randomVectors(n: number, seed: number): number[][] {
  const r = rng(seed);
  // Clustered, so the graph has structure: 256 centres, points around them.
  const centres = Array.from({ length: 256 }, () => Array.from({ length: dim }, () => r() * 2 - 1));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(r() * centres.length)]!;
    return c.map((x) => x + (r() - 0.5) * 0.3);
  });
}

interface WriterJob { ms: number; firstId: number }
interface WriterDone { lat: number[]; nextId: number }


interface ServerStats {
  p50: number; p99: number; max: number; samples: number;
  insert: { p50: number; p99: number; n: number };
  cpuCores: number;
  loopUtilization: number;
  pool: { threads: number; runningMax: number; queued: number };
  index: { memoryBytes: number; built: number; interim: { chunks: number; memoryBytes: number } };
  rss: number;
}

class Server {
  private readonly waiting: Array<(line: string) => void> = [];
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
  }
  next(): Promise<string> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  reset(): void {
    this.child.stdin!.write('RESET\n');
  }
  async stats(): Promise<ServerStats> {
    const line = this.next();
    this.child.stdin!.write('STATS\n');
    return JSON.parse((await line).slice(6)) as ServerStats;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows = Number(args.rows ?? 100_000);
  const seconds = Number(args.seconds ?? 10);
  const rounds = Number(args.rounds ?? 2);
  const clients = Number(args.clients ?? 16);
  const serverOptions = {
    ...(args['interim-index-rows'] !== undefined ? { interimIndexRows: Number(args['interim-index-rows']) } : {}),
    ...(args['native-threads'] !== undefined ? { nativeThreads: Number(args['native-threads']) } : {}),
  };

  const dir = scratchDir('elanus-search-load-');
  const child = spawn(process.execPath, [fileURLToPath(new URL('./search-load-server.js', import.meta.url)), dir, JSON.stringify(serverOptions)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const server = new Server(child);
  const port = Number((await server.next()).slice(5));
  const address = `127.0.0.1:${port}`;
  const client = new MilvusClient({ address, timeout: 120_000 });
  const writer = new Worker(new URL(import.meta.url), { workerData: { address } });
  // After the writer's thread exists (a new thread takes its creator's nice value).
  const clientsNice = args['clients-nice'] === undefined ? 0 : Number(args['clients-nice']);
  if (clientsNice !== 0) setPriority(clientsNice);
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
    const write = (ms: number) => new Promise<number[]>((resolve, reject) => {
      const failed = (e: Error) => reject(e);
      writer.once('error', failed);
      writer.once('message', (done: WriterDone) => {
        writer.off('error', failed);
        nextId = done.nextId;
        resolve(done.lat);
      });
      writer.postMessage({ ms, firstId: nextId } satisfies WriterJob);
    });
    const searcher = async (c: MilvusClient, until: number, lat: number[]): Promise<void> => {
      let q = Math.floor(Math.random() * queries.length);
      while (now() < until) {
        const s = now();
        const r = await c.search({ collection_name: 'load', data: queries[q++ % queries.length]!, limit: 10, params: { ef: 64 } });
        if (r.status.error_code !== 'Success') throw new Error(r.status.reason);
        lat.push(now() - s);
      }
    };
    const searchClients = Array.from({ length: clients }, () => new MilvusClient({ address }));
    for (const c of searchClients) await c.connectPromise;

    const idle = { writes: [] as number[], server: [] as ServerStats[] };
    const busy = { writes: [] as number[], server: [] as ServerStats[], searches: [] as number[] };
    const perRound: Array<{ idleP50: number; busyP50: number; idleServerP50: number; busyServerP50: number }> = [];
    for (let round = 0; round < rounds; round++) {
      // 1. Writes alone.
      server.reset();
      const quiet = await write(seconds * 1000);
      const quietStats = await server.stats();
      // 2. Writes while the clients saturate the server with searches.
      server.reset();
      const until = now() + seconds * 1000;
      const searchLat: number[] = [];
      const [loaded] = await Promise.all([write(seconds * 1000), ...searchClients.map((c) => searcher(c, until, searchLat))]);
      const loadedStats = await server.stats();
      for (const x of quiet) idle.writes.push(x);
      idle.server.push(quietStats);
      for (const x of loaded) busy.writes.push(x);
      busy.server.push(loadedStats);
      for (const x of searchLat) busy.searches.push(x);
      perRound.push({
        idleP50: percentile(quiet, 50), busyP50: percentile(loaded, 50),
        idleServerP50: quietStats.insert.p50, busyServerP50: loadedStats.insert.p50,
      });
    }
    for (const c of searchClients) await c.closeConnection();

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity);
    const summary = (s: ServerStats[]) => ({
      loopP50: mean(s.map((x) => x.p50)), loopP99: mean(s.map((x) => x.p99)), loopMax: max(s.map((x) => x.max)),
      cpuCores: mean(s.map((x) => x.cpuCores)), loopUtilization: mean(s.map((x) => x.loopUtilization)), poolThreads: s[0]!.pool.threads, poolRunningMax: max(s.map((x) => x.pool.runningMax)),
      // Every round's samples together would need the raw times; the rounds' own percentiles, averaged.
      engineInsertP50: mean(s.map((x) => x.insert.p50)), engineInsertP99: mean(s.map((x) => x.insert.p99)),
    });
    const q = summary(idle.server);
    const b = summary(busy.server);
    const qps = busy.searches.length / (seconds * rounds);
    const w = { idleP50: percentile(idle.writes, 50), idleP99: percentile(idle.writes, 99), busyP50: percentile(busy.writes, 50), busyP99: percentile(busy.writes, 99) };
    const last = busy.server[busy.server.length - 1]!;
    const ratio = (x: number, y: number) => `${fmt(x / y, 2)}x`;
    printTable(`search load: ${fmtInt(rows)} x ${dim}, HNSW M=16 efC=100 ef=64, ${clients} search clients${clientsNice ? ` (nice ${clientsNice})` : ''} + 1 writer (batches of 100), ${rounds} rounds of ${seconds} s idle + ${seconds} s under load; native pool ${q.poolThreads} threads`, ['', 'idle', 'under load', 'load / idle'], [
      ['insert latency at the writer p50 (ms)', fmt(w.idleP50), fmt(w.busyP50), ratio(w.busyP50, w.idleP50)],
      ['insert latency at the writer p99 (ms)', fmt(w.idleP99), fmt(w.busyP99), ratio(w.busyP99, w.idleP99)],
      ['engine insert time p50 (ms)', fmt(q.engineInsertP50, 2), fmt(b.engineInsertP50, 2), ratio(b.engineInsertP50, q.engineInsertP50)],
      ['engine insert time p99 (ms)', fmt(q.engineInsertP99, 2), fmt(b.engineInsertP99, 2), ratio(b.engineInsertP99, q.engineInsertP99)],
      ['server event-loop delay p50 / p99 / max (ms)', `${fmt(q.loopP50)} / ${fmt(q.loopP99)} / ${fmt(q.loopMax)}`, `${fmt(b.loopP50)} / ${fmt(b.loopP99)} / ${fmt(b.loopMax)}`, '-'],
      ['server event-loop utilization', `${fmt(q.loopUtilization * 100, 0)}%`, `${fmt(b.loopUtilization * 100, 0)}%`, '-'],
      ['server CPU (cores)', fmt(q.cpuCores, 2), fmt(b.cpuCores, 2), '-'],
      ['native tasks at once (most)', String(q.poolRunningMax), String(b.poolRunningMax), '-'],
      ['inserts (batches of 100)', fmtInt(idle.writes.length), fmtInt(busy.writes.length), '-'],
      ['searches/s, p50 / p99 (ms)', '-', `${fmtInt(qps)}, ${fmt(percentile(busy.searches, 50))} / ${fmt(percentile(busy.searches, 99))}`, '-'],
    ]);
    for (const [i, r] of perRound.entries()) {
      console.log(`round ${i + 1}: writer p50 ${fmt(r.idleP50)} -> ${fmt(r.busyP50)} ms (${ratio(r.busyP50, r.idleP50)}); engine p50 ${fmt(r.idleServerP50, 2)} -> ${fmt(r.busyServerP50, 2)} ms (${ratio(r.busyServerP50, r.idleServerP50)})`);
    }
    console.log(`index build ${fmt(buildMs / 1000)} s (2 threads); index memory ${fmt(last.index.memoryBytes / 1e6)} MB (${fmt(last.index.memoryBytes / rows)} B/vector); server RSS ${fmt(last.rss / 1e6)} MB; growing rows at the end ${fmtInt(nextId - rows)} in ${last.index.interim.chunks} interim chunks (${fmt(last.index.interim.memoryBytes / 1e6)} MB); load average ${machine().loadAverage.map((x) => fmt(x, 2)).join(' ')}`);
    // A run with deprioritized clients is a different experiment: its own file.
    const file = writeResult(clientsNice ? `search-load-clients-nice${clientsNice}` : 'search-load', {
      rows, dim, seconds, rounds, clients, clientsNice, buildMs, serverOptions, growingRows: nextId - rows,
      writer: w, idle: { ...q, rounds: idle.server }, busy: { ...b, qps, searchP50: percentile(busy.searches, 50), searchP99: percentile(busy.searches, 99), rounds: busy.server },
      ratios: { writerP50: w.busyP50 / w.idleP50, writerP99: w.busyP99 / w.idleP99, engineP50: b.engineInsertP50 / q.engineInsertP50, engineP99: b.engineInsertP99 / q.engineInsertP99 },
      perRound,
    });
    console.log(`results: ${file}`);
  } finally {
    writer.postMessage('close');
    await client.closeConnection();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    removeDir(dir);
  }
}

// Last, so that every declaration above is initialized when either branch runs.
if (!isMainThread) {
  // The writer: inserts batches of 100 for `ms`, answering each job with the latencies.
  const queries = randomVectors(1000, 2);
  const w = new MilvusClient({ address: (workerData as { address: string }).address });
  parentPort!.on('message', (job: WriterJob | 'close') => {
    void (async () => {
      if (job === 'close') {
        await w.closeConnection();
        parentPort!.close();
        return;
      }
      const lat: number[] = [];
      let id = job.firstId;
      const until = now() + job.ms;
      while (now() < until) {
        const batch = Array.from({ length: 100 }, (_, i) => ({ id: id + i, vector: queries[(id + i) % queries.length]! }));
        id += 100;
        const s = now();
        const r = await w.insert({ collection_name: 'load', data: batch });
        if (r.status.error_code !== 'Success') throw new Error(r.status.reason);
        lat.push(now() - s);
      }
      parentPort!.postMessage({ lat, nextId: id } satisfies WriterDone);
    })();
  });
} else {
  await main();
}
