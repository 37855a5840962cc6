// One leader among many candidates, by a key held with a MetaStore lease (etcd in cluster
// mode): the coordinator is the node whose lease holds `cluster/coordinator`. A standby
// watches the key and takes it once the leader's lease is gone.
//
// Two nodes must never both act as leader. The store alone cannot promise that: a leader
// cut off from etcd keeps running after its lease expired and another node took over. So
// a leader fences itself by time, and its writes are fenced by the store:
// - it counts its lease from when it *sent* the last keep-alive that succeeded (the
//   server restarts the TTL when it receives it, later), and stops calling itself leader
//   `safetyMs` before that lease could end: `holds()` turns false and `lost` resolves.
//   A standby can only take the key after the server expired the lease, later still.
// - every catalog commit carries `fence` (the key is still held by this lease), so a
//   commit already on its way when leadership ended is refused (catalog/meta-cache.ts).
import { ElanusError, assert, isElanusError } from '../errors/index.js';
import { type Compare, type MetaStore, type StoreClock, metaLimits, systemStoreClock } from '../storage/index.js';

/** Shortest lease a leader may hold: etcd rounds TTLs to seconds, and keep-alives need slack. */
export const electionTtlMsMin = 2_000;
/** Keep-alives per TTL: one lost keep-alive still leaves two chances before the deadline. */
const keepAlivesPerTtl = 4;

export interface ElectionOptions {
  readonly store: MetaStore;
  /** The key the leader holds (one per role: `cluster/coordinator`). */
  readonly key: string;
  /** What the leader writes under the key: its node name and address, for others to find it. */
  readonly value: string;
  /** The lease's time to live: a dead leader is replaced this long after its last keep-alive. */
  readonly ttlMs: number;
  /** Time and timers (tests move time by hand); default real time. */
  readonly clock?: StoreClock;
  /** Stops a campaign that has not won yet (it then rejects with CLOSED). */
  readonly signal?: AbortSignal;
}

export interface Leadership {
  readonly lease: number;
  /** The compares that hold while this node leads: every catalog commit carries them. */
  readonly fence: readonly Compare[];
  /** Resolves, with the reason, once this node must no longer act as leader. */
  readonly lost: Promise<string>;
  /** Whether this node may act as leader now. */
  holds(): boolean;
  /** Gives the key up at once (revokes the lease), so a standby takes over without waiting. */
  resign(): Promise<void>;
}

/** The current leader's value, or undefined when nobody leads. */
export async function currentLeader(store: MetaStore, key: string): Promise<string | undefined> {
  return (await store.get(key))?.value;
}

/**
 * Campaigns until this node leads: tries to create the key with a fresh lease; while
 * another node holds it, waits for its delete (a resignation or an expired lease) and
 * tries again. Resolves once this node holds the key.
 */
export async function campaign(opts: ElectionOptions): Promise<Leadership> {
  const { store, key, value, ttlMs, signal } = opts;
  const clock = opts.clock ?? systemStoreClock;
  if (!Number.isInteger(ttlMs) || ttlMs < electionTtlMsMin || ttlMs > metaLimits.leaseTtlMsMax) {
    throw new ElanusError('INVALID_ARGUMENT', { detail: `an election's ttlMs must be an integer in [${electionTtlMsMin}, ${metaLimits.leaseTtlMsMax}], got ${String(ttlMs)}` });
  }
  for (;;) {
    if (signal?.aborted) throw new ElanusError('CLOSED');
    try {
      const sentAt = clock.now();
      const lease = await store.grantLease(ttlMs);
      const r = await store.txn({
        compare: [{ key, target: 'exists', value: false }],
        success: [{ op: 'put', key, value, lease }],
        failure: [{ op: 'get', key }],
      });
      if (r.succeeded) return new Held(store, key, lease, ttlMs, clock, sentAt);
      await store.revokeLease(lease).catch(() => undefined);
      await deleted(store, key, r.revision + 1, signal);
    } catch (e) {
      // The store out of reach: try again. A create whose answer was lost may have put the
      // key on its lease; nobody acts on that lease, and the key goes when it expires.
      if (!(e instanceof ElanusError && e.code === 'STORE_UNAVAILABLE') || signal?.aborted) throw e;
      await new Promise<void>((resolve) => clock.setTimer(campaignRetryMs, resolve));
    }
  }
}

/** How soon a candidate tries again after the store did not answer. */
const campaignRetryMs = 500;

/** Resolves once `key` is deleted at or after `fromRevision` (or is already gone). */
async function deleted(store: MetaStore, key: string, fromRevision: number, signal: AbortSignal | undefined): Promise<void> {
  const watch = await store.watch(key, { fromRevision });
  const stop = () => watch.close();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    // The holder may have gone between the failed create and the watch's start: the
    // watch starts right after the failed create's revision, so it sees that delete too.
    for (;;) {
      const batch = await watch.next();
      if (batch === undefined) throw new ElanusError('CLOSED');
      if (batch.events.some((e) => e.type === 'delete' && e.kv.key === key)) return;
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    watch.close();
  }
}

class Held implements Leadership {
  readonly fence: readonly Compare[];
  readonly lost: Promise<string>;
  private resolveLost!: (reason: string) => void;
  /** This node acts as leader until this time (its clock): the lease's end less the safety margin. */
  private deadline: number;
  private ended = false;
  private cancelTimer: () => void = () => undefined;
  private readonly safetyMs: number;

  constructor(
    private readonly store: MetaStore,
    private readonly key: string,
    readonly lease: number,
    private readonly ttlMs: number,
    private readonly clock: StoreClock,
    sentAt: number,
  ) {
    this.fence = Object.freeze([Object.freeze({ key, target: 'lease', op: '=', value: lease } as const)]);
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    this.safetyMs = Math.floor(ttlMs / keepAlivesPerTtl);
    this.deadline = sentAt + ttlMs - this.safetyMs;
    this.arm();
  }

  holds(): boolean {
    return !this.ended && this.clock.now() < this.deadline;
  }

  async resign(): Promise<void> {
    this.end('resigned');
    await this.store.revokeLease(this.lease).catch((e: unknown) => {
      if (!isElanusError(e, 'LEASE_NOT_FOUND')) throw e;
    });
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.cancelTimer();
    this.resolveLost(reason);
  }

  /** The next keep-alive, or the end when the deadline comes first. */
  private arm(): void {
    const now = this.clock.now();
    const next = Math.min(now + Math.floor(this.ttlMs / keepAlivesPerTtl), this.deadline);
    this.cancelTimer = this.clock.setTimer(Math.max(0, next - now), () => void this.tick());
  }

  private async tick(): Promise<void> {
    if (this.ended) return;
    const sentAt = this.clock.now();
    if (sentAt >= this.deadline) return this.end(`no keep-alive of lease ${this.lease} succeeded within ${this.ttlMs - this.safetyMs} ms`);
    try {
      await this.store.keepAlive(this.lease);
      if (this.ended) return;
      // The server restarted the TTL no earlier than this keep-alive was sent.
      const deadline = sentAt + this.ttlMs - this.safetyMs;
      assert(deadline >= this.deadline, 'a leader\'s deadline only moves forward');
      this.deadline = deadline;
    } catch (e) {
      if (this.ended) return;
      if (isElanusError(e, 'LEASE_NOT_FOUND')) return this.end(`lease ${this.lease} expired or was revoked`);
      if (isElanusError(e, 'CLOSED')) return this.end('the metadata store was closed');
      // Unreachable for now: try again until the deadline.
    }
    this.arm();
  }
}
