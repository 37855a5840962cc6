// A filter is parsed once (issue 13): the primary-key fast path is read off the checked
// tree, not matched by a pattern over the text first. So it takes template values and
// every spelling of key equality, and leaves everything else to the predicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveFilter } from '../../src/query/filter.js';
import { DataType, type CollectionSchema } from '../../src/catalog/types.js';
import { field, schema } from './schema.js';

const keysOf = (s: CollectionSchema, expr: string, params?: Record<string, unknown>) => {
  const f = resolveFilter(s, expr, params);
  return f.kind === 'keys' ? f.values : f.kind;
};

test('key equality is a key plan, however it is written', () => {
  assert.deepEqual(keysOf(schema, 'id in [1, 2, 3]'), [1n, 2n, 3n]);
  assert.deepEqual(keysOf(schema, 'id == 7'), [7n]);
  assert.deepEqual(keysOf(schema, '7 == id'), [7n]);
  assert.deepEqual(keysOf(schema, '(id == 1) or id in [2, 3]'), [1n, 2n, 3n]);
  assert.deepEqual(keysOf(schema, 'id IN [9223372036854775807]'), [9223372036854775807n]);
  assert.deepEqual(keysOf(schema, 'id in {ids}', { ids: [4, 5] }), [4n, 5n]);
  assert.deepEqual(keysOf(schema, 'id == {x}', { x: 6 }), [6n]);
});

test('anything else is a predicate or everything', () => {
  assert.equal(keysOf(schema, ''), 'all');
  assert.equal(keysOf(schema, 'id > 3'), 'predicate');
  assert.equal(keysOf(schema, 'id in [1, 2] and price > 1'), 'predicate');
  assert.equal(keysOf(schema, 'id in [1, 2] or price > 1'), 'predicate');
  assert.equal(keysOf(schema, 'not (id in [1])'), 'predicate');
  assert.equal(keysOf(schema, 'big == 3'), 'predicate', 'an Int64 field that is not the key');
  // A float against an integer key is refused, as Milvus refuses to cast it to Int64.
  assert.throws(() => resolveFilter(schema, 'id == 1.5'), { code: 'FILTER_TYPE' });
  // In a list it is refused, as Milvus refuses to cast it to Int64.
  assert.throws(() => resolveFilter(schema, 'id in [1.5, 2]'), { code: 'FILTER_TYPE' });
  assert.throws(() => resolveFilter(schema, 'id in [1.0]'), { code: 'FILTER_TYPE' });
});

test('a VarChar primary key takes strings in either quote', () => {
  const s: CollectionSchema = {
    fields: [field('pk', DataType.VarChar, { isPrimary: true, maxLength: 32 }), field('v', DataType.FloatVector, { dim: 2 })],
    enableDynamicField: false, description: '',
  };
  assert.deepEqual(keysOf(s, `pk in ["a", 'b']`), ['a', 'b']);
  assert.deepEqual(keysOf(s, 'pk == "x\\"y"'), ['x"y']);
});

test('a filter that does not parse or check is one coded error, with no fast path to hide it', () => {
  assert.throws(() => resolveFilter(schema, 'id in [1, 2'), { code: 'FILTER_SYNTAX' });
  assert.throws(() => resolveFilter(schema, 'id == "a"'), (e: unknown) => (e as { code?: string }).code !== undefined);
  assert.throws(() => resolveFilter(schema, 5 as unknown), { code: 'INVALID_ARGUMENT' });
});
