/**
 * Argument checks every layer shares, with the messages users see: timeouts (the SPEC's rule 2:
 * milliseconds, undefined/null = forever, NaN = RangeError, non-number = TypeError), the
 * `{ signal }` options bag of the async twins, options bags' names, and how a bad value is described.
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

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (typeof value === "object") return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Refuses an option `what` doesn't take (Python raises for an unknown keyword too), naming the
 * ones it does, and the one meant where Python's name was used (`max_workers`, `kwargs`).
 */
export function checkOptionNames(options: object, known: readonly string[], what: string): void {
  for (const k of Object.keys(options)) {
    if (known.includes(k)) continue;
    const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = known.includes(camel) && camel !== k ? ` (did you mean ${camel}?)`
      : k === "kwargs" ? " (JavaScript has no keyword arguments: pass an object in args and take it as a parameter)" : "";
    throw new TypeError(`${what}: unknown option ${JSON.stringify(k)}${hint}; the options are ${known.join(", ")}`);
  }
}

/** Checks the `{ signal }` options bag of every async twin. */
export function checkSignal(options: unknown, what: string): AbortSignal | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object") throw new TypeError(`${what}: options must be an object like { signal }, got ${typeof options}`);
  const s = (options as { signal?: unknown }).signal;
  if (s === undefined) return undefined;
  if (!(s instanceof AbortSignal)) throw new TypeError(`${what}: options.signal must be an AbortSignal`);
  return s;
}
