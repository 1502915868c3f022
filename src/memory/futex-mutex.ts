/**
 * The futex mutex behind Lock and RLock (after Drepper, "Futexes Are Tricky"): one Int32 word, 0 unlocked, 1 locked, 2 locked and
 * someone may be waiting. Callers that also wait asynchronously give a second word counting
 * async waiters (see Sleep.asyncWaiters), passed to both lockLoop and unlock. Callers own the
 * words' placement.
 */
import { deadlineFrom, remaining } from "./deadline.js";
import { READY, wakeCount, type WaitLoop } from "./sleep.js";

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;
/** Critical sections are usually short: spinning briefly beats a sleep and a wake-up. */
const SPIN = 40;

export function tryLock(w: Int32Array, i: number): boolean {
  return Atomics.compareExchange(w, i, UNLOCKED, LOCKED) === UNLOCKED;
}

/** The brief spin before sleeping, without marking the word CONTENDED: true once taken. */
export function spinLock(w: Int32Array, i: number): boolean {
  for (let n = 0; n < SPIN; n++) if (Atomics.load(w, i) === UNLOCKED && tryLock(w, i)) return true;
  return false;
}

/** Takes the mutex within ms (Infinity: forever); false on timeout. */
export function* lockLoop(w: Int32Array, i: number, ms: number, asyncIdx?: number): WaitLoop<boolean> {
  if (tryLock(w, i)) return true;
  if (ms === 0) return false;
  const deadline = deadlineFrom(ms);
  // Spun before marking the word CONTENDED, so an unlock while we spin costs its holder no wake-up.
  const spun = yield { arr: w, index: i, value: LOCKED, deadline, spins: 1, spinOnly: true, ready: () => spinLock(w, i) };
  if (spun === READY) return true;
  // Once we have waited we hold the mutex as CONTENDED: we can't know whether others wait too.
  while (Atomics.exchange(w, i, CONTENDED) !== UNLOCKED) {
    if (remaining(deadline) <= 0) return false;
    yield { arr: w, index: i, value: CONTENDED, deadline, asyncWaiters: asyncIdx };
  }
  return true;
}

/** Releases the mutex; false if it wasn't locked. */
export function unlock(w: Int32Array, i: number, asyncIdx?: number): boolean {
  for (;;) {
    const v = Atomics.load(w, i);
    if (v === UNLOCKED) return false;
    if (Atomics.compareExchange(w, i, v, UNLOCKED) === v) {
      if (v === CONTENDED) Atomics.notify(w, i, asyncIdx === undefined ? 1 : wakeCount(w, asyncIdx, 1));
      return true;
    }
  }
}

export function isLocked(w: Int32Array, i: number): boolean {
  return Atomics.load(w, i) !== UNLOCKED;
}
