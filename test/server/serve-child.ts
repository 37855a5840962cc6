// A server process for the restart test: opens the data folder, serves gRPC + HTTP on a
// free port and prints "PORT <n>". On SIGTERM it stops as `elanus serve` does: closes
// the server (calls in flight get 5 s), flushes every collection, closes the engine and
// exits 0. If the folder cannot be opened it prints "ERROR <code> <message>" and exits 1.
//   node serve-child.js <data-folder>
import { pino } from 'pino';
import { startServer } from '../../src/api/server.js';
import { Elanus } from '../../src/engine/index.js';
import { isElanusError } from '../../src/errors/index.js';

const path = process.argv[2]!;
let engine: Elanus;
try {
  engine = await Elanus.open({ path });
} catch (e) {
  const code = isElanusError(e) ? e.code : 'UNEXPECTED';
  process.stdout.write(`ERROR ${code} ${(e as Error).message}\n`);
  process.exit(1);
}
const server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 64 << 20, logger: pino({ level: 'silent' }) });

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await server.close(5000);
    for (const db_name of (await engine.listDatabases()).db_names) {
      const names = (await engine.showCollections({ db_name })).data.map((c) => c.name);
      if (names.length > 0) await engine.flush({ db_name, collection_names: names });
    }
    await engine.close();
    process.stdout.write('STOPPED\n');
    process.exit(0);
  })().catch((e: unknown) => {
    process.stdout.write(`ERROR STOPPING ${String((e as Error)?.stack ?? e)}\n`);
    process.exit(1);
  });
});

process.stdout.write(`PORT ${server.port}\n`);
