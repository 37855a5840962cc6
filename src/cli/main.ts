#!/usr/bin/env node
// The `elanus` command: `serve` runs the server, `demo` the short in-process tour,
// `help` lists both. Exit codes: 0 done, 1 failed, 2 the command line was wrong.
import { Command, CommanderError, Option } from 'commander';
import { configFileEnv, keySpecs } from '../config/index.js';
import { runDemo } from './demo.js';
import { runServe } from './serve.js';

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
    .exitOverride();

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
      const value = s.type === 'integer' || s.type === 'number' ? 'n' : s.type === 'logLevel' ? 'level' : 'value';
      serve.addOption(new Option(`--${s.flag} <${value}>`, help));
    }
  }
  serve.action(async (opts: Record<string, unknown>) => setExit(await runServe(opts)));

  p.command('demo')
    .description('run the in-process demo on a data folder')
    .argument('[folder]', 'data folder', './data')
    .action(async (folder: string) => setExit(await runDemo(folder)));
  return p;
}

async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  try {
    await program((c) => (code = c)).parseAsync([...argv], { from: 'user' });
  } catch (e) {
    // Commander has already printed its message (or the help) to the right stream.
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
