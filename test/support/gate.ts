/**
 * Holds a protocol server's answers while shut, so a test can stop a sender
 * between "the server has the message" and "the sender heard back": the
 * moment a crash turns into a duplicate if the sender is careless.
 */
export class Gate {
  private shut = false;
  private waiting: Array<() => void> = [];
  private watchers: Array<() => void> = [];

  /** How many answers are being held now. */
  get held(): number {
    return this.waiting.length;
  }

  close(): void {
    this.shut = true;
  }

  /** Lets every held answer go and lets later ones straight through. */
  open(): void {
    this.shut = false;
    this.release();
  }

  /** Lets the answers held now go; the gate stays as it is for later ones. */
  release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const go of waiting) go();
  }

  /** A server calls this after taking a message and before answering. */
  pass(): Promise<void> {
    if (!this.shut) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      const watchers = this.watchers;
      this.watchers = [];
      for (const wake of watchers) wake();
    });
  }

  /** Resolves once at least one answer is held. */
  async holding(): Promise<void> {
    while (this.waiting.length === 0) await new Promise<void>((resolve) => this.watchers.push(resolve));
  }
}
