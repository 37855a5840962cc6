// The coordinator's placement of shards on data nodes (gateway/roles.ts ShardPlacement),
// for the embedded mode: every data node lives in this process. One node serves every
// shard unless the engine is opened with more (`dataNodes`, a test setting that makes
// the gateway fan a read out and merge it as a cluster would); shard i goes to node
// i mod n.
import { fail } from '../errors/index.js';
import type { ReplicaDirectory, ShardPlacement, ShardReadReq, ShardReader, ShardWriter } from '../gateway/roles.js';

/** A data node of this process: its id, its read side and its write side. */
export interface LocalDataNode {
  readonly node: string;
  readonly reads: ShardReader;
  readonly writes: ShardWriter;
}

export class LocalPlacement implements ShardPlacement {
  private readonly nodes: ReadonlyMap<string, LocalDataNode>;
  private readonly ids: readonly string[];

  constructor(nodes: readonly LocalDataNode[]) {
    if (nodes.length === 0) fail('INVALID_ARGUMENT', { detail: 'a placement needs at least one data node' });
    this.nodes = new Map(nodes.map((n) => [n.node, n]));
    this.ids = nodes.map((n) => n.node);
  }

  owners(_collectionId: number, shardsNum: number): readonly string[] {
    return Array.from({ length: shardsNum }, (_, i) => this.ids[i % this.ids.length]!);
  }

  writeOwners(collectionId: number, shardsNum: number): readonly string[] {
    return this.owners(collectionId, shardsNum);
  }

  reader(node: string): ShardReader {
    return this.node(node).reads;
  }

  writer(node: string): ShardWriter {
    return this.node(node).writes;
  }

  private node(id: string): LocalDataNode {
    const n = this.nodes.get(id);
    if (!n) fail('INVALID_ARGUMENT', { detail: `no data node ${JSON.stringify(id)}` });
    return n;
  }
}

/**
 * Cluster mode with read replicas: this engine (the coordinator, `local`) and the
 * replicas of the directory share the reads. Each read's shards are dealt round-robin
 * over them, starting one further on each call, so a one-shard collection's reads take
 * turns and a many-shard read fans out. A replica's read that fails (it died, it is
 * behind the catalog, the wire broke) is answered here instead and the replica is told
 * to the directory, so a read never fails for a replica's sake. Writes stay local.
 */
export class ReplicatedPlacement implements ShardPlacement {
  private turn = 0;

  constructor(private readonly local: LocalDataNode, private readonly replicas: ReplicaDirectory) {}

  owners(_collectionId: number, shardsNum: number): readonly string[] {
    const remote = this.replicas.nodes();
    if (remote.length === 0) return Array.from({ length: shardsNum }, () => this.local.node);
    const all = [this.local.node, ...remote];
    const start = this.turn++ % all.length;
    if (this.turn >= Number.MAX_SAFE_INTEGER) this.turn = 0;
    return Array.from({ length: shardsNum }, (_, i) => all[(start + i) % all.length]!);
  }

  writeOwners(_collectionId: number, shardsNum: number): readonly string[] {
    return Array.from({ length: shardsNum }, () => this.local.node);
  }

  reader(node: string): ShardReader {
    if (node === this.local.node) return this.local.reads;
    const remote = this.replicas.reader(node);
    const local = this.local.reads;
    const fallback = (e: unknown): void => this.replicas.failed(node, e);
    // The replica applies its log up to where this engine has (after the read's wait), so
    // it answers what this engine would, and asks the log nothing when it is there already.
    const withEnds = async <R extends ShardReadReq>(req: R): Promise<R> => (local.appliedEnds ? Object.assign({}, req, { logEnds: await local.appliedEnds(req) }) : req);
    return {
      countShards: (req) => withEnds(req).then((r) => remote.countShards(r)).catch((e: unknown) => { fallback(e); return local.countShards(req); }),
      queryShards: (req) => withEnds(req).then((r) => remote.queryShards(r)).catch((e: unknown) => { fallback(e); return local.queryShards(req); }),
      searchShards: (req) => withEnds(req).then((r) => remote.searchShards(r)).catch((e: unknown) => { fallback(e); return local.searchShards(req); }),
    };
  }

  writer(node: string): ShardWriter {
    if (node !== this.local.node) fail('INVALID_ARGUMENT', { detail: `writes go to the coordinator's own data node, not ${JSON.stringify(node)}` });
    return this.local.writes;
  }
}
