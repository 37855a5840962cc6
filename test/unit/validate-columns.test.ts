// One columnar shape (issue 13): a batch given as columns (the gRPC layer's decoded
// FieldData) is validated as columns, with no row objects, and must give exactly what the
// same batch given as rows gives: the same columns, keys and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DataType, type CollectionMeta, type FieldSchema } from '../../src/catalog/index.js';
import { type ColumnBatch, type InputColumn, validateColumns, validateRows } from '../../src/gateway/validate.js';

let nextId = 100;
function field(name: string, type: DataType, extra: Partial<FieldSchema> = {}): FieldSchema {
  return { fieldId: nextId++, name, description: '', type, isPrimary: false, autoId: false, nullable: false, isPartitionKey: false, isDynamic: false, ...extra };
}

const dim = 3;
const fields: FieldSchema[] = [
  field('id', DataType.Int64, { isPrimary: true }),
  field('v', DataType.FloatVector, { dim }),
  field('n', DataType.Int32, { nullable: true }),
  field('s', DataType.VarChar, { maxLength: 4 }),
  field('j', DataType.JSON, { nullable: true }),
  field('a', DataType.Array, { elementType: DataType.Int64, maxCapacity: 2 }),
  field('d', DataType.Double, { defaultValue: 1.5 }),
  field('$meta', DataType.JSON, { isDynamic: true }),
];
const coll = { id: 1, name: 'c', schema: { fields, enableDynamicField: true, description: '' } } as unknown as CollectionMeta;

/** Mostly valid values, sometimes not (wrong type, too long, NaN, missing). */
const value: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: -5, max: 50 }) }, { weight: 1, arbitrary: fc.constantFrom('x', 1.5, null) }),
  v: fc.oneof(
    { weight: 9, arbitrary: fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -10, max: 10 }), { minLength: dim, maxLength: dim }) },
    { weight: 1, arbitrary: fc.constantFrom([1, 2], [1, Number.NaN, 3], 'v') },
  ),
  n: fc.oneof(fc.integer({ min: -100, max: 100 }), fc.constant(null), fc.constant(2 ** 40)),
  s: fc.oneof({ weight: 9, arbitrary: fc.string({ maxLength: 4 }) }, { weight: 1, arbitrary: fc.constantFrom('toolong', 7) }),
  j: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
  a: fc.oneof({ weight: 9, arbitrary: fc.array(fc.integer(), { maxLength: 2 }) }, { weight: 1, arbitrary: fc.constantFrom([1, 2, 3], ['x']) }),
  d: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.constant(undefined)),
  extra: fc.oneof(fc.constant(undefined), fc.integer(), fc.string({ maxLength: 3 })),
};

const rowsArb = fc.array(fc.record(value, { requiredKeys: ['id', 'v', 's', 'a'] }), { minLength: 1, maxLength: 6 });

function asColumns(rows: ReadonlyArray<Record<string, unknown>>, flat: boolean): ColumnBatch {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))]; // spread-bounded: a handful of names
  const columns = new Map<string, InputColumn>();
  for (const name of names) {
    const values = rows.map((r) => (name in r ? r[name] : undefined));
    const vectors = values as unknown[][];
    if (name === 'v' && flat && vectors.every((x) => Array.isArray(x) && x.length === dim && x.every((y) => typeof y === 'number'))) {
      columns.set(name, { floats: Float32Array.from(vectors.flat()) });
    } else {
      columns.set(name, { values });
    }
  }
  return { count: rows.length, columns };
}

function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    return { code: (e as { code?: string }).code ?? String(e) };
  }
}

/** Rows missing a key and rows with the key set to undefined mean the same; a flat column cannot say "missing". */
function comparable(rows: ReadonlyArray<Record<string, unknown>>): boolean {
  return rows.every((r) => 'v' in r);
}

test('columns validate to exactly what the same rows validate to (values and refusals)', (t) => {
  const stats: Record<string, number> = {};
  fc.assert(fc.property(rowsArb, fc.boolean(), fc.boolean(), (rows, flat, upsert) => {
    fc.pre(comparable(rows));
    const byRows = outcome(() => validateRows(coll, rows, { upsert }));
    const byColumns = outcome(() => validateColumns(coll, asColumns(rows, flat), { upsert }));
    const kind = (byRows as { code?: string }).code ?? 'ok';
    stats[kind] = (stats[kind] ?? 0) + 1;
    if ('code' in (byRows as object)) {
      // Both refuse; the column form names row 0 for a column-wide problem, so only the code is compared.
      assert.deepEqual(byColumns, byRows);
    } else {
      assert.deepEqual(byColumns, byRows);
    }
  }), { numRuns: 400 });
  t.diagnostic(`outcomes: ${JSON.stringify(stats)}`);
  assert.ok((stats['ok'] ?? 0) > 40 && Object.keys(stats).length > 3, 'both accepted and refused batches of several kinds were tried');
});

test('a flat float column is checked for finite values and length, and kept as its own copy', () => {
  const floats = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const batch: ColumnBatch = { count: 2, columns: new Map<string, InputColumn>([
    ['id', { values: [1, 2] }], ['v', { floats }], ['s', { values: ['a', 'b'] }], ['a', { values: [[], [1]] }],
  ]) };
  const out = validateColumns(coll, batch);
  const stored = out.columns[1]!.values as Float32Array;
  assert.deepEqual([...stored], [1, 2, 3, 4, 5, 6]);
  floats[0] = 99;
  assert.equal(stored[0], 1, 'the caller changing its array does not change what is stored');
  const bad = (f: Float32Array, count = 2) => validateColumns(coll, { count, columns: new Map<string, InputColumn>([...batch.columns, ['v', { floats: f }]]) }); // spread-bounded: four columns
  assert.throws(() => bad(Float32Array.from([1, 2, 3, 4, Number.NaN, 6])), { code: 'VALUE_NOT_FINITE' });
  assert.throws(() => bad(Float32Array.from([1, 2, 3, 4, 5])), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => validateColumns(coll, { count: 2, columns: new Map<string, InputColumn>([...batch.columns, ['s', { values: ['a'] }]]) }), { code: 'INVALID_ARGUMENT' }); // spread-bounded: four columns
  assert.throws(() => validateColumns(coll, { count: 0, columns: new Map() }), { code: 'INVALID_ARGUMENT' });
});
