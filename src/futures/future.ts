/**
 * Future, wait and asCompleted: Python's concurrent.futures results. A Future's state word is
 * shared with the pool thread running it (so cancel() and running() are exact); its outcome
 * arrives as a message on the pool's port, read by the event loop or, when result() blocks,
 * straight off the port.
 */
import { RuntimeError } from "../common/errors.js";
import { checkOptionNames, checkTimeout, describe } from "../common/checks.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";
import { sleepOnce, type WaitLoop } from "../memory/sleep.js";
import { plainSite, runBlocking } from "../runtime/wait.js";
import { WaitKind } from "../memory/wait-record.js";
import { runtime } from "../runtime/runtime.js";
import { showAsRepr } from "../common/repr.js";

/** A wait for futures that took longer than its timeout (Python's TimeoutError). */
export class TimeoutError extends Error {
  constructor(message = "the operation timed out") {
    super(message);
    this.name = "TimeoutError";
  }
}

/** The result of a cancelled future (Python's CancelledError). */
export class CancelledError extends Error {
  constructor(message = "the future was cancelled") {
    super(message);
    this.name = "CancelledError";
  }
}

/** Python's BrokenThreadPool: an initializer failed, the pool can't run tasks. */
export class BrokenThreadPoolError extends RuntimeError {
  constructor(message = "a thread initializer failed, the thread pool is not usable anymore") {
    super(message);
    this.name = "BrokenThreadPoolError";
  }
}

/**
 * Values of a future's shared state word (a slot of its pool's state table). SEEN: a pool thread
 * took a cancelled task off the queue and skipped it, so the slot may be reused.
 */
export const FState = { Pending: 0, Running: 1, Cancelled: 2, Finished: 3, Seen: 4 } as const;

export interface ResultSource {
  /** Reads every result message waiting on the pool's ports (without the event loop). */
  drain(): void;
  /** The future wants its outcome delivered by the event loop (keeps the process alive). */
  watch(future: Future<unknown>): void;
  /** The future was cancelled: no outcome will come for it. */
  forget(future: Future<unknown>): void;
  /** Fails the futures of tasks whose thread died, and replaces the thread. */
  heal(): void;
  /** The word a blocked wait for an outcome sleeps on (bumped by every outcome and death). */
  readonly _events: { arr: Int32Array; index: number };
}

/** wait() returns as soon as any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** wait() returns as soon as any future fails, or when all have finished. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** wait() returns when every future has finished or been cancelled. */
export const ALL_COMPLETED = "ALL_COMPLETED";
/** When wait() returns: FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/**
 * Python's concurrent.futures.Future: the eventual result (or exception) of a pool task; also a
 * PromiseLike, so `await future` works.
 */
export class Future<R = unknown> implements PromiseLike<R> {
  readonly #states: Int32Array;
  readonly #slot: number;
  /** The state once settled: the shared slot may then be reused by another task. */
  #final: number | null = null;
  #source: ResultSource;
  #settled = false;
  #ok = false;
  #value: unknown;
  #callbacks: Array<(f: Future<R>) => void> = [];
  #promise: Promise<R> | null = null;
  #resolve: ((v: R) => void) | null = null;
  #reject: ((e: unknown) => void) | null = null;

  /** @internal The pool's number for this task. */
  readonly _id: number;

  /** @internal Futures are made by ThreadPoolExecutor.submit. */
  constructor(source: ResultSource, _id: number, states: Int32Array, slot: number) {
    this._id = _id;
    this.#source = source;
    this.#states = states;
    this.#slot = slot;
  }

