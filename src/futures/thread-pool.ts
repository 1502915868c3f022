/**
 * ThreadPoolExecutor: Python's concurrent.futures pool over skein threads. Tasks go through one
 * shared queue that idle pool threads take from, as in Python; functions travel like thread
 * targets (compiled once per pool thread); outcomes come back on each thread's port.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { RuntimeError } from "../common/errors.js";
import { checkThreadName, Thread } from "../threading/thread.js";
import { MAX_THREADS } from "../memory/control-block.js";
import { runtime } from "../runtime/runtime.js";
import { onShutdown } from "../runtime/exit.js";
import { Queue } from "../queue/queue.js";
import { checkOptionNames, describe } from "../common/checks.js";
import { packParts, unpack, type Packed } from "../ship/values.js";
import type { ShippedCode } from "../ship/shipment.js";
import { checkCallable, codeFor, hintModule, moduleOption } from "../ship/packing.js";
import {
  BROKEN, EVENTS, IDLE, poolWords, SHUTDOWN, T_CURRENT, T_DEATH_CODE, T_DEATH_KIND, threadWord, type FromWorker, type TaskRecord, type ToWorker,
} from "./pool-layout.js";
import { deathMessage } from "../runtime/death.js";
import { runAsync } from "../runtime/wait.js";
import { sleepOnce } from "../memory/sleep.js";
import { poolWorker } from "./pool-worker.js";
import { BrokenThreadPoolError, CancelledError, FState, Future, TimeoutError, type ResultSource } from "./future.js";
import { checkTimeout } from "../common/checks.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";

/**
 * What new ThreadPoolExecutor() takes, as Python's ThreadPoolExecutor(max_workers,
 * thread_name_prefix, initializer, initargs).
 */
export interface ThreadPoolOptions<I extends unknown[] = any[]> {
  /**
   * How many threads the pool runs at most (default: min(32, cores + 4), as Python; at most 1023).
   */
  maxWorkers?: number;
  /** Names of the pool's threads: prefix_0, prefix_1, ... (default "ThreadPoolExecutor-N"). */
  threadNamePrefix?: string;
  /**
   * Run in each pool thread before its first task, with initargs; if it throws, the pool breaks
   * (BrokenThreadPoolError).
   */
  initializer?: (...args: I) => unknown;
  /** The initializer's arguments. */
  initargs?: I;
  /**
   * The file that defines the initializer and the tasks: `import.meta.url`, a file URL or an
   * absolute path. Needed only on runtimes that can't say where a function was defined (Bun,
   * Deno), when that file is neither on the stack of the call to submit() nor imported by a file
   * that is; Node ignores it.
   */
  module?: string | URL;
}

interface PoolThread {
  thread: Thread;
  port: MessagePort;
  /** Its index among the pool's threads (its words in the control block); a replacement takes it over. */
  k: number;
}

const INITIAL_SLOTS = 1024;
const MAX_SLOT_BYTES = 2 ** 26;

let poolCounter = 0;
const fnIds = new WeakMap<Function, number>();
let nextFnId = 1;
const live = new Set<ThreadPoolExecutor>();

// Python joins every executor's threads when the interpreter exits (after the main program and
// its non-daemon threads), so work already submitted still finishes, even after shutdown(false).
// A pool a thread made is joined when that thread has nothing left to run.
const joinPools = () => {
  for (const pool of live) pool.shutdown(true);
};
// In a worker, ahead of the listeners that end the thread (worker/bootstrap.ts), which were there
// first: a worker loads this module only when a thread first uses the API (common/own-api.ts).
// Deno emits no 'beforeExit' in a worker: its thread ends when the worker exits with 0, its event
// loop empty. Elsewhere a worker exits with 0 only idle, its pools joined already.
if (runtime.isMain) onShutdown(joinPools);
else {
  process.prependListener("beforeExit", joinPools);
  process.prependListener("exit", (code) => {
    if (code === 0) joinPools();
  });
}

/**
 * Python's concurrent.futures.ThreadPoolExecutor: submit() or map() functions to a pool of threads
 * and get Futures of their results.
 */
