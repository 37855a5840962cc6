// A background pass that many events may ask for: asks made while one is waiting to run
// are coalesced into it, asks made while one runs queue exactly one more. Passes run one
// at a time (a SerialQueue), and their failures go to `onError`, never to the asker.
import { SerialQueue } from './serial-queue.js';

export class CoalescedPass {
  private readonly queue = new SerialQueue();
  private scheduled = false;

  constructor(private readonly pass: () => Promise<void>, private readonly onError: (e: unknown) => void) {}

  /** Asks for a pass (coalesced with one not yet started). */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.queue.run(async () => {
      this.scheduled = false;
      await this.pass();
    }).catch((e: unknown) => this.onError(e));
  }

  /** Resolves once every pass asked for so far has finished. */
  async idle(): Promise<void> {
    for (;;) {
      await this.queue.idle();
      if (!this.scheduled) return;
    }
  }
}
