// Resource groups, as Milvus 2.6 keeps them (its querycoord's resource manager): a group
// is a name, a declarative config (how many query nodes it requests and may hold, where
// missing nodes come from and redundant ones go, which node labels it takes) and the
// nodes it holds now. Elanus has one query node (`localNodeId`); which group holds it
// follows from the configs by Milvus's recovery rules, applied at once after each change
// (Milvus applies them in a background pass a moment later).
//
// Everything here is pure: a change is checked and its new state computed from the
// current groups; the engine's coordinator commits the records (`rg/<name>`).
import { fail } from '../errors/index.js';
import { nameLengthMax } from './limits.js';

export const defaultResourceGroup = '__default_resource_group';
/** Milvus reports this capacity for the default group, whatever its config. */
export const defaultResourceGroupCapacity = 1_000_000;
/** Milvus's quotaAndLimits.limits.maxResourceGroupNumOfQueryNode default, the default group included. */
export const resourceGroupsMax = 1024;
/** The one query node of this process (GetReplicas, GetComponentStates and GetMetrics say 1 too). */
export const localNodeId = 1;

export interface ResourceGroupConfig {
  readonly requests: number;
  readonly limits: number;
  readonly transferFrom: readonly string[];
  readonly transferTo: readonly string[];
  /** node_filter.node_labels: a node joins only if it carries every label. */
  readonly nodeLabels: ReadonlyArray<{ readonly key: string; readonly value: string }>;
}

export interface ResourceGroupMeta {
  readonly name: string;
  readonly config: ResourceGroupConfig;
  /** The query nodes the group holds. */
  readonly nodes: readonly number[];
}

/** The config as the wire carries it (rg.proto ResourceGroupConfig; the SDK's names). */
export interface ResourceGroupConfigInput {
  readonly requests?: { readonly node_num?: unknown } | null;
  readonly limits?: { readonly node_num?: unknown } | null;
  readonly transfer_from?: ReadonlyArray<{ readonly resource_group?: unknown }> | null;
  readonly transfer_to?: ReadonlyArray<{ readonly resource_group?: unknown }> | null;
  readonly node_filter?: { readonly node_labels?: ReadonlyArray<{ readonly key?: unknown; readonly value?: unknown }> | null } | null;
}

const defaultConfig: ResourceGroupConfig = Object.freeze({ requests: 0, limits: defaultResourceGroupCapacity, transferFrom: [], transferTo: [], nodeLabels: [] });
/** What a group created without a config gets (Milvus: requests 0, limits 0). */
export const emptyResourceGroupConfig: ResourceGroupConfig = Object.freeze({ requests: 0, limits: 0, transferFrom: [], transferTo: [], nodeLabels: [] });

/** The default group before anything was stored about it: it holds the node. */
export function initialDefaultGroup(): ResourceGroupMeta {
  return { name: defaultResourceGroup, config: defaultConfig, nodes: [localNodeId] };
}

/** Milvus's ValidateResourceGroupName (its proxy's rule for a new group). */
export function validateResourceGroupName(name: unknown): string {
  if (name === undefined || name === null || name === '') fail('RESOURCE_GROUP_NAME_EMPTY');
  if (typeof name !== 'string') fail('INVALID_ARGUMENT', { detail: 'the resource group name must be a string' });
  const invalid = (rule: string) => fail('INVALID_RESOURCE_GROUP_NAME', { name, rule });
  if (name.length > nameLengthMax) invalid(`the length of a resource group name must be less than ${nameLengthMax} characters`);
  if (!/^[A-Za-z_]/.test(name)) invalid('the first character of a resource group name must be an underscore or letter');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) invalid('resource group name can only contain numbers, letters and underscores');
  return name;
}

function nodeNum(v: unknown, name: string, which: string): number {
  // int32 on the wire; REST bodies may carry anything.
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v ?? 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n > 2 ** 31 - 1 || n < -(2 ** 31)) {
    fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: `node_num in \`${which}\` must be an int32, got ${JSON.stringify(v)}` });
  }
  return n;
}

