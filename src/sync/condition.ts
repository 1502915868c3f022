/**
 * Condition: Python's condition variable over a Lock or an RLock (default RLock, as in Python).
 * Waiters queue FIFO in shared memory, so notify(n) wakes the n longest-waiting threads as
 * CPython does. The queue is only changed with the condition's lock held.
 *
 * Shared words: 0 HEAD, 1 TAIL, 2 FREE (first free entry), 3 reserved; then MAX_WAITERS entries
 * of 5 words: +0 STATE (1 waiting, 2 notified; the waiter sleeps on it), +1 NEXT, +2 PREV,
 * +3 SLOT and +4 GEN of the waiting thread (a waiter whose thread died is skipped by notify).
 */
import { RuntimeError } from "../common/errors.js";
import { asyncWait, blockedWait, checkSignal } from "../runtime/wait.js";
import { checkTimeout, deadlineFrom, describe, remaining } from "../common/checks.js";
import { Lock } from "./lock.js";
import { RLock } from "./rlock.js";
import { runtime } from "../runtime/runtime.js";
import { Code } from "../memory/control-block.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable, type ShareContext } from "../ship/handles.js";

export const MAX_WAITERS = 1024;
const HEAD = 0;
const TAIL = 1;
const FREE = 2;
const HEADER = 4;
const ENTRY = 5;
const NONE = -1;
const WAITING = 1;
const NOTIFIED = 2;

const at = (e: number) => HEADER + e * ENTRY;

/**
 * CPython's wait_for timing: after the predicate, wait at least once (that wait checks the lock
 * is held) with the whole timeout, then again only with what is left. undefined: no timeout;
 * null: time is up.
 */
function nextWait(ms: number, deadline: number, first: boolean): number | undefined | null {
  if (ms === Infinity) return undefined;
  if (first) return ms;
  const left = remaining(deadline);
  return left <= 0 ? null : left;
}

