// Starting and joining the threads of a test. Threads are daemons (a failed test can't keep the
// process alive) and every join is bounded and asserted (a stuck thread fails the test, naming
// the thread, instead of hanging it).
import assert from "node:assert/strict";
import { dumpThreads, Thread } from "skein";
import { open } from "./cells.js";
import { LONG } from "./bounds.js";

/** Starts a daemon thread running target(...args). */
export function daemon<A extends unknown[]>(target: (...args: A) => unknown, args: A, name?: string): Thread<A> {
  const t = new Thread<A>({ target, args, daemon: true, name });
  t.start();
  return t;
}

/** Joins one thread, failing the test if it is still alive after `ms`. */
export function joined(t: Thread<any>, ms = LONG): void {
  // A join that lasts long shows what every thread is doing, once per process: a rare hang in a
  // full run leaves its reason in the log, not only the name of the thread that was joined.
  let left = ms;
  if (ms > DUMP_AFTER_MS && !dumped && !t.join(DUMP_AFTER_MS)) {
    dumped = true;
    process.stderr.write(`${t.name} still running after ${DUMP_AFTER_MS} ms; every thread:\n${dumpThreads()}\n`);
    left -= DUMP_AFTER_MS;
  }
  assert.equal(t.join(left), true, `${t.name} did not finish within ${ms} ms`);
}

const DUMP_AFTER_MS = 20_000;
let dumped = false;

/** Joins every thread (each within LONG). */
export function joinAll(...threads: Thread<any>[]): void {
  for (const t of threads) joined(t);
}

/** Runs target(...args) in a daemon thread and joins it (bounded). */
export function runJoined<A extends unknown[]>(target: (...args: A) => unknown, args: A, name?: string, ms = LONG): void {
  joined(daemon(target, args, name), ms);
}

/**
 * Starts every thread, opens the gate they all wait at first (so their loops really overlap),
 * and joins them all (each within `ms`).
 */
export function runAtGate(threads: Thread<any>[], gate: Int32Array, ms = LONG): void {
  for (const t of threads) t.start();
  open(gate);
  for (const t of threads) joined(t, ms);
}
