// Resource groups, replica placement and load balance: the coordinator's (querycoord's)
// part of Milvus's standalone semantics. Each change is one step of the coordinator queue
// and one catalog commit: the groups' records (`rg/<name>`, with the node each holds) and,
// for a replica transfer, the collection's replica placement.
// A role of the embedded engine (engine/README.md): its state is the engine core's.
import { fail } from '../errors/index.js';
import {
  assignReplicas, type CollectionMeta, type ResourceGroupConfigInput, type ResourceGroupMeta, catalogKeys, checkNodesFor, defaultResourceGroup,
  emptyResourceGroupConfig, localNodeId, normalizeResourceGroupConfig, recoverNodes, resourceGroupCapacity, resourceGroupConfigToWire,
  resourceGroupsMax, sameResourceGroupConfig, validateResourceGroupName,
} from '../catalog/index.js';
import { type CollectionReq, status } from '../gateway/requests.js';
import type { LoadBalanceReq, LoadOptions, ReplicaDescription, ResourceGroupDescription, TransferNodeReq, TransferReplicaReq } from '../gateway/resource-groups.js';
import type { EngineCore } from './core.js';

/** A loaded collection's replicas per group (one in the default group unless the load said otherwise). */
export function replicaGroupsOf(c: CollectionMeta): Readonly<Record<string, number>> {
  if (!c.loaded) return {};
  return c.replicaGroups ?? { [defaultResourceGroup]: 1 };
}

/**
 * The replica placement a load asks for, checked against the groups as Milvus 2.6 checks
 * it: no replica number means 1, no groups mean the default group; a collection already
 * loaded keeps its placement, and a load that asks for another one (another replica
 * number, or groups other than those its replicas are in) is refused — release first.
 * Undefined means: loaded already, as asked.
 * (After a TransferReplica the groups asked must name the replicas' groups anew; a
 * reload with no groups of a collection outside the default group is refused, as there.)
 */
export function loadPlacement(groups: ReadonlyMap<string, ResourceGroupMeta>, coll: CollectionMeta, opts: LoadOptions): Record<string, number> | undefined {
  const given = opts.replica_number === undefined || opts.replica_number === null ? 0 : Number(opts.replica_number);
  if (!Number.isInteger(given) || given < 0) fail('INVALID_ARGUMENT', { detail: `replica_number must be a non-negative integer, got ${String(opts.replica_number)}` });
  const names = opts.resource_groups ?? [];
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) fail('INVALID_ARGUMENT', { detail: 'resource_groups must be a list of names' });
  const replicas = given > 0 ? given : 1;
  const wanted = names.length > 0 ? names : [defaultResourceGroup];
  if (coll.loaded) {
    const current = replicaGroupsOf(coll);
    const used = Object.keys(current);
    for (const n of names) {
      if (!used.includes(n)) fail('INVALID_ARGUMENT', { detail: `invalid parameter[expected=created resource group(s)][actual=${n}]: given resource group not found` });
    }
    const total = Object.values(current).reduce((a, b) => a + b, 0);
    if (total !== replicas) fail('INVALID_ARGUMENT', { detail: `invalid parameter[expected=${total}][actual=${replicas}]: can't change the replica number for loaded collection` });
    if (used.some((n) => !wanted.includes(n)) || wanted.some((n) => !used.includes(n))) {
      fail('INVALID_ARGUMENT', { detail: `invalid parameter[expected=[${used.join(' ')}]][actual=[${wanted.join(' ')}]]: can't change the resource groups for loaded partitions` });
    }
  }
  // Milvus places the replicas again on every load, loaded or not: each group named must
  // still hold a node per replica.
  const placement = assignReplicas(groups, replicas, names);
  return coll.loaded ? undefined : placement;
}

export class ResourceGroupRole {
  constructor(private readonly core: EngineCore) {}