function groupList(v: unknown, name: string, which: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: `\`${which}\` must be a list of {resource_group}` });
  return v.map((t: unknown) => {
    const g = (t as { resource_group?: unknown } | null)?.resource_group;
    if (typeof g !== 'string') fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: `each entry of \`${which}\` needs a resource_group name` });
    return g;
  });
}

/**
 * A config as given, checked as Milvus checks it (requests and limits present, node
 * numbers not negative, limits ≥ requests, transfer groups existing and not the group
 * itself). `exists` answers for the groups there are (with this one, if it is new).
 */
export function normalizeResourceGroupConfig(name: string, input: unknown, exists: (name: string) => boolean): ResourceGroupConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: 'the config must be an object' });
  const c = input as ResourceGroupConfigInput;
  if (!c.requests || !c.limits) fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: 'requests or limits is required' });
  const requests = nodeNum(c.requests.node_num, name, 'requests');
  const limits = nodeNum(c.limits.node_num, name, 'limits');
  if (requests < 0 || limits < 0) fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: 'node num in `requests` or `limits` should not less than 0' });
  if (limits < requests) fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: 'limits node num should not less than requests node num' });
  const transferFrom = groupList(c.transfer_from, name, 'transfer_from');
  const transferTo = groupList(c.transfer_to, name, 'transfer_to');
  for (const [which, list] of [['TransferFrom', transferFrom], ['TransferTo', transferTo]] as const) {
    for (const g of list) {
      if (g === name) fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: `resource group in \`${which}\` ${name} should not be itself` });
      if (!exists(g)) fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: `resource group in \`${which}\` ${g} not exist` });
    }
  }
  const labels = c.node_filter?.node_labels ?? [];
  if (!Array.isArray(labels)) fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: 'node_filter.node_labels must be a list of {key, value}' });
  const nodeLabels = labels.map((l: { key?: unknown; value?: unknown } | null) => {
    if (typeof l?.key !== 'string' || typeof l.value !== 'string') fail('RESOURCE_GROUP_ILLEGAL_CONFIG', { name, reason: 'each node label needs a string key and value' });
    return { key: l.key, value: l.value };
  });
  return { requests, limits, transferFrom, transferTo, nodeLabels };
}

