// No repair in silence (issue 12, history 6): a server stopped, its folder damaged in the
// four ways the engine repairs by itself — a vector index file with a flipped byte, a torn
// record at the end of the log, a torn record at the end of the metadata journal, a file
// no metadata names — and started again. Each repair is logged once at warn and counted
// in elanus_self_repairs_total; the data is whole (count exact, search served).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { listObjectFiles, writeObjectFile } from '../../src/testing/index.js';
import { killAll, metric, serve } from './serve-process.js';

const dirs: string[] = [];
after(async () => {
  killAll();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const dim = 8;
const rows = (from: number, n: number) => Array.from({ length: n }, (_, k) => ({ id: from + k, v: Array.from({ length: dim }, (_, j) => Math.sin(from + k + j)) }));

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('each self-repair at start is logged once at warn and counted; the data is whole', { timeout: 180_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'elanus-repair-'));
  dirs.push(dataDir);
  let server = await serve(dataDir);
  let client = new MilvusClient({ address: `127.0.0.1:${server.port}` });
  await client.createCollection({ collection_name: 'r', consistency_level: 'Strong', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim },
  ] });
  await client.insert({ collection_name: 'r', data: rows(0, 3000) });
  await client.flushSync({ collection_names: ['r'] });
  await client.createIndex({ collection_name: 'r', field_name: 'v', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 32 } });
  await until('the index is built', async () => {
    const p = await client.getIndexBuildProgress({ collection_name: 'r', field_name: 'v' });
    return Number(p.total_rows) > 0 && Number(p.indexed_rows) === Number(p.total_rows);
  });
  await client.closeConnection();
  await server.stop();

  // The damage.
  const objects = await listObjectFiles(dataDir, 'segments/');
  const vidx = objects.find((o) => o.key.endsWith('.vidx'));
  assert.ok(vidx, 'an index file was written');
  const bytes = await readFile(vidx.path);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  await writeFile(vidx.path, bytes);
  // A segment file of a flush that crashed before its commit: whole, but named by nothing.
  const orphan = `${vidx.key.slice(0, vidx.key.lastIndexOf('/'))}/424242.seg`;
  await writeObjectFile(dataDir, orphan, new TextEncoder().encode('left by a crash'));
  const topicsDir = join(dataDir, 'wal', 'topics');
  const topic = join(topicsDir, (await readdir(topicsDir))[0]!);
  const logs = (await readdir(topic)).filter((n) => n.endsWith('.log')).sort();
  // A record header promising 100 bytes, and 3 of them: a write the crash cut short.
  await appendFile(join(topic, logs.at(-1)!), Buffer.from([100, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9]));
  await appendFile(join(dataDir, 'meta', 'journal'), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));

  server = await serve(dataDir);
  client = new MilvusClient({ address: `127.0.0.1:${server.port}` });
  await client.loadCollectionSync({ collection_name: 'r' });
  const kinds = ['index-rebuilt', 'log-tail-truncated', 'journal-tail-truncated', 'orphan-files-removed'];
  await until('the damaged index is rebuilt', async () => (await metric(server.port, 'elanus_self_repairs_total{kind="index-rebuilt"}')) === 1);
  for (const kind of kinds) {
    assert.equal(await metric(server.port, `elanus_self_repairs_total{kind="${kind}"}`), 1, kind);
    const warned = server.lines.filter((l) => {
      const j = JSON.parse(l) as { level: number; repair?: string };
      return j.level === 40 && j.repair === kind;
    });
    assert.equal(warned.length, 1, `one warn line for ${kind}:\n${server.lines.join('\n')}`);
  }
  assert.equal((await client.count({ collection_name: 'r' })).data, 3000);
  assert.ok(!(await listObjectFiles(dataDir)).some((o) => o.key === orphan), 'the orphan is gone');
  const hits = await client.search({ collection_name: 'r', data: rows(17, 1)[0]!.v, limit: 1 });
  assert.equal(String(hits.results[0]!.id), '17');
  await client.closeConnection();
  await server.stop();
});
