export type { FileSystem, FileHandle, FileLock } from './fs.js';
export { dirname, joinPath, writeFileDurable, mkdirDurable, probeWritable } from './fs.js';
export { NodeFileSystem } from './node-fs.js';
export { frameRecord, scanRecord, recordHeaderBytes, recordPayloadBytesMax, type ScanResult } from './framing.js';
export { EmbeddedMetaStore, hasRecordAfter, type SyncMetaStore, type MetaTxn, type MetaValue, type MetaPlan, type EmbeddedMetaStoreOptions } from './meta-store.js';
export { framedObject, framedParts, readObjectFrames, forEachFrame } from './framed-file.js';
export type { MetaStore, KeyValue, Compare, CompareOp, MetaOp, MetaOpResult, MetaTxnRequest, MetaTxnResponse, RangeOptions, RangeResponse, WatchEvent, WatchBatch, MetaWatch, WatchOptions } from './meta.js';
export { watchIterator } from './meta-watch.js';
export { metaLimits } from './meta.js';
export { LocalMetaStore, leaseRetryMs, type LocalMetaStoreOptions } from './local-meta-store.js';
// The request checks every MetaStore applies before it sends or queues anything (one declaration of the limits).
export { checkKey, checkPrefix, checkValue, checkLease, checkRevision, checkTtl, checkTxn, putByTxn, deleteByTxn } from './meta-txn.js';
export type { LogStore, LogEntry, LogBounds, ConsumerStart } from './log.js';
export { logLimits, idempotencyKeyBytes } from './log.js';
export type { ObjectStore, ObjectHead, ObjectListing } from './object.js';
export { objectLimits, isObjectKey, isObjectPrefix, objectKeys, checkListArgs } from './object.js';
export { importFolder, type ImportResult } from './object-import.js';
export { type StoreClock, systemStoreClock } from './clock.js';
export { FsObjectStore, type FsObjectStoreOptions, objectFilesFolder, fileNameOf, keyOfFileName, objectFileBytes, objectBytesOfFile } from './fs-object-store.js';
