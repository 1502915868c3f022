/** The seed's lifecycle states, as the strings `thread.state` returns. */
export const ThreadState = Object.freeze({
  /** Created, not yet started. */
  NEW: "new",
  /** Started: start() has returned, and the thread waits for a worker to run it. */
  RUNNABLE: "runnable",
  /** Running its target (or run()), or anything it left running (timers, handles). */
  RUNNING: "running",
  /** Asleep in a blocking call (a Lock, join, Event.wait, Queue.get, sleep, ...). */
  BLOCKED: "blocked",
  /** Its run() has returned or thrown, and what it left running has closed. */
  TERMINATED: "terminated",
} as const);

/** One of the ThreadState strings. */
export type ThreadState = (typeof ThreadState)[keyof typeof ThreadState];