  #state(): number {
    if (this.#final !== null) return this.#final;
    const s = Atomics.load(this.#states, this.#slot);
    return s === FState.Seen ? FState.Cancelled : s;
  }

  /** True if the task was cancelled before it ran. */
  cancelled(): boolean {
    return this.#state() === FState.Cancelled;
  }

  /** True while the task runs. */
  running(): boolean {
    return this.#state() === FState.Running;
  }

  /** True once the task has finished, failed or been cancelled. */
  done(): boolean {
    const s = this.#state();
    return s === FState.Cancelled || s === FState.Finished;
  }

  /** Cancels a task that hasn't started; true if it is (now) cancelled. */
  cancel(): boolean {
    if (this.#final !== null) return this.#final === FState.Cancelled;
    const prev = Atomics.compareExchange(this.#states, this.#slot, FState.Pending, FState.Cancelled);
    if (prev === FState.Cancelled || prev === FState.Seen) return true;
    if (prev !== FState.Pending) return false;
    Atomics.notify(this.#states, this.#slot);
    this.#final = FState.Cancelled;
    runtime.control.bumpCompletions();
    this.#source.forget(this as Future<unknown>);
    this._settle(false, new CancelledError());
    return true;
  }

  #await(timeout: number | null | undefined, what: string): void {
    runBlocking(this.#awaitLoop(checkTimeout(timeout, what), what), plainSite(WaitKind.FutureResult));
  }

  *#awaitLoop(ms: number, what: string): WaitLoop<void> {
    const deadline = deadlineFrom(ms);
    const { arr, index } = this.#source._events;
    for (;;) {
      const seen = Atomics.load(arr, index);
      if (!this.#settled) this.#source.heal();
      const s = this.#state();
      if (s === FState.Cancelled) throw new CancelledError();
      if (s === FState.Finished) {
        if (!this.#settled) this.#source.drain();
        if (!this.#settled) throw new RuntimeError("the future finished but its result never arrived");
        return;
      }
      if (remaining(deadline) <= 0) throw new TimeoutError(`${what}: the future was not done within ${ms} ms`);
      yield { arr, index, value: seen, deadline };
    }
  }

  /**
   * Blocks until the task is done, for at most `timeout` ms (undefined: forever; then
   * TimeoutError); returns its value or throws its exception (CancelledError if cancelled).
   */
  result(timeout?: number | null): R {
    this.#await(timeout, "Future.result");
    if (!this.#ok) throw this.#value;
    return this.#value as R;
  }

  /** Blocks until done, for at most `timeout` ms; returns the task's exception, or null if it returned normally. */
  exception(timeout?: number | null): unknown {
    this.#await(timeout, "Future.exception");
    return this.#ok ? null : this.#value;
  }

  /** Calls fn(future) when it is done (at once if it already is), in the submitting thread. */
  addDoneCallback(fn: (f: Future<R>) => void): void {
    if (typeof fn !== "function") throw new TypeError(`Future.addDoneCallback: fn must be a function, got ${describe(fn)}`);
    // Done but its outcome still on the port: read it now, so the callback runs at once.
    if (!this.#settled && this.done()) this.#source.drain();
    if (this.#settled) this.#call(fn);
    else {
      this.#callbacks.push(fn);
      this.#source.watch(this as Future<unknown>);
    }
  }

  #call(fn: (f: Future<R>) => void): void {
    try {
      fn(this);
    } catch (e) {
      process.stderr.write(`exception calling callback for ${this}:\n${e instanceof Error ? e.stack : String(e)}\n`);
    }
  }

  then<A = R, B = never>(onFulfilled?: ((v: R) => A | PromiseLike<A>) | null, onRejected?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    if (!this.#promise) {
      this.#promise = new Promise<R>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
      if (this.#settled) this.#deliver();
      else this.#source.watch(this as Future<unknown>);
    }
    return this.#promise.then(onFulfilled, onRejected);
  }

  /** @internal The pool hands over the outcome. */
  _settle(ok: boolean, value: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#final === null) this.#final = FState.Finished;
    this.#ok = ok;
    this.#value = value;
    this.#deliver();
    const cbs = this.#callbacks;
    this.#callbacks = [];
    for (const cb of cbs) this.#call(cb);
  }

  /** @internal */
  get _settled(): boolean {
    return this.#settled;
  }

  /** @internal Lets the pool notice dead threads before this future's state is read. */
  _heal(): void {
    if (!this.#settled) this.#source.heal();
  }

  #deliver(): void {
    if (!this.#resolve) return;
    if (this.#ok) this.#resolve(this.#value as R);
    else this.#reject!(this.#value);
  }

  /** @internal The pool's slot for this future's shared state (reusable once settled). */
  get _slot(): number {
    return this.#slot;
  }

  toString(): string {
    const s = ["pending", "running", "cancelled", "finished", "cancelled"][this.#state()];
    const raised = this.#settled && !this.#ok && s === "finished";
    return `<Future state=${s}${raised ? ` raised ${(this.#value as Error)?.name ?? "exception"}` : ""}>`;
  }
}

function checkFutures(fs: unknown, what: string): Future<unknown>[] {
  if (fs === null || typeof fs !== "object" || !(Symbol.iterator in (fs as object))) {
    throw new TypeError(`${what}: futures must be an iterable of Future, got ${describe(fs)}`);
  }
  const list = [...(fs as Iterable<unknown>)];
  list.forEach((f, i) => {
    if (!(f instanceof Future)) throw new TypeError(`${what}: futures[${i}] is not a Future`);
  });
  return list as Future<unknown>[];
}

function failed(f: Future<unknown>): boolean {
  return f.done() && !f.cancelled() && f.exception(0) !== null;
}

/** What wait() returns, as Python's (done, not_done) pair. */
export interface DoneAndNotDone<R> {
  /** The futures that had finished or been cancelled when wait() returned. */
  done: Set<Future<R>>;
  /** The others. */
  notDone: Set<Future<R>>;
}

/** What wait() returns for futures of different result types: the very futures, done and not. */
export interface DoneAndNotDoneOf<F> {
  /** The futures that had finished or been cancelled when wait() returned. */
  done: Set<F>;
  /** The others. */
  notDone: Set<F>;
}

/** wait()'s options. */
export interface WaitOptions {
  /** How long to wait at most, in milliseconds; undefined or null: no limit. */
  timeout?: number | null;
  /** When to return: FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED (the default). */
  returnWhen?: ReturnWhen;
}

/**
 * Python's concurrent.futures.wait: blocks until `returnWhen` holds (default ALL_COMPLETED) or
 * `timeout` ms pass (undefined: no limit); returns the futures done and not done. Futures of
 * different result types may be waited on together, as in Python.
 */
export function wait<R>(futures: Iterable<Future<R>>, options?: WaitOptions): DoneAndNotDone<R>;
export function wait<F extends Future<any>>(futures: Iterable<F>, options?: WaitOptions): DoneAndNotDoneOf<F>;
export function wait(futures: Iterable<Future<unknown>>, options: WaitOptions = {}): DoneAndNotDone<unknown> {
  const list = checkFutures(futures, "wait");
  // Python's wait(fs, 0.5) passes the timeout second: here it goes in the options.
  if (typeof options === "number") throw new TypeError(`wait: the timeout goes in the options, in milliseconds: wait(futures, { timeout: ${options} })`);
  if (options === null || typeof options !== "object") throw new TypeError(`wait: options must be an object like { timeout, returnWhen }, got ${describe(options)}`);
  checkOptionNames(options, ["timeout", "returnWhen"], "wait");
  const { timeout, returnWhen = ALL_COMPLETED } = options;
  if (![FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED].includes(returnWhen)) {
    throw new RangeError(`wait: returnWhen must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got ${describe(returnWhen)}`);
  }
  const ms = checkTimeout(timeout, "wait");
  const deadline = deadlineFrom(ms);
  const control = runtime.control;
  for (;;) {
    const seq = Atomics.load(control.i32, control.completionsIndex);
    for (const f of list) f._heal();
    const done = new Set(list.filter((f) => f.done()));
    const notDone = new Set(list.filter((f) => !done.has(f)));
    const met = notDone.size === 0
      || (returnWhen === FIRST_COMPLETED && done.size > 0)
      || (returnWhen === FIRST_EXCEPTION && [...done].some((f) => failed(f as Future<unknown>)));
    if (met || remaining(deadline) <= 0) return { done, notDone };
    runBlocking(sleepOnce(control.i32, control.completionsIndex, seq, deadline), plainSite(WaitKind.FuturesWait));
  }
}

/** Python's as_completed: yields each future as it finishes; TimeoutError if `timeout` ms pass first. */
export function asCompleted<R>(futures: Iterable<Future<R>>, timeout?: number | null): Generator<Future<R>, void, undefined>;
export function asCompleted<F extends Future<any>>(futures: Iterable<F>, timeout?: number | null): Generator<F, void, undefined>;
export function* asCompleted(futures: Iterable<Future<unknown>>, timeout?: number | null): Generator<Future<unknown>, void, undefined> {
  const pending = new Set(checkFutures(futures, "asCompleted"));
  const total = pending.size;
  const ms = checkTimeout(timeout, "asCompleted");
  const deadline = deadlineFrom(ms);
  const control = runtime.control;
  while (pending.size > 0) {
    const seq = Atomics.load(control.i32, control.completionsIndex);
    for (const f of pending) f._heal();
    for (const f of [...pending]) {
      if (f.done()) {
        pending.delete(f);
        yield f;
      }
    }
    if (pending.size === 0) return;
    if (remaining(deadline) <= 0) throw new TimeoutError(`${pending.size} (of ${total}) futures unfinished`);
    runBlocking(sleepOnce(control.i32, control.completionsIndex, seq, deadline), plainSite(WaitKind.FuturesWait));
  }
}

showAsRepr(Future);
