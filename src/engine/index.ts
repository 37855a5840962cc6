export { Elanus } from './elanus.js';
export { ReadReplica, type ReplicaOptions } from './replica.js';
export { defaultLimits, crashPoints, type OpenOptions, type StartOptions, type EngineStores, type EngineLimits, type CrashPoint, type EngineLogStore } from './options.js';
export * from '../gateway/requests.js';
export type { CreateIndexReq, IndexReq, AlterIndexReq, DropIndexPropertiesReq, IndexDescription, IndexState } from '../gateway/indexes.js';
export { reportedFieldName } from '../gateway/indexes.js';
export { repairKinds, type EngineEvents, type HealthComponent, type HealthReason, type HealthReport, type RepairKind } from './health.js';
export { metaKeys, topicOf, collectionPrefix, type SegmentMeta, type L0Meta } from './collection.js';
export { indexFileOf } from './vector-indexes.js';
