// The pymilvus mirrors in wire.ts fail where pymilvus fails: without this, the item tests
// that pass today could pass against a server that breaks Python programs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, MilvusException, PymilvusClientError, hasCollectionFromDescribe, insertRequest, queryRowCount, readMutationCost, schemaDict } from './wire.js';

const describeReply = (withMeta: boolean) => ({
  status: { code: 0, error_code: 0 },
  update_timestamp: '5',
  schema: {
    enable_dynamic_field: true,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true, type_params: [] },
      { name: 'vector', data_type: DataType.FloatVector, type_params: [{ key: 'dim', value: '2' }] },
      ...(withMeta ? [{ name: '$meta', data_type: DataType.JSON, is_dynamic: true, type_params: [] }] : []),
    ],
  },
});

test('wire: the row builder fails as pymilvus does ("<get>") when DescribeCollection lists $meta, and not otherwise', () => {
  const rows = [{ id: 1, vector: [0, 1], color: 'red' }];
  assert.throws(() => insertRequest('c', rows, schemaDict(describeReply(true))), (e: unknown) => e instanceof PymilvusClientError && /<get>/.test(e.message));
  const req = insertRequest('c', rows, schemaDict(describeReply(false)));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const meta = (req.fields_data as any[]).find((c) => c.field_name === '$meta');
  assert.equal(meta.is_dynamic, true);
  assert.equal(Buffer.from(meta.scalars.json_data.data[0]).toString(), '{"color":"red"}');
});

test('wire: query reading raises "No fields returned" on an empty fields_data, and has_collection raises on other errors', () => {
  assert.throws(() => queryRowCount({ status: { code: 0, error_code: 0 }, fields_data: [] }), (e: unknown) => e instanceof MilvusException && e.reason === 'No fields returned');
  assert.throws(() => hasCollectionFromDescribe({ status: { code: 1100, error_code: 5, reason: 'Invalid collection name' } }), MilvusException);
  assert.equal(hasCollectionFromDescribe({ status: { code: 0, error_code: 4, reason: "can't find collection[database=default][collection=x]" } }), false);
});

test('wire: a mutation reply with extra_info but no report_value breaks pymilvus (KeyError)', () => {
  assert.throws(() => readMutationCost({ extra_info: { scanned_total_bytes: '10' } }), PymilvusClientError);
  assert.equal(readMutationCost({ extra_info: {} }), 0);
  assert.equal(readMutationCost({ extra_info: { report_value: '7' } }), 7);
  assert.throws(() => readMutationCost({ extra_info: { report_value: '1.5' } }), PymilvusClientError);
});
