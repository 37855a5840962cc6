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
import { systemHandlers } from './handlers/system.js';

export interface CallObserver {
  /** Called once per call with its outcome (metrics, request logs). */
  (rpc: string, ms: number, code: string): void;
}

export const implemented: Readonly<Record<string, Handler>> = Object.freeze({ ...systemHandlers, ...catalogHandlers, ...dataHandlers, ...indexHandlers });

export function addMilvusService(server: grpc.Server, engine: Gateway, observe: CallObserver, extra: Readonly<Record<string, Handler>> = {}): void {
  const methods = serviceMethods();
  const handlers: Record<string, Handler> = { ...implemented, ...extra };
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, { repliesStatus }] of methods) {
    const handler = handlers[name];
    impl[name] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const started = performance.now();
      const finish = (reply: unknown, code: string) => {
        observe(name, performance.now() - started, code);
        callback(null, reply);
      };
      const fromError = (e: unknown) => {
        const status = statusOf(e);
        finish(repliesStatus ? status : { status }, status.detail);
      };
      try {
        if (!handler) throw new ElanusError('NOT_SUPPORTED', { what: `the ${name} RPC` });
        const req = call.request ?? {};
        const header = call.metadata.get('dbname')[0];
        const db = (typeof req.db_name === 'string' && req.db_name) || (typeof header === 'string' && header) || 'default';
        handler(req, { engine, db }).then((reply) => finish(reply, 'OK'), fromError);
      } catch (e) {
        fromError(e);
      }
    };
  }
  const definition = packageDefinition[serviceName] as grpc.ServiceDefinition;
  server.addService(definition, impl);
}

export { okStatus };
