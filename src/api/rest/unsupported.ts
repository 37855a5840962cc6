// Milvus REST v2 endpoints that exist in Milvus but not here yet. They answer a coded
// NOT_SUPPORTED envelope (HTTP 200, as Milvus answers errors), so a client learns what
// is missing rather than meeting a 404 it could take for a wrong address.
import { fail } from '../../errors/index.js';
import { unsupportedRestPaths } from '../compat.js';
import type { RestHandler } from './envelope.js';

export const unsupportedRoutes: Readonly<Record<string, RestHandler>> = Object.fromEntries(
  Object.entries(unsupportedRestPaths).map(([p, why]) => [p, async () => fail('NOT_SUPPORTED', { what: `the REST endpoint /v2/vectordb/${p} (${why})` })]),
);
