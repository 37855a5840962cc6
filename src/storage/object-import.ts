// Moves files written before the ObjectStore existed into it: a folder of folders of
// files (the engine's old `segments/<collection>/<file>`) becomes keys
// `<prefix><folder>/<file>` with the same bytes, and the folder goes.
//
// Crash-safe and idempotent, so an open that dies in the middle is simply run again:
// each file is put (atomic, durable once it resolves) before it is removed, so at every
// moment its bytes are in the store, in the folder, or in both; a file found again
// after a crash is put again with the same bytes. A folder is removed whole once its
// files are in the store, and its removal is made durable before the next one starts.
import type { FileSystem } from './fs.js';
import { joinPath, dirname } from './fs.js';
import { type ObjectStore, isObjectKey } from './object.js';

export interface ImportResult {
  /** Keys put into the store. */
  readonly imported: readonly string[];
  /** Entries removed without import: names that are not keys, or files outside a subfolder. */
  readonly dropped: readonly string[];
}

/** Imports `dir` (if it exists) into `store` under `prefix` and removes it. */
export async function importFolder(fs: FileSystem, dir: string, store: ObjectStore, prefix: string): Promise<ImportResult> {
  const imported: string[] = [];
  const dropped: string[] = [];
  if (!(await fs.exists(dir))) return { imported, dropped };
  for (const sub of await fs.readdir(dir)) {
    const folder = joinPath(dir, sub);
    let names: string[];
    try {
      names = await fs.readdir(folder);
    } catch {
      // A file where a folder belongs (ENOTDIR): nothing the old layout wrote.
      dropped.push(`${prefix}${sub}`);
      continue;
    }
    for (const name of names) {
      const key = `${prefix}${sub}/${name}`;
      if (!isObjectKey(key)) {
        dropped.push(key);
        continue;
      }
      await store.put(key, await fs.readFile(joinPath(folder, name)));
      await fs.unlink(joinPath(folder, name));
      imported.push(key);
    }
    // What is left (names that are not keys) goes with the folder.
    await fs.rmdir(folder);
    await fs.syncDir(dir);
  }
  await fs.rmdir(dir);
  await fs.syncDir(dirname(dir));
  return { imported, dropped };
}
