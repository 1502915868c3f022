/**
 * How this OS thread waits: the two runners of every wait loop (memory/sleep.ts). runBlocking
 * sleeps in Atomics.wait after the step's brief spin, showing the thread as "blocked" in the
 * control block meanwhile, so `thread.state` tells the truth from any other thread. runAsync
 * sleeps in Atomics.waitAsync and never blocks the event loop; an AbortSignal ends the wait.
 */
import { runtime } from "./runtime.js";
import { Code } from "../memory/control-block.js";
import { remaining } from "../memory/deadline.js";
import { READY, WOKE, type Resumed, type Sleep, type WaitLoop } from "../memory/sleep.js";

/** Drives a wait loop on this thread, blocking it while the loop sleeps. */
export function runBlocking<R>(loop: WaitLoop<R>): R {
  let r = loop.next(WOKE);
  while (!r.done) {
    r = loop.next(sleepBlocking(r.value));
  }
  return r.value;
}

function sleepBlocking(s: Sleep): Resumed {
  if (s.spins) {
    const { arr, index, value, ready } = s;
    for (let i = 0; i < s.spins; i++) {
      if (ready ? ready() : Atomics.load(arr, index) !== value) return READY;
    }
  }
  if (s.spinOnly) return WOKE;
  // A waker that sees no sleeper skips its notify; counted before the wait re-checks the word.
  if (s.sleepers !== undefined) Atomics.add(s.arr, s.sleepers, 1);
  try {
    blockedWait(s.arr, s.index, s.value, remaining(s.deadline));
  } finally {
    if (s.sleepers !== undefined) Atomics.sub(s.arr, s.sleepers, 1);
  }
  return WOKE;
}

/** Drives a wait loop without blocking the event loop; rejects with the signal's reason if aborted. */
export async function runAsync<R>(loop: WaitLoop<R>, signal?: AbortSignal): Promise<R> {
  signal?.throwIfAborted();
  let r = loop.next(WOKE);
  while (!r.done) {
    const s = r.value;
    if (s.spinOnly) {
      r = loop.next(WOKE);
      continue;
    }
    try {
      await asyncWait(s.arr, s.index, s.value, remaining(s.deadline), signal, s.asyncWaiters);
    } catch (e) {
      // The loop cleans up (it may still sleep meanwhile, no longer abortable) and rethrows.
      signal = undefined;
      r = loop.throw(e);
      continue;
    }
    r = loop.next(WOKE);
  }
  return r.value;
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

/** Awaitable wait with an optional AbortSignal, counted in `asyncWaitersIdx` if given (see Sleep). */
async function asyncWait(
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
