/**
 * How this OS thread waits: the two runners of every wait loop (memory/sleep.ts). runBlocking
 * sleeps in Atomics.wait after the step's brief spin, showing the thread as "blocked" in the
 * control block meanwhile, so `thread.state` tells the truth from any other thread, and recording
 * what it waits in (memory/wait-record.ts) for the hub's deadlock detection and thread dumps.
 * runAsync sleeps in Atomics.waitAsync and never blocks the event loop; an AbortSignal ends the
 * wait.
 */
import { availableParallelism } from "node:os";
import { ensureHub, runtime } from "./runtime.js";
import { Code } from "../memory/control-block.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";
import { READY, WOKE, type Resumed, type Sleep, type WaitLoop } from "../memory/sleep.js";
import type { ObjectClass, WaitKind } from "../memory/wait-record.js";
import { callSite } from "./call-site.js";
import { nowUs } from "../memory/trace-ring.js";
import { deadlockRaised, watchMainWait } from "./deadlock-mode.js";

/**
 * What a blocking call waits in: its kind, and the object's number (computed only when the call
 * is about to sleep: numbering an object costs a compare-and-swap).
 */
export interface WaitSite {
  readonly kind: WaitKind;
  object(): number;
}

/**
 * How long (ms) to watch a word before sleeping on it where the other side is likely a moment
 * away: a short thread's end, for its join; the next job, for a worker that has just finished one
 * (in a loop of start and join). A waiter that sleeps at once makes its waker wake a sleeping
 * core, which on a virtual machine costs 50-100 us: start + join of a no-op thread took
 * 0.03-0.15 ms without, 0.02-0.04 ms with. None on one core, where watching would only delay the
 * thread waited for.
 */
export const BRIEF_WATCH_MS = availableParallelism() > 1 ? 0.05 : 0;

/** Watches arr[index] for up to `ms` milliseconds; true as soon as it no longer holds `value`. */
export function watchBriefly(arr: Int32Array, index: number, value: number, ms: number): boolean {
  if (ms <= 0) return false;
  const end = deadlineFrom(ms);
  do {
    for (let i = 0; i < 64; i++) if (Atomics.load(arr, index) !== value) return true;
  } while (remaining(end) > 0);
  return false;
}

/** Drives a wait loop on this thread, blocking it while the loop sleeps; `site` says what it waits in. */
export function runBlocking<R>(loop: WaitLoop<R>, site?: WaitSite): R {
  let r = loop.next(WOKE);
  while (!r.done) {
    r = loop.next(sleepBlocking(r.value, site));
  }
  return r.value;
}

/**
 * The number of a shared object in its class (Lock#3), kept in word `index` of its memory: given
 * on first use, the same in every thread.
 */
export function objectNumber(w: Int32Array, index: number, cls: ObjectClass): number {
  const n = Atomics.load(w, index);
  if (n !== 0) return n;
  const mine = runtime.control.waits.nextObjectNumber(cls);
  const old = Atomics.compareExchange(w, index, 0, mine);
  return old === 0 ? mine : old;
}

/** The site of a wait on a numbered shared object (its number in word `index` of `w`). */
export function numberedSite(kind: WaitKind, w: Int32Array, index: number, cls: ObjectClass): WaitSite {
  return { kind, object: () => objectNumber(w, index, cls) };
}

/** The site of a wait on something with no number (a join names the joined thread's ident). */
export function plainSite(kind: WaitKind, object = 0): WaitSite {
  return { kind, object: () => object };
}

function sleepBlocking(s: Sleep, site: WaitSite | undefined): Resumed {
  if (s.spins) {
    const { arr, index, value, ready } = s;
    for (let i = 0; i < s.spins; i++) {
      if (ready ? ready() : Atomics.load(arr, index) !== value) return READY;
    }
  }
  if (s.watchMs && watchBriefly(s.arr, s.index, s.value, s.watchMs)) return READY;
  if (s.spinOnly) return WOKE;
  // A waker that sees no sleeper skips its notify; counted before the wait re-checks the word.
  if (s.sleepers !== undefined) Atomics.add(s.arr, s.sleepers, 1);
  try {
    blockedWait(s.arr, s.index, s.value, remaining(s.deadline), site);
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

/** A wait that lasts this long (ms) is worth recording its caller's call site. */
const SITE_AFTER_MS = 50;

function tellHubBlocked(): void {
  ensureHub();
  runtime.hubPost!({ type: "blocked" });
}

/**
 * Atomics.wait that shows the caller as blocked meanwhile, and with a site, what it waits in.
 * Returns Atomics.wait's result. With SKEIN_DEADLOCK=throw, a main thread found deadlocked wakes
 * with a DeadlockError.
 */
export function blockedWait(arr: Int32Array, index: number, value: number, ms: number, site?: WaitSite): "ok" | "not-equal" | "timed-out" {
  const { control, slot, gen, trace } = runtime;
  const object = site ? site.object() : 0;
  const t0 = trace ? nowUs() : 0;
  if (site) control.waits.begin(slot, site.kind, object, ms !== Infinity);
  control.setCode(slot, gen, Code.Blocked);
  // Threads queued behind busy workers: the hub gives them workers once it hears this one blocked.
  if (!runtime.isMain && control.takeBlockedNotice()) tellHubBlocked();
  try {
    if (!site || ms <= SITE_AFTER_MS) return Atomics.wait(arr, index, value, ms === Infinity ? undefined : ms);
    // Sleeps in two parts so that only a wait that lasts pays for its stack trace.
    const first = Atomics.wait(arr, index, value, SITE_AFTER_MS);
    if (first !== "timed-out") return first;
    control.waits.setSite(slot, callSite());
    watchMainWait(arr, index, ms === Infinity);
    deadlockRaised();
    const r = Atomics.wait(arr, index, value, ms === Infinity ? undefined : ms - SITE_AFTER_MS);
    deadlockRaised();
    return r;
  } finally {
    control.setCode(slot, gen, Code.Running);
    if (site) control.waits.end(slot);
    if (trace && site) trace.add(runtime.ident, site.kind, object, t0, nowUs());
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
