// Timer: fires after its interval with its args as a Thread, cancel() before it fires (also
// from another thread it was passed to) means the function never runs, cancel() after is
// harmless, bad arguments are errors, and a thread can run a Timer of its own.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Thread, Timer, currentThread } from "skein";
import { OUTCOME } from "./helpers/primitives-scenarios.js";
import { LONG } from "./helpers/bounds.js";
import { shared, waitChange } from "./helpers/cells.js";
import { runJoined } from "./helpers/threads.js";
import { untilBlocked } from "./helpers/wait.js";

const T = OUTCOME.true;

/** A Timer's function: adds a + b.length into cell 0, records whether it ran as "tick". */
function tick(a: number, b: string, out: Int32Array) {
  Atomics.add(out, 0, a + b.length);
  out[1] = currentThread().name === "tick" ? 1 : 2;
  Atomics.notify(out, 0);
}

describe("Timer", () => {
  test("fires after its interval, with its args, as a Thread", async () => {
    const out = shared(4);
    const timer = new Timer(80, tick, [40, "xy", out]);
    assert.ok(timer instanceof Thread);
    assert.equal(typeof timer.name, "string");
    timer.name = "tick";
    assert.equal(timer.isAlive(), false);
    assert.equal(timer.state, "new");
    const t0 = performance.now();
    timer.start();
    waitChange(out, 0, 0);
    const fired = performance.now() - t0;
    assert.ok(fired >= 80, `fired after ${fired.toFixed(1)} ms, before its 80 ms interval`);
    assert.equal(timer.join(LONG), true);
    assert.equal(timer.isAlive(), false);
    assert.deepEqual([out[0], out[1]], [42, T], "ran once, with its args, named as set");
  });

  test("cancel() before it fires: the function never runs (also cancel() before start())", async () => {
    const out = shared(4);
    const timer = new Timer(10_000, tick, [1, "", out]);
    timer.daemon = true; // should cancel() fail, the process needn't wait 10 s for it
    timer.start();
    assert.equal(timer.isAlive(), true);
    await untilBlocked(timer, "the pending timer");
    assert.equal(timer.join(20), false, "still pending");
    timer.cancel();
    assert.equal(timer.join(LONG), true, "cancel() ends it long before its interval");
    assert.equal(timer.isAlive(), false);
    const early = new Timer(20, tick, [1, "", out]);
    early.cancel();
    early.start();
    assert.equal(early.join(LONG), true);
    assert.equal(Atomics.load(out, 0), 0, "neither function ran");
  });

  test("cancel() after it fired: no effect, no error", () => {
    const out = shared(4);
    const timer = new Timer(10, tick, [1, "", out]);
    timer.start();
    assert.equal(timer.join(LONG), true);
    assert.equal(out[0], 1);
    timer.cancel();
    timer.cancel();
    assert.equal(out[0], 1);
    assert.equal(timer.isAlive(), false);
    assert.equal(timer.join(0), true);
  });

  test("bad arguments: new Timer(\"x\", fn) is a TypeError, NaN a RangeError, a non-function fn a TypeError", () => {
    assert.throws(() => new Timer("x" as unknown as number, tick), TypeError);
    assert.throws(() => new Timer(NaN, tick), RangeError);
    assert.throws(() => new Timer(10, "tick" as unknown as () => void), TypeError);
  });

  test("a thread can create, start and join a Timer", () => {
    const out = shared(4);
    runJoined((out: Int32Array) => {
      const mine = new Timer(10, (o: Int32Array) => Atomics.add(o, 0, 1), [out]);
      mine.start();
      out[1] = mine.join(10_000) ? 1 : 2;
    }, [out], "timer user");
    assert.deepEqual([out[0], out[1]], [1, T]);
  });

  test(
    "cancel() from another thread the Timer was passed to",
    () => {
      const out = shared(4);
      const pending = new Timer(10_000, tick, [100, "", out]);
      pending.daemon = true;
      pending.start();
      try {
        runJoined((pending: Timer, out: Int32Array) => {
          try {
            pending.cancel();
            out[3] = 1;
          } catch {
            out[3] = 2;
          }
        }, [pending, out], "canceller");
        assert.equal(out[3], T, "cancel() is callable in the other thread");
        assert.equal(pending.join(5_000), true, "the timer cancelled from another thread ended");
        assert.equal(out[0], 0, "and its function never ran");
      } finally {
        pending.cancel();
        pending.join(LONG);
      }
    },
  );
});
