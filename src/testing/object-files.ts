// The engine's objects (segment, L0 delete and vector index files) seen from outside,
// as files in a data folder: for tests that damage or inspect them, and for the
// verifier's check that no file outlives what the catalog names. The engine opens its
// ObjectStore (storage/fs-object-store.ts) at <data folder>/objects (engine/elanus.ts);
// a test that reads a key after a flush fails if the two ever disagree.
//
// These read and write the files directly, without the store's lock, so they work while
// an engine holds the folder; writes are not durable (for tests of a closed engine).
import {
  type FileSystem, NodeFileSystem, fileNameOf, joinPath, keyOfFileName, objectBytesOfFile, objectFileBytes, objectFilesFolder,
} from '../storage/index.js';

const storeFolder = 'objects';

/** The file that holds object `key` of the engine whose data folder is `dataDir`. */
export function objectFilePath(dataDir: string, key: string): string {
  return joinPath(dataDir, storeFolder, objectFilesFolder, fileNameOf(key));
}

/** The objects whose keys start with `prefix`, sorted by key, each with its file. */
export async function listObjectFiles(dataDir: string, prefix = '', fs: FileSystem = new NodeFileSystem()): Promise<Array<{ key: string; path: string }>> {
  const out: Array<{ key: string; path: string }> = [];
  for (const name of await fs.readdir(joinPath(dataDir, storeFolder, objectFilesFolder))) {
    const key = keyOfFileName(name);
    if (key !== undefined && key.startsWith(prefix)) out.push({ key, path: objectFilePath(dataDir, key) });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Names in the store's folder that are not objects: puts a crash interrupted. */
export async function temporaryObjectFiles(dataDir: string, fs: FileSystem = new NodeFileSystem()): Promise<string[]> {
  return (await fs.readdir(joinPath(dataDir, storeFolder, objectFilesFolder))).filter((n) => keyOfFileName(n) === undefined);
}

/** The bytes of object `key` (CORRUPT_DATA when its file is not whole). */
export async function readObjectFile(dataDir: string, key: string, fs: FileSystem = new NodeFileSystem()): Promise<Uint8Array> {
  const path = objectFilePath(dataDir, key);
  return objectBytesOfFile(path, await fs.readFile(path));
}

/** Makes `bytes` object `key`, whole (header and checksum right): as a put would leave it. */
export async function writeObjectFile(dataDir: string, key: string, bytes: Uint8Array, fs: FileSystem = new NodeFileSystem()): Promise<void> {
  await fs.writeFile(objectFilePath(dataDir, key), objectFileBytes(bytes));
}
