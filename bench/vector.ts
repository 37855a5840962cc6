// Vector search, side by side on the same data and the same machine: Elanus in-process,
// Elanus through the official Milvus SDK over gRPC (server in a child process), the raw
// native library in-process (the usearch npm package's own binding, the practical limit),
// and LanceDB embedded. For each data set and engine: recall@10 against QPS over a sweep
// of the search parameter (ef; nprobes for LanceDB IVF-PQ), p50/p99 latency with one
// request in flight, a separate concurrent loop, index build time, memory, the same at 10%
// filter selectivity (`tag < 10`), and the three target ratios at recall@10 >= 0.95.
//
//   node dist/bench/vector.js [--quick | --full] [--datasets siftsmall,glove-30k,fashion-mnist,synthetic-200000]
//        [--sizes 200000,1000000] [--engines usearch,elanus,elanus-grpc,lancedb-hnsw-sq,lancedb-ivf-pq]
//        [--ef 16,32,64,128,256] [--nprobes 5,10,20,40,80] [--refine-factors 5,10,20,40,80]
//        [--reps 2] [--queries 1000] [--min-seconds 0.5] [--max-seconds 3] [--M 16] [--ef-construction 200]
//        [--name vector]   (the result file: bench/results/<name>.json)  [--note "free text kept in it"]
//
// --quick: siftsmall only, ef 16/32/64, one rep, short loops (a smoke run of the harness).
// default: siftsmall + glove-30k + synthetic 200,000 x 128. --full adds fashion-mnist
// (60,000 x 784; needs `apt-get install -y dataset-fashion-mnist`) and synthetic 1,000,000.
// (Started without --expose-gc it re-runs itself with it: memory is read after gc().)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { fmt, fmtInt, gc, hasGc, median, now, writeResult } from './lib.js';
import {
  batchedLoop, cpuCount, FILTER, K, loadDataset, loadUsearch, parseFlags, RecallChecker, timedLoop,
  type Dataset, type LoopLimits, type LoopResult,
} from './vector-lib.js';
import {
  ENGINE_NAMES, elanusEngine, elanusGrpcEngine, lanceEngine, loadLance, usearchEngine,
  type BuildReport, type Engine, type EngineName,
} from './vector-engines.js';

