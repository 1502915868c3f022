/**
 * ThreadPoolExecutor: Python's concurrent.futures pool over skein threads. Functions travel like
 * thread targets (compiled once per pool thread); each task goes to the least busy thread's port
 * and wakes it through its mailbox word; outcomes come back on the same port.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { cpus } from "node:os";
import { RuntimeError } from "./errors.js";
import { Thread } from "./thread.js";
import { describe } from "./timeout.js";
import { encode, revive } from "./share.js";
import { shipFunction, type Unit } from "./ship/shipment.js";
import { BROKEN, mailboxOf, pendingOf, poolWords, SHUTDOWN, type FromWorker } from "./pool-layout.js";
import { poolWorker } from "./pool-worker.js";
import { BrokenThreadPoolError, FState, Future, TimeoutError, type ResultSource } from "./futures.js";
import { checkTimeout, deadlineFrom, remaining } from "./timeout.js";

export interface ThreadPoolOptions<I extends unknown[] = unknown[]> {
  maxWorkers?: number;
  threadNamePrefix?: string;
  initializer?: (...args: I) => unknown;
  initargs?: I;
}

interface PoolThread {
  thread: Thread;
  port: MessagePort;
  sent: Set<number>;
}

let poolCounter = 0;
const fnIds = new WeakMap<Function, number>();
let nextFnId = 1;
const live = new Set<ThreadPoolExecutor>();

// Python shuts every executor down (waiting for queued work) when the interpreter exits.
process.on("beforeExit", () => {
  for (const pool of live) pool.shutdown(true);
});

export class ThreadPoolExecutor implements ResultSource, Disposable {
  readonly maxWorkers: number;
  readonly #prefix: string;
  readonly #ctl: Int32Array;
  readonly #threads: PoolThread[] = [];
  readonly #init: Unit | null;
  readonly #initargs: unknown[];
  readonly #outstanding = new Map<number, Future<unknown>>();
  #watched = 0;
  #nextId = 1;
  #shutdown = false;

  constructor(options: ThreadPoolOptions = {}) {
    if (options === null || typeof options !== "object") throw new TypeError(`new ThreadPoolExecutor(options): options must be an object, got ${describe(options)}`);
    const { maxWorkers, threadNamePrefix, initializer, initargs } = options;
    if (maxWorkers !== undefined && maxWorkers !== null) {
      if (typeof maxWorkers !== "number") throw new TypeError(`ThreadPoolExecutor: maxWorkers must be a number, got ${describe(maxWorkers)}`);
      if (!Number.isInteger(maxWorkers) || maxWorkers <= 0) throw new RangeError(`ThreadPoolExecutor: maxWorkers must be an integer greater than 0, got ${maxWorkers}`);
    }
    if (threadNamePrefix !== undefined && typeof threadNamePrefix !== "string") throw new TypeError(`ThreadPoolExecutor: threadNamePrefix must be a string`);
    if (initializer !== undefined && initializer !== null && typeof initializer !== "function") {
      throw new TypeError(`ThreadPoolExecutor: initializer must be a function, got ${describe(initializer)}`);
    }
    if (initargs !== undefined && !Array.isArray(initargs)) throw new TypeError(`ThreadPoolExecutor: initargs must be an array`);
    this.maxWorkers = maxWorkers ?? Math.min(32, cpus().length + 4);
    this.#prefix = threadNamePrefix || `ThreadPoolExecutor-${poolCounter++}`;
    this.#ctl = new Int32Array(new SharedArrayBuffer(poolWords(this.maxWorkers) * 4));
    this.#init = initializer ? shipFunction(initializer, "the pool initializer") : null;
    this.#initargs = (initargs ?? []).map((a, i) => encode(a, `initargs[${i}]`));
    live.add(this);
  }

  /** Schedules fn(...args) on a pool thread; the Future holds its outcome. */
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    if (typeof fn !== "function") throw new TypeError(`ThreadPoolExecutor.submit: fn must be a function, got ${describe(fn)}`);
    if (Atomics.load(this.#ctl, BROKEN)) throw new BrokenThreadPoolError();
    if (this.#shutdown) throw new RuntimeError("cannot schedule new futures after shutdown");
    const unit = shipFunction(fn, `the task ${fn.name || "(anonymous)"}`);
    let fnId = fnIds.get(fn);
    if (fnId === undefined) fnIds.set(fn, (fnId = nextFnId++));
    const encoded = args.map((a, i) => encode(a, `args[${i}]`));
    const id = this.#nextId++;
    const future = new Future<Awaited<R>>(this, id);
    const t = this.#pick();
    const first = !t.sent.has(fnId);
    t.port.postMessage({ t: "task", id, fn: fnId, unit: first ? unit : null, args: encoded, state: future.state });
    if (first) t.sent.add(fnId);
    this.#outstanding.set(id, future as Future<unknown>);
    const i = this.#threads.indexOf(t);
    Atomics.add(this.#ctl, pendingOf(i), 1);
    if (Atomics.exchange(this.#ctl, mailboxOf(i), 1) === 0) Atomics.notify(this.#ctl, mailboxOf(i));
    return future;
  }

  /** The least busy thread, or a new one while every thread has work and there is room. */
  #pick(): PoolThread {
    let best: PoolThread | null = null;
    let bestLoad = Infinity;
    this.#threads.forEach((t, i) => {
      const load = Atomics.load(this.#ctl, pendingOf(i));
      if (load < bestLoad) {
        best = t;
        bestLoad = load;
      }
    });
    if (best && bestLoad === 0) return best;
    if (this.#threads.length < this.maxWorkers) return this.#spawn();
    return best!;
  }

  #spawn(): PoolThread {
    const index = this.#threads.length;
    const { port1, port2 } = new MessageChannel();
    const thread = new Thread({
      name: `${this.#prefix}_${index}`,
      target: poolWorker,
      args: [this.#ctl, index, port2, this.#init, this.#initargs],
      // Idle pool threads must not keep the process alive; exit shuts the pool down properly.
      daemon: true,
    });
    thread.start();
    port1.on("message", (m: FromWorker) => this.#onMessage(m));
    port1.unref();
    const t: PoolThread = { thread, port: port1, sent: new Set() };
    this.#threads.push(t);
    return t;
  }

  #onMessage(m: FromWorker): void {
    // A broken pool is in the shared BROKEN word already: submit() refuses, and every task
    // still queued comes back failed with BrokenThreadPoolError.
    if ("broken" in m) return;
    const f = this.#outstanding.get(m.id);
    if (!f) return;
    this.#outstanding.delete(m.id);
    f._settle(m.ok, m.ok ? revive(m.value) : m.value);
    if (this.#watched > 0 && this.#outstanding.size === 0) this.#unwatch();
  }

  /** @internal Reads results without the event loop (a blocked result() needs them). */
  drain(): void {
    for (const t of this.#threads) {
      for (let m = receiveMessageOnPort(t.port); m; m = receiveMessageOnPort(t.port)) this.#onMessage(m.message as FromWorker);
    }
  }

  /** @internal A cancelled future will get no message. */
  forget(future: Future<unknown>): void {
    this.#outstanding.delete(future._id);
    if (this.#watched > 0 && this.#outstanding.size === 0) this.#unwatch();
  }

  /** @internal Someone awaits a future: keep the event loop alive until results are in. */
  watch(): void {
    if (this.#watched++ === 0) for (const t of this.#threads) t.port.ref();
  }

  #unwatch(): void {
    this.#watched = 0;
    for (const t of this.#threads) t.port.unref();
  }

  /**
   * Python's Executor.map: submits fn over the zipped iterables at once and returns a blocking
   * iterator of results in order. A last argument { timeout } bounds the whole iteration.
   */
  map<R>(fn: (...args: any[]) => R, ...iterables: Array<Iterable<unknown> | { timeout?: number | null }>): Generator<Awaited<R>, void, undefined> {
    let timeout: number | null | undefined;
    const last = iterables[iterables.length - 1];
    if (last && typeof last === "object" && !(Symbol.iterator in last)) {
      timeout = (last as { timeout?: number | null }).timeout;
      iterables = iterables.slice(0, -1);
    }
    const ms = checkTimeout(timeout, "ThreadPoolExecutor.map");
    const deadline = deadlineFrom(ms);
    const its = iterables.map((it, i) => {
      if (!it || typeof (it as any)[Symbol.iterator] !== "function") throw new TypeError(`ThreadPoolExecutor.map: argument ${i + 1} is not iterable`);
      return (it as Iterable<unknown>)[Symbol.iterator]();
    });
    const futures: Future<Awaited<R>>[] = [];
    for (;;) {
      const row: unknown[] = [];
      for (const it of its) {
        const r = it.next();
        if (r.done) return results(this, futures, deadline, ms);
        row.push(r.value);
      }
      futures.push(this.submit(fn, ...row) as Future<Awaited<R>>);
    }
  }

  /** Stops taking tasks; with wait, returns once every submitted task has finished. */
  shutdown(wait = true, options: { cancelFutures?: boolean } = {}): void {
    if (typeof wait !== "boolean") throw new TypeError(`ThreadPoolExecutor.shutdown: wait must be a boolean`);
    if (options.cancelFutures) for (const f of this.#outstanding.values()) f.cancel();
    if (!this.#shutdown) {
      this.#shutdown = true;
      Atomics.store(this.#ctl, SHUTDOWN, 1);
      this.#threads.forEach((t, i) => {
        t.port.postMessage({ t: "stop" });
        if (Atomics.exchange(this.#ctl, mailboxOf(i), 1) === 0) Atomics.notify(this.#ctl, mailboxOf(i));
      });
      live.delete(this);
    }
    if (wait) {
      for (const t of this.#threads) t.thread.join();
      this.drain();
    }
  }

  [Symbol.dispose](): void {
    this.shutdown(true);
  }
}

function* results<R>(pool: ThreadPoolExecutor, futures: Future<R>[], deadline: number, ms: number): Generator<R, void, undefined> {
  try {
    for (const f of futures) {
      const left = remaining(deadline);
      if (ms !== Infinity && left <= 0 && !f.done()) throw new TimeoutError(`ThreadPoolExecutor.map: results not ready within ${ms} ms`);
      yield f.result(ms === Infinity ? undefined : left);
    }
  } finally {
    for (const f of futures) f.cancel();
  }
  void pool;
}
