// A gateway's view requests to the coordinator (api/replica-wire.ts TicketClient): reads
// that come while a request is on its way share the next one, never the one already
// sent, so a burst of reads costs the coordinator one view per round trip, and no read
// gets a view taken before it began.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { TicketClient, registerReplicaRoutes } from '../../src/api/replica-wire.js';
import type { ReadTicket, TicketReq } from '../../src/gateway/index.js';
import { ElanusError } from '../../src/errors/index.js';

test('ticket requests: one on its way per lane, later reads share the next, never an earlier one', async () => {
  let issued = 0;
  const asked: TicketReq[] = [];
  const gates: Array<() => void> = [];
  const app = Fastify();
  registerReplicaRoutes(app, () => undefined, () => ({
    readTicket: async (req: TicketReq): Promise<ReadTicket> => {
      asked.push(req);
      if (req.collection_name === 'missing') throw new ElanusError('COLLECTION_NOT_FOUND', { name: 'missing', db: 'default' });
      // Each view is numbered when the coordinator takes it, and held until the test lets it go.
      const n = ++issued;
      await new Promise<void>((resolve) => gates.push(resolve));
      return { catalogVersion: 1, collectionId: 7, at: BigInt(n), logEnds: [n] };
    },
  }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = `127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const client = new TicketClient(5_000);
  /** Lets the oldest view still held go. */
  const release = async () => {
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 5));
    gates.shift()!();
  };
  try {
    const req: TicketReq = { db_name: 'default', collection_name: 'c', consistency_level: 'Strong' };
    const first = client.ticket(address, req);
    while (issued < 1) await new Promise((r) => setTimeout(r, 5));
    // Begun after the first request was sent: they must not share it.
    const later = Array.from({ length: 5 }, () => client.ticket(address, req));
    // Another lane (another level) goes at once, beside the first.
    const other = client.ticket(address, { ...req, consistency_level: 'Eventually' });
    while (issued < 2) await new Promise((r) => setTimeout(r, 5));
    assert.equal(asked.length, 2, 'the waiting reads of the first lane sent nothing yet');
    await release();
    const a = await first;
    // The first is answered: the five that waited go as one request.
    while (issued < 3) await new Promise((r) => setTimeout(r, 5));
    await release();
    const o = await other;
    await release();
    const b = await Promise.all(later);
    assert.equal(issued, 3, 'three views for seven reads in two lanes');
    assert.ok(b.every((t) => t.at === b[0]!.at), 'the waiting reads share one view');
    assert.ok(b[0]!.at > a.at, 'a read that began after a request was sent gets a newer view');
    assert.notEqual(o.at, a.at);
    // A refusal reaches every read that waited for it, coded as the replica's (the call is then forwarded).
    await assert.rejects(client.ticket(address, { ...req, collection_name: 'missing' }), (e: unknown) => e instanceof ElanusError && e.code === 'REPLICA_BEHIND' && /COLLECTION_NOT_FOUND|does not exist|not found/i.test(e.message));
  } finally {
    client.close();
    await app.close();
  }
});

test('Bounded and Eventually reads reuse a view younger than the reuse window; Strong and Session never do', async () => {
  let issued = 0;
  const app = Fastify();
  registerReplicaRoutes(app, () => undefined, () => ({
    readTicket: async (): Promise<ReadTicket> => {
      const n = ++issued;
      return { catalogVersion: 1, collectionId: 7, at: BigInt(n), logEnds: [n] };
    },
  }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = `127.0.0.1:${(app.server.address() as { port: number }).port}`;
  let now = 1_000;
  const client = new TicketClient(5_000, 500, () => now);
  try {
    const at = async (level: TicketReq['consistency_level']) => (await client.ticket(address, { collection_name: 'c', consistency_level: level })).at;
    const b1 = await at('Bounded');
    now += 499;
    assert.equal(await at('Bounded'), b1, 'within the window: the same view');
    now += 1;
    const b2 = await at('Bounded');
    assert.ok(b2 > b1, 'past the window: a new view');
    for (const level of ['Strong', 'Session'] as const) {
      const first = await at(level);
      assert.ok((await at(level)) > first, `${level} asks every time`);
    }
    const e1 = await at('Eventually');
    assert.notEqual(e1, b2, 'each level is its own lane');
    assert.equal(await at('Eventually'), e1);
    assert.deepEqual(client.stats, { asked: issued, reused: 2 });
  } finally {
    client.close();
    await app.close();
  }
});
