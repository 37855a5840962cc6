// Raw connections and /metrics figures for the connection tests.
import * as http from 'node:http';
import * as net from 'node:net';

export interface RawConnection {
  readonly socket: net.Socket;
  /** Resolves with ms from connect to the close, whoever closed. */
  readonly closed: Promise<number>;
  /** Bytes the server sent. */
  received(): Buffer;
  /** True once the client itself has destroyed the socket (so a close is not the server's doing). */
  readonly closedByUs: () => boolean;
  destroy(): void;
}

/** After the server's FIN, how often the client checks whether the server still holds the socket. */
const probeEveryMs = 100;

/**
 * A TCP connection that never closes its side by itself (allowHalfOpen): the server's FIN
 * alone does not end it, since a server that only half-closes still holds the socket.
 * After a FIN it writes a byte every 100 ms: once the server has really closed, the
 * kernel answers with a reset and the socket closes. `closed` gives the time of the FIN.
 */
export function rawConnection(port: number, first?: Uint8Array): RawConnection {
  const started = performance.now();
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let data = Buffer.alloc(0);
  let byUs = false;
  let finAt: number | undefined;
  let probe: NodeJS.Timeout | undefined;
  socket.on('data', (d: Buffer) => {
    if (data.length < 4096) data = Buffer.concat([data, d]);
  });
  socket.on('end', () => {
    finAt = performance.now();
    probe = setInterval(() => socket.write('\0'), probeEveryMs);
  });
  socket.on('error', () => {}); // a reset is the way a server that closed answers the probe
  if (first) socket.once('connect', () => socket.write(first));
  const closed = new Promise<number>((resolve) => socket.once('close', () => {
    clearInterval(probe);
    resolve((finAt ?? performance.now()) - started);
  }));
  return {
    socket,
    closed,
    received: () => data,
    closedByUs: () => byUs,
    destroy() {
      byUs = true;
      socket.destroy();
    },
  };
}

/** Resolves with the value, or with 'timeout' after ms. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GET /metrics on a connection of its own with `Connection: close`, so that the scrape
 * leaves no kept-alive connection behind to be closed as idle later (counted `peer`).
 */
export function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('GET /metrics: no answer within 10 s')));
    req.on('error', reject);
  });
}

/** One sample of a metric: `name{labels} value`; 0 when the series is absent. */
export function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export const closedBy = (text: string, reason: string) => sample(text, 'elanus_connections_closed_total', `reason="${reason}"`);

export const http2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** An HTTP/2 frame: 9-byte header and payload. */
export function h2Frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** Waits until `check` holds, polling; fails after ms. */
export async function eventually(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const until = performance.now() + ms;
  for (;;) {
    if (await check()) return;
    if (performance.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
