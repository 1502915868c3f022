/**
 * Condition: Python's condition variable over a Lock or an RLock (default RLock, as in Python).
 * Waiters queue FIFO in shared memory, so notify(n) wakes the n longest-waiting threads as
 * CPython does; each waiter sleeps on its own entry's STATE word. The queue is only changed with
 * the condition's lock held.
 *
 * Shared words (Int32):
 *   0  HEAD      first waiting entry, NONE if none
 *   1  TAIL      last waiting entry
 *   2  FREE      first free entry (the free entries form a list through NEXT)
 *   3  NUMBER    its number in thread dumps (Condition#3), given on first wait that sleeps
 *   then MAX_WAITERS entries of ENTRY_WORDS words, from word HEADER_WORDS:
 *   +0 E_STATE   FREE_ENTRY, WAITING or NOTIFIED; the waiter sleeps on it
 *   +1 E_NEXT    next entry in the queue (or in the free list)
 *   +2 E_PREV    previous entry in the queue
 *   +3 E_SLOT    control-block slot of the waiting thread, and
 *   +4 E_GEN     its generation: a waiter whose thread died is skipped by notify
 */
import { RuntimeError } from "../common/errors.js";
import { checkSignal, checkTimeout, describe } from "../common/checks.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";
import type { WaitLoop } from "../memory/sleep.js";
import { numberedSite, runAsync, runBlocking } from "../runtime/wait.js";
import { ObjectClass, WaitKind } from "../memory/wait-record.js";
import { runtime } from "../runtime/runtime.js";
import { Lock } from "./lock.js";
import { RLock } from "./rlock.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable, type ShareContext } from "../memory/handles.js";
import { showAsRepr } from "../common/repr.js";

/** How many threads can wait on one Condition at once. */
export const MAX_WAITERS = 1024;
const HEAD = 0;
const TAIL = 1;
const FREE = 2;
const NUMBER = 3;
const HEADER_WORDS = 4;
const ENTRY_WORDS = 5;
const E_STATE = 0;
const E_NEXT = 1;
const E_PREV = 2;
const E_SLOT = 3;
const E_GEN = 4;
const WORDS = HEADER_WORDS + MAX_WAITERS * ENTRY_WORDS;
const NONE = -1;
const FREE_ENTRY = 0;
const WAITING = 1;
const NOTIFIED = 2;

/** Index of word `field` of entry `e`. */
const at = (e: number, field: number) => HEADER_WORDS + e * ENTRY_WORDS + field;

/**
 * CPython's wait_for timing: after the predicate, wait at least once (that wait checks the lock
 * is held) with the whole timeout, then again only with what is left. null: time is up.
 */
function nextWait(ms: number, deadline: number, first: boolean): number | null {
  if (ms === Infinity || first) return ms;
  const left = remaining(deadline);
  return left <= 0 ? null : left;
}

/**
 * Python's threading.Condition: wait() until notified, around a Lock or RLock (a new RLock if none
 * is given). Waiters are woken in the order they began waiting.
 */
export class Condition implements Shareable {
  readonly #lock: Lock | RLock;
  readonly #w: Int32Array;

  /** A condition over `lock` (a Lock or an RLock), or over a new RLock. */
  constructor(lock?: Lock | RLock) {
    const shared = takeAttached<Int32Array>();
    if (lock !== undefined && lock !== null && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError(`new Condition(lock): lock must be a skein Lock or RLock, got ${describe(lock)}`);
    }
    this.#lock = lock ?? new RLock();
    if (shared) {
      this.#w = shared;
      return;
    }
    const w = new Int32Array(new SharedArrayBuffer(WORDS * 4));
    w[HEAD] = NONE;
    w[TAIL] = NONE;
    w[FREE] = 0;
    for (let e = 0; e < MAX_WAITERS; e++) w[at(e, E_NEXT)] = e + 1 < MAX_WAITERS ? e + 1 : NONE;
    this.#w = w;
  }

  /** Acquires the underlying lock, waiting at most `timeout` ms (-1: forever); see Lock.acquire. */
  acquire(blocking = true, timeout = -1): boolean {
    return this.#lock.acquire(blocking, timeout);
  }

