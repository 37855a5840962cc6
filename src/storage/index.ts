export type { FileSystem, FileHandle, FileLock } from './fs.js';
export { dirname, joinPath, writeFileDurable, mkdirDurable, probeWritable } from './fs.js';
export { NodeFileSystem } from './node-fs.js';
export { frameRecord, scanRecord, recordHeaderBytes, recordPayloadBytesMax, type ScanResult } from './framing.js';
export { EmbeddedMetaStore, hasRecordAfter, type MetaStore, type MetaTxn, type MetaValue, type EmbeddedMetaStoreOptions } from './meta-store.js';
export { readFrames, writeFramesDurable } from './framed-file.js';
