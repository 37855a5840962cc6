#!/usr/bin/env node
// The `elanus` command: `serve` runs the server, `demo` the short in-process tour,
// `verify` the failure-story verifier, `inspect` reports what a data folder holds,
// `backup` copies a running server's data out consistently and `restore` makes a data folder of it,
// `version` (or `--version`, `-v`) prints `elanus <version>`, `help` lists them. Exit
// codes: 0 done, 1 failed (for verify: violations found; for inspect: damage found), 2
// the command line was wrong.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { configFileEnv, keySpecs } from '../config/index.js';
import { runDemo } from './demo.js';
import { runInspect } from './inspect-command.js';
import { runBackup, runRestore } from './backup-command.js';
import { runServe } from './serve.js';
import { elanusVersion } from './version.js';
import { runClusterDown, runClusterSupervise, runClusterUp } from './cluster-up.js';
import { runVerifyCommand, type VerifyFlags } from '../verify/cli.js';

/** Commander's errors that mean "the command line was wrong". */
const usageErrors = new Set([
  'commander.unknownCommand', 'commander.unknownOption', 'commander.missingArgument',
  'commander.optionMissingArgument', 'commander.missingMandatoryOptionValue',
  'commander.invalidArgument', 'commander.excessArguments', 'commander.conflictingOption',
]);

