/**
 * Event: Python's one-flag signal. Shared words: 0 FLAG, 1 SETS (bumped by every set(); waiters
 * sleep on it, so a set() followed at once by clear() still wakes them with true, as in Python).
 */
import { asyncWait, blockedWait, checkSignal } from "./blocking.js";
import { checkTimeout, deadlineFrom, remaining } from "./timeout.js";
import { attach, registerReviver, SHARE, takeAttached, type Shareable } from "./share.js";

export class Event implements Shareable {
  readonly #w: Int32Array;

  constructor() {
    this.#w = takeAttached<Int32Array>() ?? new Int32Array(new SharedArrayBuffer(8));
  }

  isSet(): boolean {
    return Atomics.load(this.#w, 0) === 1;
  }

  /** Sets the flag and wakes every waiter, sync and async, in every thread. */
  set(): void {
    Atomics.store(this.#w, 0, 1);
    Atomics.add(this.#w, 1, 1);
    Atomics.notify(this.#w, 1);
  }

  clear(): void {
    Atomics.store(this.#w, 0, 0);
  }

  /** Waits until the flag is set or the timeout passes; returns the flag. */
  wait(timeout?: number | null): boolean {
    const ms = checkTimeout(timeout, "Event.wait");
    const w = this.#w;
    const sets = Atomics.load(w, 1);
    if (Atomics.load(w, 0) === 1) return true;
    const deadline = deadlineFrom(ms);
    while (Atomics.load(w, 1) === sets) {
      const left = remaining(deadline);
      if (left <= 0) return Atomics.load(w, 0) === 1;
      blockedWait(w, 1, sets, left);
    }
    return true;
  }

  async waitAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = checkTimeout(timeout, "Event.waitAsync");
    const signal = checkSignal(options, "Event.waitAsync");
    signal?.throwIfAborted();
    const w = this.#w;
    const sets = Atomics.load(w, 1);
    if (Atomics.load(w, 0) === 1) return true;
    const deadline = deadlineFrom(ms);
    while (Atomics.load(w, 1) === sets) {
      const left = remaining(deadline);
      if (left <= 0) return Atomics.load(w, 0) === 1;
      await asyncWait(w, 1, sets, left, signal);
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

registerReviver("Event", (w: Int32Array) => attach(w, () => new Event()));
