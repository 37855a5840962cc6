// Search by primary keys (Milvus 2.6's `ids` in place of query vectors): each key's
// stored vector is a query, read at the search's own snapshot, and the answer is exactly
// the vector search with those vectors — one list per key in the order given, with the
// filter, partitions, output fields, grouping and range parameters applied alike. Keys
// that are not there, of the wrong type, repeated, or given beside vectors are refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Elanus } from '../../src/engine/index.js';
import { DataType, basicFields, basicRows, countOf, vec, withEngine } from './helpers.js';

type Hits = Array<Array<Record<string, unknown>>>;

async function setup(db: Elanus): Promise<void> {
  await db.createCollection({ collection_name: 's', shards_num: 2, fields: basicFields(4, [{ name: 'g', data_type: DataType.Int32 }]) });
  await db.createPartition({ collection_name: 's', partition_name: 'p' });
  await db.loadCollection({ collection_name: 's' });
  await db.insert({ collection_name: 's', data: basicRows(0, 40, 4, (i) => ({ g: i % 5 })) });
  await db.insert({ collection_name: 's', partition_name: 'p', data: basicRows(40, 60, 4, (i) => ({ g: i % 5 })) });
  await db.flush({ collection_names: ['s'] });
  // Some rows growing, one replaced after the flush.
  await db.insert({ collection_name: 's', data: basicRows(60, 80, 4, (i) => ({ g: i % 5 })) });
  await db.upsert({ collection_name: 's', data: [{ id: 7, vector: vec(1007, 4), g: 2 }] });
}

