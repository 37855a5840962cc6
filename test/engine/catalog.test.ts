// Databases and collections through the in-process API: create, list, describe, alter,
// rename and drop, each refusal with its code, and collections scoped by database.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, basicFields, basicRows, countOf, createBasic, withEngine } from './helpers.js';

describe('databases', () => {
  test('create, list, describe, alter and drop', () => withEngine(async (db) => {
    assert.deepEqual((await db.listDatabases()).db_names, ['default']);
    await db.createDatabase({ db_name: 'books', properties: { 'database.replica.number': '1' } });
    await db.createDatabase({ db_name: 'films' });
    assert.deepEqual((await db.listDatabases()).db_names, ['default', 'books', 'films']);

    const d = await db.describeDatabase({ db_name: 'books' });
    assert.equal(d.db_name, 'books');
    assert.deepEqual(d.properties, [{ key: 'database.replica.number', value: '1' }]);
    assert.ok(BigInt(d.created_timestamp) > 0n);

    await db.alterDatabase({ db_name: 'books', properties: { 'database.max.collections': '10' } });
    const props = Object.fromEntries((await db.describeDatabase({ db_name: 'books' })).properties.map((p) => [p.key, p.value]));
    assert.deepEqual(props, { 'database.replica.number': '1', 'database.max.collections': '10' });

    await db.dropDatabase({ db_name: 'films' });
    assert.deepEqual((await db.listDatabases()).db_names, ['default', 'books']);
  }, { storage: 'memory' }));

  test('refusals: exists, not found, default, not empty, bad name', () => withEngine(async (db) => {
    await db.createDatabase({ db_name: 'books' });
    await assert.rejects(db.createDatabase({ db_name: 'books' }), { code: 'DATABASE_ALREADY_EXISTS' });
    await assert.rejects(db.createDatabase({ db_name: 'default' }), { code: 'DATABASE_ALREADY_EXISTS' });
    await assert.rejects(db.describeDatabase({ db_name: 'nope' }), { code: 'DATABASE_NOT_FOUND' });
    await db.dropDatabase({ db_name: 'nope' }); // idempotent, as in Milvus
    await assert.rejects(db.alterDatabase({ db_name: 'nope', properties: {} }), { code: 'DATABASE_NOT_FOUND' });
    await assert.rejects(db.dropDatabase({ db_name: 'default' }), { code: 'DEFAULT_DATABASE' });
    await assert.rejects(db.createDatabase({ db_name: '1books' }), { code: 'INVALID_DATABASE_NAME' });
    await assert.rejects(db.createDatabase({ db_name: 'my-books' }), { code: 'INVALID_DATABASE_NAME' });
    await assert.rejects(db.createDatabase({ db_name: '' }), { code: 'INVALID_DATABASE_NAME' });

    await createBasic(db, 'c1', { db_name: 'books', load: false });
    await assert.rejects(db.dropDatabase({ db_name: 'books' }), { code: 'DATABASE_NOT_EMPTY' });
    await db.dropCollection({ db_name: 'books', collection_name: 'c1' });
    await db.dropDatabase({ db_name: 'books' });
    assert.deepEqual((await db.listDatabases()).db_names, ['default']);
    // The name is free again, and the new database is empty.
    await db.createDatabase({ db_name: 'books' });
    assert.deepEqual((await db.showCollections({ db_name: 'books' })).data, []);
  }, { storage: 'memory' }));

  test('collections are scoped by db_name', () => withEngine(async (db) => {
    await db.createDatabase({ db_name: 'other' });
    await createBasic(db, 'shared_name');
    await createBasic(db, 'shared_name', { db_name: 'other', dim: 8 });
    await createBasic(db, 'only_other', { db_name: 'other' });

    assert.deepEqual((await db.showCollections()).data.map((c) => c.name), ['shared_name']);
    assert.deepEqual((await db.showCollections({ db_name: 'other' })).data.map((c) => c.name).sort(), ['only_other', 'shared_name']);
    assert.equal((await db.hasCollection({ collection_name: 'only_other' })).value, false);
    assert.equal((await db.hasCollection({ collection_name: 'only_other', db_name: 'other' })).value, true);
    await assert.rejects(db.describeCollection({ collection_name: 'only_other' }), { code: 'COLLECTION_NOT_FOUND' });
    await assert.rejects(db.describeCollection({ collection_name: 'x', db_name: 'missing' }), { code: 'DATABASE_NOT_FOUND' });
    await assert.rejects(db.hasCollection({ collection_name: 'x', db_name: 'missing' }), { code: 'DATABASE_NOT_FOUND' });
    await assert.rejects(db.createCollection({ collection_name: 'x', db_name: 'missing', fields: basicFields() }), { code: 'DATABASE_NOT_FOUND' });

    // Same name, different databases: different schemas and different data.
    const d1 = await db.describeCollection({ collection_name: 'shared_name' });
    const d2 = await db.describeCollection({ collection_name: 'shared_name', db_name: 'other' });
    assert.notEqual(d1.collectionID, d2.collectionID);
    assert.equal(d2.db_name, 'other');
    assert.equal(d2.schema.fields.find((f) => f.name === 'vector')!.dim, 8);
    await db.insert({ collection_name: 'shared_name', data: basicRows(0, 5) });
    await db.insert({ collection_name: 'shared_name', db_name: 'other', data: basicRows(0, 2, 8) });
    assert.equal(await countOf(db, 'shared_name'), 5);
    assert.equal(await countOf(db, 'shared_name', { db_name: 'other' }), 2);
    await db.dropCollection({ collection_name: 'shared_name', db_name: 'other' });
    assert.equal(await countOf(db, 'shared_name'), 5);
  }, { storage: 'memory' }));
});

