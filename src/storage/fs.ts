// All file I/O of the engine goes through this interface, so that tests can supply a
// file system that loses what was not fsynced on a simulated power loss
// (testing/fault-fs.ts). Paths are plain strings joined with '/'.

export interface FileHandle {
  readonly path: string;
  /** Writes all of `data` at `position`. Not durable until `sync()`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Reads up to `length` bytes at `position`; shorter at the end of the file. */
  read(length: number, position: number): Promise<Uint8Array>;
  size(): Promise<number>;
  truncate(length: number): Promise<void>;
  /** Makes the file's data durable (fdatasync). Does not make its directory entry durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileLock {
  release(): Promise<void>;
}

export interface FileSystem {
  /**
   * 'read' opens an existing file; 'append' opens or creates one for reading and
   * writing; 'create' creates a new, empty file and fails if it exists.
   */
  open(path: string, mode: 'read' | 'append' | 'create'): Promise<FileHandle>;
  readFile(path: string): Promise<Uint8Array>;
  /** Writes a whole file (replacing it). Not durable until synced. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates the folder and its parents. The new entries are durable only after syncDir of each parent. */
  mkdir(path: string): Promise<void>;
  /** Removes a folder and everything under it. */
  rmdir(path: string): Promise<void>;
  /** Names (not paths) in a folder, sorted; [] when the folder does not exist. */
  readdir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  /** Makes a folder's entries (creations, renames, removals) durable. */
  syncDir(path: string): Promise<void>;
  /**
   * Takes an exclusive lock on the data folder for this process. Fails with
   * DATA_DIR_LOCKED when a live process holds it.
   */
  lock(path: string): Promise<FileLock>;
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : path.slice(0, i);
}

export function joinPath(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}

/**
 * Replaces a file atomically and durably: write a temporary file, fsync it, rename it
 * over the target, fsync the folder. After a crash the file holds either the old or
 * the new content, never a mix.
 */
export async function writeFileDurable(fs: FileSystem, path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const h = await fs.open(tmp, 'append');
  try {
    await h.truncate(0);
    await h.write(data, 0);
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dirname(path));
}

/** Creates a folder (and its parents) durably. */
export async function mkdirDurable(fs: FileSystem, path: string): Promise<void> {
  if (await fs.exists(path)) return;
  await fs.mkdir(path);
  // Sync every level up to the first one that existed before: a creation is durable
  // only once its parent's entry is.
  let p = path;
  for (let i = 0; i < 64 && p !== '.' && p !== '/'; i++) {
    const parent = dirname(p);
    await fs.syncDir(parent);
    p = parent;
  }
}

/**
 * Whether the folder takes a durable write now: writes a small file, fsyncs it and removes
 * it. Health probes use it after a fault: cutting a file back (truncate) works on a full
 * volume too, so only a write that needs space says the space is back (`bytes` of it:
 * as much as the write that was refused). Throws when not.
 */
export async function probeWritable(fs: FileSystem, dir: string, bytes = 4096): Promise<void> {
  const path = joinPath(dir, '.write-probe');
  const chunk = new Uint8Array(Math.min(bytes, 1024 * 1024));
  try {
    const h = await fs.open(path, 'append');
    try {
      await h.truncate(0);
      for (let at = 0; at < bytes; at += chunk.length) await h.write(chunk.subarray(0, Math.min(chunk.length, bytes - at)), at);
      await h.sync();
    } finally {
      await h.close();
    }
  } finally {
    await fs.unlink(path).catch(() => undefined);
  }
}
