// A coordinator that takes over fences the shards' logs (EngineStores.fenceLog): at
// start it appends a marker to each shard's stream and replays through it. An engine
// that was deposed but still runs (its lease gone, its process not yet stopped) then
// cannot have a write acknowledged that the new coordinator would never see: its next
// append expects the stream's previous position, finds the marker, and fails.
// Two engines on one real nats-server (each with its own client, as two processes have),
// sharing the embedded metadata and object stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JetStreamLogStore, startNats } from '../../src/cluster/index.js';
import { Elanus, type EngineStores } from '../../src/engine/index.js';
import { FsObjectStore, LocalMetaStore, NodeFileSystem, type LogStore, type MetaStore, type ObjectStore } from '../../src/storage/index.js';
import { serverBinary } from '../../src/testing/require-server.js';
import { lent } from '../../src/cli/cluster-node.js';
import { basicRows, countOf, createBasic } from '../engine/helpers.js';

const natsBinary = serverBinary('nats-server', 'nats-server');
const limits = { backgroundIntervalMs: 0, interimIndexRows: 0 };

/** The coordinator key, held by `lease`: each engine's catalog commits are fenced on it, as in cluster mode. */
const coordinatorKey = 'cluster/coordinator';

function storesFor(meta: MetaStore, log: LogStore, objects: ObjectStore, fenceLog: boolean, lease: number): EngineStores {
  return {
    metaFence: [{ key: coordinatorKey, target: 'lease', op: '=', value: lease }],
    meta: lent(meta as MetaStore & { probe(): Promise<boolean> }, { probe: async () => true }),
    log: lent(log as EngineStores['log'], { probe: () => log.streams() }),
    objects: lent(objects),
    fenceLog,
    probeWritable: async () => undefined,
    release: async () => undefined,
  };
}

test('after a takeover with a fenced log, the deposed engine\'s writes fail instead of vanishing', { skip: natsBinary ? false : 'nats-server is needed (Debian package nats-server)', timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-log-fence-'));
  const nats = await startNats({ dir: join(dir, 'nats'), nodes: 1 });
  const fs = new NodeFileSystem();
  const meta = await LocalMetaStore.open({ fs, dir: join(dir, 'meta'), txnOpsMax: 10_000 });
  const objects = await FsObjectStore.open({ fs, dir: join(dir, 'objects') });
  const open = () => JetStreamLogStore.open({ servers: nats.servers, namespace: 'fence', positions: meta, retryMs: 2_000 });
  const logA = await open();
  const logB = await open();
  let a: Elanus | undefined;
  let b: Elanus | undefined;
  try {
    const leaseA = await meta.grantLease(600_000);
    await meta.put(coordinatorKey, 'a', { lease: leaseA });
    a = await Elanus.start(storesFor(meta, logA, objects, false, leaseA), { limits, shardsDefault: 2 });
    await createBasic(a, 'c');
    await a.insert({ collection_name: 'c', data: basicRows(0, 100) });

    // B takes over while A still runs (A's lease ended; its engine has not noticed yet).
    await meta.revokeLease(leaseA);
    const leaseB = await meta.grantLease(600_000);
    await meta.put(coordinatorKey, 'b', { lease: leaseB });
    b = await Elanus.start(storesFor(meta, logB, objects, true, leaseB), { limits });
    assert.equal(await countOf(b, 'c'), 100, 'everything A had acknowledged');

    // A, deposed, tries to write: refused, so no client is told it is stored.
    await assert.rejects(a.insert({ collection_name: 'c', data: basicRows(100, 200) }));
    assert.equal(await countOf(b, 'c'), 100);
    const r = await b.insert({ collection_name: 'c', data: basicRows(200, 250) });
    assert.equal(r.insert_cnt, 50);
    assert.equal(await countOf(b, 'c'), 150);

    // A restart on the same streams replays exactly this.
    await b.close();
    b = await Elanus.start(storesFor(meta, logB, objects, true, leaseB), { limits });
    assert.equal(await countOf(b, 'c'), 150);
  } finally {
    await a?.close().catch(() => undefined);
    await b?.close().catch(() => undefined);
    await logA.close();
    await logB.close();
    await objects.close();
    await meta.close();
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
