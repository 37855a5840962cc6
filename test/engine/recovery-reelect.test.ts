// Recovery over a replicated log whose leading replica diverged (nats-server 2.9.x can
// replay a purge wrongly on a restarted replica, so the stream seems to start past the
// checkpoint): the engine has another replica lead the stream and recovers every
// acknowledged row; a log that cannot do that is refused as corrupt, never skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus, type EngineLogStore } from '../../src/engine/index.js';
import { FsObjectStore, LocalMetaStore, type LogBounds } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { WalLogStore } from '../../src/wal/index.js';
import { isElanusError } from '../../src/errors/index.js';
import { basicRows, countOf, createBasic } from './helpers.js';

const limits = { backgroundIntervalMs: 0, interimIndexRows: 0 };

/** `store` as an engine borrows it: its close does nothing (the test closes the stores once, at the end). */
function kept<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, name) {
      if (name === 'close') return async () => undefined;
      const value = (target as unknown as Record<string | symbol, unknown>)[name];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The log as a diverged leader shows it: every stream seems to start `lost` records later, until another replica leads. */
function diverged(log: WalLogStore, lost: number, withReelect: boolean): { store: EngineLogStore; reelections: string[] } {
  const reelections: string[] = [];
  let healed = false;
  const store = new Proxy(log, {
    get(target, name) {
      if (name === 'bounds') {
        return async (stream: string): Promise<LogBounds> => {
          const b = await target.bounds(stream);
          return healed ? b : { first: Math.min(b.first + lost, b.end), end: b.end };
        };
      }
      if (name === 'reelect') {
        if (!withReelect) return undefined;
        return async (stream: string) => {
          reelections.push(stream);
          healed = true;
        };
      }
      const value = (target as unknown as Record<string | symbol, unknown>)[name];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as EngineLogStore;
  return { store, reelections };
}

test('a recovery whose log seems to start past the checkpoint has another replica lead it, and loses nothing', async () => {
  const fs = new FaultFileSystem({ seed: 3 });
  const meta = await LocalMetaStore.open({ fs, dir: '/etcd/meta', txnOpsMax: 10_000 });
  const log = await WalLogStore.open({ fs, dir: '/jetstream/log' });
  const objects = await FsObjectStore.open({ fs, dir: '/s3/bucket' });
  const stores = (l: EngineLogStore) => ({ meta: kept(meta), log: l, objects: kept(objects), probeWritable: async () => undefined, release: async () => undefined });
  try {
    const first = await Elanus.start(stores(kept(log) as unknown as EngineLogStore), { limits });
    await createBasic(first, 'c');
    await first.insert({ collection_name: 'c', data: basicRows(0, 100) });
    await first.flushSync({ collection_names: ['c'] });
    // Acknowledged after the flush: only in the log, past the checkpoint.
    await first.insert({ collection_name: 'c', data: basicRows(100, 130) });
    await first.close();

    const refusing = diverged(kept(log), 3, false);
    await assert.rejects(Elanus.start(stores(refusing.store), { limits }), (e: unknown) => isElanusError(e, 'CORRUPT_DATA'), 'without another replica, the gap is refused, not skipped');

    const healing = diverged(kept(log), 3, true);
    const db = await Elanus.start(stores(healing.store), { limits });
    try {
      assert.equal(await countOf(db, 'c'), 130, 'every acknowledged row, the ones only in the log included');
      assert.ok(healing.reelections.length >= 1, 'another replica was asked to lead');
    } finally {
      await db.close();
    }
  } finally {
    await objects.close();
    await log.close();
    await meta.close();
  }
});
