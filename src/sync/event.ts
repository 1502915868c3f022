/**
 * Event: Python's one-flag signal, on one bare Atomics word. Waiters sleep on it while it is
 * unchanged with the flag clear; since clear() only drops the flag, any change they see is a
 * set(), so a set() followed at once by clear() still wakes them with true, as in Python. One
 * word, so the count and the flag can never be seen out of step.
 *
 * Shared word (Int32):
 *   0  STATE  the number of set() calls << 1 | FLAG (bit 0: the flag is set)
 *   1  NUMBER its number in thread dumps (Event#3), given on first wait that sleeps
 */
import { checkSignal, checkTimeout } from "../common/checks.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";
import type { WaitLoop } from "../memory/sleep.js";
import { numberedSite, runAsync, runBlocking } from "../runtime/wait.js";
import { ObjectClass, WaitKind } from "../memory/wait-record.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { showAsRepr } from "../common/repr.js";

const STATE = 0;
const FLAG = 1;
const NUMBER = 1;
const WORDS = 2;
/** Loads of the word before a waiter sleeps (a few microseconds). */
const SPIN = 2000;

/**
 * Python's threading.Event: a flag threads wait for; set() wakes every waiter, clear() lowers it
 * again.
 */
export class Event implements Shareable {
  readonly #w: Int32Array;

  constructor() {
    this.#w = takeAttached<Int32Array>() ?? new Int32Array(new SharedArrayBuffer(WORDS * 4));
  }

  /** True while the flag is set. */
  isSet(): boolean {
    return (Atomics.load(this.#w, STATE) & FLAG) === FLAG;
  }

  /** Sets the flag and wakes every waiter, sync and async, in every thread. */
  set(): void {
    const w = this.#w;
    for (;;) {
      const v = Atomics.load(w, STATE);
      if (Atomics.compareExchange(w, STATE, v, (((v >>> 1) + 1) << 1) | FLAG) === v) break;
    }
    Atomics.notify(w, STATE);
  }

  /** Clears the flag: later waits wait for the next set(). */
  clear(): void {
    const w = this.#w;
    for (;;) {
      const v = Atomics.load(w, STATE);
      if ((v & FLAG) === 0 || Atomics.compareExchange(w, STATE, v, v & ~FLAG) === v) return;
    }
  }

  /** Waits until the flag is set or `timeout` ms pass (undefined: forever); returns the flag. */
  wait(timeout?: number | null): boolean {
    const ms = checkTimeout(timeout, "Event.wait");
    // A ping-pong's set() comes within microseconds: watch the word before making a wait loop.
    const w = this.#w;
    const v = Atomics.load(w, STATE);
    if ((v & FLAG) === FLAG) return true;
    if (ms > 0) for (let i = 0; i < SPIN; i++) if (Atomics.load(w, STATE) !== v) return true;
    return runBlocking(this.#waitLoop(ms), numberedSite(WaitKind.EventWait, this.#w, NUMBER, ObjectClass.Event));
  }

  /** The async twin of wait: resolves with the flag once it is set or `timeout` ms have passed. */
  async waitAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = checkTimeout(timeout, "Event.waitAsync");
    return runAsync(this.#waitLoop(ms), checkSignal(options, "Event.waitAsync"));
  }

  *#waitLoop(ms: number): WaitLoop<boolean> {
    const w = this.#w;
    const v = Atomics.load(w, STATE);
    if ((v & FLAG) === FLAG) return true;
    if (ms === 0) return false;
    const deadline = deadlineFrom(ms);
    while (Atomics.load(w, STATE) === v) {
      if (remaining(deadline) <= 0) return false;
      // A set() from another core often comes within microseconds (a ping-pong).
      yield { arr: w, index: STATE, value: v, deadline, spins: SPIN };
    }
    return true;
  }

  toString(): string {
    return `<Event ${this.isSet() ? "set" : "unset"}>`;
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    return { kind: "Event", w: this.#w };
  }
}

registerReviver("Event", (h) => attach(sharedView(h, "w", Int32Array, WORDS), () => new Event()));

showAsRepr(Event);
