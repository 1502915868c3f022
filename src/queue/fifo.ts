/** First in, first out (Queue, SimpleQueue): a ring over the index, its oldest item at HEAD. */
import type { Order, QueueStorage } from "./storage.js";
import { CAPACITY, entryAt, ENTRY_WORDS, HEAD } from "./layout.js";

export class Fifo implements Order {
  constructor(private readonly s: QueueStorage) {}

  position(k: number): number {
    const ctl = this.s.ctl;
    return (ctl[HEAD]! + k) % ctl[CAPACITY]!;
  }

  check(): void {}

  placeNew(count: number): number {
    return this.position(count);
  }

  added(): void {}

  nextPosition(): number {
    return this.s.ctl[HEAD]!;
  }

  removeNext(): number {
    const ctl = this.s.ctl;
    const head = ctl[HEAD]!;
    ctl[HEAD] = (head + 1) % ctl[CAPACITY]!;
    return head;
  }

  /** The ring unwraps into the bigger index: the entries before HEAD move after the old end. */
  grown(oldCapacity: number): void {
    const ctl = this.s.ctl;
    const head = ctl[HEAD]!;
    if (head === 0) return;
    const i32 = this.s.i32;
    i32.copyWithin(entryAt(oldCapacity), 0, entryAt(head));
    i32.copyWithin(0, entryAt(head), (oldCapacity + head) * ENTRY_WORDS);
    ctl[HEAD] = 0;
  }

  cleared(): void {
    this.s.ctl[HEAD] = 0;
  }
}
