/**
 * What a ThreadPoolExecutor shares with its threads.
 *
 * Control words (Int32):
 *   0  SHUTDOWN   1 once shutdown() was called
 *   1  BROKEN     1 once an initializer failed: every task then fails with BrokenThreadPoolError
 *   2  IDLE       Python's _idle_semaphore: threads that finished a task and may be waiting for
 *                 another; submit() takes one (no new thread needed) or starts a thread
 *   3  EVENTS     bumped when a task finishes and when a pool thread's worker dies: a blocked
 *                 result() sleeps on it
 *   then THREAD_WORDS words per pool thread k, from word threadWord(k, 0):
 *   +0 T_CURRENT     the state-table slot + 1 of the task it runs (0: none)
 *   +1 T_DEATH_KIND  set by the hub if its worker dies (runtime/death.ts DeathKind), and
 *   +2 T_DEATH_CODE  the worker's exit code
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
export const EVENTS = 3;
const THREADS_BASE = 4;
const THREAD_WORDS = 3;
export const T_CURRENT = 0;
export const T_DEATH_KIND = 1;
export const T_DEATH_CODE = 2;

/** Index of word `field` of pool thread k. */
export const threadWord = (k: number, field: number): number => THREADS_BASE + k * THREAD_WORDS + field;

/** The control words of a pool of at most `maxWorkers` threads. */
export const poolWords = (maxWorkers: number): number => THREADS_BASE + maxWorkers * THREAD_WORDS;

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
