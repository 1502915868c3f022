/**
 * Lowest first (PriorityQueue): a binary heap over the index, in Python's order, equal items in
 * insertion order. Items are compared by their order keys (python-order.ts) where they lie in
 * the arena: nothing is decoded or allocated under the queue's mutex.
 */
import type { Order, QueueStorage } from "./storage.js";
import { compareOrderKeys } from "./python-order.js";

export class Heap implements Order {
  constructor(private readonly s: QueueStorage) {}

  position(k: number): number {
    return k;
  }

  /**
   * Makes the comparisons the sift-up will make (Python's heappush: up while the new item is
   * lower than its parent), so an item Python can't order is refused before anything changes.
   */
  check(record: Uint8Array, count: number): void {
    const u8 = this.s.arena.u8;
    for (let pos = count; pos > 0; ) {
      const parent = (pos - 1) >> 1;
      if (compareOrderKeys(record, 0, u8, this.s.keyAt(parent)) >= 0) return;
      pos = parent;
    }
  }

  placeNew(count: number): number {
    return count;
  }

  added(pos: number): void {
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this.#less(pos, parent)) break;
      this.s.swap(pos, parent);
      pos = parent;
    }
  }

  nextPosition(): number {
    return 0;
  }

  /** Moves the root out to the position past the end, then restores the heap over the rest. */
  removeNext(count: number): number {
    this.s.swap(0, count - 1);
    this.#siftDown(0, count - 1);
    return count - 1;
  }

  grown(): void {}

  cleared(): void {}

  #less(a: number, b: number): boolean {
    const u8 = this.s.arena.u8;
    const c = compareOrderKeys(u8, this.s.keyAt(a), u8, this.s.keyAt(b));
    return c < 0 || (c === 0 && this.s.seq(a) - this.s.seq(b) < 0);
  }

  #siftDown(pos: number, n: number): void {
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= n) return;
      const r = l + 1;
      const child = r < n && this.#less(r, l) ? r : l;
      if (!this.#less(child, pos)) return;
      this.s.swap(child, pos);
      pos = child;
    }
  }
}
