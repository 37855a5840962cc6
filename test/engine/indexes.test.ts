// Index specifications through the index API: every index type on the field types that
// take it, every refusal with its code, idempotent and conflicting re-creates, drop and
// alter against the load state, persistence across a restart, and the search metric an
// index implies. No index structure is built yet (search is exact), so state is always
// 'Finished' and every visible row counts as indexed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Elanus } from '../../src/engine/index.js';
import type { CreateIndexReq } from '../../src/engine/index.js';
import { EmbeddedMetaStore } from '../../src/storage/index.js';
import { DataType, basicRows, countOf, createBasic, idsOf, openEngine, range, vec, withEngine } from './helpers.js';

const dim = 8;

/** A collection with every field type an index can target (four vector fields is the limit). */
async function createAllTypes(db: Elanus, name = 'all'): Promise<string> {
  await db.createCollection({
    collection_name: name,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'fv', data_type: DataType.FloatVector, dim },
      { name: 'f16', data_type: DataType.Float16Vector, dim },
      { name: 'bf16', data_type: DataType.BFloat16Vector, dim },
      { name: 'bin', data_type: DataType.BinaryVector, dim: 16 },
      { name: 'b', data_type: DataType.Bool },
      { name: 'i8', data_type: DataType.Int8 },
      { name: 'i16', data_type: DataType.Int16 },
      { name: 'i32', data_type: DataType.Int32 },
      { name: 'i64', data_type: DataType.Int64 },
      { name: 'f', data_type: DataType.Float },
      { name: 'd', data_type: DataType.Double },
      { name: 's', data_type: DataType.VarChar, max_length: 64 },
      { name: 'arr_i', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 4 },
      { name: 'arr_f', data_type: DataType.Array, element_type: DataType.Float, max_capacity: 4 },
      { name: 'arr_s', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 4, max_length: 16 },
      { name: 'j', data_type: DataType.JSON },
    ],
  });
  return name;
}

async function createSparse(db: Elanus, name = 'sp'): Promise<string> {
  await db.createCollection({
    collection_name: name,
    fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'sv', data_type: DataType.SparseFloatVector }],
  });
  return name;
}

type Kv = Record<string, string>;

async function paramsOf(db: Elanus, collection_name: string, index_name: string): Promise<Kv> {
  const d = await db.describeIndex({ collection_name, index_name });
  assert.equal(d.index_descriptions.length, 1);
  return Object.fromEntries(d.index_descriptions[0]!.params.map((p) => [p.key, p.value]));
}

