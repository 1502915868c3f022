// ThreadPoolExecutor and futures across real threads: results, exceptions, cancellation,
// shutdown, map, initializers, wait/asCompleted, awaiting, callbacks, disposal, names, validation
// and what may cross into a pool thread. Tasks are ordered with Events, Barriers and shared
// counters, never with sleeps; every wait is bounded (LONG) so a bug fails instead of hanging.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpus } from "node:os";
import {
  ALL_COMPLETED, asCompleted, Barrier, BrokenThreadPoolError, CancelledError, currentThread, Event, FIRST_COMPLETED,
  FIRST_EXCEPTION, Future, mainThread, RuntimeError, Thread, ThreadPoolExecutor, TimeoutError, wait,
} from "skein";
import { afterMainBlocks, blockOn, closePool, countedMul, divmod, mul, newPool, occupy, poolThreads, runPoolChild } from "./helpers/pool-util.js";
import { LONG } from "./helpers/bounds.js";
import { shared, waitAtLeast } from "./helpers/cells.js";
import { captureStderr } from "./helpers/stderr.js";
import { within } from "./helpers/wait.js";
import { notOnBun } from "./helpers/runtimes.js";


/** A module-level constant: tasks may use it (it goes with them to their pool thread). */
const SCALE = 3;
/** A module-level variable the program reassigns: tasks may not use it (a thread would see a stale value). */
// eslint-disable-next-line prefer-const
let counter = 0;
export function bumpCounter(): number {
  return ++counter;
}

describe("results and exceptions", () => {
  test("10,000 small tasks give the right results, on several pool threads", (t) => {
    using pool = newPool();
    // Two of its threads up first, each holding a task until the gate opens: the tasks then
    // spread whatever a worker's boot costs (on Deno one thread could run them all meanwhile).
    const gate = new Event();
    const held = occupy(pool, gate, 2);
    gate.set();
    held.forEach((f) => assert.equal(f.result(LONG), true));
    const t0 = performance.now();
    const square = (x: number) => [x * x, currentThread().name] as const;
    const futures: Future<readonly [number, string]>[] = [];
    for (let i = 0; i < 10_000; i++) futures.push(pool.submit(square, i));
    const names = new Set<string>();
    futures.forEach((f, i) => {
      const [value, name] = f.result(LONG);
      assert.equal(value, i * i, `task ${i}`);
      names.add(name);
    });
    t.diagnostic(`10,000 tasks in ${(performance.now() - t0).toFixed(0)} ms on ${names.size} threads (maxWorkers ${pool.maxWorkers})`);
    assert.ok(!names.has(mainThread().name), "a task ran in the main thread");
    assert.ok(names.size > 1, `all tasks ran on one thread: ${[...names]}`);
    assert.ok(names.size <= pool.maxWorkers);
  });

  test("a task that throws: exception() returns the error, result() throws it, the pool keeps working", () => {
    using pool = newPool({ maxWorkers: 2 });
    const root = (x: number) => {
      if (x < 0) throw new RangeError(`negative: ${x}`);
      return Math.sqrt(x);
    };
    const f = pool.submit(root, -4);
    const e = f.exception(LONG);
    assert.ok(e instanceof RangeError, `got ${e}`);
    assert.equal(e.name, "RangeError");
    assert.equal(e.message, "negative: -4");
    assert.match(e.stack ?? "", /RangeError: negative: -4\n\s+at /);
    assert.match(e.stack ?? "", /pool\.test\.ts/, "the stack points into the task's own file");
    assert.throws(() => f.result(LONG), (x) => x === e);
    assert.equal(f.done(), true);
    assert.equal(f.cancelled(), false);
    assert.equal(f.running(), false);
    // A bug in the task (not a throw statement) lands in its future too.
    const g = pool.submit((o: { a?: { b: number } }) => o.a!.b, {});
    assert.ok(g.exception(LONG) instanceof TypeError);
    // The pool, and the very threads that saw the exceptions, keep working.
    const threads = poolThreads(pool);
    assert.ok(threads.length >= 1);
    const it = pool.map(root, [4, -1, 9]);
    assert.equal(it.next().value, 2);
    assert.throws(() => it.next(), (x) => x instanceof RangeError && x.message === "negative: -1");
    assert.deepEqual([0, 1, 4, 9, 16, 25].map((x) => pool.submit(root, x)).map((h) => h.result(LONG)), [0, 1, 2, 3, 4, 5]);
    assert.ok(threads.every((th) => th.isAlive()), "a pool thread died of a task's exception");
  });

  test("thrown non-Error values (0, '', null, undefined) still fail the future", () => {
    using pool = newPool({ maxWorkers: 1 });
    const thrower = (v: unknown) => {
      throw v;
    };
    for (const v of [0, "", false, null, undefined, { code: 7 }]) {
      const f = pool.submit(thrower, v);
      let threw = false;
      let got: unknown;
      try {
        f.result(LONG);
      } catch (x) {
        threw = true;
        got = x;
      }
      assert.ok(threw, `result() returned for a task that threw ${String(v)}`);
      assert.deepEqual(got, v);
    }
  });

  test("results are copied back; a result that can't be copied fails its future with a TypeError", () => {
    using pool = newPool({ maxWorkers: 1 });
    const r = pool.submit(() => ({ m: new Map([[1, "one"]]), d: new Date(0), big: 2n ** 70n, nested: [1, [2, [3]]] })).result(LONG);
    assert.deepEqual(r, { m: new Map([[1, "one"]]), d: new Date(0), big: 2n ** 70n, nested: [1, [2, [3]]] });
    // A function in a result travels back as code and works here.
    const withFn = pool.submit(() => ({ f: (x: number) => x + 1 })).result(LONG);
    assert.equal(withFn.f(1), 2);
    const bad = pool.submit(() => ({ w: new WeakMap() }));
    const e = bad.exception(LONG);
    assert.ok(e instanceof TypeError, `got ${e}`);
    assert.match((e as Error).message, /WeakMap/);
    assert.equal(pool.submit(mul, 6, 7).result(LONG), 42);
  });

  test("an async task is awaited in its pool thread; its future holds the resolved value", async () => {
    using pool = newPool({ maxWorkers: 1 });
    const f = pool.submit(async (x: number) => {
      await new Promise((r) => setImmediate(r));
      return x * 2;
    }, 21);
    assert.equal(f.result(LONG), 42);
    const g = pool.submit(async () => {
      await null;
      throw new SyntaxError("late");
    });
    const e = g.exception(LONG);
    assert.ok(e instanceof SyntaxError);
    assert.equal(e.message, "late");
  });

  test("result() and exception() time out on a pending future (milliseconds), and check their timeout", () => {
    using pool = newPool({ maxWorkers: 1 });
    const gate = new Event();
    try {
      const [f] = occupy(pool, gate);
      let t0 = performance.now();
      assert.throws(() => f.result(100), TimeoutError);
      assert.ok(performance.now() - t0 >= 95, "result(100) gave up before 100 ms");
      t0 = performance.now();
      assert.throws(() => f.exception(50), TimeoutError);
      assert.ok(performance.now() - t0 >= 45, "exception(50) gave up before 50 ms");
      assert.throws(() => f.result(0), TimeoutError);
      assert.throws(() => f.result("1" as never), TypeError);
      assert.throws(() => f.result(NaN), RangeError);
      assert.equal(f.running(), true);
      gate.set();
      assert.equal(f.result(LONG), true);
      assert.equal(f.exception(0), null);
    } finally {
      gate.set();
    }
  });
});

