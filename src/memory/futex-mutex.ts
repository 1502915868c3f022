/**
 * The futex mutex behind Lock, RLock and the queues (after Drepper, "Futexes Are Tricky"): one
 * Int32 word, 0 unlocked, 1 locked, 2 locked and someone may be waiting. Callers that also wait
 * asynchronously give a second word counting async waiters (see asyncWait), passed to both
 * lockWithinAsync and unlock. Callers own the words' placement.
 */
import { asyncWait, blockedWait, spinUntil, wakeCount } from "../runtime/wait.js";
import { deadlineFrom, remaining } from "../common/checks.js";

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;
/** Critical sections are usually short: spinning briefly beats a sleep and a wake-up. */
const SPIN = 40;

export function tryLock(w: Int32Array, i: number): boolean {
  return Atomics.compareExchange(w, i, UNLOCKED, LOCKED) === UNLOCKED;
}

/** Takes the mutex within ms (Infinity: forever); false on timeout. */
export function lockWithin(w: Int32Array, i: number, ms: number): boolean {
  if (tryLock(w, i)) return true;
  if (ms === 0) return false;
  if (spinUntil(() => Atomics.load(w, i) === UNLOCKED && tryLock(w, i), SPIN)) return true;
  const deadline = deadlineFrom(ms);
  // Once we have waited we hold the mutex as CONTENDED: we can't know whether others wait too.
  while (Atomics.exchange(w, i, CONTENDED) !== UNLOCKED) {
    const left = remaining(deadline);
    if (left <= 0) return false;
    blockedWait(w, i, CONTENDED, left);
  }
  return true;
}

export async function lockWithinAsync(w: Int32Array, i: number, ms: number, signal: AbortSignal | undefined, asyncIdx: number): Promise<boolean> {
  signal?.throwIfAborted();
  if (tryLock(w, i)) return true;
  if (ms === 0) return false;
  const deadline = deadlineFrom(ms);
  while (Atomics.exchange(w, i, CONTENDED) !== UNLOCKED) {
    const left = remaining(deadline);
    if (left <= 0) return false;
    await asyncWait(w, i, CONTENDED, left, signal, asyncIdx);
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
