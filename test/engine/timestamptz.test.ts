// Timestamptz through the engine: values kept exact (to the microsecond, before and after
// the epoch) through the log, a flush, compaction and restarts; upserts and partial
// upserts; the database's timezone when the collection names none; a field added later
// with a default; a scalar index answering the same as a scan. Expected values are
// written out by hand in UTC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, openEngine } from './helpers.js';
import type { Elanus } from '../../src/engine/index.js';

const fields = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'ts', data_type: DataType.Timestamptz, nullable: true },
  { name: 'v', data_type: DataType.FloatVector, dim: 2 },
];

/** Text sent, and the instant in UTC as results give it. */
const sent: Array<[number, string | null, string | null]> = [
  [1, '2025-01-01T00:00:00.000001Z', '2025-01-01T00:00:00.000001Z'],
  [2, '1969-12-31T23:59:59.999999Z', '1969-12-31T23:59:59.999999Z'],
  [3, '0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
  [4, '9999-12-31T23:59:59.999999+14:00', '9999-12-31T09:59:59.999999Z'],
  [5, '2000-02-29 12:30:00-03:30', '2000-02-29T16:00:00Z'],
  [6, null, null],
];

async function read(db: Elanus, name: string, timezone?: string): Promise<Record<number, unknown>> {
  const r = await db.query({ collection_name: name, filter: 'id >= 0', output_fields: ['ts'], limit: 100, consistency_level: 'Strong', ...(timezone ? { timezone } : {}) });
  return Object.fromEntries(r.data.map((x) => [x['id'] as number, x['ts']]));
}

const want = (rows: typeof sent) => Object.fromEntries(rows.map(([id, , utc]) => [id, utc]));

test('Timestamptz values stay exact through the log, flush, compaction and restarts', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await h.db.createCollection({ collection_name: 'c', fields });
    await h.db.loadCollection({ collection_name: 'c' });
    await h.db.insert({ collection_name: 'c', data: sent.slice(0, 3).map(([id, ts]) => ({ id, ts, v: [id, 0] })) });
    await h.db.flush({ collection_names: ['c'] });
    // The rest only in the log: a restart replays it.
    await h.db.insert({ collection_name: 'c', data: sent.slice(3).map(([id, ts]) => ({ id, ts, v: [id, 0] })) });
    assert.deepEqual(await read(h.db, 'c'), want(sent));
    let db = await h.reopen();
    await db.loadCollection({ collection_name: 'c' });
    assert.deepEqual(await read(db, 'c'), want(sent));
    // Two sealed segments compacted into one.
    await db.flush({ collection_names: ['c'] });
    await db.compact({ collection_name: 'c' });
    assert.deepEqual(await read(db, 'c'), want(sent));
    db = await h.reopen();
    await db.loadCollection({ collection_name: 'c' });
    assert.deepEqual(await read(db, 'c'), want(sent));
    assert.deepEqual(await read(db, 'c', 'Asia/Shanghai'), {
      ...want(sent), 1: '2025-01-01T08:00:00.000001+08:00', 2: '1970-01-01T07:59:59.999999+08:00', 5: '2000-03-01T00:00:00+08:00',
      // Before 1901 Shanghai's zone data has local mean time (+08:05:43): Go prints the minutes only.
      3: '0001-01-01T08:05:43+08:05', 4: '9999-12-31T17:59:59.999999+08:00',
    });
    // Filters over sealed rows, with and without an index.
    const ids = async (filter: string) => (await db.query({ collection_name: 'c', filter, output_fields: ['id'], consistency_level: 'Strong' })).data.map((x) => x['id'] as number).sort((a, b) => a - b);
    const filters: Array<[string, number[]]> = [
      ["ts < ISO '1970-01-01T00:00:00Z'", [2, 3]],
      ["ts >= ISO '2000-02-29T16:00:00Z'", [1, 4, 5]],
      ["ts == ISO '2025-01-01T00:00:00.000001Z'", [1]],
      // Row 2 moved by one second is 1970-01-01T00:00:00.999999Z.
    ["ts + INTERVAL 'PT1S' > ISO '1970-01-01T00:00:00.5Z'", [1, 2, 4, 5]],
    ];
    for (const [f, expected] of filters) assert.deepEqual(await ids(f), expected, f);
    await db.createIndex({ collection_name: 'c', field_name: 'ts', index_type: 'STL_SORT' });
    for (const [f, expected] of filters) assert.deepEqual(await ids(f), expected, `${f} (STL_SORT)`);
  } finally {
    await h.dispose();
  }
});

