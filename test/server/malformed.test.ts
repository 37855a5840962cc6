// Malformed input against the network server, which this test process hosts: raw gRPC
// frames (random, truncated, bit-flipped, wrong wire types, hostile values), raw bytes
// and HTTP/1.1 on the same port, and invalid values through the official SDK. Every
// generated input (fast-check, fixed seeds) must get an answer — a reply carrying an
// error status, a gRPC error code for an undecodable frame, an HTTP error, or a closed
// connection — within a deadline; the process must not crash (the harness fails on any
// unhandled rejection or uncaught exception); and after every batch the server still
// answers the SDK, with the reference collection's rows exactly as they were inserted:
// nothing of a rejected request is stored.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ConsistencyLevelEnum, DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import fc from 'fast-check';
import { pino } from 'pino';
import protobuf from 'protobufjs';
import { Elanus } from '../../src/engine/index.js';
import { startServer, type RunningServer } from '../../src/api/server.js';

// ---------------------------------------------------------------- protocol helpers

const require = createRequire(import.meta.url);
const root = protobuf.Root.fromJSON((require('@zilliz/milvus2-sdk-node/dist/milvus/proto-json/milvus.js') as { default: protobuf.INamespace }).default);
root.resolveAll();
const service = root.lookupService('milvus.proto.milvus.MilvusService');
const schemaType = root.lookupType('milvus.proto.schema.CollectionSchema');
const placeholderType = root.lookupType('milvus.proto.common.PlaceholderGroup');

function requestType(method: string): protobuf.Type {
  return service.methods[method]!.resolvedRequestType!;
}

function encode(method: string, obj: Record<string, unknown>): Buffer {
  const T = requestType(method);
  return Buffer.from(T.encode(T.fromObject(obj)).finish());
}

const SEED = 0x5eed_e1a;
const messageBytesMax = 4 << 20;
const callDeadlineMs = 10_000;
const KNOWN = 'known_rows';
const FUZZ = 'fz';
const DIM = 8;
const knownRows = 64;

/** The reference rows: every float is exact in float32, so a round trip compares equal. */
function knownRow(i: number) {
  return {
    id: String(i),
    v: [i, i / 2, i / 4, -i, 1, 0, 0.5, i % 7],
    s: `row-${i}`,
    n: i * 3 - 50,
    tags: [i % 5, i],
    meta: { i, even: i % 2 === 0 },
  };
}

const fields = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'v', data_type: DataType.FloatVector, dim: DIM },
  { name: 's', data_type: DataType.VarChar, max_length: 32 },
  { name: 'n', data_type: DataType.Int32 },
  { name: 'tags', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 4 },
  { name: 'meta', data_type: DataType.JSON },
];

// ---------------------------------------------------------------- the server under test

let dir = '';
let engine: Elanus;
let server: RunningServer;
let address = '';
let sdk: MilvusClient;
let raw: grpc.Client;
/** A socket that sends only half the HTTP/2 preface and waits: the server must cut it. */
let stalled: Promise<{ closedAfterMs: number }>;
const stats = new Map<string, number>();
const internal = new Map<string, number>();
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elanus-malformed-'));
  engine = await Elanus.open({ path: dir });
  server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax, logger: pino({ level: 'silent' }) });
  address = `127.0.0.1:${server.port}`;
  stalled = stallingSocket(server.port);
  sdk = new MilvusClient({ address });
  raw = new grpc.Client(address, grpc.credentials.createInsecure());

  for (const [name, dynamic] of [[KNOWN, false], [FUZZ, true]] as const) {
    ok(await sdk.createCollection({ collection_name: name, fields: fields as never, enable_dynamic_field: dynamic }));
    const data = Array.from({ length: knownRows }, (_, i) => ({ ...knownRow(i), id: i }));
    ok((await sdk.insert({ collection_name: name, data })).status);
    ok(await sdk.createIndex({ collection_name: name, field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
    ok(await sdk.loadCollection({ collection_name: name }));
  }
  await checkServing('setup');
});

after(async () => {
  await sdk?.closeConnection();
  raw?.close();
  h2?.destroy();
  await server?.close(2000);
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

function ok(status: { error_code: string | number; reason?: string }): void {
  assert.equal(status.error_code, 'Success', status.reason);
}

/** The server answers the SDK, and the reference collection holds exactly its rows. */
async function checkServing(label: string): Promise<void> {
  const v = await sdk.getVersion() as { version: string; status?: ResStatus };
  assert.equal(v.status?.error_code, 'Success', `${label}: getVersion`);
  assert.match(v.version, /^v2\./);
  const count = await sdk.query({ collection_name: KNOWN, output_fields: ['count(*)'], consistency_level: ConsistencyLevelEnum.Strong });
  ok(count.status);
  assert.equal(String(count.data[0]!['count(*)']), String(knownRows), `${label}: count(*)`);
  const ids = Array.from({ length: knownRows }, (_, i) => i);
  const q = await sdk.query({
    collection_name: KNOWN, filter: `id in [${ids.join(', ')}]`, output_fields: ['id', 'v', 's', 'n', 'tags', 'meta'],
    limit: 1000, consistency_level: ConsistencyLevelEnum.Strong,
  });
  ok(q.status);
  const got = q.data.map((r) => ({ id: String(r.id), v: r.v, s: r.s, n: r.n, tags: r.tags, meta: r.meta })).sort((a, b) => Number(a.id) - Number(b.id));
  assert.deepEqual(got, ids.map(knownRow), `${label}: the reference rows changed`);
  const s = await sdk.search({ collection_name: KNOWN, data: [knownRow(5).v], anns_field: 'v', limit: 1, consistency_level: ConsistencyLevelEnum.Strong });
  ok(s.status);
  assert.equal(String(s.results[0]!.id), '5', `${label}: search`);
}

async function countOf(collection: string): Promise<number> {
  const r = await sdk.query({ collection_name: collection, output_fields: ['count(*)'], consistency_level: ConsistencyLevelEnum.Strong });
  ok(r.status);
  return Number(r.data[0]!['count(*)']);
}

// ---------------------------------------------------------------- raw gRPC

interface RawOutcome {
  /** A gRPC error (no reply message). */
  err?: grpc.ServiceError;
  /** The reply's common.Status. */
  status?: { error_code: number; code: number; reason: string; detail: string };
}

/** One unary call with identity serializers and a deadline; resolves, never rejects. */
function rawCall(method: string, body: Buffer): Promise<RawOutcome> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(`/${service.fullName.slice(1)}/${method}`, (b: Buffer) => b, (b: Buffer) => b, body, new grpc.Metadata(), { deadline: Date.now() + callDeadlineMs }, (err, reply) => {
      if (err) return resolve({ err });
      const T = service.methods[method]!.resolvedResponseType!;
      let o: Record<string, unknown>;
      try {
        o = T.toObject(T.decode(reply!), { defaults: true, enums: Number, longs: String });
      } catch (e) {
        return resolve({ err: Object.assign(new Error(`undecodable ${T.name} reply: ${(e as Error).message}`), { code: -1, details: '', metadata: new grpc.Metadata() }) as grpc.ServiceError });
      }
      resolve({ status: (T.name === 'Status' ? o : o.status) as RawOutcome['status'] });
    });
  });
}

