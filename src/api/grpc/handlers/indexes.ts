// Index RPCs. Indexes are recorded and validated by the engine and built in the background
// per flushed segment; the state reported is the engine's (InProgress while rows of
// flushed segments are not indexed yet), so a client that waits for Finished, as pymilvus's
// create_index does, waits for the build.
import { fail } from '../../../errors/index.js';
import { okStatus } from '../../status.js';
import type { CallContext, Handler } from '../context.js';
import { kvToObject, type Kv } from '../convert.js';
import type { IndexState } from '../../../gateway/index.js';

const ok = okStatus;
/** common.IndexState. */
const indexStates: Readonly<Record<IndexState, number>> = { InProgress: 2, Finished: 3, Failed: 4 };

/** CreateIndexRequest.extra_params: index_type, metric_type, params (JSON), and loose build params. */
function indexInput(kv: Kv) {
  const o = kvToObject(kv);
  const { index_type, metric_type, params, ...rest } = o;
  let parsed: Record<string, unknown> = {};
  if (params) {
    try {
      const v = JSON.parse(params) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      parsed = v as Record<string, unknown>;
    } catch {
      fail('INVALID_ARGUMENT', { detail: `index params must be a JSON object, got ${JSON.stringify(params.slice(0, 80))}` });
    }
  }
  return { index_type: index_type || undefined, metric_type: metric_type || undefined, params: { ...rest, ...parsed } };
}

function descriptions(list: Array<{ index_name: string; indexID: number; params: Kv; field_name: string; indexed_rows: number; total_rows: number; pending_index_rows: number; index_state_fail_reason: string; state: IndexState }>) {
  return list.map((d) => ({
    index_name: d.index_name, indexID: String(d.indexID), params: d.params, field_name: d.field_name,
    indexed_rows: String(d.indexed_rows), total_rows: String(d.total_rows), state: indexStates[d.state],
    index_state_fail_reason: d.index_state_fail_reason, pending_index_rows: String(d.pending_index_rows),
    min_index_version: 0, max_index_version: 0,
  }));
}

const target = (r: { collection_name: string; field_name?: string; index_name?: string }, ctx: CallContext) => ({
  db_name: ctx.db, collection_name: r.collection_name, field_name: r.field_name || undefined, index_name: r.index_name || undefined,
});

export const indexHandlers: Record<string, Handler> = {
  async CreateIndex(r, ctx) {
    await ctx.engine.createIndex({ db_name: ctx.db, collection_name: r.collection_name, field_name: r.field_name, index_name: r.index_name || undefined, ...indexInput(r.extra_params) });
    return ok as unknown as Record<string, unknown>;
  },
  async DescribeIndex(r, ctx) {
    const d = await ctx.engine.describeIndex(target(r, ctx));
    return { status: ok, index_descriptions: descriptions(d.index_descriptions) };
  },
  async GetIndexStatistics(r, ctx) {
    const d = await ctx.engine.getIndexStatistics(target(r, ctx));
    return { status: ok, index_descriptions: descriptions(d.index_descriptions) };
  },
  async DropIndex(r, ctx) {
    await ctx.engine.dropIndex(target(r, ctx));
    return ok as unknown as Record<string, unknown>;
  },
  async AlterIndex(r, ctx) {
    const req = { db_name: ctx.db, collection_name: r.collection_name, index_name: r.index_name };
    if ((r.extra_params ?? []).length > 0) await ctx.engine.alterIndex({ ...req, params: kvToObject(r.extra_params) });
    if ((r.delete_keys ?? []).length > 0) await ctx.engine.dropIndexProperties({ ...req, properties: r.delete_keys });
    return ok as unknown as Record<string, unknown>;
  },
  async GetIndexState(r, ctx) {
    const s = await ctx.engine.getIndexState(target(r, ctx));
    return { status: ok, state: indexStates[s.state], fail_reason: s.fail_reason };
  },
  async GetIndexBuildProgress(r, ctx) {
    const p = await ctx.engine.getIndexBuildProgress(target(r, ctx));
    return { status: ok, indexed_rows: String(p.indexed_rows), total_rows: String(p.total_rows) };
  },
};
