// Aliases: create, describe, list, alter (repoint) and drop; each refusal with its code;
// and every kind of operation addressed through an alias.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { basicRows, countOf, createBasic, withEngine } from './helpers.js';

describe('aliases', () => {
  test('create, describe, list, alter and drop', () => withEngine(async (db) => {
    await createBasic(db, 'v1');
    await createBasic(db, 'v2');
    await db.createAlias({ collection_name: 'v1', alias: 'live' });
    await db.createAlias({ collection_name: 'v1', alias: 'stable' });
    await db.createAlias({ collection_name: 'v1', alias: 'live' }); // same target: idempotent
    assert.deepEqual(await db.describeAlias({ alias: 'live' }), { status: (await db.describeAlias({ alias: 'live' })).status, alias: 'live', collection: 'v1', db_name: 'default' });
    assert.deepEqual((await db.listAliases()).aliases, ['live', 'stable']);
    assert.deepEqual((await db.listAliases({ collection_name: 'v1' })).aliases, ['live', 'stable']);
    assert.deepEqual((await db.listAliases({ collection_name: 'v2' })).aliases, []);
    assert.deepEqual((await db.describeCollection({ collection_name: 'v1' })).aliases, ['live', 'stable']);

    await db.alterAlias({ collection_name: 'v2', alias: 'live' });
    assert.equal((await db.describeAlias({ alias: 'live' })).collection, 'v2');
    assert.deepEqual((await db.listAliases({ collection_name: 'v2' })).aliases, ['live']);
    assert.deepEqual((await db.listAliases({ collection_name: 'v1' })).aliases, ['stable']);

    await db.dropAlias({ alias: 'stable' });
    assert.deepEqual((await db.listAliases()).aliases, ['live']);
    await assert.rejects(db.describeAlias({ alias: 'stable' }), { code: 'ALIAS_NOT_FOUND' });
    await assert.rejects(db.describeCollection({ collection_name: 'stable' }), { code: 'COLLECTION_NOT_FOUND' });
  }, { storage: 'memory' }));

  test('refusals: exists, not found, conflicts, collection has aliases', () => withEngine(async (db) => {
    await createBasic(db, 'a');
    await createBasic(db, 'b');
    await db.createAlias({ collection_name: 'a', alias: 'x' });
    await assert.rejects(db.createAlias({ collection_name: 'b', alias: 'x' }), { code: 'ALIAS_ALREADY_EXISTS' });
    await assert.rejects(db.createAlias({ collection_name: 'a', alias: 'b' }), { code: 'ALIAS_CONFLICTS' });
    await assert.rejects(db.createCollection({ collection_name: 'x', dimension: 4 }), { code: 'ALIAS_CONFLICTS' });
    await assert.rejects(db.createAlias({ collection_name: 'a', alias: 'bad-alias' }), { code: 'INVALID_COLLECTION_NAME' });
    await assert.rejects(db.createAlias({ collection_name: 'nope', alias: 'y' }), { code: 'COLLECTION_NOT_FOUND' });
    await assert.rejects(db.describeAlias({ alias: 'nope' }), { code: 'ALIAS_NOT_FOUND' });
    await db.dropAlias({ alias: 'nope' }); // idempotent, as in Milvus
    await assert.rejects(db.alterAlias({ collection_name: 'b', alias: 'nope' }), { code: 'ALIAS_NOT_FOUND' });
    await assert.rejects(db.describeAlias({ alias: 'x', db_name: 'missing' }), { code: 'DATABASE_NOT_FOUND' });

    await assert.rejects(db.dropCollection({ collection_name: 'a' }), { code: 'COLLECTION_HAS_ALIASES' });
    await assert.rejects(db.dropCollection({ collection_name: 'x' }), { code: 'DROP_BY_ALIAS' }, 'a collection is dropped by its name');
    assert.equal((await db.hasCollection({ collection_name: 'a' })).value, true);
    await db.dropAlias({ alias: 'x' });
    await db.dropCollection({ collection_name: 'a' });
    assert.equal((await db.hasCollection({ collection_name: 'a' })).value, false);
  }, { storage: 'memory' }));

  test('aliases are scoped by database', () => withEngine(async (db) => {
    await db.createDatabase({ db_name: 'other' });
    await createBasic(db, 'c');
    await createBasic(db, 'c', { db_name: 'other' });
    await db.createAlias({ collection_name: 'c', alias: 'nick' });
    await db.createAlias({ collection_name: 'c', alias: 'nick', db_name: 'other' });
    await db.insert({ collection_name: 'nick', db_name: 'other', data: basicRows(0, 2) });
    assert.equal(await countOf(db, 'nick', { db_name: 'other' }), 2);
    assert.equal(await countOf(db, 'nick'), 0);
    await db.dropAlias({ alias: 'nick', db_name: 'other' });
    assert.equal((await db.describeAlias({ alias: 'nick' })).collection, 'c');
    await assert.rejects(db.describeAlias({ alias: 'nick', db_name: 'other' }), { code: 'ALIAS_NOT_FOUND' });
  }, { storage: 'memory' }));

  test('every operation works through an alias and follows it when it moves', () => withEngine(async (db) => {
    await createBasic(db, 'real', { load: false });
    await createBasic(db, 'next', { load: false });
    await db.createAlias({ collection_name: 'real', alias: 'al' });
    await db.loadCollection({ collection_name: 'al' });
    assert.equal((await db.getLoadState({ collection_name: 'real' })).state, 'LoadStateLoaded');
    await db.createPartition({ collection_name: 'al', partition_name: 'p' });
    assert.equal((await db.hasPartition({ collection_name: 'real', partition_name: 'p' })).value, true);
    await db.insert({ collection_name: 'al', data: basicRows(0, 10) });
    await db.upsert({ collection_name: 'al', partition_name: 'p', data: basicRows(10, 12) });
    await db.delete({ collection_name: 'al', ids: [0] });
    assert.equal(await countOf(db, 'al'), 11);
    assert.equal(await countOf(db, 'real'), 11);
    assert.equal((await db.get({ collection_name: 'al', ids: [5] })).data[0]!['id'], 5);
    assert.equal((await db.query({ collection_name: 'al', filter: 'id in [11]', partition_names: ['p'], consistency_level: 'Strong' })).data.length, 1);
    const hits = await db.search({ collection_name: 'al', data: basicRows(3, 4)[0]!['vector'], limit: 1, metric_type: 'L2' });
    assert.equal((hits.results as Array<Record<string, unknown>>)[0]!['id'], 3);
    assert.equal((await db.getCollectionStatistics({ collection_name: 'al' })).data.row_count, 11);
    const d = await db.describeCollection({ collection_name: 'al' });
    assert.equal(d.collection_name, 'real');
    await db.alterCollection({ collection_name: 'al', properties: { 'collection.ttl.seconds': 5 } });
    assert.deepEqual((await db.describeCollection({ collection_name: 'real' })).properties, [{ key: 'collection.ttl.seconds', value: '5' }]);
    await db.flush({ collection_names: ['al'] });
    await db.compact({ collection_name: 'al' });
    assert.ok(db.segmentInfo({ collection_name: 'al' }).length > 0);

    // Repointed, the alias reaches the other collection at once.
    await db.alterAlias({ collection_name: 'next', alias: 'al' });
    await assert.rejects(db.count({ collection_name: 'al' }), { code: 'COLLECTION_NOT_LOADED' });
    await db.loadCollection({ collection_name: 'al' });
    assert.equal(await countOf(db, 'al'), 0);
    await db.releaseCollection({ collection_name: 'al' });
    assert.equal((await db.getLoadState({ collection_name: 'next' })).state, 'LoadStateNotLoad');
    assert.equal((await db.getLoadState({ collection_name: 'real' })).state, 'LoadStateLoaded');
    // A renamed collection keeps its aliases.
    await db.renameCollection({ collection_name: 'next', new_collection_name: 'renamed' });
    assert.equal((await db.describeAlias({ alias: 'al' })).collection, 'renamed');
  }, { storage: 'memory' }));
});