const acceptedCodes = new Set([grpc.status.INTERNAL, grpc.status.RESOURCE_EXHAUSTED, grpc.status.INVALID_ARGUMENT]);

/** Asserts that a raw call got a proper answer, and returns whether the request was rejected. */
function expectAnswer(method: string, out: RawOutcome): boolean {
  if (out.err) {
    assert.ok(acceptedCodes.has(out.err.code), `${method}: gRPC error ${out.err.code} ${out.err.details ?? out.err.message}`);
    bump(stats, `grpc error ${grpc.status[out.err.code]}`);
    return true;
  }
  const st = out.status;
  assert.ok(st, `${method}: a reply without a status`);
  if (st.error_code === 0 && st.code === 0) {
    bump(stats, 'ok');
    return false;
  }
  assert.notEqual(st.code, 0, `${method}: an error without a Milvus code: ${st.reason}`);
  assert.ok(st.reason.length > 0, `${method}: an error without a reason`);
  bump(stats, `status ${st.detail}`);
  if (st.detail === 'INTERNAL') bump(internal, `${method}: ${st.reason.slice(0, 160)}`);
  return true;
}

/** Methods whose random input cannot plausibly reach the reference collection. */
const methods = [
  'Insert', 'Upsert', 'Delete', 'Search', 'HybridSearch', 'Query', 'CreateCollection', 'DescribeCollection', 'HasCollection',
  'ShowCollections', 'CreateIndex', 'DescribeIndex', 'DropIndex', 'GetIndexState', 'LoadCollection', 'ReleaseCollection', 'GetLoadState',
  'GetLoadingProgress', 'CreatePartition', 'ShowPartitions', 'HasPartition', 'DropPartition', 'CreateAlias', 'DescribeAlias', 'ListAliases',
  'AlterCollection', 'GetCollectionStatistics', 'Flush', 'GetFlushState', 'ManualCompaction', 'GetCompactionState', 'GetPersistentSegmentInfo',
  'GetQuerySegmentInfo', 'GetReplicas', 'GetMetrics', 'Connect', 'GetVersion', 'CheckHealth', 'ListDatabases', 'DescribeDatabase',
  'RenameCollection', 'CreateDatabase', 'BatchDescribeCollection', 'AllocTimestamp',
  'CreateResourceGroup', 'DescribeResourceGroup', 'UpdateResourceGroups', 'TransferNode', 'TransferReplica', 'LoadBalance',
  // Not implemented: a coded NOT_SUPPORTED, whatever the bytes.
  'ListImportTasks', 'RunAnalyzer',
].filter((m) => service.methods[m]);

const vecOf = (i: number) => [i, 1, 2, 3, 4, 5, 6, 7].map((x) => x / 8);
const ph = (vectors: number[][], type = 101) => Buffer.from(placeholderType.encode(placeholderType.fromObject({
  placeholders: [{ tag: '$0', type, values: vectors.map((v) => Buffer.from(new Float32Array(v).buffer)) }],
})).finish());

function fieldsData(ids: number[]) {
  return [
    { type: DataType.Int64, field_name: 'id', scalars: { long_data: { data: ids.map(String) } } },
    { type: DataType.FloatVector, field_name: 'v', vectors: { dim: DIM, float_vector: { data: ids.flatMap(vecOf) } } },
    { type: DataType.VarChar, field_name: 's', scalars: { string_data: { data: ids.map((i) => `r${i}`) } } },
    { type: DataType.Int32, field_name: 'n', scalars: { int_data: { data: ids } } },
    { type: DataType.Array, field_name: 'tags', scalars: { array_data: { element_type: DataType.Int32, data: ids.map((i) => ({ int_data: { data: [i] } })) } } },
    { type: DataType.JSON, field_name: 'meta', scalars: { json_data: { data: ids.map((i) => Buffer.from(JSON.stringify({ i }))) } } },
    { type: DataType.JSON, field_name: '$meta', is_dynamic: true, scalars: { json_data: { data: ids.map((i) => Buffer.from(JSON.stringify({ extra: i }))) } } },
  ];
}

const searchParams = (topk = '3') => [
  { key: 'anns_field', value: 'v' }, { key: 'topk', value: topk }, { key: 'metric_type', value: 'L2' }, { key: 'params', value: '{"nprobe":10}' },
];
const subSearch = { collection_name: FUZZ, dsl_type: 1, dsl: '', placeholder_group: ph([vecOf(1)]), search_params: searchParams(), nq: 1 };
const schemaBytes = (name: string, extra: Record<string, unknown>[] = []) => Buffer.from(schemaType.encode(schemaType.fromObject({
  name,
  fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, type_params: [{ key: 'dim', value: String(DIM) }] },
    ...extra,
  ],
})).finish());

/** A valid request per method, addressing the fuzz collection (never the reference one). */
const samples: Record<string, Record<string, unknown>> = {
  Insert: { collection_name: FUZZ, fields_data: fieldsData([1000, 1001]), num_rows: 2 },
  Upsert: { collection_name: FUZZ, fields_data: fieldsData([1, 1002]), num_rows: 2 },
  Delete: { collection_name: FUZZ, expr: 'id in [1000, 1001]' },
  Search: { ...subSearch, output_fields: ['s', 'meta'] },
  HybridSearch: { collection_name: FUZZ, requests: [subSearch, subSearch], rank_params: [{ key: 'strategy', value: 'rrf' }, { key: 'params', value: '{"k":60}' }, { key: 'limit', value: '3' }], output_fields: ['s'] },
  Query: { collection_name: FUZZ, expr: 'id in [1, 2, 3]', output_fields: ['id', 'v', 'meta', 'extra'], query_params: [{ key: 'limit', value: '10' }] },
  CreateCollection: { collection_name: 'fz_c', schema: schemaBytes('fz_c'), shards_num: 1 },
  DescribeCollection: { collection_name: FUZZ },
  CreateIndex: { collection_name: FUZZ, field_name: 'n', index_name: 'n_idx', extra_params: [{ key: 'index_type', value: 'STL_SORT' }] },
  DescribeIndex: { collection_name: FUZZ, field_name: 'v' },
  LoadCollection: { collection_name: FUZZ },
  GetLoadState: { collection_name: FUZZ },
  CreatePartition: { collection_name: FUZZ, partition_name: 'p1' },
  ShowPartitions: { collection_name: FUZZ },
  CreateAlias: { collection_name: FUZZ, alias: 'fz_alias' },
  GetCollectionStatistics: { collection_name: FUZZ },
  Flush: { collection_names: [FUZZ] },
  ManualCompaction: { collection_name: FUZZ },
  GetMetrics: { request: '{"metric_type":"system_info"}' },
  ShowCollections: {},
  GetPersistentSegmentInfo: { collectionName: FUZZ },
};
const sampleBytes = Object.entries(samples).map(([m, o]) => [m, encode(m, o)] as const);

const writes = new Set(['Insert', 'Upsert', 'Delete']);

