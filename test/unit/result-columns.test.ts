// The wire form of query and search results made from columns (the read path's shape
// from the segments to the gRPC reply) is the one made from rows: for every field type,
// nullable fields, the dynamic field ('*' and named keys), grouping, and rows read back
// as the in-process API gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldInput } from '../../src/catalog/index.js';
import { fieldsDataFromColumns, fieldsDataFromRows, outputNamesOfColumns } from '../../src/api/grpc/convert.js';
import { DataType, withEngine } from '../engine/helpers.js';

const fields: FieldInput[] = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'b', data_type: DataType.Bool, nullable: true },
  { name: 'i8', data_type: DataType.Int8 },
  { name: 'i32', data_type: DataType.Int32, nullable: true },
  { name: 'i64', data_type: DataType.Int64 },
  { name: 'f', data_type: DataType.Float },
  { name: 'd', data_type: DataType.Double, nullable: true },
  { name: 's', data_type: DataType.VarChar, max_length: 20 },
  { name: 'j', data_type: DataType.JSON, nullable: true },
  { name: 'arr', data_type: DataType.Array, element_type: DataType.Int64, max_capacity: 5 },
  { name: 'tags', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 3, max_length: 8 },
  { name: 'fv', data_type: DataType.FloatVector, dim: 4 },
  { name: 'bv', data_type: DataType.BinaryVector, dim: 16 },
  { name: 'hv', data_type: DataType.Float16Vector, dim: 4 },
  { name: 'bf', data_type: DataType.BFloat16Vector, dim: 4 },
  { name: 'sv', data_type: DataType.SparseFloatVector },
];

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

function rowsOf(n: number, seed: number): Array<Record<string, unknown>> {
  const r = rng(seed);
  const maybe = <T>(v: T) => (r() < 0.2 ? null : v);
  return Array.from({ length: n }, (_, i) => ({
    id: i % 3 === 0 ? String(2n ** 53n + BigInt(i * 7 + 11)) : i * 7,
    b: maybe(r() < 0.5), i8: Math.floor(r() * 200) - 100, i32: maybe(Math.floor(r() * 1e6)), i64: Math.floor(r() * 1e12),
    f: Math.fround(r()), d: maybe(r() * 1e6), s: `s${Math.floor(r() * 1000)}`,
    j: maybe({ a: Math.floor(r() * 10), nested: { t: [1, 'x'] } }),
    arr: Array.from({ length: Math.floor(r() * 5) }, () => Math.floor(r() * 100)),
    tags: Array.from({ length: Math.floor(r() * 3) }, () => `t${Math.floor(r() * 9)}`),
    fv: Array.from({ length: 4 }, () => r()), bv: [Math.floor(r() * 256), Math.floor(r() * 256)],
    hv: Array.from({ length: 4 }, () => Math.round(r() * 64) / 64), bf: Array.from({ length: 4 }, () => Math.round(r() * 64) / 64),
    sv: { [Math.floor(r() * 50)]: r() + 0.1, 60: 0.5 },
    // Dynamic keys, present on some rows only.
    ...(r() < 0.5 ? { extra: i, also: `a${i}` } : { other: [i] }),
  }));
}

/** outputNames of the gRPC layer: schema fields present in some row, then other keys as rows first have them. */
function namesOfRows(schemaNames: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const names = schemaNames.filter((n) => rows.some((r) => n in r));
  const seen = new Set(names);
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { names.push(k); seen.add(k); }
  return names;
}

// At most four vector fields in a collection: one variant without the sparse field, one without the binary one.
for (const without of ['sv', 'bv']) test(`query and search results encode the same from columns as from rows (no ${without})`, () => withEngine(async (db) => {
  const rowsWithout = (rows: Array<Record<string, unknown>>) => rows.map(({ [without]: _gone, ...rest }) => rest);
  await db.createCollection({ collection_name: 'c', fields: fields.filter((f) => f.name !== without), enable_dynamic_field: true, shards_num: 3 });
  await db.loadCollection({ collection_name: 'c' });
  await db.insert({ collection_name: 'c', data: rowsWithout(rowsOf(60, 5)) });
  await db.flush({ collection_names: ['c'] });
  await db.insert({ collection_name: 'c', data: rowsWithout(rowsOf(80, 6).slice(60)) });
  const coll = db.collectionMeta({ collection_name: 'c' });
  const schemaNames = coll.schema.fields.filter((f) => !f.isDynamic).map((f) => f.name);
  const outputs: string[][] = [['*'], ['fv', 'hv', 'bf', without === 'sv' ? 'bv' : 'sv'], ['extra', 'j', 'other'], ['$meta'], ['s', 'missing_key'], []];
  for (const output_fields of outputs) {
    const req = { collection_name: 'c', filter: 'id >= 0', output_fields, limit: 50, offset: 3, consistency_level: 'Strong' as const };
    const cols = await db.queryColumns(req);
    const rows = (await db.query(req)).data;
    assert.ok(cols.columns, 'rows, not a count');
    const names = outputNamesOfColumns(coll, cols.columns);
    assert.deepEqual(names, namesOfRows(schemaNames, rows), `names of ${output_fields.join(',')}`);
    assert.deepEqual(fieldsDataFromColumns(coll, cols.columns, names), fieldsDataFromRows(coll, rows, names), `fields of ${output_fields.join(',')}`);
  }
  const search = { collection_name: 'c', anns_field: 'fv', data: [[0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0.5, 0.5]], limit: 7, metric_type: 'L2', consistency_level: 'Strong' as const };
  for (const extra of [{ output_fields: ['*'] }, { output_fields: ['s', 'extra'], params: { group_by_field: 's', group_size: 2 } }, { output_fields: ['hv'], offset: 2 }]) {
    const cols = await db.searchColumns({ ...search, ...extra });
    const rows = ((await db.search({ ...search, ...extra })).results as Array<Array<Record<string, unknown>>>).flat();
    assert.deepEqual(cols.lists.flat().map((h) => h.key), rows.map((h) => h['id']));
    assert.deepEqual(cols.lists.flat().map((h) => h.score), rows.map((h) => h['score']));
    const bare = rows.map(({ score: _s, ...rest }) => rest);
    // The rows form adds `id` (the key) to each hit; the wire form does not.
    const wireRows = bare.map(({ id: _id, ...rest }) => rest);
    const withGroup = cols.groupField
      ? { ...cols.columns, fields: [...cols.columns.fields.filter((c) => c.field.name !== cols.groupField), { field: coll.schema.fields.find((f) => f.name === cols.groupField)!, kind: 'values' as const, values: cols.lists.flat().map((h) => h.group) }] }
      : cols.columns;
    const names = outputNamesOfColumns(coll, withGroup);
    // The handler's rows: each hit's fields with the key under the primary key's name ('id' here).
    const handlerRows = wireRows.map((r, i) => ({ ...r, id: bare[i]!['id'] }));
    assert.deepEqual(names, namesOfRows(schemaNames, handlerRows));
    assert.deepEqual(fieldsDataFromColumns(coll, withGroup, names), fieldsDataFromRows(coll, handlerRows, names), `search fields of ${JSON.stringify(extra)}`);
  }
}, { storage: 'memory' }));
