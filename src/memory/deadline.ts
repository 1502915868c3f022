/**
 * Deadlines for waits that may sleep several times: fixed once from the caller's timeout, so
 * retried sleeps never extend it. Milliseconds on the monotonic clock; Infinity is no deadline.
 */

export function deadlineFrom(ms: number): number {
  return ms === Infinity ? Infinity : performance.now() + ms;
}

/** Milliseconds left until the deadline (0 once passed, Infinity for none). */
export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}
