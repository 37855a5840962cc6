// Index definitions (create, describe, alter, drop) and the state of their builds.
// A role of the embedded engine (engine/README.md): its state is the engine core's,
// shared with the other roles; it reaches them only through core.roles.
import { fail } from '../errors/index.js';
import { type CollectionMeta, catalogKeys } from '../catalog/index.js';
import { type AlterIndexReq, type CreateIndexReq, type DropIndexPropertiesReq, type IndexDescription, type IndexReq, type IndexState, describeIndexRow, findIndexByName, isVectorIndex, matchIndexes, planCreateIndex, reportedFieldName, selectIndexes } from '../gateway/indexes.js';
import { type IndexMeta, indexesOf, indexPropertyRules, normalizeIndexProperty, requireIndexProperty } from '../catalog/index.js';
import { type CollectionReq, status } from '../gateway/requests.js';
import { type EngineCore } from './core.js';

export class IndexRole {
  constructor(private readonly core: EngineCore) {}

  // ---------------------------------------------------------------- indexes
  //
  // Index specifications, recorded and validated as Milvus does (gateway/indexes.ts,
  // catalog/indexes.ts); every change is one catalog commit in the coordinator queue.
  // Vector index structures are built per flushed segment in the background
  // (vector-indexes.ts); progress counts the rows of flushed segments whose index is
  // ready. Scalar indexes are built per segment on first use by the filter executor.

