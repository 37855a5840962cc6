// Index RPCs through the official SDK: create (every family), describe, list, state,
// build progress, alter, drop, and the combinations Milvus refuses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, kv, startHarness, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness();
  assertOk(await h.client.createCollection({
    collection_name: 'ix',
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'dense', data_type: DataType.FloatVector, dim: 8 },
      { name: 'dense2', data_type: DataType.FloatVector, dim: 8 },
      { name: 'bin', data_type: DataType.BinaryVector, dim: 16 },
      { name: 'sparse', data_type: DataType.SparseFloatVector },
      { name: 'tag', data_type: DataType.VarChar, max_length: 20 },
      { name: 'level', data_type: DataType.Int32 },
      { name: 'score', data_type: DataType.Double },
    ],
  }));
  const rows = Array.from({ length: 5 }, (_, i) => ({
    id: i, dense: Array.from({ length: 8 }, (_, k) => i + k), dense2: Array.from({ length: 8 }, (_, k) => i * k),
    bin: [i, 255 - i], sparse: { [i]: 1.5, 10: 0.5 }, tag: `t${i}`, level: i % 2, score: i / 2,
  }));
  assertOk((await h.client.insert({ collection_name: 'ix', data: rows })).status);
});
after(async () => {
  await h?.close();
});

const ix = 'ix';

