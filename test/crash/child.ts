// The process that the kill -9 test kills. It opens the data folder, runs the crash
// workload, and reports every operation on stdout ("I <op>" before issuing it, "A <id>"
// once acknowledged). Each line is in the pipe before the call that follows it (say()),
// so a kill never loses the report of an operation the engine may have received.
//   node child.js <path> <seed> <base> [crash-point] [crash-skip]
import { writeSync } from 'node:fs';
import { Elanus, type CrashPoint } from '../../src/index.js';
import { ensureCollection, ensureMoverPartitions, runWorkload } from './workload.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes one line to stdout before returning. process.stdout.write is not enough: once
 * the 64 KiB pipe is full (a parent slowed down by a loaded machine), it queues the line
 * in this process and returns, the operation goes ahead, and a SIGKILL then loses the
 * "I" line of a write the engine did store (the model calls that row impossible).
 */
function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(1, bytes, done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1); // the pipe is full: wait for the parent to read
    }
  }
}

const [path, seedText, baseText, crashAt, skipText] = process.argv.slice(2);
let skip = Number(skipText ?? 1);

const db = await Elanus.open({
  path: path!,
  limits: { backgroundIntervalMs: 0, segmentRowsMax: 300, compactionSmallRowsMax: 2000, l0FilesMax: 3 },
  crashPoint: (p: CrashPoint) => {
    if (p === crashAt && --skip <= 0) {
      say(`CRASH ${p}`);
      process.kill(process.pid, 'SIGKILL');
    }
  },
});
await ensureCollection(db);
await ensureMoverPartitions(db);
say('READY');
await runWorkload(db, {
  workers: 4,
  mover: true,
  // A run that is to die at its n-th compaction compacts more often, so that it gets
  // there in seconds whatever the machine's load (flushes of many partitions are slow).
  compactShare: crashAt?.startsWith('compaction:') ? 0.6 : 0.3,
  seed: Number(seedText),
  base: Number(baseText),
  stop: () => false,
  report: {
    invoke: (op) => say(`I ${JSON.stringify(op)}`),
    ack: (op) => say(`A ${op.id}`),
    fail: (op, e) => say(`F ${op.id} ${(e as { code?: string }).code ?? String(e)}`),
  },
});
