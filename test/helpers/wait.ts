// Bounded waits for what nothing notifies: a condition re-checked until it holds (a thread's
// state, nWaiting), a promise that must settle in time, and a thread that must show as blocked.
// A bug fails the test fast instead of hanging the suite.
import { sleepAsync, type Thread } from "skein";
import { LONG } from "./bounds.js";

/** Re-checks `check` every ms (letting the event loop run) until it is true; throws after `ms`. */
export async function eventually(what: string, check: () => boolean, ms = LONG): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleepAsync(1);
  }
}

/** Waits until the thread shows as "blocked" (inside a skein blocking call). */
export async function untilBlocked(t: Thread<any>, what = t.name): Promise<void> {
  await eventually(`${what} to show as blocked`, () => t.state === "blocked");
}

/** Awaits `p`, failing if it hasn't settled within `ms` (the timer doesn't outlive the wait). */
export async function within<T>(p: PromiseLike<T>, what = "a promise", ms = LONG): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The name of the error an async call throws synchronously or rejects with, or "none" if it
 * resolves (within 5 s): for the async twins, which may do either.
 */
export async function failure(fn: () => Promise<unknown>, what: string): Promise<string> {
  let p: Promise<unknown>;
  try {
    p = fn();
  } catch (e) {
    return (e as Error).name;
  }
  try {
    await within(p, what, 5_000);
    return "none";
  } catch (e) {
    return (e as Error).name;
  }
}