export class Condition implements Shareable {
  readonly #lock: Lock | RLock;
  readonly #w: Int32Array;

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
    const w = new Int32Array(new SharedArrayBuffer((HEADER + MAX_WAITERS * ENTRY) * 4));
    w[HEAD] = NONE;
    w[TAIL] = NONE;
    w[FREE] = 0;
    for (let e = 0; e < MAX_WAITERS; e++) w[at(e) + 1] = e + 1 < MAX_WAITERS ? e + 1 : NONE;
    this.#w = w;
  }

  acquire(blocking = true, timeout = -1): boolean {
    return this.#lock.acquire(blocking, timeout);
  }

  acquireAsync(timeout: number | null = -1, options?: { signal?: AbortSignal }): Promise<boolean> {
    return this.#lock.acquireAsync(timeout, options);
  }

  release(): void {
    this.#lock.release();
  }

  hold(): Disposable {
    return this.#lock.hold();
  }

  holdAsync(options?: { signal?: AbortSignal }): Promise<AsyncDisposable> {
    return this.#lock.holdAsync(options);
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

  #enqueue(): number {
    const w = this.#w;
    const e = w[FREE]!;
    if (e === NONE) throw new RuntimeError(`too many threads waiting on one Condition (at most ${MAX_WAITERS})`);
    w[FREE] = w[at(e) + 1]!;
    Atomics.store(w, at(e), WAITING);
    w[at(e) + 1] = NONE;
    w[at(e) + 2] = w[TAIL]!;
    w[at(e) + 3] = runtime.slot;
    w[at(e) + 4] = runtime.gen;
    if (w[TAIL] === NONE) w[HEAD] = e;
    else w[at(w[TAIL]!) + 1] = e;
    w[TAIL] = e;
    return e;
  }

  #unlink(e: number): void {
    const w = this.#w;
    const next = w[at(e) + 1]!;
    const prev = w[at(e) + 2]!;
    if (prev === NONE) w[HEAD] = next;
    else w[at(prev) + 1] = next;
    if (next === NONE) w[TAIL] = prev;
    else w[at(next) + 2] = prev;
    w[at(e) + 1] = NONE;
    w[at(e) + 2] = NONE;
  }

  #free(e: number): void {
    const w = this.#w;
    Atomics.store(w, at(e), 0);
    w[at(e) + 1] = w[FREE]!;
    w[FREE] = e;
  }

  /** After waking (lock held again): leave the queue; true if we were notified. */
  #leave(e: number): boolean {
    const notified = Atomics.load(this.#w, at(e)) === NOTIFIED;
    if (!notified) this.#unlink(e);
    this.#free(e);
    return notified;
  }

  #release(): number {
    const l = this.#lock;
    if (l instanceof RLock) return l._releaseSave();
    l.release();
    return 1;
  }

  /** Releases the lock, waits for a notify or the timeout, re-acquires; true if notified. */
  wait(timeout?: number | null): boolean {
    if (!this.#owned()) throw new RuntimeError("cannot wait on un-acquired lock: acquire the Condition first");
    const ms = checkTimeout(timeout, "Condition.wait");
    const e = this.#enqueue();
    const saved = this.#release();
    let notified = false;
    try {
      const deadline = deadlineFrom(ms);
      while (Atomics.load(this.#w, at(e)) === WAITING) {
        const left = remaining(deadline);
        if (left <= 0) break;
        blockedWait(this.#w, at(e), WAITING, left);
      }
    } finally {
      const l = this.#lock;
      if (l instanceof RLock) l._acquireRestore(saved);
      else l.acquire();
      notified = this.#leave(e);
    }
    return notified;
  }

  async waitAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    if (!this.#owned()) throw new RuntimeError("cannot wait on un-acquired lock: acquire the Condition first");
    const ms = checkTimeout(timeout, "Condition.waitAsync");
    const signal = checkSignal(options, "Condition.waitAsync");
    signal?.throwIfAborted();
    const e = this.#enqueue();
    const saved = this.#release();
    let notified = false;
    try {
      const deadline = deadlineFrom(ms);
      while (Atomics.load(this.#w, at(e)) === WAITING) {
        const left = remaining(deadline);
        if (left <= 0) break;
        await asyncWait(this.#w, at(e), WAITING, left, signal);
      }
    } catch (err) {
      const l = this.#lock;
      if (l instanceof RLock) await l._acquireRestoreAsync(saved);
      else await l.acquireAsync();
      // Aborted, but a notify may have picked us meanwhile: hand it to the next waiter.
      if (this.#leave(e)) this.notify(1);
      throw err;
    }
    const l = this.#lock;
    if (l instanceof RLock) await l._acquireRestoreAsync(saved);
    else await l.acquireAsync();
    notified = this.#leave(e);
    return notified;
  }

  /** Waits until predicate() is truthy (checked first, then after each wake-up). */
  waitFor(predicate: () => unknown, timeout?: number | null): boolean {
    if (typeof predicate !== "function") throw new TypeError(`Condition.waitFor: predicate must be a function, got ${describe(predicate)}`);
    const ms = checkTimeout(timeout, "Condition.waitFor");
    const deadline = deadlineFrom(ms);
    let result = predicate();
    for (let first = true; !result; first = false) {
      const wt = nextWait(ms, deadline, first);
      if (wt === null) break;
      this.wait(wt);
      result = predicate();
    }
    return Boolean(result);
  }

  async waitForAsync(predicate: () => unknown, timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    if (typeof predicate !== "function") throw new TypeError(`Condition.waitForAsync: predicate must be a function, got ${describe(predicate)}`);
    const ms = checkTimeout(timeout, "Condition.waitForAsync");
    const deadline = deadlineFrom(ms);
    let result = predicate();
    for (let first = true; !result; first = false) {
      const wt = nextWait(ms, deadline, first);
      if (wt === null) break;
      await this.waitAsync(wt, options);
      result = predicate();
    }
    return Boolean(result);
  }

  /** Wakes up to n of the longest-waiting threads. */
  notify(n = 1): void {
    if (typeof n !== "number" || Number.isNaN(n)) throw new TypeError(`Condition.notify: n must be a number, got ${describe(n)}`);
    if (!this.#owned()) throw new RuntimeError("cannot notify on un-acquired lock: acquire the Condition first");
    const w = this.#w;
    const control = runtime.control;
    let e = w[HEAD]!;
    while (n > 0 && e !== NONE) {
      const next = w[at(e) + 1]!;
      this.#unlink(e);
      if (control.code(w[at(e) + 3]!, w[at(e) + 4]!) === Code.Terminated) {
        // The waiter's thread died while waiting: drop its entry instead of wasting a wake-up.
        this.#free(e);
      } else {
        Atomics.store(w, at(e), NOTIFIED);
        Atomics.notify(w, at(e));
        n--;
      }
      e = next;
    }
  }

  notifyAll(): void {
    this.notify(Infinity);
  }

  toString(): string {
    return `<Condition(${this.#lock})>`;
  }

  [SHARE](ctx: ShareContext) {
    return { kind: "Condition", lock: ctx.ref(this.#lock), w: this.#w };
  }
}

registerReviver("Condition", (h, ctx) => {
  const w = sharedView(h, "w", Int32Array, HEADER + MAX_WAITERS * ENTRY);
  const lock = ctx.handle(h.lock, ["Lock", "RLock"], "Condition.lock") as Lock | RLock;
  return attach(w, () => new Condition(lock));
});