test('createIndex for every family; describeIndex returns the parameters exactly', async () => {
  const c = h.client;
  assertOk(await c.createIndex({ collection_name: ix, field_name: 'dense', index_name: 'dense_hnsw', index_type: 'HNSW', metric_type: 'L2', params: { M: 16, efConstruction: 64 } }));
  assertOk(await c.createIndex({ collection_name: ix, field_name: 'dense2', index_type: 'IVF_FLAT', metric_type: 'IP', params: { nlist: 128 } }));
  assertOk(await c.createIndex({ collection_name: ix, field_name: 'bin', index_type: 'BIN_FLAT', metric_type: 'HAMMING' }));
  assertOk(await c.createIndex({ collection_name: ix, field_name: 'sparse', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP', params: { drop_ratio_build: 0.2 } }));
  assertOk(await c.createIndex({ collection_name: ix, field_name: 'tag', index_type: 'INVERTED' }));
  assertOk(await c.createIndex({ collection_name: ix, field_name: 'level', index_type: 'BITMAP' }));
  assertOk(await c.createIndex({ collection_name: ix, field_name: 'score', index_type: 'AUTOINDEX' }));
  // The same definition again is accepted.
  assertOk(await c.createIndex({ collection_name: ix, field_name: 'dense', index_name: 'dense_hnsw', index_type: 'HNSW', metric_type: 'L2', params: { M: 16, efConstruction: 64 } }));
  // Indexes cover flushed segments; builds run in the background.
  await c.flushSync({ collection_names: [ix] });
  await h.engine.waitForIndexes();

  const all = await c.describeIndex({ collection_name: ix });
  assertOk(all);
  const byField = Object.fromEntries(all.index_descriptions.map((d) => [d.field_name, { name: d.index_name, params: kv(d.params as never), state: d.state, rows: [d.indexed_rows, d.total_rows, d.pending_index_rows] }]));
  assert.deepEqual(byField, {
    dense: { name: 'dense_hnsw', params: { index_type: 'HNSW', metric_type: 'L2', M: '16', efConstruction: '64' }, state: 'Finished', rows: ['5', '5', '0'] },
    dense2: { name: 'dense2', params: { index_type: 'IVF_FLAT', metric_type: 'IP', nlist: '128' }, state: 'Finished', rows: ['5', '5', '0'] },
    bin: { name: 'bin', params: { index_type: 'BIN_FLAT', metric_type: 'HAMMING' }, state: 'Finished', rows: ['5', '5', '0'] },
    sparse: { name: 'sparse', params: { index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP', drop_ratio_build: '0.2' }, state: 'Finished', rows: ['5', '5', '0'] },
    tag: { name: 'tag', params: { index_type: 'INVERTED' }, state: 'Finished', rows: ['5', '5', '0'] },
    level: { name: 'level', params: { index_type: 'BITMAP' }, state: 'Finished', rows: ['5', '5', '0'] },
    score: { name: 'score', params: { index_type: 'AUTOINDEX' }, state: 'Finished', rows: ['5', '5', '0'] },
  });
  assert.equal(new Set(all.index_descriptions.map((d) => String(d.indexID))).size, 7);

  // By index name and by field name.
  const one = await c.describeIndex({ collection_name: ix, index_name: 'dense_hnsw' });
  assert.deepEqual(one.index_descriptions.map((d) => d.field_name), ['dense']);
  const byFieldName = await c.describeIndex({ collection_name: ix, field_name: 'bin' });
  assert.deepEqual(byFieldName.index_descriptions.map((d) => d.index_name), ['bin']);
  const listed = await c.listIndexes({ collection_name: ix });
  assertOk(listed);
  assert.deepEqual([...listed.indexes].sort(), ['bin', 'dense2', 'dense_hnsw', 'level', 'score', 'sparse', 'tag']);
  const stats = await c.getIndexStatistics({ collection_name: ix, index_name: 'tag' });
  assertOk(stats);
  assert.equal(stats.index_descriptions[0]!.total_rows, '5');

  // The engine describes the same indexes.
  const e = await h.engine.describeIndex({ collection_name: ix });
  assert.deepEqual(e.index_descriptions.map((d) => d.index_name).sort(), all.index_descriptions.map((d) => d.index_name).sort());
});

test('getIndexState and getIndexBuildProgress', async () => {
  const c = h.client;
  const s = await c.getIndexState({ collection_name: ix, field_name: 'dense' });
  assertOk(s);
  assert.equal(s.state, 'Finished');
  const p = await c.getIndexBuildProgress({ collection_name: ix, index_name: 'dense_hnsw' });
  assertOk(p);
  assert.deepEqual([p.indexed_rows, p.total_rows], ['5', '5']);
  assertErr(await c.getIndexState({ collection_name: ix, index_name: 'nope' }), { code: 700, error_code: 'IndexNotExist', elanus: 'INDEX_NOT_FOUND', reason: /index not found\[indexName=nope\]/ });
  assertErr(await c.getIndexBuildProgress({ collection_name: ix, index_name: 'nope' }), { code: 700, error_code: 'IndexNotExist', elanus: 'INDEX_NOT_FOUND' });
});

test('wrong index/field/metric combinations are refused with coded errors', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'ix_bad', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'dense', data_type: DataType.FloatVector, dim: 8 },
    { name: 'bin', data_type: DataType.BinaryVector, dim: 16 },
    { name: 'sparse', data_type: DataType.SparseFloatVector },
    { name: 'score', data_type: DataType.Double },
    { name: 'j', data_type: DataType.JSON },
  ] }));
  const t = { collection_name: 'ix_bad' };
  assertErr(await c.createIndex({ ...t, field_name: 'dense', index_type: 'BIN_FLAT', metric_type: 'L2' }), { code: 1100, error_code: 'IllegalArgument', elanus: 'INDEX_TYPE_INVALID', reason: /BIN_FLAT/ });
  assertErr(await c.createIndex({ ...t, field_name: 'bin', index_type: 'HNSW', metric_type: 'HAMMING' }), { code: 1100, elanus: 'INDEX_TYPE_INVALID' });
  assertErr(await c.createIndex({ ...t, field_name: 'bin', index_type: 'BIN_FLAT', metric_type: 'L2' }), { code: 1100, elanus: 'METRIC_TYPE_INVALID', reason: /HAMMING, JACCARD/ });
  assertErr(await c.createIndex({ ...t, field_name: 'dense', index_type: 'HNSW', metric_type: 'HAMMING' }), { code: 1100, elanus: 'METRIC_TYPE_INVALID' });
  assertErr(await c.createIndex({ ...t, field_name: 'sparse', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'L2' }), { code: 1100, elanus: 'METRIC_TYPE_INVALID' });
  assertErr(await c.createIndex({ ...t, field_name: 'sparse', index_type: 'IVF_FLAT', metric_type: 'IP' }), { code: 1100, elanus: 'INDEX_TYPE_INVALID' });
  assertErr(await c.createIndex({ ...t, field_name: 'score', index_type: 'BITMAP' }), { code: 1100, elanus: 'INDEX_TYPE_INVALID', reason: /Double/ });
  assertErr(await c.createIndex({ ...t, field_name: 'id', index_type: 'BITMAP' }), { code: 1100, elanus: 'INDEX_TYPE_INVALID', reason: /primary key/ });
  assertErr(await c.createIndex({ ...t, field_name: 'dense', index_type: 'HNSW', metric_type: 'L2', params: { M: 1 } }), { code: 1100, elanus: 'INDEX_PARAM_INVALID', reason: /M/ });
  assertErr(await c.createIndex({ ...t, field_name: 'dense', index_type: 'IVF_FLAT', metric_type: 'L2', params: { nlist: 0 } }), { code: 1100, elanus: 'INDEX_PARAM_INVALID', reason: /nlist/ });
  assertErr(await c.createIndex({ ...t, field_name: 'dense', index_type: 'AUTOINDEX', metric_type: 'L2', params: { M: 8 } }), { code: 1100, elanus: 'INDEX_PARAM_INVALID', reason: /AUTOINDEX/ });
  // A JSON index needs json_cast_type (Milvus's text). A metric on a scalar index is ignored, as in Milvus (item5-indexes.test.ts).
  assertErr(await c.createIndex({ ...t, field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j["a"]' } }), { code: 1100, elanus: 'INDEX_PARAM_INVALID', reason: /json index must specify cast type/ });
  assertErr(await c.createIndex({ ...t, field_name: 'nope', index_type: 'INVERTED' }), { code: 1100, elanus: 'FIELD_NOT_FOUND', reason: /"nope"/ });
  // A second, different index on the same field.
  assertOk(await c.createIndex({ ...t, field_name: 'dense', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 32 } }));
  assertErr(await c.createIndex({ ...t, field_name: 'dense', index_type: 'IVF_FLAT', metric_type: 'L2', params: { nlist: 8 } }), { code: 65535, error_code: 'UnexpectedError', elanus: 'INDEX_NOT_DISTINCT', reason: /CreateIndex failed: at most one distinct index is allowed per field/ });
  assertErr(await c.createIndex({ ...t, field_name: 'dense', index_name: 'dense2', index_type: 'IVF_FLAT', metric_type: 'L2', params: { nlist: 8 } }), { code: 65535, elanus: 'INDEX_FIELD_HAS_INDEX', reason: /CreateIndex failed: creating multiple indexes on same field is not supported/ });
  // Nothing was recorded by the refused requests.
  assert.deepEqual((await c.describeIndex(t)).index_descriptions.map((d) => d.field_name), ['dense']);
  // A collection without indexes: describeIndex answers IndexNotExist (the SDK's quick setup relies on it).
  assertOk(await c.dropIndex({ ...t, field_name: 'dense' }));
  assertErr(await c.describeIndex(t), { code: 700, error_code: 'IndexNotExist', elanus: 'INDEX_NOT_FOUND' });
  assertOk(await c.dropCollection(t));
});

test('quick setup over an existing collection without an index creates one (IndexNotExist) and loads', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'ix_quick', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'vector', data_type: DataType.FloatVector, dim: 4 },
  ] }));
  await c.createCollection({ collection_name: 'ix_quick', dimension: 4, metric_type: 'IP' });
  const d = await c.describeIndex({ collection_name: 'ix_quick' });
  assertOk(d);
  assert.deepEqual(d.index_descriptions.map((x) => [x.field_name, kv(x.params as never).metric_type]), [['vector', 'IP']]);
  assert.equal((await c.getLoadState({ collection_name: 'ix_quick' })).state, 'LoadStateLoaded');
  assertOk(await c.releaseCollection({ collection_name: 'ix_quick' }));
  assertOk(await c.dropCollection({ collection_name: 'ix_quick' }));
});

