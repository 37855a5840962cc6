// Cluster mode's store implementations and the launchers of their servers (README.md).
export { EtcdMetaStore, type EtcdMetaStoreOptions } from './etcd-meta-store.js';
export { startEtcd, type StartEtcdOptions, type LocalEtcd } from './local-etcd.js';
