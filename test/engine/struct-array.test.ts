// Array of Structs through the engine: the values stored are the values read back
// (Float and FloatVector as float32, Int64 past 2^53 as text) through the log, flush,
// compaction and restarts; embedding-list search scores match a brute-force MAX_SIM on
// growing and sealed rows alike; a refused batch stores nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, openEngine } from './helpers.js';
import type { Elanus } from '../../src/engine/index.js';

const dim = 3;
const f32 = (x: number) => Math.fround(x);

function rowOf(id: number): { id: number; v: number[]; parts: Array<Record<string, unknown>> } {
  const n = id % 3; // 0, 1 or 2 structs: an empty list is a value too
  return {
    id,
    v: [f32(id / 7), f32(1 - id / 9), 0.5],
    parts: Array.from({ length: n }, (_, e) => ({
      name: `p${id}.${e}`,
      big: e === 0 ? '9007199254740993' : id * 100 + e,
      w: f32(id / 10 + e / 3),
      ok: e % 2 === 0,
      emb: [f32(Math.sin(id + e)), f32(Math.cos(id * 2 + e)), f32((id % 5) / 4 - e / 2)],
    })),
  };
}

async function create(db: Elanus): Promise<void> {
  await db.createCollection({
    collection_name: 'c',
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim },
      {
        name: 'parts', data_type: DataType.Array, element_type: DataType.Struct, max_capacity: 3,
        fields: [
          { name: 'name', data_type: DataType.VarChar, max_length: 16 },
          { name: 'big', data_type: DataType.Int64 },
          { name: 'w', data_type: DataType.Float },
          { name: 'ok', data_type: DataType.Bool },
          { name: 'emb', data_type: DataType.FloatVector, dim },
        ],
      },
    ] as never,
  });
}

const read = async (db: Elanus) => (await db.query({ collection_name: 'c', filter: 'id >= 0', output_fields: ['parts'], limit: 1000, consistency_level: 'Strong' })).data
  .map((r) => ({ id: r['id'] as number, parts: r['parts'] })).sort((a, b) => a.id - b.id);
const stored = (rows: ReturnType<typeof rowOf>[]) => rows.map((r) => ({ id: r.id, parts: r.parts })).sort((a, b) => a.id - b.id);

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

/** MAX_SIM_IP by brute force over rows with at least one struct. */
function expected(rows: ReturnType<typeof rowOf>[], q: number[][], k: number): Array<{ id: number; score: number }> {
  return rows.filter((r) => r.parts.length > 0)
    .map((r) => ({ id: r.id, score: q.reduce((s, x) => s + Math.max(...r.parts.map((p) => dot(x, p['emb'] as number[]))), 0) })) // spread-bounded: at most max_capacity (3) structs
    .sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}

async function searchIds(db: Elanus, q: number[][], k: number): Promise<Array<{ id: number; score: number }>> {
  const res = await db.search({ collection_name: 'c', anns_field: 'parts[emb]', data: q, limit: k, metric_type: 'MAX_SIM_IP', consistency_level: 'Strong' } as never);
  return (res.results as Array<Record<string, unknown>>).map((h) => ({ id: h['id'] as number, score: h['score'] as number }));
}

function assertHits(got: Array<{ id: number; score: number }>, want: Array<{ id: number; score: number }>): void {
  assert.deepEqual(got.map((g) => g.id), want.map((w) => w.id));
  got.forEach((g, i) => assert.ok(Math.abs(g.score - want[i]!.score) < 1e-9, `hit ${i}: ${g.score} vs ${want[i]!.score}`));
}

