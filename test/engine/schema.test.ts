// Schemas: every field type Milvus has, with its parameters, nullable fields and
// defaults, the dynamic field, partition keys and several vector fields; and every
// schema Milvus refuses at creation, refused here with INVALID_SCHEMA.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldInput } from '../../src/catalog/index.js';
import { DataType, basicFields, withEngine } from './helpers.js';

const everyType: FieldInput[] = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'b', data_type: DataType.Bool },
  { name: 'i8', data_type: DataType.Int8 },
  { name: 'i16', data_type: DataType.Int16 },
  { name: 'i32', data_type: DataType.Int32 },
  { name: 'i64', data_type: DataType.Int64 },
  { name: 'f', data_type: DataType.Float },
  { name: 'd', data_type: DataType.Double },
  { name: 's', data_type: DataType.VarChar, max_length: 20 },
  { name: 'j', data_type: DataType.JSON },
  { name: 'arr', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 5 },
  { name: 'tags', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 3, max_length: 8 },
  { name: 'fv', data_type: DataType.FloatVector, dim: 4 },
  { name: 'bv', data_type: DataType.BinaryVector, dim: 16 },
  { name: 'hv', data_type: DataType.Float16Vector, dim: 4 },
  { name: 'sv', data_type: DataType.SparseFloatVector },
];

