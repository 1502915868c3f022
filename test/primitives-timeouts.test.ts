// Timeouts of every blocking call and its async twin: zero, small, negative, NaN, strings,
// TIMEOUT_MAX and past it; a wait that timed out leaves no ghost behind to swallow a later
// notify or release. The only timing assertions are lower bounds ("really waited at least the
// timeout"). Every wait is bounded and threads are daemons, so a bug fails fast.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, TIMEOUT_MAX, sleep, sleepAsync,
} from "skein";
import { OUTCOME, outcome, timedCall } from "./helpers/primitives-scenarios.js";
import { counterpart, realWaiter } from "./helpers/primitive-waiters.js";
import { LONG } from "./helpers/bounds.js";
import { shared, waitAtLeast } from "./helpers/cells.js";
import { daemon, joinAll, runJoined } from "./helpers/threads.js";
import { failure, untilBlocked, within } from "./helpers/wait.js";

const T = OUTCOME.true;
const F = OUTCOME.false;

/** Runs each op with timeout t in this thread, recording outcome codes and the ms each took. */
function probeTimeouts(ops: string[], objs: any, t: unknown, out: Int32Array, took: Float64Array) {
  for (let i = 0; i < ops.length; i++) {
    const t0 = performance.now();
    out[i] = outcome(() => timedCall(ops[i]!, objs, t));
    took[i] = performance.now() - t0;
  }
}

/** A thread that stays alive (for Thread.join timeouts) until `stop` is set. */
function stayAlive(stop: Event) {
  stop.wait(30_000);
}

const SYNC_OPS = ["Lock.acquire", "RLock.acquire", "Condition.wait", "Condition.waitFor", "Semaphore.acquire", "BoundedSemaphore.acquire", "Event.wait", "Barrier.wait", "Thread.join", "new Barrier"];
const { RangeError: RANGE, TypeError: TYPE, BrokenBarrierError: BROKEN } = OUTCOME;
/** What each SYNC_OPS call must do with each timeout. */
const syncTimeoutTable: { t: unknown; label: string; expect: number[]; waits?: number }[] = [
  { t: 0, label: "0", expect: [F, F, F, F, F, F, F, BROKEN, F, T] },
  { t: 40, label: "40 (really waits)", expect: [F, F, F, F, F, F, F, BROKEN, F, T], waits: 40 },
  // Negative: -1 is "forever" for Lock/RLock (section 3), other negatives a RangeError there;
  // everywhere else a negative timeout means "don't wait".
  { t: -5, label: "-5", expect: [RANGE, RANGE, F, F, F, F, F, BROKEN, F, T] },
  { t: -2, label: "-2", expect: [RANGE, RANGE, F, F, F, F, F, BROKEN, F, T] },
  { t: -Infinity, label: "-Infinity", expect: [RANGE, RANGE, F, F, F, F, F, BROKEN, F, T] },
  { t: NaN, label: "NaN", expect: Array(10).fill(RANGE) },
  { t: "10", label: '"10"', expect: Array(10).fill(TYPE) },
  { t: TIMEOUT_MAX + 1, label: "TIMEOUT_MAX + 1", expect: Array(10).fill(RANGE) },
];

