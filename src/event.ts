/** Event: Python's one-flag signal. Shared word 0 is the flag; waiters sleep on it while it is 0. */
import { asyncWait, blockedWait, checkSignal } from "./blocking.js";
import { checkTimeout, deadlineFrom, remaining } from "./timeout.js";
import { registerReviver, SHARE, type Shareable } from "./share.js";

export class Event implements Shareable {
  readonly #w: Int32Array;

  constructor(shared?: Int32Array) {
    this.#w = shared ?? new Int32Array(new SharedArrayBuffer(4));
  }

  isSet(): boolean {
    return Atomics.load(this.#w, 0) === 1;
  }

  /** Sets the flag and wakes every waiter, sync and async, in every thread. */
  set(): void {
    Atomics.store(this.#w, 0, 1);
    Atomics.notify(this.#w, 0);
  }

  clear(): void {
    Atomics.store(this.#w, 0, 0);
  }

  /** Waits until the flag is set or the timeout passes; returns the flag. */
  wait(timeout?: number | null): boolean {
    const ms = checkTimeout(timeout, "Event.wait");
    const deadline = deadlineFrom(ms);
    while (Atomics.load(this.#w, 0) === 0) {
      const left = remaining(deadline);
      if (left <= 0) return false;
      blockedWait(this.#w, 0, 0, left);
    }
    return true;
  }

  async waitAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = checkTimeout(timeout, "Event.waitAsync");
    const signal = checkSignal(options, "Event.waitAsync");
    signal?.throwIfAborted();
    const deadline = deadlineFrom(ms);
    while (Atomics.load(this.#w, 0) === 0) {
      const left = remaining(deadline);
      if (left <= 0) return false;
      await asyncWait(this.#w, 0, 0, left, signal);
    }
    return true;
  }

  toString(): string {
    return `<Event ${this.isSet() ? "set" : "unset"}>`;
  }

  [SHARE]() {
    return { kind: "Event", data: this.#w };
  }
}

registerReviver("Event", (w: Int32Array) => new Event(w));
