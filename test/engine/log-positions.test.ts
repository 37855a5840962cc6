// The engine uses the positions its log store gives it, wherever they start: JetStream's
// streams start at 1, the embedded log at 0 (storage/log.ts). A wrapper shifts every
// position of the embedded log by an offset; inserts, deletes, flushes, truncation, a
// partition drop and restarts then give the same answers as with no shift.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus, type EngineLogStore } from '../../src/engine/index.js';
import type { ConsumerStart, LogBounds, LogEntry } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { basicRows, countOf, createBasic } from './helpers.js';

/** The embedded log with every position moved up by `shift`. */
class ShiftedLog implements EngineLogStore {
  readonly payloadBytesMax: number;
  readonly seen = { appends: 0, minPosition: Infinity };
  constructor(private readonly inner: EngineLogStore, private readonly shift: number) {
    this.payloadBytesMax = inner.payloadBytesMax;
  }
  createStream(s: string) { return this.inner.createStream(s); }
  dropStream(s: string) { return this.inner.dropStream(s); }
  streams() { return this.inner.streams(); }
  async append(s: string, payload: Uint8Array, opts?: { readonly idempotencyKey?: string }): Promise<number> {
    const p = (await this.inner.append(s, payload, opts)) + this.shift;
    this.seen.appends++;
    this.seen.minPosition = Math.min(this.seen.minPosition, p);
    return p;
  }
  async read(s: string, from: number, max: number): Promise<LogEntry[]> {
    assert.ok(from >= this.shift, `the engine read from ${from}, below the stream's first position ${this.shift}`);
    return (await this.inner.read(s, from - this.shift, max)).map((e) => ({ ...e, position: e.position + this.shift }));
  }
  async bounds(s: string): Promise<LogBounds> {
    const b = await this.inner.bounds(s);
    return { first: b.first + this.shift, end: b.end + this.shift };
  }
  createConsumer(s: string, c: string, start: ConsumerStart) { return this.inner.createConsumer(s, c, typeof start === 'number' ? start - this.shift : start); }
  dropConsumer(s: string, c: string) { return this.inner.dropConsumer(s, c); }
  consumers(s: string) { return this.inner.consumers(s); }
  async position(s: string, c: string) { return (await this.inner.position(s, c)) + this.shift; }
  commit(s: string, c: string, p: number) { return this.inner.commit(s, c, p - this.shift); }
  async truncate(s: string, before: number): Promise<number> {
    assert.ok(before >= this.shift, `the engine truncated before ${before}, below the stream's first position ${this.shift}`);
    return (await this.inner.truncate(s, before - this.shift)) + this.shift;
  }
  probe() { return this.inner.probe(); }
  close() { return this.inner.close(); }
}

for (const shift of [1, 1000]) {
  test(`a log whose positions start at ${shift}: every write replays, flushes and truncations line up`, async () => {
    const fs = new FaultFileSystem({ seed: shift });
    let log: ShiftedLog | undefined;
    const open = () => Elanus.open({
      path: '/data', fs, limits: { backgroundIntervalMs: 0, interimIndexRows: 0 },
      wrapLog: (inner) => (log = new ShiftedLog(inner, shift)),
    });
    let db = await open();
    await createBasic(db, 'c');
    await db.createPartition({ collection_name: 'c', partition_name: 'p' });
    await db.insert({ collection_name: 'c', data: basicRows(0, 100) });
    await db.insert({ collection_name: 'c', partition_name: 'p', data: basicRows(100, 150) });
    await db.delete({ collection_name: 'c', ids: [3] });
    assert.ok(log!.seen.minPosition >= shift, `positions given to the engine start at ${shift}`);
    assert.deepEqual(db.logLag({ collection_name: 'c' }).map((l) => [l.checkpoint, l.endOffset]), [[shift - 1, shift + 3]]);
    await db.close();

    db = await open();
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 149, 'the replay from the first position');
    await db.flush({ collection_names: ['c'] });
    await db.upsert({ collection_name: 'c', data: basicRows(10, 20) });
    await db.releaseCollection({ collection_name: 'c' });
    await db.dropPartition({ collection_name: 'c', partition_name: 'p' });
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 99);
    fs.powerLoss();
    await db.close().catch(() => undefined);

    db = await open();
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 99, 'the replay from the checkpoint');
    await db.truncateCollection({ collection_name: 'c' });
    await db.insert({ collection_name: 'c', data: basicRows(500, 505) });
    await db.close();

    db = await open();
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 5, 'after truncation, only what came later');
    await createBasic(db, 'd');
    await db.insert({ collection_name: 'd', data: basicRows(0, 3) });
    await db.close();
    db = await open();
    await db.loadCollection({ collection_name: 'd' });
    assert.equal(await countOf(db, 'd'), 3, 'a collection created on a log that starts elsewhere replays too');
    await db.close();
  });
}
