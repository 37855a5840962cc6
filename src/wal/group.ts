// A consumer group of a topic: a name and a durable position (the next offset the
// group will read). Owned by its topic; every change runs in the topic's serial queue.
//
// Lifecycle, one step at a time:
//   creating → active     createGroup reserved the name at once, and its metadata write finished
//   active   → closing    destroyGroup was called: from now on commits, seeks and subscribes
//                         fail at once with DROPPING, and no notification is delivered
//   closing  → closed     the metadata without the group is durable; the name is free again
// A destroy whose metadata write fails leaves the group 'closing' until the log is
// reopened (then it is either gone or back, as the disk says).
import type { WalSubscription } from './subscription.js';

export type GroupState = 'creating' | 'active' | 'closing' | 'closed';

export class Group {
  state: GroupState = 'creating';
  /** Durable position; meaningful from 'active' on. */
  position = 0;
  readonly subscriptions = new Set<WalSubscription>();

  constructor(readonly name: string) {}

  /** Stops every subscription; each becomes 'closed', or 'closing' while its callback runs. */
  closeSubscriptions(): void {
    for (const s of [...this.subscriptions]) s.close();
  }
}
