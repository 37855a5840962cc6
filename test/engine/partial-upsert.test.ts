// Partial upserts (`partial_update: true`, Milvus 2.6's merge mode): fields a row leaves
// out keep the stored row's values, new keys are inserted with defaults (or refused
// when a required field is missing, storing nothing), dynamic keys merge, and partial
// upserts racing other writes to the same keys end exactly as the log's serial order says.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Elanus } from '../../src/engine/index.js';
import { DataType, basicFields, countOf, vec, withEngine } from './helpers.js';

const extra = [
  { name: 'a', data_type: DataType.Int32, nullable: true },
  { name: 'b', data_type: DataType.VarChar, max_length: 16, nullable: true },
  { name: 'n', data_type: DataType.Int64, default_value: 7 },
  { name: 'doc', data_type: DataType.JSON, nullable: true },
  { name: 'tags', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 4, nullable: true },
];

async function create(db: Elanus, name: string, shards = 1): Promise<void> {
  await db.createCollection({ collection_name: name, fields: basicFields(4, extra), enable_dynamic_field: true, shards_num: shards });
  await db.loadCollection({ collection_name: name });
}

async function rowsById(db: Elanus, name: string, ids: number[]): Promise<Map<number, Record<string, unknown>>> {
  const r = await db.get({ collection_name: name, ids, output_fields: ['*'], consistency_level: 'Strong' });
  return new Map(r.data.map((x) => [x['id'] as number, x]));
}

