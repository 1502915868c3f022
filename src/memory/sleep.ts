/**
 * The unit every wait loop is written in. A wait (Lock.acquire, Event.wait, Queue.get, join, ...)
 * is one generator: it checks its shared words, and when it must wait it yields a Sleep, "sleep
 * on this word while it holds this value, until this deadline", and checks again when resumed.
 * It returns the call's result. The runners in runtime/wait.ts drive it, blocking this OS thread
 * (Atomics.wait) or asynchronously (Atomics.waitAsync, with an AbortSignal), so a blocking call
 * and its async twin share one loop and can't drift apart.
 *
 * An async wait that is aborted resumes its loop with the abort's reason thrown at the yield:
 * the loop cleans up (it may yield further sleeps while doing so, which run without the signal)
 * and rethrows.
 */

export interface Sleep {
  readonly arr: Int32Array;
  readonly index: number;
  /** Sleep only while arr[index] still holds this value (so a change just before is never missed). */
  readonly value: number;
  /** Monotonic milliseconds (memory/deadline.ts); Infinity: no deadline. */
  readonly deadline: number;
  /**
   * The blocking runner first re-checks up to this many times (on another core the answer often
   * comes within microseconds, far sooner than a sleep and a wake-up); the async runner doesn't.
   */
  readonly spins?: number;
  /**
   * Then watches arr[index] for up to this many milliseconds (for a wait whose end is likely a
   * moment away; a count of loads would last longer or shorter with the CPU).
   */
  readonly watchMs?: number;
  /** What the spin checks; by default, that arr[index] no longer holds value. */
  readonly ready?: () => boolean;
  /** Only spin, never sleep: the loop resumes with WOKE when the spin found nothing. */
  readonly spinOnly?: boolean;
  /**
   * Index in arr of a word counting async waiters on this word. V8 can't withdraw an
   * Atomics.waitAsync: an aborted waiter stays queued until woken or timed out, and would take a
   * notify(1) meant for a live waiter. So async waits are counted from registration until their
   * underlying wait settles, and wakers notify everyone while the count is non-zero (wakeCount).
   */
  readonly asyncWaiters?: number;
  /** Index in arr of a word counting blocking sleepers on this word, so wakers notify only when someone sleeps. */
  readonly sleepers?: number;
}

/** What a loop is resumed with: READY when a spin's check held, WOKE otherwise (woken, timed out, changed). */
export const WOKE = 0;
export const READY = 1;
export type Resumed = typeof WOKE | typeof READY;

export type WaitLoop<R> = Generator<Sleep, R, Resumed>;

/** How many to wake: `n`, or everyone while async waiters (possibly abandoned ones) are queued. */
export function wakeCount(arr: Int32Array, asyncWaitersIdx: number, n: number): number {
  return Atomics.load(arr, asyncWaitersIdx) > 0 ? Infinity : n;
}

/** A loop of one sleep, for callers that re-check everything themselves after it. */
export function* sleepOnce(arr: Int32Array, index: number, value: number, deadline: number): WaitLoop<void> {
  yield { arr, index, value, deadline };
}