const self = fileURLToPath(import.meta.url);
if (!hasGc()) {
  const r = spawnSync(process.execPath, ['--expose-gc', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const flags = parseFlags(process.argv.slice(2), ['quick', 'full', 'help']);
if (flags.help) {
  console.log(readHeader());
  process.exit(0);
}
const quick = flags.quick === true;
const full = flags.full === true;
const str = (k: string): string | undefined => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
const nums = (k: string, dflt: number[]): number[] => str(k)?.split(',').map(Number) ?? dflt;
const num = (k: string, dflt: number): number => (str(k) !== undefined ? Number(str(k)) : dflt);

const TARGET_RECALL = 0.95;
const sizes = nums('sizes', full ? [200_000, 1_000_000] : [200_000]);
const datasets = str('datasets')?.split(',') ?? (quick
  ? ['siftsmall']
  : ['siftsmall', 'glove-30k', ...(full ? ['fashion-mnist'] : []), ...sizes.map((s) => `synthetic-${s}`)]);
const engines = (str('engines')?.split(',') ?? [...ENGINE_NAMES]) as EngineName[];
for (const e of engines) if (!ENGINE_NAMES.includes(e)) throw new Error(`unknown engine ${e}; known: ${ENGINE_NAMES.join(', ')}`);
const efs = nums('ef', quick ? [16, 32, 64] : [16, 32, 64, 128, 256]);
const nprobes = nums('nprobes', quick ? [10, 20, 40] : [5, 10, 20, 40, 80]);
const reps = num('reps', quick ? 1 : 2);
const queriesMax = num('queries', quick ? 100 : 1000);
const limits: LoopLimits = { minSeconds: num('min-seconds', quick ? 0.3 : 0.5), maxSeconds: num('max-seconds', quick ? 1.5 : 3), minQueries: 10 };
const bp = { M: num('M', 16), efConstruction: num('ef-construction', 200) };
// LanceDB IVF-PQ: step i uses nprobes[i] with refineFactors[i].
const refineFactors = nums('refine-factors', quick ? [10, 20, 40] : [5, 10, 20, 40, 80]);
const resultName = str('name') ?? (quick ? 'vector-quick' : full ? 'vector-full' : 'vector');
/** Free text kept in the result file (e.g. which build of the engine was measured). */
const note = str('note');

function readHeader(): string {
  return '  node dist/bench/vector.js [--quick | --full] [--datasets ...] [--sizes ...] [--engines ...] [--ef ...] [--nprobes ...] [--refine-factors ...] [--reps n] [--queries n] [--min-seconds s] [--max-seconds s] [--M m] [--ef-construction n] [--name result-file-name] [--note text]\n  (see the comment at the top of bench/vector.ts)';
}

// ---------------------------------------------------------------- measuring

interface LoopSummary {
  label: string;
  inFlight: number;
  qps: number;
  count: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  recall: number;
  /** CPU time per query of this process (the client, for gRPC) and of the server process, µs. */
  clientCpuUs?: number;
  serverCpuUs?: number;
}

interface Point {
  engine: string;
  paramName: string;
  param: number;
  paramLabel: string;
  filtered: boolean;
  rep: number;
  single: LoopSummary;
  concurrent: LoopSummary;
}

const summarize = (r: LoopResult, label: string, recall: number): LoopSummary => ({
  label, inFlight: r.inFlight, qps: r.qps, count: r.count, seconds: r.seconds, p50Ms: r.p50, p99Ms: r.p99, recall,
});

async function measure(e: Engine, ds: Dataset, checker: RecallChecker, param: number, filtered: boolean, rep: number): Promise<Point> {
  // A few untimed queries first: caches, the JIT, a freshly loaded graph.
  for (let qi = 0; qi < Math.min(5, ds.nq); qi++) await e.search(qi, param, filtered);
  const single = await timedLoop(ds.nq, 1, limits, (qi) => e.search(qi, param, filtered));
  const cpu0 = process.cpuUsage();
  const server0 = e.serverCpuSeconds?.();
  const conc = e.concurrent.batched && e.searchAll
    ? await batchedLoop(ds.nq, e.concurrent.inFlight, limits, () => e.searchAll!(param))
    : await timedLoop(ds.nq, e.concurrent.inFlight, limits, (qi) => e.search(qi, param, filtered));
  const cpu = process.cpuUsage(cpu0);
  const server1 = e.serverCpuSeconds?.();
  return {
    engine: e.name, paramName: e.paramName, param, paramLabel: e.label?.(param) ?? String(param), filtered, rep,
    single: summarize(single, '1 in flight', checker.mean(single.answers, filtered)),
    concurrent: {
      ...summarize(conc, e.concurrent.label, checker.mean(conc.answers, filtered)),
      clientCpuUs: (cpu.user + cpu.system) / conc.count,
      ...(server0 !== undefined && server1 !== undefined ? { serverCpuUs: ((server1 - server0) * 1e6) / conc.count } : {}),
    },
  };
}

interface Curve {
  engine: string;
  paramName: string;
  param: number;
  paramLabel: string;
  filtered: boolean;
  recall: number;
  qps1: number;
  p50Ms: number;
  p99Ms: number;
  concurrentLabel: string;
  qpsConcurrent: number;
  recallConcurrent: number;
  queriesTimed: number;
  clientCpuUs?: number;
  serverCpuUs?: number;
}

function curves(points: Point[]): Curve[] {
  const groups = new Map<string, Point[]>();
  for (const p of points) {
    const key = `${p.engine}|${p.param}|${p.filtered}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((ps) => ({
    engine: ps[0]!.engine, paramName: ps[0]!.paramName, param: ps[0]!.param, paramLabel: ps[0]!.paramLabel, filtered: ps[0]!.filtered,
    recall: ps.reduce((s, p) => s + p.single.recall, 0) / ps.length,
    qps1: median(ps.map((p) => p.single.qps)),
    p50Ms: median(ps.map((p) => p.single.p50Ms)),
    p99Ms: median(ps.map((p) => p.single.p99Ms)),
    concurrentLabel: ps[0]!.concurrent.label,
    qpsConcurrent: median(ps.map((p) => p.concurrent.qps)),
    recallConcurrent: ps.reduce((s, p) => s + p.concurrent.recall, 0) / ps.length,
    queriesTimed: ps.reduce((s, p) => s + p.single.count, 0),
    ...(ps[0]!.concurrent.clientCpuUs !== undefined ? { clientCpuUs: median(ps.map((p) => p.concurrent.clientCpuUs!)) } : {}),
    ...(ps[0]!.concurrent.serverCpuUs !== undefined ? { serverCpuUs: median(ps.map((p) => p.concurrent.serverCpuUs!)) } : {}),
  }));
}

interface Matched {
  param: number;
  paramLabel: string;
  recall: number;
  qps1: number;
  qpsConcurrent: number;
  concurrentLabel: string;
  clientCpuUs?: number;
  serverCpuUs?: number;
}

/** The smallest parameter value whose recall reaches the target, with its speeds. */
function matched(cs: Curve[], engine: string, filtered: boolean): Matched | { maxRecall: number } | undefined {
  const mine = cs.filter((c) => c.engine === engine && c.filtered === filtered).sort((a, b) => a.param - b.param);
  if (mine.length === 0) return undefined;
  const c = mine.find((x) => x.recall >= TARGET_RECALL);
  if (!c) return { maxRecall: mine.reduce((m, x) => Math.max(m, x.recall), -Infinity) };
  return {
    param: c.param, paramLabel: c.paramLabel, recall: c.recall, qps1: c.qps1, qpsConcurrent: c.qpsConcurrent, concurrentLabel: c.concurrentLabel,
    ...(c.clientCpuUs !== undefined ? { clientCpuUs: c.clientCpuUs } : {}), ...(c.serverCpuUs !== undefined ? { serverCpuUs: c.serverCpuUs } : {}),
  };
}

const isMatched = (m: Matched | { maxRecall: number } | undefined): m is Matched => m !== undefined && 'param' in m;

// ---------------------------------------------------------------- one data set

interface DatasetResult {
  dataset: string;
  skipped?: string;
  n?: number;
  dim?: number;
  metric?: string;
  queries?: number;
  source?: string;
  groundTruthSeconds?: number;
  builds?: Record<string, BuildReport>;
  skippedEngines?: Record<string, string>;
  points?: Point[];
  curves?: Curve[];
  matched?: Record<string, { unfiltered?: Matched | { maxRecall: number }; filtered?: Matched | { maxRecall: number } }>;
  ratios?: Record<string, { value: number | null; target: string; numerator: string; denominator: string; note?: string }>;
  loadAverage?: { start: number[]; end: number[] };
  seconds?: number;
}

async function makeEngine(name: EngineName, ds: Dataset): Promise<Engine> {
  switch (name) {
    case 'usearch': return usearchEngine(ds, bp, efs);
    case 'elanus': return elanusEngine(ds, bp, efs);
    case 'elanus-grpc': return elanusGrpcEngine(ds, bp, efs);
    case 'lancedb-hnsw-sq': return lanceEngine(ds, bp, 'hnsw-sq', efs, []);
    case 'lancedb-ivf-pq': return lanceEngine(ds, bp, 'ivf-pq', nprobes, refineFactors);
  }
}

const mb = (b: number) => fmt(b / 1e6, 1);
const qpsFmt = (q: number) => (Number.isFinite(q) ? (q >= 100 ? fmtInt(q) : fmt(q, 1)) : 'n/a');
const msFmt = (x: number) => (Number.isFinite(x) ? fmt(x, x < 1 ? 3 : 2) : '–');

async function runDataset(spec: string): Promise<DatasetResult> {
  const t0 = now();
  const la0 = loadavg();
  console.log(`\n=== ${spec} ===`);
  const ds = await loadDataset(spec, queriesMax);
  if ('skip' in ds) {
    console.log(`skipped: ${ds.skip}`);
    return { dataset: spec, skipped: ds.skip };
  }
  console.log(`${fmtInt(ds.n)} x ${ds.dim} ${ds.metric}, ${ds.nq} queries, k=${K}; filter \`${FILTER}\` keeps ${fmtInt(ds.tags.filter((t) => t < 10).length)} rows; ${ds.source}` +
    (ds.groundTruthSeconds > 0 ? ` (ground truth computed in ${fmt(ds.groundTruthSeconds, 1)} s)` : ''));
  const checker = new RecallChecker(ds);
  const live: Engine[] = [];
  const builds: Record<string, BuildReport> = {};
  const skippedEngines: Record<string, string> = {};
  for (const name of engines) {
    let e: Engine | undefined;
    try {
      e = await makeEngine(name, ds);
      const b = await e.build();
      builds[name] = b;
      live.push(e);
      console.log(`built ${name}: index ${fmt(b.indexSeconds, 2)} s (${Object.entries(b.steps).map(([k, v]) => `${k} ${fmt(v, 2)} s`).join(', ')}), memory +${mb(b.rssDeltaBytes)} MB`);
    } catch (err) {
      skippedEngines[name] = (err as Error).message;
      console.log(`skipped ${name}: ${(err as Error).message}`);
      await e?.close().catch(() => {});
    }
  }

  const points: Point[] = [];
  const maxSteps = live.reduce((m, e) => Math.max(m, e.params.length), 0);
  for (let rep = 0; rep < reps; rep++) {
    for (let pi = 0; pi < maxSteps; pi++) {
      // Alternate: the engine that goes first moves on at every step and every rep.
      const shift = (rep + pi) % Math.max(1, live.length);
      const order = [...live.slice(shift), ...live.slice(0, shift)];
      for (const e of order) {
        if (pi >= e.params.length || skippedEngines[e.name] !== undefined) continue;
        const param = e.params[pi]!;
        try {
          await e.prepare(param);
          for (const filtered of [false, true]) {
            if (filtered && e.filterUnsupported) continue;
            const p = await measure(e, ds, checker, param, filtered, rep);
            points.push(p);
            console.log(`rep ${rep + 1} ${e.name} ${e.paramName}=${p.paramLabel}${filtered ? ' filtered' : ''}: recall ${fmt(p.single.recall, 3)}, ` +
              `${qpsFmt(p.single.qps)} QPS 1 in flight (p50 ${msFmt(p.single.p50Ms)} ms, p99 ${msFmt(p.single.p99Ms)} ms, ${p.single.count} queries), ` +
              `${qpsFmt(p.concurrent.qps)} QPS ${p.concurrent.label}`);
          }
        } catch (err) {
          skippedEngines[e.name] = `failed while searching: ${(err as Error).stack ?? (err as Error).message}`;
          console.log(`${e.name} failed while searching, dropped: ${(err as Error).message}`);
        }
      }
    }
  }
  for (const e of live) await e.close().catch((err) => console.log(`closing ${e.name}: ${(err as Error).message}`));
  // Let native memory of this data set's engines go (finalizers, background threads) before
  // the next data set's builds read their RSS deltas.
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 250));
  }

  const cs = curves(points);
  const names = live.map((e) => e.name);
  const m: DatasetResult['matched'] = {};
  for (const n of names) m[n] = { unfiltered: matched(cs, n, false), filtered: matched(cs, n, true) };

  // ---- tables
  console.log(`\n#### ${ds.name}: ${fmtInt(ds.n)} x ${ds.dim} ${ds.metric}, ${ds.nq} queries, M ${bp.M}, efConstruction ${bp.efConstruction}, ${reps} rep(s), medians`);
  console.log('\n| engine | index build | steps | memory (RSS delta) | bytes/vector | other sizes |');
  console.log('|---|---:|---|---:|---:|---|');
  for (const n of names) {
    const b = builds[n]!;
    const sizesText = Object.entries(b.sizes).map(([k, v]) => `${k} ${mb(v)} MB (${fmtInt(v / ds.n)} B/vector)`).join(', ');
    // A negative delta: memory freed by other engines while this one was built.
    const rssCells = b.rssDeltaBytes >= 0 ? `${mb(b.rssDeltaBytes)} MB | ${fmtInt(b.rssDeltaBytes / ds.n)}` : `n/a (${mb(b.rssDeltaBytes)} MB) | n/a`;
    console.log(`| ${n} | ${fmt(b.indexSeconds, 2)} s | ${Object.entries(b.steps).map(([k, v]) => `${k} ${fmt(v, 2)}`).join(', ')} | ${rssCells} | ${sizesText} |`);
  }
  for (const [n, why] of Object.entries(skippedEngines)) console.log(`| ${n} | skipped: ${why.split('\n')[0]} | | | | |`);

  console.log(`\nrecall@${K} (tie-aware) and speed; concurrent = a separate loop (usearch: one batch call over all queries)`);
  console.log('| engine | param | recall | QPS 1 in flight | p50 ms | p99 ms | QPS concurrent | filtered recall | filtered QPS 1 in flight | filtered p99 ms | filtered QPS concurrent |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of names) {
    for (const c of cs.filter((x) => x.engine === n && !x.filtered).sort((a, b) => a.param - b.param)) {
      const f = cs.find((x) => x.engine === n && x.filtered && x.param === c.param);
      const e = live.find((x) => x.name === n)!;
      const fCells = f ? [fmt(f.recall, 3), qpsFmt(f.qps1), msFmt(f.p99Ms), `${qpsFmt(f.qpsConcurrent)}`] : [e.filterUnsupported ? 'N/A' : '–', '–', '–', '–'];
      console.log(`| ${n} | ${c.paramName} ${c.paramLabel} | ${fmt(c.recall, 3)} | ${qpsFmt(c.qps1)} | ${msFmt(c.p50Ms)} | ${msFmt(c.p99Ms)} | ${qpsFmt(c.qpsConcurrent)} (${c.concurrentLabel}) | ${fCells.join(' | ')} |`);
    }
  }

  console.log(`\nat matched recall (the smallest parameter reaching recall@${K} >= ${TARGET_RECALL})`);
  console.log('| engine | param | recall | QPS 1 in flight | QPS concurrent | filtered: param | recall | QPS 1 in flight | QPS concurrent |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const cell = (x: Matched | { maxRecall: number } | undefined, what: 'unfiltered' | 'filtered', n: string) => {
    if (x === undefined) return [what === 'filtered' && live.find((e) => e.name === n)?.filterUnsupported ? 'N/A' : '–', '', '', ''];
    if (!isMatched(x)) return [`not reached (max ${fmt(x.maxRecall, 3)})`, '', '', ''];
    return [x.paramLabel, fmt(x.recall, 3), qpsFmt(x.qps1), `${qpsFmt(x.qpsConcurrent)} (${x.concurrentLabel})`];
  };
  for (const n of names) console.log(`| ${n} | ${[...cell(m[n]!.unfiltered, 'unfiltered', n), ...cell(m[n]!.filtered, 'filtered', n)].join(' | ')} |`);

  // ---- the three target ratios
  const ratios: NonNullable<DatasetResult['ratios']> = {};
  const get = (n: string, filtered = false) => (filtered ? m[n]?.filtered : m[n]?.unfiltered);
  const ratio = (key: string, target: string, num: { name: string; m: Matched | { maxRecall: number } | undefined; qps: (x: Matched) => number },
    den: { name: string; m: Matched | { maxRecall: number } | undefined; qps: (x: Matched) => number }, note?: string) => {
    let value: number | null = null;
    let why = note;
    if (isMatched(num.m) && isMatched(den.m)) value = num.qps(num.m) / den.qps(den.m);
    else {
      const missing = !isMatched(num.m) ? num : den;
      why = [note, `${missing.name} ${missing.m === undefined ? 'was not measured' : `did not reach recall ${TARGET_RECALL}`}`].filter(Boolean).join('; ');
    }
    ratios[key] = { value, target, numerator: num.name, denominator: den.name, ...(why ? { note: why } : {}) };
  };
  ratio('elanusInProcessVsRaw', '>= 0.8',
    { name: 'elanus in-process, 1 in flight', m: get('elanus'), qps: (x) => x.qps1 },
    { name: 'usearch, 1 query per call, 1 thread', m: get('usearch'), qps: (x) => x.qps1 });
  ratio('elanusInProcess2VsRawBatch', '(info)',
    { name: 'elanus in-process, 2 in flight', m: get('elanus'), qps: (x) => x.qpsConcurrent },
    { name: `usearch, batch call, ${cpuCount} threads`, m: get('usearch'), qps: (x) => x.qpsConcurrent });
  // LanceDB: its best configuration and concurrency at matched recall.
  let bestLance: { name: string; m: Matched; qps: number } | undefined;
  for (const n of names.filter((x) => x.startsWith('lancedb'))) {
    const x = get(n);
    if (!isMatched(x)) continue;
    const q = Math.max(x.qps1, x.qpsConcurrent);
    if (!bestLance || q > bestLance.qps) bestLance = { name: `${n} (${q === x.qps1 ? '1 in flight' : x.concurrentLabel}, ${x.paramLabel})`, m: x, qps: q };
  }
  ratio('elanusGrpc16VsLance', '>= 4',
    { name: 'elanus over gRPC, 16 in flight', m: get('elanus-grpc'), qps: (x) => x.qpsConcurrent },
    bestLance ? { name: bestLance.name, m: bestLance.m, qps: () => bestLance!.qps } : { name: 'lancedb', m: undefined, qps: () => NaN },
    'denominator: the fastest LanceDB configuration and concurrency (1 or 16 in flight) at matched recall');
  ratio('elanusFilteredVsUnfiltered', '>= 0.5',
    { name: `elanus in-process filtered (${FILTER}), 1 in flight`, m: get('elanus', true), qps: (x) => x.qps1 },
    { name: 'elanus in-process unfiltered, 1 in flight', m: get('elanus'), qps: (x) => x.qps1 });
  ratio('elanusFiltered2VsUnfiltered2', '(info)',
    { name: `elanus in-process filtered (${FILTER}), 2 in flight`, m: get('elanus', true), qps: (x) => x.qpsConcurrent },
    { name: 'elanus in-process unfiltered, 2 in flight', m: get('elanus'), qps: (x) => x.qpsConcurrent });
  console.log(`\ntarget ratios at recall@${K} >= ${TARGET_RECALL} (each engine at its own smallest parameter reaching it)`);
  console.log('| ratio | value | target | numerator / denominator |');
  console.log('|---|---:|---:|---|');
  for (const [k, r] of Object.entries(ratios)) {
    const ok = r.value === null || r.target === '(info)' ? '' : r.value >= Number(r.target.replace('>= ', '')) ? ' met' : ' NOT met';
    console.log(`| ${k} | ${r.value === null ? 'n/a' : fmt(r.value, 3)} | ${r.target}${ok} | ${r.numerator} / ${r.denominator}${r.note ? ` (${r.note})` : ''} |`);
  }
  // Where the CPU goes in the concurrent loop at matched recall: this process (for gRPC:
  // the SDK client) and the server process. cores / (client + server) is the most this
  // machine could serve with both on it.
  const cpuRows: string[] = [];
  for (const n of names) {
    const x = get(n);
    if (!isMatched(x) || x.clientCpuUs === undefined) continue;
    const total = x.clientCpuUs + (x.serverCpuUs ?? 0);
    cpuRows.push(`| ${n} | ${x.paramLabel} | ${x.concurrentLabel} | ${fmt(x.clientCpuUs, 0)} | ${x.serverCpuUs === undefined ? '-' : fmt(x.serverCpuUs, 0)} | ${fmtInt((cpuCount * 1e6) / total)} |`);
  }
  if (cpuRows.length > 0) {
    console.log(`
CPU per search in the concurrent loop at matched recall (µs; ceiling = ${cpuCount} cores / total)`);
    console.log('| engine | param | loop | this process (client) | server process | ceiling QPS |');
    console.log('|---|---:|---|---:|---:|---:|');
    for (const r of cpuRows) console.log(r);
  }
  const la1 = loadavg();
  console.log(`load average: ${la0.map((x) => fmt(x, 2)).join(', ')} at the start, ${la1.map((x) => fmt(x, 2)).join(', ')} at the end; ${cpuCount} cores`);
  return {
    dataset: ds.name, n: ds.n, dim: ds.dim, metric: ds.metric, queries: ds.nq, source: ds.source, groundTruthSeconds: ds.groundTruthSeconds,
    builds, skippedEngines, points, curves: cs, matched: m, ratios, loadAverage: { start: la0, end: la1 }, seconds: (now() - t0) / 1000,
  };
}

// ---------------------------------------------------------------- main

const us = await loadUsearch();
const lance = await loadLance();
console.log(`vector benchmark: data sets ${datasets.join(', ')}; engines ${engines.join(', ')}; ef ${efs.join('/')}, nprobes/refineFactor ${nprobes.map((p, i) => `${p}/${refineFactors[i] ?? refineFactors.at(-1)}`).join(', ')}; ` +
  `M ${bp.M}, efConstruction ${bp.efConstruction}; ${reps} rep(s); loops of ${limits.minSeconds}-${limits.maxSeconds} s; load average ${loadavg().map((x) => fmt(x, 2)).join(', ')} on ${cpuCount} cores`);
if (us.error) console.log(us.error);
if (lance.error) console.log(lance.error);
const results: DatasetResult[] = [];
for (const d of datasets) results.push(await runDataset(d));
writeResult(resultName, {
  ...(note !== undefined ? { note } : {}),
  settings: { datasets, engines, efs, nprobes, refineFactors, reps, queriesMax, limits, build: bp, k: K, filter: FILTER, targetRecall: TARGET_RECALL, quick, full },
  libraries: { usearch: us.error ?? 'loaded', lancedb: lance.error ?? 'loaded' },
  datasets: results,
});