/** Runs one raw call; for a rejected write to the fuzz collection, its row count must not move. */
async function fuzzCall(method: string, body: Buffer): Promise<void> {
  const before = writes.has(method) ? await countOf(FUZZ) : 0;
  const out = await rawCall(method, body);
  const rejected = expectAnswer(method, out);
  if (writes.has(method) && rejected) assert.equal(await countOf(FUZZ), before, `${method} was rejected but changed the row count`);
}

/** Byte-level damage to a valid frame. */
const mutation: fc.Arbitrary<(b: Buffer) => Buffer> = fc.oneof(
  fc.nat().map((n) => (b: Buffer) => b.subarray(0, b.length ? n % b.length : 0)),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => (b: Buffer) => {
    const c = Buffer.from(b);
    for (const [p, bit] of flips) if (c.length) c[p % c.length]! ^= 1 << bit;
    return c;
  }),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 32 })).map(([p, bytes]) => (b: Buffer) => {
    const at = b.length ? p % b.length : 0;
    return Buffer.concat([b.subarray(0, at), bytes, b.subarray(at)]);
  }),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 32 })).map(([p, bytes]) => (b: Buffer) => {
    const c = Buffer.from(b);
    const at = c.length ? p % c.length : 0;
    c.set(bytes.subarray(0, Math.max(0, c.length - at)), at);
    return c;
  }),
  fc.nat().map((n) => (b: Buffer) => Buffer.concat([b.subarray(0, b.length ? n % b.length : 0), b])),
);

/** Raw protobuf fields of any number and any wire type, valid or not. */
const rawField = fc.record({
  id: fc.integer({ min: 1, max: 20 }),
  wt: fc.integer({ min: 0, max: 7 }),
  varint: fc.oneof(fc.constantFrom('0', '1', '2147483648', '4294967295', '18446744073709551615', '9223372036854775808'), fc.bigUintN(64).map(String)),
  bytes: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.string({ maxLength: 64, unit: 'binary' }).map((s) => Buffer.from(s)),
    fc.constantFrom(Buffer.from('fz'), Buffer.from(KNOWN.slice(0, 5)), Buffer.alloc(0)),
  ),
  lengthLie: fc.option(fc.nat({ max: 1 << 30 }), { freq: 5 }),
});

function varint(v: bigint): Buffer {
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

function rawFields(list: ReadonlyArray<{ id: number; wt: number; varint: string; bytes: Uint8Array; lengthLie: number | null }>): Buffer {
  const parts: Buffer[] = [];
  for (const f of list) {
    parts.push(varint(BigInt((f.id << 3) | f.wt)));
    const n = BigInt(f.varint);
    switch (f.wt) {
      case 0: parts.push(varint(n)); break;
      case 1: { const b = Buffer.alloc(8); b.writeBigUInt64LE(n & 0xffffffffffffffffn); parts.push(b); break; }
      case 2: parts.push(varint(BigInt(f.lengthLie ?? f.bytes.length)), Buffer.from(f.bytes)); break;
      case 5: { const b = Buffer.alloc(4); b.writeUInt32LE(Number(n & 0xffffffffn)); parts.push(b); break; }
      default: break; // groups (3, 4) and the invalid wire types 6 and 7: a bare tag
    }
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- hostile but well-formed requests

const hostileFloat = fc.oneof(fc.float(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 3.4e38, -0));
const hugeString = 'x'.repeat(1 << 20);
const fieldName = fc.oneof(fc.constantFrom('id', 'v', 's', 'n', 'tags', 'meta', '$meta', '', 'nope', 'extra'), fc.string({ maxLength: 12, unit: 'binary' }));
const dims = fc.oneof(fc.constantFrom(0, 1, 7, 8, 9, 1000, 1e9, -1, 2 ** 40), fc.integer({ min: -10, max: 40 }));

/** A ScalarField nested `depth` arrays deep, encoded by hand (protobufjs refuses to build one). */
function deepScalarBytes(depth: number): Buffer {
  const core = Buffer.from([0x12, 0x03, 0x0a, 0x01, 0x01]); // int_data { data: [1] }
  const suffix = Buffer.from([0x10, DataType.Array]); // ArrayArray.element_type
  // Lengths inside out, then one concatenation: prefixes outside in, the core, suffixes.
  const prefixes: Buffer[] = [];
  let inner = core.length;
  for (let i = 0; i < depth; i++) {
    const arrayArray = 1 + varint(BigInt(inner)).length + inner + suffix.length;
    prefixes.push(Buffer.concat([Buffer.from([0x42]), varint(BigInt(arrayArray)), Buffer.from([0x0a]), varint(BigInt(inner))])); // array_data = 8 { data = 1 {
    inner = 1 + varint(BigInt(arrayArray)).length + arrayArray;
  }
  return Buffer.concat([...prefixes.reverse(), core, ...Array.from({ length: depth }, () => suffix)]);
}

/** An Insert whose `tags` column is nested `depth` arrays deep, after good columns for the rest. */
function deepInsert(collection: string, id: number, depth: number): Buffer {
  const good = encode('Insert', { collection_name: collection, num_rows: 1, fields_data: [...fieldsData([id]).slice(0, 4), fieldsData([id])[5]] });
  const scalars = deepScalarBytes(depth);
  const fd = Buffer.concat([Buffer.from([0x08, DataType.Array, 0x12, 0x04]), Buffer.from('tags'), Buffer.from([0x1a]), varint(BigInt(scalars.length)), scalars]);
  return Buffer.concat([good, Buffer.from([0x2a]), varint(BigInt(fd.length)), fd]); // fields_data = 5
}

const scalars = fc.oneof(
  fc.record({ bool_data: fc.record({ data: fc.array(fc.boolean(), { maxLength: 8 }) }) }),
  fc.record({ int_data: fc.record({ data: fc.array(fc.integer(), { maxLength: 8 }) }) }),
  fc.record({ long_data: fc.record({ data: fc.array(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.constantFrom('9223372036854775807', '-9223372036854775808', '0')), { maxLength: 8 }) }) }),
  fc.record({ float_data: fc.record({ data: fc.array(hostileFloat, { maxLength: 8 }) }) }),
  fc.record({ double_data: fc.record({ data: fc.array(fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity)), { maxLength: 8 }) }) }),
  fc.record({ string_data: fc.record({ data: fc.array(fc.oneof({ weight: 9, arbitrary: fc.string({ maxLength: 40, unit: 'binary' }) }, { weight: 1, arbitrary: fc.constant(hugeString) }), { maxLength: 4 }) }) }),
  fc.record({ bytes_data: fc.record({ data: fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 4 }) }) }),
  fc.record({ json_data: fc.record({ data: fc.array(fc.oneof(
    fc.json().map((s) => Buffer.from(s)),
    fc.string({ maxLength: 20 }).map((s) => Buffer.from(s)),
    fc.integer({ min: 1, max: 200_000 }).map((d) => Buffer.from('['.repeat(d) + ']'.repeat(d))),
    fc.integer({ min: 1, max: 200_000 }).map((d) => Buffer.from('{"a":'.repeat(d) + '1' + '}'.repeat(d))),
  ), { maxLength: 4 }) }) }),
  fc.record({ array_data: fc.record({ element_type: fc.integer({ min: -1, max: 130 }), data: fc.array(fc.record({ int_data: fc.record({ data: fc.array(fc.integer(), { maxLength: 6 }) }) }), { maxLength: 4 }) }) }),
  fc.constant({}),
);

