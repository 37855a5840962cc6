// Cluster mode's store implementations and the launchers of their servers (README.md).
export { S3ObjectStore } from './s3-object-store.js';
export { type S3ObjectStoreOptions, s3Defaults, s3Limits } from './s3-client.js';
export { startS3, localS3Defaults, type LocalS3, type LocalS3Options } from './local-s3.js';
