// The S3 stand-in's process: npm's s3rver with the changes of s3-standin-store.ts, on
// 127.0.0.1, data in a folder. local-s3.ts starts it (`node s3-standin-main.js --dir D
// --bucket B [--port P]`); it prints one line of JSON, {"port":N}, once it serves, and
// ends on SIGTERM, or when its standard input closes (its parent is gone), so it never
// outlives the process that started it.
//
// s3rver makes the continuation token of a truncated listing with DES, which OpenSSL 3
// keeps in its legacy provider: the launcher starts this process with
// --openssl-legacy-provider, and a listing of more than one page fails without it.
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import { AtomicFilesystemStore, removeTemporaries, standinExtras } from './s3-standin-store.js';

const require = createRequire(import.meta.url);

interface S3rverApp {
  store: unknown;
  context: { store: unknown };
  middleware: unknown[];
  run(): Promise<{ port: number }>;
  httpServer?: Server;
}
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => S3rverApp;

/** Tries at binding a given port (the previous owner may still be letting it go). */
const bindAttemptsMax = 50;
const bindRetryMs = 100;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const dir = arg('dir');
  const bucket = arg('bucket');
  const port = Number(arg('port') ?? '0');
  if (dir === undefined || bucket === undefined || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error('usage: s3-standin-main --dir <folder> --bucket <name> [--port <n>]');
  }
  await removeTemporaries(dir, bucket);
  const app = new S3rver({
    address: '127.0.0.1', port, directory: dir, silent: true, vhostBuckets: false, configureBuckets: [{ name: bucket }],
  });
  const store = new AtomicFilesystemStore(dir);
  app.store = store;
  app.context.store = store;
  // Before s3rver's router, which is its last middleware.
  app.middleware.splice(app.middleware.length - 1, 0, standinExtras(store));
  let address: { port: number } | undefined;
  for (let attempt = 1; address === undefined; attempt++) {
    try {
      address = await app.run();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0 || attempt >= bindAttemptsMax) throw e;
      await new Promise((r) => setTimeout(r, bindRetryMs));
    }
  }
  const stop = () => {
    app.httpServer?.closeAllConnections();
    app.httpServer?.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('close', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`s3 stand-in: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