const vectors = fc.oneof(
  fc.record({ dim: dims, float_vector: fc.record({ data: fc.array(hostileFloat, { maxLength: 40 }) }) }),
  fc.record({ dim: dims, binary_vector: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ dim: dims, float16_vector: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ dim: dims, bfloat16_vector: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ dim: dims, int8_vector: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ dim: dims, sparse_float_vector: fc.record({ dim: dims, contents: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }) }) }),
);

const column = fc.record({
  type: fc.oneof(fc.constantFrom(DataType.Int64, DataType.FloatVector, DataType.VarChar, DataType.Int32, DataType.Array, DataType.JSON), fc.integer({ min: -1, max: 300 })),
  field_name: fieldName,
  payload: fc.oneof(scalars.map((s) => ({ scalars: s })), vectors.map((v) => ({ vectors: v }))),
  is_dynamic: fc.boolean(),
  valid_data: fc.oneof(fc.constant([] as boolean[]), fc.array(fc.boolean(), { maxLength: 8 })),
}).map(({ payload, ...rest }) => ({ ...rest, ...payload }));

const hostileInsert = fc.record({
  method: fc.constantFrom('Insert', 'Upsert'),
  collection_name: fc.constantFrom(FUZZ, FUZZ, FUZZ, '', 'missing'),
  partition_name: fc.constantFrom('', '', 'nope', '_default'),
  num_rows: fc.oneof(fc.constantFrom(0, 1, 2, 3, 2 ** 31, 2 ** 32 - 1), fc.nat({ max: 10 })),
  // Start from two good columns sometimes, so that deeper checks are reached.
  base: fc.constantFrom([], fieldsData([2000, 2001]).slice(0, 2), fieldsData([2002, 2003]).slice(0, 6)),
  fields_data: fc.array(column, { maxLength: 6 }),
}).map(({ method, base, fields_data, ...r }) => [method, encode(method, { ...r, fields_data: [...base, ...fields_data] })] as const);
const deepInserts = fc.tuple(fc.constantFrom(FUZZ, 'missing'), fc.integer({ min: 1, max: 3000 })).map(([c, depth]) => ['Insert', deepInsert(c, 3000, depth)] as const);

const numberish = fc.oneof(fc.constantFrom('-1', '0', '1', '16384', '16385', '1e308', 'NaN', 'Infinity', 'abc', '', '9'.repeat(400), '-0', '0x10', '1.5'), fc.integer().map(String));
const expr = fc.oneof(
  fc.constantFrom('', 'id in [1, 2]', 'id == 1', 'id in [', 'id in ["a"]', 'id in [1.5]', 'n > 3', 'meta["i"] == 1', 'id in [9223372036854775808]', 'id == -9223372036854775809',
    '('.repeat(100_000), 'id in [' + '['.repeat(50_000) + ']'.repeat(50_000) + ']', 'not '.repeat(50_000) + 'id == 1', `id in [${Array.from({ length: 20_000 }, (_, i) => i).join(',')}]`),
  fc.string({ maxLength: 40, unit: 'binary' }),
  fc.array(fc.constantFrom('id', 'n', 's', 'in', '[', ']', '(', ')', '==', '!=', 'and', 'or', 'not', '1', '"x"', ',', 'meta', '["i"]', '$meta', 'like', '%', 'json_contains', 'count(*)'), { maxLength: 16 }).map((t) => t.join(' ')),
);
const outputFields = fc.array(fc.oneof(fc.constantFrom('*', 'count(*)', 'id', 'v', 'nope', '$meta', 'extra', 'meta', ' count ( * ) ', ''), fc.string({ maxLength: 8 })), { maxLength: 5 });

const placeholder = fc.record({
  type: fc.oneof(fc.constantFrom(100, 101, 102, 103, 104), fc.integer({ min: -1, max: 300 })),
  values: fc.oneof(
    fc.array(fc.array(hostileFloat, { maxLength: 12 }).map((v) => Buffer.from(new Float32Array(v).buffer)), { maxLength: 6 }),
    fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }),
    fc.integer({ min: 1, max: 3000 }).map((nq) => Array.from({ length: nq }, () => Buffer.from(new Float32Array(vecOf(1)).buffer))),
  ),
}).map((p) => Buffer.from(placeholderType.encode(placeholderType.fromObject({ placeholders: [{ tag: '$0', ...p }] })).finish()));

const kv = (keys: string[]) => fc.array(fc.record({ key: fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), value: fc.oneof(numberish, fc.constantFrom('L2', 'IP', 'COSINE', 'HAMMING', 'BM25', 'bogus', 'v', 's', 'nope', '{"nprobe":-1}', '{"ef":1e9}', '[1]', '{', 'null', '{"k":-5}', '{"weights":[NaN]}', '{"weights":[1,2,3]}', 'rrf', 'weighted', '{"radius":1}')) }), { maxLength: 8 });
const searchKeys = ['anns_field', 'topk', 'limit', 'metric_type', 'params', 'offset', 'round_decimal', 'ignore_growing', 'radius', 'group_by_field', 'iterator_v2'];

const hostileRead = fc.oneof(
  fc.record({
    collection_name: fc.constantFrom(FUZZ, FUZZ, 'missing', ''), dsl: expr, dsl_type: fc.integer({ min: -1, max: 3 }), placeholder_group: placeholder,
    search_params: kv(searchKeys), output_fields: outputFields, partition_names: fc.array(fc.constantFrom('_default', 'nope', ''), { maxLength: 2 }),
    consistency_level: fc.integer({ min: -1, max: 9 }), nq: fc.constantFrom(0, 1, 2 ** 40), guarantee_timestamp: fc.constantFrom(0, 2 ** 53, '18446744073709551615'),
  }).map((r) => ['Search', encode('Search', r)] as const),
  fc.record({
    collection_name: fc.constantFrom(FUZZ, 'missing'),
    requests: fc.array(fc.record({ collection_name: fc.constant(FUZZ), dsl: expr, dsl_type: fc.constant(1), placeholder_group: placeholder, search_params: kv(searchKeys) }), { maxLength: 4 }),
    rank_params: kv(['strategy', 'params', 'limit', 'offset', 'round_decimal']), output_fields: outputFields,
  }).map((r) => ['HybridSearch', encode('HybridSearch', r)] as const),
  fc.record({
    collection_name: fc.constantFrom(FUZZ, 'missing', ''), expr, output_fields: outputFields, query_params: kv(['limit', 'offset', 'reduce_stop_for_best', 'iterator']),
    partition_names: fc.array(fc.constantFrom('_default', 'nope'), { maxLength: 2 }), consistency_level: fc.integer({ min: -1, max: 9 }), use_default_consistency: fc.boolean(),
  }).map((r) => ['Query', encode('Query', r)] as const),
  fc.record({ collection_name: fc.constantFrom(FUZZ, 'missing'), expr, partition_name: fc.constantFrom('', 'nope') })
    .map((r) => ['Delete', encode('Delete', r)] as const),
  fc.record({
    collection_name: fc.constant(FUZZ), field_name: fieldName, index_name: fc.constantFrom('', 'i1', 'x'.repeat(300)),
    extra_params: kv(['index_type', 'metric_type', 'params', 'M', 'efConstruction', 'nlist', 'mmap.enabled']).map((l) => [
      ...l, { key: 'index_type', value: ['HNSW', 'IVF_FLAT', 'FLAT', 'INVERTED', 'BITMAP', 'STL_SORT', 'AUTOINDEX', 'bogus', ''][l.length % 9]! },
    ]),
  }).map((r) => ['CreateIndex', encode('CreateIndex', r)] as const),
);

