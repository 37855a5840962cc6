// The crash workload, shared by the kill -9 child and the power-loss test: sequential
// workers that each own a slice of the key space (so every key's operations are totally
// ordered) run upserts, inserts and deletes, while a maintenance loop flushes and
// compacts. Every operation is reported before it is issued and when it is acknowledged.
import { DataType, type Elanus } from '../../src/index.js';
import { Random } from '../../src/testing/index.js';

export const collection = 'crash';
export const keysPerWorker = 400;

export interface Op {
  readonly id: number;
  readonly worker: number;
  /** 'drop' drops `partition` with every key in it (the model knows which keys those are). */
  readonly kind: 'upsert' | 'insert' | 'delete' | 'drop';
  readonly keys: readonly number[];
  /** The value written (upsert/insert). */
  readonly v: number;
  readonly partition?: string;
}

/** Partitions the mover moves its keys between, and drops. */
export const moverPartitions = ['pa', 'pb'];

export interface Reporter {
  invoke(op: Op): void;
  ack(op: Op): void;
  fail(op: Op, e: unknown): void;
}

export async function ensureCollection(db: Elanus): Promise<void> {
  if ((await db.hasCollection({ collection_name: collection })).value) return;
  await db.createCollection({
    collection_name: collection,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.Int64 },
      { name: 'tag', data_type: DataType.VarChar, max_length: 32 },
      { name: 'vec', data_type: DataType.FloatVector, dim: 4 },
    ],
  });
  await db.loadCollection({ collection_name: collection });
}

/** The mover's partitions exist and are loaded (a crash may have hit between a drop and its re-creation). */
export async function ensureMoverPartitions(db: Elanus): Promise<void> {
  for (const p of moverPartitions) {
    if (!(await db.hasPartition({ collection_name: collection, partition_name: p })).value) {
      await db.createPartition({ collection_name: collection, partition_name: p });
    }
    await db.loadPartitions({ collection_name: collection, partition_names: [p] });
  }
}

export function rowOf(key: number, v: number) {
  return { id: key, v, tag: `k${key}-v${v}`, vec: [key % 7, v % 11, 1, 0.5] };
}

/**
 * Runs until `stop()` says so. `base` makes written values unique across restarts.
 * Errors of single operations are reported, not thrown (after a crash they are expected).
 */
export async function runWorkload(db: Elanus, opts: { workers: number; seed: number; base: number; stop: () => boolean; report: Reporter; maintenance?: boolean; mover?: boolean; opsMax?: number; compactShare?: number }): Promise<void> {
  let nextId = 0;
  let v = opts.base;
  let ops = 0;
  const worker = async (w: number) => {
    const rnd = new Random(opts.seed * 7919 + w);
    while (!opts.stop() && (opts.opsMax === undefined || ops < opts.opsMax)) {
      ops++;
      const r = rnd.next();
      const kind = r < 0.6 ? 'upsert' : r < 0.8 ? 'insert' : 'delete';
      const n = 1 + rnd.int(kind === 'delete' ? 5 : 40);
      const keys = new Set<number>();
      for (let i = 0; i < n; i++) keys.add(w * keysPerWorker + rnd.int(keysPerWorker));
      const op: Op = { id: nextId++, worker: w, kind, keys: [...keys], v: ++v };
      opts.report.invoke(op);
      try {
        if (kind === 'delete') await db.delete({ collection_name: collection, ids: op.keys as number[] });
        else {
          const data = op.keys.map((k) => rowOf(k, op.v));
          await (kind === 'upsert' ? db.upsert({ collection_name: collection, data }) : db.insert({ collection_name: collection, data }));
        }
        opts.report.ack(op);
      } catch (e) {
        opts.report.fail(op, e);
        return;
      }
    }
  };
  // The mover upserts its keys into the mover partitions (moving a key hides its row in
  // the other one) and now and then drops a partition and creates it again.
  const mover = async () => {
    const w = opts.workers;
    const rnd = new Random(opts.seed * 31 + 5);
    while (!opts.stop() && (opts.opsMax === undefined || ops < opts.opsMax)) {
      ops++;
      const partition = rnd.pick(moverPartitions);
      if (rnd.next() < 0.1) {
        const op: Op = { id: nextId++, worker: w, kind: 'drop', keys: [], v: 0, partition };
        opts.report.invoke(op);
        try {
          await db.releasePartitions({ collection_name: collection, partition_names: [partition] });
          await db.dropPartition({ collection_name: collection, partition_name: partition });
          opts.report.ack(op);
          await db.createPartition({ collection_name: collection, partition_name: partition });
          await db.loadPartitions({ collection_name: collection, partition_names: [partition] });
        } catch (e) {
          opts.report.fail(op, e);
          return;
        }
        continue;
      }
      const keys = new Set<number>();
      for (let i = 0, n = 1 + rnd.int(10); i < n; i++) keys.add(w * keysPerWorker + rnd.int(keysPerWorker));
      const op: Op = { id: nextId++, worker: w, kind: 'upsert', keys: [...keys], v: ++v, partition };
      opts.report.invoke(op);
      try {
        await db.upsert({ collection_name: collection, partition_name: partition, data: op.keys.map((k) => rowOf(k, op.v)) });
        opts.report.ack(op);
      } catch (e) {
        opts.report.fail(op, e);
        return;
      }
    }
  };
  const maintenance = async () => {
    const rnd = new Random(opts.seed);
    while (!opts.stop() && (opts.opsMax === undefined || ops < opts.opsMax)) {
      await new Promise((r) => setTimeout(r, 5 + rnd.int(30)));
      try {
        // The maintenance loop flushes, or (compactShare of the time, 0.3 by default) compacts.
        if (rnd.next() >= (opts.compactShare ?? 0.3)) await db.flush({ collection_names: [collection] });
        else await db.compact({ collection_name: collection });
      } catch {
        return;
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: opts.workers }, (_, w) => worker(w)),
    ...(opts.mover ? [mover()] : []),
    ...(opts.maintenance === false ? [] : [maintenance()]),
  ]);
}
