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