const typeParam = fc.record({ key: fc.constantFrom('dim', 'max_length', 'max_capacity', 'enable_match', 'nope'), value: fc.oneof(numberish, fc.constantFrom('8', '32', '1000000000', '32769', '65536', '65535', '4097')) });
const hostileSchema = fc.record({
  collection_name: fc.constantFrom('fzc0', 'fzc1', 'fzc2', '', 'x'.repeat(300), '1abc', 'a b', '$meta', KNOWN),
  schemaName: fc.constantFrom('', 'fzc0', 'other'),
  autoID: fc.boolean(),
  enable_dynamic_field: fc.boolean(),
  fields: fc.oneof(
    fc.array(fc.record({
      name: fieldName, data_type: fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 10, 11, 20, 21, 22, 23, 100, 101, 102, 103, 104, 105), fc.integer({ min: -1, max: 300 })),
      is_primary_key: fc.boolean(), autoID: fc.boolean(), element_type: fc.integer({ min: -1, max: 30 }), is_partition_key: fc.boolean(), nullable: fc.boolean(),
      is_dynamic: fc.boolean(), type_params: fc.array(typeParam, { maxLength: 3 }),
      default_value: fc.option(fc.oneof(fc.record({ long_data: fc.constantFrom(1, '9223372036854775807') }), fc.record({ string_data: fc.string({ maxLength: 40 }) }), fc.record({ float_data: hostileFloat })), { nil: undefined }),
    }), { maxLength: 6 }),
    fc.integer({ min: 100, max: 5000 }).map((n) => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, data_type: i === 0 ? 5 : 101, is_primary_key: i === 0, type_params: [{ key: 'dim', value: '8' }] }))),
  ),
  functions: fc.array(fc.record({ name: fc.string({ maxLength: 5 }), type: fc.integer({ min: 0, max: 5 }) }), { maxLength: 1 }),
  shards_num: fc.constantFrom(0, 1, 16, 100000, -1),
  num_partitions: fc.constantFrom(0, 1, 2 ** 40),
  properties: kv(['collection.ttl.seconds', 'mmap.enabled']),
}).map((r) => ['CreateCollection', encode('CreateCollection', {
  collection_name: r.collection_name, shards_num: r.shards_num, num_partitions: r.num_partitions, properties: r.properties,
  schema: Buffer.from(schemaType.encode(schemaType.fromObject({ name: r.schemaName, autoID: r.autoID, enable_dynamic_field: r.enable_dynamic_field, fields: r.fields, functions: r.functions })).finish()),
})] as const);

// ---------------------------------------------------------------- gRPC framing over raw HTTP/2

let h2: http2.ClientHttp2Session | undefined;

interface H2Outcome { httpStatus?: number; grpcStatus?: string; reset?: number; timedOut: boolean }

/** One HTTP/2 request with a hand-made gRPC body (length prefixes that lie, flags, several messages). */
function h2Call(method: string, body: Buffer, headers: http2.OutgoingHttpHeaders): Promise<H2Outcome> {
  if (!h2 || h2.destroyed || h2.closed) {
    h2 = http2.connect(`http://${address}`);
    h2.on('error', () => {}); // a session the server ends is replaced on the next call
  }
  const session = h2;
  return new Promise((resolve) => {
    const out: H2Outcome = { timedOut: false };
    const req = session.request({ ':method': 'POST', ':path': `/${service.fullName.slice(1)}/${method}`, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const timer = setTimeout(() => { out.timedOut = true; req.close(http2.constants.NGHTTP2_CANCEL); }, callDeadlineMs);
    req.on('response', (h) => {
      out.httpStatus = Number(h[':status']);
      if (h['grpc-status'] !== undefined) out.grpcStatus = String(h['grpc-status']);
    });
    req.on('trailers', (t) => { if (t['grpc-status'] !== undefined) out.grpcStatus = String(t['grpc-status']); });
    req.on('data', () => {});
    req.on('error', () => {});
    req.on('close', () => {
      clearTimeout(timer);
      if (req.rstCode) out.reset = req.rstCode;
      resolve(out);
    });
    req.end(body);
  });
}

/** The 5-byte gRPC message prefix: compressed flag and a (possibly lying) length. */
function grpcFrame(flag: number, length: number, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([head, payload]);
}

const framed = fc.record({
  method: fc.constantFrom(...methods, 'NoSuchMethod'),
  sample: fc.constantFrom(...sampleBytes.map(([, b]) => b)),
  frames: fc.array(fc.record({
    flag: fc.constantFrom(0, 0, 1, 2, 255),
    lie: fc.oneof(fc.constant(null), fc.nat({ max: 64 }), fc.constantFrom(2 ** 32 - 1, messageBytesMax + 1, 2 ** 31)),
    cut: fc.option(fc.nat(), { freq: 3 }),
  }), { minLength: 0, maxLength: 3 }),
  tail: fc.uint8Array({ maxLength: 8 }),
  headers: fc.record({
    'grpc-encoding': fc.constantFrom(undefined, 'identity', 'gzip', 'deflate', 'bogus'),
    'grpc-timeout': fc.constantFrom(undefined, '1n', '99999999H', 'abc', '0m'),
    'content-type': fc.constantFrom('application/grpc', 'application/grpc', 'application/grpc+proto', 'application/json', 'text/plain'),
  }, { requiredKeys: [] }),
}).map(({ method, sample, frames, tail, headers }) => {
  const body = Buffer.concat([...frames.map((f) => {
    const payload = f.cut === null ? sample : sample.subarray(0, f.cut % (sample.length + 1));
    return grpcFrame(f.flag, f.lie ?? payload.length, payload);
  }), tail]);
  const h: http2.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
  return { method, body, headers: h };
});

// ---------------------------------------------------------------- raw sockets and HTTP

interface SocketOutcome { closed: boolean; ms: number; head: string }

/** Sends bytes on a fresh connection (ending our side when asked) and waits for the server to close it. */
function socketExchange(bytes: Uint8Array, end: boolean, waitMs = 5000): Promise<SocketOutcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    let head = Buffer.alloc(0);
    const s = net.connect(server.port, '127.0.0.1', () => {
      s.write(bytes);
      if (end) s.end();
    });
    s.on('data', (d: Buffer) => { if (head.length < 64) head = Buffer.concat([head, d]); });
    s.on('error', () => {}); // resets are an acceptable way to refuse
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, ms: Date.now() - started, head: head.toString('latin1') });
    }, waitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, ms: Date.now() - started, head: head.toString('latin1') });
    });
  });
}

