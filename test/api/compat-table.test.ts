// The compatibility table cannot drift from the code: every RPC of the service is either
// served or listed with a reason in src/api/compat.ts (and none is both), every REST path
// the official Node SDK's HttpClient calls is served or listed, a call that is not served
// answers NOT_SUPPORTED with its reason, and the README holds the table the code makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { serviceMethods } from '../../src/api/proto.js';
import { implemented } from '../../src/api/grpc/service.js';
import { restRouteGroups } from '../../src/api/rest/routes.js';
import { unsupportedRestPaths, unsupportedRpcs } from '../../src/api/compat.js';
import { unsupportedRoutes } from '../../src/api/rest/unsupported.js';
import { ElanusError } from '../../src/errors/index.js';

const rpcs = [...serviceMethods().keys()];
const servedRest = new Set(restRouteGroups.flatMap((g) => Object.keys(g.routes)));

test('every RPC of milvus.proto is served or listed with a reason, never both', () => {
  const neither = rpcs.filter((n) => !(n in implemented) && !(n in unsupportedRpcs));
  const both = rpcs.filter((n) => n in implemented && n in unsupportedRpcs);
  const unknown = Object.keys(unsupportedRpcs).filter((n) => !rpcs.includes(n));
  assert.deepEqual({ neither, both, unknown }, { neither: [], both: [], unknown: [] });
});

test('every REST path the official SDK\'s HttpClient calls is served or listed; none is both', () => {
  const require = createRequire(import.meta.url);
  const http = join(dirname(require.resolve('@zilliz/milvus2-sdk-node/package.json')), 'dist', 'milvus', 'http');
  const prefixes = new Map<string, string>();
  const paths = new Set<string>();
  for (const f of readdirSync(http).filter((x) => x.endsWith('.js'))) {
    const text = readFileSync(join(http, f), 'utf8');
    for (const m of text.matchAll(/get (\w+Prefix)\(\) \{\s*return '\/vectordb\/([a-z_/]+)'/g)) prefixes.set(m[1]!, m[2]!);
    for (const m of text.matchAll(/\$\{this\.(\w+Prefix)\}\/([a-z_/]+)`/g)) paths.add(`${m[1]}|${m[2]}`);
  }
  assert.ok(paths.size > 50, `found ${paths.size} SDK paths: the SDK's layout changed`);
  const sdkPaths = [...paths].map((p) => {
    const [prefix, rest] = p.split('|');
    assert.ok(prefixes.has(prefix!), `prefix ${prefix}`);
    return `${prefixes.get(prefix!)}/${rest}`;
  });
  assert.deepEqual(sdkPaths.filter((p) => !servedRest.has(p) && !(p in unsupportedRestPaths)), []);
  assert.deepEqual(Object.keys(unsupportedRestPaths).filter((p) => servedRest.has(p)), []);
});

test('a call that is not served answers NOT_SUPPORTED with its reason', async () => {
  const [path, why] = Object.entries(unsupportedRestPaths)[0]!;
  await assert.rejects(async () => unsupportedRoutes[path]!({} as never), (e: unknown) => e instanceof ElanusError && e.code === 'NOT_SUPPORTED' && e.message.includes(why));
});

test('the README holds the table the code makes (node scripts/compat-table.mjs --check)', () => {
  const r = spawnSync(process.execPath, ['scripts/compat-table.mjs', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});

test('RegisterLink (older SDKs\' handshake) answers success with the deploy mode, as Milvus does', async () => {
  const reply = await implemented.RegisterLink!({}, {} as never) as { status: { code: number; reason: string } };
  assert.equal(reply.status.code, 0);
  assert.equal(reply.status.reason, 'STANDALONE');
});