describe("timeouts", () => {
  test("every blocking call, in a thread, with timeouts 0, 40, negative, NaN, a string, TIMEOUT_MAX + 1", (t) => {
    const lock = new Lock();
    lock.acquire();
    const rlock = new RLock();
    rlock.acquire();
    const bsem = new BoundedSemaphore(1);
    bsem.acquire();
    const stop = new Event();
    const alive = daemon(stayAlive, [stop], "alive");
    const common = { lock, rlock, cond: new Condition(), sem: new Semaphore(0), bsem, event: new Event(), thread: alive };
    try {
      // One probe thread per timeout value, all at once; each gets its own barrier to break.
      const probes = syncTimeoutTable.map((row) => {
        const objs = { ...common, barrier: new Barrier(2) };
        const out = shared(SYNC_OPS.length);
        const took = new Float64Array(new SharedArrayBuffer(8 * SYNC_OPS.length));
        const th = daemon(probeTimeouts, [SYNC_OPS, objs, row.t, out, took], `probe ${row.label}`);
        return { row, objs, out, took, th };
      });
      joinAll(...probes.map((p) => p.th));
      for (const { row, objs, out, took } of probes) {
        const got = Object.fromEntries(SYNC_OPS.map((op, i) => [op, out[i]]));
        const want = Object.fromEntries(SYNC_OPS.map((op, i) => [op, row.expect[i]]));
        assert.deepEqual(got, want, `timeout ${row.label} (codes: ${JSON.stringify(OUTCOME)})`);
        if (row.waits !== undefined) {
          SYNC_OPS.forEach((op, i) => {
            if (op !== "new Barrier") assert.ok(took[i]! >= row.waits! - 1, `${op}(${row.label}) gave up after ${took[i]!.toFixed(1)} ms`);
          });
        }
        if (row.expect[7] === BROKEN) assert.equal(objs.barrier.broken, true, `a Barrier.wait(${row.label}) that gave up breaks the barrier`);
      }
      t.diagnostic(`the 40 ms waits took ${Array.from(probes[1]!.took.subarray(0, 9), (x) => x.toFixed(0)).join(", ")} ms`);
      assert.equal(lock.locked(), true, "nothing took the main thread's lock");
      assert.equal(common.sem.value, 0);
      assert.equal(bsem.value, 0);
      assert.equal(common.event.isSet(), false);
    } finally {
      stop.set();
    }
    joinAll(alive);
  });

  test("the async twins: timeouts 0, 40, negative, NaN, a string, TIMEOUT_MAX + 1", async () => {
    const lock = new Lock();
    lock.acquire();
    // An RLock held by another thread (held by main, main's acquireAsync would just nest).
    const rlock = new RLock();
    const ready = new Event();
    const go = new Event();
    const holder = daemon(counterpart, ["RLock", rlock, ready, go, shared(4)], "RLock holder");
    assert.equal(ready.wait(10_000), true);
    const cond = new Condition();
    const sem = new Semaphore(0);
    const bsem = new BoundedSemaphore(1);
    bsem.acquire();
    const event = new Event();
    const ops: Record<string, (t: any) => Promise<unknown>> = {
      "Lock.acquireAsync": (t) => lock.acquireAsync(t),
      "RLock.acquireAsync": (t) => rlock.acquireAsync(t),
      "Condition.waitAsync": async (t) => {
        await using _ = await cond.holdAsync();
        return await cond.waitAsync(t);
      },
      "Condition.waitForAsync": async (t) => {
        await using _ = await cond.holdAsync();
        return await cond.waitForAsync(() => false, t);
      },
      "Semaphore.acquireAsync": (t) => sem.acquireAsync(t),
      "BoundedSemaphore.acquireAsync": (t) => bsem.acquireAsync(t),
      "Event.waitAsync": (t) => event.waitAsync(t),
      "Barrier.waitAsync": (t) => new Barrier(2).waitAsync(t),
      "Thread.joinAsync": (t) => holder.joinAsync(t),
    };
    const names = Object.keys(ops);
    const code = async (op: string, t: unknown): Promise<string> => {
      try {
        return String(await within(ops[op]!(t), `${op}(${String(t)})`, 5_000));
      } catch (e) {
        return (e as Error).name;
      }
    };
    try {
      const rows: [unknown, string, string[]][] = [
        [0, "0", ["false", "false", "false", "false", "false", "false", "false", "BrokenBarrierError", "false"]],
        [40, "40", ["false", "false", "false", "false", "false", "false", "false", "BrokenBarrierError", "false"]],
        [-5, "-5", ["RangeError", "RangeError", "false", "false", "false", "false", "false", "BrokenBarrierError", "false"]],
        [NaN, "NaN", Array(9).fill("RangeError")],
        ["10", '"10"', Array(9).fill("TypeError")],
        [TIMEOUT_MAX + 1, "TIMEOUT_MAX + 1", Array(9).fill("RangeError")],
      ];
      for (const [t, label, expect] of rows) {
        const got: Record<string, string> = {};
        for (const op of names) {
          const t0 = performance.now();
          got[op] = await code(op, t);
          const took = performance.now() - t0;
          if (t === 40) assert.ok(took >= 39, `${op}(40) gave up after ${took.toFixed(1)} ms`);
        }
        assert.deepEqual(got, Object.fromEntries(names.map((n, i) => [n, expect[i]])), `timeout ${label}`);
      }
      assert.equal(sem.value, 0);
      assert.equal(bsem.value, 0);
    } finally {
      go.set();
    }
    assert.equal(await holder.joinAsync(LONG), true);
    assert.equal(rlock.locked(), false);
  });

  test("TIMEOUT_MAX is accepted by the async twins and means a (long) wait", async () => {
    const lock = new Lock();
    lock.acquire();
    const sem = new Semaphore(0);
    const event = new Event();
    const cond = new Condition();
    cond.acquire();
    const pending = {
      lock: lock.acquireAsync(TIMEOUT_MAX),
      sem: sem.acquireAsync(TIMEOUT_MAX),
      event: event.waitAsync(TIMEOUT_MAX),
      cond: cond.waitAsync(TIMEOUT_MAX),
      join: null as Promise<boolean> | null,
    };
    const stop = new Event();
    const alive = daemon(stayAlive, [stop], "alive");
    pending.join = alive.joinAsync(TIMEOUT_MAX);
    const settled: string[] = [];
    for (const [k, p] of Object.entries(pending)) void p!.then(() => settled.push(k), () => settled.push(k));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(settled, [], "nothing gave up at once");
    lock.release();
    sem.release();
    event.set();
    const notifier = daemon((c: Condition) => {
      using _ = c.hold();
      c.notify();
    }, [cond], "notifier");
    stop.set();
    assert.deepEqual(
      await within(Promise.all([pending.lock, pending.sem, pending.event, pending.cond, pending.join]), "the TIMEOUT_MAX waits"),
      [true, true, true, true, true],
    );
    cond.release();
    lock.release();
    await notifier.joinAsync(LONG);
  });

  test("sleep and sleepAsync: NaN is a RangeError, a string a TypeError", async () => {
    const out = shared(4);
    runJoined((o: Int32Array) => {
      for (const [i, v] of [NaN, "10", -1].entries()) {
        try {
          sleep(v as number);
          o[i] = 9;
        } catch (e) {
          o[i] = (e as Error).name === "RangeError" ? 4 : (e as Error).name === "TypeError" ? 5 : 7;
        }
      }
    }, [out], "sleeper");
    assert.deepEqual(Array.from(out.subarray(0, 3)), [RANGE, TYPE, RANGE]);
    assert.equal(await failure(() => sleepAsync(NaN), "sleepAsync(NaN)"), "RangeError");
    assert.equal(await failure(() => sleepAsync("10" as unknown as number), 'sleepAsync("10")'), "TypeError");
  });
});