  /** Acquires the underlying lock without blocking the event loop, waiting at most `timeout` ms. */
  acquireAsync(timeout: number | null = -1, options?: { signal?: AbortSignal }): Promise<boolean> {
    return this.#lock.acquireAsync(timeout, options);
  }

  /** Releases the underlying lock. */
  release(): void {
    this.#lock.release();
  }

  /** `using _ = cond.hold()` is Python's `with cond:`. */
  hold(): Disposable {
    return this.#lock.hold();
  }

  /** `await using _ = await cond.holdAsync()`: the lock, released at the end of the block. */
  holdAsync(options?: { signal?: AbortSignal }): Promise<AsyncDisposable> {
    return this.#lock.holdAsync(options);
  }

  /**
   * Releases the lock, waits until notified or `timeout` ms pass (undefined: forever), and
   * re-acquires the lock; true if notified. The lock must be held.
   */
  wait(timeout?: number | null): boolean {
    this.#checkOwned("wait");
    return runBlocking(this._waitLoop(checkTimeout(timeout, "Condition.wait")), this.#site());
  }

  /** The async twin of wait (`timeout` in ms; the lock is re-acquired before it resolves). */
  async waitAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    this.#checkOwned("wait");
    const ms = checkTimeout(timeout, "Condition.waitAsync");
    return runAsync(this._waitLoop(ms), checkSignal(options, "Condition.waitAsync"));
  }

  /**
   * Waits until predicate() is truthy: checked first, then after each wake-up, for at most
   * `timeout` ms in all. Returns the predicate's last result, as a boolean.
   */
  waitFor(predicate: () => unknown, timeout?: number | null): boolean {
    checkPredicate(predicate, "Condition.waitFor");
    return runBlocking(this._waitForLoop(predicate, checkTimeout(timeout, "Condition.waitFor")), this.#site());
  }

  #site() {
    return numberedSite(WaitKind.ConditionWait, this.#w, NUMBER, ObjectClass.Condition);
  }

  /** The async twin of waitFor (`timeout` in ms). */
  async waitForAsync(predicate: () => unknown, timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    checkPredicate(predicate, "Condition.waitForAsync");
    const ms = checkTimeout(timeout, "Condition.waitForAsync");
    return runAsync(this._waitForLoop(predicate, ms), checkSignal(options, "Condition.waitForAsync"));
  }

  /** @internal The wait loop of acquire (Barrier holds its condition with it). */
  _acquireLoop(): WaitLoop<boolean> {
    return this.#lock._acquireLoop(Infinity);
  }

  /** @internal The wait loop of waitFor, with a checked timeout (Infinity: none). */
  *_waitForLoop(predicate: () => unknown, ms: number): WaitLoop<boolean> {
    const deadline = deadlineFrom(ms);
    let result = predicate();
    for (let first = true; !result; first = false) {
      const wait = nextWait(ms, deadline, first);
      if (wait === null) break;
      this.#checkOwned("wait");
      yield* this._waitLoop(wait);
      result = predicate();
    }
    return Boolean(result);
  }

  /** @internal The wait loop of wait, the lock held and the timeout checked (Infinity: none). */
  *_waitLoop(ms: number): WaitLoop<boolean> {
    const w = this.#w;
    const e = this.#enqueue();
    const saved = this.#release();
    let aborted: { reason: unknown } | null = null;
    try {
      const deadline = deadlineFrom(ms);
      while (Atomics.load(w, at(e, E_STATE)) === WAITING) {
        if (remaining(deadline) <= 0) break;
        yield { arr: w, index: at(e, E_STATE), value: WAITING, deadline };
      }
    } catch (err) {
      aborted = { reason: err };
    }
    // As in Python, wait() ends with the lock held, however it ends (an abort can't stop this).
    for (;;) {
      try {
        yield* this.#reacquire(saved);
        break;
      } catch (err) {
        aborted ??= { reason: err };
      }
    }
    const notified = this.#leave(e);
    if (aborted) {
      // A notify that picked this waiter before it gave up goes to the next one.
      if (notified) this.notify(1);
      throw aborted.reason;
    }
    return notified;
  }

  /** Wakes up to n of the threads that have waited longest. The lock must be held. */
  notify(n = 1): void {
    if (typeof n !== "number") throw new TypeError(`Condition.notify: n must be a number, got ${describe(n)}`);
    if (Number.isNaN(n)) throw new RangeError("Condition.notify: n must be a number of waiters to wake, got NaN");
    this.#checkOwned("notify");
    const w = this.#w;
    const control = runtime.control;
    let e = w[HEAD]!;
    while (n > 0 && e !== NONE) {
      const next = w[at(e, E_NEXT)]!;
      this.#unlink(e);
      if (control.ended(w[at(e, E_SLOT)]!, w[at(e, E_GEN)]!)) {
        // The waiter's thread died while waiting: drop its entry instead of wasting a wake-up.
        this.#free(e);
      } else {
        Atomics.store(w, at(e, E_STATE), NOTIFIED);
        Atomics.notify(w, at(e, E_STATE));
        n--;
      }
      e = next;
    }
  }

  /** Wakes every waiting thread. The lock must be held. */
  notifyAll(): void {
    this.notify(Infinity);
  }

  #checkOwned(what: "wait" | "notify"): void {
    if (!this.#owned()) throw new RuntimeError(`cannot ${what} on un-acquired lock: acquire the Condition first`);
  }

  #owned(): boolean {
    const l = this.#lock;
    if (l instanceof RLock) return l._isOwned();
    // Python's Condition._is_owned for a plain Lock: held by someone is the best it can tell.
    if (l.acquire(false)) {
      l.release();
      return false;
    }
    return true;
  }

