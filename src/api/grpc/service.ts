// The gRPC service: one handler per Milvus RPC. Implemented RPCs translate to the engine;
// every other RPC answers a coded NOT_SUPPORTED status (never an empty success). Every
// call ends in a reply: errors travel inside an OK reply as common.Status, as Milvus
// sends them, and nothing a request contains can throw past this layer.
import * as grpc from '@grpc/grpc-js';
import { ElanusError } from '../../errors/index.js';
import type { Gateway } from '../../gateway/index.js';
import { packageDefinition, serviceMethods, serviceName } from '../proto.js';
import { okStatus, statusOf } from '../status.js';
import type { Handler } from './context.js';
import { catalogHandlers } from './handlers/catalog.js';
import { dataHandlers } from './handlers/data.js';
import { indexHandlers } from './handlers/indexes.js';
import { resourceGroupHandlers } from './handlers/resource-groups.js';
import { systemHandlers } from './handlers/system.js';

export interface CallObserver {
  /** Called once per call with its outcome (metrics, request logs). */
  (rpc: string, ms: number, code: string): void;
}

export const implemented: Readonly<Record<string, Handler>> = Object.freeze({ ...systemHandlers, ...catalogHandlers, ...dataHandlers, ...indexHandlers, ...resourceGroupHandlers });

/** Where a call goes when this node does not serve it itself (cluster mode's gateways). */
export interface CallForwarder {
  /** The address that serves calls now, or undefined to serve them here. */
  target(): string | undefined;
  /** Sends the encoded request there; resolves with the encoded reply. */
  forward(address: string, method: string, request: Buffer, metadata: grpc.Metadata, deadline: grpc.Deadline): Promise<Buffer>;
  /**
   * A gateway that may answer this RPC here although calls go elsewhere (a cluster node's
   * own read replica), held until `release`; undefined: forward it. Whatever fails there
   * is forwarded after all, so its errors never reach the client.
   */
  local?(rpc: string): LocalGateway | undefined;
}

export interface LocalGateway {
  readonly engine: Gateway;
  /** The call is over: answered here, or forwarded after all. */
  release(answered: boolean): void;
}

const identity = (b: Buffer): Buffer => b;

export function addMilvusService(server: grpc.Server, engine: Gateway, observe: CallObserver, extra: Readonly<Record<string, Handler>> = {}, forwarder?: CallForwarder): void {
  const methods = serviceMethods();
  const handlers: Record<string, Handler> = { ...implemented, ...extra };
  const definition = packageDefinition[serviceName] as grpc.ServiceDefinition;
  // Requests arrive and replies leave as bytes: a call this node forwards is passed on
  // as it came, and one it serves is decoded and encoded here with the same functions
  // grpc-js would have used.
  const raw: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, { repliesStatus }] of methods) {
    const method = definition[name]!;
    raw[name] = { ...(method as grpc.MethodDefinition<unknown, unknown>), requestDeserialize: identity, responseSerialize: identity } as grpc.MethodDefinition<Buffer, Buffer>;
    const handler = handlers[name];
    impl[name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const started = performance.now();
      const finish = (reply: unknown, code: string) => {
        let bytes: Buffer;
        try {
          bytes = method.responseSerialize(reply);
        } catch (e) {
          const status = statusOf(e);
          bytes = method.responseSerialize(repliesStatus ? status : { status });
          code = status.detail;
        }
        // Observed once the outcome is known: a reply that cannot be encoded is an error.
        observe(name, performance.now() - started, code);
        callback(null, bytes);
      };
      const fromError = (e: unknown) => {
        const status = statusOf(e);
        finish(repliesStatus ? status : { status }, status.detail);
      };
      try {
        const address = forwarder?.target();
        if (forwarder && address !== undefined) {
          const forward = () => forwarder.forward(address, method.path, call.request, call.metadata, call.getDeadline()).then((reply) => {
            observe(name, performance.now() - started, 'FORWARDED');
            callback(null, reply);
          }, fromError);
          const local = (handler as Handler | undefined) !== undefined ? forwarder.local?.(name) : undefined;
          if (!local) {
            void forward();
            return;
          }
          let req: Record<string, unknown>;
          try {
            req = (method.requestDeserialize(call.request) ?? {}) as Record<string, unknown>;
          } catch {
            local.release(false);
            void forward();
            return;
          }
          handler(req, { engine: local.engine, db: dbOf(req, call.metadata) }).then((reply) => {
            local.release(true);
            finish(reply, 'OK');
          }, () => {
            local.release(false);
            void forward();
          });
          return;
        }
        if (!handler) throw new ElanusError('NOT_SUPPORTED', { what: `the ${name} RPC` });
        const req = (method.requestDeserialize(call.request) ?? {}) as Record<string, unknown>;
        handler(req, { engine, db: dbOf(req, call.metadata) }).then((reply) => finish(reply, 'OK'), fromError);
      } catch (e) {
        fromError(e);
      }
    };
  }
  server.addService(raw as grpc.ServiceDefinition, impl);
}

export { okStatus };

/** The database a call names: its db_name, else its `dbname` metadata, else the default. */
function dbOf(req: Record<string, unknown>, metadata: grpc.Metadata): string {
  const header = metadata.get('dbname')[0];
  return (typeof req.db_name === 'string' && req.db_name) || (typeof header === 'string' && header) || 'default';
}
