// Helpers for the ThreadPoolExecutor suites: pools whose threads can be found (by their name
// prefix) and joined with a bound, the blocking tasks the tests use to keep pool threads busy,
// futures in each state, and the child process for what only shows at process exit. Every wait
// here is bounded, so a bug fails a test instead of hanging it. Pool threads import this module
// (the tasks below run there): it has no top-level side effects.
import { fileURLToPath } from "node:url";
import { enumerate, Event, type Future, mainThread, sleep, type Thread, ThreadPoolExecutor, type ThreadPoolOptions } from "skein";
import { LONG } from "./bounds.js";
import { shared, waitAtLeast } from "./cells.js";
import { runProgram, type Ran } from "./child-process.js";

let poolSeq = 0;
const prefixes = new WeakMap<ThreadPoolExecutor, string>();

/** A pool whose threads get a prefix unique to this process (unless the test names one). */
export function newPool<I extends unknown[]>(options: ThreadPoolOptions<I> = {}): ThreadPoolExecutor {
  const prefix = options.threadNamePrefix ?? `skein-test-pool-${process.pid}-${poolSeq++}`;
  // The cast: ThreadPoolExecutor's constructor takes ThreadPoolOptions<unknown[]>, which a typed
  // initializer like (count: Int32Array) => void doesn't satisfy.
  const pool = new ThreadPoolExecutor({ ...options, threadNamePrefix: prefix } as ThreadPoolOptions);
  prefixes.set(pool, prefix);
  return pool;
}

/** The pool's live threads (named `${prefix}_${i}`), found through enumerate(). */
export function poolThreads(pool: ThreadPoolExecutor, prefix = prefixes.get(pool)): Thread[] {
  if (prefix === undefined) throw new Error("poolThreads: the pool was not made by newPool and no prefix was given");
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_\\d+$`);
  return enumerate().filter((t) => re.test(t.name));
}

/**
 * Shuts the pool down without blocking unboundedly: shutdown(false), then a bounded join of each
 * of its threads (throws if one is still alive), then shutdown(true), which has nothing left to
 * wait for but reads the last results.
 */
export function closePool(pool: ThreadPoolExecutor, options: { cancelFutures?: boolean; ms?: number } = {}): void {
  const threads = poolThreads(pool);
  pool.shutdown(false, { cancelFutures: options.cancelFutures ?? false });
  for (const t of threads) {
    if (!t.join(options.ms ?? LONG)) throw new Error(`closePool: ${t.name} did not terminate within ${options.ms ?? LONG} ms`);
  }
  pool.shutdown(true);
}

// ---- tasks (they run in pool threads: only their parameters and this module's imports) ----

/**
 * Counts itself started in started[0] (add + notify), then blocks on `gate` (at most `ms`).
 * Returns true if the gate opened, false if the wait timed out (so a stuck test still ends).
 */
export function blockOn(gate: Event, started: Int32Array, ms: number = 15_000): boolean {
  Atomics.add(started, 0, 1);
  Atomics.notify(started, 0);
  return gate.wait(ms);
}

/**
 * Submits `n` blockOn(gate) tasks and returns their futures once all n are running: n pool
 * threads held busy until the gate opens (each gives up by itself after LONG).
 */
export function occupy(pool: ThreadPoolExecutor, gate: Event, n = 1): Future<boolean>[] {
  const started = shared(1);
  const fs = Array.from({ length: n }, () => pool.submit(blockOn, gate, started, LONG));
  waitAtLeast(started, 0, n);
  return fs;
}

/** Counts a run in runs[0] (add + notify) and returns x * y: a task whose runs can be counted. */
export function countedMul(runs: Int32Array, x: number, y: number): number {
  Atomics.add(runs, 0, 1);
  Atomics.notify(runs, 0);
  return x * y;
}

export function mul(x: number, y: number): number {
  return x * y;
}

/** Python's divmod, raising RangeError (for ZeroDivisionError) on a zero divisor. */
export function divmod(a: number, b: number): [number, number] {
  if (b === 0) throw new RangeError("integer division or modulo by zero");
  return [Math.floor(a / b), ((a % b) + b) % b];
}

/**
 * Keeps one pool of a single thread busy so futures in each state can be had, as CPython's
 * util.py makes them with create_future(state=...): `running` is running (blocked on a gate),
 * `pending` and `cancelled` were queued behind it (the latter cancelled), `successful` returned
 * 42, `exception` raised a RangeError. close() opens the gate and joins the pools.
 */
export function stateFutures() {
  const gate = new Event();
  const started = shared(1);
  const slow = newPool({ maxWorkers: 1 });
  const fast = newPool({ maxWorkers: 1 });
  try {
    const [running] = occupy(slow, gate);
    const pending = slow.submit(blockOn, gate, started, LONG);
    const cancelled = slow.submit(blockOn, gate, started, LONG);
    if (!cancelled.cancel()) throw new Error("stateFutures: could not cancel a queued future");
    const successful = fast.submit(mul, 6, 7);
    successful.result(LONG);
    const exception = fast.submit(divmod, 1, 0);
    exception.exception(LONG);
    return {
      pending,
      running,
      cancelled,
      successful,
      exception,
      close(): void {
        gate.set();
        closePool(slow);
        closePool(fast);
      },
      [Symbol.dispose](): void {
        this.close();
      },
    };
  } catch (e) {
    gate.set();
    closePool(slow);
    closePool(fast);
    throw e;
  }
}

/**
 * Returns once the main thread is blocked in a skein call (result(), wait(), shutdown(), ...)
 * after the test set phase[0] to 1 just before making that call: how a task "finishes while the
 * main thread waits for it" without a sleep. Polls (nothing notifies a thread's state), bounded:
 * returns false if it never saw that within `ms`.
 */
export function afterMainBlocks(phase: Int32Array, ms: number = 15_000): boolean {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (Atomics.load(phase, 0) === 1 && mainThread().state === "blocked") return true;
    sleep(1);
  }
  return false;
}

/** Runs test/helpers/pool-child-fixture.ts <mode> in its own process, killed after `ms`. */
export function runPoolChild(mode: string, ms = 20_000): Ran {
  return runProgram(fileURLToPath(new URL("./pool-child-fixture.ts", import.meta.url)), [mode], {
    timeout: ms,
    cwd: fileURLToPath(new URL(".", import.meta.url)),
    env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=256" },
  });
}