describe("cancel", () => {
  test("cancelling a pending future: cancelled(), CancelledError, the task never runs, callbacks are called", () => {
    using pool = newPool({ maxWorkers: 2 });
    const gate = new Event();
    try {
      const runs = shared(1);
      // Both threads busy: what is submitted next stays pending.
      const blockers = occupy(pool, gate, 2);
      const fs = [0, 1, 2].map((i) => pool.submit(countedMul, runs, i, 2));
      const victim = fs[1];
      const seen: boolean[] = [];
      victim.addDoneCallback((f) => seen.push(f === victim && f.cancelled()));
      assert.equal(victim.running(), false);
      assert.equal(victim.done(), false);
      assert.equal(victim.cancel(), true);
      assert.equal(victim.cancelled(), true);
      assert.equal(victim.done(), true);
      assert.equal(victim.running(), false);
      assert.deepEqual(seen, [true], "the done callback was not called (once) on cancel");
      assert.equal(victim.cancel(), true, "cancelling twice");
      assert.deepEqual(seen, [true]);
      assert.throws(() => victim.result(0), CancelledError);
      assert.throws(() => victim.result(), CancelledError);
      assert.throws(() => victim.exception(0), CancelledError);
      // A running future can't be cancelled.
      assert.equal(blockers[0].cancel(), false);
      assert.equal(blockers[0].cancelled(), false);
      let late = false;
      victim.addDoneCallback(() => (late = true));
      assert.equal(late, true, "a callback added to a cancelled future is called at once");
      gate.set();
      assert.deepEqual(blockers.map((f) => f.result(LONG)), [true, true]);
      assert.equal(fs[0].result(LONG), 0);
      assert.equal(fs[2].result(LONG), 4);
      // A finished future can't be cancelled either.
      assert.equal(fs[2].cancel(), false);
      closePool(pool); // every thread has ended: nothing can still run the victim
      assert.equal(Atomics.load(runs, 0), 2, "the cancelled task ran");
      assert.deepEqual(seen, [true]);
    } finally {
      gate.set();
    }
  });
});

