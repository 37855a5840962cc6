// The server process of the vector benchmark: an engine on a folder behind the network
// server on a free port, with the limits the in-process side uses. Prints "PORT <n>";
// exits on SIGTERM.
//
//   node dist/bench/vector-server.js <folder> <segmentRowsMax>
import pino from 'pino';
import { Elanus } from '../src/index.js';
import { startServer } from '../src/api/server.js';

const path = process.argv[2]!;
const segmentRowsMax = Number(process.argv[3] ?? 1_000_000);
const engine = await Elanus.open({ path, limits: { backgroundIntervalMs: 0, segmentRowsMax } });
const server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 256 * 1024 * 1024, logger: pino({ level: 'silent' }) });
process.stdout.write(`PORT ${server.port}\n`);
process.on('SIGTERM', () => {
  void (async () => {
    await server.close(2000);
    await engine.close();
    process.exit(0);
  })();
});