export class ThreadPoolExecutor implements ResultSource, Disposable {
  /** How many threads the pool runs at most. */
  readonly maxWorkers: number;
  readonly #prefix: string;
  readonly #ctl: Int32Array;
  readonly #tasks = new Queue<TaskRecord>();
  readonly #statesSab: SharedArrayBuffer;
  readonly #states: Int32Array;
  readonly #threads: PoolThread[] = [];
  readonly #init: ShippedCode | null;
  readonly #initargs: unknown[];
  readonly #outstanding = new Map<number, Future<unknown>>();
  /** Task functions every pool thread has been sent, for threads started later. */
  readonly #codes = new Map<number, ShippedCode>();
  /** Args posted to the ports (shared memory, skein objects) of tasks not started yet, for threads started later. */
  readonly #pendingArgs = new Map<number, { args: Packed; future: Future<unknown> }>();
  readonly #freeSlots: number[] = [];
  /** Slots of settled futures, reusable once no pool thread can still touch them. */
  #retiring: number[] = [];
  #nextSlot = 0;
  #watched = 0;
  #watching: AbortController | null = null;
  #nextId = 1;
  #shutdown = false;

  constructor(options: ThreadPoolOptions = {}) {
    // Python's positional ThreadPoolExecutor(4, "pool") would lose its prefix here silently.
    if (arguments.length > 1) {
      throw new TypeError(`new ThreadPoolExecutor: takes one options object, like new ThreadPoolExecutor({ maxWorkers: 4, threadNamePrefix: "pool" }), got ${arguments.length} arguments`);
    }
    if (options === null || typeof options !== "object") {
      const hint = typeof options === "number" ? `; for ${options} threads, new ThreadPoolExecutor({ maxWorkers: ${options} })` : "";
      throw new TypeError(`new ThreadPoolExecutor(options): options must be an object like { maxWorkers }, got ${describe(options)}${hint}`);
    }
    checkOptionNames(options, ["maxWorkers", "threadNamePrefix", "initializer", "initargs", "module"], "new ThreadPoolExecutor");
    const { maxWorkers, threadNamePrefix, initializer, initargs } = options;
    if (maxWorkers !== undefined && maxWorkers !== null) {
      if (typeof maxWorkers !== "number") throw new TypeError(`ThreadPoolExecutor: maxWorkers must be a number, got ${describe(maxWorkers)}`);
      if (!Number.isInteger(maxWorkers) || maxWorkers <= 0) throw new RangeError(`ThreadPoolExecutor: maxWorkers must be an integer greater than 0, got ${maxWorkers}`);
      if (maxWorkers > MAX_THREADS - 1) {
        throw new RangeError(`ThreadPoolExecutor: maxWorkers can be at most ${MAX_THREADS - 1} (the most threads skein runs at once besides the main thread), got ${maxWorkers}`);
      }
    }
    if (threadNamePrefix !== undefined && typeof threadNamePrefix !== "string") {
      throw new TypeError(`ThreadPoolExecutor: threadNamePrefix must be a string, got ${describe(threadNamePrefix)}`);
    }
    // Checked with the longest suffix a pool thread's name gets ("_" and its index).
    if (threadNamePrefix) checkThreadName(`${threadNamePrefix}_${MAX_THREADS}`, `ThreadPoolExecutor: threadNamePrefix plus "_${MAX_THREADS}"`);
    if (initializer !== undefined && initializer !== null && typeof initializer !== "function") {
      throw new TypeError(`ThreadPoolExecutor: initializer must be a function, got ${describe(initializer)}`);
    }
    if (initargs !== undefined && !Array.isArray(initargs)) throw new TypeError(`ThreadPoolExecutor: initargs must be an array, got ${describe(initargs)}`);
    const module = moduleOption(options.module, "ThreadPoolExecutor");
    if (module) hintModule(module);
    // Python 3.13: min(32, process_cpu_count() + 4).
    this.maxWorkers = maxWorkers ?? Math.min(32, availableParallelism() + 4);
    this.#prefix = threadNamePrefix || `ThreadPoolExecutor-${poolCounter++}`;
    this.#ctl = new Int32Array(new SharedArrayBuffer(poolWords(this.maxWorkers) * 4));
    this.#statesSab = new (SharedArrayBuffer as any)(INITIAL_SLOTS * 4, { maxByteLength: MAX_SLOT_BYTES });
    this.#states = new Int32Array(this.#statesSab);
    checkCallable(initializer, "ThreadPoolExecutor: initializer");
    this.#init = initializer ? codeFor(initializer, "initializer", "the pool initializer") : null;
    this.#initargs = initargs ?? [];
    // Checked now, so initargs that can't travel fail here rather than when a thread starts.
    packParts(this.#initargs, this.#initargs.map((_, i) => `initargs[${i}]`));
    live.add(this);
  }

  /** Schedules fn(...args) on a pool thread; the Future holds its outcome. */
  submit<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): Future<Awaited<R>> {
    if (typeof fn !== "function") throw new TypeError(`ThreadPoolExecutor.submit: fn must be a function, got ${describe(fn)}`);
    if (Atomics.load(this.#ctl, BROKEN)) throw new BrokenThreadPoolError();
    if (this.#shutdown) throw new RuntimeError("cannot schedule new futures after shutdown");
    this.heal();
    checkCallable(fn, "ThreadPoolExecutor.submit: fn");
    const code = codeFor(fn, "task", `the task ${fn.name || "(anonymous)"}`);
    const packed = packParts(args, args.map((_, i) => `args[${i}]`));
    let fnId = fnIds.get(fn);
    if (fnId === undefined) fnIds.set(fn, (fnId = nextFnId++));
    if (!this.#codes.has(fnId)) {
      this.#codes.set(fnId, code);
      this.#broadcast({ t: "fn", fnId, code });
    }
    const id = this.#nextId++;
    const future = new Future<Awaited<R>>(this, id, this.#states, this.#allocSlot());
    if (packed.byRef) {
      this.#pendingArgs.set(id, { args: packed, future: future as Future<unknown> });
      this.#broadcast({ t: "args", id, args: packed });
    }
    this.#outstanding.set(id, future as Future<unknown>);
    const plain = packed.handles.length === 0 && packed.code.length === 0;
    this.#tasks.put([id, future._slot, fnId, packed.byRef ? null : plain ? (packed.data as unknown[]) : packed]);
    this.#adjustThreadCount();
    return future;
  }

  #allocSlot(): number {
    if (this.#retiring.length > 0) {
      const still: number[] = [];
      for (const slot of this.#retiring) {
        const s = Atomics.load(this.#states, slot);
        if (s === FState.Finished || s === FState.Seen) this.#freeSlots.push(slot);
        else still.push(slot);
      }
      this.#retiring = still;
    }
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    if ((slot + 1) * 4 > this.#statesSab.byteLength) {
      if ((slot + 1) * 4 > MAX_SLOT_BYTES) throw new RangeError("ThreadPoolExecutor: too many unfinished futures");
      (this.#statesSab as any).grow(Math.min(MAX_SLOT_BYTES, this.#statesSab.byteLength * 2));
    }
    Atomics.store(this.#states, slot, FState.Pending);
    return slot;
  }

  #broadcast(m: ToWorker): void {
    for (const t of this.#threads) t.port.postMessage(m);
  }

  /** Python's _adjust_thread_count: reuse an idle thread if there is one, else start one. */
  #adjustThreadCount(): void {
    for (let idle = Atomics.load(this.#ctl, IDLE); idle > 0; idle = Atomics.load(this.#ctl, IDLE)) {
      if (Atomics.compareExchange(this.#ctl, IDLE, idle, idle - 1) === idle) return;
    }
    if (this.#threads.length < this.maxWorkers) this.#spawn(this.#freeIndex());
  }

  /** The lowest thread index no live pool thread has. */
  #freeIndex(): number {
    const taken = new Set(this.#threads.map((t) => t.k));
    let k = 0;
    while (taken.has(k)) k++;
    return k;
  }

  /**
   * @internal A pool thread whose worker died under it (out of memory, a crash): the task it ran
   * fails with BrokenThreadPoolError saying why, and, while tasks wait, a new thread takes its place.
   * Called before every wait on this pool's futures ends and at every submit().
   */
  heal(): void {
    let lost = false;
    for (const t of [...this.#threads]) {
      if (t.thread.isAlive()) continue;
      const kind = Atomics.exchange(this.#ctl, threadWord(t.k, T_DEATH_KIND), 0);
      const slot = Atomics.exchange(this.#ctl, threadWord(t.k, T_CURRENT), 0) - 1;
      if (kind === 0 && !this.#shutdown) {
        if (slot >= 0) Atomics.store(this.#ctl, threadWord(t.k, T_CURRENT), slot + 1);
        continue; // not dead yet as far as the pool can tell
      }
      // The outcomes it sent before it ended are still to be read.
      this.#drainPort(t.port);
      this.#threads.splice(this.#threads.indexOf(t), 1);
      t.port.close();
      lost = true;
      if (kind === 0) continue; // it left after shutdown, as it should
      const code = Atomics.load(this.#ctl, threadWord(t.k, T_DEATH_CODE));
      const why = deathMessage(kind, code);
      if (slot >= 0 && Atomics.compareExchange(this.#states, slot, FState.Running, FState.Finished) === FState.Running) {
        const f = [...this.#outstanding.values()].find((x) => x._slot === slot);
        Atomics.notify(this.#states, slot);
        if (f) {
          this.#outstanding.delete(f._id);
          this.#pendingArgs.delete(f._id);
          this.#retiring.push(f._slot);
          f._settle(false, new BrokenThreadPoolError(`the pool thread running this task died: ${why}; the pool replaced it`));
        }
      }
    }
    // Tasks still waiting get threads: the dead ones are replaced (also during shutdown, which
    // finishes the work already submitted).
    if (lost) {
      const waiting = [...this.#outstanding.values()].filter((f) => !f.done()).length;
      while (waiting > 0 && this.#threads.length < Math.min(this.maxWorkers, waiting)) this.#spawn(this.#freeIndex());
    }
  }

  #spawn(index: number): void {
    const { port1, port2 } = new MessageChannel();
    // What earlier tasks need travels in the port ahead of the thread.
    for (const [fnId, code] of this.#codes) port1.postMessage({ t: "fn", fnId, code } satisfies ToWorker);
    for (const [id, { args, future }] of this.#pendingArgs) {
      if (future.done() || future.running()) this.#pendingArgs.delete(id);
      else port1.postMessage({ t: "args", id, args } satisfies ToWorker);
    }
    const thread = new Thread({
      name: `${this.#prefix}_${index}`,
      target: poolWorker,
      args: [this.#ctl, this.#tasks, this.#states, port2, this.#init, this.#initargs, index],
      // Idle pool threads must not keep the process alive; exit joins them properly (beforeExit).
      daemon: true,
    });
    thread.start();
    port1.on("message", (m: FromWorker) => this.#onMessage(m));
    if (this.#watched === 0) port1.unref();
    this.#threads.push({ thread, port: port1, k: index });
  }

  /** @internal The word a blocked result() sleeps on: bumped by every finished task and every death. */
  get _events(): { arr: Int32Array; index: number } {
    return { arr: this.#ctl, index: EVENTS };
  }

  #onMessage(m: FromWorker): void {
    // A broken pool is in the shared BROKEN word already: submit() refuses, and every task
    // still queued comes back failed with BrokenThreadPoolError.
    if ("broken" in m) return;
    const f = this.#outstanding.get(m.id);
    if (!f) return;
    this.#outstanding.delete(m.id);
    this.#pendingArgs.delete(m.id);
    let ok = m.ok;
    let value: unknown;
    try {
      // A result or an exception, with its class (a custom Error subclass arrives as itself).
      value = unpack(m.value).value;
    } catch (e) {
      // An outcome that can't be revived here fails its own future, not the pool.
      ok = false;
      value = e;
    }
    this.#retiring.push(f._slot);
    f._settle(ok, value);
    if (this.#watched > 0 && this.#outstanding.size === 0) this.#unwatch();
  }

  /** @internal Reads results without the event loop (a blocked result() needs them). */
  drain(): void {
    for (const t of this.#threads) this.#drainPort(t.port);
  }

  #drainPort(port: MessagePort): void {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) this.#onMessage(m.message as FromWorker);
  }

  /** @internal A cancelled future will get no message. */
  forget(future: Future<unknown>): void {
    this.#outstanding.delete(future._id);
    this.#pendingArgs.delete(future._id);
    this.#retiring.push(future._slot);
    if (this.#watched > 0 && this.#outstanding.size === 0) this.#unwatch();
  }

  /** @internal Someone awaits a future: keep the event loop alive until results are in. */
  watch(): void {
    if (this.#watched++ > 0) return;
    for (const t of this.#threads) t.port.ref();
    void this.#watchDeaths((this.#watching = new AbortController()).signal);
  }

  #unwatch(): void {
    this.#watched = 0;
    for (const t of this.#threads) t.port.unref();
    this.#watching?.abort();
    this.#watching = null;
  }

  /** While someone awaits a future: a task whose thread dies gets its outcome from heal(). */
  async #watchDeaths(signal: AbortSignal): Promise<void> {
    try {
      while (!signal.aborted) {
        const seen = Atomics.load(this.#ctl, EVENTS);
        this.heal();
        await runAsync(sleepOnce(this.#ctl, EVENTS, seen, Infinity), signal);
      }
    } catch {
      // unwatched: nobody waits any more
    }
  }

  /**
   * Python's Executor.map: submits fn over the zipped iterables at once and returns a blocking
   * iterator of results in order. A last argument { timeout } (ms) bounds the whole iteration.
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
      if (!it || typeof (it as any)[Symbol.iterator] !== "function") {
        // Python's map(fn, items, timeout=1.0) is map(fn, items, { timeout: 1000 }) here.
        const hint = typeof it === "number" && i === iterables.length - 1 ? `; a timeout goes last as { timeout: ${it} } (milliseconds)` : "";
        throw new TypeError(`ThreadPoolExecutor.map: argument ${i + 1} is not iterable${hint}`);
      }
      return (it as Iterable<unknown>)[Symbol.iterator]();
    });
    const futures: Future<Awaited<R>>[] = [];
    if (its.length === 0) return results(futures, deadline, ms); // zip() of nothing is empty
    for (;;) {
      const row: unknown[] = [];
      for (const it of its) {
        const r = it.next();
        if (r.done) return results(futures, deadline, ms);
        row.push(r.value);
      }
      futures.push(this.submit(fn, ...row) as Future<Awaited<R>>);
    }
  }

  /** Stops taking tasks; with wait, returns once every submitted task has finished. */
  shutdown(wait = true, options: { cancelFutures?: boolean } = {}): void {
    if (typeof wait !== "boolean") throw new TypeError(`ThreadPoolExecutor.shutdown: wait must be a boolean`);
    if (options === null || typeof options !== "object") throw new TypeError(`ThreadPoolExecutor.shutdown: options must be an object like { cancelFutures }`);
    checkOptionNames(options, ["cancelFutures"], "ThreadPoolExecutor.shutdown");
    if (options.cancelFutures) for (const f of [...this.#outstanding.values()]) f.cancel();
    if (!this.#shutdown) {
      this.#shutdown = true;
      Atomics.store(this.#ctl, SHUTDOWN, 1);
      this.#tasks.put(null); // each thread passes the stop sign on before it leaves
    }
    if (wait) {
      // Threads that die meanwhile are replaced until the work submitted is done.
      for (let joined = new Set<Thread>(); ; ) {
        for (const t of this.#threads) {
          t.thread.join();
          joined.add(t.thread);
        }
        this.drain();
        this.heal();
        if (this.#threads.every((t) => joined.has(t.thread))) break;
      }
      live.delete(this);
    }
  }

  /**
   * `using pool = new ThreadPoolExecutor()`: shuts the pool down (waiting for its tasks) when the
   * block ends, as Python's `with`.
   */
  [Symbol.dispose](): void {
    this.shutdown(true);
  }
}

function* results<R>(futures: Future<R>[], deadline: number, ms: number): Generator<R, void, undefined> {
  try {
    for (const f of futures) {
      const left = remaining(deadline);
      const late = () => new TimeoutError(`ThreadPoolExecutor.map: results not ready within ${ms} ms`);
      if (ms !== Infinity && left <= 0 && !f.done()) throw late();
      let value: R;
      try {
        value = f.result(ms === Infinity ? undefined : left);
      } catch (e) {
        // Timed out waiting for this one: say so against map's timeout, not what was left of it.
        if (e instanceof TimeoutError && !f.done()) throw late();
        throw e;
      }
      yield value;
    }
  } finally {
    for (const f of futures) f.cancel();
  }
}
