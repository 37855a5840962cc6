// The coordinator's view of the cluster's read replicas (gateway/roles.ts
// ReplicaDirectory): the nodes registered under `cluster/nodes/<node>` (each key held by
// its node's lease, cluster-node.ts), followed by a watch, and a wire reader for each
// (api/replica-wire.ts). A replica whose read failed is left out of reads for a while;
// its key going away (the node stopped, or its lease expired) removes it for good.
import http from 'node:http';
import type { Logger } from 'pino';
import { RemoteShardReader } from '../api/replica-wire.js';
import { ElanusError } from '../errors/index.js';
import type { ReplicaDirectory, ShardReader } from '../gateway/index.js';
import type { MetaStore } from '../storage/index.js';

/** Where nodes serving read replicas register; the value is {@link NodeValue}. */
export const nodesPrefix = 'cluster/nodes/';
export const nodeKey = (node: string) => `${nodesPrefix}${node}`;

export interface NodeValue {
  readonly node: string;
  /** host:port of its port (gRPC, REST and the replica wire). */
  readonly address: string;
}

/** A replica whose read failed is not asked again for this long. */
const failedHoldMs = 5_000;
/** How long the coordinator waits for a replica's answer before reading locally. */
const replicaReadTimeoutMs = 10_000;
const retryMs = 500;

export class ReplicaNodes implements ReplicaDirectory {
  private readonly registered = new Map<string, NodeValue>();
  private readonly readers = new Map<string, { address: string; reader: ShardReader }>();
  private readonly failedAt = new Map<string, number>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly stop = new AbortController();
  private readonly following: Promise<void>;
  /** Reads a replica failed and the coordinator answered, by node (for logs and tests). */
  readonly fallbacks = new Map<string, number>();

  constructor(private readonly meta: MetaStore, private readonly self: string, private readonly logger: Logger) {
    this.following = this.follow();
  }

  nodes(): readonly string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const node of this.registered.keys()) {
      if (node === this.self) continue;
      const failed = this.failedAt.get(node);
      if (failed !== undefined && now - failed < failedHoldMs) continue;
      out.push(node);
    }
    return out;
  }

  reader(node: string): ShardReader {
    const v = this.registered.get(node);
    if (!v) return unavailable(node);
    let r = this.readers.get(node);
    if (!r || r.address !== v.address) {
      r = { address: v.address, reader: new RemoteShardReader(node, v.address, this.agent, replicaReadTimeoutMs) };
      this.readers.set(node, r);
    }
    return r.reader;
  }

  failed(node: string, e: unknown): void {
    this.fallbacks.set(node, (this.fallbacks.get(node) ?? 0) + 1);
    const first = !this.failedAt.has(node) || Date.now() - this.failedAt.get(node)! >= failedHoldMs;
    this.failedAt.set(node, Date.now());
    if (first) this.logger.warn({ node, err: e instanceof Error ? e.message : String(e) }, 'a read replica failed a read; the coordinator answered it, and reads skip the replica for a while');
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.following;
    this.agent.destroy();
  }

  /** Reads the registrations, then applies every change from the revision read; starts over on a failure. */
  private async follow(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        const read = await this.meta.range(nodesPrefix);
        this.registered.clear();
        for (const kv of read.kvs) put(this.registered, kv.key, kv.value);
        const watch = await this.meta.watch(nodesPrefix, { fromRevision: read.revision + 1 });
        const end = () => watch.close();
        this.stop.signal.addEventListener('abort', end, { once: true });
        try {
          for (;;) {
            const batch = await watch.next();
            if (batch === undefined) return;
            for (const e of batch.events) {
              if (e.type === 'put') put(this.registered, e.kv.key, e.kv.value);
              else {
                const node = e.kv.key.slice(nodesPrefix.length);
                this.registered.delete(node);
                this.readers.delete(node);
                this.failedAt.delete(node);
              }
            }
          }
        } finally {
          this.stop.signal.removeEventListener('abort', end);
          watch.close();
        }
      } catch (e) {
        if (this.stop.signal.aborted) return;
        // etcd out of reach or the watch's history compacted: read again shortly. Reads
        // meanwhile use the replicas last seen (a dead one fails over to the coordinator).
        if (!(e instanceof ElanusError)) this.logger.warn({ err: String(e) }, 'following the read replicas failed; trying again');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, retryMs);
          this.stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
        });
      }
    }
  }
}

function put(into: Map<string, NodeValue>, key: string, value: string): void {
  try {
    const v = JSON.parse(value) as Partial<NodeValue>;
    if (typeof v.node === 'string' && typeof v.address === 'string' && key === nodeKey(v.node)) into.set(v.node, { node: v.node, address: v.address });
  } catch {
    // Not a registration this build wrote: ignored.
  }
}

function unavailable(node: string): ShardReader {
  const no = () => Promise.reject(new ElanusError('REPLICA_BEHIND', { node, detail: 'it is no longer registered' }));
  return { countShards: no, queryShards: no, searchShards: no };
}
