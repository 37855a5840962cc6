// /v2/vectordb/resource_groups/*: create, drop, alter, describe, list, transfer_replica.
// Bodies as Milvus's REST handler reads them (name and config; resource_groups as a map
// of configs; sourceRgName, targetRgName, collectionName, replicaNum); describe answers
// {resource_group} as Go encodes Milvus's message, leaving out empty fields (at the top
// level, as Milvus puts it, and in data).
import { hostname } from 'node:os';
import type { ResourceGroupConfigInput } from '../../catalog/index.js';
import type { ResourceGroupDescription } from '../../gateway/index.js';
import { bad, optionalObject, requireString, typeName } from './body.js';
import { Reply, type RestHandler } from './envelope.js';

/** Go's omitempty: zero numbers, empty strings, lists and maps are left out; nested messages stay, even empty. */
function compact(o: Record<string, unknown>, mapKeys: readonly string[] = []): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => {
    if (v === 0 || v === '' || v === null || v === undefined) return false;
    if (Array.isArray(v)) return v.length > 0;
    return !mapKeys.includes(k) || Object.keys(v as object).length > 0;
  }));
}

function describeBody(g: ResourceGroupDescription): Record<string, unknown> {
  const c = g.config;
  const config = compact({
    requests: compact({ node_num: c.requests.node_num }),
    limits: compact({ node_num: c.limits.node_num }),
    transfer_from: c.transfer_from,
    transfer_to: c.transfer_to,
    node_filter: compact({ node_labels: c.node_filter.node_labels }),
  });
  return compact({
    name: g.name,
    capacity: g.capacity,
    num_available_node: g.num_available_node,
    num_loaded_replica: g.num_loaded_replica,
    num_outgoing_node: g.num_outgoing_node,
    num_incoming_node: g.num_incoming_node,
    config,
    nodes: g.nodes.map((id) => compact({ node_id: id, address: 'embedded', hostname: hostname() })),
  }, ['num_loaded_replica', 'num_outgoing_node', 'num_incoming_node']);
}

function configOf(v: unknown, label: string): ResourceGroupConfigInput {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`${label} must be an object, got ${typeName(v)}`);
  return v as ResourceGroupConfigInput;
}

export const resourceGroupRoutes: Readonly<Record<string, RestHandler>> = {
  'resource_groups/create': async ({ engine, body }) => {
    const config = optionalObject(body, 'config');
    await engine.createResourceGroup({ resource_group: requireString(body, 'name'), config: config === undefined ? undefined : configOf(config, 'config') });
    return {};
  },

  'resource_groups/drop': async ({ engine, body }) => {
    await engine.dropResourceGroup({ resource_group: requireString(body, 'name') });
    return {};
  },

  'resource_groups/alter': async ({ engine, body }) => {
    const given = optionalObject(body, 'resource_groups');
    if (given === undefined) bad('resource_groups is required: a map of group names to configs');
    const groups: Record<string, ResourceGroupConfigInput> = {};
    for (const [name, cfg] of Object.entries(given)) groups[name] = configOf(cfg, `resource_groups.${name}`);
    await engine.updateResourceGroups({ resource_groups: groups });
    return {};
  },

  'resource_groups/describe': async ({ engine, body }) => {
    const { resource_group } = await engine.describeResourceGroup({ resource_group: requireString(body, 'name') });
    // Milvus answers this one endpoint as `{"resource_group": {...}}`, outside the usual
    // envelope; the group goes there and, for clients that read the envelope, in data too.
    const group = describeBody(resource_group);
    return new Reply({ resource_group: group }, { resource_group: group });
  },

  'resource_groups/list': async ({ engine }) => (await engine.listResourceGroups()).resource_groups,

  'resource_groups/transfer_replica': async ({ engine, body, db }) => {
    const n = body['replicaNum'];
    if (typeof n !== 'number' || !Number.isInteger(n)) bad(`replicaNum is required and must be an integer, got ${typeName(n)}`);
    await engine.transferReplica({
      db_name: db, collection_name: requireString(body, 'collectionName'),
      source_resource_group: requireString(body, 'sourceRgName'), target_resource_group: requireString(body, 'targetRgName'), num_replica: n,
    });
    return {};
  },
};
