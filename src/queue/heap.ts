/**
 * Lowest first (PriorityQueue): a binary heap over the index, in Python's order (python-order.ts),
 * equal items in insertion order.
 */
import type { Order, QueueStorage } from "./storage.js";
import { pythonCompare } from "./python-order.js";

export class Heap implements Order {
  constructor(private readonly s: QueueStorage) {}

  position(k: number): number {
    return k;
  }

  /** Makes every comparison the sift-up will make, so an unorderable item changes nothing. */
  check(item: unknown, count: number): void {
    for (let pos = count; pos > 0; pos = (pos - 1) >> 1) pythonCompare(item, this.s.value((pos - 1) >> 1));
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

  /** Moves the root out to the position past the end, then restores the heap over the rest. */
  removeNext(count: number): number {
    this.s.swap(0, count - 1);
    this.#siftDown(0, count - 1);
    return count - 1;
  }

  grown(): void {}

  cleared(): void {}

  #less(a: number, b: number): boolean {
    const c = pythonCompare(this.s.value(a), this.s.value(b));
    return c < 0 || (c === 0 && this.s.seq(a) < this.s.seq(b));
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
