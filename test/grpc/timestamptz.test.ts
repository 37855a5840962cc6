// Timestamptz through the official Node SDK 2.6, as Milvus 2.6 documents it: the schema
// (nullable, a default), ISO 8601 text in (offsets, a space for T, no offset = the
// collection's timezone), ISO 8601 text out in the collection's (or the search's)
// timezone, filters with ISO literals and INTERVAL arithmetic, is null, STL_SORT only,
// and coded errors for bad text with nothing stored. Expected instants are written out
// by hand in UTC.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsistencyLevelEnum, DataType } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, startHarness, type Harness } from './helpers.js';

let h: Harness;

/** What each row stores (the text sent) and the instant it means, in UTC. */
const rows: Array<{ id: number; ts: string | null; utc: string | null }> = [
  { id: 1, ts: '2025-01-01T00:00:00Z', utc: '2025-01-01T00:00:00Z' },
  { id: 2, ts: '2025-01-01T08:00:00+08:00', utc: '2025-01-01T00:00:00Z' },
  { id: 3, ts: '2025-01-02 03:04:05.123456-05:00', utc: '2025-01-02T08:04:05.123456Z' },
  { id: 4, ts: '2024-02-29T23:59:59.5+14:00', utc: '2024-02-29T09:59:59.5Z' },
  { id: 5, ts: '2025-03-01 12:00:00+08', utc: '2025-03-01T04:00:00Z' },
  { id: 6, ts: '2025-06-15T12:00:00', utc: '2025-06-15T12:00:00Z' },
  { id: 7, ts: null, utc: null },
  { id: 8, ts: '2025-01-31T00:00:00Z', utc: '2025-01-31T00:00:00Z' },
];

const idsOf = (data: Array<Record<string, unknown>>) => data.map((r) => Number(r['id'])).sort((a, b) => a - b);
const byId = (data: Array<Record<string, unknown>>, field: string) => Object.fromEntries(data.map((r) => [Number(r['id']), r[field]]));

before(async () => {
  h = await startHarness();
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'tz', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'ts', data_type: DataType.Timestamptz, nullable: true },
    // The SDK turns the text into microseconds itself and sends timestamptz_data.
    { name: 'td', data_type: DataType.Timestamptz, default_value: '2025-01-01T00:00:00+08:00' },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }));
  assertOk(await c.insert({ collection_name: 'tz', data: rows.map((r) => ({ id: r.id, ts: r.ts, v: [r.id, 1] })) }));
  assertOk(await c.createIndex({ collection_name: 'tz', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionSync({ collection_name: 'tz' }));
});
after(() => h.close());

test('describe reports Timestamptz fields, nullable, and the default as text in the collection timezone', async () => {
  const d = await h.client.describeCollection({ collection_name: 'tz' });
  assertOk(d);
  const ts = d.schema.fields.find((x) => x.name === 'ts')!;
  const td = d.schema.fields.find((x) => x.name === 'td')!;
  assert.equal(ts.data_type, 'Timestamptz');
  assert.equal(ts.nullable, true);
  assert.equal(td.data_type, 'Timestamptz');
  // The SDK hands the ValueField's one value back as it came: text.
  assert.equal(td.default_value, '2024-12-31T16:00:00Z');
});

test('insert and query: each instant read back in UTC, nulls as null, the default where a row gives none', async () => {
  const q = await h.client.query({ collection_name: 'tz', filter: 'id > 0', output_fields: ['ts', 'td'], consistency_level: ConsistencyLevelEnum.Strong });
  assertOk(q);
  assert.deepEqual(byId(q.data, 'ts'), Object.fromEntries(rows.map((r) => [r.id, r.utc])));
  assert.deepEqual(new Set(Object.values(byId(q.data, 'td'))), new Set(['2024-12-31T16:00:00Z']));
  const got = await h.client.get({ collection_name: 'tz', ids: [3], output_fields: ['ts'] });
  assert.equal(got.data[0]!['ts'], '2025-01-02T08:04:05.123456Z');
});