/** Times out in a Condition.wait (recording it in cell 2), then stays alive until `stop`. */
function timedOutWaiter(cond: Condition, out: Int32Array, stop: Event) {
  {
    using _ = cond.hold();
    Atomics.store(out, 2, cond.wait(30) ? 1 : 2);
  }
  Atomics.notify(out, 2);
  stop.wait(20_000);
}

describe("a wait that timed out leaves no waiter behind to swallow a later wake-up", () => {
  const mainTimesOut: Record<string, (c: Condition) => Promise<boolean>> = {
    "Condition.wait": async (c) => {
      using _ = c.hold();
      return c.wait(30);
    },
    "Condition.waitAsync": async (c) => {
      await using _ = await c.holdAsync();
      return await c.waitAsync(30);
    },
    "Condition.waitFor": async (c) => {
      using _ = c.hold();
      return c.waitFor(() => false, 30);
    },
  };
  for (const [name, timesOut] of Object.entries(mainTimesOut)) {
    test(`${name} timed out in main; then notify(1) wakes the real waiter`, async () => {
      const cond = new Condition();
      assert.equal(await timesOut(cond), false);
      const out = shared(4);
      const w = daemon(realWaiter, ["Condition", cond, out], "real waiter");
      waitAtLeast(out, 1, 1);
      {
        using _ = cond.hold(); // the waiter is inside wait() once main has the lock
        cond.notify(1);
      }
      assert.equal(await w.joinAsync(5_000), true, "the notify reached the real waiter");
      assert.equal(out[0], T);
    });
  }

  test("Condition.wait timed out in a thread that is still alive; then notify(1) wakes the real waiter", async () => {
    const cond = new Condition();
    const stop = new Event();
    const g = shared(4);
    const ghost = daemon(timedOutWaiter, [cond, g, stop], "timed-out waiter");
    try {
      waitAtLeast(g, 2, 1);
      assert.equal(g[2], F, "its wait timed out");
      assert.equal(ghost.isAlive(), true);
      const out = shared(4);
      const w = daemon(realWaiter, ["Condition", cond, out], "real waiter");
      waitAtLeast(out, 1, 1);
      {
        using _ = cond.hold();
        cond.notify(1);
      }
      assert.equal(await w.joinAsync(5_000), true, "the notify reached the real waiter, not the timed-out one");
      assert.equal(out[0], T);
    } finally {
      stop.set();
    }
    await ghost.joinAsync(LONG);
  });

  for (const kind of ["Lock", "Semaphore"] as const) {
    test(`${kind}: acquire and acquireAsync timed out; then a release goes to the real waiter`, async () => {
      const p = kind === "Lock" ? new Lock() : new Semaphore(0);
      if (p instanceof Lock) p.acquire();
      assert.equal(p.acquire(true, 30), false);
      assert.equal(await within(p instanceof Lock ? p.acquireAsync(30) : p.acquireAsync(30), "acquireAsync(30)"), false);
      // And an async one that times out later, while the real waiter waits: still no ghost.
      const late = p instanceof Lock ? p.acquireAsync(60) : p.acquireAsync(60);
      const out = shared(4);
      const w = daemon(realWaiter, [kind, p, out], "real waiter");
      await untilBlocked(w);
      assert.equal(await within(late, "acquireAsync(60)"), false);
      if (p instanceof Semaphore) assert.equal(p.value, 0);
      p.release();
      assert.equal(await w.joinAsync(5_000), true, "the release reached the real waiter");
      assert.equal(out[0], T);
      if (p instanceof Lock) assert.equal(p.locked(), false);
      else assert.equal(p.value, 0);
    });
  }
});
