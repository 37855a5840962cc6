// The answers of every read do not depend on how the shards are placed on data nodes:
// one engine serves its shards from one data node, a second one (same writes) from three,
// so each read fans out to several nodes and the gateway merges the partial answers
// (gateway/merge.ts). Queries, counts, key lookups, searches (plain, filtered, range,
// grouped, paged with offset) and both iterators are compared result for result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Elanus } from '../../src/engine/index.js';
import { DataType, openEngine } from './helpers.js';
import type { ShardReadReq, ShardReader } from '../../src/gateway/index.js';
import { fail } from '../../src/errors/index.js';

const dim = 4;
const shards = 4;
const SEED = 20261207;

type Op =
  | { kind: 'insert' | 'upsert'; ids: number[]; g: number; v: number }
  | { kind: 'delete'; ids: number[] }
  | { kind: 'deleteWhere'; g: number }
  | { kind: 'flush' };

const ids = fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 60 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constantFrom('insert' as const, 'upsert' as const), ids, g: fc.integer({ min: 0, max: 6 }), v: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), ids }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteWhere' as const), g: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flush' as const) }) },
);

const point = (i: number, v: number) => Array.from({ length: dim }, (_, k) => Math.fround(Math.sin(i * 0.37 + k * 1.7 + v * 0.013)));

async function apply(db: Elanus, o: Op): Promise<void> {
  const c = { collection_name: 'c' };
  switch (o.kind) {
    case 'insert':
    case 'upsert': {
      const rows = [...new Set(o.ids)].map((i) => ({ id: i, g: (i + o.g) % 7, name: `n${i % 13}`, vector: point(i, o.v) }));
      await (o.kind === 'insert' ? db.insert({ ...c, data: rows }) : db.upsert({ ...c, data: rows }));
      return;
    }
    case 'delete': await db.delete({ ...c, ids: o.ids }); return;
    case 'deleteWhere': await db.delete({ ...c, filter: `g == ${o.g}` }); return;
    case 'flush': await db.flush({ collection_names: ['c'] }); return;
  }
}

/** Every read, on one engine; the two engines must answer alike. */
async function reads(db: Elanus, q: { filter: string; offset: number; limit: number; probe: number[]; keys: number[] }): Promise<unknown[]> {
  const c = { collection_name: 'c', consistency_level: 'Strong' as const };
  const out: unknown[] = [];
  out.push((await db.count({ ...c })).data);
  out.push((await db.count({ ...c, filter: q.filter })).data);
  out.push((await db.query({ ...c, filter: q.filter, output_fields: ['g', 'name'], offset: q.offset, limit: q.limit })).data);
  out.push((await db.query({ ...c, filter: q.filter, output_fields: ['count(*)'] })).data);
  out.push((await db.get({ ...c, ids: q.keys, output_fields: ['g'] })).data);
  out.push((await db.query({ ...c, filter: `id in [${q.keys.join(', ')}]`, output_fields: ['*'] })).data);
  const data = q.probe.map((p) => point(p, 7));
  out.push((await db.search({ ...c, data, limit: q.limit, offset: q.offset, output_fields: ['g'], metric_type: 'L2' })).results);
  out.push((await db.search({ ...c, data, limit: q.limit, filter: q.filter, output_fields: ['name'], metric_type: 'L2' })).results);
  out.push((await db.search({ ...c, data: data.slice(0, 1), limit: q.limit, filter: `id in [${q.keys.join(', ')}]`, metric_type: 'L2' })).results);
  out.push((await db.search({ ...c, data, limit: q.limit, metric_type: 'L2', params: { radius: 2.5, range_filter: 0.1 } })).results);
  out.push((await db.search({ ...c, data, limit: 3, offset: q.offset % 3, metric_type: 'L2', params: { group_by_field: 'g', group_size: 2 } })).results);
  out.push((await db.search({ ...c, data, limit: 2, metric_type: 'L2', params: { group_by_field: 'name', group_size: 3, strict_group_size: true } })).results);
  const pages: unknown[] = [];
  const it = await db.queryIterator({ ...c, filter: q.filter, output_fields: ['g'], batchSize: 7, limit: 40 });
  for await (const page of it) pages.push(page);
  out.push(pages);
  const hits: unknown[] = [];
  const sit = await db.searchIterator({ ...c, data: data[0]!, batchSize: 9, limit: 50, metric_type: 'L2', output_fields: ['g'] });
  for await (const batch of sit) hits.push(batch);
  out.push(hits);
  return out;
}

