// One node of a cluster (issue 14), as `elanus serve --cluster` runs it: every node
// answers clients on its port; the node holding the coordinator lease runs the engine on
// the shared stores (etcd, JetStream, S3), and every other node forwards its calls there
// and stands by. When the coordinator's lease ends (its node died, or was cut off from
// etcd), a standby wins the election, starts the engine from the stores (catalog from
// etcd, the log past each checkpoint from JetStream, segments from S3) and serves.
//
// A node that loses the lease stops being coordinator for good: its engine is closed
// and `lost` resolves, and the process exits (crash-only: whatever restarts it, it
// starts again as a standby). Catalog commits are fenced by the lease, so nothing a
// deposed node still had in flight lands in the catalog.
//
// A standby with the data role also serves reads: it keeps a read replica of the loaded
// collections (engine/replica.ts) and registers under `cluster/nodes/<node>` with a
// lease of its own; the coordinator spreads reads over itself and the registered
// replicas (replica-directory.ts), and answers itself whatever a replica cannot.
import type { Logger } from 'pino';
import { campaign, type Leadership } from '../cluster/index.js';
import { Elanus, ReadReplica, defaultLimits, type EngineLogStore, type StartOptions } from '../engine/index.js';
import { ElanusError } from '../errors/index.js';
import { switchableGateway, type Gateway } from '../gateway/index.js';
import type { LogStore, MetaStore, ObjectStore, StoreClock } from '../storage/index.js';
import type { ShardReader } from '../gateway/index.js';
import { ReplicaNodes, nodeKey, type NodeValue } from './replica-directory.js';
import { TicketClient, type TicketIssuer } from '../api/replica-wire.js';
import type { LocalGateway } from '../api/grpc/service.js';

export type NodeRole = 'gateway' | 'coordinator' | 'data';
/** Without `roles`: a gateway and a candidate; read replicas are opt-in (docs/CLUSTER.md). */
const defaultRoles: readonly NodeRole[] = ['gateway', 'coordinator'];
/** How soon a replica that could not start (or lost its registration) tries again. */
const replicaRetryMs = 1_000;

/** The calls a node with a replica answers for its own clients: reads (cluster-node.ts localCalls). */
const replicaCalls = new Set(['Search', 'Query', 'HybridSearch']);
/** How long a gateway's replica read waits for the coordinator's view before the call goes there instead. */
const ticketTimeoutMs = 5_000;

/** The key the coordinator holds; its value is the coordinator's {@link LeaderValue}. */
export const coordinatorKey = 'cluster/coordinator';
/** How soon a node that lost its view of the coordinator key (etcd out of reach) reads it again. */
const followRetryMs = 500;

export interface LeaderValue {
  readonly node: string;
  /** Where other nodes forward calls: host:port of its gateway. */
  readonly address: string;
}

export interface ClusterStores {
  /** The catalog's store (etcd), already inside this cluster's namespace. */
  readonly meta: MetaStore & { probe?(): Promise<boolean> };
  /** The shards' log (JetStream); a probe() heals streams whose appends failed, where the store has one. */
  readonly log: LogStore & { probe?(): Promise<unknown> };
  readonly objects: ObjectStore;
}

export interface ClusterNodeOptions {
  readonly node: string;
  /** This node's gateway address as other nodes reach it. */
  readonly address: string;
  readonly stores: ClusterStores;
  /** The coordinator lease's TTL: a dead coordinator is replaced this long after its last keep-alive. */
  readonly leaseTtlMs: number;
  readonly engine: StartOptions;
  /**
   * 'coordinator': stands for the lease (and runs the engine when it wins); 'gateway':
   * forwards the calls it gets to the coordinator. Default both. A node with only the
   * coordinator role answers a standby's NOT_COORDINATOR instead of forwarding; one with
   * only the gateway role never coordinates. 'data': while standing by, keeps a read
   * replica and serves the coordinator's reads from it. Default gateway and coordinator.
   */
  readonly roles?: readonly NodeRole[];
  readonly logger: Logger;
  readonly clock?: StoreClock;
}

