// Registers Milvus's RESTful API v2 (POST /v2/vectordb/...) on the server's fastify
// instance. Everything lives in one encapsulated plugin, so its body parser, error
// handler and not-found handler apply to these routes only.
//
// Request phases (fastify's lifecycle, with what this file adds):
//   onRequest    the Content-Type header is dropped: every body is read as JSON (the
//                Node SDK's HttpClient sends a misspelled `ContentType` header, so
//                text/plain arrives, and curl users often send none)
//   body parser  one catch-all parser; a body that is not JSON becomes a marker that the
//                handler turns into INVALID_ARGUMENT, never a thrown error
//   handler      builds a RestCall (body object, database, Int64 mode), runs the
//                endpoint, wraps the result or the coded error in the envelope
//   errors       what fastify itself rejects (a body over messageBytesMax) also gets the
//                envelope; unknown paths get HTTP 404 with a NOT_SUPPORTED envelope
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Gateway } from '../../gateway/index.js';
import { ElanusError, fail } from '../../errors/index.js';
import type { Body } from './body.js';
import { aliasRoutes } from './aliases.js';
import { collectionRoutes } from './collections.js';
import { databaseRoutes } from './databases.js';
import { readRoutes } from './entities-read.js';
import { writeRoutes } from './entities-write.js';
import { type RestCall, type RestHandler, errorEnvelope, okEnvelope } from './envelope.js';
import { indexRoutes } from './indexes.js';
import { allowsInt64, int64Header } from './int64.js';
import { ProtoKeyError, parseJson, stringifyJson } from './json.js';
import { partitionRoutes } from './partitions.js';
import { resourceGroupRoutes } from './resource-groups.js';
import { unsupportedRoutes } from './unsupported.js';
import { localRestReads, type RestForwarding } from '../forward.js';
import { userRoutes } from './users.js';
import { roleRoutes } from './roles.js';
import { addressOf, type Authenticator } from '../auth.js';
import { toElanusError } from '../status.js';
import { authorize, restAccessOf } from '../privileges.js';

export const restPrefix = '/v2/vectordb';

/**
 * The served endpoints, by group, and whether a call's database must exist first. Also
 * what the README's compatibility table lists as served (api/compat.ts).
 */
export const restRouteGroups: ReadonlyArray<{ readonly routes: Readonly<Record<string, RestHandler>>; readonly checkDatabase: boolean }> = [
  // Database endpoints name their target in dbName, so it need not exist beforehand.
  { routes: databaseRoutes, checkDatabase: false },
  { routes: collectionRoutes, checkDatabase: true },
  { routes: partitionRoutes, checkDatabase: true },
  { routes: aliasRoutes, checkDatabase: true },
  { routes: indexRoutes, checkDatabase: true },
  { routes: writeRoutes, checkDatabase: true },
  { routes: readRoutes, checkDatabase: true },
  // Groups are not in a database; transfer_replica names its collection's in dbName.
  { routes: resourceGroupRoutes, checkDatabase: false },
  { routes: userRoutes, checkDatabase: false },
  { routes: roleRoutes, checkDatabase: false },
];

const jsonType = 'application/json; charset=utf-8';

/** The body parser's result: parse errors travel to the handler as data, not as throws. The text as it came, to forward it. */
type ParsedBody = ({ kind: 'json'; value: unknown; hasBigInt: boolean } | { kind: 'invalid'; detail: string }) & { readonly text: string };

function parseBody(text: string): ParsedBody {
  if (text.trim() === '') return { kind: 'json', value: {}, hasBigInt: false, text };
  try {
    const { value, hasBigInt } = parseJson(text);
    return { kind: 'json', value, hasBigInt, text };
  } catch (e) {
    if (e instanceof ProtoKeyError) return { kind: 'invalid', detail: e.message, text };
    if (e instanceof SyntaxError || e instanceof RangeError) return { kind: 'invalid', detail: `the body is not valid JSON: ${e.message}`, text };
    throw e;
  }
}

/**
 * With `auth`, every request under /v2/vectordb is authenticated from its Authorization
 * header before its body is read (api/auth.ts); a refusal answers as Milvus's REST v2
 * does: HTTP 401 with code 1800 (429 past the failure limit).
 *
 * `forwarding`, on a cluster node that forwards calls (and only without `auth`: calls
 * are then authenticated where they are served): the reads it may answer itself from its
 * replica (api/forward.ts localRestReads) are tried here first, and forwarded with the
 * body as it came when they cannot be answered here.
 */
