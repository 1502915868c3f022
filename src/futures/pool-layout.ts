/**
 * What a ThreadPoolExecutor shares with its threads.
 *
 * Control words (Int32):
 *   0  SHUTDOWN   1 once shutdown() was called
 *   1  BROKEN     1 once an initializer failed: every task then fails with BrokenThreadPoolError
 *   2  IDLE       Python's _idle_semaphore: threads that finished a task and may be waiting for
 *                 another; submit() takes one (no new thread needed) or starts a thread
 *
 * Tasks go through one shared Queue, so any idle thread takes the next one, as in Python. What a
 * queue can't hold (functions' source, args with shared memory or skein objects) is posted to
 * every pool thread's port before the task is queued, so whichever thread takes the task finds it
 * there.
 */
import type { Packed } from "../ship/values.js";
import type { ShippedCode } from "../ship/shipment.js";

export const SHUTDOWN = 0;
export const BROKEN = 1;
export const IDLE = 2;
export const POOL_WORDS = 3;

/**
 * A queued task: its id, its slot in the pool's state table, its function, and its args: plain
 * data as they are (the common case), packed when they hold class instances or functions, or null
 * when they hold shared memory or skein objects and were posted to the ports instead; null as a
 * whole is the stop sign.
 */
export type TaskRecord = [id: number, slot: number, fnId: number, args: unknown[] | Packed | null] | null;

/** Messages from the submitting thread to every pool thread's port. */
export type ToWorker =
  | { t: "fn"; fnId: number; code: ShippedCode }
  | { t: "args"; id: number; args: Packed };

/** Messages back: a task's outcome (its result or its exception, packed), or news that the initializer failed. */
export type FromWorker =
  | { id: number; ok: boolean; value: Packed }
  | { broken: true };
