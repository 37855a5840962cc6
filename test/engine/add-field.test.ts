// A field added to a collection that already holds rows: old rows read null (or the
// default), new rows carry values, through flush, compaction, the log and a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, openEngine } from './helpers.js';

test('addCollectionField: old rows read null, new rows their value, across flush, compaction and restart', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    const name = 'grow';
    await h.db.createCollection({ collection_name: name, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
    ], enable_dynamic_field: true });
    await h.db.insert({ collection_name: name, data: [{ id: 1, vec: [1, 1] }] });
    await h.db.flush({ collection_names: [name] });
    await h.db.insert({ collection_name: name, data: [{ id: 2, vec: [2, 2], tag: 'dyn' }] });
    await assert.rejects(h.db.addCollectionField({ collection_name: name, field: { name: 'score', data_type: DataType.Int32 } }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(h.db.addCollectionField({ collection_name: name, field: { name: 'v2', data_type: DataType.FloatVector, dim: 2, nullable: true } }), { code: 'INVALID_SCHEMA' });
    await h.db.addCollectionField({ collection_name: name, field: { name: 'score', data_type: DataType.Int32, nullable: true } });
    await h.db.addCollectionField({ collection_name: name, field: { name: 'label', data_type: DataType.VarChar, max_length: 8, nullable: true, default_value: 'none' } });
    await h.db.insert({ collection_name: name, data: [{ id: 3, vec: [3, 3], score: 7, label: 'x' }] });
    await h.db.loadCollection({ collection_name: name });
    const read = async () => (await h.db.query({ collection_name: name, filter: 'id in [1, 2, 3]', output_fields: ['score', 'label', 'tag'], consistency_level: 'Strong' })).data
      .sort((a, b) => (a.id as number) - (b.id as number));
    const expected = [
      { id: 1, score: null, label: 'none' },
      { id: 2, score: null, label: 'none', tag: 'dyn' },
      { id: 3, score: 7, label: 'x' },
    ];
    assert.deepEqual(await read(), expected);
    await h.db.flush({ collection_names: [name] });
    await h.db.compact({ collection_name: name });
    assert.deepEqual(await read(), expected);
    const db = await h.reopen();
    await db.loadCollection({ collection_name: name });
    assert.deepEqual(await read(), expected);
    const described = await db.describeCollection({ collection_name: name });
    assert.deepEqual(described.schema.fields.map((f) => f.name), ['id', 'vec', 'score', 'label']);
  } finally {
    await h.dispose();
  }
});

test('alterCollectionField grows max_length, sets mmap.enabled and refuses everything else', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await h.db.createCollection({ collection_name: 'c', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 's', data_type: DataType.VarChar, max_length: 4 },
      { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await assert.rejects(h.db.insert({ collection_name: 'c', data: [{ id: 1, s: 'hello', vec: [1, 2] }] }), { code: 'STRING_TOO_LONG' });
    await h.db.alterCollectionField({ collection_name: 'c', field_name: 's', properties: { max_length: 8 } });
    await h.db.insert({ collection_name: 'c', data: [{ id: 1, s: 'hello', vec: [1, 2] }] });
    await assert.rejects(h.db.alterCollectionField({ collection_name: 'c', field_name: 's', properties: { max_length: 2 } }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(h.db.alterCollectionField({ collection_name: 'c', field_name: 'vec', properties: { max_length: 9 } }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(h.db.alterCollectionField({ collection_name: 'c', field_name: 's', properties: { nullable: 'true' } }), { code: 'INVALID_ARGUMENT' });
    await h.db.alterCollectionField({ collection_name: 'c', field_name: 's', properties: { 'mmap.enabled': 'true' } });
    await assert.rejects(h.db.alterCollectionField({ collection_name: 'c', field_name: 'nope', properties: { max_length: 9 } }), { code: 'FIELD_NOT_FOUND' });
    const db = await h.reopen();
    const d = await db.describeCollection({ collection_name: 'c' });
    assert.equal(d.schema.fields.find((f) => f.name === 's')!.max_length, 8);
    assert.equal(db.collectionMeta({ collection_name: 'c' }).schema.fields.find((f) => f.name === 's')!.mmapEnabled, true, 'kept across a reopen');
  } finally {
    await h.dispose();
  }
});