test('Array of Structs: values kept exactly through the log, flush, compaction and restarts; MAX_SIM search on growing and sealed rows', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await create(h.db);
    const first = Array.from({ length: 40 }, (_, i) => rowOf(i));
    const second = Array.from({ length: 20 }, (_, i) => rowOf(40 + i));
    await h.db.insert({ collection_name: 'c', data: first });
    await h.db.flush({ collection_names: ['c'] });
    await h.db.insert({ collection_name: 'c', data: second });
    await h.db.loadCollection({ collection_name: 'c' });
    let all = [...first, ...second];
    assert.deepEqual(await read(h.db), stored(all));
    // Query vectors are float32, as the wire carries them.
    const q = [[0.3, -0.2, 0.9], [-0.5, 0.5, 0.1]].map((x) => x.map(f32));
    assertHits(await searchIds(h.db, q, 6), expected(all, q, 6));
    // Upserts write a second sealed segment; compaction merges the two.
    const changed = [rowOf(5), rowOf(44)].map((r) => ({ ...r, parts: [{ name: 'new', big: -1, w: 0.25, ok: false, emb: [1, 0, 0] }] }));
    await h.db.upsert({ collection_name: 'c', data: changed });
    all = all.map((r) => changed.find((x) => x.id === r.id) ?? r);
    await h.db.flush({ collection_names: ['c'] });
    await h.db.compact({ collection_name: 'c' });
    assert.deepEqual(await read(h.db), stored(all));
    // A restart reads the sealed files back; rows only in the log are replayed.
    await h.db.insert({ collection_name: 'c', data: [rowOf(100)] });
    all = [...all, rowOf(100)];
    const db = await h.reopen();
    await db.loadCollection({ collection_name: 'c' });
    assert.deepEqual(await read(db), stored(all));
    assertHits(await searchIds(db, q, 8), expected(all, q, 8));
    const described = await db.describeCollection({ collection_name: 'c' });
    const parts = described.schema.fields.find((f) => f.name === 'parts') as unknown as { fields: Array<{ name: string }> } | undefined;
    assert.deepEqual(parts?.fields.map((f) => f.name), ['name', 'big', 'w', 'ok', 'emb']);
  } finally {
    await h.dispose();
  }
});

test('Array of Structs: a batch with one bad struct is refused with the sub-field and row named, and nothing of it is stored', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await create(h.db);
    await h.db.loadCollection({ collection_name: 'c' });
    const good = rowOf(1);
    const bad: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ parts: [{ ...good.parts[0], ok: 'yes' }] }, 'WRONG_TYPE', /parts\[ok\]/],
      [{ parts: [{ name: 'x', big: 1, w: 1, ok: true }] }, 'MISSING_FIELD', /parts\[emb\]/],
      [{ parts: [{ ...good.parts[0], extra: 1 }] }, 'WRONG_TYPE', /parts\[extra\]/],
      [{ parts: [{ ...good.parts[0], w: 1e39 }] }, 'VALUE_OUT_OF_RANGE', /parts\[w\]/],
      [{ parts: [{ ...good.parts[0], big: 2 ** 60 }] }, 'WRONG_TYPE', /parts\[big\]/],
      [{ parts: null }, 'NULL_NOT_ALLOWED', /parts/],
      [{ parts: { name: 'x' } }, 'WRONG_TYPE', /parts/],
      [{ parts: [good.parts[0], good.parts[0], good.parts[0], good.parts[0]] }, 'ARRAY_TOO_LONG', /max_capacity is 3/],
    ];
    for (const [change, code, message] of bad) {
      await assert.rejects(h.db.insert({ collection_name: 'c', data: [rowOf(2), { ...good, ...change }] }), (e: { code: string; message: string }) => {
        assert.equal(e.code, code);
        assert.match(e.message, message);
        assert.match(e.message, /row 1/);
        return true;
      });
    }
    assert.deepEqual(await read(h.db), []);
    await assert.rejects(h.db.search({ collection_name: 'c', anns_field: 'parts[emb]', data: [[1, 2]], limit: 3 } as never), { code: 'WRONG_DIMENSION' });
    await assert.rejects(h.db.search({ collection_name: 'c', anns_field: 'parts[emb]', data: [[1, 2, 3]], limit: 3, metric_type: 'COSINE' } as never), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(h.db.search({ collection_name: 'c', anns_field: 'parts[emb]', data: [[1, 2, 3]], limit: 3, params: { radius: 1 } } as never), { code: 'INVALID_ARGUMENT' });
  } finally {
    await h.dispose();
  }
});
