export { Random } from './random.js';
export { FaultFileSystem, type FaultOp } from './fault-fs.js';
export { ScheduledFileSystem, type Schedule } from './scheduled-fs.js';
