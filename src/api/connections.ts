// Every TCP connection the server holds, with the limits that keep a bad or idle one from
// holding it forever, and the figures /metrics reports. One owner: the server's event
// handlers call in here; nothing else changes a connection's phase or deadline.
//
// A connection lives in phases: waiting (accepted before the engine was open: nothing is
// read yet), sniffing (its first bytes decide the protocol), grpc-handshake (the HTTP/2
// preface is in, its first SETTINGS frame is not), then grpc or http1. Each phase has at
// most one deadline; a sweep once a second cuts every connection past its deadline, so a
// timeout fires up to sweepIntervalMs late and no connection needs a timer of its own.
import type * as net from 'node:net';

export const closeReasons = ['handshake_timeout', 'idle', 'malformed', 'limit', 'memory', 'shutdown', 'peer'] as const;
/**
 * Why a connection ended: the handshake (an HTTP/1.1 request head, or the HTTP/2 preface
 * and first SETTINGS frame) did not complete in time; it sat idle; it sent something the
 * protocol forbids; it arrived past connectionsMax; it held more request bytes than
 * connectionBytesMax; the server shut down; or the client closed it (or the protocol
 * ended it after a normal exchange, as HTTP/1.1 `Connection: close` does).
 */
export type CloseReason = (typeof closeReasons)[number];

export interface ConnectionLimits {
  /** Time from the start of routing to a complete HTTP/1.1 request head or HTTP/2 preface + SETTINGS. */
  readonly handshakeTimeoutMs: number;
  /** A connection with no call or request in flight for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Connections held at once; more are closed as they arrive. */
  readonly connectionsMax: number;
  /** Request bytes one connection may have the server hold (received, not yet answered). */
  readonly connectionBytesMax: number;
}

const MiB = 1024 * 1024;

/** The defaults the config schema offers (src/config/schema.ts). */
export const defaultConnectionLimits: ConnectionLimits = Object.freeze({
  handshakeTimeoutMs: 10_000,
  // Long on purpose: HTTP clients close their idle connections first (undici after 4 s),
  // which avoids the race of a request sent just as the server closes; gRPC clients are
  // told by a GOAWAY and reconnect on their next call. This bounds held resources, it
  // does not pace clients.
  idleTimeoutMs: 300_000,
  connectionsMax: 1024,
  // Two of the largest messages (messageBytesMax, 256 MiB by default): one connection may
  // send a maximal insert while another call of the same size is still being answered.
  connectionBytesMax: 512 * MiB,
});

export interface ConnectionStats {
  readonly open: number;
  /** Every connection accepted from the kernel, including those refused at once. */
  readonly accepted: number;
  readonly closed: Readonly<Record<CloseReason, number>>;
}

export type Phase = 'waiting' | 'sniffing' | 'grpc-handshake' | 'grpc' | 'http1';

/** How often deadlines and HTTP/1.1 byte counts are checked. */
const sweepIntervalMs = 1_000;
/**
 * After the protocol layer has ended a connection (our FIN sent), how long the client
 * gets to close its side before the socket is destroyed: a client that ignores the FIN
 * would otherwise hold a half-closed socket forever.
 */
const lingerMs = 1_000;

export class Connection {
  phase: Phase = 'waiting';
  private reason: CloseReason | undefined;
  /** Past this (performance.now() ms) the sweep cuts the connection for deadlineReason. */
  private deadlineAt = Infinity;
  private deadlineReason: CloseReason = 'handshake_timeout';
  private requestsInFlight = 0;
  /** HTTP/1.1: socket.bytesRead when the last response ended; bytes past it are unanswered. */
  private bytesAnswered = 0;
  private headStarted = false;

  constructor(readonly socket: net.Socket, readonly owner: Connections) {}

  /** The reason counted when the socket closes. */
  closeReason(fallback: CloseReason): CloseReason {
    return this.reason ?? fallback;
  }

  /** Destroys the socket now; the first reason given is the one counted. */
  cut(reason: CloseReason): void {
    this.reason ??= reason;
    this.socket.destroy();
  }

  /** Records why the protocol layer is ending the connection, without ending it. */
  note(reason: CloseReason): void {
    this.reason ??= reason;
  }