export class ClusterNode {
  /** What the protocol layers call: this node's engine while it coordinates. */
  readonly gateway: Gateway;
  /** Resolves, with the reason, once this node stopped being coordinator (it must then exit). */
  readonly lost: Promise<string>;
  private engine: Elanus | undefined;
  private leaderValue: LeaderValue | undefined;
  private leadership: Leadership | undefined;
  private readonly stop = new AbortController();
  private closed = false;
  private resolveLost!: (reason: string) => void;
  private readonly watching: Promise<void>;
  private readonly running: Promise<void>;
  private readonly replicating: Promise<void>;
  /** This node's read replica while it stands by with the data role. */
  private replica: ReadReplica | undefined;
  private membership: Leadership | undefined;
  /** Set when this node won the election: the replica stops for good. */
  private readonly coordinating = new AbortController();
  private directory: ReplicaNodes | undefined;
  private readonly tickets: TicketClient;

  constructor(private readonly o: ClusterNodeOptions) {
    this.gateway = switchableGateway(() => this.engine, () => {
      const l = this.leaderValue;
      if (!this.hasRole('gateway')) return `node ${this.o.node} is not a gateway (its roles: ${this.roles().join(', ')}); send calls to a gateway${l ? `, or to the coordinator ${l.node} at ${l.address}` : ''}`;
      if (!l) return `no coordinator is elected yet (node ${this.o.node} is ${this.hasRole('coordinator') ? 'a candidate' : 'a gateway only'})`;
      // The key still names this node: a lease of its previous run, not yet expired.
      if (l.node === this.o.node) return `the coordinator lease still held for ${l.node} before it restarted has not expired yet; a coordinator is elected when it does`;
      return `node ${this.o.node} is a standby; calls go to ${l.node} at ${l.address}`;
    });
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    // A Bounded read may reuse a view younger than half the staleness bound (and 500 ms at most).
    this.tickets = new TicketClient(ticketTimeoutMs, Math.min(500, (o.engine.limits?.boundedStalenessMs ?? defaultLimits.boundedStalenessMs) / 2));
    this.watching = this.followLeader().catch((e: unknown) => this.fail('following the coordinator key failed', e));
    this.running = this.run().catch((e: unknown) => this.fail('the coordinator failed to start', e));
    this.replicating = this.runReplica();
  }

  /** This node's read replica (the replica wire's routes ask it), while it has one. */
  replicaReader(): ShardReader | undefined {
    return this.replica;
  }

  /**
   * A read this node's clients sent it, answered from its own replica (planned and merged
   * here, at a view the coordinator gives: engine/replica.ts gateway) instead of being
   * forwarded; undefined when the call goes to the coordinator (no replica, not a read,
   * this node coordinates). Whatever fails here is forwarded after all.
   */
  localCalls(rpc: string): LocalGateway | undefined {
    if (!replicaCalls.has(rpc)) return undefined;
    const replica = this.replica;
    const address = this.forwardTo();
    if (!replica || address === undefined) return undefined;
    const local = replica.gateway((req) => this.tickets.ticket(address, req));
    // The calls a replica answers are the Gateway's read calls; the handlers use no other.
    return local && { engine: local.engine as unknown as Gateway, release: local.release };
  }

  /** The coordinator's side of the gateways' replica reads (the view route), while this node coordinates. */
  ticketIssuer(): TicketIssuer | undefined {
    return this.engine;
  }

  /** The views this node asked the coordinator for, and the reads that reused a recent one. */
  ticketStats(): TicketClient['stats'] {
    return this.tickets.stats;
  }

  /** This node's read replica's counters, while it has one. */
  replicaStats(): ReadReplica['stats'] | undefined {
    return this.replica?.stats;
  }

  /** The coordinator's view of the replicas (tests read its fallbacks), while this node coordinates. */
  replicas(): ReplicaNodes | undefined {
    return this.directory;
  }

  /** Where this node forwards calls: the coordinator's address, or undefined while it is the coordinator itself (or no gateway). */
  forwardTo(): string | undefined {
    if (this.engine || !this.hasRole('gateway')) return undefined;
    const l = this.leaderValue;
    return l && l.node !== this.o.node ? l.address : undefined;
  }

  /** The coordinator as last seen in etcd. */
  leader(): LeaderValue | undefined {
    return this.leaderValue;
  }

  isCoordinator(): boolean {
    return this.engine !== undefined && (this.leadership?.holds() ?? false);
  }

