// The network server: Milvus gRPC and RESTful v2 on ONE port, as Milvus serves them.
// Each connection's first bytes decide: the HTTP/2 connection preface ("PRI * HTTP/2.0")
// goes to gRPC, anything else to the HTTP/1.1 side (fastify), which serves REST v2,
// /healthz and /metrics. connections.ts holds every connection to its limits.
//
// Two steps, so that `elanus serve` touches nothing on disk before it has its port:
// listen() binds and holds the connections that arrive; serve() is given the engine
// and starts answering them. startServer() does both.
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Gateway } from '../gateway/index.js';
import { assert } from '../errors/index.js';
import { addMilvusService, type CallObserver, type LocalGateway } from './grpc/service.js';
import type { Handler } from './grpc/context.js';
import { Connections, defaultConnectionLimits, type Connection, type ConnectionLimits, type ConnectionStats } from './connections.js';
import { GrpcSocket } from './grpc-socket.js';
import { Forwarder, localRestReads, type RestForwarding } from './forward.js';
import { replicaPathPrefix } from './replica-wire.js';
import type { Authenticator } from './auth.js';

/** Enough of the HTTP/2 preface to tell it from any HTTP/1.1 method. */
const http2Sniff = Buffer.from('PRI * HTTP/2.0');
/**
 * After the deadline, how long close() waits for the cut sockets to report their close
 * (a loop turn or two) and for fastify to close: bounded, so the deadline holds whatever
 * happens.
 */
const afterCutWaitMs = 1_000;

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
  /** Defaults: defaultConnectionLimits. */
  readonly connections?: Partial<ConnectionLimits>;
}

export interface ServeOptions {
  readonly engine: Gateway;
  /** Largest gRPC message and REST body accepted, bytes. */
  readonly messageBytesMax: number;
  /** Per-call observer (metrics, logs). */
  readonly observe?: CallObserver;
  /** Registers extra HTTP routes (REST v2, metrics) before the server starts. */
  readonly http?: (app: FastifyInstance, forwarding?: RestForwarding) => Promise<void> | void;
  /** Extra gRPC handlers (for RPCs implemented outside the core handler set). */
  readonly grpcHandlers?: Readonly<Record<string, Handler>>;
  /**
   * Cluster mode: the address ("host:port") of the node that serves calls now, or
   * undefined while this one does. Asked per call; gRPC calls and REST requests (all but
   * /healthz and /metrics, which describe this node) then go there unchanged.
   */
  readonly forwardTo?: () => string | undefined;
  /**
   * Cluster mode: a gateway that answers this gRPC call here although calls go to
   * forwardTo() (reads from this node's replica); failures there are forwarded after all.
   * Not used with `auth`: calls are then authenticated where they are served.
   */
  readonly localCalls?: (rpc: string) => LocalGateway | undefined;
  /**
   * Authentication (`--auth-enabled`): every gRPC call is authenticated with it, and
   * `http` should hand it to registerRestRoutes. /healthz and /metrics stay open.
   */
  readonly auth?: Authenticator;
}


export type ServerOptions = ListenOptions & ServeOptions;

export interface Listener {
  readonly host: string;
  readonly port: number;
  connections(): ConnectionStats;
  /** Starts answering: the connections held so far first. Once only. */
  serve(o: ServeOptions): Promise<RunningServer>;
  /** Unbinds and drops the held connections (when the engine could not be opened). */
  close(): Promise<void>;
}

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  connections(): ConnectionStats;
  /**
   * Stops accepting, lets calls in flight finish until the deadline, then cuts them.
   * Resolves once every connection is closed. Idempotent.
   */
  close(deadlineMs?: number): Promise<void>;
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  return (await listen(o)).serve(o);
}

