/**
 * Looking inside a running program from any thread: what every thread is doing and whether some
 * are deadlocked. The hub answers (runtime/deadlock.ts): it never blocks, and reads every
 * thread's state and wait from shared memory.
 */
import { askHub } from "../runtime/ask-hub.js";
import type { DeadlockReport, ThreadInfo } from "../runtime/thread-dump.js";

export type { DeadlockLink, DeadlockReport, Holder, ThreadInfo, ThreadRef } from "../runtime/thread-dump.js";

/**
 * The deadlocks in the program now, or null: `allAsleep` when every thread (main included) is
 * blocked with no timeout, and `cycles` of threads waiting on locks or joins held by each other
 * (also a thread waiting on an RLock whose holder has ended). Unlike the hub's report, this looks
 * once, so a thread that is just about to wake may still show as waiting.
 */
export function findDeadlocks(): DeadlockReport | null {
  return askHub<DeadlockReport | null>({ type: "deadlocks" }, "findDeadlocks");
}

/**
 * Every live thread (main included): name, ident, nativeId, daemon, state, what it is blocked in
 * and on which object, who holds that, for how long (ms), the program's call site of the wait,
 * CPU time used (ms, where the platform tells it) and how often and how long it has waited.
 */
export function threadSnapshot(): ThreadInfo[] {
  return askHub<ThreadInfo[]>({ type: "snapshot" }, "threadSnapshot");
}

/** The thread dump as text: one line per thread, with its call site under it when it is blocked. */
export function dumpThreads(): string {
  return askHub<string>({ type: "dump" }, "dumpThreads");
}