describe("shutdown", () => {
  test("shutdown() waits until the running and the queued tasks have finished", () => {
    const pool = newPool({ maxWorkers: 3 });
    try {
      const phase = shared(2);
      const task = (ph: Int32Array) => {
        // Finishes only once the main thread is blocked in shutdown(): if shutdown() didn't wait,
        // the main thread would find these tasks unfinished.
        const ok = afterMainBlocks(ph, 15_000);
        Atomics.add(ph, 1, 1);
        return ok;
      };
      const fs = Array.from({ length: 6 }, () => pool.submit(task, phase)); // 3 running, 3 queued
      Atomics.store(phase, 0, 1);
      pool.shutdown(true);
      assert.equal(Atomics.load(phase, 1), 6, "shutdown(true) returned before every task finished");
      assert.ok(fs.every((f) => f.done()));
      assert.deepEqual(fs.map((f) => f.result(0)), [true, true, true, true, true, true], "a task never saw the main thread blocked in shutdown");
      assert.equal(poolThreads(pool).length, 0, "pool threads still alive after shutdown(true)");
    } finally {
      closePool(pool);
    }
  });

  test("shutdown(false) returns at once; the running and queued tasks still finish", () => {
    const pool = newPool({ maxWorkers: 2 });
    const gate = new Event();
    try {
      const runs = shared(1);
      const blockers = occupy(pool, gate, 2);
      const queued = [pool.submit(countedMul, runs, 2, 3), pool.submit(countedMul, runs, 4, 5)];
      const threads = poolThreads(pool);
      assert.equal(threads.length, 2);
      pool.shutdown(false);
      // Returned while the tasks are still blocked.
      assert.ok(blockers.every((f) => f.running()), "shutdown(false) waited for the running tasks");
      assert.ok(queued.every((f) => !f.done()));
      assert.throws(() => pool.submit(mul, 1, 2), RuntimeError);
      gate.set();
      assert.deepEqual(blockers.map((f) => f.result(LONG)), [true, true], "a blocker timed out instead of being released");
      assert.deepEqual(queued.map((f) => f.result(LONG)), [6, 20]);
      for (const th of threads) assert.equal(th.join(LONG), true, `${th.name} did not end after shutdown(false)`);
    } finally {
      gate.set();
      closePool(pool);
    }
  });

  test("shutdown(false, { cancelFutures: true }) cancels the queued futures, not the running ones", () => {
    const pool = newPool({ maxWorkers: 2 });
    const gate = new Event();
    try {
      const runs = shared(1);
      const blockers = occupy(pool, gate, 2);
      const queued = Array.from({ length: 6 }, (_, i) => pool.submit(countedMul, runs, i, i));
      let callbacks = 0;
      for (const f of queued) f.addDoneCallback((g) => (callbacks += g.cancelled() ? 1 : 0));
      pool.shutdown(false, { cancelFutures: true });
      assert.ok(queued.every((f) => f.cancelled()), "a queued future was not cancelled");
      assert.equal(callbacks, 6);
      assert.ok(blockers.every((f) => !f.cancelled() && f.running()));
      gate.set();
      assert.deepEqual(blockers.map((f) => f.result(LONG)), [true, true]);
      closePool(pool);
      assert.equal(Atomics.load(runs, 0), 0, "a cancelled task ran");
    } finally {
      gate.set();
      closePool(pool);
    }
  });

  test("shutdown(true, { cancelFutures: true }) cancels the queued futures and waits for the running ones", () => {
    const pool = newPool({ maxWorkers: 2 });
    try {
      const phase = shared(2);
      const started = shared(1);
      const runs = shared(1);
      const task = (ph: Int32Array, st: Int32Array) => {
        Atomics.add(st, 0, 1);
        Atomics.notify(st, 0);
        const ok = afterMainBlocks(ph, 15_000);
        Atomics.add(ph, 1, 1);
        return ok;
      };
      const running = [pool.submit(task, phase, started), pool.submit(task, phase, started)];
      waitAtLeast(started, 0, 2);
      const queued = Array.from({ length: 4 }, (_, i) => pool.submit(countedMul, runs, i, 1));
      Atomics.store(phase, 0, 1);
      pool.shutdown(true, { cancelFutures: true });
      assert.equal(Atomics.load(phase, 1), 2, "shutdown returned before the running tasks finished");
      assert.deepEqual(running.map((f) => f.result(0)), [true, true]);
      assert.ok(queued.every((f) => f.cancelled()));
      assert.equal(Atomics.load(runs, 0), 0);
    } finally {
      closePool(pool);
    }
  });

  test("after shutdown, submit() and map() throw RuntimeError; shutdown() again is harmless", () => {
    const pool = newPool({ maxWorkers: 1 });
    assert.equal(pool.submit(mul, 2, 2).result(LONG), 4);
    pool.shutdown();
    assert.throws(() => pool.submit(mul, 1, 2), (e) => e instanceof RuntimeError && /cannot schedule new futures after shutdown/.test(e.message));
    assert.throws(() => pool.map(mul, [1], [2]), RuntimeError);
    pool.shutdown();
    pool.shutdown(false);
    assert.throws(() => pool.shutdown("yes" as never), TypeError);
    // A pool shut down before it ever ran anything.
    const idle = newPool();
    idle.shutdown();
    assert.throws(() => idle.submit(mul, 1, 2), RuntimeError);
  });

  test("`using` shuts the pool down at the end of the block, waiting for its tasks", () => {
    let pool: ThreadPoolExecutor;
    let f: Future<number>;
    let threads: Thread[];
    {
      using p = newPool({ maxWorkers: 2 });
      pool = p;
      f = p.submit(mul, 6, 7);
      threads = poolThreads(p);
      assert.equal(threads.length, 1);
    }
    assert.equal(f.done(), true);
    assert.equal(f.result(0), 42);
    assert.ok(threads.every((t) => !t.isAlive()), "a pool thread outlived the `using` block");
    assert.throws(() => pool.submit(mul, 1, 1), RuntimeError);
  });
});

