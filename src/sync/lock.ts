/**
 * Lock: Python's threading.Lock, a futex mutex (memory/futex-mutex.ts). Any thread may release
 * it, as in Python.
 *
 * Shared words (Int32):
 *   0  MUTEX        the futex mutex
 *   1  MUTEX_ASYNC  async waiters on it (see Sleep.asyncWaiters)
 *   2  HOLDER       ident of the thread that took it last (one plain store after the
 *                   compare-and-swap; meaningful while MUTEX says locked), for deadlock reports
 *   3  NUMBER       its number in thread dumps (Lock#3), given on first contended wait
 *   4  WATCHED      1 once the hub has been told where these words are (runtime/lock-watch.ts)
 */
import { RuntimeError } from "../common/errors.js";
import { checkSignal, checkTimeout, describe, TIMEOUT_MAX } from "../common/checks.js";
import { runAsync, runBlocking, type WaitSite } from "../runtime/wait.js";
import { runtime } from "../runtime/runtime.js";
import { watchedLock } from "../runtime/lock-watch.js";
import { ObjectClass, WaitKind } from "../memory/wait-record.js";
import { isLocked, lockLoop, tryLock, unlock } from "../memory/futex-mutex.js";
import type { WaitLoop } from "../memory/sleep.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { showAsRepr } from "../common/repr.js";

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

const MUTEX = 0;
const MUTEX_ASYNC = 1;
const HOLDER = 2;
const NUMBER = 3;
const WATCHED = 4;
const WORDS = 5;

/**
 * Python's threading.Lock: a mutex in shared memory, taken and released by any thread that has it
 * (pass it in args). acquire() blocks the calling OS thread; acquireAsync() doesn't.
 */
export class Lock implements Shareable {
  readonly #word: Int32Array;
  #site: WaitSite | null = null;

  constructor() {
    this.#word = takeAttached<Int32Array>() ?? new Int32Array(new SharedArrayBuffer(WORDS * 4));
  }

  /** What a thread sleeping in acquire() waits on, for thread dumps and deadlock detection. */
  get #waitSite(): WaitSite {
    const w = this.#word;
    return (this.#site ??= {
      kind: WaitKind.LockAcquire,
      object: () => watchedLock(w, { cls: ObjectClass.Lock, number: NUMBER, watched: WATCHED, mutex: MUTEX, holder: HOLDER }),
    });
  }

  /**
   * Takes the lock, waiting for it; with blocking = false, or a timeout in milliseconds (-1:
   * forever), it may give up and return false.
   */
  acquire(blocking = true, timeout = -1): boolean {
    // The common call, acquire() on a free lock: one compare-and-swap, nothing else.
    if (blocking === true && timeout === -1 && tryLock(this.#word, MUTEX)) {
      this.#word[HOLDER] = runtime.ident;
      return true;
    }
    return runBlocking(this._acquireLoop(lockTimeout(blocking, timeout, "Lock.acquire")), this.#waitSite);
  }

  /** The async twin of acquire: resolves true when taken, false once `timeout` ms have passed. */
  async acquireAsync(timeout: number | null = -1, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = lockTimeout(true, timeout, "Lock.acquireAsync");
    return runAsync(this._acquireLoop(ms), checkSignal(options, "Lock.acquireAsync"));
  }

  /** @internal The wait loop of acquire (a Condition re-acquires its lock with it). */
  *_acquireLoop(ms: number): WaitLoop<boolean> {
    if (!(yield* lockLoop(this.#word, MUTEX, ms, MUTEX_ASYNC))) return false;
    this.#word[HOLDER] = runtime.ident;
    return true;
  }

  /** @internal What acquire() waits in (a Condition re-acquiring its lock shows as this). */
  get _waitSite(): WaitSite {
    return this.#waitSite;
  }

  /** Releases the lock (any thread may); releasing an unlocked lock is a RuntimeError. */
  release(): void {
    if (!unlock(this.#word, MUTEX, MUTEX_ASYNC)) throw new RuntimeError("release unlocked lock: Lock.release() was called on a lock nobody holds");
  }

  /** True while some thread holds the lock. */
  locked(): boolean {
    return isLocked(this.#word, MUTEX);
  }

  /** `using _ = lock.hold()` is Python's `with lock:`. */
  hold(): Disposable {
    this.acquire();
    return { [Symbol.dispose]: () => this.release() };
  }

  /**
   * `await using _ = await lock.holdAsync()`: Python's `async with`-like form; released when the
   * block ends.
   */
  async holdAsync(options?: { signal?: AbortSignal }): Promise<AsyncDisposable> {
    await this.acquireAsync(-1, options);
    return { [Symbol.asyncDispose]: async () => this.release() };
  }

  toString(): string {
    return `<Lock ${this.locked() ? "locked" : "unlocked"}>`;
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    return { kind: "Lock", w: this.#word };
  }
}

registerReviver("Lock", (h) => attach(sharedView(h, "w", Int32Array, WORDS), () => new Lock()));

showAsRepr(Lock);
