// The server process of the search-load benchmark: an engine behind the network server,
// measuring itself. Prints "PORT <n>"; on a line "RESET" on stdin it starts a new
// measurement, on "STATS" it prints "STATS <json>": event-loop delay percentiles (ms),
// the engine's own insert time (from the gRPC handler's call to its answer, ms), the
// event loop's utilization (the share of the time it was running JS or native callbacks
// rather than waiting), the CPU the process used (user + system, in cores over the
// measurement), the native pool's counters, vector index stats and RSS; exits on SIGTERM.
//   node dist/bench/search-load-server.js <folder> [<json options: interimIndexRows, nativeThreads>]
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { Elanus } from '../src/index.js';
import { startServer } from '../src/api/server.js';
import { nativePoolStats } from '../src/index/native.js';
import { percentile } from './lib.js';

const options = JSON.parse(process.argv[3] ?? '{}') as { interimIndexRows?: number; nativeThreads?: number };
const engine = await Elanus.open({
  path: process.argv[2]!,
  limits: {
    backgroundIntervalMs: 0, segmentRowsMax: 1_000_000, indexBuildThreads: 2,
    ...(options.interimIndexRows !== undefined ? { interimIndexRows: options.interimIndexRows } : {}),
  },
  ...(options.nativeThreads !== undefined ? { nativeThreads: options.nativeThreads } : {}),
});

// The engine's insert time, without the client's or the wire's: what the server owes.
let inserts: number[] = [];
const insert = engine.insert;
(engine as { insert: typeof insert }).insert = async (req) => {
  const t0 = performance.now();
  try {
    return await insert(req);
  } finally {
    inserts.push(performance.now() - t0);
  }
};

const server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 256 * 1024 * 1024, logger: pino({ level: 'silent' }) });
let loop = monitorEventLoopDelay({ resolution: 1 });
let cpu = process.cpuUsage();
let elu = performance.eventLoopUtilization();
let since = performance.now();
loop.enable();
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'RESET') {
    loop.disable();
    loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    inserts = [];
    cpu = process.cpuUsage();
    elu = performance.eventLoopUtilization();
    since = performance.now();
    nativePoolStats(true);
  } else if (line === 'STATS') {
    const ms = (ns: number) => ns / 1e6;
    const used = process.cpuUsage(cpu);
    const stats = {
      p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), samples: loop.count,
      insert: { p50: percentile(inserts, 50), p99: percentile(inserts, 99), n: inserts.length },
      cpuCores: (used.user + used.system) / 1000 / (performance.now() - since),
      loopUtilization: performance.eventLoopUtilization(elu).utilization,
      pool: nativePoolStats(),
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
