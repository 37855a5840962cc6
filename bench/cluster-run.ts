// One configuration's part of a round of bench/cluster.ts: its SDK clients (spread
// round-robin over the target's gateways), its collections, and what was measured so
// far. Every phase goes through `measure`, which adds the phase's wall time and each
// process's CPU (and this process's: the clients) to the phase's totals, so a phase run
// in several slices, alternating with the other configurations, sums up like one.
import { loadavg } from 'node:os';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { cpuSeconds, residentBytes, type Role, type Target } from './cluster-targets.js';
import { now, percentile } from './lib.js';
import { K, RecallChecker, type Dataset } from './vector-lib.js';

export const phases = ['idle', 'insert', 'flush', 'index', 'load', 'search'] as const;
export type Phase = (typeof phases)[number];

export interface RunOptions {
  readonly clients: number;
  readonly insertPasses: number;
  readonly shards: number;
  readonly ef: number;
  readonly index: { readonly M: number; readonly efConstruction: number };
}

export interface ProcResult {
  readonly key: string;
  readonly name: string;
  readonly role: Role | 'client';
  readonly pid: number;
  readonly cpuSeconds: Record<Phase, number>;
  readonly rssEndBytes: number;
  /** VmHWM: the most since the process started (the client's: since the benchmark started). */
  readonly rssPeakBytes: number;
}

export interface RunResult {
  readonly config: string;
  readonly round: number;
  readonly gateways: number;
  readonly startSeconds: number;
  /** The machine's 1-minute load average as the round began (the neighbours' share of the cores, and ours). */
  readonly loadAverage1m: number;
  readonly phaseSeconds: Record<Phase, number>;
  readonly insert: { rows: number; rowsPerSecond: number; batchP50Ms: number; batchP99Ms: number };
  readonly search: { count: number; qps: number; p50Ms: number; p99Ms: number; recall: number; queriesAnswered: number };
  readonly processes: ProcResult[];
}

const collection = 'sift';
/** Untimed searches per client after load, so no phase pays for connections or first-call work. */
const warmupSearches = 3;
/** How long the index may take to build before the run is abandoned. */
const indexWaitMsMax = 600_000;
const clientTimeoutMs = 120_000;

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

export type Batch = ReadonlyArray<{ id: number; vector: number[] }>;

export class TargetRun {
  private readonly spans = new Map<Phase, { seconds: number; cpu: Map<string, number> }>();
  private readonly batchMs: number[] = [];
  private readonly searchMs: number[] = [];
  private readonly answers = new Map<number, number[]>();
  private rows = 0;
  private readonly loadAverage1m = loadavg()[0]!;

  private constructor(readonly target: Target, private readonly clients: MilvusClient[], private readonly names: string[], private readonly o: RunOptions) {}

  /** Connects the clients and creates one collection per insert pass: `sift` (the one searched), `sift_1`, ... */
  static async open(target: Target, dim: number, o: RunOptions): Promise<TargetRun> {
    const clients = Array.from({ length: o.clients }, (_, i) => new MilvusClient({ address: target.gateways[i % target.gateways.length]!, timeout: clientTimeoutMs }));
    const run = new TargetRun(target, clients, Array.from({ length: o.insertPasses }, (_, p) => (p === 0 ? collection : `${collection}_${p}`)), o);
    for (const c of clients) await c.connectPromise;
    for (const name of run.names) {
      check(await run.control.createCollection({
        collection_name: name, shards_num: o.shards,
        fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vector', data_type: DataType.FloatVector, dim }],
      }));
    }
    return run;
  }

  private get control(): MilvusClient {
    return this.clients[0]!;
  }