  /**
   * Ends the connection after its last bytes: at once once they are out when the client
   * broke the protocol, else when the client closes its side or lingerMs has passed.
   */
  finish(): void {
    if (this.socket.destroyed) return;
    const abrupt = this.reason === 'malformed' || this.reason === 'memory';
    this.socket.end(() => {
      if (abrupt) this.socket.destroy();
    });
    const timer = setTimeout(() => this.socket.destroy(), lingerMs).unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** Routing starts: the handshake deadline runs from now. */
  startRouting(now: number): void {
    this.phase = 'sniffing';
    this.setDeadline(now + this.owner.limits.handshakeTimeoutMs, 'handshake_timeout');
  }

  /** The HTTP/2 preface is in; the first SETTINGS frame must follow within the same deadline. */
  startGrpc(): void {
    this.phase = 'grpc-handshake';
  }

  /** The first SETTINGS frame is in: grpc-js owns the connection's idle timeout from here. */
  grpcEstablished(): void {
    this.phase = 'grpc';
    this.setDeadline(Infinity, 'idle');
  }

  startHttp1(): void {
    this.phase = 'http1';
    this.bytesAnswered = this.socket.bytesRead;
  }

  /** An HTTP/1.1 request head is complete. */
  requestStarted(): void {
    this.requestsInFlight++;
    this.headStarted = false;
    this.setDeadline(Infinity, 'idle');
    this.checkHttp1Bytes();
  }

  /** An HTTP/1.1 response is complete (or its connection broke). */
  requestEnded(now: number): void {
    this.requestsInFlight--;
    this.bytesAnswered = this.socket.bytesRead;
    if (this.requestsInFlight > 0) return;
    if (this.owner.isClosing) return this.finish();
    this.setDeadline(now + this.owner.limits.idleTimeoutMs, 'idle');
  }

  /** Nothing in flight that a shutdown should wait for. */
  get quiet(): boolean {
    return this.phase !== 'grpc' && this.requestsInFlight === 0;
  }

  /** The periodic check: deadlines, and the bytes an HTTP/1.1 connection holds unanswered. */
  sweep(now: number): void {
    if (this.phase === 'http1' && this.requestsInFlight === 0 && !this.headStarted && this.socket.bytesRead > this.bytesAnswered) {
      // The next request's head has begun (Node's parser reads the socket natively, so
      // the byte count is how it shows): it gets the handshake deadline, not the idle one.
      this.headStarted = true;
      this.setDeadline(Math.min(this.deadlineAt, now + this.owner.limits.handshakeTimeoutMs), 'handshake_timeout');
    }
    if (this.phase === 'http1') this.checkHttp1Bytes();
    if (now >= this.deadlineAt) this.cut(this.deadlineReason);
  }

  /**
   * HTTP/1.1 holds what it has read past the last answer: the bodies of pipelined
   * requests, which Node parses and hands over while earlier ones are still running.
   * A body alone is bounded by messageBytesMax (fastify's bodyLimit).
   */
  private checkHttp1Bytes(): void {
    if (this.socket.bytesRead - this.bytesAnswered > this.owner.limits.connectionBytesMax) this.cut('memory');
  }

  private setDeadline(at: number, reason: CloseReason): void {
    this.deadlineAt = at;
    this.deadlineReason = reason;
  }
}

/** The set of open connections, their limits and counts. */
export class Connections {
  private readonly live = new Set<Connection>();
  private readonly bySocket = new WeakMap<net.Socket, Connection>();
  private accepted = 0;
  private readonly closed = Object.fromEntries(closeReasons.map((r) => [r, 0])) as Record<CloseReason, number>;
  private closing = false;
  private readonly sweeper: NodeJS.Timeout;
  private drainWaiters: Array<() => void> = [];

  constructor(readonly limits: ConnectionLimits, private readonly now: () => number = () => performance.now()) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs).unref();
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Takes a new socket, or closes it at once (past connectionsMax, or shutting down). */
  admit(socket: net.Socket): Connection | undefined {
    this.accepted++;
    // A reset from a client we refuse or cut is expected; it must not become an uncaught error.
    socket.on('error', () => {});
    if (this.closing || this.live.size >= this.limits.connectionsMax) {
      this.closed[this.closing ? 'shutdown' : 'limit']++;
      socket.destroy();
      return undefined;
    }
    const c = new Connection(socket, this);
    this.live.add(c);
    this.bySocket.set(socket, c);
    socket.once('close', () => {
      this.live.delete(c);
      this.closed[c.closeReason(this.closing ? 'shutdown' : 'peer')]++;
      if (this.live.size === 0) for (const wake of this.drainWaiters.splice(0)) wake();
    });
    return c;
  }

  of(socket: net.Socket): Connection | undefined {
    return this.bySocket.get(socket);
  }

  stats(): ConnectionStats {
    return { open: this.live.size, accepted: this.accepted, closed: { ...this.closed } };
  }

  /** Refuses new connections and cuts those with nothing in flight; the others end as their calls do. */
  beginShutdown(): void {
    this.closing = true;
    for (const c of [...this.live]) if (c.quiet) c.cut('shutdown');
  }

  cutAll(reason: CloseReason): void {
    for (const c of [...this.live]) c.cut(reason);
  }

  /** Resolves once no connection is left. */
  drained(): Promise<void> {
    if (this.live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  dispose(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    for (const c of [...this.live]) c.sweep(now);
  }
}
