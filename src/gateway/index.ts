// What the protocol layers (api/) may use: the gateway's interface, the request shapes,
// the index checks a request is held to before anything is created, and the output plan
// of a query (which fields a result has, even when it has no rows).
export * from './api.js';
export * from './requests.js';
export { checkCreateIndex, reportedFieldName, type AlterIndexReq, type CreateIndexReq, type DropIndexPropertiesReq, type IndexDescription, type IndexReq, type IndexState } from './indexes.js';
export { planOutput } from '../query/rows.js';
export { type ResultColumn, type ResultColumns, valueOf } from '../query/result-columns.js';
export type { MergedHit } from './merge.js';
export type { ColumnBatch, InputColumn } from './validate.js';
export { switchableGateway } from './switch.js';
export type { ReadTicket, ReplicaDirectory, TicketReq, TicketSource, ShardHits, ShardQueryReq, ShardReadReq, ShardReader, ShardRows, ShardSearchReq } from './roles.js';
export type { LoadBalanceReq, LoadOptions, ReplicaDescription, ResourceGroupCalls, ResourceGroupDescription, TransferNodeReq, TransferReplicaReq } from './resource-groups.js';
