// Shared pieces of the log's tests: file systems to run on, a wrapper that counts
// fsyncs, and small builders for payloads.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileHandle, FileLock, FileSystem } from '../../src/storage/index.js';
import { NodeFileSystem } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';

/** A file system to run a suite on, with its cleanup. */
export interface FsCase {
  readonly name: string;
  make(): Promise<{ fs: FileSystem; dir: string; cleanup(): Promise<void> }>;
}

export const fsCases: readonly FsCase[] = [
  {
    name: 'FaultFileSystem',
    async make() {
      return { fs: new FaultFileSystem({ seed: 7 }), dir: '/data/wal', cleanup: async () => undefined };
    },
  },
  {
    name: 'NodeFileSystem',
    async make() {
      const root = await mkdtemp(join(tmpdir(), 'elanus-wal-'));
      return {
        fs: new NodeFileSystem(),
        dir: join(root, 'wal'),
        cleanup: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
];

export function payloadOf(i: number, size = 1 + (i % 37)): Uint8Array {
  const p = new Uint8Array(size);
  for (let j = 0; j < size; j++) p[j] = (i * 31 + j * 7) & 0xff;
  return p;
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function decode(p: Uint8Array): string {
  return new TextDecoder().decode(p);
}

/** Counts fsyncs (file and folder) and writes going through it. */
export class CountingFileSystem implements FileSystem {
  fileSyncs = 0;
  dirSyncs = 0;
  writes = 0;
  /** When set, every file sync waits for this before it runs. */
  syncGate: Promise<void> | undefined;
  /** Resolved each time a file sync is requested. */
  onSync: (() => void) | undefined;

  constructor(readonly inner: FileSystem) {}

  async open(path: string, mode: 'read' | 'append' | 'create'): Promise<FileHandle> {
    return new CountingHandle(await this.inner.open(path, mode), this);
  }
  readFile(path: string) { return this.inner.readFile(path); }
  writeFile(path: string, data: Uint8Array) { return this.inner.writeFile(path, data); }
  rename(from: string, to: string) { return this.inner.rename(from, to); }
  unlink(path: string) { return this.inner.unlink(path); }
  mkdir(path: string) { return this.inner.mkdir(path); }
  rmdir(path: string) { return this.inner.rmdir(path); }
  readdir(path: string) { return this.inner.readdir(path); }
  exists(path: string) { return this.inner.exists(path); }
  syncDir(path: string) {
    this.dirSyncs++;
    return this.inner.syncDir(path);
  }
  lock(path: string): Promise<FileLock> { return this.inner.lock(path); }
}

class CountingHandle implements FileHandle {
  readonly path: string;
  constructor(private readonly h: FileHandle, private readonly c: CountingFileSystem) {
    this.path = h.path;
  }
  write(data: Uint8Array, position: number) {
    this.c.writes++;
    return this.h.write(data, position);
  }
  read(length: number, position: number) { return this.h.read(length, position); }
  size() { return this.h.size(); }
  truncate(length: number) { return this.h.truncate(length); }
  async sync() {
    this.c.fileSyncs++;
    this.c.onSync?.();
    if (this.c.syncGate) await this.c.syncGate;
    return this.h.sync();
  }
  close() { return this.h.close(); }
}

/** Reads every durable record of a topic from its start. */
export async function readAll(wal: { read(t: string, from: number, max: number): Promise<Array<{ offset: number; payload: Uint8Array }>>; startOffset(t: string): number }, topic: string) {
  const out: Array<{ offset: number; payload: Uint8Array }> = [];
  let from = wal.startOffset(topic);
  for (;;) {
    const batch = await wal.read(topic, from, 1000);
    if (batch.length === 0) return out;
    out.push(...batch);
    from = (batch.at(-1) as { offset: number }).offset + 1;
  }
}
