/**
 * Event: Python's one-flag signal. One shared word: (number of set() calls << 1) | flag. Waiters
 * sleep on it while it is unchanged with the flag clear; since clear() only drops the flag, any
 * change they see is a set(), so a set() followed at once by clear() still wakes them with true,
 * as in Python. One word, so the count and the flag can never be seen out of step.
 */
import { asyncWait, blockedWait, checkSignal, spinUntil } from "../runtime/wait.js";
import { checkTimeout, deadlineFrom, remaining } from "../common/checks.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../ship/handles.js";

/** Loads of the word before a waiter sleeps (a few microseconds). */
const SPIN = 2000;

export class Event implements Shareable {
  readonly #w: Int32Array;

  constructor() {
    this.#w = takeAttached<Int32Array>() ?? new Int32Array(new SharedArrayBuffer(4));
  }

  isSet(): boolean {
    return (Atomics.load(this.#w, 0) & 1) === 1;
  }

  /** Sets the flag and wakes every waiter, sync and async, in every thread. */
  set(): void {
    const w = this.#w;
    for (;;) {
      const v = Atomics.load(w, 0);
      if (Atomics.compareExchange(w, 0, v, (((v >>> 1) + 1) << 1) | 1) === v) break;
    }
    Atomics.notify(w, 0);
  }

  clear(): void {
    const w = this.#w;
    for (;;) {
      const v = Atomics.load(w, 0);
      if ((v & 1) === 0 || Atomics.compareExchange(w, 0, v, v & ~1) === v) return;
    }
  }

  /** Waits until the flag is set or the timeout passes; returns the flag. */
  wait(timeout?: number | null): boolean {
    const ms = checkTimeout(timeout, "Event.wait");
    const w = this.#w;
    const v = Atomics.load(w, 0);
    if ((v & 1) === 1) return true;
    if (ms === 0) return false;
    // A set() from another core often comes within microseconds (a ping-pong).
    if (spinUntil(() => Atomics.load(w, 0) !== v, SPIN)) return true;
    const deadline = deadlineFrom(ms);
    while (Atomics.load(w, 0) === v) {
      const left = remaining(deadline);
      if (left <= 0) return false;
      blockedWait(w, 0, v, left);
    }
    return true;
  }

  async waitAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = checkTimeout(timeout, "Event.waitAsync");
    const signal = checkSignal(options, "Event.waitAsync");
    signal?.throwIfAborted();
    const w = this.#w;
    const v = Atomics.load(w, 0);
    if ((v & 1) === 1) return true;
    const deadline = deadlineFrom(ms);
    while (Atomics.load(w, 0) === v) {
      const left = remaining(deadline);
      if (left <= 0) return false;
      await asyncWait(w, 0, v, left, signal);
    }
    return true;
  }

  toString(): string {
    return `<Event ${this.isSet() ? "set" : "unset"}>`;
  }

  [SHARE]() {
    return { kind: "Event", w: this.#w };
  }
}

registerReviver("Event", (h) => attach(sharedView(h, "w", Int32Array, 1), () => new Event()));