function stallingSocket(port: number): Promise<{ closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = net.connect(port, '127.0.0.1', () => s.write('PRI * HTTP/2'));
    s.on('error', () => {});
    s.on('close', () => resolve({ closedAfterMs: Date.now() - started }));
    // Never left behind by a failing server: the test ends it after 60 s at the latest.
    setTimeout(() => s.destroy(), 60_000).unref();
  });
}

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const restPaths = ['/v2/vectordb/collections/list', '/v2/vectordb/collections/describe', '/v2/vectordb/entities/insert', '/v2/vectordb/entities/query',
  '/v2/vectordb/entities/search', '/v2/vectordb/entities/delete', '/v2/vectordb/collections/create', '/v2/vectordb/indexes/create', '/healthz', '/metrics', '/'];
const path = fc.oneof(
  fc.constantFrom(...restPaths),
  fc.webPath(),
  fc.string({ maxLength: 60, unit: 'binary-ascii' }).map((s) => '/' + s.replace(/[\s]/g, '')),
  fc.constantFrom('/' + 'a'.repeat(70_000), '*', '//..//..', '/%00', '/%zz', '/v2/vectordb/' + '../'.repeat(50)),
);
const badJson = fc.oneof(
  fc.constantFrom('{', '{"collectionName":', '{"collectionName": "known_rows", "data": [', 'null', '[]', '"x"', '{"a":1}}', '{"collectionName":"known_rows","filter":"id in [1]"', '\u0000', '{"dbName":{"$gt":1}', '{"__proto__":{"x":1}', '{"constructor":{"prototype":{"x":1}}'),
  fc.string({ maxLength: 100, unit: 'binary' }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }),
  fc.integer({ min: 1, max: 100_000 }).map((d) => '['.repeat(d)),
);
const httpRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'BREW', 'CONNECT', 'TRACE', 'PRI'),
  path,
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 x'),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-16'),
  length: fc.constantFrom('exact', 'exact', 'huge', 'short', 'negative', 'nan', 'double', 'chunked-bad', 'none'),
  body: badJson,
}).map(({ method, path: p, version, contentType, length, body }) => {
  const b = Buffer.from(body);
  const lines = [`${method} ${p} ${version}`, 'Host: 127.0.0.1', 'Connection: close'];
  if (contentType) lines.push(`Content-Type: ${contentType}`);
  let end = false;
  switch (length) {
    case 'exact': lines.push(`Content-Length: ${b.length}`); break;
    case 'huge': lines.push('Content-Length: 1000000000000'); end = true; break;
    case 'short': lines.push(`Content-Length: ${b.length + 10}`); end = true; break;
    case 'negative': lines.push('Content-Length: -1'); break;
    case 'nan': lines.push('Content-Length: abc'); break;
    case 'double': lines.push(`Content-Length: ${b.length}`, `Content-Length: ${b.length + 1}`); break;
    case 'chunked-bad': lines.push('Transfer-Encoding: chunked'); end = true; break;
    default: end = true;
  }
  return { bytes: Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), b]), end };
});

// ---------------------------------------------------------------- SDK-level invalid values

/** Values the SDK passes through as they are and the server must refuse (found by trying each). */
const poisons: Record<string, Record<string, unknown>> = {
  'vector too short': { v: [1, 2, 3] },
  'vector too long': { v: Array.from({ length: DIM + 1 }, () => 1) },
  'NaN in a vector': { v: [1, Number.NaN, 0, 0, 0, 0, 0, 0] },
  'Infinity in a vector': { v: [1, 0, 0, -Infinity, 0, 0, 0, 0] },
  'a string for a vector': { v: 'abcdefgh' },
  'an empty vector': { v: [] },
  'string too long': { s: 'y'.repeat(33) },
  'string of 1 MB': { s: hugeString },
  'null varchar (not nullable)': { s: null },
  'null int (not nullable)': { n: null },
  'array over capacity': { tags: [1, 2, 3, 4, 5] },
  'null primary key': { id: null },
  'missing vector': { v: undefined },
  'missing primary key': { id: undefined },
};
const poisonNames = Object.keys(poisons);

const badBatch = fc.record({
  op: fc.constantFrom('insert', 'upsert'),
  good: fc.integer({ min: 0, max: 6 }),
  at: fc.nat(),
  poison: fc.constantFrom(...poisonNames),
  // Upserts name existing rows: a rejected upsert must not delete (or replace) them.
  existing: fc.boolean(),
});

const badCall = fc.oneof(
  fc.record({ kind: fc.constant('search' as const), vector: fc.oneof(fc.array(hostileFloat, { maxLength: 12 }), fc.constant([Number.NaN, 0, 0, 0, 0, 0, 0, 0])), limit: fc.constantFrom(-1, 0, 16385, 1e9, 1.5, 10), field: fc.constantFrom('v', 's', 'nope') }),
  fc.record({ kind: fc.constant('query' as const), filter: expr, output: outputFields, limit: fc.constantFrom(-1, 16385, 1e12, 10) }),
  // Only filters that stay invalid once every expression is supported: a valid one would delete.
  fc.record({ kind: fc.constant('delete' as const), filter: fc.constantFrom('id in [', 'id ==', 'nope > 3', 'id in ["a"]', 'id in [1.5]', 's == ', '(((', 'id in [1] or', 'meta["i"] ==', 'n > "x" +', '', 'id in [1]]') }),
  fc.record({ kind: fc.constant('create' as const), dim: fc.constantFrom(0, -1, 32769, 1e9, 1.5), maxLength: fc.constantFrom(0, -1, 65536, 1e12, 32) }),
);
type BadCall = typeof badCall extends fc.Arbitrary<infer T> ? T : never;

type ResStatus = { error_code: string | number; code?: number; reason: string };

/** One invalid SDK call against the reference collection; returns its status. */
async function badSdkCall(c: BadCall): Promise<ResStatus> {
  switch (c.kind) {
    case 'search':
      return (await sdk.search({ collection_name: KNOWN, data: [c.vector], anns_field: c.field, limit: c.limit })).status;
    case 'query':
      return (await sdk.query({ collection_name: KNOWN, filter: c.filter, output_fields: c.output, limit: c.limit })).status;
    case 'delete': {
      const { status } = await sdk.delete({ collection_name: KNOWN, filter: c.filter });
      assert.notEqual(status.error_code, 'Success', `delete "${c.filter}" was accepted`);
      return status;
    }
    case 'create': {
      const status = await sdk.createCollection({
        collection_name: 'sdk_bad',
        fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: c.dim }, { name: 's', data_type: DataType.VarChar, max_length: c.maxLength }],
      });
      if (status.error_code === 'Success') {
        // Only valid parameters may succeed.
        assert.ok(Number.isInteger(c.dim) && c.dim >= 1 && c.dim <= 32768 && c.maxLength >= 1 && c.maxLength <= 65535, `createCollection dim ${c.dim} max_length ${c.maxLength} was accepted`);
        ok(await sdk.dropCollection({ collection_name: 'sdk_bad' }));
      }
      return status;
    }
  }
}

// ---------------------------------------------------------------- the tests