/** Binds the port. Connections that arrive before serve() wait, unread, counted against connectionsMax. */
export async function listen(o: ListenOptions): Promise<Listener> {
  const limits: ConnectionLimits = { ...defaultConnectionLimits, ...o.connections };
  const conns = new Connections(limits);
  const waiting: Connection[] = [];
  let route: ((c: Connection) => void) | undefined;
  // Paused on connect: nothing is read until routing starts, and the handshake deadline
  // runs from then, so a slow engine start does not cut clients that connected early.
  const tcp = net.createServer({ pauseOnConnect: true }, (socket) => {
    const c = conns.admit(socket);
    if (!c) return;
    if (route) route(c);
    else waiting.push(c);
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(o.port, o.host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  // Errors on the listening socket after the bind (EMFILE on accept) are logged, not fatal.
  tcp.on('error', (e) => o.logger.warn({ err: e.message }, 'listening socket error'));
  const { address, port } = tcp.address() as net.AddressInfo;
  const unbound = new Promise<void>((resolve) => tcp.once('close', () => resolve()));
  let serving = false;

  return {
    host: address,
    port,
    connections: () => conns.stats(),
    async close() {
      tcp.close();
      conns.beginShutdown();
      conns.dispose();
      await Promise.race([unbound, sleep(afterCutWaitMs)]);
    },
    async serve(s) {
      assert(!serving, 'serve() called twice');
      serving = true;
      const running = await startProtocols(s, limits, conns, o.logger);
      route = running.route;
      for (const c of waiting.splice(0)) if (!c.socket.destroyed) route(c);
      let closing: Promise<void> | undefined;
      return {
        host: address,
        port,
        connections: () => conns.stats(),
        close(deadlineMs = 10_000) {
          closing ??= (async () => {
            const until = performance.now() + deadlineMs;
            tcp.close();
            conns.beginShutdown();
            // grpc-js sends every session a GOAWAY; each closes once its calls are done.
            running.grpcServer.tryShutdown(() => {});
            await Promise.race([conns.drained(), sleep(until - performance.now())]);
            conns.cutAll('shutdown');
            const cutBy = performance.now() + afterCutWaitMs;
            // A destroyed socket reports 'close' a loop turn later; wait, so the counts are final.
            await Promise.race([conns.drained(), sleep(cutBy - performance.now())]);
            running.grpcServer.forceShutdown();
            running.injector.destroy();
            running.forwarder?.close();
            conns.dispose();
            // Every socket is destroyed, so fastify has nothing to wait for; bounded all the same.
            await Promise.race([Promise.all([running.app.close().catch(() => {}), unbound]), sleep(cutBy - performance.now())]);
          })();
          return closing;
        },
      };
    },
  };
}

/** The gRPC server and the fastify app, and the function that routes a connection to one of them. */
async function startProtocols(o: ServeOptions, limits: ConnectionLimits, conns: Connections, logger: Logger) {
  const observe: CallObserver = (rpc, ms, code) => {
    logger.debug({ rpc, ms: Math.round(ms * 1000) / 1000, code }, 'grpc');
    o.observe?.(rpc, ms, code);
  };
  const grpcServer = new grpc.Server({
    'grpc.max_receive_message_length': o.messageBytesMax,
    'grpc.max_send_message_length': o.messageBytesMax,
    // GOAWAY after this long without a call: the client reconnects on its next one.
    'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
  });
  // With authentication on, this node answers nothing it would otherwise forward (above).
  const localCalls = o.auth ? undefined : o.localCalls;
  const forwarder = o.forwardTo ? new Forwarder(o.forwardTo, o.messageBytesMax, localCalls) : undefined;
  addMilvusService(grpcServer, o.engine, observe, o.grpcHandlers, forwarder, o.auth);
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());

  const app = Fastify({ logger: false, bodyLimit: o.messageBytesMax, forceCloseConnections: true });
  // connections.ts closes idle HTTP/1.1 connections (and counts why); Node's own
  // keep-alive timer would close them first, uncounted. 0 turns it off.
  app.server.keepAliveTimeout = 0;
  app.server.prependListener('request', (req, res) => {
    const c = conns.of(req.socket as net.Socket);
    if (!c) return;
    c.requestStarted();
    res.once('close', () => c.requestEnded(performance.now()));
  });
  // A request Node's parser refuses (fastify answers 400 and closes): the client broke the protocol.
  app.server.prependListener('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (err.code?.startsWith('HPE_')) conns.of(socket)?.note('malformed');
  });
  // 200 while every write is taken; 503 with the reasons while the engine refuses some
  // (a full volume, a failing disk), so a load balancer or an operator sees it. Reads
  // still work then, and CheckHealth says the same over gRPC.
  if (forwarder) {
    app.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?')[0];
      // This node's own state, and the replica reads the coordinator sends it.
      if (path === '/healthz' || path === '/metrics' || path?.startsWith(replicaPathPrefix)) return;
      // Reads this node may answer from its replica: the REST route decides (and forwards
      // with the body it read when it cannot).
      if (localCalls && path !== undefined && localRestReads.has(path)) return;
      const address = forwarder.target();
      if (address === undefined) return;
      forwarder.forwardHttp(address, req, reply);
      // Returning the (hijacked) reply ends fastify's lifecycle for this request.
      return reply;
    });
  }
  app.get('/healthz', async (_req, reply) => {
    const h = o.engine.health();
    if (h.status === 'ok') return { status: 'ok' };
    return reply.code(503).send({ status: 'degraded', reasons: h.reasons });
  });
  const restForwarding: RestForwarding | undefined = forwarder && localCalls ? {
    target: () => forwarder.target(), local: (rpc) => forwarder.local?.(rpc),
    forward: (address, req, reply, body) => forwarder.forwardHttp(address, req, reply, body),
  } : undefined;
  if (o.http) await o.http(app, restForwarding);
  await app.ready();

  /** Reads just enough of the first bytes to tell the protocols apart, then hands the socket over. */
  const route = (c: Connection): void => {
    const socket = c.socket;
    c.startRouting(performance.now());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, http2Sniff.length);
      const isH2 = head.subarray(0, n).equals(http2Sniff.subarray(0, n));
      if (isH2 && head.length < http2Sniff.length) return; // need more bytes to be sure
      socket.off('data', onData);
      socket.pause();
      if (isH2) {
        // grpc-js turns Nagle off on the sockets it accepts itself but cannot reach this
        // one through the stream: without this every small reply waited for the client's
        // delayed ACK (~40 ms per unary call).
        socket.setNoDelay(true);
        c.startGrpc();
        const view = new GrpcSocket(c, head, limits.connectionBytesMax);
        if (!socket.destroyed) injector.injectConnection(view);
      } else {
        c.startHttp1();
        socket.unshift(head);
        app.server.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
    socket.resume();
  };
  return { grpcServer, injector, app, route, forwarder };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}
