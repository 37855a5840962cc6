// A 1-node and a 3-node Elanus cluster against the embedded server, on this one machine.
// For each configuration, in alternating order (forward in even rounds, backward in odd
// ones, so a drift of the neighbours' load falls on every configuration alike):
//   embedded   a plain `elanus serve` on a data folder: the single-machine baseline;
//   cluster-1  `elanus cluster up --nodes 1`: etcd, 3 JetStream servers (streams with 3
//              replicas), the S3 stand-in, one Elanus node (the coordinator);
//   cluster-3  the same with 3 Elanus nodes: one coordinator runs the engine, the two
//              others are gateways that forward every call to it (docs/CLUSTER.md).
// Through the official Milvus SDK, C clients spread round-robin over the gateways:
//   - nothing for a few seconds (idle: what each process spends on its own, with an
//     empty collection: lease keep-alives, watches, the background pass);
//   - insert SIFT-small's 10,000 x 128 base vectors in batches, P times, each pass into a
//     collection of its own (one pass lasts about a second here, too short to time on a
//     noisy machine), then flush them; the extra collections are then dropped (untimed);
//   - create an HNSW index on the first, wait until built, load;
//   - search SIFT-small's 100 queries over and over for a fixed time: QPS, latency and
//     tie-aware recall@10 (the first answer to each query);
// and per process (every pid of the target, and this process, which runs the clients):
// CPU seconds in each phase (/proc/<pid>/stat) and resident memory at the end and at its
// peak (/proc/<pid>/status). Speeds are read as ratios to the embedded server in the same
// round. Every process, the client included, shares this machine's cores.
//
//   node dist/bench/cluster.js [--rounds 2] [--clients 6] [--batch 1000] [--insert-passes 3]
//     [--seconds 10] [--idle-seconds 3] [--ef 64] [--shards 1] [--configs embedded,cluster-1,cluster-3]
import { cpus, loadavg } from 'node:os';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { cpuSeconds, residentBytes, startCluster, startEmbedded, stopAllClusters, type Role, type Target } from './cluster-targets.js';
import { fmt, fmtInt, median, now, parseArgs, percentile, printTable, writeResult, MB } from './lib.js';
import { K, RecallChecker, loadDataset, type Dataset } from './vector-lib.js';

const args = parseArgs(process.argv.slice(2));
const options = {
  rounds: Number(args.rounds ?? 2),
  clients: Number(args.clients ?? 6),
  batch: Number(args.batch ?? 1000),
  insertPasses: Number(args['insert-passes'] ?? 3),
  seconds: Number(args.seconds ?? 10),
  idleSeconds: Number(args['idle-seconds'] ?? 3),
  ef: Number(args.ef ?? 64),
  shards: Number(args.shards ?? 1),
  index: { M: 16, efConstruction: 200 },
  configs: (args.configs ?? 'embedded,cluster-1,cluster-3').split(','),
};
for (const c of options.configs) if (!/^(embedded|cluster-[1-9])$/.test(c)) throw new Error(`unknown configuration ${c} (embedded, cluster-<nodes>)`);
if (!options.configs.includes('embedded')) throw new Error('the configurations must include embedded: it is the baseline of every ratio');

const collection = 'sift';
/** Untimed searches per client after load, so no phase pays for connections or first-call work. */
const warmupSearches = 3;
/** How long the index may take to build before the run is abandoned. */
const indexWaitMsMax = 600_000;
const phases = ['idle', 'insert', 'flush', 'index', 'load', 'search'] as const;
type Phase = (typeof phases)[number];

interface ProcResult {
  readonly key: string;
  readonly name: string;
  readonly role: Role | 'client';
  readonly pid: number;
  readonly cpuSeconds: Record<Phase, number>;
  readonly rssEndBytes: number;
  /** VmHWM: the most since the process started (the client's: since the benchmark started). */
  readonly rssPeakBytes: number;
}

interface RunResult {
  readonly config: string;
  readonly round: number;
  readonly gateways: number;
  readonly startSeconds: number;
  /** The machine's 1-minute load average as the run began (the neighbours' share of the cores, and ours). */
  readonly loadAverage1m: number;
  readonly phaseSeconds: Record<Phase, number>;
  readonly insert: { rows: number; rowsPerSecond: number; batchP50Ms: number; batchP99Ms: number };
  readonly search: { count: number; qps: number; p50Ms: number; p99Ms: number; recall: number; queriesAnswered: number };
  readonly processes: ProcResult[];
}

