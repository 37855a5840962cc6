// The LogStore suite against JetStreamLogStore on real nats-server processes (Debian's
// nats-server): one subject restarts the client at every reopen, the other kills the
// server with SIGKILL and starts it again on the same store folder. Each test case has
// its own namespace on the shared server. Then a 3-node cluster with 3 replicas loses
// servers under appends, and a server killed mid-burst shows that what was acknowledged
// is a prefix of the calls.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdMetaStore, JetStreamLogStore, startEtcd, startNats, type LocalNats } from '../../src/cluster/index.js';
import { LocalMetaStore, NodeFileSystem, type LogStore, type MetaStore } from '../../src/storage/index.js';
import { serverBinary } from '../../src/testing/require-server.js';
import { logStoreConformance } from './conformance/log-store.js';

const binary = serverBinary('nats-server', 'nats-server');
const etcdBinary = serverBinary('etcd', 'etcd-server');
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

test('serverBinary: a missing binary is a skip, or an error naming its Debian package under ELANUS_REQUIRE_SERVERS=1', () => {
  const saved = process.env.ELANUS_REQUIRE_SERVERS;
  try {
    delete process.env.ELANUS_REQUIRE_SERVERS;
    assert.equal(serverBinary('elanus-no-such-server', 'elanus-no-such-package'), undefined);
    process.env.ELANUS_REQUIRE_SERVERS = '1';
    assert.throws(() => serverBinary('elanus-no-such-server', 'elanus-no-such-package'), /elanus-no-such-package/);
    if (binary !== undefined) assert.equal(serverBinary('nats-server', 'nats-server'), binary);
  } finally {
    if (saved === undefined) delete process.env.ELANUS_REQUIRE_SERVERS;
    else process.env.ELANUS_REQUIRE_SERVERS = saved;
  }
});