  createResourceGroup(req: { resource_group: string; config?: ResourceGroupConfigInput | null }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const name = validateResourceGroupName(this.core.requireObject(req).resource_group);
      const groups = this.core.catalog.resourceGroups();
      const exists = (g: string) => groups.has(g) || g === name;
      // As Milvus: no config is requests 0 and limits 0 (older clients send none).
      const config = req.config === undefined || req.config === null ? emptyResourceGroupConfig : normalizeResourceGroupConfig(name, req.config, exists);
      const old = groups.get(name);
      if (old) {
        if (sameResourceGroupConfig(old.config, config)) return status;
        fail('RESOURCE_GROUP_ALREADY_EXISTS', { name });
      }
      if (groups.size >= resourceGroupsMax) fail('RESOURCE_GROUP_LIMIT', { name, max: resourceGroupsMax });
      await this.commitGroups(groups, new Map([[name, { name, config, nodes: [] }]]));
      return status;
    });
  }

  updateResourceGroups(req: { resource_groups: Record<string, ResourceGroupConfigInput> }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const given = this.core.requireObject(req).resource_groups;
      if (given === undefined || given === null) return status;
      if (typeof given !== 'object' || Array.isArray(given)) fail('INVALID_ARGUMENT', { detail: 'resource_groups must map group names to configs' });
      const groups = this.core.catalog.resourceGroups();
      const updates = new Map<string, ResourceGroupMeta>();
      for (const [name, input] of Object.entries(given)) {
        const g = groups.get(name);
        if (!g) fail('RESOURCE_GROUP_NOT_FOUND', { name });
        updates.set(name, { ...g, config: normalizeResourceGroupConfig(name, input, (x) => groups.has(x)) });
      }
      if (updates.size > 0) await this.commitGroups(groups, updates);
      return status;
    });
  }

  dropResourceGroup(req: { resource_group: string }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const name = this.core.requireObject(req).resource_group;
      if (typeof name !== 'string') fail('INVALID_ARGUMENT', { detail: 'resource_group must be a string' });
      const loaded = this.core.catalog.allCollections().find((c) => (replicaGroupsOf(c)[name] ?? 0) > 0);
      if (loaded) fail('RESOURCE_GROUP_NOT_DROPPABLE', { name, reason: `some replicas still loaded in resource group[${name}], release it first: resource group ${name} has collection ${loaded.id} loaded` });
      const groups = this.core.catalog.resourceGroups();
      const g = groups.get(name);
      if (!g) return status; // As Milvus: dropping a group that does not exist succeeds.
      if (name === defaultResourceGroup) fail('RESOURCE_GROUP_NOT_DROPPABLE', { name, reason: 'default resource group is not deletable' });
      if (g.config.limits !== 0) fail('RESOURCE_GROUP_NOT_DROPPABLE', { name, reason: "resource group's limits node num is not 0" });
      for (const other of groups.values()) {
        for (const [which, list] of [['TransferFrom', other.config.transferFrom], ['TransferTo', other.config.transferTo]] as const) {
          if (list.includes(name)) fail('RESOURCE_GROUP_NOT_DROPPABLE', { name, reason: `resource group ${name} is used by ${other.name}'s \`${which}\`, remove that configuration first` });
        }
      }
      // Its nodes (limits 0 leaves none for long: Milvus moves them out first) go where
      // the recovery rules send them, in the same commit that deletes the group.
      const rest = new Map(groups);
      rest.delete(name);
      const put: Record<string, unknown> = {};
      const dflt = rest.get(defaultResourceGroup)!;
      if (g.nodes.length > 0) rest.set(defaultResourceGroup, { ...dflt, nodes: [...dflt.nodes, ...g.nodes].sort((a, b) => a - b) });
      const moved = new Map<string, ResourceGroupMeta>(g.nodes.length > 0 ? [[defaultResourceGroup, rest.get(defaultResourceGroup)!]] : []);
      for (const [n, v] of recoverNodes(rest)) moved.set(n, v);
      for (const [n, v] of moved) put[catalogKeys.resourceGroup(n)] = v;
      await this.core.catalog.commit({ del: [catalogKeys.resourceGroup(name)], put });
      return status;
    });
  }

  async listResourceGroups(): Promise<{ status: typeof status; resource_groups: string[] }> {
    this.core.checkOpen();
    return { status, resource_groups: [...this.core.catalog.resourceGroups().keys()].sort() };
  }

  async describeResourceGroup(req: { resource_group: string }): Promise<{ status: typeof status; resource_group: ResourceGroupDescription }> {
    this.core.checkOpen();
    const name = this.core.requireObject(req).resource_group;
    const groups = this.core.catalog.resourceGroups();
    const g = typeof name === 'string' ? groups.get(name) : undefined;
    if (!g) fail('RESOURCE_GROUP_NOT_FOUND', { name: String(name ?? '') });
    const loaded: Record<string, number> = {};
    const outgoing: Record<string, number> = {};
    const incoming: Record<string, number> = {};
    for (const c of this.core.catalog.allCollections()) {
      for (const [rg, count] of Object.entries(replicaGroupsOf(c))) {
        // A replica keeps serving from a node that moved to another group (Milvus's
        // read-only node): the node is outgoing for its replica's group and incoming
        // for the group that holds it now.
        const lent = nodeOf(groups, rg) === undefined ? holderOf(groups, localNodeId) : undefined;
        if (rg === g.name) {
          loaded[c.name] = (loaded[c.name] ?? 0) + count;
          if (lent !== undefined) outgoing[c.name] = (outgoing[c.name] ?? 0) + count;
        } else if (lent === g.name) {
          incoming[c.name] = (incoming[c.name] ?? 0) + count;
        }
      }
    }
    return {
      status,
      resource_group: {
        name: g.name, capacity: resourceGroupCapacity(g), num_available_node: g.nodes.length,
        num_loaded_replica: loaded, num_outgoing_node: outgoing, num_incoming_node: incoming,
        config: resourceGroupConfigToWire(g.config), nodes: g.nodes,
      },
    };
  }

  /** Deprecated in Milvus (UpdateResourceGroups replaces it); done, as there, by changing both configs. */
  transferNode(req: TransferNodeReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { source_resource_group: from, target_resource_group: to, num_node: n } = this.core.requireObject(req);
      if (from === to) fail('INVALID_ARGUMENT', { detail: `source resource group and target resource group should not be the same, resource group: ${from}` });
      if (!Number.isInteger(n) || n <= 0) fail('INVALID_ARGUMENT', { detail: `NumNode > 0: invalid NumNode ${n}` });
      const groups = this.core.catalog.resourceGroups();
      const source = groups.get(from);
      if (!source) fail('RESOURCE_GROUP_NOT_FOUND', { name: from });
      const target = groups.get(to);
      if (!target) fail('RESOURCE_GROUP_NOT_FOUND', { name: to });
      if (source.nodes.length < n) fail('RESOURCE_GROUP_NODE_NOT_ENOUGH', { name: from, current: source.nodes.length, expected: n });
      const s = source.config;
      const t = target.config;
      const requests = t.requests + n;
      await this.commitGroups(groups, new Map([
        // The default group keeps its limits (Milvus's compatibility rule).
        [from, { ...source, config: { ...s, requests: Math.max(0, s.requests - n), limits: from === defaultResourceGroup ? s.limits : Math.max(0, s.limits - n) } }],
        [to, { ...target, config: { ...t, requests, limits: Math.max(t.limits, requests) } }],
      ]));
      return status;
    });
  }

  transferReplica(req: TransferReplicaReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const { source_resource_group: from, target_resource_group: to } = req;
      const groups = this.core.catalog.resourceGroups();
      if (!groups.has(from)) fail('RESOURCE_GROUP_NOT_FOUND', { name: String(from) });
      if (!groups.has(to)) fail('RESOURCE_GROUP_NOT_FOUND', { name: String(to) });
      if (from === to) fail('INVALID_ARGUMENT', { detail: `source resource group and target resource group should not be the same, resource group: ${from}` });
      const n = Number(req.num_replica);
      if (!Number.isInteger(n) || n <= 0) fail('INVALID_ARGUMENT', { detail: `NumReplica > 0: invalid NumReplica ${String(req.num_replica)}` });
      if (!coll.loaded) fail('COLLECTION_NOT_LOADED', { name: coll.name });
      const current = replicaGroupsOf(coll);
      const total = Object.values(current).reduce((a, b) => a + b, 0);
      if (n > total) fail('INVALID_ARGUMENT', { detail: `the number of replicas to transfer is greater than the number of replicas in the collection: expected=${n}, actual=${total}` });
      const inSource = current[from] ?? 0;
      if (inSource < n) fail('INVALID_ARGUMENT', { detail: `NumReplica not greater than the number of replica in source resource group: only found [${inSource}] replicas of collection [${coll.name}] in source resource group [${from}], but ${n} require` });
      const next: Record<string, number> = { ...current, [from]: inSource - n, [to]: (current[to] ?? 0) + n };
      if (next[from] === 0) delete next[from];
      checkNodesFor(groups, { [to]: next[to]! });
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, replicaGroups: next } } });
      return status;
    });
  }

  replicasOf(req: CollectionReq): readonly ReplicaDescription[] {
    const { coll } = this.core.live(req);
    const groups = this.core.catalog.resourceGroups();
    const out: ReplicaDescription[] = [];
    for (const [rg, count] of Object.entries(replicaGroupsOf(coll)).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const holder = nodeOf(groups, rg) === undefined ? holderOf(groups, localNodeId) : undefined;
      for (let i = 0; i < count; i++) out.push({ resourceGroup: rg, nodes: [localNodeId], outbound: holder === undefined ? {} : { [holder]: 1 } });
    }
    return out;
  }

  /**
   * Milvus moves sealed segments of a loaded collection from one query node to others of
   * the same replica. With one node nothing can move: the request is checked as Milvus
   * checks it and then succeeds, its segments staying where they are.
   */
  loadBalance(req: LoadBalanceReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll, data } = this.core.live(req);
      if (!coll.loaded) fail('COLLECTION_NOT_FULLY_LOADED', { id: coll.id });
      const src = Number(req.src_nodeID);
      const groups = this.core.catalog.resourceGroups();
      // The node serves a replica read-write only while it is in that replica's group.
      const rw = Object.keys(replicaGroupsOf(coll)).some((rg) => nodeOf(groups, rg) === src);
      if (!rw) fail('NODE_NOT_FOUND', { node: String(req.src_nodeID), detail: `source node not found in any replica of collection ${coll.id}` });
      for (const d of req.dst_nodeIDs ?? []) {
        if (Number(d) !== localNodeId) fail('NODE_NOT_FOUND', { node: String(d), detail: 'destination node not found in the same replica' });
      }
      const sealed = new Set(data.shards.flatMap((s) => s.segments().filter((seg) => seg.state !== 'growing').map((seg) => String(seg.id))));
      for (const id of req.sealed_segmentIDs ?? []) {
        if (!sealed.has(String(id))) fail('SEGMENT_NOT_FOUND', { id: String(id), detail: 'segment not found in source node' });
      }
      return status;
    });
  }

  /** Commits changed groups with the node moves their change causes, in one step. */
  private async commitGroups(groups: ReadonlyMap<string, ResourceGroupMeta>, changed: ReadonlyMap<string, ResourceGroupMeta>): Promise<void> {
    const next = new Map(groups);
    for (const [n, g] of changed) next.set(n, g);
    const all = new Map(changed);
    for (const [n, g] of recoverNodes(next)) all.set(n, g);
    const put: Record<string, unknown> = {};
    for (const [n, g] of all) put[catalogKeys.resourceGroup(n)] = g;
    await this.core.catalog.commit({ put });
  }
}

/** The node of a group's (the first), if it holds one. */
function nodeOf(groups: ReadonlyMap<string, ResourceGroupMeta>, rg: string): number | undefined {
  return groups.get(rg)?.nodes[0];
}

/** The group holding a node. */
function holderOf(groups: ReadonlyMap<string, ResourceGroupMeta>, node: number): string | undefined {
  for (const g of groups.values()) if (g.nodes.includes(node)) return g.name;
  return undefined;
}
