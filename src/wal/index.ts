export { Wal, walDefaults, readRecordsMax, type WalOptions } from './wal.js';
export type { WalRecord } from './log.js';
export type { Subscription, SubscriptionState, NotifyCallback } from './subscription.js';
export type { GroupStart } from './topic.js';
export { walPayloadBytesMax } from './record.js';
export { topicNameBytesMax, groupNameBytesMax } from './names.js';
export { subscriptionsPerGroupMax } from './topic.js';
export { WalLogStore, type WalLogStoreOptions } from './log-store.js';
export { inspectLog, type LogReport, type TopicReport, type LogDamage } from './inspect.js';
