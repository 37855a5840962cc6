// The server restarted on its data folder, through the official SDK only: two servers on
// two folders get the same workload (databases, collections, partitions, indexes, aliases,
// load state, inserts, upserts, deletes, a flush halfway); the first stops on SIGTERM, the
// second is killed with SIGKILL while inserts are in flight. Restarted on the same
// folders, both show everything as it was — and the loaded collections answer queries
// without a new load call — with count(*) exact: every acknowledged insert once, and an
// unacknowledged batch entirely or not at all. A second server on a folder in use is
// refused with DATA_DIR_LOCKED while the first keeps serving.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConsistencyLevelEnum, DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';

const childScript = join(dirname(fileURLToPath(import.meta.url)), 'serve-child.js');
const strong = ConsistencyLevelEnum.Strong;

// ---------------------------------------------------------------- child servers

interface Child {
  readonly proc: ChildProcess;
  /** Everything the child printed, line by line. */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The "PORT <n>" or "ERROR ..." line. */
  readonly first: string;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

after(async () => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function startChild(dir: string): Promise<Child> {
  const proc = spawn(process.execPath, [childScript, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server on ${dir} printed nothing in 30 s`)), 30_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      if (lines.length === 1) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (lines.length === 0) reject(new Error(`the server on ${dir} exited (${code ?? signal}) before printing anything`));
    });
  });
  return { proc, lines, exited, first };
}

async function startServing(dir: string): Promise<{ child: Child; client: MilvusClient }> {
  const child = await startChild(dir);
  const m = /^PORT (\d+)$/.exec(child.first);
  assert.ok(m, `the server did not start: ${child.first}`);
  return { child, client: new MilvusClient({ address: `127.0.0.1:${m[1]}` }) };
}

/** Waits for a child's exit, failing after `ms`. */
async function exitOf(child: Child, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms); });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- the workload and its model

type Row = Record<string, unknown>;

function ok(status: { error_code: string | number; reason?: string }, what = ''): void {
  assert.equal(status.error_code, 'Success', `${what}: ${status.reason}`);
}

const docRow = (i: number, title = `doc-${i}`): Row => ({
  id: i, v: [i % 10, (i * 7) % 13, 1, -1], title, score: i % 3 === 0 ? null : i / 4, meta: { i, tag: `t${i % 4}` }, color: `c${i % 5}`,
});
const kvRow = (i: number): Row => ({ key: `k${i}`, v: [i, 1] });
const coldRow = (i: number): Row => ({ id: i, v: [1, i] });
const itemRow = (i: number): Row => ({ sku: i, price: i * 2.5, v: [i, 0, 1] });

/** What every collection must hold: primary key → row (as inserted). */
interface Model {
  docs: Map<number, Row>;
  kv: Map<string, Row>;
  cold: Map<number, Row>;
  items: Map<number, Row>;
}

async function runWorkload(c: MilvusClient): Promise<Model> {
  const model: Model = { docs: new Map(), kv: new Map(), cold: new Map(), items: new Map() };

  ok(await c.createCollection({
    collection_name: 'docs', enable_dynamic_field: true, consistency_level: 'Bounded' as never,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 4 },
      { name: 'title', data_type: DataType.VarChar, max_length: 64 },
      { name: 'score', data_type: DataType.Double, nullable: true },
      { name: 'meta', data_type: DataType.JSON },
    ],
  }), 'create docs');
  ok(await c.createPartition({ collection_name: 'docs', partition_name: 'p2024' }), 'partition');
  ok(await c.createIndex({ collection_name: 'docs', field_name: 'v', index_name: 'v_hnsw', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 64 } }), 'index v');
  ok(await c.createIndex({ collection_name: 'docs', field_name: 'title', index_name: 'title_inv', index_type: 'INVERTED' }), 'index title');
  ok(await c.createAlias({ collection_name: 'docs', alias: 'docs_alias' }), 'alias');
  ok(await c.loadCollection({ collection_name: 'docs' }), 'load docs');

  const insertDocs = async (ids: number[], partition_name?: string) => {
    const rows = ids.map((i) => docRow(i));
    const r = await c.insert({ collection_name: 'docs', data: rows as never, ...(partition_name ? { partition_name } : {}) });
    ok(r.status, 'insert docs');
    for (const row of rows) model.docs.set(row.id as number, row);
  };
  const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);
  await insertDocs(range(0, 100));
  await insertDocs(range(100, 100));
  ok((await c.flush({ collection_names: ['docs'] })).status, 'flush');
  await insertDocs(range(200, 100), 'p2024');
  await insertDocs(range(300, 100));
  // Upserts replace (count unchanged); deletes remove.
  const upserted = range(0, 50).map((i) => docRow(i, `upserted-${i}`));
  ok((await c.upsert({ collection_name: 'docs', data: upserted as never })).status, 'upsert');
  for (const row of upserted) model.docs.set(row.id as number, row);
  const deleted = range(100, 20);
  ok((await c.delete({ collection_name: 'docs', filter: `id in [${deleted.join(', ')}]` })).status, 'delete');
  for (const i of deleted) model.docs.delete(i);

  ok(await c.createCollection({
    collection_name: 'kv',
    fields: [{ name: 'key', data_type: DataType.VarChar, is_primary_key: true, max_length: 32 }, { name: 'v', data_type: DataType.FloatVector, dim: 2 }],
  }), 'create kv');
  ok(await c.createIndex({ collection_name: 'kv', field_name: 'v', index_type: 'FLAT', metric_type: 'IP' }), 'index kv');
  ok(await c.loadCollection({ collection_name: 'kv' }), 'load kv');
  const kvRows = range(0, 150).map(kvRow);
  ok((await c.insert({ collection_name: 'kv', data: kvRows as never })).status, 'insert kv');
  for (const r of kvRows) model.kv.set(r.key as string, r);
  ok((await c.delete({ collection_name: 'kv', filter: 'key in ["k1", "k2"]' })).status, 'delete kv');
  model.kv.delete('k1');
  model.kv.delete('k2');

  // Indexed and filled, never loaded: it must come back not loaded.
  ok(await c.createCollection({ collection_name: 'cold', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 2 }] }), 'create cold');
  ok(await c.createIndex({ collection_name: 'cold', field_name: 'v', index_type: 'IVF_FLAT', metric_type: 'L2', params: { nlist: 8 } }), 'index cold');
  const coldRows = range(0, 50).map(coldRow);
  ok((await c.insert({ collection_name: 'cold', data: coldRows as never })).status, 'insert cold');
  for (const r of coldRows) model.cold.set(r.id as number, r);

  ok(await c.createDatabase({ db_name: 'shop' }), 'create db');
  ok(await c.createCollection({
    db_name: 'shop', collection_name: 'items',
    fields: [{ name: 'sku', data_type: DataType.Int64, is_primary_key: true }, { name: 'price', data_type: DataType.Double }, { name: 'v', data_type: DataType.FloatVector, dim: 3 }],
  }), 'create items');
  ok(await c.createIndex({ db_name: 'shop', collection_name: 'items', field_name: 'v', index_type: 'FLAT', metric_type: 'COSINE' }), 'index items');
  ok(await c.loadCollection({ db_name: 'shop', collection_name: 'items' }), 'load items');
  const itemRows = range(1, 30).map(itemRow);
  ok((await c.insert({ db_name: 'shop', collection_name: 'items', data: itemRows as never })).status, 'insert items');
  for (const r of itemRows) model.items.set(r.sku as number, r);
  return model;
}

// ---------------------------------------------------------------- what must survive

/** Everything the SDK can see about the catalog, without rows. */
async function catalogView(c: MilvusClient): Promise<unknown> {
  const dbs = (await c.listDatabases()).db_names.slice().sort();
  const out: Record<string, unknown> = {};
  for (const db_name of dbs) {
    const names = (await c.showCollections({ db_name })).data.map((x) => x.name).sort();
    for (const collection_name of names) {
      const d = await c.describeCollection({ db_name, collection_name });
      ok(d.status, `describe ${collection_name}`);
      const idx = await c.describeIndex({ db_name, collection_name });
      const parts = await c.showPartitions({ db_name, collection_name });
      const load = await c.getLoadState({ db_name, collection_name });
      out[`${db_name}.${collection_name}`] = {
        id: d.collectionID,
        created: d.created_timestamp,
        consistency: d.consistency_level,
        shards: d.shards_num,
        aliases: [...d.aliases].sort(),
        dynamic: d.schema.enable_dynamic_field,
        fields: d.schema.fields.map((f) => ({
          name: f.name, type: f.data_type, pk: f.is_primary_key, autoID: f.autoID, nullable: f.nullable, dynamic: f.is_dynamic,
          params: Object.fromEntries(f.type_params.map((p) => [p.key, p.value])),
        })),
        properties: d.properties,
        indexes: (idx.index_descriptions ?? []).map((i) => ({ name: i.index_name, field: i.field_name, params: Object.fromEntries(i.params.map((p) => [p.key, p.value])) }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        partitions: parts.partition_names.slice().sort(),
        load: load.state,
      };
    }
  }
  return { dbs, collections: out };
}

/** Every row of a collection through the SDK, keyed by primary key, as the model holds them. */
async function rowsOf(c: MilvusClient, collection_name: string, pk: string, keys: ReadonlyArray<number | string>, db_name?: string): Promise<Map<string, Row>> {
  const out = new Map<string, Row>();
  for (let k = 0; k < keys.length; k += 1000) {
    const part = keys.slice(k, k + 1000).map((x) => JSON.stringify(x));
    const r = await c.query({ collection_name, filter: `${pk} in [${part.join(', ')}]`, output_fields: ['*'], limit: 16_384, consistency_level: strong, ...(db_name ? { db_name } : {}) });
    ok(r.status, `query ${collection_name}`);
    for (const row of r.data) out.set(String(row[pk]), row);
  }
  return out;
}

async function countOf(c: MilvusClient, collection_name: string, db_name?: string): Promise<number> {
  const r = await c.query({ collection_name, output_fields: ['count(*)'], consistency_level: strong, ...(db_name ? { db_name } : {}) });
  ok(r.status, `count ${collection_name}`);
  return Number(r.data[0]!['count(*)']);
}

/** Compares what the server returns with the model (int64 keys come back as strings). */
function sameRows(got: Map<string, Row>, want: Map<number | string, Row>, fields: string[], what: string): void {
  assert.equal(got.size, want.size, `${what}: ${got.size} rows, expected ${want.size}`);
  for (const [k, row] of want) {
    const g = got.get(String(k));
    assert.ok(g, `${what}: row ${k} is missing`);
    // Dynamic keys come back inside $meta when the output is '*', as Milvus returns them.
    const dynamic = (g['$meta'] ?? {}) as Row;
    for (const f of fields) assert.deepEqual(g[f] ?? dynamic[f] ?? null, row[f] ?? null, `${what}: row ${k}, field ${f}`);
  }
}

async function checkData(c: MilvusClient, model: Model, label: string): Promise<void> {
  const probe = 1_000_000; // never inserted: its absence is checked with the rest
  assert.equal(await countOf(c, 'docs'), model.docs.size, `${label}: count(*) of docs`);
  sameRows(await rowsOf(c, 'docs', 'id', [...model.docs.keys(), probe]), model.docs, ['v', 'title', 'score', 'meta', 'color'], `${label}: docs`);
  assert.equal(await countOf(c, 'docs_alias'), model.docs.size, `${label}: count(*) through the alias`);
  assert.equal(await countOf(c, 'kv'), model.kv.size, `${label}: count(*) of kv`);
  sameRows(await rowsOf(c, 'kv', 'key', [...model.kv.keys(), 'k1', 'k2']), model.kv, ['v'], `${label}: kv`);
  assert.equal(await countOf(c, 'items', 'shop'), model.items.size, `${label}: count(*) of shop.items`);
  sameRows(await rowsOf(c, 'items', 'sku', [...model.items.keys()], 'shop'), model.items, ['price', 'v'], `${label}: shop.items`);
  // Rows 9, 139, 269 and 399 share that vector (distance 0; ties come in key order): all within 10 hits.
  const s = await c.search({ collection_name: 'docs', data: [model.docs.get(399)!.v as number[]], anns_field: 'v', limit: 10, output_fields: ['title'], consistency_level: strong });
  ok(s.status, 'search');
  assert.equal(s.results[0]!.score, 0, `${label}: the nearest hit is an exact match`);
  assert.ok(s.results.some((h) => String(h.id) === '399'), `${label}: search finds row 399`);
}

// ---------------------------------------------------------------- the test

describe('restart through the SDK', { concurrency: false }, () => {
  test('SIGTERM and SIGKILL, restart on the same folders: everything is still there, counts exact; a folder in use is refused', async (t) => {
    const dirA = await mkdtemp(join(tmpdir(), 'elanus-restart-a-'));
    const dirB = await mkdtemp(join(tmpdir(), 'elanus-restart-b-'));
    dirs.push(dirA, dirB);
    const [a, b] = await Promise.all([startServing(dirA), startServing(dirB)]);

    const [modelA, modelB] = await Promise.all([runWorkload(a.client), runWorkload(b.client)]);
    await checkData(a.client, modelA, 'A before');
    await checkData(b.client, modelB, 'B before');
    const viewA = await catalogView(a.client);
    const viewB = await catalogView(b.client);

    // B: batches of inserts in flight, then SIGKILL right after the 4th acknowledgement.
    const batches = Array.from({ length: 16 }, (_, k) => Array.from({ length: 25 }, (_, j) => 10_000 + k * 25 + j));
    const acked = new Set<number>();
    let killed = false;
    const inFlight = batches.map((ids, k) => b.client.insert({ collection_name: 'docs', data: ids.map((i) => docRow(i)) as never }).then((r) => {
      if (killed) return;
      if (r.status.error_code === 'Success') acked.add(k);
      if (acked.size === 4) {
        killed = true;
        b.child.proc.kill('SIGKILL');
      }
    }, () => {}));
    const bExit = await exitOf(b.child, 30_000);
    assert.equal(bExit.signal, 'SIGKILL');
    assert.ok(acked.size >= 4, 'four batches were acknowledged before the kill');
    await b.client.closeConnection();
    await Promise.all(inFlight);

    // A: SIGTERM with its SDK client still connected; the server stops, flushes and exits 0.
    const stopStarted = Date.now();
    a.child.proc.kill('SIGTERM');
    const aExit = await exitOf(a.child, 15_000);
    t.diagnostic(`A stopped on SIGTERM in ${Date.now() - stopStarted} ms`);
    assert.deepEqual(aExit, { code: 0, signal: null }, `A stopped: ${a.child.lines.join(' | ')}`);
    assert.ok(a.child.lines.includes('STOPPED'));
    await a.client.closeConnection();

    const [a2, b2] = await Promise.all([startServing(dirA), startServing(dirB)]);
    try {
      // No load call: collections that were loaded are loaded again, the cold one is not.
      assert.deepEqual(await catalogView(a2.client), viewA, 'A: the catalog after SIGTERM and restart');
      assert.deepEqual(await catalogView(b2.client), viewB, 'B: the catalog after SIGKILL and restart');
      await checkData(a2.client, modelA, 'A after restart');

      // B: every acknowledged batch is there once; every other batch entirely or not at all.
      const present = await rowsOf(b2.client, 'docs', 'id', batches.flat());
      const landed = batches.map((ids) => ids.filter((i) => present.has(String(i))).length);
      for (const [k, n] of landed.entries()) {
        assert.ok(n === 0 || n === 25, `batch ${k}: ${n} of 25 rows after the kill`);
        if (acked.has(k)) assert.equal(n, 25, `acknowledged batch ${k} was lost`);
        if (n === 25) for (const i of batches[k]!) modelB.docs.set(i, docRow(i));
      }
      t.diagnostic(`B: ${acked.size} batches acknowledged before SIGKILL, ${landed.filter((n) => n === 25).length} of ${batches.length} present after restart`);
      await checkData(b2.client, modelB, 'B after restart');

      for (const [c, model] of [[a2.client, modelA], [b2.client, modelB]] as const) {
        const q = await c.query({ collection_name: 'cold', filter: 'id in [1]', output_fields: ['id'], consistency_level: strong });
        assert.notEqual(q.status.error_code, 'Success', 'cold was never loaded, so it cannot be queried');
        ok(await c.loadCollection({ collection_name: 'cold' }), 'load cold');
        assert.equal(await countOf(c, 'cold'), model.cold.size, 'count(*) of cold');
      }

      // A second server on a folder in use is refused; the first keeps serving.
      const intruder = await startChild(dirA);
      assert.match(intruder.first, /^ERROR DATA_DIR_LOCKED /);
      assert.ok(intruder.first.includes(`process ${a2.child.proc.pid}`), `the refusal names the holder: ${intruder.first}`);
      assert.equal((await exitOf(intruder, 15_000)).code, 1);
      const v = await a2.client.getVersion() as { version: string; status?: { error_code: string } };
      assert.equal(v.status?.error_code, 'Success');
      assert.equal(await countOf(a2.client, 'docs'), modelA.docs.size, 'A still serves after the refused start');
    } finally {
      await a2.client.closeConnection();
      await b2.client.closeConnection();
      a2.child.proc.kill('SIGTERM');
      b2.child.proc.kill('SIGTERM');
      const exits = await Promise.all([exitOf(a2.child, 15_000), exitOf(b2.child, 15_000)]);
      assert.deepEqual(exits, [{ code: 0, signal: null }, { code: 0, signal: null }]);
    }
  });
});
