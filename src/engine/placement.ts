// The coordinator's placement of shards on data nodes (gateway/roles.ts ShardPlacement),
// for the embedded mode: every data node lives in this process. One node serves every
// shard unless the engine is opened with more (`dataNodes`, a test setting that makes
// the gateway fan a read out and merge it as a cluster would); shard i goes to node
// i mod n.
import { fail } from '../errors/index.js';
import type { ShardPlacement, ShardReader } from '../gateway/roles.js';

export class LocalPlacement implements ShardPlacement {
  private readonly nodes: ReadonlyMap<string, ShardReader>;
  private readonly ids: readonly string[];

  constructor(nodes: ReadonlyArray<{ readonly node: string } & ShardReader>) {
    if (nodes.length === 0) fail('INVALID_ARGUMENT', { detail: 'a placement needs at least one data node' });
    this.nodes = new Map(nodes.map((n) => [n.node, n]));
    this.ids = nodes.map((n) => n.node);
  }

  owners(_collectionId: number, shardsNum: number): readonly string[] {
    return Array.from({ length: shardsNum }, (_, i) => this.ids[i % this.ids.length]!);
  }

  reader(node: string): ShardReader {
    const r = this.nodes.get(node);
    if (!r) fail('INVALID_ARGUMENT', { detail: `no data node ${JSON.stringify(node)}` });
    return r;
  }
}