test('alterIndexProperties / dropIndexProperties; refused while loaded', async () => {
  const c = h.client;
  assertOk(await c.alterIndexProperties({ collection_name: ix, index_name: 'tag', params: { 'mmap.enabled': true } }));
  assert.equal(kv((await c.describeIndex({ collection_name: ix, index_name: 'tag' })).index_descriptions[0]!.params as never)['mmap.enabled'], 'true');
  assertErr(await c.alterIndexProperties({ collection_name: ix, index_name: 'dense_hnsw', params: { M: 32 } }), { code: 1100, elanus: 'INDEX_PROPERTY_NOT_ALTERABLE', reason: /"M"/ });
  assertErr(await c.alterIndexProperties({ collection_name: ix, index_name: 'nope', params: { 'mmap.enabled': true } }), { code: 700, elanus: 'INDEX_NOT_FOUND' });
  assertOk(await c.dropIndexProperties({ collection_name: ix, index_name: 'tag', properties: ['mmap.enabled'] }));
  assert.deepEqual(kv((await c.describeIndex({ collection_name: ix, index_name: 'tag' })).index_descriptions[0]!.params as never), { index_type: 'INVERTED' });

  assertOk(await c.loadCollectionAsync({ collection_name: ix }));
  assertErr(await c.alterIndexProperties({ collection_name: ix, index_name: 'tag', params: { 'mmap.enabled': false } }), { code: 104, elanus: 'COLLECTION_LOADED' });
  // A vector index cannot be dropped while loaded; a scalar one can.
  assertErr(await c.dropIndex({ collection_name: ix, index_name: 'dense_hnsw' }), { code: 1100, error_code: 'IllegalArgument', elanus: 'VECTOR_INDEX_LOADED', reason: /vector index cannot be dropped on loaded collection: \d+ .*dense_hnsw/ });
  assertOk(await c.dropIndex({ collection_name: ix, index_name: 'level' }));
  assertOk(await c.releaseCollection({ collection_name: ix }));
  assertOk(await c.dropIndex({ collection_name: ix, index_name: 'dense_hnsw' }));
  // Dropping an index that does not exist succeeds, as in Milvus.
  assertOk(await c.dropIndex({ collection_name: ix, index_name: 'dense_hnsw' }));
  assert.deepEqual((await c.listIndexes({ collection_name: ix })).indexes.sort(), ['bin', 'dense2', 'score', 'sparse', 'tag']);
  // Without a name when several exist: the server asks which.
  assertErr(await c.dropIndex({ collection_name: ix }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /say which/ });
});

