/** threading's module-level functions that are not about one Thread object. */
import { runtime } from "../runtime/runtime.js";
import { checkSignal, describe, TIMEOUT_MAX } from "../common/checks.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";
import type { WaitLoop } from "../memory/sleep.js";
import { plainSite, runAsync, runBlocking } from "../runtime/wait.js";
import { WaitKind } from "../memory/wait-record.js";

/** The current thread's ident (Python's threading.get_ident()). */
export function getIdent(): number {
  return runtime.control.ident(runtime.slot);
}

/** The current thread's OS thread id (Linux tid; Python's threading.get_native_id()). */
export function getNativeId(): number {
  return runtime.control.nativeId(runtime.slot);
}

/** True in the process's main thread (Python: current_thread() is main_thread()). */
export function isMainThread(): boolean {
  return runtime.isMain;
}

function checkSleep(ms: unknown, what: string): number {
  if (typeof ms !== "number") throw new TypeError(`${what}: ms must be a number of milliseconds, got ${describe(ms)}`);
  if (Number.isNaN(ms)) throw new RangeError(`${what}: ms is NaN; pass a number of milliseconds`);
  if (ms < 0) throw new RangeError(`${what}: sleep length must be non-negative, got ${ms}`);
  if (ms > TIMEOUT_MAX && ms !== Infinity) throw new RangeError(`${what}: ${ms} ms is longer than TIMEOUT_MAX (${TIMEOUT_MAX} ms)`);
  return ms;
}

/** A word nobody changes: sleeping on it waits out the deadline. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Python's time.sleep: blocks this thread (shown as "blocked") for ms milliseconds. */
export function sleep(ms: number): void {
  const n = checkSleep(ms, "sleep");
  if (n === Infinity) throw new RangeError("sleep: ms must be finite");
  runBlocking(sleepLoop(n), plainSite(WaitKind.Sleep));
}

/** Sleeps ms milliseconds without blocking the event loop; rejects with the signal's reason if aborted. */
export function sleepAsync(ms: number, options?: { signal?: AbortSignal }): Promise<void> {
  const n = checkSleep(ms, "sleepAsync");
  return runAsync(sleepLoop(n), checkSignal(options, "sleepAsync"));
}

function* sleepLoop(ms: number): WaitLoop<void> {
  const deadline = deadlineFrom(ms);
  while (remaining(deadline) > 0) yield { arr: sleeper, index: 0, value: 0, deadline };
}