describe("map", () => {
  test("map yields results in submission order, even when they complete in reverse order", () => {
    using pool = newPool({ maxWorkers: 4 });
    const turn = shared(5); // [0]: whose turn; [1..4]: completion order
    // Task i waits for its turn (3 - i): the last submitted finishes first.
    const task = (i: number, tn: Int32Array) => {
      const deadline = Date.now() + 15_000;
      for (let v = Atomics.load(tn, 0); v !== 3 - i; v = Atomics.load(tn, 0)) {
        if (Date.now() > deadline) throw new Error(`task ${i} never got its turn`);
        Atomics.wait(tn, 0, v, 100);
      }
      tn[1 + Atomics.load(tn, 0)] = i;
      Atomics.add(tn, 0, 1);
      Atomics.notify(tn, 0);
      return i * i;
    };
    assert.deepEqual([...pool.map(task, [0, 1, 2, 3], [turn, turn, turn, turn])], [0, 1, 4, 9]);
    assert.deepEqual([...turn.subarray(1)], [3, 2, 1, 0], "the tasks did not complete in reverse order");
  });

  test("map zips several iterables (arrays, Sets, generators); the shortest one ends it", () => {
    using pool = newPool({ maxWorkers: 3 });
    function* letters() {
      yield* ["a", "b", "c", "d", "e"];
    }
    const fn = (n: number, s: string, m: number) => `${s}${n * m}`;
    assert.deepEqual([...pool.map(fn, [1, 2, 3, 4], letters(), new Set([10, 20, 30]))], ["a10", "b40", "c90"]);
    assert.deepEqual([...pool.map(fn, [], letters(), [1])], []);
    assert.deepEqual([...pool.map(mul, [1, 2], [3, 4], { timeout: LONG })], [3, 8]);
    assert.throws(() => pool.map(mul, [1], 5 as never), TypeError);
    assert.throws(() => pool.map(mul, [1], [2], { timeout: "1" as never }), TypeError);
  });

  test(
    "map with no iterables yields nothing (Python: zip() of nothing is empty)",
    () => {
      // In a child process: the bug is an endless synchronous loop.
      const r = runPoolChild("map_no_iterables", 15_000);
      assert.equal(r.signal, null, `the child was killed (${r.signal}): map() never returned`);
      assert.equal(r.code, 0, r.stderr.slice(0, 500));
      assert.equal(r.stdout, "[]\n[]\n");
    },
  );

  test("map with a timeout: a slow task makes the iteration throw TimeoutError after the results before it", () => {
    using pool = newPool({ maxWorkers: 4 });
    const gate = new Event();
    try {
      // Task 2 is slow: it waits for a gate the test opens only after the TimeoutError.
      const task = (x: number, g: Event) => {
        if (x === 2) g.wait(15_000);
        return x * 10;
      };
      // Start the four threads (with the task's code) first: the timeout is for the tasks, not
      // for starting threads.
      const barrier = new Barrier(4);
      const warm = (b: Barrier, x: number, g: Event) => (b.wait(15_000), g.isSet() ? -1 : x);
      assert.deepEqual([...pool.map(warm, [barrier, barrier, barrier, barrier], [0, 1, 3, 4], [gate, gate, gate, gate])], [0, 1, 3, 4]);
      const t0 = performance.now();
      const it = pool.map(task, [0, 1, 2, 3], [gate, gate, gate, gate], { timeout: 1000 });
      const got: number[] = [];
      assert.throws(() => {
        for (const r of it) got.push(r);
      }, (e: unknown) => e instanceof TimeoutError && e.message === "ThreadPoolExecutor.map: results not ready within 1000 ms");
      assert.ok(performance.now() - t0 >= 990, "map's timeout expired early");
      assert.deepEqual(got, [0, 10]);
      assert.deepEqual(it.next(), { value: undefined, done: true }, "the iterator goes on after its TimeoutError");
      gate.set();
    } finally {
      gate.set();
    }
  });

  test("a map iteration that times out cancels its futures that haven't started", () => {
    using pool = newPool({ maxWorkers: 1 });
    const gate = new Event();
    try {
      const runs = shared(1);
      const [blocker] = occupy(pool, gate);
      const it = pool.map(countedMul, [runs, runs, runs], [1, 2, 3], [1, 1, 1], { timeout: 0 });
      assert.throws(() => it.next(), TimeoutError);
      gate.set();
      assert.equal(blocker.result(LONG), true);
      closePool(pool);
      assert.equal(Atomics.load(runs, 0), 0, "a task of the abandoned map ran");
    } finally {
      gate.set();
    }
  });

  test("closing a map iterator early (return()) cancels the futures that haven't started", () => {
    using pool = newPool({ maxWorkers: 1 });
    const gate = new Event();
    try {
      const runs = shared(1);
      // On one thread: item 0 returns, item 1 blocks on the gate, items 2 and 3 wait behind it.
      const task = (x: number, g: Event, r: Int32Array) => {
        Atomics.add(r, 0, 1);
        Atomics.notify(r, 0);
        if (x === 1) g.wait(15_000);
        return x;
      };
      const it = pool.map(task, [0, 1, 2, 3], [gate, gate, gate, gate], [runs, runs, runs, runs]);
      assert.deepEqual(it.next(), { value: 0, done: false });
      waitAtLeast(runs, 0, 2); // item 1 is running
      assert.deepEqual(it.return(undefined), { value: undefined, done: true });
      assert.deepEqual(it.next(), { value: undefined, done: true });
      gate.set();
      closePool(pool);
      assert.equal(Atomics.load(runs, 0), 2, "a task of the closed map ran after close");
    } finally {
      gate.set();
    }
  });
});

