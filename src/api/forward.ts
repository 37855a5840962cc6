// Passing calls on to the node that serves them (cluster mode: every node runs a
// gateway; one that does not serve a call itself forwards it to the one that does).
// gRPC calls go on as the bytes they came in, with their metadata and deadline; REST
// requests as the same method, path, headers and body. Nothing is decoded on the way.
import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ElanusError } from '../errors/index.js';
import type { CallForwarder, LocalGateway } from './grpc/service.js';

/** The REST reads a cluster node may answer itself (`localCalls`), by path, with the gRPC call each is. */
export const localRestReads: ReadonlyMap<string, string> = new Map([
  ['/v2/vectordb/entities/search', 'Search'], ['/v2/vectordb/entities/query', 'Query'], ['/v2/vectordb/entities/get', 'Query'],
  ['/v2/vectordb/entities/hybrid_search', 'HybridSearch'], ['/v2/vectordb/entities/advanced_search', 'HybridSearch'],
]);

/** What a node's REST routes need to answer a read themselves or forward it (ServeOptions.localCalls). */
export interface RestForwarding {
  /** Where calls go now (undefined: this node serves them). */
  target(): string | undefined;
  local(rpc: string): LocalGateway | undefined;
  /** Forwards a request whose body fastify already read (`body`, as it came). */
  forward(address: string, req: FastifyRequest, reply: FastifyReply, body: string): void;
}

const identity = (b: Buffer): Buffer => b;

/** Headers that belong to one hop of HTTP/1.1 and are not passed on. */
const hopHeaders = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

export class Forwarder implements CallForwarder {
  /** The client of the address calls go to now (a channel reconnects by itself); replaced when the address changes. */
  private client: { readonly address: string; readonly channel: grpc.Client } | undefined;
  private readonly agent = new http.Agent({ keepAlive: true });
  private closed = false;

  constructor(readonly target: () => string | undefined, private readonly messageBytesMax: number, readonly local?: (rpc: string) => LocalGateway | undefined) {}

  forward(address: string, method: string, request: Buffer, metadata: grpc.Metadata, deadline: grpc.Deadline): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ElanusError('CLOSED'));
    if (this.client?.address !== address) {
      // The coordinator moved (the old one died or was deposed): its channel is closed.
      this.client?.channel.close();
      this.client = {
        address,
        channel: new grpc.Client(address, grpc.credentials.createInsecure(), {
          'grpc.max_receive_message_length': this.messageBytesMax,
          'grpc.max_send_message_length': this.messageBytesMax,
        }),
      };
    }
    const client = this.client.channel;
    // Only the calls' own metadata goes on (dbname, authorization); grpc-js adds its own.
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata.getMap())) if (!k.startsWith('grpc-') && !k.startsWith(':')) md.set(k, v);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(method, identity, identity, request, md, { deadline }, (err, reply) => {
        // A status the serving node chose (authentication refused the call) goes back as it came.
        if (err && err.metadata?.get('elanus-code').length) reject(new RelayedStatus(err.code, err.details, err.metadata));
        else if (err || reply === undefined) reject(unavailable(address, err?.details ?? 'no reply'));
        else resolve(reply);
      });
    });
  }

  /**
   * Passes a REST request on and sends its answer back; the reply is hijacked. `body`:
   * the body as it came, when fastify already read it (a read this node tried to answer
   * itself); else the request's stream is passed on unread.
   */
  forwardHttp(address: string, req: FastifyRequest, reply: FastifyReply, body?: string): void {
    reply.hijack();
    const res = reply.raw;
    const [host, port] = splitAddress(address);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!hopHeaders.has(k) && v !== undefined) headers[k] = v;
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const out = http.request({ host, port, method: req.method, path: req.url, headers, agent: this.agent }, (answer) => {
      const back: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(answer.headers)) if (!hopHeaders.has(k) && v !== undefined) back[k] = v;
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    out.on('error', (e) => {
      if (res.headersSent) return void res.destroy();
      const err = unavailable(address, e.message);
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: err.spec.milvusCode, message: err.message }));
    });
    // Unread, the body goes on as a stream (the forwarding hook runs before fastify reads it).
    if (body !== undefined) out.end(body);
    else req.raw.pipe(out);
  }

  close(): void {
    this.closed = true;
    this.client?.channel.close();
    this.client = undefined;
    this.agent.destroy();
  }
}

/**
 * A gRPC status the node that served a forwarded call answered with on purpose (it
 * carries `elanus-code`: authentication's refusals), to send back to the client unchanged.
 */
export class RelayedStatus extends Error {
  constructor(readonly code: grpc.status, readonly details: string, readonly metadata: grpc.Metadata) {
    super(details);
  }
}

function unavailable(address: string, detail: string): ElanusError {
  return new ElanusError('STORE_UNAVAILABLE', { store: 'coordinator node', endpoint: address, detail });
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))];
}
