// A child process for native-pool.test.ts: fills the native pool (2 threads) with long
// HNSW builds and tasks that hold a thread, so that some run and more wait, then ends in
// the way argv[2] names. Prints "READY <stats>" once the pool is full, "SETTLED <n>" for
// promises that settled before the end.
//   exit      process.exit(0) with tasks running and queued
//   throw     an uncaught exception with tasks running and queued (exit code 1)
//   worker    the same work in a worker thread, which is terminated; then main ends
//   drain     cancels the builds and releases the holds without awaiting anything:
//             the process must stay alive until they settle, then end by itself
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { buildIndex, configureNativePool, holdNativeThreadForTest, nativePoolStats, newCancelWord, type IndexBuildSpec } from '../../src/index/native.js';

const spec: IndexBuildSpec = { type: 'HNSW', metric: 'L2', element: 'f32', dim: 64, M: 32, efConstruction: 400, storage: 'f32' };

/** Starts 3 builds (minutes of work each) and 3 holds; returns the words that stop them. */
function fill(): { cancel: Int32Array; hold: Int32Array; settled: () => number } {
  const rows = 100_000;
  const data = new Float32Array(rows * spec.dim);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  const cancel = newCancelWord();
  const hold = new Int32Array(new SharedArrayBuffer(4));
  let settled = 0;
  const count = () => { settled++; };
  for (let i = 0; i < 3; i++) buildIndex(spec, data, rows, cancel).then(count, count);
  for (let i = 0; i < 3; i++) holdNativeThreadForTest(hold).then(count, count);
  return { cancel, hold, settled: () => settled };
}

/** Resolves once both pool threads are busy (a build and a hold) and the rest wait. */
async function full(): Promise<string> {
  for (;;) {
    const s = nativePoolStats();
    if (s.running === 2 && s.queued === 4) return JSON.stringify(s);
    await new Promise((r) => setTimeout(r, 5));
  }
}

if (!isMainThread) {
  fill();
  parentPort!.postMessage('filled');
  void workerData;
} else {
  configureNativePool(2);
  nativePoolStats(); // loads the addon here, so the worker joins a pool of 2
  const mode = process.argv[2];
  if (mode === 'worker') {
    const worker = new Worker(new URL(import.meta.url), { workerData: null });
    await new Promise((r) => worker.once('message', r));
    console.log(`READY ${await full()}`);
    await worker.terminate();
    console.log(`AFTER ${JSON.stringify(nativePoolStats())}`);
  } else {
    const f = fill();
    console.log(`READY ${await full()}`);
    if (mode === 'exit') process.exit(0);
    if (mode === 'throw') throw new Error('thrown with native tasks running and queued');
    if (mode === 'drain') {
      Atomics.store(f.cancel, 0, 1);
      Atomics.store(f.hold, 0, 1);
      process.on('exit', () => console.log(`SETTLED ${f.settled()}`));
    }
  }
}
