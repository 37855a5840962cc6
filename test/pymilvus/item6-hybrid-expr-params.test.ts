// Issue 21 item 6: hybrid search honours the template values (expr_params) of each
// sub-request.
//
// pymilvus: AnnSearchRequest(expr=..., expr_params=...) becomes one SearchRequest per
// sub-request with its own dsl and expr_template_values (grpc_handler.py hybrid_search →
// prepare.py search_requests_with_expr). Milvus: internal/proxy/search_util.go
// convertHybridSearchToSearch copies each request's ExprTemplateValues into its
// SubSearchRequest, and task_search.go initAdvancedSearchRequest plans each sub-request
// with tryGeneratePlan(subReq.GetSearchParams(), subReq.GetDsl(),
// subReq.GetExprTemplateValues()).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { createIndexAndWait, insertRows, loadAndWait } from './flows.js';
import { assertSuccess } from './expect.js';
import { DataType, createCollectionRequest, guaranteeAfter, hybridSearchRequest, queryRequest, queryRowCount, searchRequest, type SchemaSpec } from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const dim = 4;
const schema: SchemaSpec = {
  enableDynamicField: false,
  fields: [
    { name: 'id', type: DataType.Int64, isPrimary: true },
    { name: 'dense', type: DataType.FloatVector, params: { dim } },
    { name: 'other', type: DataType.FloatVector, params: { dim } },
    { name: 'n', type: DataType.Int64 },
    { name: 'tag', type: DataType.VarChar, params: { max_length: 16 } },
  ],
};

async function prepared(name: string): Promise<string> {
  assertSuccess(await w.call('CreateCollection', createCollectionRequest(name, schema)), 'CreateCollection');
  await createIndexAndWait(w, name, 'dense', { indexType: 'FLAT', metricType: 'L2' });
  await createIndexAndWait(w, name, 'other', { indexType: 'FLAT', metricType: 'L2' });
  await loadAndWait(w, name);
  const rows = [1, 2, 3, 4, 5, 6].map((id) => ({ id, dense: [id, 0, 0, 0], other: [0, id, 0, 0], n: id, tag: id % 2 ? 'odd' : 'even' }));
  const r = await insertRows(w, name, rows);
  return guaranteeAfter(r);
}

test('issue 21 item 6: each sub-request of a hybrid search is filtered with its own expr_params', async () => {
  const ts = await prepared('hybrid_params');
  const h = await w.call('HybridSearch', hybridSearchRequest('hybrid_params', [
    { data: [[0, 0, 0, 0]], annsField: 'dense', param: { metric_type: 'L2' }, limit: 10, expr: 'n > {lo}', exprParams: { lo: 4 } },
    { data: [[0, 0, 0, 0]], annsField: 'other', param: { metric_type: 'L2' }, limit: 10, expr: 'n in {ids} and tag == {t}', exprParams: { ids: [1, 2, 3], t: 'odd' } },
  ], { limit: 10, outputFields: ['n'], guaranteeTs: ts }));
  assertSuccess(h.status, 'HybridSearch');
  assert.deepEqual(h.results.topks.map(Number), [4]);
  // n > 4 gives 5 and 6; n in [1,2,3] and odd gives 1 and 3.
  assert.deepEqual(h.results.ids.int_id.data.map(Number).sort(), [1, 3, 5, 6]);
});

test('issue 21 item 6: search and query take filter_params the same way (expr_template_values)', async () => {
  const ts = await prepared('search_params');
  const s = await w.call('Search', searchRequest('search_params', {
    data: [[0, 0, 0, 0]], annsField: 'dense', searchParams: { metric_type: 'L2' }, limit: 10, filter: 'n <= {hi} and tag == {t}', exprParams: { hi: 4, t: 'even' }, guaranteeTs: ts,
  }));
  assertSuccess(s.status, 'Search');
  assert.deepEqual(s.results.ids.int_id.data.map(Number).sort(), [2, 4]);
  const q = await w.call('Query', queryRequest('search_params', { filter: 'n in {ids}', exprParams: { ids: [2, 5] }, outputFields: ['n'], guaranteeTs: ts }));
  assert.equal(queryRowCount(q), 2);
});