describe("initializer", () => {
  test("the initializer runs once per pool thread, with initargs, before that thread's tasks", () => {
    const inits = shared(1);
    const tag = `init-${process.pid}-${Date.now()}`;
    using pool = newPool({
      maxWorkers: 3,
      initializer: (count: Int32Array, label: string) => {
        Atomics.add(count, 0, 1);
        (globalThis as Record<string, unknown>).__skeinPoolTestInit = `${label}:${currentThread().name}`;
      },
      initargs: [inits, tag],
    });
    const barrier = new Barrier(3);
    const probe = (b: Barrier | null) => {
      if (b) b.wait(15_000); // three tasks at once: the pool must start all three threads
      return [(globalThis as Record<string, unknown>).__skeinPoolTestInit, currentThread().name];
    };
    const first = [0, 1, 2].map(() => pool.submit(probe, barrier));
    const rest = Array.from({ length: 30 }, () => pool.submit(probe, null));
    const names = new Set<string>();
    for (const f of [...first, ...rest]) {
      const [seen, name] = f.result(LONG) as [string, string];
      assert.equal(seen, `${tag}:${name}`, "a task ran before its thread's initializer, or saw another thread's");
      names.add(name);
    }
    assert.equal(names.size, 3);
    assert.equal(Atomics.load(inits, 0), 3, "the initializer did not run exactly once per thread");
  });

  test("a failing initializer breaks the pool: submit() then throws BrokenThreadPoolError", () => {
    const gate = new Event();
    using pool = newPool({
      maxWorkers: 1,
      initializer: (g: Event) => {
        g.wait(15_000);
        throw new RangeError("error in initializer");
      },
      initargs: [gate],
    });
    try {
      const queued = pool.submit(mul, 2, 3); // waits behind the initializer
      gate.set();
      assert.notEqual(queued.exception(LONG), null, "a task ran in a pool whose initializer failed");
      assert.throws(() => pool.submit(mul, 1, 1), BrokenThreadPoolError);
      assert.ok(new BrokenThreadPoolError() instanceof RuntimeError);
    } finally {
      gate.set();
    }
  });

  test(
    "a failing initializer fails the queued tasks with BrokenThreadPoolError",
    () => {
      const gate = new Event();
      using pool = newPool({
        maxWorkers: 1,
        initializer: (g: Event) => {
          g.wait(15_000);
          throw new RangeError("error in initializer");
        },
        initargs: [gate],
      });
      try {
        const queued = [pool.submit(mul, 2, 3), pool.submit(mul, 4, 5)];
        gate.set();
        for (const f of queued) {
          const e = f.exception(LONG);
          assert.ok(e instanceof BrokenThreadPoolError, `got ${(e as Error)?.name}: ${(e as Error)?.message}`);
          assert.throws(() => f.result(0), BrokenThreadPoolError);
        }
      } finally {
        gate.set();
      }
    },
  );

  test("initializer and initargs are checked when the pool is made", () => {
    assert.throws(() => new ThreadPoolExecutor({ initializer: "init" as never }), TypeError);
    assert.throws(() => new ThreadPoolExecutor({ initializer: () => 1, initargs: "ab" as never }), TypeError);
    assert.throws(() => new ThreadPoolExecutor({ initializer: (f: unknown) => f, initargs: [new WeakMap()] }), (e) => e instanceof TypeError && /initargs\[0\]/.test(e.message));
  });

  test(
    ...notOnBun("an initializer that uses a local variable is refused when the pool is made, saying to pass it in initargs", "Bun bakes a const's value into the function's text"),
    () => {
      const local = 2;
      assert.throws(() => new ThreadPoolExecutor({ initializer: () => local }), (e) => e instanceof TypeError && /"local"/.test(e.message) && /initargs/.test(e.message));
    },
  );
});

