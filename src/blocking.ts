/**
 * Marks the calling thread "blocked" in the control block while it waits in a skein call, so
 * `thread.state` tells the truth from any other thread.
 */
import { runtime } from "./runtime.js";
import { Code } from "./control-layout.js";

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

/** Awaitable wait with an optional AbortSignal; never blocks the event loop. */
export async function asyncWait(arr: Int32Array, index: number, value: number, ms: number, signal?: AbortSignal): Promise<"ok" | "not-equal" | "timed-out"> {
  signal?.throwIfAborted();
  const r = Atomics.waitAsync(arr, index, value, ms === Infinity ? undefined : ms);
  if (!r.async) return r.value;
  // A pending Atomics.waitAsync does not keep Node's event loop alive; a timer does, so the
  // program doesn't exit with an await still pending.
  const keepAlive = setInterval(() => {}, 1 << 30);
  void r.value.finally(() => clearInterval(keepAlive));
  if (!signal) return r.value;
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([r.value, aborted]);
  } catch (e) {
    // The abandoned waiter stays queued until woken; if it swallows a notify meant for a real
    // waiter, pass the wake-up on so nobody waits for a notify that went to a ghost.
    void r.value.then((v) => {
      if (v === "ok") Atomics.notify(arr, index, 1);
    });
    throw e;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
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