export function registerRestRoutes(app: FastifyInstance, engine: Gateway, logger: Logger, auth?: Authenticator, forwarding?: RestForwarding): void {  const bodyLimit = app.initialConfig.bodyLimit ?? 1024 * 1024;
  /** Who sent each request, once authenticated. */
  const users = new WeakMap<FastifyRequest, string>();
  void app.register(async (scope) => {
    if (auth) {
      scope.addHook('onRequest', async (req, reply) => {
        const header = req.headers.authorization;
        try {
          users.set(req, await auth.authenticateHttp(typeof header === 'string' ? header : undefined, addressOf(req.socket.remoteAddress)));
        } catch (e) {
          const err = toElanusError(e);
          send(reply, err.spec.httpStatus, errorEnvelope(err));
          return reply;
        }
      });
    }
    // Every body is JSON, whatever its Content-Type says: a header fastify cannot even
    // parse as a media type would otherwise be refused before the parser runs.
    scope.addHook('onRequest', (req, _reply, done) => {
      delete req.headers['content-type'];
      done();
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, text, done) => {
      done(null, parseBody(text as string));
    });

    scope.setErrorHandler((err, req, reply) => {
      const e = fromFastifyError(err, req, bodyLimit);
      if (e.code === 'INTERNAL') logger.error({ err, path: req.url }, 'rest: unexpected error');
      send(reply, 200, errorEnvelope(e));
    });

    scope.setNotFoundHandler((req, reply) => {
      const what = `the REST endpoint ${req.method} ${req.url.split('?')[0]}`;
      send(reply, 404, errorEnvelope(new ElanusError('NOT_SUPPORTED', { what })));
    });

    const add = (routes: Readonly<Record<string, RestHandler>>, checkDatabase: boolean) => {
      for (const [path, handler] of Object.entries(routes)) {
        const rpc = forwarding && !auth ? localRestReads.get(`${restPrefix}/${path}`) : undefined;
        const access = restAccessOf(path);
        scope.post(`/${path}`, async (req, reply) => {
          const started = performance.now();
          const address = rpc === undefined ? undefined : forwarding!.target();
          if (rpc !== undefined && address !== undefined) {
            // The forwarding hook let this read through: answer it from this node's replica, or forward it.
            const text = (req.body as ParsedBody | undefined)?.text ?? '';
            const local = forwarding!.local(rpc);
            if (local) {
              try {
                const answered = okEnvelope(await handler(callOf(local.engine, req, checkDatabase, undefined)));
                local.release(true);
                send(reply, 200, answered);
                return reply;
              } catch {
                local.release(false);
              }
            }
            forwarding!.forward(address, req, reply, text);
            return reply;
          }
          let envelope: Record<string, unknown>;
          let httpStatus = 200;
          const user = users.get(req);
          // With authentication on, the caller's privileges are judged before the body's
          // database is looked up (api/privileges.ts); a refusal answers HTTP 403, as Milvus's.
          const authorizeCall = user === undefined ? undefined : (body: Body, db: string) => authorize(engine, access, body, db, user);
          try {
            envelope = okEnvelope(await handler(callOf(engine, req, checkDatabase, user, authorizeCall)));
          } catch (e) {
            envelope = errorEnvelope(e);
            if (e instanceof ElanusError && e.code === 'PERMISSION_DENIED') httpStatus = e.spec.httpStatus;
            if (!(e instanceof ElanusError)) logger.error({ err: e, path }, 'rest: unexpected error');
          }
          logger.debug({ path, code: envelope['code'], ms: Math.round((performance.now() - started) * 1000) / 1000 }, 'rest');
          send(reply, httpStatus, envelope);
          return reply;
        });
      }
    };
    for (const g of restRouteGroups) add(g.routes, g.checkDatabase);
    add(unsupportedRoutes, false);
  }, { prefix: restPrefix });
}

function send(reply: FastifyReply, status: number, envelope: unknown): void {
  void reply.code(status).type(jsonType).send(stringifyJson(envelope));
}

function callOf(
  engine: Gateway, req: FastifyRequest, checkDatabase: boolean, user: string | undefined, authorizeCall?: (body: Body, db: string) => void,
): RestCall {
  const parsed = req.body as ParsedBody | undefined;
  let body: Body = {};
  let hasBigInt = false;
  if (parsed !== undefined) {
    if (parsed.kind === 'invalid') fail('INVALID_ARGUMENT', { detail: parsed.detail });
    const v = parsed.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('INVALID_ARGUMENT', { detail: 'the body must be a JSON object' });
    body = v as Body;
    hasBigInt = parsed.hasBigInt;
  }
  const given = body['dbName'];
  if (given !== undefined && given !== null && typeof given !== 'string') fail('INVALID_ARGUMENT', { detail: 'dbName must be a string' });
  const header = req.headers['db-name'];
  const db = (typeof given === 'string' && given) || (typeof header === 'string' && header) || 'default';
  authorizeCall?.(body, db);
  // The engine answers some calls on a missing database with an empty result (a list);
  // Milvus answers them all with "database not found", and so does this.
  if (checkDatabase && !engine.hasDatabase(db)) fail('DATABASE_NOT_FOUND', { name: db });
  return { engine, body, db, int64AsNumbers: allowsInt64(req.headers[int64Header]), hasBigInt, user };
}

/** Errors fastify raises before a handler runs, as coded errors. */
function fromFastifyError(err: unknown, req: FastifyRequest, bodyLimit: number): ElanusError {
  if (err instanceof ElanusError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string; validation?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ElanusError('BATCH_TOO_LARGE', { size: req.headers['content-length'] ?? `more than ${bodyLimit}`, max: bodyLimit, unit: 'bytes' });
  }
  if (e.validation !== undefined || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
    return new ElanusError('INVALID_ARGUMENT', { detail: e.message ?? 'the request was refused' });
  }
  return new ElanusError('INTERNAL', { detail: e.message ?? String(err) });
}
