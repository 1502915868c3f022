/**
 * RLock: Python's reentrant lock, a futex mutex (memory/futex-mutex.ts) with an owner and a depth.
 *
 * Shared words (Int32):
 *   0  MUTEX        the futex mutex
 *   1  MUTEX_ASYNC  async waiters on it (see Sleep.asyncWaiters)
 *   2  OWNER        ident of the holding thread, 0 for none
 *   3  COUNT        recursion depth; only the owner touches it
 *   4  NUMBER       its number in thread dumps (RLock#3), given on first contended wait
 *   5  WATCHED      1 once the hub has been told where these words are (runtime/lock-watch.ts)
 */
import { RuntimeError } from "../common/errors.js";
import { checkSignal } from "../common/checks.js";
import { runAsync, runBlocking, type WaitSite } from "../runtime/wait.js";
import { watchedLock } from "../runtime/lock-watch.js";
import { ObjectClass, WaitKind } from "../memory/wait-record.js";
import { isLocked, lockLoop, unlock } from "../memory/futex-mutex.js";
import type { WaitLoop } from "../memory/sleep.js";
import { lockTimeout } from "./lock.js";
import { currentIdent } from "../runtime/runtime.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { showAsRepr } from "../common/repr.js";

const MUTEX = 0;
const MUTEX_ASYNC = 1;
const OWNER = 2;
const COUNT = 3;
const NUMBER = 4;
const WATCHED = 5;
const WORDS = 6;

/**
 * Python's threading.RLock: a lock the holding thread may take again (as many releases as acquires
 * free it); only the holder may release it.
 */
export class RLock implements Shareable {
  readonly #w: Int32Array;
  #site: WaitSite | null = null;

  constructor() {
    this.#w = takeAttached<Int32Array>() ?? new Int32Array(new SharedArrayBuffer(WORDS * 4));
  }

  /**
   * Takes the lock, or takes it once more if this thread holds it already; with blocking = false,
   * or a timeout in milliseconds (-1: forever), it may give up and return false.
   */
  acquire(blocking = true, timeout = -1): boolean {
    return runBlocking(this._acquireLoop(lockTimeout(blocking, timeout, "RLock.acquire")), this._waitSite);
  }

  /** @internal What acquire() waits in, for thread dumps and deadlock detection. */
  get _waitSite(): WaitSite {
    const w = this.#w;
    return (this.#site ??= {
      kind: WaitKind.RLockAcquire,
      object: () => watchedLock(w, { cls: ObjectClass.RLock, number: NUMBER, watched: WATCHED, mutex: MUTEX, holder: OWNER }),
    });
  }

  /** The async twin of acquire: resolves true when taken, false once `timeout` ms have passed. */
  async acquireAsync(timeout: number | null = -1, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = lockTimeout(true, timeout, "RLock.acquireAsync");
    return runAsync(this._acquireLoop(ms), checkSignal(options, "RLock.acquireAsync"));
  }

  /** @internal The wait loop of acquire (a Condition takes its lock with it). */
  *_acquireLoop(ms: number): WaitLoop<boolean> {
    const me = currentIdent();
    if (Atomics.load(this.#w, OWNER) === me) {
      Atomics.add(this.#w, COUNT, 1);
      return true;
    }
    if (!(yield* lockLoop(this.#w, MUTEX, ms, MUTEX_ASYNC))) return false;
    this.#own(me, 1);
    return true;
  }

  #own(me: number, count: number): void {
    Atomics.store(this.#w, OWNER, me);
    Atomics.store(this.#w, COUNT, count);
  }

  /** Undoes one acquire; the last one frees the lock. Only the owning thread may release. */
  release(): void {
    const w = this.#w;
    if (Atomics.load(w, OWNER) !== currentIdent()) {
      throw new RuntimeError("cannot release un-acquired lock: this thread does not hold the RLock");
    }
    if (Atomics.sub(w, COUNT, 1) === 1) {
      Atomics.store(w, OWNER, 0);
      unlock(w, MUTEX, MUTEX_ASYNC);
    }
  }

  /** True while some thread holds the lock. */
  locked(): boolean {
    return isLocked(this.#w, MUTEX);
  }

  /** `using _ = rlock.hold()` is Python's `with rlock:`. */
  hold(): Disposable {
    this.acquire();
    return { [Symbol.dispose]: () => this.release() };
  }

  /** `await using _ = await rlock.holdAsync()`: acquireAsync, released at the end of the block. */
  async holdAsync(options?: { signal?: AbortSignal }): Promise<AsyncDisposable> {
    await this.acquireAsync(-1, options);
    return { [Symbol.asyncDispose]: async () => this.release() };
  }

  /** @internal For Condition.wait: release completely, whatever the depth, and say how deep it was. */
  _releaseSave(): number {
    const w = this.#w;
    if (Atomics.load(w, OWNER) !== currentIdent()) throw new RuntimeError("cannot release un-acquired lock");
    const count = Atomics.load(w, COUNT);
    Atomics.store(w, COUNT, 0);
    Atomics.store(w, OWNER, 0);
    unlock(w, MUTEX, MUTEX_ASYNC);
    return count;
  }

  /** @internal For Condition.wait: take the lock back at the depth _releaseSave reported. */
  *_acquireRestoreLoop(count: number): WaitLoop<void> {
    yield* lockLoop(this.#w, MUTEX, Infinity, MUTEX_ASYNC);
    this.#own(currentIdent(), count);
  }

  /** @internal */
  _isOwned(): boolean {
    return Atomics.load(this.#w, OWNER) === currentIdent();
  }

  toString(): string {
    const owner = Atomics.load(this.#w, OWNER);
    return `<RLock ${owner ? "locked" : "unlocked"} owner=${owner || "None"} count=${Atomics.load(this.#w, COUNT)}>`;
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    return { kind: "RLock", w: this.#w };
  }
}

registerReviver("RLock", (h) => attach(sharedView(h, "w", Int32Array, WORDS), () => new RLock()));

showAsRepr(RLock);