  /** Stops campaigning; a coordinator closes its engine and gives the lease up for a standby to take at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    const engine = this.engine;
    this.engine = undefined;
    await engine?.close().catch((e: unknown) => this.o.logger.warn({ err: String(e) }, 'closing the engine failed'));
    await Promise.all([this.running, this.watching, this.replicating]);
    // The lease goes once the campaign is over: one won while this node was closing
    // (run() gives up when it sees `closed`) is given up too, or the node would hold the
    // coordinator key, keep it alive and serve nothing.
    await this.directory?.close();
    await this.leadership?.resign().catch(() => undefined);
    await this.stopReplica();
    this.tickets.close();
    this.resolveLost('closed');
  }

  roles(): readonly NodeRole[] {
    return this.o.roles ?? defaultRoles;
  }

  private hasRole(role: NodeRole): boolean {
    return this.roles().includes(role);
  }

  private async run(): Promise<void> {
    // A gateway only never stands for the lease.
    if (!this.hasRole('coordinator')) return;
    const { node, address, stores, leaseTtlMs, logger } = this.o;
    const value: LeaderValue = { node, address };
    const leadership = await campaign({
      store: stores.meta, key: coordinatorKey, value: JSON.stringify(value), ttlMs: leaseTtlMs,
      signal: this.stop.signal, ...(this.o.clock ? { clock: this.o.clock } : {}),
    }).catch((e: unknown) => {
      if (this.closed) return undefined;
      throw e;
    });
    if (!leadership) return;
    this.leadership = leadership;
    // Won while closing: close() resigns it once this returns.
    if (this.closed) return;
    logger.info({ node, lease: leadership.lease }, 'won the coordinator election: starting the engine from the cluster\'s stores');
    const started = performance.now();
    // The coordinator reads for itself: its replica and registration go. Not waited for:
    // a copy being rebuilt (reading S3 and the log) must not hold the engine's start back,
    // and the coordinator's directory leaves its own node out anyway.
    this.coordinating.abort();
    void this.stopReplica();
    this.directory = new ReplicaNodes(stores.meta, node, logger);
    const engine = await Elanus.start({
      meta: lent(stores.meta as MetaStore & { probe(): Promise<boolean> }, stores.meta.probe ? {} : { probe: () => answers(stores.meta) }),
      // Without a probe of its own, a log that answers is taken as healed.
      log: lent(stores.log as EngineLogStore, stores.log.probe ? {} : { probe: () => stores.log.streams() }),
      objects: lent(stores.objects),
      metaFence: leadership.fence,
      fenceLog: true,
      probeWritable: async () => { await stores.meta.revision(); },
      // The stores are the node's (shared with the standby that follows); the lease is released at close.
      release: async () => undefined,
    }, { ...this.o.engine, replicas: this.directory });
    if (this.closed || !leadership.holds()) {
      await engine.close().catch(() => undefined);
      return;
    }
    this.engine = engine;
    logger.info({ node, ms: Math.round(performance.now() - started) }, 'coordinator: serving');
    void leadership.lost.then(async (reason) => {
      if (this.closed) return;
      logger.error({ node, reason }, 'lost the coordinator lease: stopping the engine');
      this.engine = undefined;
      await engine.close().catch(() => undefined);
      this.resolveLost(reason);
    });
  }

  /**
   * While this node stands by with the data role: a read replica of the loaded
   * collections, and this node's key under `cluster/nodes/` held by a lease of its own
   * once the replica is ready (so the coordinator only sends reads to a replica that can
   * answer). A registration lost (etcd out of reach past the lease) is taken again.
   */
  private async runReplica(): Promise<void> {
    if (!this.hasRole('data')) return;
    const { node, address, stores, leaseTtlMs, logger } = this.o;
    const ended = () => this.closed || this.coordinating.signal.aborted;
    const wait = (ms: number) => new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      const done = () => { clearTimeout(t); resolve(); };
      this.stop.signal.addEventListener('abort', done, { once: true });
      this.coordinating.signal.addEventListener('abort', done, { once: true });
    });
    while (!ended()) {
      try {
        if (!this.replica) {
          const started = performance.now();
          this.replica = await ReadReplica.open({
            node, meta: stores.meta, log: stores.log, objects: stores.objects, limits: this.o.engine.limits ?? {},
            onError: (e) => logger.warn({ node, err: e instanceof Error ? e.message : String(e) }, 'the read replica could not read the stores; it tries again'),
          });
          logger.info({ node, ms: Math.round(performance.now() - started), revision: this.replica.revision }, 'read replica ready');
          if (ended()) {
            await this.stopReplica();
            return;
          }
        }
        const value: NodeValue = { node, address };
        const signal = AbortSignal.any([this.stop.signal, this.coordinating.signal]);
        this.membership = await campaign({ store: stores.meta, key: nodeKey(node), value: JSON.stringify(value), ttlMs: leaseTtlMs, signal, ...(this.o.clock ? { clock: this.o.clock } : {}) });
        // The signal may have fired while the campaign ran (this node won the election meanwhile).
        const stopped = new Promise<string>((resolve) => {
          if (signal.aborted) resolve('stopped');
          else signal.addEventListener('abort', () => resolve('stopped'), { once: true });
        });
        const reason = await Promise.race([this.membership.lost, stopped]);
        if (!ended()) logger.warn({ node, reason }, 'the read replica\'s registration was lost; registering again');
      } catch (e) {
        if (ended()) return;
        logger.warn({ node, err: e instanceof Error ? e.message : String(e) }, 'the read replica could not start; trying again');
        await wait(replicaRetryMs);
      }
    }
  }

  private async stopReplica(): Promise<void> {
    const membership = this.membership;
    this.membership = undefined;
    await membership?.resign().catch(() => undefined);
    const replica = this.replica;
    this.replica = undefined;
    await replica?.close().catch(() => undefined);
  }

  /** Keeps leaderValue equal to the coordinator key: read it, then watch every change from there. */
  private async followLeader(): Promise<void> {
    const { meta } = this.o.stores;
    let outage = false;
    while (!this.closed) {
      try {
        await this.followOnce(meta, () => (outage = false));
        return;
      } catch (e) {
        // A watch that fell out of the kept history starts over from the current value.
        if (e instanceof ElanusError && e.code === 'COMPACTED') continue;
        // etcd out of reach (restarting, a network blip): forward to the coordinator last
        // seen and read again shortly. Only the coordinator's own lease decides whether it
        // still coordinates; a standby has nothing to give up.
        if (!(e instanceof ElanusError && e.code === 'STORE_UNAVAILABLE')) throw e;
        if (!outage) this.o.logger.warn({ node: this.o.node, err: e.message }, 'the coordinator key cannot be followed; trying again');
        outage = true;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, followRetryMs);
          this.stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
        });
        continue;
      }
    }
  }

  /** Reads the key, then follows it until the watch ends (close) or fails. */
  private async followOnce(meta: MetaStore, onRead: () => void): Promise<void> {
    // The value and the revision it was read at come from one read: a revision asked
    // for separately could be past a coordinator elected in between, whose put the
    // watch would then never deliver (a standby that never learns where to forward).
    const read = await meta.range(coordinatorKey, { limit: 1 });
    const kv = read.kvs[0]?.key === coordinatorKey ? read.kvs[0] : undefined;
    this.leaderValue = kv ? parseLeader(kv.value) : undefined;
    onRead();
    const watch = await meta.watch(coordinatorKey, { fromRevision: read.revision + 1 });
    const stop = () => watch.close();
    this.stop.signal.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        const batch = await watch.next();
        if (batch === undefined) return;
        for (const e of batch.events) {
          if (e.kv.key !== coordinatorKey) continue;
          this.leaderValue = e.type === 'put' ? parseLeader(e.kv.value) : undefined;
        }
      }
    } finally {
      this.stop.signal.removeEventListener('abort', stop);
      watch.close();
    }
  }

  private fail(what: string, e: unknown): void {
    if (this.closed) return;
    this.o.logger.error({ node: this.o.node, err: e instanceof Error ? e.message : String(e) }, what);
    this.resolveLost(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseLeader(text: string): LeaderValue | undefined {
  try {
    const v = JSON.parse(text) as Partial<LeaderValue>;
    return typeof v.node === 'string' && typeof v.address === 'string' ? { node: v.node, address: v.address } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `store` as the engine sees it: its close does nothing (the stores are the node's, and
 * outlive an engine it stops), and `extra` adds what the engine needs besides the
 * interface (a health probe).
 */
export function lent<T extends object>(store: T, extra: Record<string, unknown> = {}): T {
  return new Proxy(store, {
    get(target, name) {
      if (name === 'close') return async () => undefined;
      if (typeof name === 'string' && name in extra) return extra[name];
      const value = (target as Record<string | symbol, unknown>)[name];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A metadata store that answers is healthy. */
async function answers(meta: MetaStore): Promise<boolean> {
  try {
    await meta.revision();
    return true;
  } catch {
    return false;
  }
}