test('filters: ISO literals with each operator, both ways round, INTERVAL arithmetic, is null, and three-valued not', async () => {
  const ids = async (filter: string) => {
    const q = await h.client.query({ collection_name: 'tz', filter, output_fields: ['id'], consistency_level: ConsistencyLevelEnum.Strong });
    assertOk(q, filter);
    return idsOf(q.data);
  };
  assert.deepEqual(await ids("ts == ISO '2025-01-01T08:00:00+08:00'"), [1, 2]);
  assert.deepEqual(await ids("ts != ISO '2025-01-01T00:00:00Z'"), [3, 4, 5, 6, 8]);
  assert.deepEqual(await ids("ts > ISO '2025-01-01T00:00:00Z'"), [3, 5, 6, 8]);
  assert.deepEqual(await ids("ts >= ISO '2025-01-01T00:00:00Z'"), [1, 2, 3, 5, 6, 8]);
  assert.deepEqual(await ids("ts < ISO '2025-01-01 00:00:00Z'"), [4]);
  assert.deepEqual(await ids("ts <= iso '2025-01-02T08:04:05.123456Z'"), [1, 2, 3, 4]);
  assert.deepEqual(await ids("ISO '2025-01-01T00:00:00Z' < ts"), [3, 5, 6, 8]);
  assert.deepEqual(await ids("ts >= ISO '2025-01-01T00:00:00Z' and ts < ISO '2025-02-01T00:00:00Z'"), [1, 2, 3, 8]);
  // Jan 31 + 1 month is Feb 31, which the UTC calendar normalizes to Mar 3.
  assert.deepEqual(await ids("ts + INTERVAL 'P1M' == ISO '2025-03-03T00:00:00Z'"), [8]);
  assert.deepEqual(await ids("ts - INTERVAL 'PT8H' == ISO '2024-12-31T16:00:00Z'"), [1, 2]);
  assert.deepEqual(await ids("ts + INTERVAL 'P0D' != ISO '2025-01-01T00:00:00Z'"), [3, 4, 5, 6, 8]);
  assert.deepEqual(await ids("ISO '2025-06-16T12:00:00Z' <= ts + INTERVAL 'P1D'"), [6]);
  assert.deepEqual(await ids('ts is null'), [7]);
  assert.deepEqual(await ids('ts is not null and id < 3'), [1, 2]);
  // A null ts is unknown, and not unknown is unknown: row 7 matches neither.
  assert.deepEqual(await ids("not (ts > ISO '2025-01-01T00:00:00Z')"), [1, 2, 4]);
  // A default fills td: every row has it.
  assert.deepEqual(await ids("td == ISO '2024-12-31T16:00:00Z'"), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('filters Milvus refuses are coded FILTER_TYPE / FILTER_SYNTAX errors', async () => {
  const bad = async (filter: string, elanus: string, reason: RegExp) => {
    const q = await h.client.query({ collection_name: 'tz', filter, output_fields: ['id'] });
    assertErr(q, { code: 1100, elanus, reason });
  };
  await bad("id > ISO '2025-01-01T00:00:00Z'", 'FILTER_TYPE', /field 'id' is not a timestamptz datatype/);
  await bad('ts > 5', 'FILTER_TYPE', /Timestamptz field "ts" can only be compared with an ISO timestamp literal/);
  await bad('ts == "2025-01-01T00:00:00Z"', 'FILTER_TYPE', /Timestamptz field "ts"/);
  await bad("ts > ISO 'yesterday'", 'FILTER_TYPE', /invalid timestamp string: 'yesterday'/);
  await bad("ts + INTERVAL 'P1W' > ISO '2025-01-01T00:00:00Z'", 'FILTER_TYPE', /invalid ISO 8601 duration "P1W"/);
  await bad("ISO '2025-01-01T00:00:00Z'", 'FILTER_SYNTAX', /must be compared with a Timestamptz field/);
});

test('invalid text is refused with INVALID_TIMESTAMP naming field and row, and nothing of the batch is stored', async () => {
  const c = h.client;
  const count = async () => (await c.query({ collection_name: 'tz', output_fields: ['count(*)'], consistency_level: ConsistencyLevelEnum.Strong })).data[0]!['count(*)'];
  const before = await count();
  for (const ts of ['yesterday', '2025-02-30T00:00:00Z', '2025-01-01T00:00:00+15:00', '2025-01-01']) {
    const r = await c.insert({ collection_name: 'tz', data: [{ id: 100, ts: '2025-01-01T00:00:00Z', v: [0, 0] }, { id: 101, ts, v: [0, 0] }] });
    assertErr(r, { code: 1100, elanus: 'INVALID_TIMESTAMP', reason: /field "ts" in row 1: invalid timestamp string/ });
  }
  assert.equal(await count(), before);
  assert.equal(Number(before), rows.length);
});

test('the collection timezone places text without an offset and renders results; a search may name its own', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'sh', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'ts', data_type: DataType.Timestamptz },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ], properties: { timezone: 'Asia/Shanghai' } }));
  assertOk(await c.insert({ collection_name: 'sh', data: [
    { id: 1, ts: '2025-01-01 08:00:00', v: [1, 0] },
    { id: 2, ts: '2025-01-01T00:00:00Z', v: [0, 1] },
  ] }));
  assertOk(await c.createIndex({ collection_name: 'sh', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionSync({ collection_name: 'sh' }));
  const q = await c.query({ collection_name: 'sh', filter: "ts == ISO '2025-01-01T08:00:00'", output_fields: ['ts'], consistency_level: ConsistencyLevelEnum.Strong });
  assertOk(q);
  assert.deepEqual(idsOf(q.data), [1, 2]);
  assert.deepEqual(new Set(q.data.map((r) => r['ts'])), new Set(['2025-01-01T08:00:00+08:00']));
  const s = await c.search({ collection_name: 'sh', data: [1, 0] as never, limit: 1, output_fields: ['ts'], params: { timezone: 'America/New_York' }, consistency_level: ConsistencyLevelEnum.Strong });
  assertOk(s);
  assert.equal(s.results[0]!['ts'], '2024-12-31T19:00:00-05:00');
  const bad = await c.search({ collection_name: 'sh', data: [1, 0] as never, limit: 1, params: { timezone: 'Mars/Olympus' } });
  assertErr(bad, { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /unknown or invalid IANA Time Zone ID: Mars\/Olympus/ });
  // Changing the property changes how results read.
  assertOk(await c.alterCollectionProperties({ collection_name: 'sh', properties: { timezone: 'Asia/Tokyo' } }));
  const q2 = await c.query({ collection_name: 'sh', filter: 'id == 2', output_fields: ['ts'], consistency_level: ConsistencyLevelEnum.Strong });
  assert.equal(q2.data[0]!['ts'], '2025-01-01T09:00:00+09:00');
  assertErr(await c.alterCollectionProperties({ collection_name: 'sh', properties: { timezone: '+08:00' } }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /unknown or invalid IANA Time Zone ID: \+08:00/ });
});

test('scalar indexes: STL_SORT (and AUTOINDEX) on Timestamptz, INVERTED and BITMAP refused as in Milvus; filters answer the same', async () => {
  const c = h.client;
  for (const index_type of ['INVERTED', 'BITMAP', 'Trie']) {
    assertErr(await c.createIndex({ collection_name: 'tz', field_name: 'ts', index_type }), { code: 1100, elanus: 'INDEX_TYPE_INVALID', reason: /allowed: STL_SORT, AUTOINDEX/ });
  }
  assertOk(await c.createIndex({ collection_name: 'tz', field_name: 'ts', index_type: 'STL_SORT' }));
  assertOk(await c.flushSync({ collection_names: ['tz'] }));
  const q = await c.query({ collection_name: 'tz', filter: "ts > ISO '2025-01-01T00:00:00Z' and ts < ISO '2025-03-01T12:00:00+08:00'", output_fields: ['ts'], consistency_level: ConsistencyLevelEnum.Strong });
  assertOk(q);
  assert.deepEqual(idsOf(q.data), [3, 8]);
});
