// Shared pieces of the engine's API tests: opening an engine on a fresh folder (real
// disk under os.tmpdir(), or the in-memory FaultFileSystem), reopening it on the same
// folder, exact counts, and small schema and row builders.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, type FieldInput } from '../../src/catalog/index.js';
import { Elanus, type OpenOptions } from '../../src/engine/index.js';
import type { FileSystem } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';

export { DataType };

/** An engine on a fresh folder, with what a test needs to reopen it and to clean up. */
export interface EngineHandle {
  db: Elanus;
  readonly path: string;
  readonly fs: FileSystem | undefined;
  /** Closes the engine (if open) and opens it again on the same folder. */
  reopen(): Promise<Elanus>;
  /** Opens a second engine on the same folder without closing the first. */
  openAgain(): Promise<Elanus>;
  /** Closes the engine and removes the folder. */
  dispose(): Promise<void>;
}

export interface OpenEngineOptions {
  /** 'disk' (default): a temp folder with the real file system; 'memory': FaultFileSystem. */
  storage?: 'disk' | 'memory';
  limits?: OpenOptions['limits'];
  shardsDefault?: number;
  /** Data nodes the shards are spread over (OpenOptions.dataNodes). */
  dataNodes?: number;
  /** Self-repairs and health changes (every open and reopen reports to the same one). */
  events?: OpenOptions['events'];
}

export async function openEngine(o: OpenEngineOptions = {}): Promise<EngineHandle> {
  const memory = o.storage === 'memory';
  const fs = memory ? new FaultFileSystem({ seed: 11 }) : undefined;
  const path = memory ? '/data/elanus' : await mkdtemp(join(tmpdir(), 'elanus-engine-'));
  const open = () => Elanus.open({
    path,
    ...(fs ? { fs } : {}),
    limits: { backgroundIntervalMs: 0, ...o.limits },
    ...(o.shardsDefault ? { shardsDefault: o.shardsDefault } : {}),
    ...(o.dataNodes !== undefined ? { dataNodes: o.dataNodes } : {}),
    ...(o.events ? { events: o.events } : {}),
  });
  const h: EngineHandle = {
    db: await open(),
    path,
    fs,
    async reopen() {
      await h.db.close();
      h.db = await open();
      return h.db;
    },
    openAgain: open,
    async dispose() {
      await h.db.close();
      if (!memory) await rm(path, { recursive: true, force: true });
    },
  };
  return h;
}

/** Runs `body` on a fresh engine and always closes it. */
export async function withEngine(body: (db: Elanus, h: EngineHandle) => Promise<void>, o: OpenEngineOptions = {}): Promise<void> {
  const h = await openEngine(o);
  try {
    await body(h.db, h);
  } finally {
    await h.dispose();
  }
}

/** count(*) at Strong consistency: every acknowledged write is in it. */
export async function countOf(db: Elanus, collection_name: string, extra: { partition_names?: string[]; db_name?: string; filter?: string } = {}): Promise<number> {
  const r = await db.count({ collection_name, consistency_level: 'Strong', ...extra });
  return r.data;
}

/** A deterministic float vector for row `i`. */
export function vec(i: number, dim: number): number[] {
  return Array.from({ length: dim }, (_, k) => Math.fround(Math.sin(i * 0.7 + k * 1.3) + (k === 0 ? i * 1e-3 : 0)));
}

/** id Int64 + vector FloatVector(dim), plus any extra fields. */
export function basicFields(dim = 4, extra: FieldInput[] = []): FieldInput[] {
  return [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'vector', data_type: DataType.FloatVector, dim },
    ...extra,
  ];
}

/** Creates a basic collection (optionally loaded) and returns its name. */
export async function createBasic(db: Elanus, name: string, o: { dim?: number; extra?: FieldInput[]; load?: boolean; db_name?: string; dynamic?: boolean } = {}): Promise<string> {
  await db.createCollection({
    collection_name: name,
    fields: basicFields(o.dim ?? 4, o.extra ?? []),
    ...(o.db_name ? { db_name: o.db_name } : {}),
    ...(o.dynamic ? { enable_dynamic_field: true } : {}),
  });
  if (o.load !== false) await db.loadCollection({ collection_name: name, ...(o.db_name ? { db_name: o.db_name } : {}) });
  return name;
}

/** Rows for the basic schema: ids from..to-1. */
export function basicRows(from: number, to: number, dim = 4, extra: (i: number) => Record<string, unknown> = () => ({})): Array<Record<string, unknown>> {
  return Array.from({ length: to - from }, (_, k) => ({ id: from + k, vector: vec(from + k, dim), ...extra(from + k) }));
}

/** The ids of rows, sorted numerically (Int64 keys beyond 2^53 come back as strings). */
export function idsOf(rows: ReadonlyArray<Record<string, unknown>>, field = 'id'): Array<number | string> {
  return rows.map((r) => r[field] as number | string).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Asserts two float arrays agree within an absolute tolerance per component. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what = 'vector'): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: got ${got[i]}, want ${want[i]} ± ${tol}`);
  }
}
