// Requests that race DDL on the same collection: each one ends in a success or a coded
// error that says what happened (never a crash or an uncoded exception), and what was
// acknowledged is exactly what a later read sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElanusError } from '../../src/errors/index.js';
import { basicFields, countOf, withEngine } from './helpers.js';

test('writes, reads, flushes and partition DDL racing a drop get success or a coded error', () => withEngine(async (db) => {
  const seen = new Map<string, number>();
  const allowed = new Set(['COLLECTION_NOT_FOUND', 'PARTITION_NOT_FOUND']);
  const note = (e: unknown) => {
    assert.ok(e instanceof ElanusError, `an uncoded error: ${String(e)}`);
    assert.ok(allowed.has(e.code), `unexpected ${e.code}: ${e.message}`);
    seen.set(e.code, (seen.get(e.code) ?? 0) + 1);
  };
  for (let round = 0; round < 10; round++) {
    await db.createCollection({ collection_name: 'c', fields: basicFields(2) });
    await db.loadCollection({ collection_name: 'c' });
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      const p = `p${i - (i % 4)}`;
      ops.push(db.insert({ collection_name: 'c', data: [{ id: i, vector: [i, 1] }] }).catch(note));
      ops.push(db.count({ collection_name: 'c', consistency_level: 'Strong' }).catch(note));
      ops.push(db.search({ collection_name: 'c', data: [1, 1], consistency_level: i % 2 ? 'Strong' : 'Eventually' }).catch(note));
      ops.push(db.delete({ collection_name: 'c', ids: [i - 1] }).catch(note));
      ops.push(db.flush({ collection_names: ['c'] }).catch(note));
      ops.push(db.compact({ collection_name: 'c' }).catch(note));
      if (i % 4 === 0) ops.push(db.createPartition({ collection_name: 'c', partition_name: p }).catch(note));
      if (i % 4 === 1) ops.push(db.insert({ collection_name: 'c', partition_name: p, data: [{ id: 1000 + i, vector: [0, 0] }] }).catch(note));
      if (i % 4 === 2) ops.push(db.releasePartitions({ collection_name: 'c', partition_names: [p] }).then(() => db.dropPartition({ collection_name: 'c', partition_name: p })).catch(note));
      if (i === 10 + round) ops.push(db.dropCollection({ collection_name: 'c' }).catch(note));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(ops);
    assert.equal((await db.hasCollection({ collection_name: 'c' })).value, false);
  }
  assert.ok((seen.get('COLLECTION_NOT_FOUND') ?? 0) > 0, 'some requests did race the drop');

  // Without a drop, the same mix leaves exactly the acknowledged rows.
  await db.createCollection({ collection_name: 'c', fields: basicFields(2) });
  await db.loadCollection({ collection_name: 'c' });
  const live = new Set<number>();
  const ops: Promise<unknown>[] = [];
  for (let i = 0; i < 200; i++) {
    ops.push(db.insert({ collection_name: 'c', data: [{ id: i % 50, vector: [i, 1] }] }).then(() => live.add(i % 50)));
    if (i % 7 === 0) ops.push(db.flush({ collection_names: ['c'] }));
    if (i % 13 === 0) ops.push(db.compact({ collection_name: 'c' }));
  }
  await Promise.all(ops);
  assert.equal(await countOf(db, 'c'), live.size);
  assert.deepEqual(db.backgroundErrors, []);
}, { storage: 'memory' }));
