// The wire between a cluster's coordinator and its read replicas (engine/replica.ts): the
// coordinator's partial reads (gateway/roles.ts ShardReader) as HTTP/1.1 POSTs on the
// replica node's own port, `/_elanus/replica/v1/{count,query,search}`; and the other way,
// a gateway that answers its clients' reads from its own replica asks the coordinator for
// each read's view (engine/reads.ts ReadTicket) at `/_elanus/replica/v1/view`.
//
// Bodies are V8's serialization (node:v8) of the plain-data requests and answers: it
// carries what JSON cannot (bigint timestamps and keys, typed-array vectors and columns,
// the filter's regular expressions) with no schema to keep in step, because both ends
// run the same build (a cluster is upgraded node by node only between releases that
// keep these shapes: docs/CLUSTER.md). A failed read answers 503 with the coded error
// as JSON; the coordinator then reads locally (engine/placement.ts).
//
// These routes are for the cluster's own nodes: they are not forwarded, not part of the
// Milvus API, and (until authentication lands) as open as the rest of the port.
import http from 'node:http';
import v8 from 'node:v8';
import type { FastifyInstance } from 'fastify';
import { ElanusError } from '../errors/index.js';
import type { ReadTicket, ShardHits, ShardQueryReq, ShardReadReq, ShardReader, ShardRows, ShardSearchReq, TicketReq } from '../gateway/index.js';

export const replicaPathPrefix = '/_elanus/replica/v1/';
const contentType = 'application/x-elanus-v8';
const ops = ['count', 'query', 'search'] as const;
type Op = (typeof ops)[number];

/** The coordinator's side of a gateway's replica read. */
export interface TicketIssuer {
  readTicket(req: TicketReq): Promise<ReadTicket>;
}

/**
 * Adds the replica routes: `reader()` is this node's replica, or undefined while it has
 * none; `issuer()` is this node's engine while it coordinates (the view route), else undefined.
 */
