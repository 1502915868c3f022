/**
 * Critical sections of queues and shared containers, under their robust mutex
 * (memory/robust-mutex.ts): taken with this thread's ident, so that a waiter can take it over
 * from a thread that died holding it. Whether the dead holder left the container consistent is
 * told by its OP word: a holder marks it MUTATING for the few instructions that change the
 * container and back to IDLE after. Taken over from a holder that died MUTATING, the container
 * is BROKEN for good (every later call throws), never waited on forever or silently corrupt.
 * Sections allocate nothing, so only a worker ended from outside can die inside one.
 */
import { RuntimeError } from "../common/errors.js";
import { robustLockLoop, spinLockAs, TAKEN_OVER, tryLockAs, unlockRobust } from "../memory/robust-mutex.js";
import { currentIdent, runtime } from "./runtime.js";
import { runBlocking } from "./wait.js";

export const IDLE = 0;
export const MUTATING = 1;
export const BROKEN = 2;

const alive = (ident: number): boolean => runtime.control.identAlive(ident);

/**
 * Takes the mutex (word `mutex` of `w`) of the container `name`. Throws, unlocked, if the
 * container is broken; `onBroken` runs (with the mutex held) when this call is the one that
 * finds it so, to wake the container's sleepers.
 */
export function enter(w: Int32Array, mutex: number, op: number, name: string, onBroken?: () => void): void {
  const me = currentIdent();
  if (!tryLockAs(w, mutex, me) && !spinLockAs(w, mutex, me)) {
    if (runBlocking(robustLockLoop(w, mutex, me, alive)) === TAKEN_OVER && w[op] !== IDLE && w[op] !== BROKEN) {
      w[op] = BROKEN;
      onBroken?.();
    }
  }
  if (w[op] === BROKEN) {
    unlockRobust(w, mutex);
    throw new RuntimeError(
      `${name} is broken: a thread ended (its worker was terminated) in the middle of changing it, so its contents ` +
        `can't be trusted; make a new ${name}`,
    );
  }
}

/** Releases the mutex taken by enter(). */
export function leave(w: Int32Array, mutex: number): void {
  unlockRobust(w, mutex);
}
