// Cluster mode's store implementations and the launchers of their servers (README.md).
export { JetStreamLogStore, type JetStreamLogStoreOptions } from './jetstream-log-store.js';
export { startNats, type LocalNats, type NatsPorts, type NatsProcess, type StartNatsOptions } from './local-nats.js';