/** Same config (Milvus's proto.Equal on a repeated create). */
export function sameResourceGroupConfig(a: ResourceGroupConfig, b: ResourceGroupConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The config as the wire carries it. */
export function resourceGroupConfigToWire(c: ResourceGroupConfig) {
  return {
    requests: { node_num: c.requests },
    limits: { node_num: c.limits },
    transfer_from: c.transferFrom.map((g) => ({ resource_group: g })),
    transfer_to: c.transferTo.map((g) => ({ resource_group: g })),
    node_filter: { node_labels: c.nodeLabels.map((l) => ({ key: l.key, value: l.value })) },
  };
}

export function resourceGroupCapacity(g: ResourceGroupMeta): number {
  return g.name === defaultResourceGroup ? defaultResourceGroupCapacity : g.config.requests;
}

/** Milvus's AcceptNode: the default group takes any node; a group with labels only a node that carries them (this one carries none). */
function accepts(g: ResourceGroupMeta): boolean {
  return g.name === defaultResourceGroup || g.config.nodeLabels.length === 0;
}

const missing = (g: ResourceGroupMeta) => Math.max(0, g.config.requests - g.nodes.length);
const redundant = (g: ResourceGroupMeta) => Math.max(0, g.nodes.length - g.config.limits);
const oversized = (g: ResourceGroupMeta) => Math.max(0, g.nodes.length - g.config.requests);
const roomBelowLimit = (g: ResourceGroupMeta) => Math.max(0, g.config.limits - g.nodes.length);

/**
 * Where the nodes go after a change, by Milvus's recovery rules: a group missing nodes
 * (fewer than requests) takes one from the group with the highest priority — redundant
 * nodes first, then groups in its transfer_from, then any with more than it requests; a
 * group with redundant nodes (more than limits) gives one to the group missing most, then
 * to groups in its transfer_to with room, then any with room, else to the default group.
 * Milvus visits groups in map order; here ties go by name, so the outcome is repeatable.
 * Returns the groups whose node lists changed.
 */
export function recoverNodes(groups: ReadonlyMap<string, ResourceGroupMeta>): Map<string, ResourceGroupMeta> {
  const now = new Map(groups);
  const changed = new Map<string, ResourceGroupMeta>();
  const names = [...now.keys()].sort();
  const move = (node: number, from: string, to: string) => {
    const f = now.get(from)!;
    const t = now.get(to)!;
    const nf = { ...f, nodes: f.nodes.filter((n) => n !== node) };
    const nt = { ...t, nodes: [...t.nodes, node].sort((a, b) => a - b) };
    now.set(from, nf).set(to, nt);
    changed.set(from, nf).set(to, nt);
  };
  // Each move settles a node for a group's requests or limits; this bounds the passes
  // even for configs that pull a node back and forth.
  const passesMax = 2 * (names.length + 1);
  for (let pass = 0; pass < passesMax; pass++) {
    let moved = false;
    for (const name of names) {
      const g = now.get(name)!;
      if (missing(g) > 0 && accepts(g)) {
        let best: { from: string; priority: number } | undefined;
        for (const other of names) {
          const o = now.get(other)!;
          if (other === name || oversized(o) <= 0) continue;
          const priority = redundant(o) > 0 ? redundant(o) * 1_000_000 : g.config.transferFrom.includes(other) ? oversized(o) * 100_000 : oversized(o);
          if (!best || priority > best.priority) best = { from: other, priority };
        }
        if (best) {
          move(now.get(best.from)!.nodes[0]!, best.from, name);
          moved = true;
        }
      } else if (redundant(g) > 0) {
        let best: { to: string; priority: number } | undefined;
        for (const other of names) {
          const o = now.get(other)!;
          if (other === name || roomBelowLimit(o) <= 0 || !accepts(o)) continue;
          const priority = missing(o) > 0 ? missing(o) * 1_000_000 : g.config.transferTo.includes(other) ? roomBelowLimit(o) * 100_000 : roomBelowLimit(o);
          if (!best || priority > best.priority) best = { to: other, priority };
        }
        const to = best?.to ?? (name !== defaultResourceGroup ? defaultResourceGroup : undefined);
        if (to !== undefined) {
          move(g.nodes[0]!, name, to);
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return changed;
}

/**
 * How a load spreads replicas over groups (Milvus's AssignReplica): no group or the
 * default group alone puts every replica there, one group puts them all in it, and
 * otherwise each group named takes one, so the count must match. Each group must exist
 * and hold at least as many nodes as it takes replicas.
 */
export function assignReplicas(groups: ReadonlyMap<string, ResourceGroupMeta>, replicaNumber: number, names: readonly string[]): Record<string, number> {
  if (names.length > 1 && names.length !== replicaNumber) {
    fail('RESOURCE_GROUP_REPLICA_MISMATCH', { replicas: replicaNumber, groups: names.join(',') });
  }
  const out: Record<string, number> = {};
  if (names.length <= 1) out[names[0] ?? defaultResourceGroup] = replicaNumber;
  else for (const n of names) out[n] = (out[n] ?? 0) + 1;
  checkNodesFor(groups, out);
  return out;
}

/** Each group exists and holds a node per replica it is given. */
export function checkNodesFor(groups: ReadonlyMap<string, ResourceGroupMeta>, replicas: Readonly<Record<string, number>>): void {
  for (const [name, count] of Object.entries(replicas)) {
    const g = groups.get(name);
    if (!g) fail('RESOURCE_GROUP_NOT_FOUND', { name });
    if (count > g.nodes.length) fail('RESOURCE_GROUP_NODE_NOT_ENOUGH', { name, current: g.nodes.length, expected: count });
  }
}