describe("wait and asCompleted", () => {
  // The waits below have no timeout on purpose: the blocked tasks give up by themselves after
  // LONG, so a wait() that missed its returnWhen returns late with them done (and fails) instead
  // of hanging, and one that did right can't be mistaken for a timeout.
  test("wait(FIRST_COMPLETED) returns when a task finishes in another thread", () => {
    using pool = newPool({ maxWorkers: 2 });
    const gate = new Event();
    try {
      const phase = shared(1);
      const [stuck] = occupy(pool, gate);
      const finisher = pool.submit(afterMainBlocks, phase, LONG); // finishes while wait() blocks
      Atomics.store(phase, 0, 1);
      const { done, notDone } = wait<unknown>([stuck, finisher], { returnWhen: FIRST_COMPLETED });
      assert.deepEqual(done, new Set([finisher]));
      assert.deepEqual(notDone, new Set([stuck]));
      assert.equal(finisher.result(0), true, "the task finished before wait() blocked");
      gate.set();
    } finally {
      gate.set();
    }
  });

  test("wait(FIRST_EXCEPTION) returns at the first failure; without one it waits for all", () => {
    using pool = newPool({ maxWorkers: 3 });
    const gate = new Event();
    try {
      const ok = pool.submit(mul, 6, 7);
      ok.result(LONG);
      const [stuck] = occupy(pool, gate);
      const bad = pool.submit(divmod, 1, 0);
      let r = wait<unknown>([ok, bad, stuck], { returnWhen: FIRST_EXCEPTION });
      assert.deepEqual(r.done, new Set([ok, bad]));
      assert.deepEqual(r.notDone, new Set([stuck]));
      // No exception: FIRST_EXCEPTION is ALL_COMPLETED.
      const phase = shared(1);
      const late = pool.submit(afterMainBlocks, phase, LONG);
      Atomics.store(phase, 0, 1);
      r = wait<unknown>([ok, late], { returnWhen: FIRST_EXCEPTION });
      assert.deepEqual(r.done, new Set([ok, late]));
      assert.equal(r.notDone.size, 0);
      assert.equal(late.result(0), true);
      gate.set();
    } finally {
      gate.set();
    }
  });

  test("wait(ALL_COMPLETED) waits for every future, or gives up after its timeout (ms)", () => {
    using pool = newPool({ maxWorkers: 3 });
    const gate = new Event();
    try {
      const fs = [pool.submit(mul, 1, 2), pool.submit(divmod, 1, 0), pool.submit(mul, 3, 4)];
      let r = wait<unknown>(fs); // ALL_COMPLETED by default
      assert.deepEqual(r.done, new Set(fs));
      assert.equal(r.notDone.size, 0);
      const started = shared(1);
      const stuck = pool.submit(blockOn, gate, started, LONG);
      const t0 = performance.now();
      r = wait<unknown>([...fs, stuck], { returnWhen: ALL_COMPLETED, timeout: 150 });
      assert.ok(performance.now() - t0 >= 145, "wait() gave up before its timeout");
      assert.deepEqual(r.done, new Set(fs));
      assert.deepEqual(r.notDone, new Set([stuck]));
      r = wait<unknown>([stuck], { timeout: 0 });
      assert.deepEqual(r.notDone, new Set([stuck]));
      gate.set();
      r = wait<unknown>([stuck]);
      assert.deepEqual(r.done, new Set([stuck]));
    } finally {
      gate.set();
    }
  });

  test("wait() checks its arguments", () => {
    using pool = newPool({ maxWorkers: 1 });
    const f = pool.submit(mul, 1, 1);
    assert.throws(() => wait<unknown>([f], { returnWhen: "FIRST" as never }), RangeError);
    assert.throws(() => wait(f as never), TypeError);
    assert.throws(() => wait<unknown>([f, 3] as never), TypeError);
    assert.throws(() => wait<unknown>([f], { timeout: "1" as never }), TypeError);
    // Python's spellings, which would otherwise have waited for all, forever.
    assert.throws(() => wait<unknown>([f], { return_when: FIRST_COMPLETED } as never), (e: unknown) =>
      e instanceof TypeError && /unknown option "return_when" \(did you mean returnWhen\?\)/.test((e as Error).message));
    assert.throws(() => wait<unknown>([f], 100 as never), (e: unknown) =>
      e instanceof TypeError && /wait\(futures, \{ timeout: 100 \}\)/.test((e as Error).message));
    // Futures of different result types together, as Python's wait takes them (a type check).
    const mixed = wait([f, pool.submit(() => "s")]);
    assert.equal(mixed.done.size + mixed.notDone.size, 2);
    assert.throws(() => [...asCompleted([f, {}] as never)], TypeError);
    assert.deepEqual(wait<unknown>([]), { done: new Set(), notDone: new Set() });
    assert.deepEqual([...asCompleted([])], []);
  });

  test("asCompleted yields the futures in the order they finish", () => {
    using pool = newPool({ maxWorkers: 3 });
    const gates = [new Event(), new Event(), new Event()];
    try {
      const started = shared(1);
      const fs = gates.map((g) => pool.submit(blockOn, g, started, LONG));
      waitAtLeast(started, 0, 3);
      const it = asCompleted(fs);
      const order: number[] = [];
      for (const i of [2, 0, 1]) {
        gates[i].set();
        const r = it.next();
        assert.equal(r.done, false);
        order.push(fs.indexOf(r.value as Future<boolean>));
      }
      assert.deepEqual(order, [2, 0, 1]);
      assert.equal(it.next().done, true);
    } finally {
      for (const g of gates) g.set();
    }
  });

  test("asCompleted yields the finished futures, then throws TimeoutError after its timeout (ms)", () => {
    using pool = newPool({ maxWorkers: 2 });
    const gate = new Event();
    try {
      const started = shared(1);
      const done1 = pool.submit(mul, 2, 3);
      done1.result(LONG);
      const stuck = pool.submit(blockOn, gate, started, LONG);
      const got: unknown[] = [];
      const t0 = performance.now();
      assert.throws(() => {
        for (const f of asCompleted<unknown>([done1, stuck, done1], 150)) got.push(f);
      }, TimeoutError);
      assert.ok(performance.now() - t0 >= 145, "asCompleted gave up before its timeout");
      assert.deepEqual(got, [done1]);
    } finally {
      gate.set();
    }
  });
});

