// Cluster mode's store implementations and the launchers of their servers (README.md).
export { campaign, currentLeader, electionTtlMsMin, type ElectionOptions, type Leadership } from './election.js';
export { EtcdMetaStore, type EtcdMetaStoreOptions } from './etcd-meta-store.js';
export { startEtcd, type StartEtcdOptions, type LocalEtcd } from './local-etcd.js';
