// The resource group rules of catalog/resource-groups.ts (Milvus's resource manager):
// where the node goes after a change, how a load spreads replicas, and the group limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ResourceGroupMeta, assignReplicas, defaultResourceGroup as DEF, emptyResourceGroupConfig, recoverNodes, resourceGroupsMax,
} from '../../src/catalog/index.js';
import { Elanus } from '../../src/index.js';

const group = (name: string, requests: number, limits: number, nodes: number[] = [], extra: Partial<ResourceGroupMeta['config']> = {}): ResourceGroupMeta => ({
  name, nodes, config: { ...emptyResourceGroupConfig, requests, limits, ...extra },
});
const groups = (...list: ResourceGroupMeta[]) => new Map(list.map((g) => [g.name, g]));
/** Which group holds node 1 once recovery is done. */
function holder(list: ResourceGroupMeta[]): string {
  const all = groups(...list);
  for (const [n, g] of recoverNodes(all)) all.set(n, g);
  const found = [...all.values()].filter((g) => g.nodes.includes(1)).map((g) => g.name);
  assert.equal(found.length, 1, 'the node is in exactly one group');
  return found[0]!;
}

test('a group missing a node takes it from a group holding more than it requests; a settled state changes nothing', () => {
  assert.equal(holder([group(DEF, 0, 1_000_000, [1]), group('a', 1, 1)]), 'a');
  assert.equal(recoverNodes(groups(group(DEF, 0, 1_000_000), group('a', 1, 1, [1]))).size, 0);
  // The default group requests the node too: it keeps it (it holds no more than it requests).
  assert.equal(holder([group(DEF, 1, 1_000_000, [1]), group('a', 1, 1)]), DEF);
});

test('a group with a node over its limits gives it to the group missing most, else to its transfer_to, else to any with room, else to the default group', () => {
  // b misses a node: it wins over the default group.
  assert.equal(holder([group(DEF, 0, 1_000_000), group('a', 0, 0, [1]), group('b', 1, 1)]), 'b');
  // Nobody misses a node; a's transfer_to names c, which has room: c beats e, which has as much.
  assert.equal(holder([group(DEF, 0, 0), group('a', 0, 0, [1], { transferTo: ['c'] }), group('c', 0, 1), group('e', 0, 1)]), 'c');
  // Milvus weighs room by size: the default group's room of 1,000,000 outweighs a transfer_to
  // group's room of 1 (1 × 100,000), so the node goes to the default group.
  assert.equal(holder([group(DEF, 0, 1_000_000), group('a', 0, 0, [1], { transferTo: ['c'] }), group('c', 0, 1)]), DEF);
  // Nobody has room but the default group: it goes there.
  assert.equal(holder([group(DEF, 0, 0), group('a', 0, 0, [1]), group('d', 0, 0)]), DEF);
});

test('a group with node labels never takes the node (it carries none); the default group always may', () => {
  const labelled = group('l', 1, 1, [], { nodeLabels: [{ key: 'zone', value: 'a' }] });
  assert.equal(holder([group(DEF, 0, 1_000_000, [1]), labelled]), DEF);
  assert.equal(holder([group(DEF, 0, 1_000_000), group('x', 0, 0, [1]), labelled]), DEF);
});

test('assignReplicas: no group or one group takes every replica; several take one each and must match the count', () => {
  const gs = groups(group(DEF, 0, 1_000_000, [1]), group('a', 0, 0));
  assert.deepEqual(assignReplicas(gs, 1, []), { [DEF]: 1 });
  assert.deepEqual(assignReplicas(gs, 1, [DEF]), { [DEF]: 1 });
  assert.throws(() => assignReplicas(gs, 2, []), { code: 'RESOURCE_GROUP_NODE_NOT_ENOUGH' });
  assert.throws(() => assignReplicas(gs, 1, ['a']), { code: 'RESOURCE_GROUP_NODE_NOT_ENOUGH' });
  assert.throws(() => assignReplicas(gs, 3, [DEF, 'a']), { code: 'RESOURCE_GROUP_REPLICA_MISMATCH' });
  assert.throws(() => assignReplicas(gs, 1, ['zz']), { code: 'RESOURCE_GROUP_NOT_FOUND' });
});

test('resource groups: exactly resourceGroupsMax groups (the default one counted) exist; one more is RESOURCE_GROUP_LIMIT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-rg-limit-'));
  const engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  try {
    for (let i = 1; i < resourceGroupsMax; i++) await engine.createResourceGroup({ resource_group: `g${i}` });
    assert.equal((await engine.listResourceGroups()).resource_groups.length, resourceGroupsMax);
    await assert.rejects(engine.createResourceGroup({ resource_group: 'one_more' }), { code: 'RESOURCE_GROUP_LIMIT' });
    // An existing group with its own config is still an idempotent success at the limit.
    await engine.createResourceGroup({ resource_group: 'g1' });
    assert.equal((await engine.listResourceGroups()).resource_groups.includes('one_more'), false);
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
});
