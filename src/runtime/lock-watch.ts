/**
 * Telling the hub where a contended lock's words are, so that its deadlock detection reads the
 * holder live (runtime/deadlock.ts). Done once per lock, by the first thread about to sleep on it.
 */
import { objectNumber } from "./wait.js";
import { ensureHub, runtime } from "./runtime.js";
import type { ObjectClass } from "../memory/wait-record.js";

/** Where, in a lock's words, the hub finds what it needs (indexes into `w`). */
export interface LockWords {
  cls: ObjectClass;
  /** The word holding the lock's number. */
  number: number;
  /** The word that says whether the hub has been told. */
  watched: number;
  mutex: number;
  holder: number;
}

/** The lock's number (Lock#n); tells the hub about it the first time any thread asks. */
export function watchedLock(w: Int32Array, words: LockWords): number {
  const id = objectNumber(w, words.number, words.cls);
  if (Atomics.load(w, words.watched) === 0 && Atomics.compareExchange(w, words.watched, 0, 1) === 0) {
    ensureHub();
    runtime.hubPost!({ type: "lock", cls: ["Lock", "RLock"][words.cls], id, w, mutex: words.mutex, holder: words.holder });
  }
  return id;
}