  /**
   * Records an index on a field (on a JSON field, on one path of it). The same definition
   * again succeeds; another one in the same place is INDEX_NOT_DISTINCT (same name) or
   * INDEX_FIELD_HAS_INDEX (another name), as Milvus refuses them.
   */
  createIndex(req: CreateIndexReq | CreateIndexReq[]): Promise<typeof status> {
    if (Array.isArray(req)) {
      // The SDK accepts a list and sends one request per index; so do we, in order.
      return (async () => {
        for (const r of req) await this.createIndex(r);
        return status;
      })();
    }
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const plan = planCreateIndex(coll, req);
      if (plan.kind === 'exists') return status;
      const index: IndexMeta = {
        indexId: this.core.ids.next(),
        indexName: plan.name,
        fieldId: plan.field.fieldId,
        fieldName: plan.field.name,
        indexType: plan.spec.indexType,
        ...(plan.spec.metricType !== undefined ? { metricType: plan.spec.metricType } : {}),
        params: plan.spec.params,
        ...(plan.jsonPath !== undefined ? { jsonPath: plan.jsonPath, jsonCastType: plan.spec.jsonCastType! } : {}),
        createdTs: this.core.tso.next().toString(),
      };
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, indexes: [...indexesOf(coll), index] } } });
      this.core.vindex.schedule();
      this.core.interim.schedule();
      return status;
    });
  }

  async describeIndex(req: IndexReq): Promise<{ status: typeof status; index_descriptions: IndexDescription[] }> {
    const { coll, data } = this.core.live(req);
    const found = selectIndexes(coll, req);
    return { status, index_descriptions: found.map((i) => describeIndexRow(i, this.core.vindex.progress(coll, data, i))) };
  }

  /** Milvus's GetIndexStatistics answers with the same descriptions as DescribeIndex. */
  getIndexStatistics(req: IndexReq): Promise<{ status: typeof status; index_descriptions: IndexDescription[] }> {
    return this.describeIndex(req);
  }

  async listIndexes(req: CollectionReq & { field_name?: string }): Promise<{ status: typeof status; indexes: string[] }> {
    const { coll } = this.core.live(req);
    const fieldName = req.field_name;
    return { status, indexes: indexesOf(coll).filter((i) => !fieldName || i.fieldName === fieldName || reportedFieldName(i) === fieldName).map((i) => i.indexName) };
  }

  async hasIndex(req: IndexReq): Promise<{ status: typeof status; value: boolean }> {
    const { coll } = this.core.live(req);
    return { status, value: matchIndexes(coll, req).length > 0 };
  }

  /** Finished once every flushed segment has the index; Failed when a build failed (the reason says why). */
  async getIndexState(req: IndexReq): Promise<{ status: typeof status; state: IndexState; fail_reason: string }> {
    const { coll, data } = this.core.live(req);
    const found = selectIndexes(coll, req);
    const rows = found.map((i) => describeIndexRow(i, this.core.vindex.progress(coll, data, i)));
    const failed = rows.find((r) => r.state === 'Failed');
    if (failed) return { status, state: 'Failed', fail_reason: failed.index_state_fail_reason };
    return { status, state: rows.every((r) => r.state === 'Finished') ? 'Finished' : 'InProgress', fail_reason: '' };
  }

  async getIndexBuildProgress(req: IndexReq): Promise<{ status: typeof status; indexed_rows: number; total_rows: number; pending_index_rows: number }> {
    const { coll, data } = this.core.live(req);
    const found = selectIndexes(coll, req);
    let indexed = 0;
    let total = 0;
    for (const i of found) {
      const p = this.core.vindex.progress(coll, data, i);
      indexed += p.indexedRows;
      total += p.totalRows;
    }
    return { status, indexed_rows: indexed, total_rows: total, pending_index_rows: total - indexed };
  }

  /**
   * Drops the named index (by index_name or field_name; with neither, the collection's only
   * index). As in Milvus, dropping an index that does not exist succeeds, and a vector
   * field's index cannot be dropped while the collection is loaded.
   */
  dropIndex(req: IndexReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const targets = matchIndexes(coll, req);
      if (targets.length === 0) return status;
      if (targets.length > 1) fail('INVALID_ARGUMENT', { detail: `collection "${coll.name}" has ${targets.length} indexes (${targets.map((i) => i.indexName).join(', ')}); say which with index_name` });
      const index = targets[0]!;
      if (coll.loaded && isVectorIndex(coll, index)) fail('VECTOR_INDEX_LOADED', { id: coll.id, name: coll.name, index: index.indexName });
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, indexes: indexesOf(coll).filter((i) => i.indexId !== index.indexId) } } });
      await this.core.vindex.forgetIndex(coll.id, index.indexId);
      return status;
    });
  }

  /** Sets index properties (mmap.enabled); build parameters cannot change. Refused while loaded, as in Milvus. */
  alterIndex(req: AlterIndexReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const index = findIndexByName(coll, req.index_name);
      const given = req.params ?? req.properties;
      if (typeof given !== 'object' || given === null || Array.isArray(given) || Object.keys(given).length === 0) {
        fail('INVALID_ARGUMENT', { detail: `params must be an object of index properties (${Object.keys(indexPropertyRules).join(', ')})` });
      }
      const params = { ...index.params };
      for (const [k, v] of Object.entries(given)) params[k] = normalizeIndexProperty(index, k, v);
      if (coll.loaded) fail('COLLECTION_LOADED', { name: coll.name, action: `altering index "${index.indexName}"` });
      await this.commitIndex(coll, { ...index, params });
      return status;
    });
  }

  /** The SDK's name for alterIndex. */
  alterIndexProperties(req: AlterIndexReq): Promise<typeof status> {
    return this.alterIndex(req);
  }

  /** Removes index properties (mmap.enabled), returning them to their defaults. */
  dropIndexProperties(req: DropIndexPropertiesReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const index = findIndexByName(coll, req.index_name);
      if (!Array.isArray(req.properties) || req.properties.length === 0) fail('INVALID_ARGUMENT', { detail: 'properties must be a non-empty array of property names' });
      const params = { ...index.params };
      for (const k of req.properties) {
        requireIndexProperty(index, String(k));
        delete params[String(k)];
      }
      if (coll.loaded) fail('COLLECTION_LOADED', { name: coll.name, action: `altering index "${index.indexName}"` });
      await this.commitIndex(coll, { ...index, params });
      return status;
    });
  }

  private async commitIndex(coll: CollectionMeta, index: IndexMeta): Promise<void> {
    const indexes = indexesOf(coll).map((i) => (i.indexId === index.indexId ? index : i));
    await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, indexes } } });
  }

  /** Rows an index covers: every visible row, at a timestamp after all acknowledged writes. */
  /** Vector index builds and loads so far, and the memory the ready indexes hold. */
  vectorIndexStats(): { built: number; loaded: number; failed: number; discarded: number; memoryBytes: number; interim: { chunks: number; built: number; failed: number; dropped: number; memoryBytes: number } } {
    return {
      ...this.core.vindex.stats,
      memoryBytes: this.core.vindex.memoryBytes(),
      interim: { chunks: this.core.interim.chunkCount(), ...this.core.interim.stats, memoryBytes: this.core.interim.memoryBytes() },
    };
  }

  /** Waits until every vector index build or load scheduled so far is done (tests, tools, benchmarks). */
  async waitForIndexes(): Promise<{ built: number; loaded: number; failed: number; discarded: number }> {
    await this.core.interim.idle();
    await this.core.vindex.idle();
    await this.core.interim.idle();
    return { ...this.core.vindex.stats };
  }
}

