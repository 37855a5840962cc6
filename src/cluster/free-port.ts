// A free loopback port for a server the launchers start (etcd, nats-server, `elanus cluster
// up`'s nodes). Another process may take it before the server binds: the launchers retry
// with new ports when a bind race is lost.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether `port` on loopback can be bound now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Below Linux's ephemeral range (32768 and up), where servers started on port 0 land. */
const runPortMin = 21_000;
const runPortEnd = 32_000;
const runAttemptsMax = 50;

/**
 * The first of `count` consecutive free loopback ports (as `elanus cluster up --port P`
 * needs for its gateways), below the ephemeral range: there a port found free is not
 * taken a moment later by a server of another process binding port 0.
 */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < runAttemptsMax; attempt++) {
    const first = runPortMin + Math.floor(Math.random() * (runPortEnd - runPortMin - count));
    let free = true;
    for (let i = 0; i < count && free; i++) free = await portFree(first + i);
    if (free) return first;
  }
  throw new Error(`no ${count} consecutive free ports in ${runPortMin}-${runPortEnd} after ${runAttemptsMax} attempts`);
}