function program(setExit: (code: number) => void): Command {
  const p = new Command('elanus')
    .description('Elanus, a Milvus-compatible vector database')
    .showSuggestionAfterError()
    .showHelpAfterError('(try: elanus help)')
    .exitOverride()
    .version(`elanus ${elanusVersion()}`, '-v, --version', 'print the version');

  p.command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`elanus ${elanusVersion()}\n`);
      setExit(0);
    });

  const serve = p.command('serve')
    .description('serve Milvus gRPC, REST, /healthz and /metrics on one port')
    .option('--config <path>', `JSON config file (env ${configFileEnv})`);
  // Options come from the config schema, without commander defaults: an option left out
  // must fall through to the environment, the file, then the schema's default.
  for (const s of keySpecs) {
    const help = `${s.help} (env ${s.env}, default ${String(s.default)})`;
    if (s.type === 'boolean') {
      serve.addOption(new Option(`--${s.flag}`, help));
      serve.addOption(new Option(`--no-${s.flag}`, `turn off --${s.flag}`));
    } else {
      const value = s.type === 'integer' || s.type === 'number' ? 'n' : s.type === 'logLevel' ? 'level' : s.type === 'logFormat' ? 'format' : 'value';
      serve.addOption(new Option(`--${s.flag} <${value}>`, help));
    }
  }
  serve.action(async (opts: Record<string, unknown>) => setExit(await runServe(opts)));

  p.command('demo')
    .description('run the in-process demo on a data folder')
    .argument('[folder]', 'data folder', './data')
    .action(async (folder: string) => setExit(await runDemo(folder)));

  p.command('inspect')
    .description('report what a data folder holds (collections, segments, log positions, sizes, damage) without changing it or taking its lock; exit 1 when damage is found')
    .argument('<dir>', 'the data folder')
    .option('--json', 'one JSON document instead of text')
    .action(async (dir: string, o: { json?: boolean }) => setExit(await runInspect(dir, o)));

  p.command('backup')
    .description('take a consistent backup of a running server into a new folder: every write acknowledged before its timestamp, none after (exit 1 on failure)')
    .requiredOption('--to <dir>', 'a new or empty folder')
    .option('--target <host:port>', 'the server', '127.0.0.1:19530')
    .option('--token <user:password>', 'root\'s credentials, when the server has authentication on')
    .action(async (o: { to: string; target: string; token?: string }) => setExit(await runBackup(o)));

  p.command('restore')
    .description('make a new data folder from a backup, checking every file (exit 1 when the backup is damaged or incomplete)')
    .requiredOption('--from <dir>', 'the folder given to elanus backup --to')
    .requiredOption('--data-dir <dir>', 'the data folder to create (new or empty); then: elanus serve --data-dir <dir>')
    .action(async (o: { from: string; dataDir: string }) => setExit(await runRestore(o)));

  const cluster = p.command('cluster').description('a whole cluster on loopback: etcd, 3 JetStream servers, the S3 stand-in and N Elanus nodes (docs/CLUSTER.md)');
  const intArg = (name: string, min: number, max: number) => (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  // `up` and the supervisor it starts take the same options.
  const clusterOptions = (c: Command) => c
    .requiredOption('--dir <dir>', 'folder for every server\'s data, the logs and cluster.json')
    .option('--nodes <n>', 'Elanus nodes', intArg('--nodes', 1, 16), 3)
    .option('--port <port>', 'the first gateway\'s port; the others follow', intArg('--port', 1, 65_535), 19_590);
  clusterOptions(cluster.command('up')
    .description('start the cluster (or whatever of it is not running) and wait until it is ready; prints and writes DIR/cluster.json'))
    .action(async (o: { dir: string; nodes: number; port: number }) => setExit(await runClusterUp(o)));
  cluster.command('down')
    .description('stop every process of the cluster in DIR')
    .requiredOption('--dir <dir>', 'the folder given to cluster up')
    .action(async (o: { dir: string }) => setExit(await runClusterDown(o)));
  clusterOptions(cluster.command('supervise', { hidden: true }))
    .action(async (o: { dir: string; nodes: number; port: number }) => setExit(await runClusterSupervise(o)));

  p.command('verify')
    .description('run a failure story (docs/VERIFY.md) against an endpoint and check its invariants (exit 1 on a violation)')
    .requiredOption('--scenario <name>', 'mixed, partition-ddl, consumer-groups, kill-upsert, olap-oltp or lifecycle')
    .option('--target <host:port>', 'a Milvus-compatible endpoint, driven through the official Milvus client only; a comma-separated list spreads the clients over a cluster\'s gateways')
    .option('--spawn', 'start an Elanus server of its own on a temporary folder (it may kill and restart it)')
    .option('--cluster <dir>', 'a cluster started by `elanus cluster up --dir DIR`: clients spread over its gateways')
    .option('--kill-nodes [kinds]', '--cluster: kill -9 processes at random moments (the cluster restarts them): elanus (default), nats, etcd, or a list such as elanus,nats,etcd')
    .option('--duration <time>', 'how long to run: 90s, 3m, 2h (default 3m)')
    .option('--concurrency <n>', 'concurrent clients (default 16)')
    .option('--seed <n>', 'seed of every client\'s operation sequence (default: chosen and printed)')
    .option('--rows <n>', 'rows preloaded (default 100000); lifecycle: the most rows of a round (default 1000000)')
    .option('--report <file>', 'write the JSON report here')
    .option('--kills <n>', 'kill-upsert: stop after this many kills')
    .option('--kill-every <time>', 'kill-upsert and --kill-nodes: longest run between two kills (default 2s; 15s with --cluster)')
    .option('--interleavings <n>', 'consumer-groups: stop after this many schedules')
    .option('--rounds <n>', 'lifecycle: stop after this many rounds')
    .option('--dims <list>', 'lifecycle: vector shapes to sweep, e.g. 2,768,b8,b4096 (b: binary, in bits; default: 2 to 4096, float and binary)')
    .option('--dim <n>', 'dimension of the vector field (default 128)')
    .option('--call-timeout <time>', 'deadline of each call; past it the outcome is unknown (default 60s)')
    .option('--server-args <flags>', '--spawn: more `elanus serve` flags, in one quoted string')
    .option('--data-dir <path>', '--spawn: the server\'s data folder (default: a temporary one, removed after a clean run)')
    .option('--no-progress', 'no progress display on stderr')
    .action(async (opts: VerifyFlags) => setExit(await runVerifyCommand(opts)));
  return p;
}

async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  try {
    await program((c) => (code = c)).parseAsync([...argv], { from: 'user' });
  } catch (e) {
    // Commander has already printed its message (or the help) to the right stream.
    // `--version` and `--help` end here too, with exit code 0.
    if (e instanceof CommanderError) return usageErrors.has(e.code) ? 2 : e.exitCode;
    throw e;
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? `elanus: ${(e as { code?: string }).code ?? 'ERROR'}: ${e.message}` : e);
    process.exit(1);
  },
);