test('JSON-path indexes: several on one JSON field and on keys of the dynamic field, named field + JSON pointer; filters stay exact', async () => {
  const c = h.client;
  const t = { collection_name: 'ix_json' };
  assertOk(await c.createCollection({ ...t, enable_dynamic_field: true, fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 4 },
    { name: 'meta', data_type: DataType.JSON },
  ] }));
  const inv = { ...t, index_type: 'INVERTED' };
  assertOk(await c.createIndex({ ...inv, field_name: 'meta', params: { json_path: 'meta["a"]["b"]', json_cast_type: 'double' } }));
  assertOk(await c.createIndex({ ...inv, field_name: 'meta', params: { json_path: "meta['tag']", json_cast_type: 'VARCHAR' } }));
  // A name that is no field's is a key of the dynamic field (Milvus: $meta["color"]).
  assertOk(await c.createIndex({ ...inv, field_name: 'color', params: { json_cast_type: 'varchar' } }));
  assertOk(await c.createIndex({ ...inv, field_name: '$meta', params: { json_path: '$meta["size"]', json_cast_type: 'double' } }));
  assertOk(await c.createIndex({ ...t, field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  const d = await c.describeIndex(t);
  assertOk(d);
  // Unnamed indexes are named field + JSON pointer; on the dynamic field the key is the field_name.
  assert.deepEqual(d.index_descriptions.map((x) => [x.index_name, x.field_name, kv(x.params as never).json_cast_type]), [
    ['meta/a/b', 'meta', 'double'], ['meta/tag', 'meta', 'VARCHAR'], ['$meta/color', 'color', 'varchar'], ['$meta/size', 'size', 'double'], ['v', 'v', undefined],
  ]);
  // The same request again succeeds (the same path written another way is the same path);
  // the same path with another cast type is refused, as in Milvus.
  assertOk(await c.createIndex({ ...inv, field_name: 'meta', params: { json_path: "meta['a']['b']", json_cast_type: 'DOUBLE' } }));
  assertErr(await c.createIndex({ ...inv, field_name: 'meta', params: { json_path: 'meta["a"]["b"]', json_cast_type: 'VARCHAR' } }),
    { code: 65535, elanus: 'INDEX_NOT_DISTINCT', reason: /CreateIndex failed: at most one distinct index is allowed per field \(index "meta\/a\/b" on json_path meta\["a"\]\["b"\] \(JSON pointer "\/a\/b"\) of field "meta"/ });
  assertErr(await c.createIndex({ ...inv, field_name: 'color', index_name: 'color2', params: { json_cast_type: 'double' } }),
    { code: 65535, elanus: 'INDEX_FIELD_HAS_INDEX', reason: /creating multiple indexes on same field is not supported .*already has index "\$meta\/color"/ });
  assertErr(await c.createIndex({ ...inv, field_name: 'meta', params: { json_path: '$meta["x"]', json_cast_type: 'DOUBLE' } }),
    { code: 1100, elanus: 'INDEX_PARAM_INVALID', reason: /is a path into field "\$meta", not into "meta"/ });

  // Rows with values of the cast type, of other types, and none; filters answer as a scan does.
  const rows = Array.from({ length: 40 }, (_, i) => ({
    id: i, v: [i, 1, 0, 0],
    meta: i % 7 === 0 ? { a: { b: `s${i}` } } : i % 5 === 0 ? {} : { a: { b: i % 6 }, tag: i % 3 === 0 ? 'x' : 'y' },
    ...(i % 4 === 3 ? {} : { color: i % 4 === 0 ? 'red' : 'blue' }),
    ...(i % 9 === 0 ? { size: String(i) } : { size: i }),
  }));
  assertOk((await c.insert({ ...t, data: rows })).status);
  await c.flushSync({ collection_names: [t.collection_name] });
  assertOk(await c.loadCollection(t));
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const cases: Array<[string, (r: (typeof rows)[number]) => boolean]> = [
    ['meta["a"]["b"] >= 3', (r) => (num((r.meta as { a?: { b?: unknown } }).a?.b) ?? -1) >= 3],
    ['meta["tag"] == "x"', (r) => (r.meta as { tag?: string }).tag === 'x'],
    ['meta["tag"] != "x"', (r) => (r.meta as { tag?: string }).tag !== 'x'],
    ['color == "red" and size >= 10', (r) => r.color === 'red' && (num(r.size) ?? -1) >= 10],
    ['$meta["size"] < 5', (r) => (num(r.size) ?? 99) < 5],
    ['size in [1, 2, 3, 9]', (r) => [1, 2, 3, 9].includes(num(r.size) ?? -1)],
    ['color != "red"', (r) => r.color !== 'red'],
  ];
  for (const [filter, want] of cases) {
    const q = await c.query({ ...t, filter, output_fields: ['id'], limit: 100 });
    assertOk(q.status);
    assert.deepEqual(q.data.map((x) => Number(x['id'])).sort((a, b) => a - b), rows.filter(want).map((r) => r.id), filter);
  }
  assertOk(await c.releaseCollection(t));
  assertOk(await c.dropIndex({ ...t, index_name: '$meta/color' }));
  assert.deepEqual((await c.listIndexes(t)).indexes, ['meta/a/b', 'meta/tag', '$meta/size', 'v']);
  assertOk(await c.dropCollection(t));
});
