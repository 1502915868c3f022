/**
 * The mutex inside queues and shared containers: a futex mutex that knows its holder, so that a
 * thread whose worker died while holding it (out of memory, a crash) can't wedge the container.
 * One Int32 word: 0 unlocked, else HOLDER << 1 | WAITERS, the holder being its thread's ident.
 * A waiter re-checks every CHECK_MS whether the holder's thread still lives; if not, it takes the
 * mutex over (the EOWNERDEAD pattern of POSIX robust mutexes) and says so, and the container
 * decides whether what the dead holder was doing left it consistent.
 *
 * Critical sections under it are a few instructions that allocate nothing and run no user code:
 * normally nobody waits on it for long, and nobody dies inside it.
 */
import type { WaitLoop } from "./sleep.js";

const UNLOCKED = 0;
const WAITERS = 1;
/** Loads of the word before a waiter sleeps. */
const SPIN = 100;
/** How often a sleeping waiter checks that the holder still lives, in ms. */
const CHECK_MS = 100;

/** How a lock was taken: normally, or over from a holder whose thread had died. */
export const TAKEN = 0;
export const TAKEN_OVER = 1;
export type Taken = typeof TAKEN | typeof TAKEN_OVER;

export function tryLockAs(w: Int32Array, i: number, me: number): boolean {
  return Atomics.compareExchange(w, i, UNLOCKED, me << 1) === UNLOCKED;
}

/** The brief spin before sleeping: true once taken. */
export function spinLockAs(w: Int32Array, i: number, me: number): boolean {
  for (let n = 0; n < SPIN; n++) if (Atomics.load(w, i) === UNLOCKED && tryLockAs(w, i, me)) return true;
  return false;
}

/** The thread ident holding the mutex, 0 for none. */
export function holderOf(w: Int32Array, i: number): number {
  return Atomics.load(w, i) >>> 1;
}

/**
 * Takes the mutex for thread `me` (its ident), waiting as long as it takes; `alive` tells whether
 * a thread ident still lives. Returns TAKEN_OVER when the holder's thread had died.
 */
export function* robustLockLoop(w: Int32Array, i: number, me: number, alive: (ident: number) => boolean): WaitLoop<Taken> {
  for (;;) {
    const v = Atomics.load(w, i);
    if (v === UNLOCKED) {
      // Taken as having waiters: others may be asleep behind us.
      if (Atomics.compareExchange(w, i, UNLOCKED, (me << 1) | WAITERS) === UNLOCKED) return TAKEN;
      continue;
    }
    if ((v & WAITERS) === 0 && Atomics.compareExchange(w, i, v, v | WAITERS) !== v) continue;
    const seen = v | WAITERS;
    yield { arr: w, index: i, value: seen, deadline: performance.now() + CHECK_MS };
    if (Atomics.load(w, i) === seen && !alive(seen >>> 1) && Atomics.compareExchange(w, i, seen, (me << 1) | WAITERS) === seen) {
      return TAKEN_OVER;
    }
  }
}

/** Releases the mutex (its holder does); wakes a waiter if any. */
export function unlockRobust(w: Int32Array, i: number): void {
  if ((Atomics.exchange(w, i, UNLOCKED) & WAITERS) !== 0) Atomics.notify(w, i, 1);
}

