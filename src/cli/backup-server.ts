// The server's side of `elanus backup` (docs in README.md, "Backup and restore"):
//
//   POST   /_elanus/backup                 takes a snapshot; answers its id, timestamp and files
//   GET    /_elanus/backup/<id>/file?path=  one file of it, exactly the bytes listed
//   DELETE /_elanus/backup/<id>             releases it
//
// A snapshot is the engine's backup view (engine/backup.ts: one instant, while writes go
// on) made to last: its files are hard-linked into <dataDir>/backup-staging/<id>/ at once,
// so a compaction or a log truncation that removes them from the folder meanwhile takes
// nothing from the backup (segment, L0 and index files are never changed in place; log
// segment files only grow, and the listing says how many bytes belong to the backup). A
// file that went before it could be linked makes the snapshot start over at a new
// instant. The metadata is written there as one snapshot file.
//
// A backup process killed half-way leaves its snapshot behind: one unused for
// backupIdleMs is removed, as are all of them when the server starts.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { addressOf, type Authenticator } from '../api/auth.js';
import { rootUser, type Elanus } from '../engine/index.js';
import { ElanusError } from '../errors/index.js';
import { toElanusError } from '../api/status.js';
import { fileNameOf, objectFilesFolder } from '../storage/index.js';
import { headerlessFileName, segmentBytesBelow, segmentFileBase, topicFolder, topicMetaFileName } from '../wal/index.js';

/** A snapshot nobody has read from for this long is removed (its backup process died). */
export const backupIdleMs = 60_000;
/** Snapshots taken again when a file went before it was linked, before giving up. */
const snapshotAttemptsMax = 8;
export const stagingFolder = 'backup-staging';

/** One file of a backup: its path in a data folder, its length and SHA-256. */
export interface BackupFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface BackupManifest {
  readonly id: string;
  /** The backup's timestamp (TSO, decimal): it holds exactly the writes with earlier timestamps. */
  readonly at: string;
  readonly files: readonly BackupFile[];
}

interface Snapshot {
  readonly dir: string;
  readonly manifest: BackupManifest;
  readonly bytesOf: ReadonlyMap<string, number>;
  lastUsedMs: number;
}

export function registerBackupRoutes(app: FastifyInstance, engine: Elanus, dataDir: string, logger: Logger, auth?: Authenticator): () => Promise<void> {
  const staging = join(dataDir, stagingFolder);
  const snapshots = new Map<string, Snapshot>();
  // Left by a server that stopped with backups open (or was killed): nothing reads them now.
  const cleared = rm(staging, { recursive: true, force: true });
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, s] of snapshots) {
      if (now - s.lastUsedMs < backupIdleMs) continue;
      snapshots.delete(id);
      logger.warn({ backup: id }, 'backup: snapshot unused for too long, removed (its backup process stopped?)');
      void rm(s.dir, { recursive: true, force: true }).catch(() => {});
    }
  }, Math.min(5_000, backupIdleMs)).unref();

  void app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      if (!auth) return;
      try {
        const header = req.headers.authorization;
        const user = await auth.authenticateHttp(typeof header === 'string' ? header : undefined, addressOf(req.socket.remoteAddress));
        // A backup holds every database's data: only root may take one.
        if (user !== rootUser) return sendError(reply, 403, new ElanusError('AUTH_FAILED', {}));
      } catch (e) {
        const err = toElanusError(e);
        return sendError(reply, err.spec.httpStatus, err);
      }
    });

    scope.post('/_elanus/backup', async (_req, reply) => {
      await cleared;
      try {
        const s = await takeSnapshot(engine, staging);
        snapshots.set(s.manifest.id, s);
        logger.info({ backup: s.manifest.id, at: s.manifest.at, files: s.manifest.files.length }, 'backup: snapshot taken');
        return reply.send(s.manifest);
      } catch (e) {
        const err = toElanusError(e);
        if (err.code === 'INTERNAL') logger.error({ err: e }, 'backup: snapshot failed');
        return sendError(reply, err.spec.httpStatus, err);
      }
    });

    scope.get<{ Params: { id: string }; Querystring: { path?: string } }>('/_elanus/backup/:id/file', async (req, reply) => {
      const s = snapshots.get(req.params.id);
      if (!s) return sendError(reply, 404, new ElanusError('BACKUP_NOT_FOUND', { id: req.params.id }));
      const path = String(req.query.path ?? '');
      const bytes = s.bytesOf.get(path);
      if (bytes === undefined) return sendError(reply, 404, new ElanusError('BACKUP_NOT_FOUND', { id: `${req.params.id} file ${path}` }));
      s.lastUsedMs = Date.now();
      reply.header('content-type', 'application/octet-stream').header('content-length', bytes);
      if (bytes === 0) return reply.send(Buffer.alloc(0));
      const stream = createReadStream(join(s.dir, path), { start: 0, end: bytes - 1 });
      // A reader that goes away (killed) ends the stream; the snapshot stays until released or idle.
      stream.on('data', () => (s.lastUsedMs = Date.now()));
      return reply.send(stream);
    });

    scope.delete<{ Params: { id: string } }>('/_elanus/backup/:id', async (req, reply) => {
      const s = snapshots.get(req.params.id);
      if (!s) return sendError(reply, 404, new ElanusError('BACKUP_NOT_FOUND', { id: req.params.id }));
      snapshots.delete(req.params.id);
      await rm(s.dir, { recursive: true, force: true });
      return reply.send({ released: req.params.id });
    });
  });

  return async () => {
    clearInterval(sweeper);
    await cleared.catch(() => {});
    snapshots.clear();
    await rm(staging, { recursive: true, force: true }).catch(() => {});
  };
}