describe('search by primary keys', () => {
  test('answers exactly as a search with the keys\' stored vectors, one list per key in order', () => withEngine(async (db) => {
    await setup(db);
    const ids = [63, 7, 12];
    const stored = [vec(63, 4), vec(1007, 4), vec(12, 4)];
    const common = { collection_name: 's', limit: 5, output_fields: ['g'], metric_type: 'L2', consistency_level: 'Strong' as const };
    const byKeys = (await db.search({ ...common, ids })).results as Hits;
    const byData = (await db.search({ ...common, data: stored })).results as Hits;
    assert.equal(byKeys.length, 3);
    assert.deepEqual(byKeys, byData);
    // Each key's own row is its nearest hit (distance 0), the replaced row 7 with its new vector.
    assert.deepEqual(byKeys.map((l) => [l[0]!['id'], l[0]!['score']]), [[63, 0], [7, 0], [12, 0]]);

    // One key still gives a list of lists.
    const one = (await db.search({ ...common, ids: [12] })).results as Hits;
    assert.deepEqual(one, [byData[2]]);

    // The filter, partitions, grouping and range apply to the hits as in a vector search
    // (the keys themselves are found wherever the search looks, filter or not).
    for (const extra of [
      { filter: 'g == 1' },
      { filter: 'id > 100 or g == 4', partition_names: ['p', '_default'] },
      { group_by_field: 'g', group_size: 2 },
      { params: { radius: 1.5 } },
    ]) {
      const k = (await db.search({ ...common, ...extra, ids })).results as Hits;
      const d = (await db.search({ ...common, ...extra, data: stored })).results as Hits;
      assert.deepEqual(k, d, JSON.stringify(extra));
      assert.ok(k.some((l) => l.length > 0), `${JSON.stringify(extra)} has hits`);
    }
    const grouped = (await db.search({ ...common, ids: [12], group_by_field: 'g', group_size: 1 })).results as Hits;
    assert.equal(grouped[0]![0]!['id'], 12, 'the key\'s own row leads its group');
    assert.equal(new Set(grouped[0]!.map((h) => h['g'])).size, grouped[0]!.length, 'one hit per group');
  }));

  test('keys are read at the search\'s snapshot and in its partitions; a missing key is named', () => withEngine(async (db) => {
    await setup(db);
    const s = { collection_name: 's', limit: 3, consistency_level: 'Strong' as const };
    await db.upsert({ collection_name: 's', data: [{ id: 12, vector: vec(2012, 4), g: 0 }] });
    const after = (await db.search({ ...s, ids: [12] })).results as Hits;
    assert.deepEqual(after, (await db.search({ ...s, data: [vec(2012, 4)] })).results);
    await db.delete({ collection_name: 's', ids: [12, 13] });
    await assert.rejects(db.search({ ...s, ids: [11, 12, 13] }), { code: 'INVALID_ARGUMENT', message: /primary keys given as ids do not exist: 12, 13$/ });
    // Key 45 lies in partition p: not found when only _default is searched.
    await assert.rejects(db.search({ ...s, ids: [45], partition_names: ['_default'] }), { code: 'INVALID_ARGUMENT', message: /do not exist in partitions \["_default"\]: 45/ });
    const inP = (await db.search({ ...s, ids: [45], partition_names: ['p'] })).results as Hits;
    assert.deepEqual(inP[0]!.map((h) => h['id']), ((await db.search({ ...s, data: [vec(45, 4)], partition_names: ['p'] })).results as Hits)[0]!.map((h) => h['id']));
    assert.equal(inP[0]![0]!['id'], 45);
  }));

  test('refusals: no keys, keys and vectors, wrong types, repeats, iterators; nothing changes', () => withEngine(async (db) => {
    await setup(db);
    const before = await countOf(db, 's');
    const s = { collection_name: 's', limit: 3 };
    await assert.rejects(db.search({ ...s, ids: [] }), { code: 'INVALID_ARGUMENT', message: /ids must be a non-empty list/ });
    await assert.rejects(db.search({ ...s, ids: [1], data: [vec(1, 4)] }), { code: 'INVALID_ARGUMENT', message: /either ids .* or query vectors/ });
    await assert.rejects(db.search({ ...s, ids: [1, 'x'] }), { code: 'WRONG_TYPE', message: /field "id" in row 1 expects Int64, got string "x"/ });
    await assert.rejects(db.search({ ...s, ids: 5 as unknown as number[] }), { code: 'INVALID_ARGUMENT', message: /ids must be a non-empty list/ });
    await assert.rejects(db.search({ ...s, ids: [3, 4, 3] }), { code: 'INVALID_ARGUMENT', message: /ids repeats primary key 3 \(at 0 and 2\)/ });
    await assert.rejects(db.searchIterator({ ...s, ids: [3], batchSize: 2 }), { code: 'INVALID_ARGUMENT', message: /search iterator cannot search by primary keys/ });
    await assert.rejects(db.search({ ...s, ids: [3], anns_field: 'g' }), { code: 'INVALID_ARGUMENT', message: /not a vector field/ });
    assert.equal(await countOf(db, 's'), before);
  }));

  test('binary, sparse and half-precision vectors by key', () => withEngine(async (db) => {
    await db.createCollection({ collection_name: 'v', fields: [
      { name: 'pk', data_type: DataType.VarChar, max_length: 8, is_primary_key: true },
      { name: 'bin', data_type: DataType.BinaryVector, dim: 16 },
      { name: 'sp', data_type: DataType.SparseFloatVector },
      { name: 'half', data_type: DataType.Float16Vector, dim: 2 },
    ] });
    await db.loadCollection({ collection_name: 'v' });
    const rows = Array.from({ length: 12 }, (_, i) => ({ pk: `k${i}`, bin: [i, 255 - i], sp: { [i]: 1, [i + 100]: 0.5 }, half: [i / 4, 1 - i / 8] }));
    await db.insert({ collection_name: 'v', data: rows });
    const q = { collection_name: 'v', limit: 4, consistency_level: 'Strong' as const };
    for (const [field, metric, of] of [['bin', 'HAMMING', (r: typeof rows[0]) => r.bin], ['sp', 'IP', (r: typeof rows[0]) => r.sp], ['half', 'L2', (r: typeof rows[0]) => r.half]] as const) {
      const k = (await db.search({ ...q, anns_field: field, metric_type: metric, ids: ['k3', 'k9'] })).results as Hits;
      const d = (await db.search({ ...q, anns_field: field, metric_type: metric, data: [of(rows[3]!), of(rows[9]!)] })).results as Hits;
      assert.deepEqual(k, d, field);
      assert.equal(k[0]![0]!['id'], 'k3', field);
    }
    await assert.rejects(db.search({ ...q, anns_field: 'bin', metric_type: 'HAMMING', ids: [3] }), { code: 'WRONG_TYPE', message: /expects VarChar/ });
  }));
});
