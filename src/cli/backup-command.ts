// `elanus backup --to DIR` and `elanus restore --from DIR --data-dir D`.
//
// backup asks a running server for a snapshot (backup-server.ts), downloads each of its
// files into DIR checking length and SHA-256, writes DIR/backup.json (the manifest) last
// and releases the snapshot. A folder without backup.json is an unfinished backup, which
// restore refuses. Exit codes: 0 done, 1 failed (the server refused, a file did not
// verify), 2 the command line was wrong (DIR not empty).
//
// restore checks every file of the backup against the manifest while copying it into a
// new folder beside D, fsyncs it, reads the result as `elanus inspect` does (any damage
// fails), and only then renames it to D: a failed restore leaves no D. `elanus serve
// --data-dir D` then opens it: the log past each checkpoint is replayed as after a kill -9.
// Exit codes: 0 done, 1 the backup is damaged or incomplete, 2 the command line was
// wrong (no backup there, D not empty).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { inspectFolder } from './inspect.js';
import type { BackupFile, BackupManifest } from './backup-server.js';
import { elanusVersion } from './version.js';

export const manifestFile = 'backup.json';

/** DIR/backup.json: the server's manifest plus what restore needs to know about it. */
export interface BackupRecord {
  readonly format: 1;
  readonly elanus: string;
  /** The backup's timestamp (TSO, decimal): it holds exactly the writes acknowledged with earlier timestamps. */
  readonly at: string;
  readonly createdAt: string;
  readonly files: readonly BackupFile[];
}

class Refusal extends Error {
  constructor(message: string, readonly exitCode: 1 | 2) {
    super(message);
  }
}

async function isEmptyOrAbsent(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
  return names.length === 0;
}

/** A path of the manifest, which must stay inside the folder it names a file of. */
function inside(root: string, path: string): string {
  const full = resolve(root, path);
  if (!full.startsWith(resolve(root) + '/')) throw new Refusal(`the manifest names a file outside the folder: ${path}`, 1);
  return full;
}

export async function runBackup(o: { to: string; target: string; token?: string }): Promise<number> {
  try {
    await backup(o);
    return 0;
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    console.error(`elanus backup: ${e.message}`);
    return e.exitCode;
  }
}

async function backup(o: { to: string; target: string; token?: string }): Promise<void> {
  const to = resolve(o.to);
  if (!(await isEmptyOrAbsent(to))) throw new Refusal(`${to} is not empty (a backup goes into a new or empty folder)`, 2);
  const base = `http://${o.target}/_elanus/backup`;
  const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
  const call = async (url: string, init: RequestInit): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(url, { ...init, headers });
    } catch (e) {
      throw new Refusal(`cannot reach the server at ${o.target}: ${(e as Error).message}`, 1);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      throw new Refusal(`the server answered ${res.status}: ${body.message ?? res.statusText}`, 1);
    }
    return res;
  };
  const manifest = (await (await call(base, { method: 'POST' })).json()) as BackupManifest;
  // Tooling (and the test that kills this process half-way) learns the snapshot here.
  process.stdout.write(`snapshot ${manifest.id} at timestamp ${manifest.at}: ${manifest.files.length} files\n`);
  let total = 0;
  try {
    for (const f of manifest.files) {
      const dest = inside(to, f.path);
      await mkdir(dirname(dest), { recursive: true });
      const res = await call(`${base}/${manifest.id}/file?path=${encodeURIComponent(f.path)}`, { method: 'GET' });
      await writeVerified(Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream<Uint8Array>), dest, f, `${o.target} ${f.path}`);
      total += f.bytes;
    }
    const record: BackupRecord = { format: 1, elanus: elanusVersion(), at: manifest.at, createdAt: new Date().toISOString(), files: manifest.files };
    await writeFile(join(to, `${manifestFile}.partial`), JSON.stringify(record, null, 2) + '\n');
    await syncFile(join(to, `${manifestFile}.partial`));
    await rename(join(to, `${manifestFile}.partial`), join(to, manifestFile));
  } finally {
    await fetch(`${base}/${manifest.id}`, { method: 'DELETE', headers }).catch(() => undefined);
  }
  process.stdout.write(`backup of ${manifest.files.length} files (${total} bytes) at timestamp ${manifest.at} in ${to}\n`);
}

/** Copies a stream into `dest` (through dest.partial), failing unless its length and SHA-256 are the manifest's. */
async function writeVerified(from: AsyncIterable<Uint8Array>, dest: string, f: BackupFile, what: string): Promise<void> {
  const partial = `${dest}.partial`;
  const fh = await open(partial, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of from) {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes > f.bytes) break;
      await fh.write(chunk);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  const sha256 = hash.digest('hex');
  if (bytes !== f.bytes || sha256 !== f.sha256) {
    await rm(partial, { force: true });
    throw new Refusal(`${what}: ${bytes} bytes with SHA-256 ${sha256}, the manifest says ${f.bytes} bytes with ${f.sha256}`, 1);
  }
  await rename(partial, dest);
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function runRestore(o: { from: string; dataDir: string }): Promise<number> {
  try {
    await restore(o);
    return 0;
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    console.error(`elanus restore: ${e.message}`);
    return e.exitCode;
  }
}

async function restore(o: { from: string; dataDir: string }): Promise<void> {
  const from = resolve(o.from);
  const target = resolve(o.dataDir);
  const text = await readFile(join(from, manifestFile), 'utf8').catch(() => undefined);
  if (text === undefined) throw new Refusal(`${from} holds no ${manifestFile}: not a backup, or one that did not finish`, 2);
  let record: BackupRecord;
  try {
    record = JSON.parse(text) as BackupRecord;
  } catch (e) {
    throw new Refusal(`${join(from, manifestFile)} is not JSON: ${(e as Error).message}`, 1);
  }
  if (record.format !== 1 || !Array.isArray(record.files)) throw new Refusal(`${join(from, manifestFile)} is not a backup manifest this version reads (format ${String(record.format)})`, 1);
  if (!(await isEmptyOrAbsent(target))) throw new Refusal(`${target} is not empty (restore makes a new data folder)`, 2);

  const work = `${target}.restoring-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  try {
    for (const f of record.files) {
      const src = inside(from, f.path);
      const st = await stat(src).catch(() => undefined);
      if (!st?.isFile()) throw new Refusal(`${f.path} is missing from the backup`, 1);
      const dest = inside(work, f.path);
      await mkdir(dirname(dest), { recursive: true });
      await writeVerified(createReadStream(src), dest, f, `backup file ${f.path}`);
    }
    // The files verify one by one; read together they must also be a whole data folder.
    const report = await inspectFolder(work);
    if (report.damage.length > 0) {
      throw new Refusal(`the restored folder does not check: ${report.damage.map((d) => `${d.kind} ${d.path}: ${d.detail}`).join('; ')}`, 1);
    }
    await rmdir(target).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    await rename(work, target);
    process.stdout.write(`restored ${record.files.length} files of the backup at timestamp ${record.at} into ${target}: ${report.collections.length} collections\n`);
  } catch (e) {
    await rm(work, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}
