/**
 * Semaphore and BoundedSemaphore: Python's counters of free slots, on bare Atomics words.
 * Waiters sleep on VALUE while it is 0.
 *
 * Shared words (Int32):
 *   0  VALUE          free slots
 *   1  INITIAL        the initial value (a BoundedSemaphore's bound)
 *   2  ASYNC_WAITERS  async waiters on VALUE (see Sleep.asyncWaiters)
 *   3  NUMBER         its number in thread dumps (Semaphore#3), given on first wait that sleeps
 */
import { checkSignal, checkTimeout, describe } from "../common/checks.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";
import { wakeCount, type WaitLoop } from "../memory/sleep.js";
import { numberedSite, runAsync, runBlocking } from "../runtime/wait.js";
import { ObjectClass, WaitKind } from "../memory/wait-record.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { showAsRepr } from "../common/repr.js";

const VALUE = 0;
const INITIAL = 1;
const ASYNC_WAITERS = 2;
const NUMBER = 3;
const WORDS = 4;

function checkValue(value: unknown, what: string): number {
  if (typeof value !== "number") throw new TypeError(`${what}: value must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${what}: semaphore initial value must be an integer >= 0, got ${value}`);
  if (value > 0x7fffffff) throw new RangeError(`${what}: value ${value} is larger than 2**31 - 1`);
  return value;
}

function acquireTimeout(blocking: unknown, timeout: unknown, what: string): number {
  if (typeof blocking !== "boolean") throw new TypeError(`${what}: blocking must be a boolean, got ${describe(blocking)}`);
  if (!blocking) {
    if (timeout !== undefined && timeout !== null) throw new RangeError(`${what}: can't specify a timeout for a non-blocking call`);
    return 0;
  }
  return checkTimeout(timeout, what);
}

/**
 * Python's threading.Semaphore: a counter of free slots; acquire() takes one (waiting while none
 * is free), release() gives back.
 */
export class Semaphore implements Shareable {
  /** @internal The shared words (see the table above). */
  protected readonly w: Int32Array;

  constructor(value = 1) {
    const shared = takeAttached<Int32Array>();
    if (shared) {
      this.w = shared;
      return;
    }
    const v = checkValue(value, `new ${new.target.name}`);
    this.w = new Int32Array(new SharedArrayBuffer(WORDS * 4));
    this.w[VALUE] = v;
    this.w[INITIAL] = v;
  }

  #tryTake(): boolean {
    for (;;) {
      const v = Atomics.load(this.w, VALUE);
      if (v <= 0) return false;
      if (Atomics.compareExchange(this.w, VALUE, v, v - 1) === v) return true;
    }
  }

  /**
   * Takes one slot, waiting up to `timeout` ms (undefined: forever) for one to be released;
   * false if none came. With blocking = false it doesn't wait.
   */
  acquire(blocking = true, timeout?: number | null): boolean {
    const ms = acquireTimeout(blocking, timeout, `${this.constructor.name}.acquire`);
    return runBlocking(this.#acquireLoop(ms), numberedSite(WaitKind.SemaphoreAcquire, this.w, NUMBER, ObjectClass.Semaphore));
  }

  /** The async twin of acquire: resolves true once a slot is taken, false after `timeout` ms. */
  async acquireAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    const ms = acquireTimeout(true, timeout, `${this.constructor.name}.acquireAsync`);
    return runAsync(this.#acquireLoop(ms), checkSignal(options, `${this.constructor.name}.acquireAsync`));
  }

  *#acquireLoop(ms: number): WaitLoop<boolean> {
    if (this.#tryTake()) return true;
    const deadline = deadlineFrom(ms);
    for (;;) {
      if (remaining(deadline) <= 0) return false;
      yield { arr: this.w, index: VALUE, value: 0, deadline, asyncWaiters: ASYNC_WAITERS };
      if (this.#tryTake()) return true;
    }
  }

  /** Gives back n slots, waking up to n waiters. */
  release(n = 1): void {
    if (typeof n !== "number") throw new TypeError(`${this.constructor.name}.release: n must be a number, got ${describe(n)}`);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${this.constructor.name}.release: n must be an integer >= 1, got ${n}`);
    this.add(n);
    Atomics.notify(this.w, VALUE, wakeCount(this.w, ASYNC_WAITERS, n));
  }

  /** @internal Adds n free slots (release), refusing to pass 2**31 - 1. */
  protected add(n: number): void {
    for (;;) {
      const v = Atomics.load(this.w, VALUE);
      if (v + n > 0x7fffffff) throw new RangeError(`${this.constructor.name}.release: the value would exceed 2**31 - 1`);
      if (Atomics.compareExchange(this.w, VALUE, v, v + n) === v) return;
    }
  }

  /** Python's private _value, handy in tests and the REPL. */
  get value(): number {
    return Atomics.load(this.w, VALUE);
  }

  /** `using _ = sem.hold()` is Python's `with sem:`: one slot, released when the block ends. */
  hold(): Disposable {
    this.acquire();
    return { [Symbol.dispose]: () => this.release() };
  }

  /**
   * `await using _ = await sem.holdAsync()`: one slot without blocking the event loop, released
   * when the block ends.
   */
  async holdAsync(options?: { signal?: AbortSignal }): Promise<AsyncDisposable> {
    await this.acquireAsync(undefined, options);
    return { [Symbol.asyncDispose]: async () => this.release() };
  }

  toString(): string {
    return `<${this.constructor.name} value=${this.value}>`;
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    return { kind: this instanceof BoundedSemaphore ? "BoundedSemaphore" : "Semaphore", w: this.w };
  }
}

/**
 * Python's threading.BoundedSemaphore: a Semaphore whose release() beyond its initial value is a
 * RangeError (Python's ValueError).
 */
export class BoundedSemaphore extends Semaphore {
  protected override add(n: number): void {
    const initial = Atomics.load(this.w, INITIAL);
    for (;;) {
      const v = Atomics.load(this.w, VALUE);
      if (v + n > initial) throw new RangeError(`Semaphore released too many times: the value would exceed its initial ${initial}`);
      if (Atomics.compareExchange(this.w, VALUE, v, v + n) === v) return;
    }
  }
}

registerReviver("Semaphore", (h) => attach(sharedView(h, "w", Int32Array, WORDS), () => new Semaphore(0)));
registerReviver("BoundedSemaphore", (h) => attach(sharedView(h, "w", Int32Array, WORDS), () => new BoundedSemaphore(0)));

showAsRepr(Semaphore);
