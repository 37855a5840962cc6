// Delivery of "new records" hints to one subscriber.
//
// State moves one way, in one step each: active → closing → closed. 'closing' means
// close() was called while the callback was running; it becomes 'closed' when that
// callback returns (or its promise settles). The notifier checks the state, and asks
// the owner whether delivery still makes sense (group active, records beyond the
// group's position), at the moment it delivers, not when it scheduled the delivery:
// the gap between the two is exactly where story 3's race lived.
//
// Delivery is asynchronous (a microtask, unless WalOptions.defer says otherwise) and
// never re-entrant: while the callback runs,
// or while the promise it returned is pending, further hints are merged into one that
// is delivered after it. A callback that throws or rejects closes its subscription;
// the error is kept in `error`.

export type SubscriptionState = 'active' | 'closing' | 'closed';

export interface Subscription {
  /** Stops deliveries at once; idempotent. 'closing' while a callback still runs. */
  close(): void;
  readonly state: SubscriptionState;
  /** What the callback threw (or rejected with) when that closed the subscription. */
  readonly error: unknown;
}

export type NotifyCallback = () => void | Promise<void>;

export class WalSubscription implements Subscription {
  private current: SubscriptionState = 'active';
  private scheduled = false;
  private running = false;
  private again = false;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly onNotify: NotifyCallback,
    /** Runs a delivery later: queueMicrotask, or a test's scheduler. */
    private readonly defer: (task: () => void) => void,
    /** Asked at delivery time: is there still something to tell? */
    private readonly worthDelivering: () => boolean,
    /** Told once, when the subscription stops being active. */
    private readonly onClose: (s: WalSubscription) => void,
  ) {}

  get state(): SubscriptionState {
    return this.current;
  }

  /** What the callback threw, when that closed the subscription. */
  get error(): unknown {
    return this.failure?.error;
  }

  /** A hint that there may be new records. Cheap; merged with any pending one. */
  kick(): void {
    if (this.current !== 'active') return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => this.deliver());
  }

  close(): void {
    if (this.current !== 'active') return;
    this.current = this.running ? 'closing' : 'closed';
    this.onClose(this);
  }

  private deliver(): void {
    this.scheduled = false;
    if (this.current !== 'active' || !this.worthDelivering()) return;
    this.running = true;
    this.again = false;
    let result: void | Promise<void>;
    try {
      result = this.onNotify();
    } catch (e) {
      this.finish({ error: e });
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.finish(undefined),
        (e: unknown) => this.finish({ error: e }),
      );
    } else {
      this.finish(undefined);
    }
  }

  private finish(failure: { error: unknown } | undefined): void {
    this.running = false;
    if (failure && this.current === 'active') {
      this.failure = failure;
      this.close();
    }
    if (this.current === 'closing') {
      this.current = 'closed';
      return;
    }
    if (this.again) {
      this.again = false;
      this.kick();
    }
  }
}
