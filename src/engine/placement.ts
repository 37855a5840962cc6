// The coordinator's placement of shards on data nodes (gateway/roles.ts ShardPlacement),
// for the embedded mode: every data node lives in this process. One node serves every
// shard unless the engine is opened with more (`dataNodes`, a test setting that makes
// the gateway fan a read out and merge it as a cluster would); shard i goes to node
// i mod n.
import { fail } from '../errors/index.js';
import type { ShardPlacement, ShardReader, ShardWriter } from '../gateway/roles.js';

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
