// GetMetrics' `system_info` topology, in the shape Milvus returns (its metricsinfo
// SystemTopology: `nodes_info`, each node an identifier, its connections and its infos).
// This process plays every role of a standalone Milvus, each with the one node id.
import { cpus, loadavg, networkInterfaces, totalmem, freemem } from 'node:os';
import { localNodeId as localNode } from '../../../catalog/index.js';

export { localNode };
const startedAt = new Date();
/** The roles a standalone Milvus reports, each one node of the topology. */
const roles = ['rootcoord', 'querycoord', 'datacoord', 'querynode', 'datanode'] as const;

function ip(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function infos(role: string, extra: Record<string, unknown> = {}) {
  const cores = cpus().length;
  return {
    has_error: false,
    error_reason: '',
    name: `${role}${localNode}`,
    hardware_infos: {
      ip: ip(),
      cpu_core_count: cores,
      // The one-minute load average as a share of the cores, in percent.
      cpu_core_usage: Math.round((loadavg()[0]! / Math.max(1, cores)) * 10_000) / 100,
      memory: totalmem(),
      memory_usage: totalmem() - freemem(),
      // Not measured here (the data folder's volume is the engine's, not the wire's).
      disk: 0,
      disk_usage: 0,
    },
    system_info: { system_version: '', deploy_mode: 'STANDALONE', build_version: 'v2.6.0', build_time: '', used_go_version: `node ${process.version}` },
    created_time: startedAt.toISOString(),
    updated_time: new Date().toISOString(),
    type: role,
    id: localNode,
    ...extra,
  };
}

/** `nodes_info`: the proxy first, connected to every other role, then the roles. */
export function systemTopology(loaded: ReadonlyArray<{ id: number; rows_stored: number }>) {
  const collectionRows = Object.fromEntries(loaded.map((c) => [String(c.id), c.rows_stored]));
  return [
    {
      identifier: localNode,
      connected: roles.map((r) => ({ connected_identifier: localNode, type: 'forward', target_type: r })),
      infos: infos('proxy', { system_configurations: { default_partition_name: '_default', default_index_name: '_default_idx' } }),
    },
    ...roles.map((r) => ({
      identifier: localNode,
      connected: r.endsWith('coord') ? [] : [{ connected_identifier: localNode, type: 'manage', target_type: r === 'querynode' ? 'querycoord' : 'datacoord' }],
      infos: infos(r, r === 'querynode' ? { collection_metrics: { CollectionRows: collectionRows } } : {}),
    })),
  ];
}
