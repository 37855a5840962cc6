// `elanus backup` against a running `elanus serve` while 8 clients insert through the
// official SDK, and `elanus restore`: the restored folder holds exactly the rows whose
// inserts were acknowledged with a timestamp below the backup's, and none above. A backup
// process killed with SIGKILL half-way harms nothing: the server goes on, its snapshot is
// removed at the latest when the server stops, and the half-written folder is refused by
// restore. A byte changed in a backup fails the restore, which then leaves no folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Elanus } from '../../src/index.js';
import { run, type Child } from './helpers.js';
import { serve } from './helpers.js';

const writers = 8;
const rowsPerInsert = 40;
/** A bound on each writer's rows (they stop once the backup is over and more rows followed it), under one query's limit. */
const rowsPerWriterMax = 16_000;

function until(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

function stdoutOf(c: Child): () => string {
  let out = '';
  c.proc.stdout.on('data', (chunk: string) => (out += chunk));
  return () => out;
}

/** Every file under a folder, recursively, relative to it. */
function filesUnder(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((n) => (statSync(join(dir, rel, n)).isDirectory() ? filesUnder(dir, join(rel, n)) : [join(rel, n)]));
}

test('backup while 8 clients insert, with a backup killed half-way: the restore counts exactly the rows acknowledged before the backup\'s timestamp', { timeout: 900_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'elanus-backup-'));
  const dataDir = join(root, 'data');
  const server = await serve(['--data-dir', dataDir], {}, 60_000);
  const address = `127.0.0.1:${server.port}`;
  const clients: MilvusClient[] = [];
  try {
    const admin = new MilvusClient({ address, logLevel: 'error' });
    clients.push(admin);
    const created = await admin.createCollection({
      collection_name: 'b',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 4 }],
    });
    assert.equal(created.error_code, 'Success', created.reason);
    assert.equal((await admin.loadCollection({ collection_name: 'b' })).error_code, 'Success');

    // The writers: each insert's rows with the timestamp its acknowledgement carries.
    const acked: Array<{ id: number; ts: bigint }> = [];
    let stop = false;
    const running = Array.from({ length: writers }, async (_, w) => {
      const c = new MilvusClient({ address, logLevel: 'error' });
      clients.push(c);
      for (let n = 0; !stop && n < rowsPerWriterMax; n += rowsPerInsert) {
        const ids = Array.from({ length: rowsPerInsert }, (_, i) => w * 1_000_000 + n + i);
        const r = await c.insert({ collection_name: 'b', data: ids.map((id) => ({ id, v: [id % 7, 1, 2, 3] })) });
        assert.equal(r.status.error_code, 'Success', r.status.reason);
        for (const id of ids) acked.push({ id, ts: BigInt(r.timestamp) });
        // Flushes along the way: the backups hold sealed segments and a log tail both.
        if (w === 0 && n % (rowsPerInsert * 8) === 0) await c.flush({ collection_names: ['b'] });
      }
    });
    const writing = Promise.all(running);

    await until(() => acked.length >= 1_500, '1,500 acknowledged rows');
    // A backup killed with SIGKILL once it has its snapshot, while it downloads.
    const killed = run(['backup', '--to', join(root, 'killed'), '--target', address]);
    const killedOut = stdoutOf(killed);
    await until(() => killedOut().includes('snapshot ') || killed.proc.exitCode !== null, 'the killed backup\'s snapshot');
    killed.proc.kill('SIGKILL');
    assert.equal((await killed.exited).signal, 'SIGKILL');

    await until(() => acked.length >= 3_000, '3,000 acknowledged rows');
    const full = await run(['backup', '--to', join(root, 'full'), '--target', address]).exited;
    assert.equal(full.code, 0, full.stderr);
    // Writes go on past the backup, so that "nothing after it" is tested.
    const ackedAtBackupEnd = acked.length;
    await until(() => acked.length >= ackedAtBackupEnd + 400, 'rows after the backup');
    stop = true;
    await writing;

    // The server is fine: every acknowledged row is there.
    const live = await admin.count({ collection_name: 'b', consistency_level: 'Strong' } as Parameters<MilvusClient['count']>[0]);
    assert.equal(Number(live.data), acked.length);

    const record = JSON.parse(readFileSync(join(root, 'full', 'backup.json'), 'utf8')) as { at: string; files: Array<{ path: string }> };
    const at = BigInt(record.at);
    const before = acked.filter((a) => a.ts < at).map((a) => a.id).sort((a, b) => a - b);
    const after = acked.filter((a) => a.ts > at);
    assert.equal(acked.filter((a) => a.ts === at).length, 0, 'no write shares the backup\'s timestamp');
    assert.ok(before.length >= 3_000, `rows before the backup: ${before.length}`);
    assert.ok(after.length > 0, 'rows acknowledged after the backup\'s timestamp exist, so "none of them" is tested');
    assert.ok(record.files.some((f) => f.path.startsWith('objects/')), 'the backup holds flushed segments');
    assert.ok(record.files.some((f) => f.path.endsWith('.log')), 'and the log past their checkpoint');

    // The half-written backup is no backup.
    const refused = await run(['restore', '--from', join(root, 'killed'), '--data-dir', join(root, 'from-killed')]).exited;
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /holds no backup\.json/);
    assert.equal(existsSync(join(root, 'from-killed')), false);

    // A changed byte fails the restore, which leaves nothing.
    cpSync(join(root, 'full'), join(root, 'damaged'), { recursive: true });
    const victim = join(root, 'damaged', record.files.find((f) => f.path.startsWith('objects/'))!.path);
    const bytes = readFileSync(victim);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(victim, bytes);
    const damaged = await run(['restore', '--from', join(root, 'damaged'), '--data-dir', join(root, 'from-damaged')]).exited;
    assert.equal(damaged.code, 1, damaged.stderr);
    assert.match(damaged.stderr, /SHA-256/);
    assert.equal(existsSync(join(root, 'from-damaged')), false);
    assert.deepEqual(readdirSync(root).filter((n) => n.includes('.restoring-')), []);

    // The restore: exactly the rows acknowledged below the timestamp.
    const restoredDir = join(root, 'restored');
    const restored = await run(['restore', '--from', join(root, 'full'), '--data-dir', restoredDir]).exited;
    assert.equal(restored.code, 0, restored.stderr);
    const db = await Elanus.open({ path: restoredDir, limits: { backgroundIntervalMs: 0 } });
    try {
      await db.loadCollection({ collection_name: 'b' });
      assert.equal((await db.count({ collection_name: 'b', consistency_level: 'Strong' })).data, before.length);
      // One query per writer's key range: each under a query's limit.
      const ids: number[] = [];
      for (let w = 0; w < writers; w++) {
        const rows = await db.query({ collection_name: 'b', filter: `id >= ${w * 1_000_000} and id < ${(w + 1) * 1_000_000}`, output_fields: ['id'], limit: 16_384, consistency_level: 'Strong' });
        for (const r of rows.data as Array<{ id: number | string }>) ids.push(Number(r.id));
      }
      assert.deepEqual(ids.sort((a, b) => a - b), before);
    } finally {
      await db.close();
    }

    const exit = await server.stop('SIGTERM');
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(existsSync(join(dataDir, 'backup-staging')), false, 'the killed backup\'s snapshot is gone');
    assert.ok(filesUnder(restoredDir).some((f) => f.startsWith('meta')));
  } finally {
    for (const c of clients) await c.closeConnection().catch(() => undefined);
    if (server.proc.exitCode === null) await server.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});
