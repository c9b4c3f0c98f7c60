/**
 * The instance's budget for replay requests: `ratePerSecond` tokens a second, at most
 * `burst` saved up. Every replay request takes one before it is sent, so all replays of an
 * instance together never send faster than the rate, whatever the number of replays, and
 * live delivery keeps the rest of the instance. `take` waits; an aborted wait rejects.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ratePerSecond: number, private readonly burst: number, private readonly now: () => number = () => performance.now()) {
    this.tokens = burst;
    this.last = now();
  }

  /** Resolves when a token is this caller's; callers are served in order. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.wait(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted === true) throw new Error('aborted');
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      const ms = Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
      await new Promise<void>((resolve) => setTimeout(resolve, ms));
    }
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }
}
