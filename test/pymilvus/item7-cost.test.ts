// Issue 21 item 7: the cost pymilvus reads from a reply's status.
//
// Where pymilvus reads it: search_result.py SearchResult.__init__ sets extra["cost"] =
// int(status.extra_info["report_value"]) when the key is there; types.py
// get_cost_from_status does the same for query (0 when absent); abstract.py
// MutationResult._pack (insert, upsert, delete) reads
// int(extra_info["report_value"] if extra_info else "0") — a non-empty extra_info
// without report_value is a KeyError there, which is why Milvus always puts report_value
// in when it puts anything (internal/proxy/util.go SetStorageCost: "set report_value to 0
// for compatibility", pymilvus PR 2999).
// What Milvus 2.6 writes: internal/proxy/impl.go sets report_value
// (util.go SetReportValue) to what hookutil.GetExtension().Report(...) returns, and only
// when it is > 0. The open-source default extension (internal/util/hookutil/default.go
// DefaultExtension.Report) returns 0, so a stock Milvus 2.6 sends no report_value and
// pymilvus shows cost 0 (a plugin, as on Zilliz Cloud, reports real costs). Storage cost
// keys (scanned_remote_bytes, ...) are off by default (queryNode...storageUsageTrackingEnabled).
// So the contract these tests hold the server to: whatever extra_info it sends,
// pymilvus can read a cost out of it (an integer, in base 10, never negative).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { insertRows, quickSetup, upsertRows, vec } from './flows.js';
import { assertSuccess } from './expect.js';
import { guaranteeAfter, hybridSearchRequest, queryRequest, readCost, readMutationCost, searchRequest } from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const dim = 4;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function costOk(status: any, read: (s: unknown) => number, what: string): void {
  assertSuccess(status, what);
  const cost = read(status);
  assert.ok(Number.isSafeInteger(cost) && cost >= 0, `${what}: cost ${cost}`);
  const extra = status.extra_info ?? {};
  if (Object.keys(extra).length > 0) assert.ok('report_value' in extra, `${what}: extra_info ${JSON.stringify(extra)} without report_value`);
}

test('issue 21 item 7: insert, upsert: MutationResult.cost reads from the status', async () => {
  await quickSetup(w, 'cost_dml', dim);
  const ins = await insertRows(w, 'cost_dml', [{ id: 1, vector: vec(1, dim) }, { id: 2, vector: vec(2, dim) }]);
  costOk(ins.status, readMutationCost, 'Insert');
  const up = await upsertRows(w, 'cost_dml', [{ id: 2, vector: vec(3, dim) }]);
  costOk(up.status, readMutationCost, 'Upsert');
});

test('issue 21 item 7: search, hybrid search and query: SearchResult.extra["cost"] / query cost read from the status', async () => {
  await quickSetup(w, 'cost_dql', dim);
  const ins = await insertRows(w, 'cost_dql', [1, 2, 3].map((id) => ({ id, vector: vec(id, dim) })));
  const ts = guaranteeAfter(ins);
  const s = await w.call('Search', searchRequest('cost_dql', { data: [vec(1, dim)], limit: 2, guaranteeTs: ts }));
  costOk(s.status, readCost, 'Search');
  assert.equal(s.results.topks.map(Number)[0], 2);
  const h = await w.call('HybridSearch', hybridSearchRequest('cost_dql', [
    { data: [vec(1, dim)], annsField: 'vector', param: { metric_type: 'COSINE' }, limit: 2 },
    { data: [vec(2, dim)], annsField: 'vector', param: { metric_type: 'COSINE' }, limit: 2 },
  ], { limit: 2, guaranteeTs: ts }));
  costOk(h.status, readCost, 'HybridSearch');
  const q = await w.call('Query', queryRequest('cost_dql', { filter: 'id >= 1', guaranteeTs: ts }));
  costOk(q.status, readCost, 'Query');
});
