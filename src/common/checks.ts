/**
 * Timeout validation shared by every blocking call (the SPEC's rule 2): milliseconds,
 * undefined/null = forever, NaN = RangeError, non-number = TypeError.
 */

/** The largest timeout a blocking call accepts, in milliseconds (about 49.7 days, as a uint32 wait). */
export const TIMEOUT_MAX = 4294967.295 * 1000;

/** Returns the wait in ms (Infinity = forever). Negative means "don't wait" (0). */
export function checkTimeout(timeout: unknown, what: string): number {
  if (timeout === undefined || timeout === null) return Infinity;
  if (typeof timeout !== "number") {
    throw new TypeError(`${what}: timeout must be a number of milliseconds or undefined, got ${describe(timeout)}`);
  }
  if (Number.isNaN(timeout)) throw new RangeError(`${what}: timeout is NaN; pass milliseconds or undefined to wait forever`);
  if (timeout > TIMEOUT_MAX) {
    throw new RangeError(`${what}: timeout ${timeout} ms is larger than TIMEOUT_MAX (${TIMEOUT_MAX}); pass undefined to wait forever`);
  }
  return timeout < 0 ? 0 : timeout;
}

/** A monotonic deadline helper so retried waits never extend the caller's timeout. */
export function deadlineFrom(ms: number): number {
  return ms === Infinity ? Infinity : performance.now() + ms;
}

export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "object") return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `${typeof value} ${String(value)}`;
}
