// The verifier against a 3-node cluster (issue 14) at CI size: `elanus cluster up`, then
// partition-ddl, mixed and kill-upsert through every gateway while Elanus nodes, a
// JetStream server and the etcd member are killed with SIGKILL (the cluster's supervisor
// restarts them). No violation, counts exact through every gateway, and the kills happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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
  const cli = (...args: string[]) => spawnSync(process.execPath, [main, 'cluster', ...args], { encoding: 'utf8', timeout: 200_000 });
  const up = cli('up', '--nodes', '3', '--dir', dir, '--port', String(port));
  assert.equal(up.status, 0, up.stderr);
  const common = { cluster: dir, durationMs: 20_000, concurrency: 6, rows: 2_000, dim: 16, killEveryMs: 6_000, callTimeoutMs: 30_000 };
  try {
    await t.test('partition-ddl, Elanus nodes killed', async () => {
      const r = await runClean({ ...common, scenario: 'partition-ddl', seed: 14_001, killNodes: ['elanus'] }, [...dataInvariants, 'catalog matches the model']);
      assert.ok(Number(r.figures.kills) >= 1, `kills: ${r.figures.kills}`);
    });
    await t.test('mixed, Elanus nodes and JetStream servers killed', async () => {
      const r = await runClean({ ...common, scenario: 'mixed', seed: 14_002, killNodes: ['elanus', 'nats'] }, dataInvariants);
      assert.ok(Number(r.figures.kills) >= 1, `kills: ${r.figures.kills}`);
    });
    await t.test('kill-upsert, Elanus nodes killed by the scenario and the etcd member by --kill-nodes', async () => {
      const r = await runClean({ ...common, scenario: 'kill-upsert', seed: 14_003, killNodes: ['etcd'] }, dataInvariants);
      assert.ok(Number(r.figures['kills.elanus']) >= 1, `Elanus kills: ${r.figures['kills.elanus']}`);
    });
  } finally {
    const down = cli('down', '--dir', dir);
    assert.equal(down.status, 0, down.stderr);
    await rm(dir, { recursive: true, force: true });
  }
});
