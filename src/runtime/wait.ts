/**
 * Marks the calling thread "blocked" in the control block while it waits in a skein call, so
 * `thread.state` tells the truth from any other thread.
 */
import { runtime } from "./runtime.js";
import { Code } from "../memory/control-block.js";

/**
 * Re-checks `ready` up to `times` times before the caller sleeps; true as soon as it holds. On
 * another core the answer often comes within microseconds, far sooner than a sleep and a wake-up.
 */
export function spinUntil(ready: () => boolean, times: number): boolean {
  for (let i = 0; i < times; i++) if (ready()) return true;
  return false;
}

/** Atomics.wait that shows the caller as blocked meanwhile. Returns Atomics.wait's result. */
export function blockedWait(arr: Int32Array, index: number, value: number, ms: number): "ok" | "not-equal" | "timed-out" {
  const { control, slot, gen } = runtime;
  control.setCode(slot, gen, Code.Blocked);
  try {
    return Atomics.wait(arr, index, value, ms === Infinity ? undefined : ms);
  } finally {
    control.setCode(slot, gen, Code.Running);
  }
}

/**
 * Awaitable wait with an optional AbortSignal; never blocks the event loop.
 *
 * V8 can't withdraw an Atomics.waitAsync: an aborted waiter stays queued until woken or timed
 * out, and would take a notify(1) meant for a live waiter. So when `asyncWaitersIdx` is given,
 * the wait is counted in that word from registration until the underlying wait settles, and
 * wakers notify everyone while the count is non-zero (see wakeCount).
 */
export async function asyncWait(
  arr: Int32Array, index: number, value: number, ms: number, signal?: AbortSignal, asyncWaitersIdx?: number,
): Promise<"ok" | "not-equal" | "timed-out"> {
  signal?.throwIfAborted();
  if (asyncWaitersIdx !== undefined) Atomics.add(arr, asyncWaitersIdx, 1);
  const r = Atomics.waitAsync(arr, index, value, ms === Infinity ? undefined : ms);
  const settled = r.async ? r.value : Promise.resolve(r.value);
  if (asyncWaitersIdx !== undefined) void settled.finally(() => Atomics.sub(arr, asyncWaitersIdx, 1));
  if (!r.async) return r.value;
  // A pending Atomics.waitAsync does not keep Node's event loop alive; a timer does, so the
  // program doesn't exit with an await still pending (and is free to exit once we stop waiting).
  const keepAlive = setInterval(() => {}, 1 << 30);
  let onAbort: (() => void) | null = null;
  try {
    if (!signal) return await r.value;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    return await Promise.race([r.value, aborted]);
  } finally {
    clearInterval(keepAlive);
    if (onAbort) signal!.removeEventListener("abort", onAbort);
  }
}

/** How many to wake: `n`, or everyone while async waiters (possibly abandoned ones) are queued. */
export function wakeCount(arr: Int32Array, asyncWaitersIdx: number, n: number): number {
  return Atomics.load(arr, asyncWaitersIdx) > 0 ? Infinity : n;
}

/** Checks the `{ signal }` options bag of every async twin. */
export function checkSignal(options: unknown, what: string): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") throw new TypeError(`${what}: options must be an object like { signal }, got ${typeof options}`);
  const s = (options as { signal?: unknown }).signal;
  if (s === undefined) return undefined;
  if (!(s instanceof AbortSignal)) throw new TypeError(`${what}: options.signal must be an AbortSignal`);
  return s;
}