  /** CPU seconds so far of every process of the target and of this one (the clients). */
  private cpuNow(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.target.processes) out.set(p.key, cpuSeconds(p.pid) ?? NaN);
    const u = process.cpuUsage();
    out.set('client', (u.user + u.system) / 1e6);
    return out;
  }

  /** Runs `work` and adds its wall time and every process's CPU to `phase`. */
  async measure(phase: Phase, work: () => Promise<unknown>): Promise<void> {
    const t = now();
    const from = this.cpuNow();
    await work();
    const to = this.cpuNow();
    let span = this.spans.get(phase);
    if (!span) this.spans.set(phase, (span = { seconds: 0, cpu: new Map() }));
    span.seconds += (now() - t) / 1000;
    for (const [k, v] of to) span.cpu.set(k, (span.cpu.get(k) ?? 0) + v - from.get(k)!);
  }

  /** Pass `p`: the batches into its own collection, each taken by whichever client is free. */
  insertPass(p: number, batches: readonly Batch[]): Promise<void> {
    let next = 0;
    return this.measure('insert', () => Promise.all(this.clients.map(async (c) => {
      for (let i = next++; i < batches.length; i = next++) {
        const s = now();
        check(await c.insert({ collection_name: this.names[p]!, data: batches[i]! as Array<{ id: number; vector: number[] }> }));
        this.batchMs.push(now() - s);
        this.rows += batches[i]!.length;
      }
    })));
  }

  /** Flushes every pass's collection (timed), then drops all but the searched one (untimed). */
  async flush(): Promise<void> {
    await this.measure('flush', async () => check(await this.control.flushSync({ collection_names: this.names })));
    for (const name of this.names.slice(1)) check(await this.control.dropCollection({ collection_name: name }));
  }

  /** Creates the HNSW index and waits until every row is indexed. */
  index(): Promise<void> {
    return this.measure('index', async () => {
      check(await this.control.createIndex({ collection_name: collection, field_name: 'vector', index_type: 'HNSW', metric_type: 'L2', params: this.o.index }));
      for (const deadline = now() + indexWaitMsMax; ;) {
        const p = check(await this.control.getIndexBuildProgress({ collection_name: collection, field_name: 'vector' }));
        if (Number(p.total_rows) > 0 && Number(p.indexed_rows) >= Number(p.total_rows)) return;
        if (now() > deadline) throw new Error(`the index was not built within ${indexWaitMsMax / 1000} s: ${JSON.stringify(p)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
  }

  async load(queries: readonly number[][]): Promise<void> {
    await this.measure('load', async () => check(await this.control.loadCollectionSync({ collection_name: collection })));
    await Promise.all(this.clients.map(async (c, i) => {
      for (let k = 0; k < warmupSearches; k++) check(await this.ask(c, queries, (i + k) % queries.length));
    }));
  }

  private ask(c: MilvusClient, queries: readonly number[][], q: number) {
    return c.search({ collection_name: collection, data: [queries[q]!], limit: K, params: { ef: this.o.ef }, output_fields: [] });
  }

  /** Every client searches, query after query, for `ms`; the first answer to each query is kept for recall. */
  search(queries: readonly number[][], ms: number): Promise<void> {
    return this.measure('search', () => {
      const until = now() + ms;
      return Promise.all(this.clients.map(async (c, i) => {
        // Each client starts at its own place in the query list (moved on by what was asked before), so every query is asked early.
        for (let k = Math.floor((i * queries.length) / this.clients.length) + this.searchMs.length; now() < until; k++) {
          const q = k % queries.length;
          const s = now();
          const r = check(await this.ask(c, queries, q));
          this.searchMs.push(now() - s);
          if (!this.answers.has(q)) this.answers.set(q, idsOf(r.results));
        }
      }));
    });
  }

  /** What was measured, with each process's resident memory now. */
  result(round: number, ds: Dataset): RunResult {
    const span = (ph: Phase) => this.spans.get(ph) ?? { seconds: NaN, cpu: new Map<string, number>() };
    const cpuOf = (key: string) => Object.fromEntries(phases.map((ph) => [ph, span(ph).cpu.get(key) ?? NaN])) as Record<Phase, number>;
    const processes: ProcResult[] = this.target.processes.map((p) => {
      const mem = residentBytes(p.pid);
      return { key: p.key, name: p.name, role: p.role, pid: p.pid, cpuSeconds: cpuOf(p.key), rssEndBytes: mem?.rss ?? NaN, rssPeakBytes: mem?.peak ?? NaN };
    });
    const self = residentBytes(process.pid);
    processes.push({ key: 'client', name: 'benchmark (SDK clients)', role: 'client', pid: process.pid, cpuSeconds: cpuOf('client'), rssEndBytes: self?.rss ?? NaN, rssPeakBytes: self?.peak ?? NaN });
    for (const p of processes) {
      if (phases.some((ph) => Number.isNaN(p.cpuSeconds[ph]))) console.log(`warning: ${this.target.config}: ${p.name} (pid ${p.pid}) exited during the round; its CPU is not counted`);
    }
    return {
      config: this.target.config, round, gateways: this.target.gateways.length, startSeconds: this.target.startSeconds, loadAverage1m: this.loadAverage1m,
      phaseSeconds: Object.fromEntries(phases.map((ph) => [ph, span(ph).seconds])) as Record<Phase, number>,
      insert: { rows: this.rows, rowsPerSecond: this.rows / span('insert').seconds, batchP50Ms: percentile(this.batchMs, 50), batchP99Ms: percentile(this.batchMs, 99) },
      search: {
        count: this.searchMs.length, qps: this.searchMs.length / span('search').seconds,
        p50Ms: percentile(this.searchMs, 50), p99Ms: percentile(this.searchMs, 99),
        recall: new RecallChecker(ds).mean(this.answers, false), queriesAnswered: this.answers.size,
      },
      processes,
    };
  }

  async close(): Promise<void> {
    for (const c of this.clients) await c.closeConnection().catch(() => undefined);
  }
}
