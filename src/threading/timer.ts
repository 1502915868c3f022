/** Timer: Python's threading.Timer, a Thread that calls a function after `interval` ms unless cancelled. */
import { checkThreadHandle, handle, Thread } from "./thread.js";
import { Event } from "../sync/event.js";
import { describe } from "../common/checks.js";
import { primitive, registerReviver, SHARE, type ShareContext } from "../memory/handles.js";

/**
 * Python's threading.Timer: a thread that runs its target after `interval` milliseconds, unless
 * cancel() is called first.
 */
export class Timer<A extends unknown[] = unknown[]> extends Thread<A> {
  /** How long the timer waits before calling its function, in ms. */
  interval: number;
  /** Set once the timer has fired or was cancelled. */
  finished: Event;

  /** A thread that calls fn(...args) after `interval` ms, unless cancel() is called first. */
  constructor(interval: number, fn: (...args: A) => unknown, args?: A) {
    if (typeof interval !== "number") throw new TypeError(`new Timer: interval must be a number of milliseconds, got ${describe(interval)}`);
    if (Number.isNaN(interval)) throw new RangeError("new Timer: interval is NaN; pass milliseconds");
    if (typeof fn !== "function") throw new TypeError(`new Timer: fn must be a function, got ${describe(fn)}`);
    super({ target: fn, args });
    this.interval = interval;
    this.finished = new Event();
  }

  /** Stops the timer if it hasn't fired yet (from any thread). */
  cancel(): void {
    this.finished.set();
  }

  override run(): unknown {
    let result: unknown;
    if (!this.finished.wait(Math.max(0, this.interval))) result = super.run();
    this.finished.set();
    return result;
  }

  /** @internal Passed to another thread, a Timer arrives as a Timer there: cancel() works from anywhere. */
  override [SHARE](ctx: ShareContext) {
    return { ...super[SHARE](ctx), kind: "Timer", finished: ctx.ref(this.finished), interval: this.interval };
  }
}

registerReviver("Timer", (h, ctx) => {
  const t = handle(checkThreadHandle(h), Timer.prototype) as unknown as Timer;
  t.finished = ctx.handle(h.finished, ["Event"], "Timer.finished") as Event;
  t.interval = primitive(h, "interval", "number");
  return t;
});
