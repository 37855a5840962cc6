#!/usr/bin/env node
// The `elanus` command. For now: `elanus demo [folder]`, a short in-process tour
// (create, insert, flush, restart, count). `serve` and `verify` come with their issues.
import { runDemo } from './demo.js';

const [command, ...args] = process.argv.slice(2);

async function main(): Promise<number> {
  switch (command) {
    case 'demo':
      return runDemo(args[0] ?? './data');
    case undefined:
    case '--help':
    case 'help':
      console.log('usage: elanus demo [data-folder]   run the in-process demo on a data folder (default ./data)');
      return command === undefined ? 1 : 0;
    default:
      console.error(`elanus: unknown command "${command}" (try: elanus help)`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? `${(e as { code?: string }).code ?? 'ERROR'}: ${e.message}` : e);
    process.exit(1);
  },
);