describe('index specifications', () => {
  test('every index type on a field that takes it is recorded, and describeIndex returns its params', () => withEngine(async (db) => {
    const c = await createAllTypes(db);
    const sp = await createSparse(db);
    const cases: Array<{ coll?: string; req: Omit<CreateIndexReq, 'collection_name'>; want: Kv }> = [
      { req: { field_name: 'fv', index_type: 'FLAT', metric_type: 'L2' }, want: { index_type: 'FLAT', metric_type: 'L2' } },
      { req: { field_name: 'fv', index_type: 'IVF_FLAT', metric_type: 'IP', params: { nlist: 128 } }, want: { index_type: 'IVF_FLAT', metric_type: 'IP', nlist: '128' } },
      { req: { field_name: 'fv', index_type: 'IVF_SQ8', metric_type: 'COSINE', params: { nlist: 65536 } }, want: { index_type: 'IVF_SQ8', metric_type: 'COSINE', nlist: '65536' } },
      { req: { field_name: 'fv', index_type: 'IVF_PQ', metric_type: 'L2', params: { nlist: 1, m: 4, nbits: 8 } }, want: { index_type: 'IVF_PQ', metric_type: 'L2', nlist: '1', m: '4', nbits: '8' } },
      { req: { field_name: 'fv', index_type: 'HNSW', metric_type: 'L2', params: { M: 2, efConstruction: 2147483647 } }, want: { index_type: 'HNSW', metric_type: 'L2', M: '2', efConstruction: '2147483647' } },
      { req: { field_name: 'fv', index_type: 'HNSW_SQ', metric_type: 'IP', params: { M: 2048, efConstruction: 1, sq_type: 'fp16', refine: true, refine_type: 'FP32' } }, want: { index_type: 'HNSW_SQ', metric_type: 'IP', M: '2048', efConstruction: '1', sq_type: 'FP16', refine: 'true', refine_type: 'FP32' } },
      { req: { field_name: 'fv', index_type: 'DISKANN', metric_type: 'L2' }, want: { index_type: 'DISKANN', metric_type: 'L2' } },
      { req: { field_name: 'fv', index_type: 'AUTOINDEX', metric_type: 'IP', params: { 'mmap.enabled': true } }, want: { index_type: 'AUTOINDEX', metric_type: 'IP', 'mmap.enabled': 'true' } },
      { req: { field_name: 'f16', index_type: 'HNSW', metric_type: 'COSINE', params: { M: 16, efConstruction: 200 } }, want: { index_type: 'HNSW', metric_type: 'COSINE', M: '16', efConstruction: '200' } },
      { req: { field_name: 'bf16', index_type: 'IVF_FLAT', metric_type: 'L2', params: { nlist: 16 } }, want: { index_type: 'IVF_FLAT', metric_type: 'L2', nlist: '16' } },
      { req: { field_name: 'bin', index_type: 'BIN_FLAT', metric_type: 'JACCARD' }, want: { index_type: 'BIN_FLAT', metric_type: 'JACCARD' } },
      { req: { field_name: 'bin', index_type: 'BIN_IVF_FLAT', metric_type: 'HAMMING', params: { nlist: 64 } }, want: { index_type: 'BIN_IVF_FLAT', metric_type: 'HAMMING', nlist: '64' } },
      { req: { field_name: 'bin', index_type: 'AUTOINDEX', metric_type: 'JACCARD' }, want: { index_type: 'AUTOINDEX', metric_type: 'JACCARD' } },
      { coll: sp, req: { field_name: 'sv', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP', params: { drop_ratio_build: 0.2 } }, want: { index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP', drop_ratio_build: '0.2' } },
      { coll: sp, req: { field_name: 'sv', index_type: 'SPARSE_WAND', metric_type: 'IP', params: { inverted_index_algo: 'DAAT_MAXSCORE' } }, want: { index_type: 'SPARSE_WAND', metric_type: 'IP', inverted_index_algo: 'DAAT_MAXSCORE' } },
      { coll: sp, req: { field_name: 'sv', index_type: 'AUTOINDEX', metric_type: 'IP' }, want: { index_type: 'AUTOINDEX', metric_type: 'IP' } },
      ...['b', 'i8', 'i16', 'i32', 'i64', 'f', 'd', 's', 'arr_i', 'arr_f', 'arr_s', 'id'].map((field_name) => ({ req: { field_name, index_type: 'INVERTED' }, want: { index_type: 'INVERTED' } })),
      ...['b', 'i8', 'i16', 'i32', 'i64', 's', 'arr_i', 'arr_s'].map((field_name) => ({ req: { field_name, index_type: 'BITMAP' }, want: { index_type: 'BITMAP' } })),
      ...['i8', 'i16', 'i32', 'i64', 'f', 'd', 'id'].map((field_name) => ({ req: { field_name, index_type: 'STL_SORT' }, want: { index_type: 'STL_SORT' } })),
      { req: { field_name: 's', index_type: 'Trie' }, want: { index_type: 'Trie' } },
      { req: { field_name: 's', index_type: 'TRIE' }, want: { index_type: 'Trie' } },
      { req: { field_name: 'i32', index_type: 'AUTOINDEX' }, want: { index_type: 'AUTOINDEX' } },
      // The JSON parameters as given: Milvus's DescribeIndex answers the user's own.
      { req: { field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j["a"]["b"]', json_cast_type: 'varchar' } }, want: { index_type: 'INVERTED', json_path: 'j["a"]["b"]', json_cast_type: 'varchar' } },
      { req: { field_name: 'j', index_type: 'INVERTED', params: { json_cast_type: 'json' } }, want: { index_type: 'INVERTED', json_cast_type: 'json' } },
      // Parameters Milvus ignores are accepted and kept as given: nlist on FLAT and BIN_FLAT,
      // anything on a scalar index (metric_type included).
      { req: { field_name: 'fv', index_type: 'FLAT', metric_type: 'L2', params: { nlist: 128 } }, want: { index_type: 'FLAT', metric_type: 'L2', nlist: '128' } },
      { req: { field_name: 'bin', index_type: 'BIN_FLAT', metric_type: 'JACCARD', params: { nlist: 'many' } }, want: { index_type: 'BIN_FLAT', metric_type: 'JACCARD', nlist: 'many' } },
      { req: { field_name: 's', index_type: 'BITMAP', params: { tokenizer: 'standard' } }, want: { index_type: 'BITMAP', tokenizer: 'standard' } },
      { req: { field_name: 's', index_type: 'AUTOINDEX', params: { tokenizer: 'standard' } }, want: { index_type: 'AUTOINDEX', tokenizer: 'standard' } },
      { req: { field_name: 'i32', index_type: 'AUTOINDEX', metric_type: 'L2' }, want: { index_type: 'AUTOINDEX', metric_type: 'L2' } },
      { req: { field_name: 'i32', index_type: 'INVERTED', metric_type: 'l2', params: { json_path: 'i32["a"]' } }, want: { index_type: 'INVERTED', metric_type: 'l2', json_path: 'i32["a"]' } },
      { req: { field_name: 'j', index_type: 'AUTOINDEX', params: { json_path: 'j["n"]', json_cast_type: 'DOUBLE' } }, want: { index_type: 'AUTOINDEX', json_path: 'j["n"]', json_cast_type: 'DOUBLE' } },
    ];
    for (const { coll, req, want } of cases) {
      const collection_name = coll ?? c;
      const what = `${req.index_type} on ${req.field_name}`;
      await db.createIndex({ collection_name, ...req, index_name: 'ix' });
      assert.deepEqual(await paramsOf(db, collection_name, 'ix'), want, what);
      const d = (await db.describeIndex({ collection_name, field_name: req.field_name })).index_descriptions[0]!;
      assert.equal(d.field_name, req.field_name, what);
      assert.equal(d.state, 'Finished', what);
      assert.equal(typeof d.indexID, 'number', what);
      await db.dropIndex({ collection_name, index_name: 'ix' });
      assert.deepEqual((await db.listIndexes({ collection_name })).indexes, [], what);
    }
  }, { storage: 'memory' }));

  test('defaults: AUTOINDEX when no type is given, and Milvus\'s default metric for each vector type', () => withEngine(async (db) => {
    const c = await createAllTypes(db);
    const sp = await createSparse(db);
    await db.createIndex({ collection_name: c, field_name: 'fv' });
    await db.createIndex({ collection_name: c, field_name: 'bin', index_type: 'BIN_FLAT' });
    await db.createIndex({ collection_name: sp, field_name: 'sv', index_type: 'SPARSE_INVERTED_INDEX' });
    await db.createIndex({ collection_name: c, field_name: 's' });
    // The default index name is the field's.
    assert.deepEqual(await paramsOf(db, c, 'fv'), { index_type: 'AUTOINDEX', metric_type: 'COSINE' });
    assert.deepEqual(await paramsOf(db, c, 'bin'), { index_type: 'BIN_FLAT', metric_type: 'HAMMING' });
    assert.deepEqual(await paramsOf(db, sp, 'sv'), { index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP' });
    assert.deepEqual(await paramsOf(db, c, 's'), { index_type: 'AUTOINDEX' });
    assert.deepEqual((await db.listIndexes({ collection_name: c })).indexes, ['fv', 'bin', 's']);
    assert.deepEqual((await db.listIndexes({ collection_name: c, field_name: 'bin' })).indexes, ['bin']);
  }, { storage: 'memory' }));

  test('the SDK\'s request shapes: extra_params with a JSON string, KeyValuePairs, nested params, a list', () => withEngine(async (db) => {
    const c = await createAllTypes(db);
    await db.createIndex({ collection_name: c, field_name: 'fv', extra_params: { index_type: 'IVF_FLAT', metric_type: 'L2', params: '{"nlist":1024}' } });
    assert.deepEqual(await paramsOf(db, c, 'fv'), { index_type: 'IVF_FLAT', metric_type: 'L2', nlist: '1024' });
    await db.createIndex({ collection_name: c, field_name: 'bin', extra_params: [{ key: 'index_type', value: 'BIN_IVF_FLAT' }, { key: 'metric_type', value: 'JACCARD' }, { key: 'params', value: '{"nlist": 8}' }] });
    assert.deepEqual(await paramsOf(db, c, 'bin'), { index_type: 'BIN_IVF_FLAT', metric_type: 'JACCARD', nlist: '8' });
    await db.createIndex({ collection_name: c, field_name: 'f16', params: { index_type: 'HNSW', metric_type: 'IP', params: { M: '8', efConstruction: '64' } } });
    assert.deepEqual(await paramsOf(db, c, 'f16'), { index_type: 'HNSW', metric_type: 'IP', M: '8', efConstruction: '64' });
    await db.createIndex([
      { collection_name: c, field_name: 'i64', index_type: 'STL_SORT' },
      { collection_name: c, field_name: 'b', index_type: 'BITMAP', index_name: 'flag_idx' },
    ]);
    assert.deepEqual((await db.listIndexes({ collection_name: c })).indexes, ['fv', 'bin', 'f16', 'i64', 'flag_idx']);
  }, { storage: 'memory' }));

  test('each wrong combination and out-of-range parameter is refused with its code', () => withEngine(async (db) => {
    const c = await createAllTypes(db);
    const sp = await createSparse(db);
    const refusals: Array<[string, Omit<CreateIndexReq, 'collection_name'>, string, RegExp?]> = [
      // Index types that do not fit the field type.
      [c, { field_name: 'i64', index_type: 'HNSW' }, 'INDEX_TYPE_INVALID', /allowed: INVERTED, BITMAP, STL_SORT, AUTOINDEX/],
      [c, { field_name: 'fv', index_type: 'INVERTED' }, 'INDEX_TYPE_INVALID', /allowed: FLAT, IVF_FLAT, IVF_SQ8, IVF_PQ, HNSW, HNSW_SQ, DISKANN, AUTOINDEX/],
      [c, { field_name: 'fv', index_type: 'BIN_FLAT' }, 'INDEX_TYPE_INVALID'],
      [c, { field_name: 'fv', index_type: 'HYBRID' }, 'INDEX_TYPE_INVALID'],
      [c, { field_name: 'fv', index_type: 'NOPE' }, 'INDEX_TYPE_INVALID'],
      [c, { field_name: 'bin', index_type: 'HNSW' }, 'INDEX_TYPE_INVALID', /allowed: BIN_FLAT, BIN_IVF_FLAT, AUTOINDEX/],
      [sp, { field_name: 'sv', index_type: 'IVF_FLAT' }, 'INDEX_TYPE_INVALID', /allowed: SPARSE_INVERTED_INDEX, SPARSE_WAND, AUTOINDEX/],
      [c, { field_name: 'f', index_type: 'BITMAP' }, 'INDEX_TYPE_INVALID', /Float field "f"; allowed: INVERTED, STL_SORT, AUTOINDEX/],
      [c, { field_name: 'd', index_type: 'BITMAP' }, 'INDEX_TYPE_INVALID'],
      [c, { field_name: 'j', index_type: 'BITMAP' }, 'INDEX_TYPE_INVALID'],
      [c, { field_name: 'arr_f', index_type: 'BITMAP' }, 'INDEX_TYPE_INVALID', /Array<Float> field/],
      [c, { field_name: 'id', index_type: 'BITMAP' }, 'INDEX_TYPE_INVALID', /primary key Int64 field "id"/],
      [c, { field_name: 'fv', index_type: 'BITMAP' }, 'INDEX_TYPE_INVALID'],
      [c, { field_name: 's', index_type: 'STL_SORT' }, 'INDEX_TYPE_INVALID', /allowed: INVERTED, BITMAP, Trie, AUTOINDEX/],
      [c, { field_name: 'b', index_type: 'STL_SORT' }, 'INDEX_TYPE_INVALID'],
      [c, { field_name: 'i64', index_type: 'Trie' }, 'INDEX_TYPE_INVALID'],
      // Metrics that do not fit the vector type.
      [c, { field_name: 'fv', index_type: 'HNSW', metric_type: 'HAMMING' }, 'METRIC_TYPE_INVALID', /allowed: L2, IP, COSINE/],
      [c, { field_name: 'bin', index_type: 'BIN_FLAT', metric_type: 'L2' }, 'METRIC_TYPE_INVALID', /allowed: HAMMING, JACCARD/],
      [sp, { field_name: 'sv', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'BM25' }, 'METRIC_TYPE_INVALID', /allowed: IP/],
      [sp, { field_name: 'sv', metric_type: 'COSINE' }, 'METRIC_TYPE_INVALID'],
      // Parameters out of range, malformed or unknown.
      [c, { field_name: 'fv', index_type: 'HNSW', params: { M: 1 } }, 'INDEX_PARAM_INVALID', /M must be an integer in \[2, 2048\]/],
      [c, { field_name: 'fv', index_type: 'HNSW', params: { M: 2049 } }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'fv', index_type: 'HNSW', params: { M: 16.5 } }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'fv', index_type: 'HNSW', params: { M: 'sixteen' } }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'fv', index_type: 'HNSW', params: { efConstruction: 0 } }, 'INDEX_PARAM_INVALID', /efConstruction must be an integer in \[1, 2147483647\]/],
      [c, { field_name: 'fv', index_type: 'HNSW', params: { efConstruction: 2147483648 } }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'fv', index_type: 'HNSW', params: { nlist: 8 } }, 'INDEX_PARAM_INVALID', /unknown parameter "nlist"; allowed: M, efConstruction, mmap.enabled/],
      // FLAT ignores nlist only; other unknown keys stay typos.
      [c, { field_name: 'fv', index_type: 'FLAT', params: { M: 8 } }, 'INDEX_PARAM_INVALID', /unknown parameter "M"; allowed: mmap.enabled/],
      [c, { field_name: 's', index_type: 'BITMAP', params: { 'mmap.enabled': 'maybe' } }, 'INDEX_PARAM_INVALID', /mmap.enabled must be true or false/],
      [c, { field_name: 'fv', index_type: 'IVF_FLAT', params: { nlist: 0 } }, 'INDEX_PARAM_INVALID', /nlist must be an integer in \[1, 65536\]/],
      [c, { field_name: 'fv', index_type: 'IVF_SQ8', params: { nlist: 65537 } }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'fv', index_type: 'IVF_PQ', params: { nlist: 8, m: 3 } }, 'INDEX_PARAM_INVALID', /m must divide the dimension 8/],
      [c, { field_name: 'fv', index_type: 'IVF_PQ', params: { nlist: 8 } }, 'INDEX_PARAM_INVALID', /m is required/],
      [c, { field_name: 'fv', index_type: 'IVF_PQ', params: { m: 16 } }, 'INDEX_PARAM_INVALID', /m must be an integer in \[1, 8\]/],
      [c, { field_name: 'fv', index_type: 'IVF_PQ', params: { m: 4, nbits: 9 } }, 'INDEX_PARAM_INVALID', /nbits must be an integer in \[1, 8\]/],
      [c, { field_name: 'fv', index_type: 'IVF_PQ', params: { m: 4, nbits: 0 } }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'fv', index_type: 'HNSW_SQ', params: { sq_type: 'SQ4' } }, 'INDEX_PARAM_INVALID', /sq_type must be one of SQ6, SQ8, FP16, BF16/],
      [c, { field_name: 'fv', index_type: 'HNSW_SQ', params: { refine_type: 'FP32' } }, 'INDEX_PARAM_INVALID', /refine_type needs refine=true/],
      [c, { field_name: 'fv', index_type: 'HNSW_SQ', params: { sq_type: 'SQ8', refine: true, refine_type: 'SQ6' } }, 'INDEX_PARAM_INVALID', /more precise/],
      [c, { field_name: 'fv', index_type: 'AUTOINDEX', params: { M: 16 } }, 'INDEX_PARAM_INVALID', /AUTOINDEX chooses its own build parameters, so it takes only metric_type and mmap.enabled/],
      [c, { field_name: 'fv', index_type: 'FLAT', params: { 'mmap.enabled': 'maybe' } }, 'INDEX_PARAM_INVALID', /mmap.enabled must be true or false/],
      [c, { field_name: 'fv', index_type: 'DISKANN', params: { max_degree: 513 } }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'fv', index_type: 'HNSW', params: { index_type: 'FLAT' } }, 'INDEX_PARAM_INVALID', /given twice/],
      [c, { field_name: 'fv', index_type: 'HNSW', params: { M: { nested: 1 } } }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'fv', extra_params: { params: '{not json' } }, 'INDEX_PARAM_INVALID'],
      [sp, { field_name: 'sv', index_type: 'SPARSE_WAND', params: { drop_ratio_build: 1 } }, 'INDEX_PARAM_INVALID', /drop_ratio_build must be a number in \[0, 1\)/],
      // JSON needs a cast type (Milvus's texts); json_path must be a path into the field.
      [c, { field_name: 'j', index_type: 'INVERTED' }, 'INDEX_PARAM_INVALID', /json index must specify cast type: missing parameter\[missing_param=json_cast_type\]: invalid parameter\[expected=valid index params\]\[actual=invalid index params\] \(one of BOOL, DOUBLE, VARCHAR, ARRAY_BOOL, ARRAY_DOUBLE, ARRAY_VARCHAR, JSON\)/],
      [c, { field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j["a"]' } }, 'INDEX_PARAM_INVALID', /json index must specify cast type/],
      [c, { field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j["a"]', json_cast_type: 'int64' } }, 'INDEX_PARAM_INVALID', /json_cast_type INT64 is not supported/],
      [c, { field_name: 'j', index_type: 'INVERTED', params: { json_path: 'other["a"]', json_cast_type: 'DOUBLE' } }, 'INDEX_PARAM_INVALID', /json_path other\["a"\] is not a path: filter: unknown field "other"/],
      [c, { field_name: 'j', index_type: 'INVERTED', params: { json_path: 's', json_cast_type: 'DOUBLE' } }, 'INDEX_PARAM_INVALID', /json_path s must be a JSON field or a path into one, as in j\["key"\]; s is a VarChar field/],
      [c, { field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j["a"] > 1', json_cast_type: 'DOUBLE' } }, 'INDEX_PARAM_INVALID', /must be a JSON field or a path into one/],
      [c, { field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j[', json_cast_type: 'DOUBLE' } }, 'INDEX_PARAM_INVALID', /is not a path/],
      [c, { field_name: 'j' }, 'INDEX_PARAM_INVALID'],
      [c, { field_name: 'j', index_type: 'BITMAP', params: { json_cast_type: 'DOUBLE' } }, 'INDEX_TYPE_INVALID'],
      // Names.
      [c, { field_name: 'missing', index_type: 'INVERTED' }, 'FIELD_NOT_FOUND'],
      [c, { field_name: '', index_type: 'INVERTED' }, 'INVALID_ARGUMENT'],
      [c, { field_name: 'fv', index_name: 'bad-name' }, 'INVALID_INDEX_NAME'],
    ];
    for (const [collection_name, req, code, message] of refusals) {
      await assert.rejects(db.createIndex({ collection_name, ...req }), (e: Error & { code?: string }) => {
        assert.equal(e.code, code, `${JSON.stringify(req)}: ${e.message}`);
        if (message) assert.match(e.message, message, JSON.stringify(req));
        return true;
      });
    }
    assert.deepEqual((await db.listIndexes({ collection_name: c })).indexes, [], 'no refused index was recorded');
    assert.deepEqual((await db.listIndexes({ collection_name: sp })).indexes, []);
    await assert.rejects(db.createIndex({ collection_name: 'nope', field_name: 'fv' }), { code: 'COLLECTION_NOT_FOUND' });
  }, { storage: 'memory' }));

  test('the same definition again succeeds; a different one on the field, or a name taken by another field, is refused', () => withEngine(async (db) => {
    const c = await createAllTypes(db);
    const hnsw = { collection_name: c, field_name: 'fv', index_name: 'vidx', index_type: 'HNSW', metric_type: 'L2', params: { M: 16, efConstruction: 200 } };
    await db.createIndex(hnsw);
    const before = (await db.describeIndex({ collection_name: c, index_name: 'vidx' })).index_descriptions[0]!;
    await db.createIndex(hnsw);
    // The same definition in other forms: strings for numbers, a lower-case metric, no
    // index_name (the field's index keeps its name), the params as a JSON string.
    await db.createIndex({ ...hnsw, metric_type: 'l2', params: { efConstruction: '200', M: '16' } });
    await db.createIndex({ collection_name: c, field_name: 'fv', extra_params: { index_type: 'HNSW', metric_type: 'L2', params: '{"M":16,"efConstruction":200}' } });
    const after = (await db.describeIndex({ collection_name: c, index_name: 'vidx' })).index_descriptions[0]!;
    assert.deepEqual(after, before, 'an idempotent create changes nothing, not even the id');
    assert.deepEqual((await db.listIndexes({ collection_name: c })).indexes, ['vidx']);

    // As Milvus's datacoord refuses them (index_meta.go canCreateIndex): the name of an
    // index with another definition, or of another field's index, is "at most one distinct
    // index"; a second name on the field is "creating multiple indexes".
    await assert.rejects(db.createIndex({ ...hnsw, params: { M: 32, efConstruction: 200 } }), { code: 'INDEX_NOT_DISTINCT', message: /^CreateIndex failed: at most one distinct index is allowed per field \(index "vidx" on field "fv" of collection "all" has another definition; drop it first\)$/ });
    await assert.rejects(db.createIndex({ ...hnsw, metric_type: 'IP' }), { code: 'INDEX_NOT_DISTINCT' });
    await assert.rejects(db.createIndex({ ...hnsw, index_type: 'FLAT', params: {} }), { code: 'INDEX_NOT_DISTINCT' });
    await assert.rejects(db.createIndex({ ...hnsw, index_name: 'other_name' }), { code: 'INDEX_FIELD_HAS_INDEX', message: /^CreateIndex failed: creating multiple indexes on same field is not supported \(field "fv" of collection "all" already has index "vidx"; drop it first\)$/ });
    await assert.rejects(db.createIndex({ ...hnsw, params: { M: 16, efConstruction: 200, 'mmap.enabled': true } }), { code: 'INDEX_NOT_DISTINCT' });
    await assert.rejects(db.createIndex({ collection_name: c, field_name: 'i64', index_name: 'vidx', index_type: 'STL_SORT' }), { code: 'INDEX_NOT_DISTINCT', message: /used by field "fv"/ });
    // A field's default index name may be taken by another field's index.
    await db.createIndex({ collection_name: c, field_name: 'i32', index_name: 'i64', index_type: 'INVERTED' });
    await assert.rejects(db.createIndex({ collection_name: c, field_name: 'i64', index_type: 'INVERTED' }), { code: 'INDEX_NOT_DISTINCT', message: /used by field "i32"/ });
    assert.deepEqual(await paramsOf(db, c, 'vidx'), { index_type: 'HNSW', metric_type: 'L2', M: '16', efConstruction: '200' });

    // Concurrent creates of one definition: one records it, the rest are idempotent.
    await Promise.all(range(0, 8).map(() => db.createIndex({ collection_name: c, field_name: 's', index_type: 'Trie' })));
    assert.deepEqual((await db.listIndexes({ collection_name: c, field_name: 's' })).indexes, ['s']);
  }, { storage: 'memory' }));

  test('describeIndex, getIndexState, getIndexBuildProgress and hasIndex report the rows of flushed segments, indexed once built', () => withEngine(async (db) => {
    await createBasic(db, 'c', { extra: [{ name: 'n', data_type: DataType.Int32 }] });
    const describedBefore = await db.describeCollection({ collection_name: 'c' });
    await assert.rejects(db.describeIndex({ collection_name: 'c' }), { code: 'INDEX_NOT_FOUND' });
    await assert.rejects(db.getIndexState({ collection_name: 'c', index_name: 'vector' }), { code: 'INDEX_NOT_FOUND' });
    assert.deepEqual((await db.listIndexes({ collection_name: 'c' })).indexes, []);
    assert.equal((await db.hasIndex({ collection_name: 'c', index_name: 'vector' })).value, false);

    await db.createIndex({ collection_name: 'c', field_name: 'vector', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 64 } });
    await db.createIndex({ collection_name: 'c', field_name: 'n', index_type: 'STL_SORT', index_name: 'n_sort' });
    assert.deepEqual(await db.describeCollection({ collection_name: 'c' }), describedBefore, 'describeCollection does not change');

    await db.insert({ collection_name: 'c', data: basicRows(0, 30, 4, (i) => ({ n: i })) });
    await db.flush({ collection_names: ['c'] });
    await db.insert({ collection_name: 'c', data: basicRows(30, 50, 4, (i) => ({ n: i })) });
    await db.delete({ collection_name: 'c', ids: [1, 2, 3] });
    assert.equal(await countOf(db, 'c'), 47);
    // As in Milvus: the rows of flushed segments (deleted ones too) are what an index covers;
    // the 20 rows still in a growing segment are searched exactly and not counted.
    const rows = 30;
    await db.waitForIndexes();

    const all = await db.describeIndex({ collection_name: 'c' });
    assert.deepEqual(all.index_descriptions.map((d) => d.index_name), ['vector', 'n_sort']);
    const v = all.index_descriptions[0]!;
    assert.deepEqual({ ...v, indexID: 0 }, {
      index_name: 'vector', indexID: 0, field_name: 'vector',
      params: [{ key: 'index_type', value: 'HNSW' }, { key: 'metric_type', value: 'L2' }, { key: 'M', value: '8' }, { key: 'efConstruction', value: '64' }],
      indexed_rows: rows, total_rows: rows, pending_index_rows: 0, state: 'Finished', index_state_fail_reason: '',
    });
    assert.equal(all.status.code, 0);
    assert.deepEqual((await db.describeIndex({ collection_name: 'c', field_name: 'n' })).index_descriptions.map((d) => d.index_name), ['n_sort']);
    assert.deepEqual((await db.getIndexStatistics({ collection_name: 'c', index_name: 'n_sort' })).index_descriptions.map((d) => d.total_rows), [rows]);
    await assert.rejects(db.describeIndex({ collection_name: 'c', index_name: 'nope' }), { code: 'INDEX_NOT_FOUND' });
    await assert.rejects(db.describeIndex({ collection_name: 'c', field_name: 'nope' }), { code: 'FIELD_NOT_FOUND' });
    await assert.rejects(db.describeIndex({ collection_name: 'c', field_name: 'id' }), { code: 'INDEX_NOT_FOUND' });
    await assert.rejects(db.describeIndex({ collection_name: 'c', field_name: 'n', index_name: 'vector' }), { code: 'INDEX_NOT_FOUND' });

    const state = await db.getIndexState({ collection_name: 'c', index_name: 'vector' });
    assert.deepEqual({ state: state.state, fail_reason: state.fail_reason }, { state: 'Finished', fail_reason: '' });
    const progress = await db.getIndexBuildProgress({ collection_name: 'c', field_name: 'vector' });
    assert.deepEqual({ ...progress, status: undefined }, { status: undefined, indexed_rows: rows, total_rows: rows, pending_index_rows: 0 });
    assert.equal((await db.hasIndex({ collection_name: 'c', index_name: 'n_sort' })).value, true);
    assert.deepEqual((await db.listIndexes({ collection_name: 'c' })).indexes, ['vector', 'n_sort']);
  }, { storage: 'memory' }));

  test('a vector index cannot be dropped while the collection is loaded; after release it can', () => withEngine(async (db) => {
    await createBasic(db, 'c', { extra: [{ name: 'n', data_type: DataType.Int32 }] });
    await db.createIndex({ collection_name: 'c', field_name: 'vector', index_type: 'FLAT', metric_type: 'L2' });
    await db.createIndex({ collection_name: 'c', field_name: 'n', index_type: 'INVERTED' });
    await assert.rejects(db.dropIndex({ collection_name: 'c', index_name: 'vector' }), { code: 'VECTOR_INDEX_LOADED', message: /vector index cannot be dropped on loaded collection: \d+ .*index vector; release it first/ });
    await assert.rejects(db.dropIndex({ collection_name: 'c', field_name: 'vector' }), { code: 'VECTOR_INDEX_LOADED' });
    await assert.rejects(db.dropIndex({ collection_name: 'c' }), { code: 'INVALID_ARGUMENT' }, 'two indexes: say which');
    // A scalar index may go while loaded, as in Milvus.
    await db.dropIndex({ collection_name: 'c', index_name: 'n' });
    assert.deepEqual((await db.listIndexes({ collection_name: 'c' })).indexes, ['vector']);

    // Loading only some partitions counts as loaded too.
    await db.createPartition({ collection_name: 'c', partition_name: 'p' });
    await db.releaseCollection({ collection_name: 'c' });
    await db.loadPartitions({ collection_name: 'c', partition_names: ['p'] });
    await assert.rejects(db.dropIndex({ collection_name: 'c', index_name: 'vector' }), { code: 'VECTOR_INDEX_LOADED' });

    await db.releaseCollection({ collection_name: 'c' });
    await db.dropIndex({ collection_name: 'c' }); // the only index
    assert.deepEqual((await db.listIndexes({ collection_name: 'c' })).indexes, []);
    // Dropping an index that does not exist succeeds, as in Milvus; a missing field does not.
    await db.dropIndex({ collection_name: 'c', index_name: 'vector' });
    await assert.rejects(db.dropIndex({ collection_name: 'c', field_name: 'nope' }), { code: 'FIELD_NOT_FOUND' });
    // And the field can take a different index now.
    await db.createIndex({ collection_name: 'c', field_name: 'vector', index_type: 'IVF_FLAT', metric_type: 'IP', params: { nlist: 4 } });
    assert.deepEqual(await paramsOf(db, 'c', 'vector'), { index_type: 'IVF_FLAT', metric_type: 'IP', nlist: '4' });
  }, { storage: 'memory' }));

  test('alterIndex changes only properties, and only while released', () => withEngine(async (db) => {
    await createBasic(db, 'c');
    await db.createIndex({ collection_name: 'c', field_name: 'vector', index_name: 'v', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 64 } });
    const id = (await db.describeIndex({ collection_name: 'c', index_name: 'v' })).index_descriptions[0]!.indexID;
    await assert.rejects(db.alterIndex({ collection_name: 'c', index_name: 'v', params: { 'mmap.enabled': true } }), { code: 'COLLECTION_LOADED', message: /release it before altering index "v"/ });
    await db.releaseCollection({ collection_name: 'c' });
    await db.alterIndexProperties({ collection_name: 'c', index_name: 'v', params: { 'mmap.enabled': 'True' } });
    assert.deepEqual(await paramsOf(db, 'c', 'v'), { index_type: 'HNSW', metric_type: 'L2', M: '8', efConstruction: '64', 'mmap.enabled': 'true' });
    await db.alterIndex({ collection_name: 'c', index_name: 'v', properties: { 'mmap.enabled': false } });
    assert.equal((await paramsOf(db, 'c', 'v'))['mmap.enabled'], 'false');

    await assert.rejects(db.alterIndex({ collection_name: 'c', index_name: 'v', params: { M: 16 } }), { code: 'INDEX_PROPERTY_NOT_ALTERABLE', message: /build parameters are fixed/ });
    await assert.rejects(db.alterIndex({ collection_name: 'c', index_name: 'v', params: { metric_type: 'IP' } }), { code: 'INDEX_PROPERTY_NOT_ALTERABLE' });
    await assert.rejects(db.alterIndex({ collection_name: 'c', index_name: 'v', params: { whatever: 1 } }), { code: 'INDEX_PROPERTY_NOT_ALTERABLE', message: /alterable index properties: mmap.enabled/ });
    await assert.rejects(db.alterIndex({ collection_name: 'c', index_name: 'v', params: { 'mmap.enabled': 'sometimes' } }), { code: 'INDEX_PARAM_INVALID' });
    await assert.rejects(db.alterIndex({ collection_name: 'c', index_name: 'v', params: {} }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.alterIndex({ collection_name: 'c', index_name: 'nope', params: { 'mmap.enabled': true } }), { code: 'INDEX_NOT_FOUND' });

    await db.dropIndexProperties({ collection_name: 'c', index_name: 'v', properties: ['mmap.enabled'] });
    assert.deepEqual(await paramsOf(db, 'c', 'v'), { index_type: 'HNSW', metric_type: 'L2', M: '8', efConstruction: '64' });
    await assert.rejects(db.dropIndexProperties({ collection_name: 'c', index_name: 'v', properties: ['M'] }), { code: 'INDEX_PROPERTY_NOT_ALTERABLE' });
    // An alter keeps the index's identity, and the definition is the created one again.
    await db.createIndex({ collection_name: 'c', field_name: 'vector', index_name: 'v', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 64 } });
    assert.equal((await db.describeIndex({ collection_name: 'c', index_name: 'v' })).index_descriptions[0]!.indexID, id);
  }, { storage: 'memory' }));

  test('indexes survive a restart, and a collection stored before indexes existed has none', async () => {
    const h = await openEngine();
    try {
      await createAllTypes(h.db);
      await createBasic(h.db, 'plain');
      await h.db.createIndex({ collection_name: 'all', field_name: 'fv', index_type: 'HNSW', metric_type: 'IP', params: { M: 12, efConstruction: 100, 'mmap.enabled': true } });
      await h.db.createIndex({ collection_name: 'all', field_name: 'bin', index_type: 'BIN_IVF_FLAT', metric_type: 'JACCARD', params: { nlist: 32 } });
      await h.db.createIndex({ collection_name: 'all', field_name: 'j', index_name: 'j_a', index_type: 'INVERTED', params: { json_path: 'j["a"]', json_cast_type: 'BOOL' } });
      await h.db.createIndex({ collection_name: 'all', field_name: 'i8', index_type: 'BITMAP' });
      await h.db.dropIndex({ collection_name: 'all', index_name: 'i8' });
      const before = await h.db.describeIndex({ collection_name: 'all' });
      const db = await h.reopen();
      assert.deepEqual(await db.describeIndex({ collection_name: 'all' }), before);
      assert.deepEqual((await db.listIndexes({ collection_name: 'all' })).indexes, ['fv', 'bin', 'j_a']);
      assert.deepEqual((await db.listIndexes({ collection_name: 'plain' })).indexes, []);
      // The ids given after the restart do not repeat the recorded ones.
      await db.createIndex({ collection_name: 'all', field_name: 'i8', index_type: 'BITMAP' });
      const ids = (await db.describeIndex({ collection_name: 'all' })).index_descriptions.map((d) => d.indexID);
      assert.equal(new Set(ids).size, ids.length);
      // Renaming the collection keeps its indexes.
      await db.renameCollection({ collection_name: 'all', new_collection_name: 'renamed' });
      assert.deepEqual((await db.listIndexes({ collection_name: 'renamed' })).indexes, ['fv', 'bin', 'j_a', 'i8']);
    } finally {
      await h.dispose();
    }
  });
});

describe('search and the index metric', () => {
  test('a search without metric_type uses the index\'s metric; a different metric is refused', () => withEngine(async (db) => {
    await createBasic(db, 'c');
    await db.insert({ collection_name: 'c', data: basicRows(0, 40) });
    const q = vec(7.5, 4);
    const hits = async (metric_type?: string) =>
      ((await db.search({ collection_name: 'c', data: q, limit: 5, ...(metric_type ? { metric_type } : {}) })).results as Array<Record<string, unknown>>).map((h) => [h['id'], h['score']]);
    const l2 = await hits('L2');
    const cosine = await hits();
    assert.deepEqual(cosine, await hits('COSINE'), 'without an index the default is COSINE');
    assert.notDeepEqual(l2, cosine);

    await db.createIndex({ collection_name: 'c', field_name: 'vector', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 32 } });
    assert.deepEqual(await hits(), l2, 'the index metric applies');
    assert.deepEqual(await hits('l2'), l2);
    assert.deepEqual((await db.search({ collection_name: 'c', data: q, limit: 5, params: { metric_type: 'L2' } })).results, (await db.search({ collection_name: 'c', data: q, limit: 5 })).results);
    await assert.rejects(db.search({ collection_name: 'c', data: q, metric_type: 'IP' }), { code: 'METRIC_MISMATCH', message: /metric type not match: the index on field "vector" uses L2, the search asked for IP/ });
    await assert.rejects(db.search({ collection_name: 'c', data: q, params: { metric_type: 'COSINE' } }), { code: 'METRIC_MISMATCH' });
    // A metric that fits no float vector stays INVALID_ARGUMENT, as without an index.
    await assert.rejects(db.search({ collection_name: 'c', data: q, metric_type: 'HAMMING' }), { code: 'INVALID_ARGUMENT' });

    await db.releaseCollection({ collection_name: 'c' });
    await db.dropIndex({ collection_name: 'c', index_name: 'vector' });
    await db.loadCollection({ collection_name: 'c' });
    assert.deepEqual(await hits(), cosine, 'without the index the default returns');
    assert.notDeepEqual(await hits('IP'), cosine, 'and any fitting metric may be asked for');
  }, { storage: 'memory' }));

  test('binary and multi-vector collections: each field takes its own index\'s metric', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'm',
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'bits', data_type: DataType.BinaryVector, dim: 16 },
        { name: 'v', data_type: DataType.FloatVector, dim: 4 },
      ],
    });
    await db.loadCollection({ collection_name: 'm' });
    await db.insert({ collection_name: 'm', data: range(0, 20).map((id) => ({ id, bits: [id, 255 - id], v: vec(id, 4) })) });
    await db.createIndex({ collection_name: 'm', field_name: 'bits', index_type: 'BIN_FLAT', metric_type: 'JACCARD' });
    await db.createIndex({ collection_name: 'm', field_name: 'v', index_type: 'FLAT', metric_type: 'IP' });
    const search = async (anns_field: string, data: number[], metric_type?: string) =>
      (await db.search({ collection_name: 'm', anns_field, data, limit: 3, ...(metric_type ? { metric_type } : {}) })).results;
    assert.deepEqual(await search('bits', [3, 252]), await search('bits', [3, 252], 'JACCARD'));
    await assert.rejects(search('bits', [3, 252], 'HAMMING'), { code: 'METRIC_MISMATCH' });
    assert.deepEqual(await search('v', vec(5, 4)), await search('v', vec(5, 4), 'IP'));
    await assert.rejects(search('v', vec(5, 4), 'L2'), { code: 'METRIC_MISMATCH' });
  }, { storage: 'memory' }));
});

