// The verifier against a 3-node cluster (issue 14) at CI size: `elanus cluster up`, then
// partition-ddl, mixed and kill-upsert through every gateway while Elanus nodes, a
// JetStream server and the etcd member are killed with SIGKILL (the cluster's supervisor
// restarts them). No violation, counts exact through every gateway, and the kills happened;
// then the standbys' read replicas are seen answering reads (their metrics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverBinary } from '../../src/testing/require-server.js';
import { dataInvariants, runClean } from '../verify/helpers.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ready = serverBinary('etcd', 'etcd-server') && serverBinary('nats-server', 'nats-server');

test('verify against a 3-node cluster with node kills: partition-ddl, mixed, kill-upsert hold every invariant', { skip: ready ? false : 'etcd-server and nats-server are needed (Debian packages)', timeout: 600_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-verify-cluster-'));
  // Below Linux's ephemeral range, where servers of tests running beside this one bind.
  const port = 21_000 + Math.floor(Math.random() * 11_000);
  // Every node with read replicas (opt-in): the coordinator shares reads with the standbys.
  const cli = (...args: string[]) => spawnSync(process.execPath, [main, 'cluster', ...args], { encoding: 'utf8', timeout: 200_000, env: { ...process.env, ELANUS_CLUSTER_ROLES: 'all' } });
  const up = cli('up', '--nodes', '3', '--dir', dir, '--port', String(port));
  assert.equal(up.status, 0, up.stderr);
  // A failed run keeps the cluster's folder (its nodes' logs) and says where.
  let passed = 0;
  const common = { cluster: dir, durationMs: 20_000, concurrency: 6, rows: 2_000, dim: 16, killEveryMs: 6_000, callTimeoutMs: 30_000 };
  try {
    await t.test('partition-ddl, Elanus nodes killed', async () => {
      const r = await runClean({ ...common, scenario: 'partition-ddl', seed: 14_001, killNodes: ['elanus'] }, [...dataInvariants, 'catalog matches the model']);
      assert.ok(Number(r.figures.kills) >= 1, `kills: ${r.figures.kills}`);
      passed++;
    });
    await t.test('mixed, Elanus nodes and JetStream servers killed', async () => {
      const r = await runClean({ ...common, scenario: 'mixed', seed: 14_002, killNodes: ['elanus', 'nats'] }, dataInvariants);
      assert.ok(Number(r.figures.kills) >= 1, `kills: ${r.figures.kills}`);
      passed++;
    });
    await t.test('kill-upsert, Elanus nodes killed by the scenario and the etcd member by --kill-nodes', async () => {
      const r = await runClean({ ...common, scenario: 'kill-upsert', seed: 14_003, killNodes: ['etcd'] }, dataInvariants);
      assert.ok(Number(r.figures['kills.elanus']) >= 1, `Elanus kills: ${r.figures['kills.elanus']}`);
      passed++;
    });
    await t.test('reads were shared with the standbys\' read replicas (the nodes\' own metrics say so)', async () => {
      const gateways = (JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as { gateways: string[] }).gateways;
      const rest = async (gw: string, path: string, body: unknown) => {
        const r = await fetch(`http://${gw}/v2/vectordb/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
        const j = await r.json() as { code: number; message?: string; data?: unknown };
        assert.equal(j.code, 0, `${path}: ${j.message}`);
        return j.data;
      };
      const figure = async (gw: string, name: string, label = ''): Promise<number> => {
        const text = await (await fetch(`http://${gw}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
        return text.split('\n').filter((l) => l.startsWith(`${name}${label}`) || (label === '' && l.startsWith(`${name} `))).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
      };
      await rest(gateways[0]!, 'collections/create', { collectionName: 'replicated', dimension: 4, params: { shardsNum: 2 } });
      await rest(gateways[0]!, 'entities/insert', { collectionName: 'replicated', data: Array.from({ length: 500 }, (_, i) => ({ id: i, vector: [i, 1, 0, 0] })) });
      const coordinators = await Promise.all(gateways.map((gw) => figure(gw, 'elanus_cluster_coordinator')));
      assert.deepEqual(coordinators.filter((x) => x === 1).length, 1, `one coordinator: ${coordinators.join(', ')}`);
      const replicaReads = async () => (await Promise.all(gateways.map((gw) => figure(gw, 'elanus_replica_operations', '{kind="reads"}')))).reduce((a, b) => a + b, 0);
      const before = await replicaReads();
      const end = Date.now() + 60_000;
      let after = before;
      while (after === before && Date.now() < end) {
        for (let i = 0; i < 30; i++) {
          const gw = gateways[i % gateways.length]!;
          const data = await rest(gw, 'entities/query', { collectionName: 'replicated', filter: '', outputFields: ['count(*)'], consistencyLevel: 'Strong' }) as Array<Record<string, number>>;
          assert.equal(Number(data[0]?.['count(*)']), 500, `count through ${gw}`);
        }
        after = await replicaReads();
      }
      assert.ok(after > before, `the replicas answered reads (their counters: ${before} before, ${after} after)`);
      passed++;
    });
  } finally {
    const down = cli('down', '--dir', dir);
    assert.equal(down.status, 0, down.stderr);
    if (passed === 4) await rm(dir, { recursive: true, force: true });
    else t.diagnostic(`kept the cluster's folder with its nodes' logs: ${dir}`);
  }
});