test('reads answer alike whether one data node serves every shard or three share them', async () => {
  const q = fc.record({
    filter: fc.constantFrom('g > 2', 'name like "n1%"', 'g in [0, 5] or id < 40', 'id >= 0'),
    offset: fc.integer({ min: 0, max: 12 }),
    limit: fc.integer({ min: 1, max: 25 }),
    probe: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 3 }),
    keys: fc.array(fc.integer({ min: 0, max: 320 }), { minLength: 1, maxLength: 12 }),
  });
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), fc.array(q, { minLength: 1, maxLength: 3 }), async (ops, queries) => {
    const one = await openEngine({ storage: 'memory', shardsDefault: shards });
    const three = await openEngine({ storage: 'memory', shardsDefault: shards, dataNodes: 3 });
    try {
      for (const h of [one, three]) {
        await h.db.createCollection({
          collection_name: 'c', shards_num: shards, fields: [
            { name: 'id', data_type: DataType.Int64, is_primary_key: true },
            { name: 'g', data_type: DataType.Int64 },
            { name: 'name', data_type: DataType.VarChar, max_length: 16 },
            { name: 'vector', data_type: DataType.FloatVector, dim },
          ],
        });
        await h.db.loadCollection({ collection_name: 'c' });
        for (const o of ops) await apply(h.db, o);
      }
      for (const x of queries) {
        const got = await reads(three.db, x);
        const want = await reads(one.db, x);
        for (let i = 0; i < want.length; i++) assert.deepEqual(got[i], want[i], `read ${i} of ${JSON.stringify(x)}`);
      }
    } finally {
      await one.dispose();
      await three.dispose();
    }
  }), { seed: SEED, numRuns: Number(process.env.PLACEMENT_RUNS ?? 25), endOnFailure: true });
});

test('a read with a key filter asks only the data nodes whose shards hold those keys', async () => {
  const h = await openEngine({ storage: 'memory', shardsDefault: shards, dataNodes: 3 });
  try {
    await h.db.createCollection({ collection_name: 'c', shards_num: shards, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'vector', data_type: DataType.FloatVector, dim },
    ] });
    await h.db.loadCollection({ collection_name: 'c' });
    await h.db.insert({ collection_name: 'c', data: Array.from({ length: 50 }, (_, i) => ({ id: i, vector: point(i, 0) })) });
    const r = await h.db.get({ collection_name: 'c', ids: [3, 4, 999], consistency_level: 'Strong' });
    assert.deepEqual(r.data.map((x) => x['id']), [3, 4]);
    assert.equal((await h.db.count({ collection_name: 'c', filter: 'id in [1, 2, 3]', consistency_level: 'Strong' })).data, 3);
    assert.equal((await h.db.count({ collection_name: 'c', filter: 'id in []', consistency_level: 'Strong' })).data, 0);
  } finally {
    await h.dispose();
  }
});

test('dataNodes must be an integer in [1, 64]', async () => {
  for (const dataNodes of [0, 1.5, 65]) {
    await assert.rejects(openEngine({ storage: 'memory', dataNodes }), { code: 'INVALID_ARGUMENT' });
  }
});

test('a read dealt to a replica carries the log ends the coordinator applied, whatever the request held', async () => {
  const { ReplicatedPlacement } = await import('../../src/engine/placement.js');
  const seen: ShardReadReq[] = [];
  const local: ShardReader = {
    appliedEnds: async (req) => req.shards.map((s) => 100 + s),
    countShards: async () => -1, queryShards: async () => fail('INTERNAL'), searchShards: async () => fail('INTERNAL'),
  };
  const remote: ShardReader = {
    countShards: async (req) => { seen.push(req); return 7; },
    queryShards: async () => fail('INTERNAL'), searchShards: async () => fail('INTERNAL'),
  };
  const placement = new ReplicatedPlacement({ node: 'coord', reads: local, writes: undefined as never }, {
    nodes: () => ['r1'], reader: () => remote, failed: () => assert.fail('the replica answered'),
  });
  const req: ShardReadReq = {
    db_name: 'default', collection_name: 'c', collectionId: 1, shards: [0, 1], at: 5n, since: 0n, waitApplied: true,
    partitions: undefined, filter: { kind: 'all' }, catalogVersion: 3, logEnds: undefined,
  };
  assert.equal(await placement.reader('r1').countShards(req), 7);
  // Without the ends the replica would ask the log for its end on every read.
  assert.deepEqual(seen[0]?.logEnds, [100, 101]);
});
