// Whole MilvusClient calls as sequences of RPCs: what one line of a Python program sends.
// Each step fails the test the way pymilvus would fail the program (check_status).
import assert from 'node:assert/strict';
import type { Reply, WireServer } from './server.js';
import {
  checkStatus, createCollectionRequest, createIndexRequest, describeCollectionRequest, describeIndexRequest,
  insertRequest, loadCollectionRequest, loadingProgressRequest, quickSetupSchema, schemaDict, upsertRequest,
  type QuickSetup, type SchemaDict, type SchemaSpec,
} from './wire.js';

/** How many times a wait loop polls before the test gives up (pymilvus polls without end). */
const pollCountMax = 200;
const pollIntervalMs = 25;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** common.proto IndexState.Finished. */
const indexFinished = 3;

/**
 * grpc_handler.py create_index + wait_for_creating_index: CreateIndex, AllocTimestamp,
 * then DescribeIndex(index_name, timestamp) until the index (picked by field name when
 * several come back) is Finished.
 */
export async function createIndexAndWait(w: WireServer, collection: string, field: string, o: Parameters<typeof createIndexRequest>[2] = {}): Promise<void> {
  checkStatus(await w.call('CreateIndex', createIndexRequest(collection, field, o)));
  const ts = await w.call('AllocTimestamp', {});
  checkStatus(ts.status);
  for (let i = 0; i < pollCountMax; i++) {
    const d = await w.call('DescribeIndex', describeIndexRequest(collection, o.indexName ?? '', String(ts.timestamp)));
    checkStatus(d.status);
    const descs = d.index_descriptions ?? [];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const mine = descs.length === 1 ? descs[0] : descs.find((x: any) => x.field_name === field);
    assert.ok(mine, `DescribeIndex after CreateIndex on ${field}: pymilvus raises AmbiguousIndexName when no description matches`);
    if (Number(mine.state) === indexFinished) return;
    assert.notEqual(Number(mine.state), 4, `index build failed: ${mine.index_state_fail_reason}`);
    await sleep(pollIntervalMs);
  }
  assert.fail(`index on ${collection}.${field} not Finished after ${pollCountMax} polls`);
}

/** grpc_handler.py load_collection + wait_for_loading_collection (GetLoadingProgress until 100). */
export async function loadAndWait(w: WireServer, collection: string): Promise<void> {
  checkStatus(await w.call('LoadCollection', loadCollectionRequest(collection)));
  for (let i = 0; i < pollCountMax; i++) {
    const p = await w.call('GetLoadingProgress', loadingProgressRequest(collection));
    checkStatus(p.status);
    if (Number(p.progress) >= 100) return;
    await sleep(pollIntervalMs);
  }
  assert.fail(`${collection} not loaded after ${pollCountMax} polls`);
}

/**
 * milvus_client.py MilvusClient.create_collection(name, dimension) (quick setup):
 * CreateCollection, an AUTOINDEX on the vector with the metric (COSINE by default), load.
 */
export async function quickSetup(w: WireServer, collection: string, dim: number, o: QuickSetup = {}): Promise<void> {
  checkStatus(await w.call('CreateCollection', createCollectionRequest(collection, quickSetupSchema(dim, o))));
  await createIndexAndWait(w, collection, o.vectorField ?? 'vector', { indexType: 'AUTOINDEX', metricType: o.metricType ?? 'COSINE' });
  await loadAndWait(w, collection);
}

/** MilvusClient.create_collection(name, schema=..., index_params=...) with one vector index, then load. */
export async function createWithSchema(w: WireServer, collection: string, schema: SchemaSpec, vectorField: string, metricType = 'COSINE'): Promise<void> {
  checkStatus(await w.call('CreateCollection', createCollectionRequest(collection, schema)));
  await createIndexAndWait(w, collection, vectorField, { metricType });
  await loadAndWait(w, collection);
}

/** grpc_handler.py _get_schema → describe_collection: the schema dict insert and query use. */
export async function describeSchema(w: WireServer, collection: string): Promise<SchemaDict> {
  const d = await w.call('DescribeCollection', describeCollectionRequest(collection));
  checkStatus(d.status);
  return schemaDict(d);
}

/** MilvusClient.insert: DescribeCollection, then the Insert pymilvus builds from it. */
export async function insertRows(w: WireServer, collection: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<Reply> {
  const schema = await describeSchema(w, collection);
  const reply = await w.call('Insert', insertRequest(collection, rows, schema));
  checkStatus(reply.status);
  return reply;
}

/** MilvusClient.upsert: DescribeCollection, then the Upsert pymilvus builds from it. */
export async function upsertRows(w: WireServer, collection: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<Reply> {
  const schema = await describeSchema(w, collection);
  const reply = await w.call('Upsert', upsertRequest(collection, rows, schema));
  checkStatus(reply.status);
  return reply;
}

/** A small deterministic vector: row i of a test collection. */
export const vec = (i: number, dim: number): number[] => Array.from({ length: dim }, (_, j) => ((i * 7 + j * 3) % 11) / 10 + (j === i % dim ? 1 : 0));
