// `elanus verify` through the real command line: exit status 2 for a usage error,
// 0 and a JSON report for a clean run, the progress on stderr and the tables on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [main, 'verify', ...args], { encoding: 'utf8', timeout: 120_000 });

test('usage errors exit with 2 and say what is wrong', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /--scenario/],
    [['--scenario', 'nope', '--spawn'], /unknown scenario "nope"/],
    [['--scenario', 'mixed'], /needs --target HOST:PORT, --spawn or --cluster DIR/],
    [['--scenario', 'kill-upsert', '--target', '127.0.0.1:19530'], /kills the server: it needs --spawn or --cluster DIR/],
    [['--scenario', 'mixed', '--spawn', '--target', '127.0.0.1:1'], /give one of --target HOST:PORT, --spawn or --cluster DIR, not --spawn and --target/],
    [['--scenario', 'mixed', '--spawn', '--cluster', '/tmp/x'], /not --spawn and --cluster/],
    [['--scenario', 'mixed', '--spawn', '--kill-nodes'], /--kill-nodes needs --cluster DIR/],
    [['--scenario', 'mixed', '--target', '127.0.0.1:19530,localhost'], /--target must be HOST:PORT, or a comma-separated list of a cluster's gateways/],
    [['--scenario', 'mixed', '--cluster', '/tmp/x', '--kill-nodes', 'elanus,zookeeper'], /unknown process kind "zookeeper"; one or more of: elanus, nats, etcd/],
    [['--scenario', 'mixed', '--spawn', '--duration', 'soon'], /cannot read the duration "soon"/],
    [['--scenario', 'mixed', '--spawn', '--rows', '-5'], /--rows must be a whole number/],
    [['--scenario', 'lifecycle', '--target', '127.0.0.1:19530'], /kills the server: it needs --spawn/],
    [['--scenario', 'lifecycle', '--spawn', '--dims', '768,b12'], /b12: a binary dimension is a number of bits, a multiple of 8/],
    [['--scenario', 'lifecycle', '--spawn', '--dims', '1'], /--dims: 1 is out of range/],
    [['--scenario', 'lifecycle', '--spawn', '--dims', 'f768'], /cannot read the vector shape "f768"/],
    [['--scenario', 'lifecycle', '--spawn', '--rounds', '0'], /--rounds must be an integer >= 1/],
  ];
  // A folder with no cluster in it: the verifier could not run (3), and says how to start one.
  const none = run('--scenario', 'mixed', '--cluster', '/nonexistent/elanus-cluster');
  assert.equal(none.status, 3, none.stderr);
  assert.match(none.stderr, /no cluster in \/nonexistent\/elanus-cluster: cannot read .*cluster\.json.*elanus cluster up --nodes 3 --dir/);
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('a clean run exits 0, prints the tables and the verdicts, and writes the JSON report', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-verify-cli-'));
  try {
    const report = join(dir, 'out.json');
    const r = run('--scenario', 'consumer-groups', '--interleavings', '200', '--seed', '9', '--report', report);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /no violation/);
    assert.match(r.stdout, /operation\s+count\s+ok\s+failed\s+unknown\s+p50 ms\s+p99 ms/);
    assert.match(r.stdout, /no notification after close\/destroy, no commit after destroy\s+\d+\s+0\s+held/);
    assert.match(r.stdout, /replay: elanus verify --scenario consumer-groups --seed 9/);
    const json = JSON.parse(await readFile(report, 'utf8')) as { seed: number; violationsTotal: number; figures: { interleavings: number }; invariants: unknown[] };
    assert.equal(json.seed, 9);
    assert.equal(json.violationsTotal, 0);
    assert.equal(json.figures.interleavings, 200);
    assert.ok(json.invariants.length > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
