/** The seed's lifecycle states, as the strings `thread.state` returns. */
export const ThreadState = Object.freeze({
  NEW: "new",
  RUNNABLE: "runnable",
  RUNNING: "running",
  BLOCKED: "blocked",
  TERMINATED: "terminated",
} as const);

export type ThreadState = (typeof ThreadState)[keyof typeof ThreadState];