function sendError(reply: FastifyReply, status: number, e: ElanusError): FastifyReply {
  return reply.code(status).send({ code: e.spec.milvusCode, errorCode: e.code, message: e.message });
}

/** A snapshot whose files are all linked, taken again (at a new instant) while one goes missing first. */
async function takeSnapshot(engine: Elanus, staging: string): Promise<Snapshot> {
  for (let attempt = 1; ; attempt++) {
    const id = randomUUID();
    const dir = join(staging, id);
    try {
      const files = await linkView(engine, dir);
      const manifest: BackupManifest = { id, at: files.at, files: files.list };
      return { dir, manifest, bytesOf: new Map(files.list.map((f) => [f.path, f.bytes])), lastUsedMs: Date.now() };
    } catch (e) {
      await rm(dir, { recursive: true, force: true }).catch(() => {});
      if (!(e instanceof Gone) || attempt >= snapshotAttemptsMax) {
        if (e instanceof Gone) throw new ElanusError('TIMEOUT', { what: `a backup snapshot (${attempt} attempts: ${e.message})`, ms: 0 });
        throw e;
      }
    }
  }
}

/** A file the view names went before it was linked (compacted, truncated, dropped): take the snapshot again. */
class Gone extends Error {}

async function linkView(engine: Elanus, dir: string): Promise<{ at: string; list: BackupFile[] }> {
  const view = await engine.backupView();
  const root = view.path;
  const out: Array<{ path: string; bytes: number | 'whole' }> = [];
  const linkFile = async (rel: string, optional: boolean): Promise<boolean> => {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    try {
      await link(join(root, rel), join(dir, rel));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (optional) return false;
      throw new Gone(`${rel} is gone`);
    }
  };

  await mkdir(join(dir, 'meta'), { recursive: true });
  await writeFile(join(dir, 'meta', 'snapshot'), view.metaSnapshot);
  out.push({ path: 'meta/snapshot', bytes: 'whole' });

  const objectPath = (key: string) => join(objectFilesFolder, objectFilesFolder, fileNameOf(key));
  for (const key of view.objects) {
    await linkFile(objectPath(key), false);
    out.push({ path: objectPath(key), bytes: 'whole' });
  }
  // An index not built yet (or replaced meanwhile) is built again after the restore.
  for (const key of view.indexFiles) if (await linkFile(objectPath(key), true)) out.push({ path: objectPath(key), bytes: 'whole' });

  const walRoot = join(root, 'wal');
  if (await linkFile(join('wal', headerlessFileName), true)) out.push({ path: join('wal', headerlessFileName), bytes: 'whole' });
  for (const log of view.logs) {
    const topicDir = topicFolder(walRoot, log.topic);
    const rel = (name: string) => join('wal', topicDir.slice(walRoot.length + 1), name);
    const names = await readdir(topicDir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new Gone(`log topic ${log.topic} is gone`);
      throw e;
    });
    await linkFile(rel(topicMetaFileName), false);
    out.push({ path: rel(topicMetaFileName), bytes: 'whole' });
    const segments = names.map((name) => ({ name, base: segmentFileBase(name) }))
      .filter((f): f is { name: string; base: number } => f.base !== undefined && f.base <= log.end)
      .sort((a, b) => a.base - b.base);
    // The files must still hold every record from the checkpoint on (none truncated since the view).
    if (segments.length === 0 || segments[0]!.base > log.from) throw new Gone(`log topic ${log.topic} was truncated past ${log.from}`);
    for (const [i, f] of segments.entries()) {
      await linkFile(rel(f.name), false);
      if (i < segments.length - 1) {
        out.push({ path: rel(f.name), bytes: 'whole' });
        continue;
      }
      // The last file: only the records below the view's end (the server appends past it).
      const bytes = segmentBytesBelow(await readFile(join(dir, rel(f.name))), f.base, log.end);
      if (bytes === undefined) throw new ElanusError('INTERNAL', { detail: `log topic ${log.topic} holds fewer records than the ${log.end} applied` });
      out.push({ path: rel(f.name), bytes });
    }
  }

  const list: BackupFile[] = [];
  for (const f of out) {
    const bytes = f.bytes === 'whole' ? (await stat(join(dir, f.path))).size : f.bytes;
    list.push({ path: f.path, bytes, sha256: await sha256Of(join(dir, f.path), bytes) });
  }
  return { at: view.at.toString(), list };
}

/** SHA-256 of the first `bytes` bytes of a file, read as a stream. */
export async function sha256Of(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  if (bytes > 0) for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

