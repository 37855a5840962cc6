// Power loss at many I/O points: the engine runs the crash workload on the fault-
// injecting file system, which stops every operation after the k-th mutating one (the
// machine died) and then forgets whatever was not fsynced (and renames whose folder was
// not fsynced). A new engine on what is left must hold every acknowledged write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus, ElanusError } from '../../src/index.js';
import { FaultFileSystem, Random, ScheduledFileSystem } from '../../src/testing/index.js';
import { Model } from './model.js';
import { collection, ensureCollection, ensureMoverPartitions, runWorkload } from './workload.js';

const points = Number(process.env.ELANUS_POWER_POINTS ?? 120);
const limits = { backgroundIntervalMs: 0, segmentRowsMax: 200, compactionSmallRowsMax: 1000, l0FilesMax: 2 };
const opsMax = 400;

/** Runs the workload until the file system "dies" (or the ops run out); returns the model. */
async function runUntilCrash(fault: FaultFileSystem, seed: number, model: Model): Promise<void> {
  // The dead engine keeps running callbacks for a moment; fencing its view of the disk
  // keeps it from writing into the world after the power comes back.
  let fenced = false;
  const view = new ScheduledFileSystem(fault, (label, run) =>
    fenced ? Promise.reject(new ElanusError('STORAGE_IO', { path: label, detail: 'fenced: this engine died' })) : run());
  try {
    const db = await Elanus.open({ path: '/data', fs: view, limits });
    await ensureCollection(db);
    await ensureMoverPartitions(db);
    await runWorkload(db, {
      workers: 3, mover: true, seed, base: 1_000_000, opsMax, stop: () => fault.crashed,
      report: { invoke: (op) => model.invoke(op), ack: (op) => model.ack(op), fail: () => {} },
    });
    if (!fault.crashed) await db.close();
  } catch (e) {
    assert.ok(e instanceof ElanusError, `only coded errors escape: ${String(e)}`);
  } finally {
    fenced = true;
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  }
}

async function reopenAndCheck(fault: FaultFileSystem, model: Model, where: string): Promise<void> {
  const db = await Elanus.open({ path: '/data', fs: fault, limits });
  try {
    if (!(await db.hasCollection({ collection_name: collection })).value) {
      assert.equal(model.expectedLive(), 0, `${where}: the collection is gone but ${model.expectedLive()} keys were acknowledged`);
      return;
    }
    await db.loadCollection({ collection_name: collection });
    await model.check(db, where);
    // The engine keeps working after recovery: one more write and flush must succeed.
    await db.upsert({ collection_name: collection, data: [{ id: 0, v: 1, tag: 'after', vec: [0, 0, 0, 0] }] });
    await db.flush({ collection_names: [collection] });
  } finally {
    await db.close();
  }
}

test(`power loss at ${points} I/O points loses no acknowledged write`, { timeout: 600_000 }, async () => {
  // A dry run measures how many mutating operations the workload makes.
  const dry = new FaultFileSystem({ seed: 1 });
  await runUntilCrash(dry, 5, new Model());
  const total = dry.opCount;
  assert.ok(total > 200, `the workload does real I/O (${total} operations)`);
  const rnd = new Random(42);
  let crashed = 0;
  let acked = 0;
  for (let i = 0; i < points; i++) {
    const k = 1 + rnd.int(total);
    const fault = new FaultFileSystem({ seed: 1000 + i });
    fault.crashAfter(k);
    const model = new Model();
    await runUntilCrash(fault, 5 + i, model);
    if (fault.crashed) crashed++;
    acked += model.keys.size;
    fault.powerLoss();
    await reopenAndCheck(fault, model, `power loss after ${k} of ~${total} operations (seed ${1000 + i})`);
  }
  console.log(`# ${points} power losses over ~${total} I/O operations, ${crashed} mid-run, ${acked} keys checked`);
  assert.ok(crashed >= points * 0.8, `most runs really crashed (${crashed} of ${points})`);
});

test('a second power loss during recovery is harmless too', { timeout: 120_000 }, async () => {
  const rnd = new Random(7);
  for (let i = 0; i < 20; i++) {
    const fault = new FaultFileSystem({ seed: 500 + i });
    fault.crashAfter(300 + rnd.int(1500));
    const model = new Model();
    await runUntilCrash(fault, 900 + i, model);
    fault.powerLoss();
    // Crash the recovery itself a few operations in, then recover for real.
    fault.crashAfter(1 + rnd.int(12));
    await Elanus.open({ path: '/data', fs: fault, limits }).then((db) => db.close()).catch((e: unknown) => {
      assert.ok(e instanceof ElanusError, String(e));
    });
    fault.powerLoss();
    await reopenAndCheck(fault, model, `double crash #${i}`);
  }
});
