// Timestamptz through Milvus's RESTful API v2 against the real server: a schema with
// Timestamptz fields (nullable, an ISO 8601 default), rows as ISO 8601 text, query and
// search results as text in the collection's timezone, ISO/INTERVAL filters, and coded
// errors for text that is no timestamp, with nothing of a refused request stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restHarness } from './rest-harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const { post } = restHarness('elanus-rest-tz-');

const rows = [
  { id: 1, ts: '2025-01-01T08:00:00+08:00', v: [1, 0] },
  { id: 2, ts: '2025-01-01 12:00:00', v: [2, 0] },
  { id: 3, ts: null, v: [3, 0] },
  { id: 4, v: [4, 0] },
];

test('REST: create, describe, insert and query Timestamptz fields in the collection timezone', async () => {
  const created = await post('/collections/create', {
    collectionName: 'rt',
    schema: { fields: [
      { fieldName: 'id', dataType: 'Int64', isPrimary: true },
      { fieldName: 'ts', dataType: 'Timestamptz', nullable: true },
      { fieldName: 'td', dataType: 'Timestamptz', defaultValue: '2025-01-01 09:00:00' },
      { fieldName: 'v', dataType: 'FloatVector', elementTypeParams: { dim: 2 } },
    ] },
    properties: { timezone: 'Asia/Tokyo' },
    indexParams: [{ fieldName: 'v', indexName: 'v', metricType: 'L2', indexType: 'FLAT' }],
  });
  assert.equal(created.code, 0, created.message);
  const d = await post('/collections/describe', { collectionName: 'rt' });
  assert.equal(d.code, 0, d.message);
  const ts = (d.data.fields as Json[]).find((x) => x.name === 'ts');
  const td = (d.data.fields as Json[]).find((x) => x.name === 'td');
  assert.equal(ts.type, 'Timestamptz');
  assert.equal(ts.nullable, true);
  // The default had no offset: Tokyo time, and so it is described.
  assert.equal(td.defaultValue, '2025-01-01T09:00:00+09:00');

  const ins = await post('/entities/insert', { collectionName: 'rt', data: rows });
  assert.equal(ins.code, 0, ins.message);
  const q = await post('/entities/query', { collectionName: 'rt', filter: 'id > 0', outputFields: ['ts', 'td'], limit: 10 });
  assert.equal(q.code, 0, q.message);
  assert.deepEqual((q.data as Json[]).map((x) => ({ id: Number(x.id), ts: x.ts, td: x.td })).sort((a, b) => a.id - b.id), [
    { id: 1, ts: '2025-01-01T09:00:00+09:00', td: '2025-01-01T09:00:00+09:00' },
    // No offset: Tokyo time.
    { id: 2, ts: '2025-01-01T12:00:00+09:00', td: '2025-01-01T09:00:00+09:00' },
    { id: 3, ts: null, td: '2025-01-01T09:00:00+09:00' },
    { id: 4, ts: null, td: '2025-01-01T09:00:00+09:00' },
  ]);
  const f = await post('/entities/query', { collectionName: 'rt', filter: "ts + INTERVAL 'PT3H' == ISO '2025-01-01T06:00:00Z'", outputFields: ['id'], limit: 10 });
  assert.equal(f.code, 0, f.message);
  assert.deepEqual((f.data as Json[]).map((x) => Number(x.id)), [2]);
  const s = await post('/entities/search', { collectionName: 'rt', annsField: 'v', data: [[1, 0]], limit: 1, filter: "ts < ISO '2025-01-01T01:00:00Z'", outputFields: ['ts'] });
  assert.equal(s.code, 0, s.message);
  assert.deepEqual((s.data as Json[]).map((x) => ({ id: Number(x.id), ts: x.ts })), [{ id: 1, ts: '2025-01-01T09:00:00+09:00' }]);
});

test('REST: text that is no timestamp is refused with field and row, and nothing is stored', async () => {
  const count = async () => ((await post('/entities/query', { collectionName: 'rt', filter: 'id > 0', outputFields: ['id'], limit: 100 })).data as Json[]).length;
  const n = await count();
  for (const bad of ['2025-01-01T00:00:00+08', 'tomorrow', '2025-04-31 00:00:00']) {
    const r = await post('/entities/insert', { collectionName: 'rt', data: [{ id: 10, ts: '2025-01-01T00:00:00Z', v: [0, 0] }, { id: 11, ts: bad, v: [0, 0] }] });
    assert.equal(r.code, 1100, JSON.stringify(r));
    assert.match(r.message ?? '', /INVALID_TIMESTAMP: field "ts" in row 1: invalid timestamp string/);
  }
  const filter = await post('/entities/query', { collectionName: 'rt', filter: "id > ISO '2025-01-01T00:00:00Z'", outputFields: ['id'], limit: 10 });
  assert.equal(filter.code, 1100);
  assert.match(filter.message ?? '', /field 'id' is not a timestamptz datatype/);
  assert.equal(await count(), n);
});