describe("awaiting and callbacks", () => {
  test("a future is awaitable: await gives the result, rejects with the exception or CancelledError", async () => {
    using pool = newPool({ maxWorkers: 2 });
    const gate = new Event();
    try {
      assert.equal(await within(pool.submit(mul, 6, 7)), 42);
      await assert.rejects(within(pool.submit(divmod, 1, 0)), RangeError);
      assert.deepEqual(await within(Promise.all([1, 2, 3].map((i) => pool.submit(mul, i, i)))), [1, 4, 9]);
      // Awaiting a future still pending: its result comes through the event loop.
      const started = shared(1);
      const f = pool.submit(blockOn, gate, started, LONG);
      const p = within(f, "the awaited future");
      waitAtLeast(started, 0, 1);
      setImmediate(() => gate.set());
      assert.equal(await p, true);
    } finally {
      gate.set();
    }
    // Cancelled while awaited (CPython's test_result_with_cancel, the async way). A pool of one
    // thread, so the queued task surely waits behind the blocked one.
    using single = newPool({ maxWorkers: 1 });
    const gate2 = new Event();
    try {
      const [busy] = occupy(single, gate2);
      const queued = single.submit(mul, 1, 1);
      const rejected = assert.rejects(within(queued), CancelledError);
      setImmediate(() => queued.cancel());
      await rejected;
      gate2.set();
      assert.equal(await within(busy), true);
    } finally {
      gate2.set();
    }
  });

  test("addDoneCallback: at once on a finished future; on a pending one, once it finishes, in the submitting thread", async () => {
    using pool = newPool({ maxWorkers: 1 });
    const gate = new Event();
    try {
      const f = pool.submit(mul, 6, 7);
      f.result(LONG);
      const calls: unknown[] = [];
      f.addDoneCallback((g) => calls.push(g === f ? g.result(0) : "wrong future"));
      assert.deepEqual(calls, [42], "a callback added to a finished future was not called at once");

      const started = shared(1);
      const pending = pool.submit(blockOn, gate, started, LONG);
      const where: string[] = [];
      pending.addDoneCallback((g) => where.push(`${currentThread().name}:${g.result(0)}`));
      pending.addDoneCallback(() => where.push("second"));
      waitAtLeast(started, 0, 1);
      assert.deepEqual(where, []);
      gate.set();
      assert.equal(pending.result(LONG), true);
      assert.deepEqual(where, [`${mainThread().name}:true`, "second"]);

      // Nobody calls result(): the event loop delivers the outcome and runs the callback.
      gate.clear();
      const started2 = shared(1);
      const later = pool.submit(blockOn, gate, started2, LONG);
      const called = new Promise<boolean>((resolve) => later.addDoneCallback((g) => resolve(g.result(0))));
      waitAtLeast(started2, 0, 1);
      gate.set();
      assert.equal(await within(called, "the done callback"), true);
      assert.throws(() => later.addDoneCallback("cb" as never), TypeError);
    } finally {
      gate.set();
    }
  });

  test(
    "addDoneCallback calls the callback at once on a future that wait() found done",
    () => {
      using pool = newPool({ maxWorkers: 1 });
      const f = pool.submit(mul, 6, 7);
      const { done } = wait<unknown>([f], { timeout: LONG });
      assert.ok(done.has(f) && f.done());
      let called = false;
      f.addDoneCallback(() => (called = true));
      assert.equal(called, true, "done() is true but the callback was not called at once");
    },
  );

  test("a callback that throws is reported on stderr; the other callbacks still run", () => {
    using pool = newPool({ maxWorkers: 1 });
    const f = pool.submit(mul, 2, 5);
    let second = false;
    // Captured from here: a callback added to a future that is already done runs at once.
    const { result, text } = captureStderr(() => {
      f.addDoneCallback(() => {
        throw new Error("doh!");
      });
      f.addDoneCallback(() => (second = true));
      return f.result(LONG);
    });
    assert.equal(result, 10);
    assert.equal(second, true);
    assert.match(text, /exception calling callback for <Future/);
    assert.match(text, /doh!/);
  });

  test("a pool made inside a skein Thread runs there: results and callbacks come back to that thread", () => {
    const out = shared(2);
    const th = new Thread({
      name: "pool-owner",
      target: (o: Int32Array) => {
        using p = new ThreadPoolExecutor({ maxWorkers: 2 });
        const fs = [1, 2, 3].map((i) => p.submit((x: number) => x * 10, i));
        o[0] = fs.reduce((a, f) => a + f.result(15_000), 0);
        let where = "";
        fs[0].addDoneCallback(() => (where = currentThread().name));
        o[1] = where === "pool-owner" ? 1 : 0;
      },
      args: [out],
    });
    th.start();
    assert.equal(th.join(LONG), true);
    assert.deepEqual([...out], [60, 1]);
  });
});