describe('JSON-path indexes (one per path; keys of the dynamic field)', () => {
  /** A dynamic collection with a JSON field j, 60 flushed rows whose paths hold the cast type, another type, or nothing. */
  async function jsonCollection(db: Elanus): Promise<void> {
    await createBasic(db, 'c', { dynamic: true, extra: [{ name: 'j', data_type: DataType.JSON }] });
    await db.insert({
      collection_name: 'c',
      data: basicRows(0, 60, 4, (i) => ({
        j: i % 7 === 0 ? { a: `s${i}` } : i % 5 === 0 ? {} : { a: i % 10, t: i % 3 === 0 ? 'x' : 'y', arr: [i % 4] },
        ...(i % 4 === 3 ? {} : { color: i % 4 === 0 ? 'red' : 'blue' }),
        ...(i % 9 === 0 ? { size: `${i}` } : { size: i }),
        flag: i % 2 === 0,
      })),
    });
    await db.flush({ collection_names: ['c'] });
  }

  const filters = [
    'j["a"] < 3', 'j["a"] in [1, 4]', 'j["a"] == "s7"', 'j["t"] == "x"', 'j["t"] != "x"', 'j["arr"][0] == 2', 'color == "red"',
    '$meta["color"] in ["blue"]', 'size >= 50', 'size == "9"', 'flag == true', 'color == "red" and size > 10', 'not (size < 3)',
  ];
  const idsWhere = async (db: Elanus, filter: string) =>
    idsOf((await db.query({ collection_name: 'c', filter, output_fields: ['id'], limit: 1000, consistency_level: 'Strong' })).data as Array<Record<string, unknown>>);

  test('several on one JSON field and on dynamic keys, named field + JSON pointer; filters take them and answer as scans do', () => withEngine(async (db) => {
    await jsonCollection(db);
    const scans = new Map<string, unknown>();
    for (const f of filters) scans.set(f, await idsWhere(db, f));

    const inv = { collection_name: 'c', index_type: 'INVERTED' };
    await db.createIndex({ ...inv, field_name: 'j', params: { json_path: 'j["a"]', json_cast_type: 'double' } });
    await db.createIndex({ ...inv, field_name: 'j', params: { json_path: "j['t']", json_cast_type: 'varchar' } });
    await db.createIndex({ ...inv, field_name: 'j', params: { json_path: 'j["arr"][0]', json_cast_type: 'DOUBLE' } });
    await db.createIndex({ ...inv, field_name: 'color', params: { json_cast_type: 'VARCHAR' } });
    await db.createIndex({ ...inv, field_name: '$meta', params: { json_path: '$meta["size"]', json_cast_type: 'double' } });
    await db.createIndex({ collection_name: 'c', field_name: 'flag', index_type: 'AUTOINDEX', params: { json_cast_type: 'bool' } });
    const d = (await db.describeIndex({ collection_name: 'c' })).index_descriptions;
    assert.deepEqual(d.map((x) => [x.index_name, x.field_name]), [
      ['j/a', 'j'], ['j/t', 'j'], ['j/arr/0', 'j'], ['$meta/color', 'color'], ['$meta/size', 'size'], ['$meta/flag', 'flag'],
    ]);
    // The user's own parameters; json_path only where one was given (Milvus fills it in without reporting it).
    assert.deepEqual(await paramsOf(db, 'c', '$meta/color'), { index_type: 'INVERTED', json_cast_type: 'VARCHAR' });
    assert.deepEqual(await paramsOf(db, 'c', '$meta/size'), { index_type: 'INVERTED', json_path: '$meta["size"]', json_cast_type: 'double' });
    // A field_name that is no field's selects the dynamic field's indexes under that key.
    assert.deepEqual((await db.describeIndex({ collection_name: 'c', field_name: 'size' })).index_descriptions.map((x) => x.index_name), ['$meta/size']);
    assert.deepEqual((await db.listIndexes({ collection_name: 'c', field_name: 'color' })).indexes, ['$meta/color']);
    assert.deepEqual((await db.describeIndex({ collection_name: 'c', field_name: '$meta' })).index_descriptions.length, 3);

    for (const f of filters) assert.deepEqual(await idsWhere(db, f), scans.get(f), f);
    const plan = async (filter: string) => (await db.explain({ collection_name: 'c', filter })).plan;
    assert.match(await plan('j["a"] < 3'), /-> index INVERTED \(json DOUBLE\) on j\["a"\]: 1 segment, est\. 10 of 60 rows/);
    assert.match(await plan('j["t"] == "x"'), /-> index INVERTED \(json VARCHAR\) on j\["t"\]: 1 segment/);
    assert.match(await plan('j["arr"][0] == 2'), /-> index INVERTED \(json DOUBLE\) on j\["arr"\]\[0\]: 1 segment/);
    assert.match(await plan('color == "red"'), /-> index INVERTED \(json VARCHAR\) on .*color.*: 1 segment, est\. 15 of 60 rows/);
    assert.match(await plan('size >= 50'), /-> index INVERTED \(json DOUBLE\) on .*size.*: 1 segment, est\. 9 of 60 rows/);
    assert.match(await plan('flag == true'), /-> index AUTOINDEX \(json BOOL\) on .*flag.*: 1 segment, est\. 30 of 60 rows/);
    // A constant of another type than the cast, or a path with no index, is read row by row.
    assert.doesNotMatch(await plan('size == "9"'), /-> index/);
    assert.doesNotMatch(await plan('j["b"] == 1'), /-> index/);

    // Dropping one path's index leaves the others, and the answers.
    await db.dropIndex({ collection_name: 'c', index_name: 'j/a' });
    assert.doesNotMatch(await plan('j["a"] < 3'), /-> index/);
    for (const f of filters) assert.deepEqual(await idsWhere(db, f), scans.get(f), `${f} after a drop`);
  }, { storage: 'memory' }));

  test('the same index again succeeds; another in the same place is refused as Milvus refuses it', () => withEngine(async (db) => {
    await createBasic(db, 'c', { dynamic: true, load: false, extra: [{ name: 'j', data_type: DataType.JSON }] });
    const inv = { collection_name: 'c', index_type: 'INVERTED' };
    await db.createIndex({ ...inv, field_name: 'j', params: { json_path: 'j["a"]', json_cast_type: 'double' } });
    const id = (await db.describeIndex({ collection_name: 'c', index_name: 'j/a' })).index_descriptions[0]!.indexID;
    // The same path written another way and the cast type in another case are the same index.
    await db.createIndex({ ...inv, field_name: 'j', params: { json_path: "j['a']", json_cast_type: 'DOUBLE' } });
    assert.deepEqual((await db.listIndexes({ collection_name: 'c' })).indexes, ['j/a']);
    assert.equal((await db.describeIndex({ collection_name: 'c', index_name: 'j/a' })).index_descriptions[0]!.indexID, id);
    await assert.rejects(db.createIndex({ ...inv, field_name: 'j', params: { json_path: 'j["a"]', json_cast_type: 'varchar' } }), { code: 'INDEX_NOT_DISTINCT' });
    await assert.rejects(db.createIndex({ ...inv, field_name: 'j', index_name: 'other', params: { json_path: 'j["a"]', json_cast_type: 'varchar' } }), { code: 'INDEX_FIELD_HAS_INDEX', message: /json_path j\["a"\] \(JSON pointer "\/a"\) of field "j" of collection "c" already has index "j\/a"/ });
    // A name taken by another path of the field, or by another field.
    await db.createIndex({ ...inv, field_name: 'j', index_name: 'jb', params: { json_path: 'j["b"]', json_cast_type: 'double' } });
    await assert.rejects(db.createIndex({ ...inv, field_name: 'j', index_name: 'jb', params: { json_path: 'j["c"]', json_cast_type: 'double' } }), { code: 'INDEX_NOT_DISTINCT', message: /covers another JSON path of field "j"/ });
    await assert.rejects(db.createIndex({ ...inv, field_name: 'color', index_name: 'jb', params: { json_cast_type: 'varchar' } }), { code: 'INDEX_NOT_DISTINCT', message: /already used by field "j"/ });
    // An unnamed index on a path that has a named one takes its name (the same index again).
    await db.createIndex({ ...inv, field_name: 'j', params: { json_path: 'j["b"]', json_cast_type: 'double' } });
    // Keys are escaped in the pointer as Milvus escapes them; the whole field is named after it.
    await db.createIndex({ ...inv, field_name: 'j', params: { json_path: 'j["x/y~z"]', json_cast_type: 'bool' } });
    await db.createIndex({ ...inv, field_name: 'j', params: { json_cast_type: 'JSON' } });
    await db.createIndex({ ...inv, field_name: 'dyn_key', params: { json_path: 'dyn_key["in"]', json_cast_type: 'ARRAY_DOUBLE' } });
    assert.deepEqual((await db.listIndexes({ collection_name: 'c' })).indexes, ['j/a', 'jb', 'j/x~1y~0z', 'j', '$meta/dyn_key/in']);
    assert.deepEqual((await db.describeIndex({ collection_name: 'c', index_name: '$meta/dyn_key/in' })).index_descriptions[0]!.field_name, 'dyn_key');
    // A path must lead into the field the request names.
    await assert.rejects(db.createIndex({ ...inv, field_name: 'j', params: { json_path: 'color', json_cast_type: 'double' } }), { code: 'INDEX_PARAM_INVALID', message: /is a path into field "\$meta", not into "j"/ });
    await assert.rejects(db.createIndex({ ...inv, field_name: 'color', params: { json_path: 'j["a"]', json_cast_type: 'double' } }), { code: 'INDEX_PARAM_INVALID', message: /is a path into field "j", not into "\$meta"/ });
    // A dynamic key takes only what the dynamic field (JSON) takes.
    await assert.rejects(db.createIndex({ collection_name: 'c', field_name: 'vectr', index_type: 'HNSW' }), { code: 'INDEX_TYPE_INVALID', message: /cannot be built on dynamic field \(\$meta\) key "vectr"; allowed: INVERTED, AUTOINDEX/ });
  }, { storage: 'memory' }));

  test('the paths survive a restart, and a folder written with one index per JSON field still opens and uses it', async () => {
    const h = await openEngine({ storage: 'memory' });
    try {
      await jsonCollection(h.db);
      await h.db.createIndex({ collection_name: 'c', field_name: 'j', index_name: 'j_a', index_type: 'INVERTED', params: { json_path: 'j["a"]', json_cast_type: 'double' } });
      await h.db.createIndex({ collection_name: 'c', field_name: 'color', index_type: 'INVERTED', params: { json_cast_type: 'varchar' } });
      const before = await h.db.describeIndex({ collection_name: 'c' });
      let db = await h.reopen();
      assert.deepEqual(await db.describeIndex({ collection_name: 'c' }), before);
      assert.match((await db.explain({ collection_name: 'c', filter: 'color == "red"' })).plan, /-> index INVERTED \(json VARCHAR\)/);

      // Rewrite the metadata as the previous version wrote it: no jsonPath / jsonCastType,
      // json_cast_type upper-cased, json_path always given, and one index on the JSON field.
      await h.db.close();
      const meta = await EmbeddedMetaStore.open({ fs: h.fs!, dir: `${h.path}/meta` });
      const [key, coll] = meta.scan('coll/').find(([, v]) => (v as { name: string }).name === 'c')! as [string, { indexes: Array<Record<string, unknown>> }];
      const legacy = coll.indexes.filter((i) => i['indexName'] === 'j_a').map(({ jsonPath: _p, jsonCastType: _c, ...rest }) => ({ ...rest, params: { index_type: 'INVERTED', json_path: 'j["a"]', json_cast_type: 'DOUBLE' } }));
      await meta.commit({ put: { [key]: { ...coll, indexes: legacy } } });
      await meta.close();
      db = h.db = await h.openAgain();
      assert.deepEqual((await db.describeIndex({ collection_name: 'c' })).index_descriptions.map((x) => [x.index_name, x.field_name, x.params]), [
        ['j_a', 'j', [{ key: 'index_type', value: 'INVERTED' }, { key: 'json_path', value: 'j["a"]' }, { key: 'json_cast_type', value: 'DOUBLE' }]],
      ]);
      assert.match((await db.explain({ collection_name: 'c', filter: 'j["a"] < 3' })).plan, /-> index INVERTED \(json DOUBLE\) on j\["a"\]/);
      // The old index is found in its place: the same again is accepted, another cast on the path refused, other paths allowed.
      await db.createIndex({ collection_name: 'c', field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j["a"]', json_cast_type: 'double' } });
      await assert.rejects(db.createIndex({ collection_name: 'c', field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j["a"]', json_cast_type: 'varchar' } }), { code: 'INDEX_NOT_DISTINCT' });
      await db.createIndex({ collection_name: 'c', field_name: 'j', index_type: 'INVERTED', params: { json_path: 'j["t"]', json_cast_type: 'varchar' } });
      assert.deepEqual((await db.listIndexes({ collection_name: 'c' })).indexes, ['j_a', 'j/t']);
    } finally {
      await h.dispose();
    }
  });
});
