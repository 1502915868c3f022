/** Last in, first out (LifoQueue): a stack, its newest item at the top of the index. */
import type { Order } from "./storage.js";

export class Lifo implements Order {
  position(k: number): number {
    return k;
  }

  check(): void {}

  placeNew(count: number): number {
    return count;
  }

  added(): void {}

  nextPosition(count: number): number {
    return count - 1;
  }

  removeNext(count: number): number {
    return count - 1;
  }

  grown(): void {}

  cleared(): void {}
}
