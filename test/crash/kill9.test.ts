// kill -9 at random moments (and at each named crash point) during concurrent upserts,
// inserts, deletes, flushes and compactions; after every restart the data must match
// the model of acknowledged operations exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Elanus, crashPoints } from '../../src/index.js';
import { Random } from '../../src/testing/index.js';
import { Model } from './model.js';
import type { Op } from './workload.js';

const childPath = fileURLToPath(new URL('./child.js', import.meta.url));
const killPoints = Number(process.env.ELANUS_KILL_POINTS ?? 50);

interface ChildRun {
  ops: number;
  signal: NodeJS.Signals | null;
  /** The named crash point the child killed itself at, if any. */
  crashedAt: string | undefined;
}

/** Runs the child until it has been up `runMs` (then SIGKILL), or until it kills itself. */
function runChild(path: string, model: Model, seed: number, base: number, runMs: number | undefined, crashAt?: string, skip?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const args = [childPath, path, String(seed), String(base), ...(crashAt ? [crashAt, String(skip ?? 1)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ops = new Map<number, Op>();
    let buffer = '';
    let stderr = '';
    let acked = 0;
    let crashedAt: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'READY') {
          if (runMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), runMs);
        } else if (line.startsWith('I ')) {
          const op = JSON.parse(line.slice(2)) as Op;
          ops.set(op.id, op);
          model.invoke(op);
        } else if (line.startsWith('CRASH ')) {
          crashedAt = line.slice(6);
        } else if (line.startsWith('A ')) {
          model.ack(ops.get(Number(line.slice(2)))!);
          acked++;
        }
      }
    });
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    // 'close', not 'exit': only once stdout has ended has every line the child wrote been
    // read (on 'exit' the last "I <op>" lines may still be in the pipe, and the model
    // would miss an operation the engine did receive).
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
      else resolve({ ops: acked, signal, crashedAt });
    });
    // A child that never reaches its crash point is stopped after a while.
    if (runMs === undefined) setTimeout(() => child.kill('SIGKILL'), 90_000).unref();
  });
}

async function verify(path: string, model: Model, where: string): Promise<number> {
  const db = await Elanus.open({ path, limits: { backgroundIntervalMs: 0 } });
  try {
    await db.loadCollection({ collection_name: 'crash' });
    return (await model.check(db, where)).rows;
  } finally {
    await db.close();
  }
}

test(`kill -9 at ${killPoints} random moments: count(*) exact, no acknowledged write lost, no key twice`, { timeout: Math.max(600_000, killPoints * 4_000) }, async () => {
  const path = mkdtempSync(join(tmpdir(), 'elanus-kill9-'));
  let passed = false;
  try {
    const model = new Model();
    const rnd = new Random(20261121);
    let acked = 0;
    for (let i = 0; i < killPoints; i++) {
      const run = await runChild(path, model, 1000 + i, (i + 1) * 1_000_000, 30 + rnd.int(400));
      acked += run.ops;
      await verify(path, model, `kill ${i}`);
    }
    assert.ok(acked > killPoints * 5, `the workload made progress (${acked} acknowledged operations)`);
    console.log(`# ${killPoints} kills, ${acked} acknowledged operations, ${model.expectedLive()} live keys at the end`);
    passed = true;
  } finally {
    // A failure keeps the folder as the kill left it, for `elanus inspect` and a replay.
    if (passed) rmSync(path, { recursive: true, force: true });
    else console.log(`# the data folder is kept: ${path}`);
  }
});

for (const point of crashPoints) {
  test(`kill -9 exactly at ${point}`, { timeout: 300_000 }, async () => {
    const path = mkdtempSync(join(tmpdir(), 'elanus-point-'));
    try {
      const model = new Model();
      for (let i = 0; i < 3; i++) {
        const run = await runChild(path, model, 77 + i, (i + 1) * 1_000_000, undefined, point, 1 + i);
        assert.equal(run.crashedAt, point, `the child reached ${point}`);
        await verify(path, model, `${point} #${i}`);
      }
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  });
}
