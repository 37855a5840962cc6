// The addon's own thread pool (native/pool.h): index builds and searches run on
// nativeThreads threads of their own, never on libuv's, so file I/O (the log's writes and
// fsyncs) is never queued behind them. What is shown here, with no timing asserted:
//   - the pool runs at most nativeThreads tasks at once, the rest wait in its queue;
//   - builds hold at most nativeThreads - 1 threads, and searches go before builds;
//   - its threads run below the event loop's priority (nice 10, Linux);
//   - file writes and fsyncs complete while every pool thread is busy;
//   - a build's cancel word still stops it, running or still queued;
//   - the size is fixed for the process: an engine asking for another one is refused;
//   - a process exits cleanly with tasks running and queued (process.exit, an uncaught
//     exception, a worker thread terminated), and stays alive until its tasks settle.
// The pool has 4 threads here, as many as libuv's default pool: filling it would have
// left file I/O nothing to run on before the pool existed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Elanus } from '../../src/engine/index.js';
import {
  buildIndex, configureNativePool, defaultNativeThreads, exactSearch, holdNativeThreadForTest, nativeInfo, nativePoolStats, newCancelWord,
  type IndexBuildSpec, type NativePoolStats,
} from '../../src/index/native.js';
import { Random } from '../../src/testing/index.js';

const threads = 4;
configureNativePool(threads);

