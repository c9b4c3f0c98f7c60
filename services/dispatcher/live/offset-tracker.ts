/**
 * Per-partition low watermark of completed work (pure). Offsets are registered in the
 * order they are read; each is completed when its item is delivered or needs nothing.
 * `committable()` is the offset to commit: the first one still unfinished, or one past
 * the last registered when all are done — never beyond work that is still open.
 */
export class OffsetTracker {
  /** Registered offsets not yet passed by the watermark, in order. */
  private readonly window: number[] = [];
  private head = 0;
  private readonly done = new Set<number>();
  private nextOffset: number | null = null;

  constructor(startOffset: number | null = null) {
    this.nextOffset = startOffset;
  }

  /** Offsets registered and not completed. */
  get open(): number {
    return this.window.length - this.head - this.done.size;
  }

  register(offset: number): void {
    const last = this.window[this.window.length - 1];
    if (last !== undefined && offset <= last) throw new RangeError(`offset ${offset} registered after ${last}`);
    this.window.push(offset);
  }

  complete(offset: number): void {
    if (this.head < this.window.length && offset >= (this.window[this.head] as number)) this.done.add(offset);
    this.advance();
  }

  /** The offset to commit, or null when nothing has been read yet. */
  committable(): number | null {
    return this.head < this.window.length ? (this.window[this.head] as number) : this.nextOffset;
  }

  private advance(): void {
    while (this.head < this.window.length) {
      const offset = this.window[this.head] as number;
      if (!this.done.delete(offset)) break;
      this.head++;
      this.nextOffset = offset + 1;
    }
    if (this.head > 1_024 && this.head * 2 > this.window.length) {
      this.window.splice(0, this.head);
      this.head = 0;
    }
  }
}
