// `elanus verify`: the command line of run.ts. Prints the progress on stderr, the tables
// and verdicts on stdout, writes the JSON report with --report. Exit status: 0 no
// violation, 1 violations, 2 usage error, 3 the verifier itself failed (it could not
// reach the target, say): then nothing was verified.
import { writeFile } from 'node:fs/promises';
import type { FaultRole } from './cluster-control.js';
import type { VectorShape } from './context.js';
import { defaults, formatReport, runVerify, UsageError, type VerifyOptions } from './run.js';
import { scenarioByName } from './scenarios/index.js';
import { killAllServers } from './spawn.js';

export interface VerifyFlags {
  scenario?: string;
  target?: string;
  spawn?: boolean;
  cluster?: string;
  /** true (the flag alone: Elanus nodes) or a list such as "elanus,nats,etcd". */
  killNodes?: string | boolean;
  duration?: string;
  concurrency?: string;
  seed?: string;
  rows?: string;
  dim?: string;
  kills?: string;
  killEvery?: string;
  interleavings?: string;
  rounds?: string;
  dims?: string;
  callTimeout?: string;
  serverArgs?: string;
  dataDir?: string;
  report?: string;
  progress?: boolean;
}

/** "90s", "3m", "2h", "500ms"; a bare number is seconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`cannot read the duration "${s}" (try 90s, 3m, 2h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

function integer(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s.trim())) throw new UsageError(`--${name} must be a whole number, got "${s}"`);
  return Number(s);
}

/** "2,768,b8,b4096": float dimensions, and binary ones (in bits) with a b. */
export function parseShapes(s: string): VectorShape[] {
  return s.split(',').map((part) => {
    const m = /^(b?)(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`cannot read the vector shape "${part}" in --dims (try 2,768,b8,b4096: b marks a binary vector of that many bits)`);
    return { binary: m[1] === 'b', dim: Number(m[2]) };
  });
}

export function optionsOf(f: VerifyFlags): VerifyOptions {
  if (!f.scenario) throw new UsageError('--scenario is required');
  const opt = <K extends keyof VerifyOptions>(k: K, v: VerifyOptions[K] | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    scenario: f.scenario,
    ...opt('target', f.target),
    spawn: f.spawn === true,
    ...opt('cluster', f.cluster),
    ...opt('killNodes', f.killNodes === undefined || f.killNodes === false ? undefined
      : f.killNodes === true ? ['elanus' as const] : f.killNodes.split(',').map((r) => r.trim()).filter(Boolean) as FaultRole[]),
    durationMs: f.duration !== undefined ? parseDuration(f.duration) : defaults.durationMs,
    concurrency: integer('concurrency', f.concurrency) ?? defaults.concurrency,
    // A run without --seed gets one, printed in the report, so that it can be replayed.
    seed: integer('seed', f.seed) ?? (Date.now() % 0xffffffff),
    rows: integer('rows', f.rows) ?? scenarioByName(f.scenario)?.defaultRows ?? defaults.rows,
    ...opt('dim', integer('dim', f.dim)),
    ...opt('kills', integer('kills', f.kills)),
    ...opt('killEveryMs', f.killEvery !== undefined ? parseDuration(f.killEvery) : undefined),
    ...opt('interleavings', integer('interleavings', f.interleavings)),
    ...opt('rounds', integer('rounds', f.rounds)),
    ...opt('shapes', f.dims !== undefined ? parseShapes(f.dims) : undefined),
    ...opt('callTimeoutMs', f.callTimeout !== undefined ? parseDuration(f.callTimeout) : undefined),
    ...opt('serverArgs', f.serverArgs?.trim() ? f.serverArgs.trim().split(/\s+/) : undefined),
    ...opt('dataDir', f.dataDir),
    ...opt('reportPath', f.report),
    ...(f.progress === false ? { progress: false as const } : {}),
  };
}

export async function runVerifyCommand(flags: VerifyFlags): Promise<number> {
  let options: VerifyOptions;
  try {
    options = optionsOf(flags);
    const { validate } = await import('./run.js');
    validate(options);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`elanus verify: ${e.message}`);
    return 2;
  }
  // Interrupted: the spawned server goes too (its folder stays, for a look).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllServers();
      console.error(`\nelanus verify: interrupted by ${signal}; nothing was verified`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  let report;
  try {
    report = await runVerify(options);
  } catch (e) {
    console.error(`elanus verify: the verifier could not run: ${e instanceof Error ? e.message : String(e)}`);
    return 3;
  }
  process.stdout.write(`${formatReport(report)}\n`);
  if (options.reportPath) await writeFile(options.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  return report.violationsTotal === 0 ? 0 : 1;
}
