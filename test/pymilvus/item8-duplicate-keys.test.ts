// Issue 21 item 8: duplicate primary keys inside one batch.
//
// Insert: Milvus 2.6 accepts the batch. internal/proxy/impl.go Insert sets insert_cnt to
// the request's num_rows ("InsertCnt always equals to the number of entities in the
// request") and task_insert.go returns the primary key column as IDs, duplicates
// included; nothing in the insert path looks for duplicates. Which row a read then sees
// is not a Milvus contract: its maintainers call same-batch duplicates "not supported ...
// currently undefined" (milvus issue 52047; older reports, issue 36199, saw the oldest
// row). Elanus keeps keys unique, and issue 21 chose upsert semantics inside the batch:
// the last row of a key wins. The read-back assertion below is that Elanus decision, not
// a Milvus behaviour.
// Upsert: Milvus 2.6 refuses a batch with duplicate keys since PR 46035 ("[2.6] reject
// duplicate primary keys in upsert batch request", Dec 2025): task_upsert.go PreExecute →
// CheckDuplicatePkExist → merr.WrapErrParameterInvalidMsg("duplicate primary keys are
// not allowed in the same batch"), code 1100.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { describeSchema, quickSetup, vec } from './flows.js';
import { assertError, assertSuccess } from './expect.js';
import { dynamicValues, guaranteeAfter, insertRequest, queryRequest, queryRowCount, upsertRequest } from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const dim = 4;

test('issue 21 item 8: an insert batch that repeats a primary key is accepted; insert_cnt and IDs count every row sent', async () => {
  await quickSetup(w, 'dup_insert', dim);
  const schema = await describeSchema(w, 'dup_insert');
  const rows = [
    { id: 1, vector: vec(1, dim), v: 'first' },
    { id: 2, vector: vec(2, dim), v: 'only' },
    { id: 1, vector: vec(3, dim), v: 'last' },
  ];
  const r = await w.call('Insert', insertRequest('dup_insert', rows, schema));
  assertSuccess(r.status, 'Insert');
  assert.equal(Number(r.insert_cnt), 3);
  assert.deepEqual(r.IDs.int_id.data.map(Number), [1, 2, 1]);
  // Elanus's rule (issue 21): one row per key, the last one of the batch.
  const q = await w.call('Query', queryRequest('dup_insert', { filter: 'id == 1', guaranteeTs: guaranteeAfter(r) }));
  assert.equal(queryRowCount(q), 1);
  assert.deepEqual(dynamicValues(q), [{ v: 'last' }]);
  const all = await w.call('Query', queryRequest('dup_insert', { filter: 'id >= 0', outputFields: ['id'], guaranteeTs: guaranteeAfter(r) }));
  assert.equal(queryRowCount(all), 2);
});

test('issue 21 item 8: an upsert batch that repeats a primary key is refused (1100), as Milvus 2.6 does', async () => {
  await quickSetup(w, 'dup_upsert', dim);
  const schema = await describeSchema(w, 'dup_upsert');
  const r = await w.call('Upsert', upsertRequest('dup_upsert', [{ id: 5, vector: vec(1, dim) }, { id: 5, vector: vec(2, dim) }], schema));
  assertError(r.status, { code: 1100, reason: /duplicate primary keys are not allowed in the same batch/ }, 'Upsert with a repeated key');
});
