// What of Milvus's surface Elanus does not serve, and why: every RPC of milvus.proto's
// MilvusService and every RESTful v2 endpoint that has no handler here is listed with its
// reason. The server puts the reason into the NOT_SUPPORTED error a caller gets, and the
// README's compatibility table is generated from this file and the handlers
// (scripts/compat-table.mjs; test/api/compat-table.test.ts fails when it drifts, when an
// RPC is neither served nor listed here, or when a served one is still listed).

const functions = 'schema functions (BM25, text embedding) are not built yet (issue 16)';
const importJobs = 'bulk import from files is not built yet (issue 18); insert in batches instead';
const replication = 'cross-cluster replication (Milvus CDC) is not part of Elanus';
const rowPolicies = 'row-level security policies are not built (they follow roles, issue 17)';
const userTags = 'user tags belong with roles (issue 17), not built yet';
const fileResources = 'file resources serve analyzers (dictionaries, stop-word files), which are not built yet (issue 16)';

/** gRPC methods of milvus.proto's MilvusService without a handler, with the reason. */
export const unsupportedRpcs: Readonly<Record<string, string>> = Object.freeze({
  AddCollectionFunction: functions,
  AlterCollectionFunction: functions,
  DropCollectionFunction: functions,
  AddFileResource: fileResources,
  ListFileResources: fileResources,
  RemoveFileResource: fileResources,
  AddUserTags: userTags,
  DeleteUserTags: userTags,
  GetUserTags: userTags,
  ListUsersWithTag: userTags,
  CreateRowPolicy: rowPolicies,
  DropRowPolicy: rowPolicies,
  ListRowPolicies: rowPolicies,
  CalcDistance: 'Milvus removed it in 2.3 (its proxy answers that it is deprecated); compute distances in the client or search with a range',
  CreateReplicateStream: replication,
  ReplicateMessage: replication,
  GetReplicateConfiguration: replication,
  GetReplicateInfo: replication,
  UpdateReplicateConfiguration: replication,
  DumpMessages: replication,
  DescribeSegmentIndexData: 'an internal call of Milvus\'s own tools (segment index files in its object-store layout), which Elanus does not share',
  ListIndexedSegment: 'an internal call of Milvus\'s own tools (segment index files in its object-store layout), which Elanus does not share',
  Dummy: 'a debugging call of Milvus\'s proxy (a query spelled as JSON) that no SDK sends; use Query',
  Import: importJobs,
  GetImportState: importJobs,
  ListImportTasks: importJobs,
  RunAnalyzer: 'analyzers are not built yet (issue 16)',
});

/** RESTful v2 endpoints (paths under /v2/vectordb/) without a handler, with the reason. */
export const unsupportedRestPaths: Readonly<Record<string, string>> = Object.freeze({
  'collections/fields/drop': 'dropping a field is a Milvus 3.0 call (DropCollectionField), not in the 2.6 protocol Elanus serves',
  'collections/add_function': functions,
  'collections/alter_function': functions,
  'collections/drop_function': functions,
  'jobs/import/list': importJobs,
  'jobs/import/create': importJobs,
  'jobs/import/get_progress': importJobs,
  'jobs/import/describe': importJobs,
});

/** What the table is made from: every method of the service, every REST path, and which of them have handlers. */
export interface Surface {
  readonly rpcs: readonly string[];
  readonly servedRpcs: ReadonlySet<string>;
  readonly restPaths: readonly string[];
  readonly servedRestPaths: ReadonlySet<string>;
}

/**
 * The README's compatibility table (markdown): per protocol, what is served, and each
 * reason with what it keeps unserved. Every RPC and REST path appears exactly once.
 */
export function compatTable(s: Surface): string {
  const section = (title: string, all: readonly string[], served: ReadonlySet<string>, why: Readonly<Record<string, string>>, fmt: (n: string) => string) => {
    const yes = all.filter((n) => served.has(n)).sort();
    const byReason = new Map<string, string[]>();
    for (const n of all.filter((x) => !served.has(x)).sort()) {
      const r = why[n] ?? 'not listed in src/api/compat.ts';
      byReason.set(r, [...(byReason.get(r) ?? []), n]);
    }
    const lines = [`**${title}**: ${yes.length} of ${all.length} served.`, '', '| | |', '|---|---|', `| served (${yes.length}) | ${yes.map(fmt).join(', ')} |`];
    for (const [r, names] of byReason) lines.push(`| not served (${names.length}): ${r} | ${names.map(fmt).join(', ')} |`);
    return lines.join('\n');
  };
  return [
    section('gRPC, milvus.proto MilvusService', s.rpcs, s.servedRpcs, unsupportedRpcs, (n) => n),
    '',
    section('RESTful v2, POST /v2/vectordb/…', s.restPaths, s.servedRestPaths, unsupportedRestPaths, (n) => `\`${n}\``),
  ].join('\n');
}
