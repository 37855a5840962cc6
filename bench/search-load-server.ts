// The server process of the search-load benchmark: an engine behind the network server,
// measuring its own event-loop delay. Prints "PORT <n>"; on a line "RESET" on stdin it
// starts a new measurement, on "STATS" it prints "STATS <json>" (delay percentiles in ms,
// vector index stats, RSS); exits on SIGTERM.
//   node dist/bench/search-load-server.js <folder> [interimIndexRows]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { Elanus } from '../src/index.js';
import { startServer } from '../src/api/server.js';

const engine = await Elanus.open({ path: process.argv[2]!, limits: {
  backgroundIntervalMs: 0, segmentRowsMax: 1_000_000, indexBuildThreads: 2,
  ...(process.argv[3] !== undefined ? { interimIndexRows: Number(process.argv[3]) } : {}),
} });
const server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 256 * 1024 * 1024, logger: pino({ level: 'silent' }) });
let loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'RESET') {
    loop.disable();
    loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
  } else if (line === 'STATS') {
    const ms = (ns: number) => ns / 1e6;
    const stats = {
      p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), samples: loop.count,
      index: engine.vectorIndexStats(), rss: process.memoryUsage().rss,
    };
    process.stdout.write(`STATS ${JSON.stringify(stats)}\n`);
  }
});
process.stdout.write(`PORT ${server.port}\n`);
process.on('SIGTERM', () => {
  void (async () => {
    await server.close(2000);
    await engine.close();
    process.exit(0);
  })();
});
