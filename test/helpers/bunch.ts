// A port of CPython's lock_tests.Bunch: N skein threads running the same function, with bounded
// waits for "all started" / "all finished", an optional hold-before-exit, and exceptions raised
// in the threads collected and re-thrown in the test (as the modern Bunch raises an ExceptionGroup).
import { Thread } from "skein";
import { waitAtLeast } from "./cells.js";
import { eventually } from "./wait.js";

// Cells of the shared control array.
const STARTED = 0;
const FINISHED = 1;
const ERRORS = 2;
const CAN_EXIT = 3;
const MSG_LEN = 4;
const HEADER_BYTES = 32;
const MSG_BYTES = 2048;

/**
 * The thread class of a Bunch. Its run() wraps the target: counts starts and finishes, records the
 * first exception's text in shared memory, and (with waitBeforeExit) holds the thread until
 * doFinish(). Fields are copied to the thread; `ctl` and `msg` view one SharedArrayBuffer, so they
 * are shared.
 */
export class BunchThread extends Thread {
  constructor(
    readonly ctl: Int32Array,
    readonly msg: Uint8Array,
    target: (...args: any[]) => unknown,
    args: unknown[],
  ) {
    // Daemon: should a test fail with a thread still stuck, the test process can still exit.
    super({ target, args, daemon: true });
  }

  override run(): unknown {
    const ctl = this.ctl;
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    try {
      return super.run();
    } catch (e) {
      if (Atomics.add(ctl, 2, 1) === 0) {
        const text = new TextEncoder().encode(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
        const n = Math.min(text.length, this.msg.length);
        this.msg.set(text.subarray(0, n));
        Atomics.store(ctl, 4, n);
      }
      throw e;
    } finally {
      Atomics.add(ctl, 1, 1);
      Atomics.notify(ctl, 1);
      // Held here (raw Atomics.wait: the thread shows as "running", not "blocked") until doFinish().
      const deadline = Date.now() + 30_000;
      while (Atomics.load(ctl, 3) === 0 && Date.now() < deadline) Atomics.wait(ctl, 3, 0, 100);
    }
  }
}

export class Bunch<A extends unknown[]> {
  readonly threads: BunchThread[];
  readonly #ctl: Int32Array;
  readonly #msg: Uint8Array;

  /**
   * Starts `n` threads running `target(...args)`. With waitBeforeExit, the threads don't end
   * until doFinish() is called (Python's wait_before_exit).
   */
  constructor(target: (...args: A) => unknown, args: A, readonly n: number, waitBeforeExit = false) {
    const sab = new SharedArrayBuffer(HEADER_BYTES + MSG_BYTES);
    this.#ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.#msg = new Uint8Array(sab, HEADER_BYTES, MSG_BYTES);
    if (!waitBeforeExit) this.#ctl[CAN_EXIT] = 1;
    this.threads = [];
    try {
      for (let i = 0; i < n; i++) {
        const t = new BunchThread(this.#ctl, this.#msg, target as (...args: any[]) => unknown, args);
        t.start();
        this.threads.push(t);
      }
    } catch (e) {
      this.doFinish();
      throw e;
    }
  }

  get started(): number {
    return Atomics.load(this.#ctl, STARTED);
  }

  get finished(): number {
    return Atomics.load(this.#ctl, FINISHED);
  }

  /** Number of threads whose target threw. */
  get errors(): number {
    return Atomics.load(this.#ctl, ERRORS);
  }

  waitForStarted(ms = 10_000): this {
    waitAtLeast(this.#ctl, STARTED, this.n, ms, "the bunch's threads to start");
    return this;
  }

  /** Waits until every target has returned (with waitBeforeExit the threads are still alive). */
  waitForReturned(ms = 10_000): this {
    waitAtLeast(this.#ctl, FINISHED, this.n, ms, "the bunch's targets to return");
    return this;
  }

  /**
   * Waits until every target has returned, then until every thread has terminated, then throws if
   * any target threw (with the first exception's text).
   */
  waitForFinished(ms = 10_000): this {
    this.waitForReturned(ms);
    for (const t of this.threads) {
      if (!t.join(ms)) throw new Error(`${t.name} did not terminate within ${ms} ms`);
    }
    this.throwIfFailed();
    return this;
  }

  throwIfFailed(): void {
    const errors = this.errors;
    if (errors > 0) {
      const text = new TextDecoder().decode(this.#msg.slice(0, Atomics.load(this.#ctl, MSG_LEN)));
      throw new Error(`${errors} of the bunch's ${this.n} threads raised; the first: ${text}`);
    }
  }

  doFinish(): void {
    Atomics.store(this.#ctl, CAN_EXIT, 1);
    Atomics.notify(this.#ctl, CAN_EXIT);
  }

  /**
   * Python's wait_threads_blocked(n), without the sleep: waits (bounded) until at least `count` of
   * the threads are blocked in a skein call (Lock.acquire, Condition.wait, Event.wait, ...).
   */
  async waitBlocked(count = this.n, ms = 10_000): Promise<void> {
    await eventually(`${count} of the bunch's threads to block`, () => this.threads.filter((t) => t.state === "blocked").length >= count, ms);
  }

  /** Waits until every thread is either blocked in a skein call or has terminated. */
  async waitSettled(ms = 10_000): Promise<void> {
    await eventually("the bunch's threads to block or end", () => this.threads.every((t) => t.state === "blocked" || t.state === "terminated"), ms);
  }
}
