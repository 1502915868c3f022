/**
 * RLock: Python's reentrant lock. Shared words: 0 the futex mutex, 1 its async-waiter count,
 * 2 OWNER (ident of the holding thread, 0 none), 3 COUNT (recursion depth; only the owner
 * touches it).
 */
import { RuntimeError } from "../common/errors.js";
import { checkSignal } from "../runtime/wait.js";
import { isLocked, lockWithin, lockWithinAsync, unlock } from "../memory/futex-mutex.js";
import { lockTimeout } from "./lock.js";
import { currentIdent } from "../runtime/runtime.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../ship/handles.js";

const MUTEX = 0;
const MUTEX_ASYNC = 1;
const OWNER = 2;
const COUNT = 3;

export class RLock implements Shareable {
  readonly #w: Int32Array;

  constructor() {
    this.#w = takeAttached<Int32Array>() ?? new Int32Array(new SharedArrayBuffer(16));
  }

  acquire(blocking = true, timeout = -1): boolean {
    const ms = lockTimeout(blocking, timeout, "RLock.acquire");
    const me = currentIdent();
    const w = this.#w;
    if (Atomics.load(w, OWNER) === me) {
      Atomics.add(w, COUNT, 1);
      return true;
    }
    if (!lockWithin(w, MUTEX, ms)) return false;
    this.#own(me, 1);
    return true;
  }

  async acquireAsync(timeout: number | null = -1, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = lockTimeout(true, timeout, "RLock.acquireAsync");
    const signal = checkSignal(options, "RLock.acquireAsync");
    const me = currentIdent();
    if (Atomics.load(this.#w, OWNER) === me) {
      Atomics.add(this.#w, COUNT, 1);
      return true;
    }
    if (!(await lockWithinAsync(this.#w, MUTEX, ms, signal, MUTEX_ASYNC))) return false;
    this.#own(me, 1);
    return true;
  }

  #own(me: number, count: number): void {
    Atomics.store(this.#w, OWNER, me);
    Atomics.store(this.#w, COUNT, count);
  }

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

  locked(): boolean {
    return isLocked(this.#w, MUTEX);
  }

  hold(): Disposable {
    this.acquire();
    return { [Symbol.dispose]: () => this.release() };
  }

  async holdAsync(options?: { signal?: AbortSignal }): Promise<AsyncDisposable> {
    await this.acquireAsync(-1, options);
    return { [Symbol.asyncDispose]: async () => this.release() };
  }

  /** For Condition.wait: release completely, whatever the depth, and say how deep it was. */
  _releaseSave(): number {
    const w = this.#w;
    if (Atomics.load(w, OWNER) !== currentIdent()) throw new RuntimeError("cannot release un-acquired lock");
    const count = Atomics.load(w, COUNT);
    Atomics.store(w, COUNT, 0);
    Atomics.store(w, OWNER, 0);
    unlock(w, MUTEX, MUTEX_ASYNC);
    return count;
  }

  _acquireRestore(count: number): void {
    lockWithin(this.#w, MUTEX, Infinity);
    this.#own(currentIdent(), count);
  }

  async _acquireRestoreAsync(count: number): Promise<void> {
    await lockWithinAsync(this.#w, MUTEX, Infinity, undefined, MUTEX_ASYNC);
    this.#own(currentIdent(), count);
  }

  _isOwned(): boolean {
    return Atomics.load(this.#w, OWNER) === currentIdent();
  }

  toString(): string {
    const owner = Atomics.load(this.#w, OWNER);
    return `<RLock ${owner ? "locked" : "unlocked"} owner=${owner || "None"} count=${Atomics.load(this.#w, COUNT)}>`;
  }

  [SHARE]() {
    return { kind: "RLock", w: this.#w };
  }
}

registerReviver("RLock", (h) => attach(sharedView(h, "w", Int32Array, 4), () => new RLock()));