/** Runs a property in batches of `batch` runs, checking the server after each batch. */
async function inBatches<T>(name: string, arb: fc.Arbitrary<T>, runs: number, batch: number, check: (x: T) => Promise<void>): Promise<number> {
  let done = 0;
  for (let b = 0; done < runs; b++) {
    const numRuns = Math.min(batch, runs - done);
    await fc.assert(fc.asyncProperty(arb, check), { seed: SEED + b * 7919 + name.length * 104_729, numRuns, endOnFailure: true });
    done += numRuns;
    await checkServing(`${name}, after batch ${b + 1}`);
  }
  return done;
}

let generated = 0;

describe('malformed input: the server answers everything and keeps serving', { concurrency: false }, () => {
  test('raw gRPC: random bytes for any method', async () => {
    generated += await inBatches('random', fc.tuple(fc.constantFrom(...methods), fc.uint8Array({ maxLength: 600 })), 1200, 300, async ([m, bytes]) => {
      await fuzzCall(m, Buffer.from(bytes));
    });
  });

  test('raw gRPC: valid requests truncated, bit-flipped, spliced', async () => {
    generated += await inBatches('mutated', fc.tuple(fc.constantFrom(...sampleBytes), mutation), 1200, 300, async ([[m, bytes], mutate]) => {
      await fuzzCall(m, mutate(bytes));
    });
  });

  test('raw gRPC: wrong wire types, lying lengths, appended to valid requests', async () => {
    const arb = fc.tuple(fc.constantFrom(...sampleBytes), fc.array(rawField, { minLength: 1, maxLength: 6 }), fc.boolean());
    generated += await inBatches('wire types', arb, 600, 300, async ([[m, valid], list, keep]) => {
      const junk = rawFields(list);
      await fuzzCall(m, keep ? Buffer.concat([valid, junk]) : junk);
    });
  });

  test('raw gRPC: well-formed requests with hostile values', async () => {
    const arb = fc.oneof({ weight: 3, arbitrary: hostileInsert }, { weight: 3, arbitrary: hostileRead }, { weight: 1, arbitrary: hostileSchema }, { weight: 1, arbitrary: deepInserts });
    generated += await inBatches('hostile', arb, 800, 200, async ([m, bytes]) => {
      await fuzzCall(m, bytes);
    });
  });

  test('raw gRPC: hand-written extremes', async () => {
    // [method, request, whether it must be refused]: the rest are only large and may succeed.
    const cases: Array<[string, Buffer, boolean?]> = [
      ['Insert', Buffer.alloc(0)],
      ['Insert', encode('Insert', { collection_name: KNOWN, num_rows: 2 ** 31, fields_data: [{ type: DataType.Int64, field_name: 'id', scalars: { long_data: { data: ['5000'] } } }] })],
      ['Insert', encode('Insert', { collection_name: KNOWN, num_rows: 2 ** 32 - 1, fields_data: fieldsData([5001]).slice(0, 6) })],
      ['Upsert', encode('Upsert', { collection_name: KNOWN, num_rows: 2 ** 31, fields_data: fieldsData([1]).slice(0, 6) })],
      ['Insert', deepInsert(KNOWN, 5002, 10)],
      ['Insert', deepInsert(KNOWN, 5002, 100_000)],
      ['Insert', encode('Insert', { collection_name: KNOWN, num_rows: 1, fields_data: [...fieldsData([5003]).slice(0, 5), { type: DataType.JSON, field_name: 'meta', scalars: { json_data: { data: [Buffer.from('['.repeat(1e6) + ']'.repeat(1e6))] } } }] })],
      ['Insert', encode('Insert', { collection_name: KNOWN, num_rows: 1, fields_data: [...fieldsData([5004]).slice(0, 2), { type: DataType.VarChar, field_name: 's', scalars: { string_data: { data: [hugeString] } } }, ...fieldsData([5004]).slice(3, 6)] })],
      ['Insert', encode('Insert', { collection_name: KNOWN, num_rows: 1, fields_data: [fieldsData([5005])[0], { type: DataType.FloatVector, field_name: 'v', vectors: { dim: 1e9, float_vector: { data: vecOf(1) } } }, ...fieldsData([5005]).slice(2, 6)] })],
      ['Insert', encode('Insert', { collection_name: KNOWN, num_rows: 1, fields_data: [fieldsData([5006])[0], { type: DataType.FloatVector, field_name: 'v', vectors: { dim: DIM, float_vector: { data: [1, 2, 3, Number.NaN, 5, 6, 7, 8] } } }, ...fieldsData([5006]).slice(2, 6)] })],
      ['Insert', encode('Insert', { collection_name: KNOWN, num_rows: 2, fields_data: [...fieldsData([5007, 5008]).slice(0, 6), { type: DataType.Int64, field_name: 'unknown_field', scalars: { long_data: { data: ['1', '2'] } } }] })],
      ['Insert', encode('Insert', { collection_name: KNOWN, num_rows: 2, fields_data: [...fieldsData([5009, 5010]).slice(0, 6), { type: DataType.JSON, field_name: '$meta', is_dynamic: true, scalars: { json_data: { data: [Buffer.from('{}'), Buffer.from('{}')] } } }] })],
      ['CreateCollection', encode('CreateCollection', { collection_name: 'big', schema: schemaBytes('big').subarray(0, 0) })],
      ['CreateCollection', encode('CreateCollection', { collection_name: 'big', schema: Buffer.from(schemaType.encode(schemaType.fromObject({ name: 'big', fields: [{ name: 'id', data_type: 5, is_primary_key: true }, { name: 'v', data_type: 101, type_params: [{ key: 'dim', value: '1000000000' }] }] })).finish()) })],
      ['CreateCollection', encode('CreateCollection', { collection_name: 'big', schema: schemaBytes('big', [{ name: 's', data_type: 21, type_params: [{ key: 'max_length', value: '1e20' }] }]) })],
      ['DescribeCollection', encode('DescribeCollection', { collection_name: hugeString })],
      ['DescribeCollection', encode('DescribeCollection', { collection_name: 'x'.repeat(messageBytesMax + 10) })],
      ['Search', encode('Search', { collection_name: KNOWN, dsl_type: 1, placeholder_group: ph([vecOf(1)]), search_params: searchParams('-5') })],
      ['Search', encode('Search', { collection_name: KNOWN, dsl_type: 1, placeholder_group: ph([vecOf(1)]), search_params: searchParams('1e12') })],
      ['Search', encode('Search', { collection_name: KNOWN, dsl_type: 1, placeholder_group: ph([[Number.NaN, 0, 0, 0, 0, 0, 0, 0]]), search_params: searchParams() })],
      ['Search', encode('Search', { collection_name: KNOWN, dsl_type: 1, placeholder_group: ph(Array.from({ length: 100_000 }, () => vecOf(2))), search_params: searchParams() })],
      ['Search', encode('Search', { collection_name: KNOWN, dsl_type: 1, dsl: '('.repeat(1e6), placeholder_group: ph([vecOf(1)]), search_params: searchParams() })],
      ['Query', encode('Query', { collection_name: KNOWN, expr: 'id in [1]', query_params: [{ key: 'limit', value: '1e15' }] })],
      ['Query', encode('Query', { collection_name: KNOWN, expr: `id in [${'1,'.repeat(500_000)}1]` }), false],
      ['Delete', encode('Delete', { collection_name: KNOWN, expr: `id in [${'['.repeat(100_000)}` })],
      ['Delete', encode('Delete', { collection_name: KNOWN, expr: 'nope > 3' })],
      ['Delete', encode('Delete', { collection_name: KNOWN, expr: '' })],
      ['HybridSearch', encode('HybridSearch', { collection_name: KNOWN, requests: Array.from({ length: 1000 }, () => subSearch), rank_params: [{ key: 'strategy', value: 'weighted' }, { key: 'params', value: '{"weights":[NaN]}' }] })],
      ['CreateIndex', encode('CreateIndex', { collection_name: KNOWN, field_name: 'v', extra_params: [{ key: 'index_type', value: 'HNSW' }, { key: 'params', value: '{"M":1000000000,"efConstruction":-1}' }] })],
    ];
    for (const [m, body, refuse = true] of cases) {
      const out = await rawCall(m, body);
      expectAnswer(m, out);
      if (refuse) assert.ok(out.err || out.status!.code !== 0, `${m}: a hostile request was accepted: case ${cases.findIndex((c) => c[1] === body)}`);
    }
    await checkServing('hand-written gRPC');
  });

  test('raw HTTP/2: gRPC message framing that lies, compression flags, bad headers', async () => {
    generated += await inBatches('framing', framed, 400, 200, async ({ method, body, headers }) => {
      const out = await h2Call(method, body, headers);
      assert.ok(!out.timedOut, `${method}: no answer within ${callDeadlineMs} ms`);
      // An answer: a gRPC status (in headers or trailers), an HTTP error status, or a reset stream.
      assert.ok(out.grpcStatus !== undefined || (out.httpStatus ?? 200) >= 400 || out.reset !== undefined, `${method}: ${JSON.stringify(out)}`);
      bump(stats, `h2 grpc-status ${out.grpcStatus ?? `none (HTTP ${out.httpStatus}, reset ${out.reset})`}`);
    });
    h2?.close();
  });

  test('raw TCP and HTTP/1.1 on the same port', async () => {
    const expectClosed = (what: string, out: SocketOutcome) => {
      assert.ok(out.closed, `${what}: the server neither answered nor closed the connection within 5 s (got ${JSON.stringify(out.head)})`);
    };
    generated += await inBatches('garbage', fc.uint8Array({ minLength: 1, maxLength: 400 }), 300, 150, async (bytes) => {
      expectClosed('garbage', await socketExchange(bytes, true));
    });
    generated += await inBatches('half preface', fc.tuple(fc.integer({ min: 1, max: preface.length - 1 }), fc.uint8Array({ maxLength: 200 })), 200, 100, async ([k, bytes]) => {
      expectClosed('half preface', await socketExchange(Buffer.concat([preface.subarray(0, k), bytes]), true));
    });
    generated += await inBatches('h2 garbage', fc.uint8Array({ minLength: 1, maxLength: 400 }), 200, 100, async (bytes) => {
      // Ends its side: a partial frame would otherwise wait for its remaining bytes, as HTTP/2 must.
      expectClosed('h2 garbage', await socketExchange(Buffer.concat([preface, bytes]), true));
    });
    generated += await inBatches('http', httpRequest, 400, 200, async ({ bytes, end }) => {
      const out = await socketExchange(bytes, end);
      expectClosed('http', out);
      if (out.head) assert.match(out.head, /^HTTP\/1\.[01] [1-5]\d\d /, 'not an HTTP response');
    });
    generated += await inBatches('fetch', fc.tuple(fc.constantFrom(...restPaths.slice(0, 8)), badJson, fc.constantFrom('application/json', 'text/plain')), 200, 100, async ([p, body, type]) => {
      const res = await fetch(`http://${address}${p}`, { method: 'POST', body, headers: { 'content-type': type }, signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      assert.ok(res.status >= 200 && res.status < 500, `POST ${p}: HTTP ${res.status}`);
    });
    // Hand-written: close mid-request, and bytes then close without waiting.
    for (const bytes of ['POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{"a', 'GET / HTTP/1.1\r\nHost: a\r\n', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00', 'P', '\r\n\r\n']) {
      await new Promise<void>((resolve) => {
        const s = net.connect(server.port, '127.0.0.1', () => { s.write(bytes); s.destroy(); resolve(); });
        s.on('error', () => resolve());
      });
    }
    const res = await fetch(`http://${address}/healthz`);
    assert.equal(res.status, 200);
    await checkServing('raw TCP and HTTP');
  });

  test('SDK: invalid values are refused with a coded error, and nothing of them is stored', async () => {
    let fresh = 100_000;
    generated += await inBatches('sdk writes', badBatch, 500, 250, async ({ op, good, at, poison, existing }) => {
      const rows: Array<Record<string, unknown>> = Array.from({ length: good }, (_, k) => {
        const i = existing ? (fresh + k) % knownRows : fresh + k;
        return { ...knownRow(i), id: i, s: `changed-${i}` };
      });
      fresh += good + 1;
      const bad: Record<string, unknown> = { ...knownRow(0), id: fresh++, ...poisons[poison] };
      for (const [k, v] of Object.entries(bad)) if (v === undefined) delete bad[k];
      rows.splice(at % (rows.length + 1), 0, bad);
      let res;
      try {
        res = await (op === 'insert' ? sdk.insert({ collection_name: KNOWN, data: rows as never }) : sdk.upsert({ collection_name: KNOWN, data: rows as never }));
      } catch (e) {
        // The SDK refused to build the request: nothing reached the server.
        bump(stats, `sdk threw: ${poison}`);
        return;
      }
      assert.notEqual(res.status.error_code, 'Success', `${op} with ${poison} was accepted`);
      assert.notEqual(res.status.code, 0, `${op} with ${poison}: no error code`);
      assert.ok(res.status.reason, `${op} with ${poison}: no reason`);
      bump(stats, `sdk refused: ${poison}`);
      assert.equal(await countOf(KNOWN), knownRows, `${op} with ${poison}: the row count changed`);
    });
    generated += await inBatches('sdk calls', badCall, 300, 150, async (c) => {
      let status: ResStatus;
      try {
        status = await badSdkCall(c);
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        bump(stats, `sdk threw: ${c.kind}`); // the SDK's own checks refused it before sending
        return;
      }
      bump(stats, `sdk ${c.kind}: ${status.error_code === 'Success' ? 'ok' : 'refused'}`);
      if (status.error_code !== 'Success') {
        assert.ok(status.code, `${c.kind}: an error without a code: ${status.reason}`);
        assert.ok(status.reason);
      }
    });
  });

  test('a connection that never says which protocol it speaks is cut', async () => {
    const { closedAfterMs } = await stalled;
    assert.ok(closedAfterMs < 30_000, `closed after ${closedAfterMs} ms`);
  });

  test('summary', (t) => {
    t.diagnostic(`generated inputs: ${generated}`);
    for (const [k, n] of [...stats].sort((a, b) => b[1] - a[1])) t.diagnostic(`${n}\t${k}`);
    for (const [k, n] of internal) t.diagnostic(`INTERNAL ${n}\t${k}`);
    assert.ok(generated >= 5000, `only ${generated} generated inputs`);
  });
});
