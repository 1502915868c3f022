/**
 * Lock: Python's threading.Lock in one shared Int32 word (a futex mutex, after Drepper's
 * "Futexes Are Tricky"): 0 unlocked, 1 locked, 2 locked and someone may be waiting. Any thread
 * may release it, as in Python.
 */
import { RuntimeError } from "./errors.js";
import { checkTimeout, deadlineFrom, describe, remaining, TIMEOUT_MAX } from "./timeout.js";
import { asyncWait, blockedWait, checkSignal } from "./blocking.js";
import { registerReviver, SHARE, type Shareable } from "./share.js";

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;
const SPIN = 40;

/** Lock.acquire's timeout: -1 forever, other negatives are a RangeError (Python's ValueError). */
export function lockTimeout(blocking: unknown, timeout: unknown, what: string): number {
  if (typeof blocking !== "boolean") throw new TypeError(`${what}: blocking must be a boolean, got ${describe(blocking)}`);
  if (timeout === undefined || timeout === null || timeout === -1) return blocking ? Infinity : 0;
  if (typeof timeout !== "number") throw new TypeError(`${what}: timeout must be a number of milliseconds, got ${describe(timeout)}`);
  if (!blocking) throw new RangeError(`${what}: can't specify a timeout for a non-blocking call; drop the timeout or pass blocking = true`);
  if (timeout < 0 && !Number.isNaN(timeout)) throw new RangeError(`${what}: timeout must be -1 (forever) or a non-negative number of milliseconds, got ${timeout}`);
  if (timeout > TIMEOUT_MAX) throw new RangeError(`${what}: timeout ${timeout} is larger than TIMEOUT_MAX (${TIMEOUT_MAX})`);
  return checkTimeout(timeout, what);
}

export class Lock implements Shareable {
  readonly #word: Int32Array;

  constructor(shared?: Int32Array) {
    this.#word = shared ?? new Int32Array(new SharedArrayBuffer(4));
  }

  /** Takes the lock; with blocking = false or a timeout it may give up and return false. */
  acquire(blocking = true, timeout = -1): boolean {
    const ms = lockTimeout(blocking, timeout, "Lock.acquire");
    const w = this.#word;
    if (Atomics.compareExchange(w, 0, UNLOCKED, LOCKED) === UNLOCKED) return true;
    if (ms === 0) return false;
    // Critical sections are usually short: on another core the holder is about to release, and
    // a brief spin is much cheaper than sleeping in the kernel and being woken.
    for (let i = 0; i < SPIN; i++) {
      if (Atomics.load(w, 0) === UNLOCKED && Atomics.compareExchange(w, 0, UNLOCKED, LOCKED) === UNLOCKED) return true;
    }
    const deadline = deadlineFrom(ms);
    // Once we have waited we hold the lock as CONTENDED: we can't know whether others wait too.
    while (Atomics.exchange(w, 0, CONTENDED) !== UNLOCKED) {
      const left = remaining(deadline);
      if (left <= 0) return false;
      blockedWait(w, 0, CONTENDED, left);
    }
    return true;
  }

  /** Non-blocking twin of acquire: resolves true when taken, false on timeout. */
  async acquireAsync(timeout: number | null = -1, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = lockTimeout(true, timeout, "Lock.acquireAsync");
    const signal = checkSignal(options, "Lock.acquireAsync");
    signal?.throwIfAborted();
    const w = this.#word;
    if (Atomics.compareExchange(w, 0, UNLOCKED, LOCKED) === UNLOCKED) return true;
    const deadline = deadlineFrom(ms);
    while (Atomics.exchange(w, 0, CONTENDED) !== UNLOCKED) {
      const left = remaining(deadline);
      if (left <= 0) return false;
      await asyncWait(w, 0, CONTENDED, left, signal);
    }
    return true;
  }

  release(): void {
    const w = this.#word;
    for (;;) {
      const v = Atomics.load(w, 0);
      if (v === UNLOCKED) throw new RuntimeError("release unlocked lock: Lock.release() was called on a lock nobody holds");
      if (Atomics.compareExchange(w, 0, v, UNLOCKED) === v) {
        if (v === CONTENDED) Atomics.notify(w, 0, 1);
        return;
      }
    }
  }

  locked(): boolean {
    return Atomics.load(this.#word, 0) !== UNLOCKED;
  }

  /** `using _ = lock.hold()` is Python's `with lock:`. */
  hold(): Disposable {
    this.acquire();
    return { [Symbol.dispose]: () => this.release() };
  }

  async holdAsync(options?: { signal?: AbortSignal }): Promise<AsyncDisposable> {
    await this.acquireAsync(-1, options);
    return { [Symbol.asyncDispose]: async () => this.release() };
  }

  toString(): string {
    return `<Lock ${this.locked() ? "locked" : "unlocked"}>`;
  }

  [SHARE]() {
    return { kind: "Lock", data: this.#word };
  }
}

registerReviver("Lock", (word: Int32Array) => new Lock(word));