test('Timestamptz: upserts and partial upserts replace or keep the stored instant; bad text stores nothing', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    const db = h.db;
    await db.createCollection({ collection_name: 'u', fields: [...fields, { name: 'n', data_type: DataType.Int32, nullable: true }] });
    await db.loadCollection({ collection_name: 'u' });
    await db.insert({ collection_name: 'u', data: [{ id: 1, ts: '2025-01-01T00:00:00Z', n: 1, v: [1, 0] }, { id: 2, ts: '2025-01-02T00:00:00Z', n: 2, v: [2, 0] }] });
    await db.upsert({ collection_name: 'u', data: [{ id: 1, ts: '2026-01-01T09:00:00+09:00', n: 10, v: [1, 0] }] });
    await db.upsert({ collection_name: 'u', partial_update: true, data: [{ id: 2, n: 20 }] });
    assert.deepEqual(await read(db, 'u'), { 1: '2026-01-01T00:00:00Z', 2: '2025-01-02T00:00:00Z' });
    await assert.rejects(db.upsert({ collection_name: 'u', partial_update: true, data: [{ id: 2, ts: '2025-01-02T25:00:00Z' }] }),
      (e: Error & { code?: string }) => e.code === 'INVALID_TIMESTAMP' && /field "ts" in row 0: invalid timestamp string: "2025-01-02T25:00:00Z": hour out of range/.test(e.message));
    await assert.rejects(db.insert({ collection_name: 'u', data: [{ id: 3, ts: 1735689600000, v: [0, 0] }] }), { code: 'WRONG_TYPE' });
    assert.deepEqual(await read(db, 'u'), { 1: '2026-01-01T00:00:00Z', 2: '2025-01-02T00:00:00Z' });
  } finally {
    await h.dispose();
  }
});

test('Timestamptz: the database timezone applies when the collection names none; defaults, also of an added field, follow it', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    const db = h.db;
    await assert.rejects(db.createDatabase({ db_name: 'bad', properties: { timezone: 'Nowhere/Land' } }), /unknown or invalid IANA Time Zone ID: Nowhere\/Land/);
    await db.createDatabase({ db_name: 'tokyo', properties: { timezone: 'Asia/Tokyo' } });
    await db.createCollection({ db_name: 'tokyo', collection_name: 'c', fields: [
      ...fields, { name: 'd', data_type: DataType.Timestamptz, default_value: '2025-01-01 09:00:00' },
    ] });
    await db.loadCollection({ db_name: 'tokyo', collection_name: 'c' });
    await db.insert({ db_name: 'tokyo', collection_name: 'c', data: [{ id: 1, ts: '2025-01-01T09:00:00', v: [0, 0] }] });
    const q = async (out: string[]) => (await db.query({ db_name: 'tokyo', collection_name: 'c', filter: 'id == 1', output_fields: out, consistency_level: 'Strong' })).data[0]!;
    assert.deepEqual(await q(['ts', 'd']), { id: 1, ts: '2025-01-01T09:00:00+09:00', d: '2025-01-01T09:00:00+09:00' });
    const described = await db.describeCollection({ db_name: 'tokyo', collection_name: 'c' });
    assert.equal(described.schema.fields.find((f) => f.name === 'd')!.default_value, '2025-01-01T09:00:00+09:00');
    // A field added later with a default: rows stored before read the default.
    await db.addCollectionField({ db_name: 'tokyo', collection_name: 'c', field: { name: 'later', data_type: DataType.Timestamptz, nullable: true, default_value: '2024-12-31T15:00:00Z' } });
    assert.deepEqual(await q(['later']), { id: 1, later: '2025-01-01T00:00:00+09:00' });
    // The collection's own property wins over the database's.
    await db.alterCollection({ db_name: 'tokyo', collection_name: 'c', properties: { timezone: 'UTC' } });
    assert.deepEqual(await q(['ts']), { id: 1, ts: '2025-01-01T00:00:00Z' });
    await assert.rejects(db.createCollection({ collection_name: 'bad', fields: [
      ...fields, { name: 'd', data_type: DataType.Timestamptz, default_value: 'soon' },
    ] }), (e: Error & { code?: string }) => e.code === 'INVALID_SCHEMA_PARAM' && /invalid default value of field, name: d/.test(e.message));
  } finally {
    await h.dispose();
  }
});
