// Shared helpers for the benchmarks: data generation, raw row sizes, folder sizes,
// memory readings, a plain-text table and the JSON result file.
//
// Benchmarks are separate programs (tests never assert timings). Each one prints a
// human table and writes bench/results/<name>.json. The machine is shared and noisy,
// so every speed is reported beside a baseline measured in the same run.
import { mkdirSync, readdirSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DataType } from '../src/catalog/index.js';
import type { FieldInput } from '../src/catalog/index.js';

/** The repository root (this file runs from dist/bench/). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Where results go: bench/results, or $ELANUS_BENCH_RESULTS (for a build compiled elsewhere). */
export const resultsDir = process.env.ELANUS_BENCH_RESULTS ?? join(repoRoot, 'bench', 'results');

export const MB = 1_000_000;

// ---------------------------------------------------------------- random data

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same rows. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** The 7-field schema of the insert and memory benchmarks: a FloatVector plus 6 scalars. */
export function wideSchema(dim: number): FieldInput[] {
  return [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'n32', data_type: DataType.Int32 },
    { name: 'f32', data_type: DataType.Float },
    { name: 'f64', data_type: DataType.Double },
    { name: 'title', data_type: DataType.VarChar, max_length: 64 },
    { name: 'flag', data_type: DataType.Bool },
    { name: 'meta', data_type: DataType.JSON },
    { name: 'vec', data_type: DataType.FloatVector, dim },
  ];
}

export type Row = Record<string, unknown>;

/** Rows [from, from + n) of the wide schema; the vector is a plain number[] as SDK users pass it. */
export function wideRows(from: number, n: number, dim: number, seed = 1): Row[] {
  const rand = rng(seed * 1_000_003 + from);
  const rows: Row[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    const vec = new Array<number>(dim);
    for (let d = 0; d < dim; d++) vec[d] = Math.fround(rand() * 2 - 1);
    // A title of 16..48 ASCII characters (VarChar(64)).
    const len = 16 + Math.floor(rand() * 33);
    let title = `row-${i}-`;
    while (title.length < len) title += letters[Math.floor(rand() * letters.length)];
    rows[k] = {
      id: i,
      n32: (i * 7919) | 0,
      f32: Math.fround(rand() * 1000),
      f64: rand() * 1e6,
      title: title.slice(0, len),
      flag: (i & 1) === 0,
      meta: { cat: i % 10, tag: `t${i % 100}`, ok: rand() < 0.5 },
      vec,
    };
  }
  return rows;
}

/**
 * Raw bytes of a row of the wide schema: each value at its natural binary size
 * (Int64 8, Int32 4, Float 4, Double 8, Bool 1, vector 4 x dim), the VarChar as UTF-8
 * and the JSON as its JSON text. No per-row or per-field overhead is counted.
 */
export function wideRawBytes(row: Row, dim: number): number {
  return 8 + 4 + 4 + 8 + 1 + 4 * dim
    + Buffer.byteLength(row.title as string)
    + Buffer.byteLength(JSON.stringify(row.meta));
}

// ---------------------------------------------------------------- files and folders

/** A fresh, empty folder for a benchmark's data (under $ELANUS_BENCH_DIR or the OS temp folder). */
export function scratchDir(prefix: string): string {
  const base = process.env.ELANUS_BENCH_DIR ?? tmpdir();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, `elanus-bench-${prefix}-`));
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Apparent size (sum of file lengths) of a folder, in total and by top-level entry. */
export function folderSize(path: string): { total: number; files: number; byTop: Record<string, number> } {
  const byTop: Record<string, number> = {};
  let total = 0;
  let files = 0;
  const walk = (p: string, top: string) => {
    for (const name of readdirSync(p)) {
      const q = join(p, name);
      const st = statSync(q);
      if (st.isDirectory()) walk(q, top || name);
      else {
        total += st.size;
        files++;
        const key = top || name;
        byTop[key] = (byTop[key] ?? 0) + st.size;
      }
    }
  };
  walk(path, '');
  return { total, files, byTop };
}

/** Every file under a folder, with its size. */
export function listFiles(path: string): Array<{ path: string; size: number }> {
  const out: Array<{ path: string; size: number }> = [];
  const walk = (p: string) => {
    for (const name of readdirSync(p)) {
      const q = join(p, name);
      const st = statSync(q);
      if (st.isDirectory()) walk(q);
      else out.push({ path: q, size: st.size });
    }
  };
  walk(path);
  return out;
}

// ---------------------------------------------------------------- memory and time

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run node with --expose-gc');
  // Twice: the first pass may only queue finalizers and weak callbacks.
  g();
  g();
}

export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** heapUsed + arrayBuffers (typed array storage lives outside the JS heap) and RSS, in bytes. */
export function memNow(): { heapUsed: number; arrayBuffers: number; js: number; rss: number } {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, js: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export const now = () => performance.now();

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

// ---------------------------------------------------------------- output

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtMB(bytes: number, digits = 1): string {
  return `${fmt(bytes / MB, digits)} MB`;
}

/** Prints a table with a header row; numbers should be pre-formatted strings. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), h.length));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

export function machine() {
  const c = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    totalMemBytes: totalmem(),
    freeMemBytes: freemem(),
    /** 1, 5 and 15 minute load averages when the result was written: how busy the neighbours were. */
    loadAverage: loadavg(),
  };
}

/** Writes bench/results/<name>.json and says where. */
export function writeResult(name: string, body: Record<string, unknown>): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.json`);
  const out = { benchmark: name, date: new Date().toISOString(), machine: machine(), source: sourceAtStart, ...body };
  writeFileSync(path, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${path}`);
  return path;
}

/** `--key value` and `--key=value` pairs. */
export function parseArgs(argv: string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
      else out[a.slice(2)] = argv[++i];
    }
  }
  return out;
}

/** The commit the engine was built from, and the files changed since (read-only git calls). */
export function sourceState(): { commit: string; changedFiles: string[] } {
  for (const dir of [repoRoot, process.cwd()]) {
    const git = (...a: string[]) => spawnSync('git', ['-C', dir, ...a], { encoding: 'utf8' });
    const head = git('rev-parse', '--short', 'HEAD');
    if (head.status !== 0) continue;
    const changedFiles = (git('status', '--porcelain', '--', 'src').stdout ?? '').split('\n').filter(Boolean);
    return { commit: head.stdout.trim(), changedFiles };
  }
  return { commit: 'unknown', changedFiles: [] };
}

/** Taken when the benchmark starts (closest to the build); others may commit while it runs. */
const sourceAtStart = sourceState();