describe('collections', () => {
  test('create, describe, list, has and drop', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'books',
      description: 'a shelf',
      fields: basicFields(16, [{ name: 'title', data_type: DataType.VarChar, max_length: 100, description: 'the title' }]),
      consistency_level: 'Strong',
      shards_num: 2,
    });
    const d = await db.describeCollection({ collection_name: 'books' });
    assert.equal(d.collection_name, 'books');
    assert.equal(d.db_name, 'default');
    assert.equal(d.schema.description, 'a shelf');
    assert.equal(d.schema.enable_dynamic_field, false);
    assert.equal(d.consistency_level, 'Strong');
    assert.equal(d.shards_num, 2);
    assert.deepEqual(d.schema.fields.map((f) => [f.name, f.data_type]), [['id', 'Int64'], ['vector', 'FloatVector'], ['title', 'VarChar']]);
    const title = d.schema.fields[2]!;
    assert.equal(title.max_length, 100);
    assert.equal(title.description, 'the title');
    assert.deepEqual(title.type_params, [{ key: 'max_length', value: '100' }]);
    assert.equal(d.schema.fields[0]!.is_primary_key, true);
    assert.deepEqual(d.schema.fields[1]!.type_params, [{ key: 'dim', value: '16' }]);

    assert.equal((await db.hasCollection({ collection_name: 'books' })).value, true);
    const shown = await db.showCollections();
    assert.deepEqual(shown.data.map((c) => [c.name, c.loadedPercentage]), [['books', 0]]);

    await db.dropCollection({ collection_name: 'books' });
    assert.equal((await db.hasCollection({ collection_name: 'books' })).value, false);
    assert.deepEqual((await db.showCollections()).data, []);
    await assert.rejects(db.describeCollection({ collection_name: 'books' }), { code: 'COLLECTION_NOT_FOUND' });
    await db.dropCollection({ collection_name: 'books' }); // idempotent, as in Milvus
    await assert.rejects(db.insert({ collection_name: 'books', data: basicRows(0, 1) }), { code: 'COLLECTION_NOT_FOUND' });
  }, { storage: 'memory' }));

  test('quick setup by dimension: id + vector, dynamic field, loaded at once', () => withEngine(async (db) => {
    await db.createCollection({ collection_name: 'quick', dimension: 8 });
    const d = await db.describeCollection({ collection_name: 'quick' });
    assert.deepEqual(d.schema.fields.map((f) => [f.name, f.data_type, f.is_primary_key]), [['id', 'Int64', true], ['vector', 'FloatVector', false]]);
    assert.equal(d.schema.fields[1]!.dim, 8);
    assert.equal(d.schema.enable_dynamic_field, true);
    assert.equal((await db.getLoadState({ collection_name: 'quick' })).state, 'LoadStateLoaded');
    await db.insert({ collection_name: 'quick', data: [{ id: 1, vector: [1, 2, 3, 4, 5, 6, 7, 8], color: 'red' }] });
    const got = await db.get({ collection_name: 'quick', ids: [1], output_fields: ['color'] });
    assert.deepEqual(got.data, [{ id: 1, color: 'red' }]);

    await db.createCollection({ collection_name: 'quick_str', dimension: 4, id_type: 'VarChar', primary_field_name: 'pk', vector_field_name: 'emb', max_length: 32 });
    const d2 = await db.describeCollection({ collection_name: 'quick_str' });
    assert.deepEqual(d2.schema.fields.map((f) => [f.name, f.data_type, f.max_length ?? f.dim]), [['pk', 'VarChar', 32], ['emb', 'FloatVector', 4]]);
    await db.createCollection({ collection_name: 'quick_auto', dimension: 4, auto_id: true });
    const r = await db.insert({ collection_name: 'quick_auto', data: [{ vector: [1, 0, 0, 0] }, { vector: [0, 1, 0, 0] }] });
    assert.equal(r.insert_cnt, 2);
    assert.equal(await countOf(db, 'quick_auto'), 2);
  }, { storage: 'memory' }));

  test('creating the same collection again succeeds; a different schema conflicts', () => withEngine(async (db) => {
    const fields = basicFields(4, [{ name: 'n', data_type: DataType.Int32 }]);
    await db.createCollection({ collection_name: 'c', fields });
    const id = (await db.describeCollection({ collection_name: 'c' })).collectionID;
    await db.insert({ collection_name: 'c', data: basicRows(0, 3, 4, (i) => ({ n: i })) });
    await db.createCollection({ collection_name: 'c', fields });
    const again = await db.describeCollection({ collection_name: 'c' });
    assert.equal(again.collectionID, id, 'the same collection, not a new one');
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 3, 'the re-create kept the data');
    await assert.rejects(db.createCollection({ collection_name: 'c', fields: basicFields(8) }), { code: 'COLLECTION_ALREADY_EXISTS' });
    await assert.rejects(db.createCollection({ collection_name: 'c', fields: basicFields(4, [{ name: 'n', data_type: DataType.Int64 }]) }), { code: 'COLLECTION_ALREADY_EXISTS' });
    await assert.rejects(db.createCollection({ collection_name: 'c', fields, enable_dynamic_field: true }), { code: 'COLLECTION_ALREADY_EXISTS' });
  }, { storage: 'memory' }));

  test('collection names are validated', () => withEngine(async (db) => {
    for (const bad of ['', '1c', 'a-b', 'a b', 'ünïcode', 'x'.repeat(256), 'a.b']) {
      await assert.rejects(db.createCollection({ collection_name: bad, fields: basicFields() }), { code: 'INVALID_COLLECTION_NAME' }, JSON.stringify(bad));
    }
    await db.createCollection({ collection_name: '_ok_Name9', fields: basicFields() });
    await db.createCollection({ collection_name: 'x'.repeat(255), fields: basicFields() });
    await assert.rejects(db.createCollection({ collection_name: 'c', fields: basicFields(4, [{ name: 'bad-field', data_type: DataType.Bool }]) }), { code: 'INVALID_FIELD_NAME' });
    await assert.rejects(db.createCollection({ collection_name: 'c', fields: basicFields(), consistency_level: 'Whenever' as never }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.createCollection({ collection_name: 'c', fields: basicFields(), shards_num: 0 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.createCollection({ collection_name: 'c', fields: basicFields(), num_partitions: 4 }), { code: 'INVALID_ARGUMENT' });
    assert.equal((await db.hasCollection({ collection_name: 'c' })).value, false, 'no refused create left anything behind');
  }, { storage: 'memory' }));

  test('properties: given at creation, altered, dropped, returned by describeCollection', () => withEngine(async (db) => {
    await db.createCollection({ collection_name: 'c', fields: basicFields(), properties: { 'collection.ttl.seconds': 3600 } });
    const props = async () => Object.fromEntries((await db.describeCollection({ collection_name: 'c' })).properties.map((p) => [p.key, p.value]));
    assert.deepEqual(await props(), { 'collection.ttl.seconds': '3600' });
    await db.alterCollection({ collection_name: 'c', properties: { 'collection.ttl.seconds': 60, 'mmap.enabled': true } });
    assert.deepEqual(await props(), { 'collection.ttl.seconds': '60', 'mmap.enabled': 'true' });
    await db.alterCollectionProperties({ collection_name: 'c', properties: { 'collection.autocompaction.enabled': false } });
    assert.deepEqual(await props(), { 'collection.ttl.seconds': '60', 'mmap.enabled': 'true', 'collection.autocompaction.enabled': 'false' });
    await db.dropCollectionProperties({ collection_name: 'c', properties: ['mmap.enabled', 'not.there'] });
    assert.deepEqual(await props(), { 'collection.ttl.seconds': '60', 'collection.autocompaction.enabled': 'false' });
    await assert.rejects(db.alterCollection({ collection_name: 'c', properties: { 'collection.ttl.seconds': 'soon' } }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.alterCollection({ collection_name: 'c', properties: { 'collection.ttl.seconds': -5 } }), { code: 'INVALID_ARGUMENT' });
    assert.deepEqual(await props(), { 'collection.ttl.seconds': '60', 'collection.autocompaction.enabled': 'false' }, 'a refused alter changes nothing');
    // The same rule holds at creation.
    await assert.rejects(db.createCollection({ collection_name: 'c2', fields: basicFields(), properties: { 'collection.ttl.seconds': 'soon' } }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.alterCollection({ collection_name: 'missing', properties: {} }), { code: 'COLLECTION_NOT_FOUND' });
    await assert.rejects(db.dropCollectionProperties({ collection_name: 'c', properties: 'collection.ttl.seconds' as unknown as string[] }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.alterCollection({ collection_name: 'c', properties: null as never }), { code: 'INVALID_ARGUMENT' });
  }, { storage: 'memory' }));

  test('rename keeps data, frees the old name and refuses taken names', () => withEngine(async (db) => {
    await createBasic(db, 'old');
    await createBasic(db, 'taken');
    await db.insert({ collection_name: 'old', data: basicRows(0, 7) });
    const id = (await db.describeCollection({ collection_name: 'old' })).collectionID;
    await db.renameCollection({ collection_name: 'old', new_collection_name: 'fresh' });
    await assert.rejects(db.describeCollection({ collection_name: 'old' }), { code: 'COLLECTION_NOT_FOUND' });
    assert.equal((await db.describeCollection({ collection_name: 'fresh' })).collectionID, id);
    assert.equal(await countOf(db, 'fresh'), 7);
    assert.deepEqual((await db.showCollections()).data.map((c) => c.name).sort(), ['fresh', 'taken']);

    await assert.rejects(db.renameCollection({ collection_name: 'fresh', new_collection_name: 'taken' }), { code: 'COLLECTION_ALREADY_EXISTS' });
    await assert.rejects(db.renameCollection({ collection_name: 'fresh', new_collection_name: 'bad-name' }), { code: 'INVALID_COLLECTION_NAME' });
    await assert.rejects(db.renameCollection({ collection_name: 'gone', new_collection_name: 'x' }), { code: 'COLLECTION_NOT_FOUND' });
    await db.createAlias({ collection_name: 'taken', alias: 'nick' });
    await assert.rejects(db.renameCollection({ collection_name: 'fresh', new_collection_name: 'nick' }), { code: 'ALIAS_CONFLICTS' });
    await assert.rejects(db.renameCollection({ collection_name: 'nick', new_collection_name: 'x' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.renameCollection({ collection_name: 'fresh', new_collection_name: 'x', new_db_name: 'missing' }), { code: 'DATABASE_NOT_FOUND' });
    // The old name can be used for a new collection.
    await createBasic(db, 'old');
    assert.notEqual((await db.describeCollection({ collection_name: 'old' })).collectionID, id);
  }, { storage: 'memory' }));

  test('rename into another database moves the collection (also under the same name)', () => withEngine(async (db) => {
    await db.createDatabase({ db_name: 'archive' });
    await createBasic(db, 'a');
    await createBasic(db, 'b');
    await db.insert({ collection_name: 'a', data: basicRows(0, 4) });
    await db.renameCollection({ collection_name: 'a', new_collection_name: 'a_moved', new_db_name: 'archive' });
    await db.renameCollection({ collection_name: 'b', new_collection_name: 'b', new_db_name: 'archive' });
    assert.deepEqual((await db.showCollections()).data.map((c) => c.name), []);
    assert.deepEqual((await db.showCollections({ db_name: 'archive' })).data.map((c) => c.name).sort(), ['a_moved', 'b']);
    assert.equal((await db.hasCollection({ collection_name: 'b' })).value, false);
    assert.equal(await countOf(db, 'a_moved', { db_name: 'archive' }), 4);
    // The default database is empty now, so nothing there holds the names.
    await createBasic(db, 'b');
    await db.createAlias({ collection_name: 'b', alias: 'b_alias' });
    await assert.rejects(db.renameCollection({ collection_name: 'b', new_collection_name: 'b2', new_db_name: 'archive' }), { code: 'COLLECTION_HAS_ALIASES' });
    await assert.rejects(db.renameCollection({ collection_name: 'b', new_collection_name: 'b', new_db_name: 'archive' }), { code: 'COLLECTION_ALREADY_EXISTS' });
  }, { storage: 'memory' }));
});