  #release(): number {
    const l = this.#lock;
    if (l instanceof RLock) return l._releaseSave();
    l.release();
    return 1;
  }

  *#reacquire(saved: number): WaitLoop<void> {
    const l = this.#lock;
    if (l instanceof RLock) yield* l._acquireRestoreLoop(saved);
    else yield* l._acquireLoop(Infinity);
  }

  // ---- the waiter queue (the lock held) ----

  #enqueue(): number {
    const w = this.#w;
    const e = w[FREE]!;
    if (e === NONE) throw new RuntimeError(`too many threads waiting on one Condition (at most ${MAX_WAITERS})`);
    w[FREE] = w[at(e, E_NEXT)]!;
    Atomics.store(w, at(e, E_STATE), WAITING);
    w[at(e, E_NEXT)] = NONE;
    w[at(e, E_PREV)] = w[TAIL]!;
    w[at(e, E_SLOT)] = runtime.slot;
    w[at(e, E_GEN)] = runtime.gen;
    if (w[TAIL] === NONE) w[HEAD] = e;
    else w[at(w[TAIL]!, E_NEXT)] = e;
    w[TAIL] = e;
    return e;
  }

  #unlink(e: number): void {
    const w = this.#w;
    const next = w[at(e, E_NEXT)]!;
    const prev = w[at(e, E_PREV)]!;
    if (prev === NONE) w[HEAD] = next;
    else w[at(prev, E_NEXT)] = next;
    if (next === NONE) w[TAIL] = prev;
    else w[at(next, E_PREV)] = prev;
    w[at(e, E_NEXT)] = NONE;
    w[at(e, E_PREV)] = NONE;
  }

  #free(e: number): void {
    const w = this.#w;
    Atomics.store(w, at(e, E_STATE), FREE_ENTRY);
    w[at(e, E_NEXT)] = w[FREE]!;
    w[FREE] = e;
  }

  /** After waking (lock held again): leave the queue; true if we were notified. */
  #leave(e: number): boolean {
    const notified = Atomics.load(this.#w, at(e, E_STATE)) === NOTIFIED;
    if (!notified) this.#unlink(e);
    this.#free(e);
    return notified;
  }

  toString(): string {
    return `<Condition(${this.#lock})>`;
  }

  /** @internal What crosses to another thread for this Condition. */
  [SHARE](ctx: ShareContext) {
    return { kind: "Condition", lock: ctx.ref(this.#lock), w: this.#w };
  }
}

function checkPredicate(predicate: unknown, what: string): void {
  if (typeof predicate !== "function") throw new TypeError(`${what}: predicate must be a function, got ${describe(predicate)}`);
}

registerReviver("Condition", (h, ctx) => {
  const w = sharedView(h, "w", Int32Array, WORDS);
  const lock = ctx.handle(h.lock, ["Lock", "RLock"], "Condition.lock") as Lock | RLock;
  return attach(w, () => new Condition(lock));
});

showAsRepr(Condition);