type Reply = { error_code?: string | number; status?: { error_code: string | number; reason?: string } };
function check<T extends Reply>(r: T): T {
  const code = r.status?.error_code ?? r.error_code;
  if (code !== 'Success') throw new Error(`call failed: ${JSON.stringify(r).slice(0, 300)}`);
  return r;
}

function idsOf(results: unknown): number[] {
  const list = (Array.isArray(results) && Array.isArray(results[0]) ? results[0] : results) as Array<{ id: string | number }>;
  return list.map((h) => Number(h.id));
}

/** CPU seconds so far of every process of the target and of this one (the clients). */
function cpuNow(target: Target): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of target.processes) out.set(p.key, cpuSeconds(p.pid) ?? NaN);
  const u = process.cpuUsage();
  out.set('client', (u.user + u.system) / 1e6);
  return out;
}

async function runOne(target: Target, ds: Dataset, round: number, batches: Array<Array<{ id: number; vector: number[] }>>, queries: number[][]): Promise<RunResult> {
  const loadAverage1m = loadavg()[0]!;
  const clients = Array.from({ length: options.clients }, (_, i) => new MilvusClient({ address: target.gateways[i % target.gateways.length]!, timeout: 120_000 }));
  try {
    for (const c of clients) await c.connectPromise;
    const control = clients[0]!;
    // Pass p goes into collection `sift` (p = 0), `sift_1`, ...: only the first is searched.
    const names = Array.from({ length: options.insertPasses }, (_, p) => (p === 0 ? collection : `${collection}_${p}`));
    for (const name of names) {
      check(await control.createCollection({
        collection_name: name, shards_num: options.shards,
        fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vector', data_type: DataType.FloatVector, dim: ds.dim }],
      }));
    }
    const spans = {} as Record<Phase, { seconds: number; from: Map<string, number>; to: Map<string, number> }>;
    const timed = async (phase: Phase, work: () => Promise<unknown>) => {
      const t = now();
      const from = cpuNow(target);
      await work();
      spans[phase] = { from, to: cpuNow(target), seconds: (now() - t) / 1000 };
    };

    await timed('idle', () => new Promise((r) => setTimeout(r, options.idleSeconds * 1000)));
    // Work items (pass, batch), taken in turn by whichever client is free.
    const items = names.flatMap((name) => batches.map((rows) => ({ name, rows })));
    let next = 0;
    const batchMs: number[] = [];
    await timed('insert', () => Promise.all(clients.map(async (c) => {
      for (let i = next++; i < items.length; i = next++) {
        const s = now();
        check(await c.insert({ collection_name: items[i]!.name, data: items[i]!.rows }));
        batchMs.push(now() - s);
      }
    })));
    await timed('flush', async () => check(await control.flushSync({ collection_names: names })));
    for (const name of names.slice(1)) check(await control.dropCollection({ collection_name: name }));
    await timed('index', async () => {
      check(await control.createIndex({ collection_name: collection, field_name: 'vector', index_type: 'HNSW', metric_type: 'L2', params: options.index }));
      for (const deadline = now() + indexWaitMsMax; ;) {
        const p = check(await control.getIndexBuildProgress({ collection_name: collection, field_name: 'vector' }));
        if (Number(p.total_rows) > 0 && Number(p.indexed_rows) >= Number(p.total_rows)) return;
        if (now() > deadline) throw new Error(`the index was not built within ${indexWaitMsMax / 1000} s: ${JSON.stringify(p)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await timed('load', async () => check(await control.loadCollectionSync({ collection_name: collection })));

    const ask = (c: MilvusClient, q: number) => c.search({ collection_name: collection, data: [queries[q]!], limit: K, params: { ef: options.ef }, output_fields: [] });
    await Promise.all(clients.map(async (c, i) => {
      for (let k = 0; k < warmupSearches; k++) check(await ask(c, (i + k) % queries.length));
    }));
    const answers = new Map<number, number[]>();
    const searchMs: number[] = [];
    const until = now() + options.seconds * 1000;
    await timed('search', () => Promise.all(clients.map(async (c, i) => {
      // Each client starts at its own place in the query list, so every query is asked early.
      for (let k = Math.floor((i * queries.length) / clients.length); now() < until; k++) {
        const q = k % queries.length;
        const s = now();
        const r = check(await ask(c, q));
        searchMs.push(now() - s);
        if (!answers.has(q)) answers.set(q, idsOf(r.results));
      }
    })));

    const cpuOf = (key: string) => Object.fromEntries(phases.map((ph) => [ph, spans[ph].to.get(key)! - spans[ph].from.get(key)!])) as Record<Phase, number>;
    const processes: ProcResult[] = target.processes.map((p) => {
      const mem = residentBytes(p.pid);
      return { key: p.key, name: p.name, role: p.role, pid: p.pid, cpuSeconds: cpuOf(p.key), rssEndBytes: mem?.rss ?? NaN, rssPeakBytes: mem?.peak ?? NaN };
    });
    const self = residentBytes(process.pid);
    processes.push({ key: 'client', name: 'benchmark (SDK clients)', role: 'client', pid: process.pid, cpuSeconds: cpuOf('client'), rssEndBytes: self?.rss ?? NaN, rssPeakBytes: self?.peak ?? NaN });
    for (const p of processes) {
      if (phases.some((ph) => Number.isNaN(p.cpuSeconds[ph]))) console.log(`warning: ${target.config}: ${p.name} (pid ${p.pid}) exited during the run; its CPU is not counted`);
    }
    const rows = items.reduce((n, b) => n + b.rows.length, 0);
    return {
      config: target.config, round, gateways: target.gateways.length, startSeconds: target.startSeconds, loadAverage1m,
      phaseSeconds: Object.fromEntries(phases.map((ph) => [ph, spans[ph].seconds])) as Record<Phase, number>,
      insert: { rows, rowsPerSecond: rows / spans.insert.seconds, batchP50Ms: percentile(batchMs, 50), batchP99Ms: percentile(batchMs, 99) },
      search: {
        count: searchMs.length, qps: searchMs.length / spans.search.seconds, p50Ms: percentile(searchMs, 50), p99Ms: percentile(searchMs, 99),
        recall: new RecallChecker(ds).mean(answers, false), queriesAnswered: answers.size,
      },
      processes,
    };
  } finally {
    for (const c of clients) await c.closeConnection().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- summary

const med = (xs: number[]) => median(xs.filter((x) => Number.isFinite(x)));
const range = (xs: number[]) => xs.length > 1 ? ` (${xs.map((x) => fmt(x, 2)).join(', ')})` : '';
const mb = (bytes: number) => fmt(bytes / MB, 0);

/** What a process group does for the table of CPU per unit of work. */
function groupOf(p: ProcResult): string {
  if (p.role === 'server' || p.role === 'coordinator') return 'engine node';
  if (p.role === 'gateway') return 'other gateways';
  return p.role;
}
const groups = ['engine node', 'other gateways', 'nats', 'etcd', 's3', 'supervisor', 'client'];

function summarize(runs: RunResult[]) {
  const byConfig = (c: string) => runs.filter((r) => r.config === c);
  const baseline = (round: number) => runs.find((r) => r.config === 'embedded' && r.round === round)!;
  return options.configs.map((config) => {
    const rs = byConfig(config);
    const ratio = (f: (r: RunResult) => number) => rs.map((r) => f(r) / f(baseline(r.round)));
    const keys = [...new Set(rs.flatMap((r) => r.processes.map((p) => p.key)))];
    const processes = keys.map((key) => {
      const ps = rs.map((r) => r.processes.find((p) => p.key === key)).filter((p) => p !== undefined);
      return {
        key, names: [...new Set(ps.map((p) => p.name))], role: ps[0]!.role,
        cpuSeconds: Object.fromEntries(phases.map((ph) => [ph, med(ps.map((p) => p.cpuSeconds[ph]))])) as Record<Phase, number>,
        rssEndBytes: med(ps.map((p) => p.rssEndBytes)), rssPeakBytes: med(ps.map((p) => p.rssPeakBytes)),
      };
    });
    // CPU per unit of work by group: ms per 1,000 rows inserted, µs per search.
    const perUnit = (phase: Phase, units: (r: RunResult) => number, scale: number) => Object.fromEntries(groups.map((g) => [g, med(rs.map((r) => {
      const s = r.processes.filter((p) => groupOf(p) === g).reduce((a, p) => a + p.cpuSeconds[phase], 0);
      return r.processes.some((p) => groupOf(p) === g) ? (s / units(r)) * scale : NaN;
    }))]).concat([['all', med(rs.map((r) => (r.processes.reduce((a, p) => a + p.cpuSeconds[phase], 0) / units(r)) * scale))]]));
    return {
      config,
      rounds: rs.length,
      ratios: { insert: ratio((r) => r.insert.rowsPerSecond), search: ratio((r) => r.search.qps) },
      insertRowsPerSecond: med(rs.map((r) => r.insert.rowsPerSecond)),
      batchP50Ms: med(rs.map((r) => r.insert.batchP50Ms)), batchP99Ms: med(rs.map((r) => r.insert.batchP99Ms)),
      qps: med(rs.map((r) => r.search.qps)), searchP50Ms: med(rs.map((r) => r.search.p50Ms)), searchP99Ms: med(rs.map((r) => r.search.p99Ms)),
      recall: med(rs.map((r) => r.search.recall)),
      startSeconds: med(rs.map((r) => r.startSeconds)),
      phaseSeconds: Object.fromEntries(phases.map((ph) => [ph, med(rs.map((r) => r.phaseSeconds[ph]))])) as Record<Phase, number>,
      /** CPU of every process together per second of the phase: how many of the cores were busy. */
      coresBusy: Object.fromEntries(phases.map((ph) => [ph, med(rs.map((r) => r.processes.reduce((a, p) => a + p.cpuSeconds[ph], 0) / r.phaseSeconds[ph]))])) as Record<Phase, number>,
      cpuMsPer1000Rows: perUnit('insert', (r) => r.insert.rows, 1e6),
      cpuUsPerSearch: perUnit('search', (r) => r.search.count, 1e6),
      processes,
    };
  });
}

function print(summary: ReturnType<typeof summarize>, ds: Dataset, coreCount: number): void {
  const c = options.clients;
  console.log(`\nEvery process below (the JetStream servers, etcd, the S3 stand-in, the Elanus nodes, the supervisor and this`);
  console.log(`benchmark with its ${c} SDK clients) runs on the same ${coreCount} cores: a cluster here shares one machine, it does not add one.`);
  printTable(`ratios to the embedded server in the same round (median; each round in parentheses)`, ['configuration', 'insert rows/s', 'search QPS'],
    summary.map((s) => [s.config, `${fmt(med(s.ratios.insert), 2)}${range(s.ratios.insert)}`, `${fmt(med(s.ratios.search), 2)}${range(s.ratios.search)}`]));
  printTable(`absolute (median of ${options.rounds} rounds): ${ds.name} ${fmtInt(ds.n)} x ${ds.dim} inserted ${options.insertPasses} times (a collection each), batches of ${options.batch}, ${c} clients round-robin over the gateways; HNSW M ${options.index.M} efConstruction ${options.index.efConstruction}, ef ${options.ef}, ${options.seconds} s of searches`,
    ['configuration', 'start s', 'insert rows/s', 'batch p50 / p99 ms', 'flush s', 'index s', 'load s', 'QPS', 'search p50 / p99 ms', `recall@${K}`],
    summary.map((s) => [s.config, fmt(s.startSeconds), fmtInt(s.insertRowsPerSecond), `${fmt(s.batchP50Ms)} / ${fmt(s.batchP99Ms)}`, fmt(s.phaseSeconds.flush, 2), fmt(s.phaseSeconds.index, 2), fmt(s.phaseSeconds.load, 2),
      fmtInt(s.qps), `${fmt(s.searchP50Ms)} / ${fmt(s.searchP99Ms)}`, fmt(s.recall, 3)]));
  for (const s of summary) {
    const rows = s.processes.map((p) => [`${p.key}${p.names.length === 1 && p.names[0] !== p.key ? ` (${p.names[0]})` : ''}`,
      ...phases.map((ph) => fmt(p.cpuSeconds[ph], 2)), mb(p.rssPeakBytes), mb(p.rssEndBytes)]);
    rows.push(['all (cores busy)', ...phases.map((ph) => `${fmt(s.processes.reduce((a, p) => a + p.cpuSeconds[ph], 0), 2)} (${fmt(s.coresBusy[ph], 2)})`), '', '']);
    printTable(`${s.config}: CPU seconds per phase and resident memory per process (median of ${s.rounds}; phases ${phases.map((ph) => `${ph} ${fmt(s.phaseSeconds[ph], 1)} s`).join(', ')})`,
      ['process', ...phases.map((ph) => `${ph} CPU s`), 'peak RSS MB', 'end RSS MB'], rows);
  }
  const unit = (title: string, pick: (s: (typeof summary)[number]) => Record<string, number>) => printTable(title, ['configuration', ...groups, 'all'],
    summary.map((s) => [s.config, ...[...groups, 'all'].map((g) => (Number.isFinite(pick(s)[g]!) ? fmtInt(pick(s)[g]!) : '-'))]));
  unit('CPU per 1,000 rows inserted (ms), by process group', (s) => s.cpuMsPer1000Rows);
  unit('CPU per search (µs), by process group', (s) => s.cpuUsPerSearch);
}

async function main(): Promise<void> {
  const loaded = await loadDataset('siftsmall', 100);
  if ('skip' in loaded) throw new Error(loaded.skip);
  const ds = loaded;
  // The SDK takes rows of plain number arrays; built once, outside every timed phase.
  const vectorOf = (data: Float32Array, i: number) => Array.from(data.subarray(i * ds.dim, (i + 1) * ds.dim));
  const batches: Array<Array<{ id: number; vector: number[] }>> = [];
  for (let b = 0; b < ds.n; b += options.batch) {
    batches.push(Array.from({ length: Math.min(options.batch, ds.n - b) }, (_, k) => ({ id: b + k, vector: vectorOf(ds.base, b + k) })));
  }
  const queries = Array.from({ length: ds.nq }, (_, q) => vectorOf(ds.queries, q));
  const coreCount = cpus().length;
  const stopOnSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the clusters`);
    void stopAllClusters().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const runs: RunResult[] = [];
  const t0 = now();
  const loadAverageAtStart = loadavg();
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? options.configs : [...options.configs].reverse();
    for (const config of order) {
      const target = config === 'embedded' ? await startEmbedded() : await startCluster(Number(config.slice('cluster-'.length)));
      try {
        const r = await runOne(target, ds, round, batches, queries);
        runs.push(r);
        console.log(`round ${round + 1} ${config} (load average ${fmt(r.loadAverage1m, 1)}): started in ${fmt(r.startSeconds)} s; insert ${fmtInt(r.insert.rowsPerSecond)} rows/s; flush ${fmt(r.phaseSeconds.flush, 2)} s; index ${fmt(r.phaseSeconds.index, 2)} s; load ${fmt(r.phaseSeconds.load, 2)} s; ${fmtInt(r.search.qps)} QPS, recall@${K} ${fmt(r.search.recall, 3)}`);
      } finally {
        await target.stop();
      }
    }
  }
  const summary = summarize(runs);
  print(summary, ds, coreCount);
  console.log(`\ntotal ${fmt((now() - t0) / 1000, 0)} s`);
  writeResult('cluster', {
    options, loadAverageAtStart, dataset: { name: ds.name, n: ds.n, dim: ds.dim, queries: ds.nq, source: ds.source }, cores: coreCount,
    notes: [
      'every process (3 JetStream servers, etcd, the S3 stand-in, N Elanus nodes, the supervisor, and this benchmark running the SDK clients) shares the same cores',
      'embedded acknowledges an insert after its log record is fdatasynced; the cluster after JetStream stored it on 2 of 3 replicas (nats-server 2.9 does not fsync each write)',
      'in a cluster one node (the coordinator) runs the engine; the other nodes forward every call to it',
      'CPU from /proc/<pid>/stat (utime + stime, all threads), memory from /proc/<pid>/status (VmRSS at the end of the search phase, VmHWM)',
    ],
    summary, runs,
  });
}

await main();
