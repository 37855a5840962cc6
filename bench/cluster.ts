// A 1-node and a 3-node Elanus cluster against the embedded server, on this one machine:
//   embedded   a plain `elanus serve` on a data folder: the single-machine baseline;
//   cluster-1  `elanus cluster up --nodes 1`: etcd, 3 JetStream servers (streams with 3
//              replicas), the S3 stand-in, one Elanus node (the coordinator);
//   cluster-3  the same with 3 Elanus nodes: one coordinator runs the engine, the two
//              others are gateways that forward every call to it (docs/CLUSTER.md).
//   cluster-3r the same, every node with a read replica (--roles all): the coordinator
//              deals each read to itself or a standby's replica (docs/CLUSTER.md).
// Each round starts all three (each on its own ports and folders), runs every phase for
// each in turn, then stops them all. Through the official Milvus SDK, C clients per
// configuration, spread round-robin over its gateways:
//   - idle: nothing for a few seconds, all three at once (what each process spends on
//     its own with an empty collection: lease keep-alives, watches, background passes);
//   - insert: SIFT-small's 10,000 x 128 base vectors in batches, P passes, each into a
//     collection of its own; pass p for every configuration before pass p + 1 (one pass
//     lasts one to a few seconds here: alternating passes, not whole runs, puts a burst
//     of the neighbours' load on all configurations alike);
//   - flush every pass's collection, then drop all but the first (untimed);
//   - index: HNSW on the first, until every row is indexed; load (then a few untimed searches);
//   - search: SIFT-small's 100 queries over and over, in S slices per configuration,
//     alternating: QPS, latency, tie-aware recall@10 of the first answer to each query.
// The order of the configurations rotates from one pass or slice to the next. Per process
// (every pid of each target, and this one, which runs the clients): CPU seconds in each
// phase (/proc/<pid>/stat) and resident memory at the end of the round and at its peak
// (/proc/<pid>/status). Speeds are read as ratios to the embedded server in the same
// round. Every process, the clients included, shares this machine's cores, and the two
// configurations not being measured sit idle beside the one that is (their idle cost is
// the idle phase's).
//
//   node dist/bench/cluster.js [--rounds 2] [--clients 6] [--batch 1000] [--insert-passes 6]
//     [--seconds 12] [--slices 6] [--idle-seconds 3] [--ef 64] [--shards 1]
//     [--configs embedded,cluster-1,cluster-3,cluster-3r]
import { cpus, loadavg } from 'node:os';
import { startCluster, startEmbedded, stopAll, type Target } from './cluster-targets.js';
import { TargetRun, phases, type Batch, type Phase, type ProcResult, type RunResult } from './cluster-run.js';
import { fmt, fmtInt, median, now, parseArgs, printTable, writeResult, MB } from './lib.js';
import { K, loadDataset, type Dataset } from './vector-lib.js';

const args = parseArgs(process.argv.slice(2));
const options = {
  rounds: Number(args.rounds ?? 2),
  clients: Number(args.clients ?? 6),
  batch: Number(args.batch ?? 1000),
  insertPasses: Number(args['insert-passes'] ?? 6),
  /** Search time per configuration and round, in `slices` alternating pieces. */
  seconds: Number(args.seconds ?? 12),
  slices: Number(args.slices ?? 6),
  idleSeconds: Number(args['idle-seconds'] ?? 3),
  ef: Number(args.ef ?? 64),
  shards: Number(args.shards ?? 1),
  index: { M: 16, efConstruction: 200 },
  configs: (args.configs ?? 'embedded,cluster-1,cluster-3').split(','),
};
for (const c of options.configs) if (!/^(embedded|cluster-[1-9]r?)$/.test(c)) throw new Error(`unknown configuration ${c} (embedded, cluster-<nodes>, cluster-<nodes>r with read replicas)`);
if (!options.configs.includes('embedded')) throw new Error('the configurations must include embedded: it is the baseline of every ratio');

/** `list` rotated left by `k`: who goes first moves on by one each pass or slice. */
function rotated<T>(list: readonly T[], k: number): T[] {
  return list.map((_, i) => list[(i + k) % list.length]!);
}

/** One round: every configuration started, measured phase by phase in turn, stopped. */
async function round(r: number, ds: Dataset, batches: readonly Batch[], queries: readonly number[][]): Promise<RunResult[]> {
  const targets: Target[] = [];
  const runs: TargetRun[] = [];
  try {
    for (const config of rotated(options.configs, r)) {
      const target = config === 'embedded' ? await startEmbedded() : await startCluster(Number.parseInt(config.slice('cluster-'.length), 10), config.endsWith('r'));
      targets.push(target);
      runs.push(await TargetRun.open(target, ds.dim, options));
    }
    const idle = () => new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000));
    await Promise.all(runs.map((run) => run.measure('idle', idle)));
    for (let p = 0; p < options.insertPasses; p++) {
      for (const run of rotated(runs, p + r)) await run.insertPass(p, batches);
    }
    for (const run of runs) await run.flush();
    for (const run of runs) await run.index();
    for (const run of runs) await run.load(queries);
    for (let s = 0; s < options.slices; s++) {
      for (const run of rotated(runs, s + r)) await run.search(queries, (options.seconds * 1000) / options.slices);
    }
    return runs.map((run) => run.result(r, ds));
  } finally {
    for (const run of runs) await run.close();
    for (const t of targets) await t.stop();
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
  printTable(`absolute (median of ${options.rounds} rounds): ${ds.name} ${fmtInt(ds.n)} x ${ds.dim} inserted ${options.insertPasses} times (a collection each), batches of ${options.batch}, ${c} clients round-robin over the gateways; HNSW M ${options.index.M} efConstruction ${options.index.efConstruction}, ef ${options.ef}, ${options.seconds} s of searches in ${options.slices} slices`,
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
  const batches: Batch[] = [];
  for (let b = 0; b < ds.n; b += options.batch) {
    batches.push(Array.from({ length: Math.min(options.batch, ds.n - b) }, (_, k) => ({ id: b + k, vector: vectorOf(ds.base, b + k) })));
  }
  const queries = Array.from({ length: ds.nq }, (_, q) => vectorOf(ds.queries, q));
  const coreCount = cpus().length;
  const stopOnSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping every server and cluster still up`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const runs: RunResult[] = [];
  const t0 = now();
  const loadAverageAtStart = loadavg();
  for (let r = 0; r < options.rounds; r++) {
    for (const res of await round(r, ds, batches, queries)) {
      runs.push(res);
      console.log(`round ${r + 1} ${res.config} (load average ${fmt(res.loadAverage1m, 1)}): started in ${fmt(res.startSeconds)} s; insert ${fmtInt(res.insert.rowsPerSecond)} rows/s; flush ${fmt(res.phaseSeconds.flush, 2)} s; index ${fmt(res.phaseSeconds.index, 2)} s; load ${fmt(res.phaseSeconds.load, 2)} s; ${fmtInt(res.search.qps)} QPS, recall@${K} ${fmt(res.search.recall, 3)}`);
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
      'CPU from /proc/<pid>/stat (utime + stime, all threads), memory from /proc/<pid>/status (VmRSS at the end of the round, VmHWM)',
      'the configurations of a round run at once and are measured in turn (insert passes and search slices alternate); the two not measured sit idle beside the one that is',
    ],
    summary, runs,
  });
}

await main();
