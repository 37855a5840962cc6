// Concurrent partition lifecycles (create → insert → flush → load → query/search →
// release → drop) racing each other, a dropper that drops whatever it sees, and a
// writer/reader pair on _default. Every operation either succeeds or fails with a coded
// error from the set a race can explain; nothing crashes or hangs; at the end (and after
// a restart) the catalog and every partition's count match the model exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, Elanus, ElanusError } from '../../src/index.js';
import { Random } from '../../src/testing/index.js';

const cycles = Number(process.env.ELANUS_LIFECYCLE_CYCLES ?? 200);
const clients = 4;
const name = 'lifecycle';
const racing = new Set(['PARTITION_NOT_FOUND', 'PARTITION_NOT_LOADED', 'PARTITION_LOADED', 'PARTITION_ALREADY_EXISTS']);

async function expectRace<T>(p: Promise<T>, counts: Map<string, number>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    assert.ok(e instanceof ElanusError, `a racing operation failed without a code: ${String(e)}`);
    assert.ok(racing.has(e.code), `a racing operation failed with ${e.code}: ${e.message}`);
    counts.set(e.code, (counts.get(e.code) ?? 0) + 1);
    return undefined;
  }
}

test(`${cycles} concurrent partition lifecycles against drops, writes and reads keep the catalog exact`, { timeout: 300_000 }, async () => {
  const path = mkdtempSync(join(tmpdir(), 'elanus-lifecycle-'));
  const races = new Map<string, number>();
  try {
    let db = await Elanus.open({ path, limits: { backgroundIntervalMs: 0 } });
    await db.createCollection({
      collection_name: name,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'flag', data_type: DataType.Bool },
        { name: 'vec', data_type: DataType.FloatVector, dim: 4 },
      ],
    });
    await db.loadPartitions({ collection_name: name, partition_names: ['_default'] });
    /** partition name → rows acknowledged into it since it was created. */
    const model = new Map<string, number>([['_default', 0]]);
    let nextKey = 0;
    const rows = (n: number) => Array.from({ length: n }, () => {
      const id = nextKey++;
      return { id, flag: id % 2 === 0, vec: [id % 5, 1, 2, 3] };
    });
    let done = 0;
    let finished = false;

    const lifecycle = async (c: number) => {
      const rnd = new Random(c);
      for (let i = 0; done < cycles; i++) {
        const p = `p_${c}_${i}`;
        if (!(await expectRace(db.createPartition({ collection_name: name, partition_name: p }), races))) continue;
        model.set(p, 0);
        const n = 5 + rnd.int(30);
        if (await expectRace(db.insert({ collection_name: name, partition_name: p, data: rows(n) }), races)) {
          if (model.has(p)) model.set(p, model.get(p)! + n);
        }
        await expectRace(db.flush({ collection_names: [name] }), races);
        if (await expectRace(db.loadPartitions({ collection_name: name, partition_names: [p] }), races)) {
          const q = await expectRace(db.count({ collection_name: name, partition_names: [p], consistency_level: 'Strong' }), races);
          if (q && model.has(p)) assert.equal(q.data, model.get(p), `count of ${p}`);
          await expectRace(db.search({ collection_name: name, partition_names: [p], data: [1, 1, 2, 3], limit: 3, metric_type: 'L2' }), races);
          await expectRace(db.releasePartitions({ collection_name: name, partition_names: [p] }), races);
        }
        if (await expectRace(db.dropPartition({ collection_name: name, partition_name: p }), races)) model.delete(p);
        // A dropped partition is gone for every operation, with a code.
        await assert.rejects(db.insert({ collection_name: name, partition_name: p, data: rows(1) }), { code: 'PARTITION_NOT_FOUND' });
        done++;
      }
    };

    const dropper = async () => {
      const rnd = new Random(99);
      while (done < cycles) {
        const shown = await db.showPartitions({ collection_name: name });
        const victims = shown.partition_names.filter((x) => x !== '_default');
        if (victims.length > 0) {
          const v = rnd.pick(victims);
          await expectRace(db.releasePartitions({ collection_name: name, partition_names: [v] }), races);
          if (await expectRace(db.dropPartition({ collection_name: name, partition_name: v }), races)) model.delete(v);
        }
        await new Promise((r) => setTimeout(r, rnd.int(15)));
      }
    };

    const defaultWriter = async () => {
      while (!finished) {
        const n = 10;
        await db.insert({ collection_name: name, data: rows(n) });
        model.set('_default', model.get('_default')! + n);
        const c = await db.count({ collection_name: name, partition_names: ['_default'], consistency_level: 'Strong' });
        assert.equal(c.data, model.get('_default'), 'count of _default');
      }
    };

    const writer = defaultWriter();
    await Promise.all([...Array.from({ length: clients }, (_, c) => lifecycle(c)), dropper()]);
    finished = true;
    await writer;

    const check = async (where: string) => {
      const shown = (await db.showPartitions({ collection_name: name })).partition_names.sort();
      assert.deepEqual(shown, [...model.keys()].sort(), `${where}: partitions`);
      await db.loadCollection({ collection_name: name });
      for (const [p, n] of model) {
        const c = await db.count({ collection_name: name, partition_names: [p], consistency_level: 'Strong' });
        assert.equal(c.data, n, `${where}: count of ${p}`);
      }
      const total = [...model.values()].reduce((a, b) => a + b, 0);
      assert.equal((await db.count({ collection_name: name, consistency_level: 'Strong' })).data, total, `${where}: total count`);
    };
    await check('live');
    await db.close();
    db = await Elanus.open({ path, limits: { backgroundIntervalMs: 0 } });
    await check('after restart');
    await db.close();
    console.log(`# ${done} lifecycles; races ended in coded errors: ${JSON.stringify(Object.fromEntries(races))}`);
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
});