export function registerReplicaRoutes(app: FastifyInstance, reader: () => ShardReader | undefined, issuer: () => TicketIssuer | undefined = () => undefined): void {
  app.addContentTypeParser(contentType, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post<{ Params: { op: string } }>(`${replicaPathPrefix}:op`, async (req, reply) => {
    const op = req.params.op as Op;
    const refuse = (status: number, e: ElanusError) => reply.code(status).type('application/json').send(JSON.stringify({ code: e.code, message: e.message }));
    if (req.params.op === 'view') {
      const engine = issuer();
      if (!engine) return refuse(503, new ElanusError('NOT_COORDINATOR', { detail: 'this node does not coordinate now' }));
      let request: TicketReq;
      try {
        request = decodeBody<TicketReq>(req.body, () => true);
      } catch (e) {
        return refuse(400, new ElanusError('INVALID_ARGUMENT', { detail: `a view request that does not decode: ${(e as Error).message}` }));
      }
      try {
        return reply.type(contentType).send(v8.serialize(await engine.readTicket(request)));
      } catch (e) {
        return refuse(503, e instanceof ElanusError ? e : new ElanusError('INTERNAL', { detail: (e as Error)?.message ?? String(e) }));
      }
    }
    if (!ops.includes(op)) return refuse(404, new ElanusError('INVALID_ARGUMENT', { detail: `no replica operation ${JSON.stringify(req.params.op)}` }));
    const r = reader();
    if (!r) return refuse(503, new ElanusError('REPLICA_BEHIND', { node: 'this node', detail: 'it runs no read replica now' }));
    let request: ShardReadReq;
    try {
      request = decodeBody<ShardReadReq>(req.body, (r) => Array.isArray(r.shards));
    } catch (e) {
      return refuse(400, new ElanusError('INVALID_ARGUMENT', { detail: `a replica read that does not decode: ${(e as Error).message}` }));
    }
    try {
      const answer = op === 'count' ? await r.countShards(request)
        : op === 'query' ? await r.queryShards(request as ShardQueryReq)
          : await r.searchShards(request as ShardSearchReq);
      return reply.type(contentType).send(v8.serialize(answer));
    } catch (e) {
      return refuse(503, e instanceof ElanusError ? e : new ElanusError('INTERNAL', { detail: (e as Error)?.message ?? String(e) }));
    }
  });
}

/** A request body in V8's serialization: an object that passes `ok`, else a thrown Error saying why. */
function decodeBody<T extends object>(body: unknown, ok: (r: T) => boolean): T {
  if (!Buffer.isBuffer(body)) throw new Error(`the body must be ${contentType}`);
  const r = v8.deserialize(body) as T;
  if (typeof r !== 'object' || r === null || !ok(r)) throw new Error('not a request of this route');
  return r;
}

/** A replica's read side as the coordinator calls it. */
export class RemoteShardReader implements ShardReader {
  constructor(
    private readonly node: string,
    /** host:port of the replica's node. */
    private readonly address: string,
    private readonly agent: http.Agent,
    private readonly timeoutMs: number,
  ) {}

  countShards(req: ShardReadReq): Promise<number> {
    return this.call('count', req) as Promise<number>;
  }

  queryShards(req: ShardQueryReq): Promise<ShardRows> {
    return this.call('query', req) as Promise<ShardRows>;
  }

  searchShards(req: ShardSearchReq): Promise<ShardHits> {
    return this.call('search', req) as Promise<ShardHits>;
  }

  private call(op: Op, req: ShardReadReq): Promise<unknown> {
    return postV8(this.address, `${replicaPathPrefix}${op}`, req, this.agent, this.timeoutMs, (detail) => new ElanusError('REPLICA_BEHIND', { node: this.node, detail }));
  }
}

/**
 * A gateway's requests for views (tickets) to the coordinator, one at a time per
 * collection, consistency level and partition list: a read that comes while one is on its
 * way waits for the next, which goes as soon as that one is answered and serves every
 * read that waited. It never joins one already sent: a ticket asked for after a read
 * began is newer than every write acknowledged before the read (Strong and Session keep
 * their meaning), and the coordinator's work for a burst of reads is one view, not one
 * per read.
 *
 * Bounded and Eventually reads also take the last view of their lane while it is younger
 * than `reuseMs` (measured from when it was asked for): a Bounded read must see every
 * write acknowledged more than the staleness bound before it began, and every such write
 * was acknowledged before that view was asked for as long as `reuseMs` is below the
 * bound. Such a read may also miss a catalog change for as long (a dropped partition's
 * rows, say), never longer.
 */
export class TicketClient {
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly lanes = new Map<string, Lane>();
  /** The last view of each Bounded or Eventually lane, with when it was asked for. */
  private readonly recent = new Map<string, { readonly ticket: ReadTicket; readonly askedMs: number }>();
  /** Views asked of the coordinator, and reads that took a recent one instead. */
  readonly stats = { asked: 0, reused: 0 };

  constructor(private readonly timeoutMs: number, private readonly reuseMs = 0, private readonly nowMs: () => number = () => performance.now()) {}

  ticket(address: string, req: TicketReq): Promise<ReadTicket> {
    const key = JSON.stringify([address, req.db_name ?? '', req.collection_name, req.consistency_level ?? '', req.partition_names ?? []]);
    const relaxed = req.consistency_level === 'Bounded' || req.consistency_level === 'Eventually';
    if (relaxed) {
      const last = this.recent.get(key);
      if (last && this.nowMs() - last.askedMs < this.reuseMs) {
        this.stats.reused++;
        return Promise.resolve(last.ticket);
      }
    }
    return this.take(key, async () => {
      const askedMs = this.nowMs();
      this.stats.asked++;
      const ticket = await requestTicket(address, req, this.agent, this.timeoutMs);
      if (relaxed && this.reuseMs > 0) {
        const last = this.recent.get(key);
        if (!last || last.askedMs < askedMs) this.recent.set(key, { ticket, askedMs });
        this.forgetOld();
      }
      return ticket;
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Drops views past reuse, so lanes of collections no longer read hold nothing. */
  private forgetOld(): void {
    if (this.recent.size < 64) return;
    const now = this.nowMs();
    for (const [key, r] of this.recent) if (now - r.askedMs >= this.reuseMs) this.recent.delete(key);
  }

  private take(key: string, fetch: () => Promise<ReadTicket>): Promise<ReadTicket> {
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = {}));
    const l = lane;
    if (!l.running) {
      l.running = fetch().finally(() => {
        l.running = undefined;
        if (!l.next) this.lanes.delete(key);
      });
      return l.running;
    }
    // Sent before this read came: wait for it to be answered, then ask again (for every read that waited).
    l.next ??= l.running.then(() => undefined, () => undefined).then(() => {
      l.next = undefined;
      return this.take(key, fetch);
    });
    return l.next;
  }
}

interface Lane {
  running?: Promise<ReadTicket>;
  next?: Promise<ReadTicket>;
}

/** Asks the coordinator at `address` for a read's view (a gateway's replica read). */
export function requestTicket(address: string, req: TicketReq, agent: http.Agent, timeoutMs: number): Promise<ReadTicket> {
  return postV8(address, `${replicaPathPrefix}view`, req, agent, timeoutMs, (detail) => new ElanusError('REPLICA_BEHIND', { node: 'this node', detail: `no view from the coordinator at ${address}: ${detail}` })) as Promise<ReadTicket>;
}

/** POSTs `body` V8-serialized; resolves with the answer deserialized, or rejects with `failed(why)`. */
function postV8(address: string, path: string, req: unknown, agent: http.Agent, timeoutMs: number, failed: (detail: string) => Error): Promise<unknown> {
  const body = v8.serialize(req);
  const [host, port] = splitAddress(address);
  return new Promise((resolve, reject) => {
    const r = http.request({
      host, port, method: 'POST', path, agent, timeout: timeoutMs,
      headers: { 'content-type': contentType, 'content-length': body.length },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(failed(e.message)));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        if (res.statusCode === 200) {
          try {
            resolve(v8.deserialize(all));
          } catch (e) {
            reject(failed(`its answer does not decode: ${(e as Error).message}`));
          }
          return;
        }
        let said = all.toString('utf8').slice(0, 500);
        try {
          said = (JSON.parse(said) as { message?: string }).message ?? said;
        } catch {
          // Not JSON: quoted as it came.
        }
        reject(failed(`HTTP ${res.statusCode}: ${said}`));
      });
    });
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (e) => reject(failed(`${address}: ${e.message}`)));
    r.end(body);
  });
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return [host, Number(address.slice(i + 1))];
}
