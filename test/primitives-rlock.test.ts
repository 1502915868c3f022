// RLock across threads: a Condition over an RLock held recursively releases it fully while it
// waits and restores the depth after (sync and async); release by a thread that doesn't own it
// is a RuntimeError and changes nothing. Every wait is bounded and threads are daemons.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Event, RLock, RuntimeError } from "skein";
import { OUTCOME, outcome } from "./helpers/primitives-scenarios.js";
import { counterpart } from "./helpers/primitive-waiters.js";
import { shared, waitAtLeast } from "./helpers/cells.js";
import { daemon, joinAll, runJoined } from "./helpers/threads.js";

const T = OUTCOME.true;
const F = OUTCOME.false;

/**
 * Holds rlock 3 deep, waits on cond (over rlock), then releases 4 times recording each outcome
 * and locked() after it (cells 2..8). Cell 0: about to wait; cell 1: what wait returned.
 */
function deepWaiter(cond: Condition, rlock: RLock, out: Int32Array) {
  rlock.acquire();
  rlock.acquire();
  rlock.acquire();
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
  out[1] = cond.wait(10_000) ? 1 : 2;
  for (let i = 0; i < 3; i++) {
    out[2 + 2 * i] = outcome(() => rlock.release());
    out[3 + 2 * i] = rlock.locked() ? 1 : 2;
  }
  out[8] = outcome(() => rlock.release());
}

async function deepWaiterAsync(cond: Condition, rlock: RLock, out: Int32Array) {
  await rlock.acquireAsync();
  await rlock.acquireAsync();
  await cond.acquireAsync();
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
  out[1] = (await cond.waitAsync(10_000)) ? 1 : 2;
  for (let i = 0; i < 3; i++) {
    out[2 + 2 * i] = outcome(() => rlock.release());
    out[3 + 2 * i] = rlock.locked() ? 1 : 2;
  }
  out[8] = outcome(() => rlock.release());
}

describe("RLock", () => {
  for (const [name, target] of [["wait", deepWaiter], ["waitAsync", deepWaiterAsync]] as const) {
    test(`Condition.${name} over an RLock held 3 deep releases it fully, then restores depth 3`, () => {
      const rlock = new RLock();
      const cond = new Condition(rlock);
      const out = shared(9);
      const t = daemon(target, [cond, rlock, out], "deep waiter");
      waitAtLeast(out, 0, 1);
      // While the thread waits, the lock is free for another thread (main), even 3 deep.
      assert.equal(rlock.acquire(true, 10_000), true, "another thread can take the RLock during the wait");
      cond.notify();
      assert.equal(rlock.acquire(false), true, "main owns it now (nests)");
      rlock.release();
      rlock.release();
      joinAll(t);
      const NONE = OUTCOME.other;
      assert.deepEqual(Array.from(out.subarray(1)), [T, NONE, T, NONE, T, NONE, F, OUTCOME.RuntimeError],
        "woken; then held 3 deep: two releases leave it locked, the third frees it, a fourth is a RuntimeError");
    });
  }

  test("release by a thread that doesn't own it is a RuntimeError and changes nothing", () => {
    const rlock = new RLock();
    rlock.acquire();
    rlock.acquire();
    const out = shared(4);
    runJoined((l: RLock, o: Int32Array) => {
      try {
        l.release();
        o[0] = 9;
      } catch (e) {
        o[0] = e instanceof RuntimeError ? 3 : 7;
      }
      o[1] = l.acquire(false) ? 1 : 2;
    }, [rlock, out], "non-owner");
    assert.deepEqual([out[0], out[1]], [OUTCOME.RuntimeError, F]);
    rlock.release();
    assert.equal(rlock.locked(), true, "main still holds it once");
    rlock.release();
    assert.equal(rlock.locked(), false);
    assert.throws(() => rlock.release(), RuntimeError, "main can't release it either once free");
  });

  test("the owner is a thread: main can't release an RLock a thread holds, nor wait/notify on its Condition", () => {
    const rlock = new RLock();
    const cond = new Condition(rlock);
    const ready = new Event();
    const go = new Event();
    const holder = daemon(counterpart, ["RLock", rlock, ready, go, shared(4)], "RLock holder");
    try {
      assert.equal(ready.wait(10_000), true);
      assert.throws(() => rlock.release(), RuntimeError);
      assert.throws(() => cond.notify(), RuntimeError);
      assert.throws(() => cond.wait(0), RuntimeError);
      assert.equal(rlock.acquire(false), false, "still the thread's");
    } finally {
      go.set();
    }
    joinAll(holder);
    assert.equal(rlock.locked(), false, "its owner released it");
  });
});
