// Cluster mode's store implementations and the launchers of their servers (README.md).
export { campaign, currentLeader, electionTtlMsMin, type ElectionOptions, type Leadership } from './election.js';
export { EtcdMetaStore, type EtcdMetaStoreOptions } from './etcd-meta-store.js';
export { startEtcd, type StartEtcdOptions, type LocalEtcd } from './local-etcd.js';
export { S3ObjectStore } from './s3-object-store.js';
export { type S3ObjectStoreOptions, s3Defaults, s3Limits } from './s3-client.js';
export { startS3, localS3Defaults, type LocalS3, type LocalS3Options } from './local-s3.js';
export { JetStreamLogStore, type JetStreamLogStoreOptions } from './jetstream-log-store.js';
export { freePorts, startNats, type LocalNats, type NatsPorts, type NatsProcess, type StartNatsOptions } from './local-nats.js';
export { freePort, freePortRun, portFree } from './free-port.js';