describe('partial upsert', () => {
  test('left-out fields keep the stored values; given ones (null too) replace them', () => withEngine(async (db) => {
    await create(db, 'p');
    await db.insert({ collection_name: 'p', data: [
      { id: 1, vector: vec(1, 4), a: 10, b: 'one', n: 100, doc: { x: 1 }, tags: [1, 2], color: 'red', size: 3 },
      { id: 2, vector: vec(2, 4), a: 20, b: 'two', doc: null, tags: null },
    ] });
    // Row 1 lies in a flushed segment, row 2 in a growing one after the upsert below.
    await db.flush({ collection_names: ['p'] });
    const r = await db.upsert({ collection_name: 'p', partial_update: true, data: [
      { id: 1, b: 'uno', color: 'blue', shape: 'round' },
      { id: 2, a: null, vector: vec(22, 4) },
    ] });
    assert.equal(r.upsert_cnt, 2);
    assert.deepEqual(r.IDs, { int_id: { data: [1, 2] } });
    assert.equal(await countOf(db, 'p'), 2);
    const got = await rowsById(db, 'p', [1, 2]);
    const one = got.get(1)!;
    assert.deepEqual({ ...one, vector: undefined }, { id: 1, vector: undefined, a: 10, b: 'uno', n: 100, doc: { x: 1 }, tags: [1, 2], color: 'blue', size: 3, shape: 'round' });
    assert.deepEqual(one['vector'], vec(1, 4));
    const two = got.get(2)!;
    assert.deepEqual({ ...two, vector: undefined }, { id: 2, vector: undefined, a: null, b: 'two', n: 7, doc: null, tags: null });
    assert.deepEqual(two['vector'], vec(22, 4));
    // A second partial upsert builds on the first one's row.
    await db.upsert({ collection_name: 'p', partial_update: true, data: [{ id: 1, a: 11, size: null }] });
    const again = (await rowsById(db, 'p', [1])).get(1)!;
    assert.deepEqual([again['a'], again['b'], again['color'], again['size'], again['shape']], [11, 'uno', 'blue', null, 'round']);
  }));

  test('a new key is inserted with defaults and nulls; one missing a required field refuses the whole batch', () => withEngine(async (db) => {
    await create(db, 'p');
    await db.insert({ collection_name: 'p', data: [{ id: 1, vector: vec(1, 4), a: 1 }] });
    await db.upsert({ collection_name: 'p', partial_update: true, data: [{ id: 5, vector: vec(5, 4), b: 'five' }] });
    const five = (await rowsById(db, 'p', [5])).get(5)!;
    assert.deepEqual({ ...five, vector: undefined }, { id: 5, vector: undefined, a: null, b: 'five', n: 7, doc: null, tags: null });

    // Row 1 of this batch is a new key without the (required) vector: nothing is stored,
    // not even row 0's change to a stored key.
    await assert.rejects(
      db.upsert({ collection_name: 'p', partial_update: true, data: [{ id: 1, a: 99 }, { id: 6, a: 6 }] }),
      { code: 'MISSING_FIELD', message: /field "vector" is required but missing in row 1/ },
    );
    assert.equal(await countOf(db, 'p'), 2);
    assert.equal((await rowsById(db, 'p', [1])).get(1)!['a'], 1);

    // The key is still required, and given values are checked as in any write.
    await assert.rejects(db.upsert({ collection_name: 'p', partial_update: true, data: [{ a: 1 }] }), { code: 'MISSING_FIELD', message: /field "id"/ });
    await assert.rejects(db.upsert({ collection_name: 'p', partial_update: true, data: [{ id: 1, a: 'x' }] }), { code: 'WRONG_TYPE' });
    await assert.rejects(db.upsert({ collection_name: 'p', partial_update: true, data: [{ id: 1, a: 1 }, { id: 1, a: 2 }] }), { code: 'DUPLICATE_PRIMARY_KEY' });
    await assert.rejects(db.upsert({ collection_name: 'p', partial_update: 'yes' as unknown as boolean, data: [{ id: 1, a: 1 }] }), { code: 'INVALID_ARGUMENT', message: /partial_update must be true or false/ });
    assert.equal((await rowsById(db, 'p', [1])).get(1)!['a'], 1);
    // A deleted key is a new key again.
    await db.delete({ collection_name: 'p', ids: [1] });
    await assert.rejects(db.upsert({ collection_name: 'p', partial_update: true, data: [{ id: 1, a: 3 }] }), { code: 'MISSING_FIELD' });
    assert.equal(await countOf(db, 'p'), 1);
  }));

  test('the column form merges too, and a partition key left out keeps the row in its partition', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'k', num_partitions: 4,
      fields: basicFields(2, [{ name: 'region', data_type: DataType.VarChar, max_length: 8, is_partition_key: true }, { name: 'a', data_type: DataType.Int32 }]),
    });
    await db.loadCollection({ collection_name: 'k' });
    await db.insert({ collection_name: 'k', data: [{ id: 1, vector: [1, 0], region: 'eu', a: 1 }, { id: 2, vector: [0, 1], region: 'us', a: 2 }] });
    await db.upsert({ collection_name: 'k', partial_update: true, columns: { id: [1, 2], a: [10, 20] } });
    const r = await db.query({ collection_name: 'k', filter: 'region == "eu"', output_fields: ['a', 'vector'], consistency_level: 'Strong', limit: 10 });
    assert.deepEqual(r.data, [{ id: 1, a: 10, vector: [1, 0] }]);
    const u = await db.query({ collection_name: 'k', filter: 'region == "us"', output_fields: ['a'], consistency_level: 'Strong', limit: 10 });
    assert.deepEqual(u.data, [{ id: 2, a: 20 }]);
  }));

  test('partial upserts racing upserts and deletes of the same keys end as the serial order of their timestamps', () => withEngine(async (db) => {
    await create(db, 'race', 2);
    const keys = [0, 1, 2, 3, 4, 5];
    const full = (id: number, n: number) => ({ id, vector: vec(n, 4), a: n, b: `f${n}`, n, doc: { n }, tags: [n], d0: n });
    await db.insert({ collection_name: 'race', data: keys.map((id) => full(id, 0)) });
    type Op = { kind: 'partial' | 'full' | 'delete'; id: number; row?: Record<string, unknown> };
    const done: Array<{ ts: bigint; op: Op }> = [];
    const refused: Op[] = [];
    const ops: Promise<void>[] = [];
    for (let i = 1; i <= 600; i++) {
      const id = keys[i % keys.length]!;
      let op: Op;
      if (i % 23 === 0) op = { kind: 'delete', id };
      else if (i % 11 === 0) op = { kind: 'full', id, row: full(id, i) };
      else op = { kind: 'partial', id, row: i % 2 ? { id, a: i, [`d${i % 3}`]: i } : { id, b: `p${i}`, doc: { i } } };
      const p = op.kind === 'delete'
        ? db.delete({ collection_name: 'race', ids: [id] })
        : db.upsert({ collection_name: 'race', data: [op.row!], ...(op.kind === 'partial' ? { partial_update: true } : {}) });
      ops.push(p.then((r) => { done.push({ ts: BigInt(r.timestamp), op }); }, (e: { code?: string }) => {
        // Only a partial upsert of a key deleted just before may fail: it lacks the vector.
        assert.equal(e.code, 'MISSING_FIELD', String(e));
        refused.push(op);
      }));
      if (i % 50 === 0) ops.push(db.flush({ collection_names: ['race'] }).then(() => undefined));
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(ops);
    assert.equal(done.length + refused.length, 600);
    assert.ok(refused.every((o) => o.kind === 'partial'));

    // The serial replay: each partial merges into the row before it (dynamic keys too).
    const model = new Map<number, Record<string, unknown>>(keys.map((id) => [id, full(id, 0)]));
    const replayRefused: Op[] = [];
    for (const { op } of done.sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0))) {
      if (op.kind === 'delete') model.delete(op.id);
      else if (op.kind === 'full') model.set(op.id, { ...op.row });
      else {
        const before = model.get(op.id);
        assert.ok(before, `partial upsert of ${op.id} succeeded on a key the serial order had deleted`);
        model.set(op.id, { ...before, ...op.row });
      }
      if (op.kind === 'partial' && !model.has(op.id)) replayRefused.push(op);
    }
    assert.deepEqual(replayRefused, []);
    const got = await rowsById(db, 'race', keys);
    assert.deepEqual([...got.keys()].sort(), [...model.keys()].sort());
    for (const [id, want] of model) {
      const row = got.get(id)!;
      const { vector, ...rest } = row;
      const { vector: wantVector, ...wantRest } = want;
      assert.deepEqual(rest, wantRest, `row ${id}`);
      assert.deepEqual(vector, wantVector, `row ${id} vector`);
    }
    assert.deepEqual(db.backgroundErrors, []);
  }));
});
