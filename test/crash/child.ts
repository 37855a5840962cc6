// The process that the kill -9 test kills. It opens the data folder, runs the crash
// workload, and reports every operation on stdout ("I <op>" before issuing it, "A <id>"
// once acknowledged); stdout to a pipe is synchronous on Linux, so a reported ack was
// really made before any kill that follows it.
//   node child.js <path> <seed> <base> [crash-point] [crash-skip]
import { Elanus, type CrashPoint } from '../../src/index.js';
import { ensureCollection, ensureMoverPartitions, runWorkload } from './workload.js';

const [path, seedText, baseText, crashAt, skipText] = process.argv.slice(2);
let skip = Number(skipText ?? 1);

const db = await Elanus.open({
  path: path!,
  limits: { backgroundIntervalMs: 0, segmentRowsMax: 300, compactionSmallRowsMax: 2000, l0FilesMax: 3 },
  crashPoint: (p: CrashPoint) => {
    if (p === crashAt && --skip <= 0) {
      process.stdout.write(`CRASH ${p}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  },
});
await ensureCollection(db);
await ensureMoverPartitions(db);
process.stdout.write('READY\n');
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
    invoke: (op) => process.stdout.write(`I ${JSON.stringify(op)}\n`),
    ack: (op) => process.stdout.write(`A ${op.id}\n`),
    fail: (op, e) => process.stdout.write(`F ${op.id} ${(e as { code?: string }).code ?? String(e)}\n`),
  },
});