if (binary === undefined) {
  test('JetStreamLogStore on nats-server', (t) => t.skip('nats-server is not installed (Debian package nats-server)'));
} else {
  const dirs: string[] = [];
  const servers: LocalNats[] = [];
  // Node's runner skips afterEach for a case that calls t.skip() (the suite's crash case),
  // which leaves that case's store open: each subject closes what the last one left.
  const stores = new Set<LogStore>();
  const closeAll = async () => {
    await Promise.all([...stores].map((s) => s.close()));
    stores.clear();
  };
  // Consumer positions live in the cluster's MetaStore: a real etcd where it is installed.
  const metaCleanups: Array<() => Promise<unknown>> = [];
  let positions: Promise<MetaStore> | undefined;
  const positionStore = () => (positions ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'elanus-positions-'));
    dirs.push(dir);
    let meta: MetaStore;
    if (etcdBinary !== undefined) {
      const etcd = await startEtcd({ dir, binary: etcdBinary });
      metaCleanups.push(() => etcd.stop());
      meta = await EtcdMetaStore.open({ endpoints: etcd.endpoints, namespace: 'log-test/' });
    } else {
      meta = await LocalMetaStore.open({ fs: new NodeFileSystem(), dir });
    }
    metaCleanups.unshift(() => meta.close());
    return meta;
  })());
  after(async () => {
    await closeAll();
    for (const c of metaCleanups) await c();
    await Promise.all(servers.map((s) => s.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  const start = async (nodes: 1 | 3, config: string[] = []): Promise<LocalNats> => {
    const dir = await mkdtemp(join(tmpdir(), 'elanus-nats-'));
    dirs.push(dir);
    const s = await startNats({ dir, nodes, binary, config });
    servers.push(s);
    return s;
  };
  /** One server per subject, started by its first case. */
  const shared = (): (() => Promise<LocalNats>) => {
    let s: Promise<LocalNats> | undefined;
    return () => (s ??= start(1));
  };
  let namespaces = 0;
  const open = async (nats: LocalNats, namespace: string, extra: Partial<Parameters<typeof JetStreamLogStore.open>[0]> = {}) => {
    const s = await JetStreamLogStore.open({ servers: nats.servers, namespace, positions: await positionStore(), requestTimeoutMs: 2000, retryMs: 10_000, ...extra });
    stores.add(s);
    return s;
  };

  const reconnecting = shared();
  logStoreConformance('JetStreamLogStore, a new client at every reopen', async () => {
    await closeAll();
    const nats = await reconnecting();
    const namespace = `rc${namespaces++}`;
    return {
      open: () => open(nats, namespace),
      reopen: async (s: LogStore) => {
        await s.close();
        return open(nats, namespace);
      },
      cleanup: async () => undefined,
    };
  });

  const crashing = shared();
  logStoreConformance('JetStreamLogStore, the server killed (SIGKILL) and restarted at every reopen', async () => {
    await closeAll();
    const nats = await crashing();
    const namespace = `kr${namespaces++}`;
    return {
      open: () => open(nats, namespace),
      reopen: async (s: LogStore) => {
        await nats.kill(0);
        await s.close();
        await nats.restart(0);
        return open(nats, namespace);
      },
      cleanup: async () => undefined,
    };
  });

  describe('JetStreamLogStore names and connections', () => {
    test('engine-made and dotted names map one-to-one; a namespace sees only its own streams', async () => {
      const nats = await reconnecting();
      const a = await open(nats, 'names-a');
      const b = await open(nats, 'names-b');
      try {
        const names = ['c12s0', 'c1s2', 'x.y', 'x_dy', 'x__y', 'a_b.c-d', '_lead'];
        for (const n of names) await a.createStream(n);
        await b.createStream('c12s0');
        assert.deepEqual(await a.streams(), [...names].sort());
        assert.deepEqual(await b.streams(), ['c12s0']);
        for (const [i, n] of names.entries()) await a.append(n, enc(`in ${n} ${i}`));
        for (const [i, n] of names.entries()) {
          const { first } = await a.bounds(n);
          assert.deepEqual((await a.read(n, first, 10)).map((e) => dec(e.payload)), [`in ${n} ${i}`]);
        }
        assert.deepEqual(await b.read('c12s0', (await b.bounds('c12s0')).first, 10), [], 'the other namespace\'s stream of that name is its own');
        await assert.rejects(a.createStream('a'.repeat(129)), (e: unknown) => (e as { code?: string }).code === 'INVALID_NAME');
        await assert.rejects(JetStreamLogStore.open({ servers: nats.servers, namespace: 'Bad_NS', positions: await positionStore() }), (e: unknown) => (e as { code?: string }).code === 'INVALID_NAME');
        await assert.rejects(JetStreamLogStore.open({ servers: nats.servers, namespace: 'r3', replicas: 3, positions: await positionStore() }), (e: unknown) => (e as { code?: string }).code === 'INVALID_ARGUMENT');
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('user and password: the right ones connect, wrong ones are STORE_UNAVAILABLE', async () => {
      const nats = await start(1, ['authorization { user: elanus, password: "s3cret" }']);
      const good = await open(nats, 'auth', { user: 'elanus', password: 's3cret' });
      try {
        await good.createStream('s');
        assert.equal(await good.append('s', enc('x')), 1, 'JetStream positions start at 1');
      } finally {
        await good.close();
      }
      await assert.rejects(open(nats, 'auth', { user: 'elanus', password: 'wrong' }), (e: unknown) => (e as { code?: string }).code === 'STORE_UNAVAILABLE');
      await assert.rejects(open(nats, 'auth'), (e: unknown) => (e as { code?: string }).code === 'STORE_UNAVAILABLE');
    });

    test('a token: the right one connects, a wrong one is STORE_UNAVAILABLE', async () => {
      const nats = await start(1, ['authorization { token: "t0ken" }']);
      const good = await open(nats, 'token', { token: 't0ken' });
      try {
        await good.createStream('s');
        assert.deepEqual(await good.streams(), ['s']);
      } finally {
        await good.close();
      }
      await assert.rejects(open(nats, 'token', { token: 'nope' }), (e: unknown) => (e as { code?: string }).code === 'STORE_UNAVAILABLE');
    });
  });

  describe('JetStreamLogStore on a 3-node cluster, 3 replicas', () => {
    test('acknowledged appends survive SIGKILL of the stream leader; appends and reads go on; the restarted server catches up', async () => {
      const nats = await start(3);
      const store = await open(nats, 'cluster', { replicas: 3, retryMs: 30_000 });
      try {
        await store.createStream('c1s0');
        const acked = new Map<number, string>();
        const burst = async (tag: string, n: number) => {
          const data = Array.from({ length: n }, (_, i) => `${tag}-${i}`);
          const positions = await Promise.all(data.map((d) => store.append('c1s0', enc(d))));
          for (let i = 1; i < n; i++) assert.equal(positions[i], positions[i - 1]! + 1, 'dense positions in call order');
          for (const [i, p] of positions.entries()) acked.set(p, data[i]!);
        };
        const checkAll = async () => {
          const { first, end } = await store.bounds('c1s0');
          assert.equal(end - first, acked.size);
          for (let at = first; at < end; ) {
            const got = await store.read('c1s0', at, 100);
            assert.ok(got.length > 0);
            for (const e of got) assert.equal(dec(e.payload), acked.get(e.position), `record ${e.position}`);
            at = got.at(-1)!.position + 1;
          }
        };
        await burst('before', 200);
        const leaderOf = async () => {
          const info = await jsm(store).streams.info('cluster_c1s0');
          return Number(/^n(\d)$/.exec(info.cluster?.leader ?? '')?.[1]) - 1;
        };
        const leader = await leaderOf();
        assert.ok(leader >= 0 && leader < 3, 'the stream has a leader');
        await nats.kill(leader);
        await burst('one-down', 200);
        await checkAll();
        // The killed server, restarted, catches up: its own copy (its monitoring endpoint)
        // holds every acknowledged record.
        await nats.restart(leader);
        const { end } = await store.bounds('c1s0');
        await waitFor(`n${leader + 1} holds the stream up to ${end - 1}`, async () => {
          const copy = await localCopy(nats.monitors[leader]!, 'cluster_c1s0');
          return copy?.last_seq === end - 1 && copy.messages === acked.size;
        });
        // And it is needed now: with a follower that is not it down, every append waits
        // for its acknowledgement (2 of 3).
        const newLeader = await leaderOf();
        const follower = [0, 1, 2].find((i) => i !== leader && i !== newLeader)!;
        await nats.kill(follower);
        await burst('restarted', 100);
        await checkAll();
        await nats.restart(follower);
        await checkAll();
      } finally {
        await store.close();
      }
    });
  });

  describe('JetStreamLogStore: another replica leads on request', () => {
    test('reelect: the stream gets another leader and answers with every record', async () => {
      const nats = await start(3);
      const store = await open(nats, 'reelect', { replicas: 3, retryMs: 30_000 });
      try {
        await store.createStream('c2s0');
        for (let i = 0; i < 50; i++) await store.append('c2s0', enc(`r-${i}`));
        const leader = async () => (await jsm(store).streams.info('reelect_c2s0')).cluster?.leader;
        const before = await leader();
        assert.ok(before, 'the stream has a leader');
        await store.reelect('c2s0');
        const after = await leader();
        assert.ok(after && after !== before, `another replica leads (${before} before, ${after} after)`);
        const { first, end } = await store.bounds('c2s0');
        assert.equal(end - first, 50);
        const got = await store.read('c2s0', first, 100);
        assert.deepEqual(got.map((e) => dec(e.payload)), Array.from({ length: 50 }, (_, i) => `r-${i}`));
        await assert.rejects(store.reelect('no-such-stream'), (e: unknown) => (e as { code?: string }).code === 'TOPIC_NOT_FOUND');
      } finally {
        await store.close();
      }
    });
  });

  describe('JetStreamLogStore under a real failure', () => {
    test('a server stopped (SIGSTOP) mid-burst: the acknowledged appends are a prefix of the calls, each stored where it was placed', async () => {
      const nats = await start(1);
      const store = await open(nats, 'burst', { requestTimeoutMs: 500, retryMs: 1500 });
      await store.createStream('b');
      const first = (await store.bounds('b')).end;
      const data = Array.from({ length: 2000 }, (_, i) => `${i}:`.padEnd(2048, 'x'));
      const call = (i: number) => store.append('b', enc(data[i]!)).then((p) => p, () => undefined);
      // Half the burst, then the server stops answering (its process frozen) once the
      // first append is acknowledged, and the other half is called while it is frozen.
      const calls: Array<Promise<number | undefined>> = [];
      for (let i = 0; i < 1000; i++) calls.push(call(i));
      await calls[0];
      process.kill(nats.processes[0]!.pid, 'SIGSTOP');
      for (let i = 1000; i < 2000; i++) calls.push(call(i));
      const results = await Promise.all(calls);
      await store.close();
      await nats.kill(0);
      const firstFailed = results.indexOf(undefined);
      assert.ok(firstFailed > 0, `the first append was acknowledged and a later one failed (first failure ${firstFailed})`);
      assert.deepEqual(results.slice(firstFailed).filter((p) => p !== undefined), [], 'an append called after a failed one was acknowledged');
      assert.deepEqual(results.slice(0, firstFailed), results.slice(0, firstFailed).map((_, i) => first + i), 'acknowledged positions are dense in call order');
      await nats.restart(0);
      const again = await open(nats, 'burst');
      try {
        const { end } = await again.bounds('b');
        assert.ok(end - first >= firstFailed, 'every acknowledged append is stored');
        for (let at = first; at < end; ) {
          const got = await again.read('b', at, 1000);
          // Failed appends may be stored (the server had them when it froze): each only where it was placed.
          for (const e of got) assert.equal(dec(e.payload), data[e.position - first], `the record at ${e.position} is the append placed there`);
          at = got.at(-1)!.position + 1;
        }
      } finally {
        await again.close();
      }
    });

    test('an unreachable server is STORE_UNAVAILABLE at open, naming the endpoint', async () => {
      const nats = await start(1);
      const url = nats.servers[0]!;
      await nats.kill(0);
      await assert.rejects(
        JetStreamLogStore.open({ servers: [url], namespace: 'gone', positions: await positionStore(), connectTimeoutMs: 1000 }),
        (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'STORE_UNAVAILABLE' && e.message.includes(url.replace('nats://', '')),
      );
    });
  });
}

/** The manager of a store's connection, for the tests' look at stream placement. */
function jsm(store: LogStore) {
  return (store as unknown as { conn: { jsm: import('@nats-io/jetstream').JetStreamManager } }).conn.jsm;
}

/** A server's own copy of a stream (messages, last sequence), from its monitoring endpoint. */
async function localCopy(monitor: string, stream: string): Promise<{ messages: number; last_seq: number } | undefined> {
  const res = await fetch(`${monitor}/jsz?streams=true`, { signal: AbortSignal.timeout(1000) });
  const jsz = (await res.json()) as { account_details?: Array<{ stream_detail?: Array<{ name: string; state: { messages: number; last_seq: number } }> }> };
  for (const a of jsz.account_details ?? []) for (const s of a.stream_detail ?? []) if (s.name === stream) return s.state;
  return undefined;
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`not within 30 s: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