describe("threads, names and options", () => {
  test("threads start lazily, up to maxWorkers, and take threadNamePrefix names", () => {
    using pool = newPool({ maxWorkers: 4, threadNamePrefix: `named-${process.pid}` });
    const gate = new Event();
    try {
      assert.equal(poolThreads(pool).length, 0, "threads started before any submit");
      const barrier = new Barrier(4);
      const name = (b: Barrier) => {
        b.wait(15_000);
        return currentThread().name;
      };
      const names = [0, 1, 2, 3].map(() => pool.submit(name, barrier)).map((f) => f.result(LONG));
      assert.deepEqual(new Set(names), new Set([0, 1, 2, 3].map((i) => `named-${process.pid}_${i}`)));
      // Saturated: ten blocked tasks, still four threads.
      const started = shared(1);
      const fs = Array.from({ length: 10 }, () => pool.submit(blockOn, gate, started, LONG));
      waitAtLeast(started, 0, 4);
      assert.equal(poolThreads(pool).length, 4);
      gate.set();
      assert.ok(fs.every((f) => f.result(LONG) === true));
    } finally {
      gate.set();
    }
  });

  test("default names are ThreadPoolExecutor-N_i; an empty prefix means the default", () => {
    for (const options of [{ maxWorkers: 1 }, { maxWorkers: 1, threadNamePrefix: "" }]) {
      using pool = new ThreadPoolExecutor(options);
      assert.match(pool.submit(() => currentThread().name).result(LONG), /^ThreadPoolExecutor-\d+_0$/);
    }
    assert.throws(() => new ThreadPoolExecutor({ threadNamePrefix: 5 as never }), TypeError);
  });

  test("maxWorkers: defaults to min(32, cpus + 4); 0, -1, 1.5, NaN → RangeError; 'x' → TypeError", () => {
    using def = new ThreadPoolExecutor();
    assert.equal(def.maxWorkers, Math.min(32, cpus().length + 4));
    using nul = new ThreadPoolExecutor({ maxWorkers: null as never });
    assert.equal(nul.maxWorkers, Math.min(32, cpus().length + 4));
    for (const bad of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => new ThreadPoolExecutor({ maxWorkers: bad }), RangeError, `maxWorkers ${bad}`);
    }
    for (const bad of ["x", "2", 2n, {}]) {
      assert.throws(() => new ThreadPoolExecutor({ maxWorkers: bad as never }), TypeError, `maxWorkers ${String(bad)}`);
    }
    assert.throws(() => new ThreadPoolExecutor("4" as never), TypeError);
    using one = new ThreadPoolExecutor({ maxWorkers: 1 });
    assert.equal(one.maxWorkers, 1);
  });

  test(
    "a queued task runs on an idle thread while another thread is still busy (one work queue, as in Python)",
    () => {
      using pool = newPool({ maxWorkers: 2 });
      const gates = [new Event(), new Event()];
      try {
        const started = shared(1);
        const a = pool.submit(blockOn, gates[0], started, LONG);
        const b = pool.submit(blockOn, gates[1], started, LONG);
        waitAtLeast(started, 0, 2);
        const c = pool.submit(mul, 1, 2);
        const d = pool.submit(mul, 3, 4);
        gates[0].set(); // one thread is free now; the other stays busy with b
        assert.equal(a.result(LONG), true);
        assert.equal(c.result(LONG), 2);
        const { done } = wait<unknown>([d], { timeout: 2_000 });
        assert.ok(done.has(d), "d waited for the busy thread while the other one was idle");
        assert.equal(b.done(), false);
      } finally {
        for (const g of gates) g.set();
      }
    },
  );
});

describe("what crosses into a pool thread", () => {
  test("a task using a variable that can't travel → TypeError at submit naming every one; nothing is scheduled", () => {
    using pool = newPool({ maxWorkers: 1 });
    const offset = 10;
    const base = 1;
    const refused = (...names: string[]) => (e: unknown) =>
      e instanceof TypeError && names.every((n) => new RegExp(`"${n}"`).test((e as Error).message)) && /pool\.submit\(fn, /.test((e as Error).message);
    assert.throws(() => pool.submit((x: number) => x + offset, 2), refused("offset"));
    assert.throws(() => pool.submit((x: number) => x + offset + base + counter, 2), refused("offset", "base", "counter"));
    assert.throws(() => pool.map((x: number) => x + offset, [1, 2]), refused("offset"));
    assert.throws(() => pool.submit("mul" as never), TypeError);
    assert.throws(() => (pool.submit as (...a: unknown[]) => unknown)(), TypeError);
    // Imported names, module constants, globals and parameters are fine; library functions go by name.
    assert.equal(pool.submit((x: number) => mul(x, 2) + divmod(7, 2)[1], 20).result(LONG), 41);
    assert.equal(pool.submit((x: number) => x * SCALE, 2).result(LONG), 6);
    assert.equal(pool.submit(Math.max, 1, 2).result(LONG), 2);
  });

  test("a function among the args travels as code; what can't travel is a TypeError naming args[i]", () => {
    using pool = newPool({ maxWorkers: 1 });
    assert.equal(pool.submit((a: number, f: (n: number) => number) => f(a), 20, (n: number) => n * SCALE).result(LONG), 60);
    assert.equal(pool.submit((f: (...n: number[]) => number) => f(1, 5), Math.max).result(LONG), 5);
    const offset = 1;
    assert.throws(() => pool.submit((a: number, f: unknown) => [a, f], 1, () => offset), (e) => e instanceof TypeError && /args\[1\]/.test(e.message) && /"offset"/.test(e.message));
    assert.throws(() => pool.submit((a: number, w: unknown) => [a, w], 1, new WeakMap()), (e) => e instanceof TypeError && /args\[1\]/.test(e.message));
    assert.equal(pool.submit(mul, 2, 21).result(LONG), 42);
  });

  test("args are copied, except shared memory and skein objects, which the task shares", () => {
    using pool = newPool({ maxWorkers: 1 });
    const plain = { n: 1, list: [1, 2] };
    const cells = shared(2);
    const local = new Int32Array(2); // not shared: a copy goes
    const ev = new Event();
    const r = pool
      .submit(
        (o: { n: number; list: number[] }, c: Int32Array, l: Int32Array, e: Event) => {
          o.n = 99;
          o.list.push(3);
          c[0] = 7;
          Atomics.store(c, 1, 8);
          l[0] = 5;
          e.set();
          return o;
        },
        plain,
        cells,
        local,
        ev,
      )
      .result(LONG);
    assert.deepEqual(plain, { n: 1, list: [1, 2] }, "the caller's object changed");
    assert.deepEqual(r, { n: 99, list: [1, 2, 3] });
    assert.deepEqual([...cells], [7, 8], "the shared array was not shared");
    assert.deepEqual([...local], [0, 0]);
    assert.equal(ev.isSet(), true, "the Event was not shared");
  });
});
