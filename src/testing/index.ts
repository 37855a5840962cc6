export { Random } from './random.js';
export { FaultFileSystem, type FaultOp, type LastingFault } from './fault-fs.js';
export { ScheduledFileSystem, type Schedule } from './scheduled-fs.js';
export { SimulatedClock } from './simulated-clock.js';
export { objectFilePath, listObjectFiles, temporaryObjectFiles, readObjectFile, writeObjectFile } from './object-files.js';
export { serverBinary } from './require-server.js';
export { processAlive } from './process-alive.js';
