// Segments far larger than a call stack: loading and compacting them must not depend on
// spreading their rows into a function call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, openEngine } from './helpers.js';

const name = 'large';
const fields = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
];

async function fill(db: Awaited<ReturnType<typeof openEngine>>['db'], from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i += 10_000) {
    const data = Array.from({ length: Math.min(10_000, from + n - i) }, (_, k) => ({ id: i + k, vec: [k, 1] }));
    await db.insert({ collection_name: name, data });
  }
}

test('a flushed segment of 150,000 rows opens again', { timeout: 120_000 }, async () => {
  const h = await openEngine({ storage: 'memory', limits: { segmentRowsMax: 1_000_000 } });
  try {
    await h.db.createCollection({ collection_name: name, fields });
    await fill(h.db, 0, 150_000);
    await h.db.flush({ collection_names: [name] });
    const db = await h.reopen();
    await db.loadCollection({ collection_name: name });
    assert.equal((await db.count({ collection_name: name, consistency_level: 'Strong' })).data, 150_000);
  } finally {
    await h.dispose();
  }
});

test('compaction merges segments into one of more than 125,000 rows', { timeout: 120_000 }, async () => {
  const h = await openEngine({ storage: 'memory', limits: { segmentRowsMax: 1_000_000, compactionSmallRowsMax: 30_000 } });
  try {
    await h.db.createCollection({ collection_name: name, fields });
    for (let s = 0; s < 8; s++) {
      await fill(h.db, s * 19_000, 19_000);
      await h.db.flush({ collection_names: [name] });
    }
    const r = await h.db.compact({ collection_name: name });
    assert.equal(r.merged, 8);
    const segs = h.db.segmentInfo({ collection_name: name });
    assert.deepEqual(segs.map((s) => s.rows), [152_000]);
    const db = await h.reopen();
    await db.loadCollection({ collection_name: name });
    assert.equal((await db.count({ collection_name: name, consistency_level: 'Strong' })).data, 152_000);
  } finally {
    await h.dispose();
  }
});
