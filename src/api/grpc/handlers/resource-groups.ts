// Resource groups, replica transfer and load balance (Milvus's standalone semantics: one
// query node, held by one group at a time; engine/resource-groups.ts).
import { hostname } from 'node:os';
import { okStatus } from '../../status.js';
import type { Handler } from '../context.js';

const ok = okStatus as unknown as Record<string, unknown>;

/** common.NodeInfo of this process's query node. */
export function nodeInfo(id: number) {
  return { node_id: String(id), address: 'embedded', hostname: hostname() };
}

export const resourceGroupHandlers: Record<string, Handler> = {
  async CreateResourceGroup(r, ctx) {
    await ctx.engine.createResourceGroup({ resource_group: r.resource_group, config: r.config });
    return ok;
  },
  async DropResourceGroup(r, ctx) {
    await ctx.engine.dropResourceGroup({ resource_group: r.resource_group });
    return ok;
  },
  async UpdateResourceGroups(r, ctx) {
    await ctx.engine.updateResourceGroups({ resource_groups: r.resource_groups ?? {} });
    return ok;
  },
  async ListResourceGroups(_r, ctx) {
    const { resource_groups } = await ctx.engine.listResourceGroups();
    return { status: okStatus, resource_groups };
  },
  async DescribeResourceGroup(r, ctx) {
    const { resource_group: g } = await ctx.engine.describeResourceGroup({ resource_group: r.resource_group });
    return { status: okStatus, resource_group: { ...g, nodes: g.nodes.map(nodeInfo) } };
  },
  async TransferNode(r, ctx) {
    await ctx.engine.transferNode({ source_resource_group: r.source_resource_group, target_resource_group: r.target_resource_group, num_node: r.num_node });
    return ok;
  },
  async TransferReplica(r, ctx) {
    await ctx.engine.transferReplica({
      db_name: r.db_name || ctx.db, collection_name: r.collection_name,
      source_resource_group: r.source_resource_group, target_resource_group: r.target_resource_group, num_replica: r.num_replica,
    });
    return ok;
  },
  async LoadBalance(r, ctx) {
    await ctx.engine.loadBalance({
      db_name: r.db_name || ctx.db, collection_name: r.collectionName,
      src_nodeID: r.src_nodeID, dst_nodeIDs: r.dst_nodeIDs, sealed_segmentIDs: r.sealed_segmentIDs,
    });
    return ok;
  },
};
