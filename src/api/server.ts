// The network server: Milvus gRPC and RESTful v2 on ONE port, as Milvus serves them.
// Each connection's first bytes decide: the HTTP/2 connection preface ("PRI * HTTP/2.0")
// goes to gRPC, anything else to the HTTP/1.1 side (fastify), which serves REST v2,
// /healthz and /metrics.
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Elanus } from '../engine/index.js';
import { addMilvusService, type CallObserver } from './grpc/service.js';
import type { Handler } from './grpc/context.js';

const http2Preface = Buffer.from('PRI * HTTP/2.0');
/** How long a new connection may take to send enough bytes to tell its protocol. */
const routeTimeoutMs = 10_000;

export interface ServerOptions {
  readonly engine: Elanus;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Largest gRPC message and REST body accepted, bytes. */
  readonly messageBytesMax: number;
  readonly logger: Logger;
  /** Per-call observer (metrics, logs). */
  readonly observe?: CallObserver;
  /** Registers extra HTTP routes (REST v2, metrics) before the server starts. */
  readonly http?: (app: FastifyInstance) => Promise<void> | void;
  /** Extra gRPC handlers (for RPCs implemented outside the core handler set). */
  readonly grpcHandlers?: Readonly<Record<string, Handler>>;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, lets calls in flight finish until the deadline, then cuts them. Idempotent. */
  close(deadlineMs?: number): Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const observe: CallObserver = (rpc, ms, code) => {
    o.logger.debug({ rpc, ms: Math.round(ms * 1000) / 1000, code }, 'grpc');
    o.observe?.(rpc, ms, code);
  };
  const grpcServer = new grpc.Server({
    'grpc.max_receive_message_length': o.messageBytesMax,
    'grpc.max_send_message_length': o.messageBytesMax,
  });
  addMilvusService(grpcServer, o.engine, observe, o.grpcHandlers);
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());

  const app = Fastify({ logger: false, bodyLimit: o.messageBytesMax, forceCloseConnections: true });
  app.get('/healthz', async () => ({ status: 'ok' }));
  if (o.http) await o.http(app);
  await app.ready();

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', (e) => o.logger.debug({ err: e.message }, 'socket error'));
    route(socket);
  });

  /** Reads just enough of the first bytes to tell the protocols apart, then hands the socket over. */
  function route(socket: net.Socket): void {
    let head = Buffer.alloc(0);
    // Until the first bytes decide, neither fastify's nor gRPC's timeouts apply: a client
    // that connects and sends nothing (or only the start of the HTTP/2 preface) would hold
    // its socket forever. Cut it after routeTimeoutMs; the side it goes to takes over then.
    const onTimeout = () => socket.destroy();
    socket.setTimeout(routeTimeoutMs, onTimeout);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, http2Preface.length);
      const isH2 = head.subarray(0, n).equals(http2Preface.subarray(0, n));
      if (isH2 && head.length < http2Preface.length) return; // need more bytes to be sure
      socket.off('data', onData);
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
      socket.pause();
      if (isH2) {
        // Node's HTTP/2 session reads the socket's native handle directly and would miss
        // the bytes already read here, so gRPC gets a JS stream over the socket instead.
        // grpc-js turns Nagle off on the sockets it accepts itself but cannot reach this
        // one through the stream: without this every small reply waited for the client's
        // delayed ACK (~40 ms per unary call).
        socket.setNoDelay(true);
        injector.injectConnection(new SocketView(socket, head));
      } else {
        socket.unshift(head);
        app.server.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  }

  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(o.port, o.host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  const address = tcp.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    close(deadlineMs = 10_000) {
      closing ??= (async () => {
        // tcp.close stops accepting at once but calls back only when every connection is
        // gone, and a client's idle HTTP/2 connection stays open until it is told to go:
        // waiting for it first would never reach the deadline. So it is awaited last.
        const stopped = new Promise<void>((resolve) => tcp.close(() => resolve()));
        const graceful = new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve()));
        const timer = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
        await Promise.race([graceful, timer]);
        grpcServer.forceShutdown();
        injector.destroy();
        await app.close();
        for (const s of sockets) s.destroy();
        await stopped;
      })();
      return closing;
    },
  };
}

/** A duplex stream over a socket whose first bytes were already read. */
class SocketView extends Duplex {
  constructor(private readonly socket: net.Socket, head: Buffer) {
    super();
    this.push(head);
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (e) => this.destroy(e));
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.socket.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}
