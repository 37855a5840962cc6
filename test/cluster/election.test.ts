// The coordinator election (cluster/election.ts) on the embedded MetaStore with a
// simulated clock: one leader at a time, a standby takes over after a resignation or
// after the leader's lease expired, and a leader cut off from the store stops calling
// itself leader before any other node can have taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { campaign, currentLeader, electionTtlMsMin, type Leadership } from '../../src/cluster/index.js';
import { ElanusError, isElanusError } from '../../src/errors/index.js';
import { LocalMetaStore, type MetaStore } from '../../src/storage/index.js';
import { FaultFileSystem, SimulatedClock } from '../../src/testing/index.js';

const key = 'cluster/coordinator';
const ttlMs = 8_000;

/** Lets the store's and the election's promise chains run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
}

/** A view of `store` whose keep-alives can be cut, as a network partition does. */
function cuttable(store: MetaStore): { store: MetaStore; cut(): void } {
  let cut = false;
  const view = Object.create(store) as MetaStore;
  view.keepAlive = (lease: number) => (cut ? Promise.reject(new ElanusError('STORE_UNAVAILABLE', { store: 'etcd', endpoint: 'test', detail: 'cut' })) : store.keepAlive(lease));
  return { store: view, cut: () => { cut = true; } };
}

async function open(): Promise<{ store: MetaStore; clock: SimulatedClock }> {
  const clock = new SimulatedClock();
  const store = await LocalMetaStore.open({ fs: new FaultFileSystem(), dir: '/meta', clock });
  return { store, clock };
}

test('the first candidate leads; a second waits and takes over when the first resigns', async () => {
  const { store, clock } = await open();
  try {
    const a = await campaign({ store, key, value: 'node-a', ttlMs, clock });
    assert.equal(await currentLeader(store, key), 'node-a');
    assert.ok(a.holds());
    let bWon = false;
    const b = campaign({ store, key, value: 'node-b', ttlMs, clock }).then((l) => { bWon = true; return l; });
    // Keep-alives keep the first leader's lease far past its TTL.
    for (let i = 0; i < 10; i++) { clock.advance(ttlMs / 2); await settle(); }
    assert.equal(bWon, false, 'no takeover while the leader keeps its lease alive');
    assert.ok(a.holds());
    await a.resign();
    assert.equal(a.holds(), false);
    assert.equal(await a.lost, 'resigned');
    const lb = await b;
    assert.equal(await currentLeader(store, key), 'node-b');
    assert.ok(lb.holds());
    assert.notEqual(lb.lease, a.lease);
    await lb.resign();
  } finally {
    await store.close();
  }
});

test('a leader cut off from the store stops leading before its lease can expire, and only then does a standby take over', async () => {
  const { store, clock } = await open();
  try {
    const net = cuttable(store);
    const a = await campaign({ store: net.store, key, value: 'node-a', ttlMs, clock });
    let won: Leadership | undefined;
    const standby = (): Leadership | undefined => won;
    void campaign({ store, key, value: 'node-b', ttlMs, clock }).then((l) => { won = l; });
    await settle();
    net.cut();
    // Walk time in small steps; at no step may both act as leader.
    let aStoppedAt: number | undefined;
    for (let t = 0; t < 3 * ttlMs && standby() === undefined; t += 250) {
      clock.advance(250);
      await settle();
      if (!a.holds() && aStoppedAt === undefined) aStoppedAt = clock.now();
      assert.ok(!(a.holds() && standby()?.holds()), `two leaders at ${clock.now()} ms`);
    }
    const b = standby();
    assert.ok(aStoppedAt !== undefined, 'the cut-off leader stopped');
    assert.ok(b !== undefined, 'the standby took over once the lease expired');
    assert.match(await a.lost, /no keep-alive/);
    assert.equal(await currentLeader(store, key), 'node-b');
    await b.resign();
  } finally {
    await store.close();
  }
});

test('the fence holds only while the leader\'s lease holds the key', async () => {
  const { store, clock } = await open();
  try {
    const a = await campaign({ store, key, value: 'node-a', ttlMs, clock });
    const fenced = (value: string) => store.txn({ compare: a.fence, success: [{ op: 'put', key: 'coll/1', value }] });
    assert.equal((await fenced('one')).succeeded, true);
    await a.resign();
    const b = await campaign({ store, key, value: 'node-b', ttlMs, clock });
    assert.equal((await fenced('two')).succeeded, false, 'a commit of the old leader is refused');
    assert.equal((await store.get('coll/1'))?.value, 'one');
    await b.resign();
  } finally {
    await store.close();
  }
});

test('a campaign can be stopped while it waits, and a too short TTL is refused', async () => {
  const { store, clock } = await open();
  try {
    const a = await campaign({ store, key, value: 'node-a', ttlMs, clock });
    const stop = new AbortController();
    const b = campaign({ store, key, value: 'node-b', ttlMs, clock, signal: stop.signal });
    await settle();
    stop.abort();
    await assert.rejects(b, (e: unknown) => isElanusError(e, 'CLOSED'));
    await assert.rejects(campaign({ store, key, value: 'x', ttlMs: electionTtlMsMin - 1, clock }), (e: unknown) => isElanusError(e, 'INVALID_ARGUMENT'));
    await a.resign();
  } finally {
    await store.close();
  }
});