describe('field types', () => {
  test('a collection with every field type is described as created', () => withEngine(async (db) => {
    await db.createCollection({ collection_name: 'all', fields: everyType });
    const d = await db.describeCollection({ collection_name: 'all' });
    const byName = new Map(d.schema.fields.map((f) => [f.name, f]));
    assert.deepEqual(d.schema.fields.map((f) => f.name), everyType.map((f) => f.name));
    assert.deepEqual(d.schema.fields.map((f) => f.dataType), everyType.map((f) => f.data_type));
    assert.equal(byName.get('s')!.max_length, 20);
    assert.equal(byName.get('arr')!.element_type, 'Int32');
    assert.equal(byName.get('arr')!.max_capacity, 5);
    assert.equal(byName.get('tags')!.element_type, 'VarChar');
    assert.equal(byName.get('tags')!.max_length, 8);
    assert.equal(byName.get('fv')!.dim, 4);
    assert.equal(byName.get('bv')!.dim, 16);
    assert.equal(byName.get('hv')!.dim, 4);
    assert.equal(byName.get('sv')!.dim, undefined);
    // Field ids are distinct and stable.
    assert.equal(new Set(d.schema.fields.map((f) => f.fieldID)).size, everyType.length);
  }, { storage: 'memory' }));

  test('BFloat16 vectors, type names as strings, and type_params as the SDK sends them', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'named',
      fields: [
        { name: 'pk', data_type: 'VarChar', is_primary_key: true, type_params: { max_length: '64' } },
        { name: 'bf', data_type: 'BFloat16Vector', type_params: { dim: '8' } },
        { name: 'n', data_type: 'int32' },
      ],
    });
    const d = await db.describeCollection({ collection_name: 'named' });
    assert.deepEqual(d.schema.fields.map((f) => [f.name, f.data_type, f.max_length ?? f.dim ?? null]), [
      ['pk', 'VarChar', 64], ['bf', 'BFloat16Vector', 8], ['n', 'Int32', null],
    ]);
    await assert.rejects(db.createCollection({ collection_name: 'x', fields: basicFields(4, [{ name: 'n', data_type: 'Int128' }]) }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(db.createCollection({ collection_name: 'x', fields: basicFields(4, [{ name: 'n', data_type: DataType.String }]) }), { code: 'INVALID_SCHEMA' });
  }, { storage: 'memory' }));

  test('nullable fields and default values', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'c',
      fields: basicFields(4, [
        { name: 'note', data_type: DataType.VarChar, max_length: 10, nullable: true },
        { name: 'age', data_type: DataType.Int32, default_value: 18 },
        { name: 'big', data_type: DataType.Int64, default_value: 7 },
        { name: 'lang', data_type: DataType.VarChar, max_length: 5, default_value: 'en', nullable: true },
        { name: 'meta', data_type: DataType.JSON, nullable: true },
        { name: 'list', data_type: DataType.Array, element_type: DataType.Int64, max_capacity: 4, nullable: true },
      ]),
    });
    const d = await db.describeCollection({ collection_name: 'c' });
    const byName = new Map(d.schema.fields.map((f) => [f.name, f]));
    assert.equal(byName.get('note')!.nullable, true);
    assert.equal(byName.get('age')!.nullable, false);
    assert.equal(byName.get('age')!.default_value, 18);
    assert.equal(byName.get('lang')!.default_value, 'en');

    const bad = (extra: FieldInput) => db.createCollection({ collection_name: 'bad', fields: basicFields(4, [extra]) });
    await assert.rejects(bad({ name: 'x', data_type: DataType.Int8, default_value: 300 }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(bad({ name: 'x', data_type: DataType.Bool, default_value: 'yes' }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(bad({ name: 'x', data_type: DataType.VarChar, max_length: 2, default_value: 'long' }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(bad({ name: 'x', data_type: DataType.JSON, default_value: { a: 1 } }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(bad({ name: 'x', data_type: DataType.Float, default_value: Number.NaN }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(bad({ name: 'x', data_type: DataType.Float, default_value: 1e39 }), { code: 'INVALID_SCHEMA' }, 'beyond float32');
    await assert.rejects(db.createCollection({
      collection_name: 'bad',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true, default_value: 1 }, { name: 'v', data_type: DataType.FloatVector, dim: 2 }],
    }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(db.createCollection({
      collection_name: 'bad',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 2, default_value: [1, 2] }],
    }), { code: 'INVALID_SCHEMA' });
  }, { storage: 'memory' }));

  test('dynamic field, partition key and several vector fields', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'c',
      enable_dynamic_field: true,
      num_partitions: 4,
      fields: [
        { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 36 },
        { name: 'tenant', data_type: DataType.Int64, is_partition_key: true },
        { name: 'text', data_type: DataType.FloatVector, dim: 8 },
        { name: 'image', data_type: DataType.FloatVector, dim: 4 },
        { name: 'bits', data_type: DataType.BinaryVector, dim: 64 },
        { name: 'sparse', data_type: DataType.SparseFloatVector },
      ],
    });
    const d = await db.describeCollection({ collection_name: 'c' });
    assert.equal(d.schema.enable_dynamic_field, true);
    assert.equal(d.num_partitions, 4);
    assert.equal(d.schema.fields.find((f) => f.name === 'tenant')!.is_partition_key, true);
    assert.ok(!d.schema.fields.some((f) => f.name === '$meta'), 'the dynamic field is not listed as a user field');
    const parts = await db.showPartitions({ collection_name: 'c' });
    assert.deepEqual(parts.partition_names, ['_default_0', '_default_1', '_default_2', '_default_3']);

    // partition_key_field names the key instead of is_partition_key; 16 partitions by default.
    await db.createCollection({
      collection_name: 'c2',
      partition_key_field: 'tenant',
      fields: basicFields(4, [{ name: 'tenant', data_type: DataType.VarChar, max_length: 10 }]),
    });
    assert.equal((await db.showPartitions({ collection_name: 'c2' })).partition_names.length, 16);
    await assert.rejects(db.createCollection({ collection_name: 'c3', partition_key_field: 'nope', fields: basicFields() }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(db.createCollection({
      collection_name: 'c3', fields: basicFields(4, [{ name: 'k', data_type: DataType.Float, is_partition_key: true }]),
    }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(db.createCollection({
      collection_name: 'c3', fields: basicFields(4, [{ name: 'k1', data_type: DataType.Int64, is_partition_key: true }, { name: 'k2', data_type: DataType.Int64, is_partition_key: true }]),
    }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(db.createCollection({
      collection_name: 'c3', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true, is_partition_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 2 }],
    }), { code: 'INVALID_SCHEMA' });
    await assert.rejects(db.createCollection({
      collection_name: 'c3', fields: basicFields(4, [{ name: '$meta', data_type: DataType.JSON }]), enable_dynamic_field: true,
    }), { code: 'INVALID_FIELD_NAME' });
  }, { storage: 'memory' }));
});

describe('schemas Milvus refuses', () => {
  const pk: FieldInput = { name: 'id', data_type: DataType.Int64, is_primary_key: true };
  const v: FieldInput = { name: 'v', data_type: DataType.FloatVector, dim: 4 };
  const cases: Array<[string, FieldInput[]]> = [
    ['no primary key', [{ name: 'id', data_type: DataType.Int64 }, v]],
    ['two primary keys', [pk, { name: 'id2', data_type: DataType.Int64, is_primary_key: true }, v]],
    ['Float primary key', [{ name: 'id', data_type: DataType.Float, is_primary_key: true }, v]],
    ['Int32 primary key', [{ name: 'id', data_type: DataType.Int32, is_primary_key: true }, v]],
    ['no vector field', [pk, { name: 'n', data_type: DataType.Int32 }]],
    ['binary dim not a multiple of 8', [pk, { name: 'b', data_type: DataType.BinaryVector, dim: 12 }]],
    ['dim 0', [pk, { name: 'v', data_type: DataType.FloatVector, dim: 0 }]],
    ['dim 1', [pk, { name: 'v', data_type: DataType.FloatVector, dim: 1 }]],
    ['dim missing', [pk, { name: 'v', data_type: DataType.FloatVector }]],
    ['dim not an integer', [pk, { name: 'v', data_type: DataType.FloatVector, dim: 2.5 }]],
    ['dim too large', [pk, { name: 'v', data_type: DataType.FloatVector, dim: 32769 }]],
    ['VarChar without max_length', [pk, v, { name: 's', data_type: DataType.VarChar }]],
    ['VarChar primary key without max_length', [{ name: 'id', data_type: DataType.VarChar, is_primary_key: true }, v]],
    ['VarChar max_length 0', [pk, v, { name: 's', data_type: DataType.VarChar, max_length: 0 }]],
    ['VarChar max_length beyond 65535', [pk, v, { name: 's', data_type: DataType.VarChar, max_length: 65536 }]],
    ['nullable primary key', [{ ...pk, nullable: true }, v]],
    ['nullable vector', [pk, { ...v, nullable: true }]],
    ['five vector fields', [pk, ...[1, 2, 3, 4, 5].map((i) => ({ name: `v${i}`, data_type: DataType.FloatVector, dim: 2 }))]],
    ['duplicate field names', [pk, v, { name: 'v', data_type: DataType.Int32 }]],
    ['autoID on a non-primary field', [pk, v, { name: 'n', data_type: DataType.Int64, autoID: true }]],
    ['Array without element_type', [pk, v, { name: 'a', data_type: DataType.Array, max_capacity: 4 }]],
    ['Array of JSON', [pk, v, { name: 'a', data_type: DataType.Array, element_type: DataType.JSON, max_capacity: 4 }]],
    ['Array without max_capacity', [pk, v, { name: 'a', data_type: DataType.Array, element_type: DataType.Int32 }]],
    ['Array of VarChar without max_length', [pk, v, { name: 'a', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 4 }]],
    ['no fields', []],
  ];
  // As in Milvus, most are plain errors; a few are parameter errors (INVALID_SCHEMA_PARAM, 1100).
  const paramErrors = new Set(['no vector field', 'VarChar max_length 0', 'VarChar max_length beyond 65535']);
  test('each is INVALID_SCHEMA (or INVALID_SCHEMA_PARAM) and leaves nothing behind', () => withEngine(async (db) => {
    for (const [what, fields] of cases) {
      await assert.rejects(db.createCollection({ collection_name: 'c', fields }), { code: paramErrors.has(what) ? 'INVALID_SCHEMA_PARAM' : 'INVALID_SCHEMA' }, what);
    }
    await assert.rejects(db.createCollection({ collection_name: 'c' }), { code: 'INVALID_SCHEMA' }, 'neither fields nor dimension');
    assert.deepEqual((await db.showCollections()).data, []);
    // Four vector fields is the limit, not an error.
    await db.createCollection({ collection_name: 'c', fields: [pk, ...[1, 2, 3, 4].map((i) => ({ name: `v${i}`, data_type: DataType.FloatVector, dim: 2 }))] });
  }, { storage: 'memory' }));
});