function word(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Waits (polling, no deadline of its own) until the pool's counters satisfy `ok`. */
async function until(ok: (s: NativePoolStats) => boolean): Promise<NativePoolStats> {
  for (;;) {
    const s = nativePoolStats();
    if (ok(s)) return s;
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Tracks whether each promise settled, without letting a rejection go unhandled. */
function watch<T>(ps: Array<Promise<T>>): { settled: () => number; all: Promise<Array<PromiseSettledResult<T>>> } {
  let n = 0;
  for (const p of ps) p.then(() => n++, () => n++);
  return { settled: () => n, all: Promise.allSettled(ps) };
}

function randomRows(rows: number, dim: number, seed: number): Float32Array {
  const rng = new Random(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return data;
}

/** Far longer than anything a test does while it runs: 200,000 x 64, efConstruction 400. */
const longBuild: IndexBuildSpec = { type: 'HNSW', metric: 'L2', element: 'f32', dim: 64, M: 32, efConstruction: 400, storage: 'f32' };
let longData: Float32Array | undefined;
const longRows = 200_000;

describe('the native pool', () => {
  test('runs at most nativeThreads tasks at once; the rest wait in its queue', async () => {
    assert.equal(nativeInfo().searchContexts, threads, 'one HNSW search context per pool thread');
    await until((s) => s.running === 0);
    nativePoolStats(true);
    const hold = word();
    const holds = watch(Array.from({ length: threads + 3 }, () => holdNativeThreadForTest(hold)));
    const full = await until((s) => s.running === threads && s.queued === 3);
    assert.equal(full.threads, threads);
    assert.equal(full.runningMax, threads);
    Atomics.store(hold, 0, 1);
    assert.ok((await holds.all).every((r) => r.status === 'fulfilled'));

    // Real work at once: builds of every kind and searches on them and on raw rows.
    const dim = 32;
    const rows = 3000;
    const data = randomRows(rows, dim, 5);
    const queries = data.subarray(0, 8 * dim);
    nativePoolStats(true);
    const specs: IndexBuildSpec[] = [
      { type: 'HNSW', metric: 'L2', element: 'f32', dim, M: 8, efConstruction: 40, storage: 'f32' },
      { type: 'HNSW', metric: 'IP', element: 'f32', dim, M: 8, efConstruction: 40, storage: 'i8' },
      { type: 'IVF_FLAT', metric: 'L2', element: 'f32', dim, nlist: 16 },
      { type: 'IVF_SQ8', metric: 'COSINE', element: 'f32', dim, nlist: 16 },
      { type: 'IVF_PQ', metric: 'L2', element: 'f32', dim, nlist: 16, m: 8, nbits: 8 },
    ];
    const indexes = await Promise.all(specs.map((s) => buildIndex(s, data, rows)));
    const searches = indexes.flatMap((ix) => Array.from({ length: 10 }, () => ix.search(queries, 8, { k: 10 })));
    const scans = Array.from({ length: 10 }, () => exactSearch(data, rows, dim, 'f32', 'L2', queries, 8, { k: 10 }));
    const results = await Promise.all([...searches, ...scans]);
    assert.equal(results.length, 60);
    const s = nativePoolStats();
    assert.ok(s.runningMax >= 1 && s.runningMax <= threads, `at most ${threads} at once, saw ${s.runningMax}`);
    assert.equal(s.queued, 0);
    assert.equal(s.running, 0);
  });

  test('its threads are named elanus-native and run at nice 10 (Linux), below the event loop', { skip: process.platform !== 'linux' && 'per-thread nice values are Linux only' }, () => {
    nativePoolStats();
    const mine = readdirSync('/proc/self/task')
      .map((tid) => ({ comm: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), stat: readFileSync(`/proc/self/task/${tid}/stat`, 'utf8') }))
      .filter((t) => t.comm === 'elanus-native');
    assert.equal(mine.length, threads);
    // Field 19 of stat is the nice value; the fields after the command name, which is in parentheses.
    const nice = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    // The pool asks for nice 10; in a process started at a higher nice value (nice -n 15
    // node ...) an unprivileged user cannot raise it, so its threads may stay where they are.
    const loop = nice(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
    for (const t of mine) assert.ok(nice(t.stat) === 10 || (loop > 10 && nice(t.stat) === loop), `pool thread at nice ${nice(t.stat)}`);
    assert.ok(loop < 10 ? mine.every((t) => nice(t.stat) > loop) : true, 'the event loop keeps its priority, above the pool');
  });

  test('builds hold at most threads - 1 threads, and a free thread takes searches before builds', async () => {
    const dim = 8;
    const rows = 100;
    const data = randomRows(rows, dim, 9);
    const scan = () => exactSearch(data, rows, dim, 'f32', 'L2', data.subarray(0, dim), 1, { k: 3 });
    nativePoolStats(true);

    // More builds than threads: one thread stays free, and a scan queued after them runs on it.
    const hold = word();
    const builds = watch(Array.from({ length: threads + 1 }, () => holdNativeThreadForTest(hold, { asBuild: true })));
    const s = await until((x) => x.buildsRunning === threads - 1 && x.queued === 2);
    assert.equal(s.running, threads - 1);
    assert.equal((await scan()).rows[0], 0);
    assert.equal(builds.settled(), 0, 'the scan finished while every build still held its thread');
    Atomics.store(hold, 0, 1);
    await builds.all;
    assert.equal(nativePoolStats().buildsRunningMax, threads - 1);

    // Every thread held by short tasks, then a build and a scan queued in that order: the
    // first thread freed takes the scan. (Had it taken the build, which holds its thread
    // until told, the scan could not have finished while the others are held.)
    const words = Array.from({ length: threads }, () => word());
    const held = watch(words.map((w) => holdNativeThreadForTest(w)));
    await until((x) => x.running === threads);
    const buildWord = word();
    const build = holdNativeThreadForTest(buildWord, { asBuild: true });
    const scanned = scan();
    await until((x) => x.queued === 2);
    Atomics.store(words[0]!, 0, 1);
    assert.equal((await scanned).rows[0], 0);
    assert.equal(held.settled(), 1);
    for (const w of [...words, buildWord]) Atomics.store(w, 0, 1);
    await Promise.all([held.all, build]);
  });

  test('file writes and fsyncs complete while every pool thread is busy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'elanus-pool-'));
    try {
      const fsWork = async (round: number) => {
        for (let i = 0; i < 4; i++) {
          const path = join(dir, `r${round}-${i}`);
          const fh = await open(path, 'w');
          await fh.writeFile(new Uint8Array(64 * 1024).fill(i));
          await fh.sync();
          await fh.close();
          await writeFile(`${path}.b`, `round ${round}`);
          assert.equal(await readFile(`${path}.b`, 'utf8'), `round ${round}`);
        }
      };

      // Held threads: nothing can finish until the word is set, so the order is certain.
      const hold = word();
      const holds = watch(Array.from({ length: threads + 2 }, () => holdNativeThreadForTest(hold)));
      await until((s) => s.running === threads && s.queued === 2);
      await fsWork(1);
      assert.equal(holds.settled(), 0, 'every pool thread was still held while the file work completed');
      assert.equal(nativePoolStats().running, threads);
      Atomics.store(hold, 0, 1);
      await holds.all;

      // Long builds on every thread builds may take, one held thread beside them, one
      // build waiting: the file work completes before any build, which are then cancelled.
      longData ??= randomRows(longRows, longBuild.dim, 3);
      const cancel = newCancelWord();
      const last = word();
      const lastHeld = holdNativeThreadForTest(last);
      const builds = watch(Array.from({ length: threads }, () => buildIndex(longBuild, longData!, longRows, cancel)));
      await until((s) => s.running === threads && s.buildsRunning === threads - 1 && s.queued === 1);
      await fsWork(2);
      assert.equal(builds.settled(), 0, 'no build had finished when the file work completed');
      Atomics.store(cancel, 0, 1);
      Atomics.store(last, 0, 1);
      await lastHeld;
      for (const r of await builds.all) {
        assert.equal(r.status, 'rejected');
        assert.equal((r as PromiseRejectedResult).reason.code, 'CLOSED');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a cancel word stops builds that are running and builds still queued', async () => {
    longData ??= randomRows(longRows, longBuild.dim, 3);
    const hold = word();
    // Two threads held, two running builds, three builds queued behind them.
    const holds = watch(Array.from({ length: 2 }, () => holdNativeThreadForTest(hold)));
    await until((s) => s.running === 2);
    const cancel = newCancelWord();
    const ivf: IndexBuildSpec = { type: 'IVF_FLAT', metric: 'L2', element: 'f32', dim: longBuild.dim, nlist: 1024 };
    const builds = watch([longBuild, ivf, longBuild, ivf, longBuild].map((s) => buildIndex(s, longData!, longRows, cancel)));
    await until((s) => s.running === threads && s.queued === 3);
    Atomics.store(cancel, 0, 1);
    for (const r of await builds.all) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.code, 'CLOSED');
    }
    Atomics.store(hold, 0, 1);
    await holds.all;
    assert.equal((await until((s) => s.running === 0)).queued, 0);
  });

  test('its size is fixed for the process: an engine asking for another size is refused', async () => {
    assert.equal(configureNativePool(threads), threads);
    assert.throws(() => configureNativePool(threads + 1), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => configureNativePool(-1), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => configureNativePool(257), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => configureNativePool(1.5), { code: 'INVALID_ARGUMENT' });
    if (defaultNativeThreads() === threads) assert.equal(configureNativePool(0), threads);
    else assert.throws(() => configureNativePool(0), { code: 'INVALID_ARGUMENT' });
    const dir = await mkdtemp(join(tmpdir(), 'elanus-pool-engine-'));
    try {
      await assert.rejects(Elanus.open({ path: dir, nativeThreads: threads + 1 }), { code: 'INVALID_ARGUMENT' });
      const db = await Elanus.open({ path: dir, nativeThreads: threads });
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('its nice value is fixed for the process too: another is refused, a bad one is INVALID_ARGUMENT', async () => {
    assert.equal(nativePoolStats().nice, 10, 'the default');
    assert.equal(configureNativePool(threads, 10), threads);
    assert.equal(configureNativePool(undefined, undefined), threads, 'unset: whatever the process has');
    for (const bad of [11, 0, -1, 20, 2.5, Number.NaN]) assert.throws(() => configureNativePool(threads, bad), { code: 'INVALID_ARGUMENT' }, String(bad));
    const dir = await mkdtemp(join(tmpdir(), 'elanus-pool-engine-'));
    try {
      await assert.rejects(Elanus.open({ path: dir, nativeNice: 3 }), { code: 'INVALID_ARGUMENT' });
      const db = await Elanus.open({ path: dir, nativeNice: 10 });
      await db.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a process started with another nice value runs its pool threads at it (Linux)', { skip: process.platform !== 'linux' && 'per-thread nice values are Linux only' }, async () => {
    for (const want of [15, 0]) {
      const r = await runScript('./pool-nice-child.js', String(want));
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { reported: number; threads: number[]; loop: number };
      assert.equal(got.reported, want);
      assert.equal(got.threads.length, 2);
      // An unprivileged thread cannot go below the process's own nice value.
      for (const n of got.threads) assert.equal(n, Math.max(want, got.loop), `pool thread at nice ${n}, asked for ${want}`);
    }
  });
});

/** Runs pool-child.js; a hang (not a slow run) is cut after 5 minutes so the suite cannot stall. */
function child(mode: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return runScript('./pool-child.js', mode);
}

function runScript(script: string, arg: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), arg], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const hang = setTimeout(() => p.kill('SIGKILL'), 5 * 60_000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(hang);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Nothing a crash at exit prints: std::terminate, an abort, a fault, a failed check. */
const crashText = /terminate called|Aborted|Segmentation|core dumped|FATAL|Assertion|Check failed/;

describe('a process with native tasks running and queued', () => {
  test('process.exit() exits at once with its own code', async () => {
    const r = await child('exit');
    assert.match(r.stdout, /^READY /m);
    assert.deepEqual([r.code, r.signal], [0, null], r.stderr);
    assert.doesNotMatch(r.stderr, crashText);
  });

  test('an uncaught exception exits with code 1 and its own message, no crash', async () => {
    const r = await child('throw');
    assert.match(r.stdout, /^READY /m);
    assert.deepEqual([r.code, r.signal], [1, null]);
    assert.match(r.stderr, /thrown with native tasks running and queued/);
    assert.doesNotMatch(r.stderr, crashText);
  });

  test('a worker thread terminated with tasks in the pool: they are stopped or dropped, the process goes on and exits', async () => {
    const r = await child('worker');
    assert.deepEqual([r.code, r.signal], [0, null], r.stderr);
    const after = JSON.parse(/^AFTER (.*)$/m.exec(r.stdout)![1]!) as NativePoolStats;
    assert.deepEqual([after.running, after.queued], [0, 0], 'nothing of the worker left in the pool');
    assert.doesNotMatch(r.stderr, crashText);
  });

  test('with nothing awaited, the process stays alive until its tasks settle, then ends by itself', async () => {
    const r = await child('drain');
    assert.deepEqual([r.code, r.signal], [0, null], r.stderr);
    assert.match(r.stdout, /^SETTLED 6$/m);
  });
});
