// skein's queues across real threads: many producers and consumers moving numbered items through
// every queue kind with nothing lost or duplicated, blocking and timeouts of bounded queues,
// taskDone/join, shutdown, Python's priority order, big and structured items, growth, the async
// twins, and consumers that die mid-stream.
//
// Every thread is a daemon (a failed test can't keep the process alive), every wait is bounded
// (a bug fails instead of hanging), threads are ordered with gates and by observing
// `state === "blocked"`, never by sleeping, and timing is only ever checked from below.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  EmptyError, FullError, LifoQueue, Lock, PriorityQueue, Queue, RuntimeError,
  ShutDownError, SimpleQueue, Thread,
} from "skein";
import {
  ARRIVED, bigString, dyingConsumer, errorCode, firstNotOnce, Outcome, stressConsumer, stressProducer, toPythonJson,
} from "./helpers/queue-workers.js";
import fc from "fast-check";
import { pythonCompare } from "../dist/internal.js";
import { HEAVY } from "./helpers/bounds.js";
import { open, shared, waitAtLeast } from "./helpers/cells.js";
import { quietExcepthook } from "./helpers/excepthook.js";
import { hasPython } from "./helpers/child-process.js";
import { daemon, joined } from "./helpers/threads.js";
import { eventually, within } from "./helpers/wait.js";

type AnyKind<T> = Queue<T> | LifoQueue<T> | PriorityQueue<T> | SimpleQueue<T>;

// =============================================================================================
// 4 producers x 4 consumers, 200,000 numbered items, every queue kind.

const N = 200_000;
const PRODUCERS = 4;
const CONSUMERS = 4;

interface StressKind {
  name: string;
  make: () => AnyKind<number>;
  /** How consumers are told to stop: negative sentinels (FIFO kinds) or shutdown() (LIFO and
   *  priority order would hand the sentinels out before the items still queued). */
  stop: "sentinel" | "shutdown";
  fifo: boolean;
  maxsize: number;
  taskDone: boolean;
}

const stressKinds: StressKind[] = [
  { name: "Queue", make: () => new Queue<number>(), stop: "sentinel", fifo: true, maxsize: 0, taskDone: true },
  { name: "Queue(maxsize=16)", make: () => new Queue<number>(16), stop: "sentinel", fifo: true, maxsize: 16, taskDone: true },
  { name: "LifoQueue", make: () => new LifoQueue<number>(), stop: "shutdown", fifo: false, maxsize: 0, taskDone: true },
  { name: "PriorityQueue", make: () => new PriorityQueue<number>(), stop: "shutdown", fifo: false, maxsize: 0, taskDone: true },
  { name: "PriorityQueue(maxsize=64)", make: () => new PriorityQueue<number>(64), stop: "shutdown", fifo: false, maxsize: 64, taskDone: true },
  { name: "SimpleQueue", make: () => new SimpleQueue<number>(), stop: "sentinel", fifo: true, maxsize: 0, taskDone: false },
];

for (const kind of stressKinds) {
  test(`${kind.name}: ${PRODUCERS} producers x ${CONSUMERS} consumers move ${N} items, none lost or duplicated`, async (t) => {
    const q = kind.make();
    const ctl = shared(8);
    const seen = new Uint8Array(new SharedArrayBuffer(N));
    const stats = new Float64Array(new SharedArrayBuffer(8 * 3 * CONSUMERS));
    const opts = { producers: PRODUCERS, checkFifo: kind.fifo, maxsize: kind.maxsize, taskDone: kind.taskDone };
    const producers = Array.from({ length: PRODUCERS }, (_, p) => daemon(stressProducer, [q, ctl, p, PRODUCERS, N / PRODUCERS]));
    const consumers = Array.from({ length: CONSUMERS }, (_, c) => daemon(stressConsumer, [q, ctl, seen, stats, c, opts]));
    // Everyone at the gate before it opens: a consumer still loading its code would find the items gone.
    waitAtLeast(ctl, ARRIVED, PRODUCERS + CONSUMERS, HEAVY, "every producer and consumer at the start gate");
    const t0 = performance.now();
    open(ctl);
    for (const p of producers) joined(p, HEAVY);
    assert.equal(ctl[1], PRODUCERS, "a producer died before putting all its items (see stderr)");
    if (kind.stop === "sentinel") for (let c = 0; c < CONSUMERS; c++) q.put(-1);
    else q.shutdown();
    for (const c of consumers) joined(c, HEAVY);
    t.diagnostic(`${kind.name}: ${(performance.now() - t0).toFixed(0)} ms for ${N} items`);
    assert.equal(ctl[2], CONSUMERS, "a consumer died (see stderr)");

    let count = 0;
    let sum = 0;
    let sumsq = 0;
    for (let c = 0; c < CONSUMERS; c++) {
      count += stats[c * 3]!;
      sum += stats[c * 3 + 1]!;
      sumsq += stats[c * 3 + 2]!;
    }
    const bad = firstNotOnce(seen);
    assert.equal(bad, -1, bad < 0 ? "" : `item ${bad} was received ${seen[bad]} times`);
    assert.equal(count, N);
    assert.equal(sum, (N * (N - 1)) / 2);
    assert.equal(sumsq, ((N - 1) * N * (2 * N - 1)) / 6);
    // Every consumer took part (a queue that starves all but one would still pass the above).
    for (let c = 0; c < CONSUMERS; c++) assert.ok(stats[c * 3]! > 0, `consumer ${c} got nothing`);
    assert.equal(q.qsize(), 0);
    assert.equal(q.empty(), true);
    if (kind.fifo) assert.equal(ctl[3], 0, "a consumer saw one producer's items out of order");
    if (kind.maxsize) assert.equal(ctl[4], 0, `qsize() exceeded maxsize ${kind.maxsize}`);
    if (kind.taskDone) {
      // Every put was matched by a taskDone: join returns, and one more taskDone is too many.
      await within((q as Queue<number>).joinAsync(), "joinAsync after every item was marked done");
      assert.throws(() => q.taskDone(), RangeError);
    }
  });
}

// =============================================================================================
// Bounded queues: blocking, timeouts, non-blocking calls.

const boundedKinds = [
  { name: "Queue", make: (n: number) => new Queue<number>(n), order: [1, 2, 3] },
  { name: "LifoQueue", make: (n: number) => new LifoQueue<number>(n), order: [2, 3, 1] },
  { name: "PriorityQueue", make: (n: number) => new PriorityQueue<number>(n), order: [1, 2, 3] },
];

for (const kind of boundedKinds) {
  test(`${kind.name}(2): put blocks while full (the producer thread shows as blocked) and resumes when a get makes room`, async () => {
    const q = kind.make(2);
    q.put(1);
    q.put(2);
    assert.equal(q.full(), true);
    assert.equal(q.maxsize, 2);
    const o = shared(2);
    const th = daemon((q: Queue<number>, o: Int32Array) => {
      o[0] = 1;
      q.put(3);
      o[1] = 1;
    }, [q, o]);
    await eventually("the producer to block in put", () => th.state === "blocked");
    assert.equal(Atomics.load(o, 1), 0, "put returned although the queue was full");
    assert.equal(q.qsize(), 2);
    const first = q.get();
    joined(th);
    assert.equal(o[1], 1);
    assert.deepEqual([first, q.get(false), q.get(false)], kind.order);
    assert.equal(q.empty(), true);
  });
}

test("get blocks on an empty queue (the consumer thread shows as blocked) and returns what a put brings, for every kind", async () => {
  for (const q of [new Queue<string>(), new LifoQueue<string>(3), new PriorityQueue<string>(), new SimpleQueue<string>()] as AnyKind<string>[]) {
    const out = new Queue<string>();
    // One waits forever, one with a (long) timeout: both must take an item put while they wait.
    const a = daemon((q: Queue<string>, out: Queue<string>) => out.put(`a:${q.get()}`), [q, out]);
    const b = daemon((q: Queue<string>, out: Queue<string>) => out.put(`b:${q.get(true, 30_000)}`), [q, out]);
    await eventually("both consumers to block in get", () => a.state === "blocked" && b.state === "blocked");
    assert.equal(out.qsize(), 0, "a get returned from an empty queue");
    q.put("x");
    q.put("y");
    joined(a);
    joined(b);
    const got = [out.get(false), out.get(false)].map((s) => s.slice(2)).sort();
    assert.deepEqual(got, ["x", "y"], String(q));
    assert.equal(q.qsize(), 0);
  }
});

test("timeouts really wait: put on a full queue and get on an empty one raise only after the timeout (in a thread and in main)", async () => {
  const full = new Queue<number>(1);
  full.put(1);
  const empty = new Queue<number>();
  const o = shared(2);
  const ms = new Float64Array(new SharedArrayBuffer(16));
  const th = daemon((full: Queue<number>, empty: Queue<number>, o: Int32Array, ms: Float64Array) => {
    let t0 = performance.now();
    try {
      full.put(2, true, 150);
      o[0] = Outcome.OK;
    } catch (e) {
      o[0] = errorCode(e);
    }
    ms[0] = performance.now() - t0;
    t0 = performance.now();
    try {
      empty.get(true, 150);
      o[1] = Outcome.OK;
    } catch (e) {
      o[1] = errorCode(e);
    }
    ms[1] = performance.now() - t0;
  }, [full, empty, o, ms]);
  joined(th);
  assert.deepEqual([...o], [Outcome.FULL, Outcome.EMPTY]);
  assert.ok(ms[0]! >= 149.5, `put gave up after ${ms[0]} ms of a 150 ms timeout`);
  assert.ok(ms[1]! >= 149.5, `get gave up after ${ms[1]} ms of a 150 ms timeout`);

  let t0 = performance.now();
  assert.throws(() => full.put(3, true, 100), FullError);
  assert.ok(performance.now() - t0 >= 99.5);
  t0 = performance.now();
  assert.throws(() => empty.get(true, 100), EmptyError);
  assert.ok(performance.now() - t0 >= 99.5);
  t0 = performance.now();
  await assert.rejects(full.putAsync(4, 100), FullError);
  assert.ok(performance.now() - t0 >= 99.5);
  t0 = performance.now();
  await assert.rejects(empty.getAsync(100), EmptyError);
  assert.ok(performance.now() - t0 >= 99.5);
  // The failed puts left nothing behind.
  assert.equal(full.qsize(), 1);
  assert.equal(full.get(false), 1);
  assert.equal(empty.qsize(), 0);
});

test("putNowait/getNowait and block=false raise FullError/EmptyError; a negative timeout doesn't wait", () => {
  for (const q of [new Queue<number>(2), new LifoQueue<number>(2), new PriorityQueue<number>(2)]) {
    q.putNowait(1);
    q.put(2, false);
    assert.equal(q.full(), true);
    assert.throws(() => q.putNowait(3), FullError);
    assert.throws(() => q.put(3, false), FullError);
    assert.throws(() => q.put(3, true, -5), FullError);
    assert.throws(() => q.put(3, true, 0), FullError);
    assert.equal(q.qsize(), 2);
    assert.equal(q.getNowait() + q.get(false), 3);
    assert.throws(() => q.getNowait(), EmptyError);
    assert.throws(() => q.get(false), EmptyError);
    assert.throws(() => q.get(true, -1), EmptyError);
    assert.throws(() => q.get(true, 0), EmptyError);
    // With room, a negative timeout is just "don't wait": the put succeeds.
    q.put(5, true, -1);
    assert.equal(q.get(true, -1), 5);
  }
  // Unbounded queues never fill.
  for (const q of [new Queue<number>(), new Queue<number>(-3), new SimpleQueue<number>()]) {
    for (let i = 0; i < 1000; i++) q.putNowait(i);
    assert.equal(q.full(), false);
    assert.equal(q.maxsize, 0);
    let s = 0;
    for (let i = 0; i < 1000; i++) s += q.getNowait();
    assert.equal(s, 499_500);
    assert.throws(() => q.getNowait(), EmptyError);
  }
});

test("argument checks: block must be a boolean, timeouts are numbers (NaN is a RangeError), maxsize an integer", async () => {
  const q = new Queue<number>(1);
  assert.throws(() => q.put(1, 1 as any), TypeError);
  assert.throws(() => q.get("yes" as any), TypeError);
  assert.throws(() => q.put(1, true, "10" as any), TypeError);
  assert.throws(() => q.get(true, {} as any), TypeError);
  assert.throws(() => q.put(1, true, NaN), RangeError);
  assert.throws(() => q.get(true, NaN), RangeError);
  await assert.rejects(q.getAsync(NaN), RangeError);
  await assert.rejects(q.putAsync(1, NaN), RangeError);
  await assert.rejects(q.getAsync("5" as any), TypeError);
  assert.throws(() => q.shutdown("yes" as any), TypeError);
  assert.throws(() => new Queue(1.5), RangeError);
  assert.throws(() => new Queue("3" as any), TypeError);
  // None of it changed the queue.
  assert.equal(q.qsize(), 0);
  q.put(7, false);
  assert.equal(q.get(false), 7);
});

// =============================================================================================
// taskDone / join

test("join() returns only after every item was marked done by the consumer threads", () => {
  const q = new Queue<number>();
  const ITEMS = 3000;
  // 0 gate, 1 items processed, 2 processed count seen by the joiner when join returned (+1)
  const ctl = shared(3);
  for (let i = 0; i < ITEMS; i++) q.put(i);
  const joiner = daemon((q: Queue<number>, ctl: Int32Array) => {
    q.join();
    ctl[2] = Atomics.load(ctl, 1) + 1;
  }, [q, ctl]);
  const consumers = Array.from({ length: 3 }, () => daemon((q: Queue<number>, ctl: Int32Array) => {
    Atomics.wait(ctl, 0, 0, 30_000);
    for (;;) {
      const x = q.get(true, 30_000);
      if (x < 0) {
        q.taskDone();
        return;
      }
      Atomics.add(ctl, 1, 1);
      q.taskDone();
    }
  }, [q, ctl]));
  // The joiner must be waiting before any work is done.
  const deadline = Date.now() + 10_000;
  while (joiner.state !== "blocked") {
    assert.ok(Date.now() < deadline, "the joiner never blocked in join()");
    Atomics.wait(ctl, 2, 0, 1);
  }
  assert.equal(ctl[2], 0, "join() returned with every task unfinished");
  open(ctl);
  joined(joiner, HEAVY);
  assert.equal(ctl[2]! - 1, ITEMS, "join() returned before every item was processed");
  for (let i = 0; i < 3; i++) q.put(-1);
  for (const c of consumers) joined(c);
  // A second join (here on another thread) returns at once; one taskDone too many is a RangeError.
  joined(daemon((q: Queue<number>) => q.join(), [q]));
  assert.throws(() => q.taskDone(), RangeError);
});

test("join waits for the very last taskDone, even one from a thread that never called get", async () => {
  for (const q of [new Queue<string>(), new LifoQueue<string>(), new PriorityQueue<string>()]) {
    q.put("a");
    q.put("b");
    q.put("c");
    q.get();
    q.get();
    q.get();
    const o = shared(1);
    const joiner = daemon((q: Queue<string>, o: Int32Array) => {
      q.join();
      o[0] = 1;
    }, [q, o]);
    await eventually("the joiner to block", () => joiner.state === "blocked");
    const asyncJoin = q.joinAsync();
    let asyncDone = false;
    void asyncJoin.then(() => (asyncDone = true));
    q.taskDone();
    q.taskDone();
    assert.equal(joiner.join(100), false, "join() returned with one task unfinished");
    assert.equal(o[0], 0);
    assert.equal(asyncDone, false, "joinAsync() resolved with one task unfinished");
    joined(daemon((q: Queue<string>) => q.taskDone(), [q]));
    joined(joiner);
    assert.equal(o[0], 1);
    await within(asyncJoin, "joinAsync after the last taskDone");
    assert.throws(() => q.taskDone(), RangeError);
  }
});

test("joinAsync can be aborted; taskDone with nothing unfinished is a RangeError", async () => {
  const q = new Queue<number>();
  assert.throws(() => q.taskDone(), RangeError);
  q.put(1);
  const ac = new AbortController();
  const p = q.joinAsync({ signal: ac.signal });
  ac.abort(new Error("gave up"));
  await assert.rejects(p, /gave up/);
  q.get();
  q.taskDone();
  await within(q.joinAsync(), "joinAsync with nothing unfinished");
});

test("SimpleQueue has no taskDone/join: RuntimeError", () => {
  const q = new SimpleQueue<number>();
  q.put(1);
  assert.throws(() => q.taskDone(), RuntimeError);
  assert.throws(() => q.join(), RuntimeError);
  // ... and in another thread too.
  const o = shared(2);
  joined(daemon((q: SimpleQueue<number>, o: Int32Array) => {
    try {
      q.taskDone();
    } catch (e) {
      o[0] = e instanceof RuntimeError ? 1 : 2;
    }
    try {
      q.join();
    } catch (e) {
      o[1] = e instanceof RuntimeError ? 1 : 2;
    }
  }, [q, o]));
  assert.deepEqual([...o], [1, 1]);
  assert.equal(q.get(false), 1);
});

test("SimpleQueue.joinAsync, the twin of join, is a RuntimeError too", async () => {
  const q = new SimpleQueue<number>();
  q.put(1);
  await assert.rejects(q.joinAsync(), RuntimeError);
});

// =============================================================================================
// shutdown

const shutdownKinds: { name: string; empty: () => AnyKind<number>; full: (() => AnyKind<number>) | null }[] = [
  { name: "Queue", empty: () => new Queue<number>(), full: () => new Queue<number>(1) },
  { name: "LifoQueue", empty: () => new LifoQueue<number>(), full: () => new LifoQueue<number>(1) },
  { name: "PriorityQueue", empty: () => new PriorityQueue<number>(), full: () => new PriorityQueue<number>(1) },
  { name: "SimpleQueue", empty: () => new SimpleQueue<number>(), full: null },
];

for (const kind of shutdownKinds) {
  test(`${kind.name}: shutdown() wakes every thread blocked in get or put (they end with ShutDownError), and async waiters`, async () => {
    const empty = kind.empty();
    const full = kind.full?.() ?? null;
    full?.put(42);
    const o = shared(4);
    const waiters: Thread[] = [];
    for (let i = 0; i < 2; i++) {
      waiters.push(daemon((q: Queue<number>, o: Int32Array, i: number) => {
        try {
          q.get();
          o[i] = Outcome.OK;
        } catch (e) {
          o[i] = errorCode(e);
        }
      }, [empty, o, i]));
      if (full) {
        waiters.push(daemon((q: Queue<number>, o: Int32Array, i: number) => {
          try {
            q.put(7);
            o[i] = Outcome.OK;
          } catch (e) {
            o[i] = errorCode(e);
          }
        }, [full, o, 2 + i]));
      }
    }
    const asyncGet = empty.getAsync();
    const asyncPut = full?.putAsync(8);
    await eventually("every waiter to block", () => waiters.every((w) => w.state === "blocked"));
    assert.deepEqual([...o], [0, 0, 0, 0], "a waiter returned before shutdown");
    empty.shutdown();
    full?.shutdown();
    for (const w of waiters) joined(w);
    assert.deepEqual([...o], full ? [2, 2, 2, 2] : [2, 2, 0, 0]);
    await assert.rejects(within(asyncGet, "getAsync to wake"), ShutDownError);
    if (asyncPut) await assert.rejects(within(asyncPut, "putAsync to wake"), ShutDownError);
    // Puts fail from now on; gets drain what was left, then fail without waiting.
    assert.throws(() => empty.put(1), ShutDownError);
    assert.throws(() => empty.get(), ShutDownError);
    assert.throws(() => empty.getNowait(), ShutDownError);
    if (full) {
      assert.equal(full.qsize(), 1);
      assert.throws(() => full.putNowait(1), ShutDownError);
      assert.equal(full.get(), 42);
      assert.throws(() => full.get(), ShutDownError);
      assert.throws(() => full.get(true, 1000), ShutDownError);
      await assert.rejects(full.getAsync(), ShutDownError);
    }
  });
}

test("shutdown(immediate=true) drops the items left, wakes blocked putters and releases join() in other threads", async () => {
  const q = new Queue<string>(3);
  q.put("a");
  q.put("b");
  q.put("c");
  const o = shared(2);
  const joiner = daemon((q: Queue<string>, o: Int32Array) => {
    try {
      q.join();
      o[0] = Outcome.OK;
    } catch (e) {
      o[0] = errorCode(e);
    }
  }, [q, o]);
  const putter = daemon((q: Queue<string>, o: Int32Array) => {
    try {
      q.put("d");
      o[1] = Outcome.OK;
    } catch (e) {
      o[1] = errorCode(e);
    }
  }, [q, o]);
  await eventually("the joiner and the putter to block", () => joiner.state === "blocked" && putter.state === "blocked");
  q.shutdown(true);
  joined(joiner);
  joined(putter);
  assert.deepEqual([...o], [Outcome.OK, Outcome.SHUT_DOWN]);
  assert.equal(q.qsize(), 0);
  assert.equal(q.empty(), true);
  assert.throws(() => q.get(), ShutDownError);
  assert.throws(() => q.get(false), ShutDownError);
  await assert.rejects(q.getAsync(), ShutDownError);
  // The dropped items count as done: nothing is left to mark.
  assert.throws(() => q.taskDone(), RangeError);
  await within(q.joinAsync(), "joinAsync after an immediate shutdown");
  // A later shutdown() doesn't reopen anything.
  q.shutdown();
  assert.throws(() => q.put("e"), ShutDownError);
});

test("shutdown(immediate=true) still waits for items already taken but not yet marked done (as Python 3.13)", async () => {
  const q = new Queue<number>();
  q.put(1);
  q.put(2);
  q.put(3);
  assert.equal(q.get(), 1);
  const o = shared(1);
  const joiner = daemon((q: Queue<number>, o: Int32Array) => {
    q.join();
    o[0] = 1;
  }, [q, o]);
  await eventually("the joiner to block", () => joiner.state === "blocked");
  q.shutdown(true);
  assert.equal(joiner.join(100), false, "join() returned while a taken item was still being processed");
  assert.equal(q.qsize(), 0);
  q.taskDone();
  joined(joiner);
  assert.equal(o[0], 1);
  assert.throws(() => q.taskDone(), RangeError);
});

test("shutdown from another thread ends a `for await` consumer once the queue is drained", async () => {
  const q = new Queue<number>();
  const producer = daemon((q: Queue<number>) => {
    for (let i = 0; i < 1000; i++) q.put(i);
    q.shutdown();
  }, [q]);
  const got: number[] = [];
  await within((async () => {
    for await (const x of q) got.push(x);
  })(), "the for-await loop to end");
  joined(producer);
  assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => i));
});

// =============================================================================================
// PriorityQueue: Python's order

const S = "\u{10000}"; // above U+FFFF: in UTF-16 its first unit (0xD800) is below 0xFFFF
const F = "\uFFFF";
const E = "\u{1F600}";
/** Groups of mutually comparable items (sorting compares any two items of a group). */
const orderGroups: Record<string, unknown[]> = {
  numbers: [3, -1, 2.5, -2.5, 0, 1e300, -1e-300, Infinity, -Infinity, 1, true, false, 0.1, 1 / 3, -0.5, 2 ** 53, -(2 ** 53), 7, 1, 0.30000000000000004, 0.3],
  strings: ["y", "x", "", "a", "ab", "aa", "b", "Z", "é", "e", F, S, E, "a" + S, "a" + F, F + "a", S + "a", "\u0000", "\uE000", "ä", "a\u0000", "\u{10FFFF}", "yx", "x"],
  tuples: [[2, "b"], [1, "z"], [1, "a", [3]], [1, "a"], [1, "a", [2, 9]], [1, "a", [2]], [1, "a", []], [1], [], [-1.5, "q"], [1, S], [1, F], [0.5], [1, "a", [2, 9, -1]], [Infinity], [2, "b", [0]], [1, "a", [3]], [2, "a"], [1, "aa"], [true, "b"], [-Infinity, ""]],
  nested: [[[1, 2], [3]], [[1, 2]], [[1], [9, 9]], [[]], [], [[0, 5]], [[1, 2], [3, [4]]], [[1, 2], [3, []]], [[1, 2], [2, [9]]]],
  deep: [[[["b"]]], [[["a"]]], [[["a", "b"]]], [[[]]], [[["a"]], [["c"]]], [[["a"]], []], [], [[]]],
};
/** Pairs Python refuses to order (TypeError), as a PriorityQueue must. */
const incomparable: [unknown, unknown][] = [
  [1, "a"], [[1, "a"], [1, 2]], ["x", ["x"]], [{}, {}], [null, 1], [[1, [2]], [1, 2]], [[], "a"], [{ a: 1 }, 1], [[0, new Date(0)], [0, new Date(1)]],
];
/**
 * What Python 3 answers (indices into each group, in the order a PriorityQueue of (item, index)
 * pairs gives them back), for machines without python3. Regenerate with the script below.
 */
const pythonOrders: Record<string, number[]> = {
  numbers: [8, 16, 3, 1, 14, 6, 4, 11, 12, 20, 19, 13, 9, 10, 18, 2, 0, 17, 15, 5, 7],
  strings: [2, 17, 7, 3, 20, 5, 4, 14, 13, 6, 9, 1, 23, 0, 22, 19, 8, 18, 10, 15, 11, 16, 12, 21],
  tuples: [8, 20, 9, 12, 7, 3, 6, 5, 4, 13, 2, 16, 18, 19, 1, 11, 10, 17, 0, 15, 14],
  nested: [4, 3, 5, 2, 1, 8, 0, 7, 6],
  deep: [6, 7, 3, 1, 5, 4, 2, 0],
};
const PYTHON_ORDER_SCRIPT = `
import json, sys, queue
def tup(v): return tuple(tup(x) for x in v) if isinstance(v, list) else v
data = json.loads(sys.stdin.read())
orders = {}
for name, items in data["groups"].items():
    q = queue.PriorityQueue()
    for i, it in enumerate(items): q.put((tup(it), i))
    orders[name] = [q.get_nowait()[1] for _ in items]
refused = []
for a, b in data["pairs"]:
    try:
        tup(a) < tup(b); refused.append(False)
    except TypeError:
        refused.append(True)
print(json.dumps({"orders": orders, "refused": refused}))
`;

test("PriorityQueue orders numbers, strings and arrays exactly as Python orders numbers, strings and tuples", (t) => {
  let expected = pythonOrders;
  if (hasPython()) {
    // Objects and Dates have no Python counterpart in JSON: only the pairs JSON can carry go.
    const plain = (v: unknown): boolean => (Array.isArray(v) ? v.every(plain) : typeof v !== "object" || v === null);
    const pairs = incomparable.filter(([a, b]) => plain(a) && plain(b));
    const r = spawnSync("python3", ["-c", PYTHON_ORDER_SCRIPT], { input: toPythonJson({ groups: orderGroups, pairs }), encoding: "utf8", timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const py = JSON.parse(r.stdout) as { orders: Record<string, number[]>; refused: boolean[] };
    assert.deepEqual(py.refused, pairs.map(() => true), "a pair expected to be incomparable is comparable in Python");
    // The fallback table must say what Python says.
    assert.deepEqual(py.orders, pythonOrders, "pythonOrders is out of date: regenerate it");
    expected = py.orders;
  } else {
    t.diagnostic("python3 not found: comparing with the recorded Python order");
  }
  for (const [name, items] of Object.entries(orderGroups)) {
    // A thread puts the items (in the listed order, so ties keep their insertion order), main drains.
    const q = new PriorityQueue<unknown>();
    joined(daemon((q: PriorityQueue<unknown>, items: unknown[]) => {
      for (const it of items) q.put(it);
    }, [q, items]));
    assert.equal(q.qsize(), items.length);
    const got: unknown[] = [];
    while (!q.empty()) got.push(q.get(false));
    // Strict deepEqual tells true from 1, so ties (true, 1, 1) must come out in insertion order.
    assert.deepEqual(got, expected[name]!.map((i) => items[i]), `group ${name}`);
  }
});

test("property: a PriorityQueue gives any items of one kind back in Python's order (a stable sort by pythonCompare)", () => {
  // Items are compared as order keys in shared memory (python-order.ts): this checks the keys
  // against the comparison on values, over numbers (-0, NaN-free extremes), strings (NUL, astral)
  // and nested arrays of them.
  const str = fc.string({ unit: fc.constantFrom("a", "b", "\u0000", "\uFFFF", "\u{10000}", "é"), maxLength: 4 });
  const num = fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -3, max: 3 }), fc.constantFrom(-0, 0, 2 ** 53, -Infinity));
  // Tuples whose every position holds one kind, so that any two are comparable.
  const tuple = fc.array(num, { maxLength: 3 });
  const nested = fc.array(fc.array(str, { maxLength: 2 }), { maxLength: 3 });
  for (const items of [fc.array(num, { maxLength: 40 }), fc.array(str, { maxLength: 40 }), fc.array(tuple, { maxLength: 30 }), fc.array(nested, { maxLength: 30 })]) {
    fc.assert(
      fc.property(items, (xs: unknown[]) => {
        const q = new PriorityQueue<unknown>();
        for (const x of xs) q.put(x);
        const got: unknown[] = [];
        while (!q.empty()) got.push(q.get(false));
        const want = xs.map((x, i) => [x, i] as const).sort((a, b) => pythonCompare(a[0], b[0]) || a[1] - b[1]).map(([x]) => x);
        assert.deepEqual(got, want);
      }),
      { numRuns: 300 },
    );
  }
});

test("PriorityQueue: an item Python can't order is a TypeError from put, and the queue is unchanged", () => {
  for (const [a, b] of incomparable) {
    const q = new PriorityQueue<unknown>();
    q.put(a);
    assert.throws(() => q.put(b), TypeError, `put(${String(b)}) after ${String(a)}`);
    assert.equal(q.qsize(), 1);
    assert.deepEqual(q.get(false), a);
    assert.equal(q.qsize(), 0);
    // In another thread too (the TypeError is the thread's own class).
    q.put(a);
    const o = shared(1);
    joined(daemon((q: PriorityQueue<unknown>, b: unknown, o: Int32Array) => {
      try {
        q.put(b);
        o[0] = Outcome.OK;
      } catch (e) {
        o[0] = errorCode(e);
      }
    }, [q, b, o]));
    assert.equal(o[0], Outcome.TYPE_ERROR);
    assert.equal(q.qsize(), 1);
  }
  // A bounded PriorityQueue: the failed put didn't take a slot.
  const q = new PriorityQueue<unknown>(2);
  q.put(1);
  assert.throws(() => q.put("x"), TypeError);
  q.put(2);
  assert.equal(q.full(), true);
  assert.deepEqual([q.get(), q.get()], [1, 2]);
});

test("PriorityQueue: a put whose item only fails to compare with an item higher up the heap leaves the queue unchanged",
  () => {
    // Heap: [0,1,5] at the root, [0,2,"z"] below it, [9]. The new item [0,1,"a"] lands below
    // [0,2,"z"] (and compares fine with it: 1 < 2), then meets the root: "a" vs 5 is a TypeError.
    const q = new PriorityQueue<unknown>();
    q.put([0, 1, 5]);
    q.put([0, 2, "z"]);
    q.put([9]);
    assert.throws(() => q.put([0, 1, "a"]), TypeError);
    assert.equal(q.qsize(), 3);
    assert.deepEqual([q.get(false), q.get(false), q.get(false)], [[0, 1, 5], [0, 2, "z"], [9]]);
  });

test("PriorityQueue: a get that meets two items Python can't order throws TypeError and leaves the queue usable",
  () => {
    // Each put compares only with the root, so [0,2,"z"] and [0,2,1] both get in; the get then
    // has to compare them ("z" vs 1). Python raises TypeError here too (and releases its lock).
    const q = new PriorityQueue<unknown>();
    q.put([0, 1, 5]);
    q.put([0, 2, "z"]);
    q.put([0, 2, 1]);
    assert.throws(() => q.get(false), TypeError);
    // The queue must still answer: another thread puts and gets within a (generous) bound.
    const o = shared(1);
    const th = daemon((q: PriorityQueue<unknown>, o: Int32Array) => {
      q.put([5]);
      o[0] = 1;
    }, [q, o]);
    assert.equal(th.join(5_000), true, "a put after the failed get hung: the queue's lock was never released");
    assert.equal(o[0], 1);
  });

test("PriorityQueue: equal priorities come out in insertion order", () => {
  // Booleans compare as Python's bool, equal to 0 and 1.
  const nums = new PriorityQueue<unknown>();
  for (const v of [1, true, 1.5, false, 0, true, 0]) nums.put(v);
  const got: unknown[] = [];
  while (!nums.empty()) got.push(nums.get(false));
  assert.deepEqual(got, [false, 0, 0, 1, true, true, 1.5]);
  // Many equal arrays, told apart only by true vs 1 (and -0 vs 0): a heap alone would reorder
  // them; the insertion number must not.
  const items = Array.from({ length: 500 }, (_, i) => [i % 3 === 0 ? (i % 2 ? -0 : 0) : i % 3, (i * 7) % 5 < 2 ? true : 1] as const);
  const q = new PriorityQueue<readonly [number, number | boolean]>();
  for (const it of items) q.put(it);
  const out: unknown[] = [];
  while (!q.empty()) out.push(q.get(false));
  const stable = items.map((it, i) => ({ it, i })).sort((a, b) => a.it[0] - b.it[0] || a.i - b.i).map((x) => x.it);
  assert.deepEqual(out, stable);
});

test("PriorityQueue order holds when 4 threads put concurrently (arrays as [priority, producer, seq])", () => {
  const q = new PriorityQueue<[number, number, number]>();
  const PER = 2000;
  const ctl = shared(1);
  const producers = Array.from({ length: 4 }, (_, p) => daemon((q: PriorityQueue<[number, number, number]>, ctl: Int32Array, p: number, per: number) => {
    Atomics.wait(ctl, 0, 0, 30_000);
    for (let k = 0; k < per; k++) q.put([(k * 7919 + p * 13) % 101, p, k]);
  }, [q, ctl, p, PER]));
  open(ctl);
  for (const p of producers) joined(p, HEAVY);
  assert.equal(q.qsize(), 4 * PER);
  const got: [number, number, number][] = [];
  while (!q.empty()) got.push(q.get(false));
  const sorted = [...got].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  assert.deepEqual(got, sorted);
});

// =============================================================================================
// Big, many and structured items

test("a 10 MB string and a 10 MB byte array travel through a queue in both directions", () => {
  const SIZE = 10_000_000;
  const there = new Queue<unknown>();
  const back = new Queue<unknown>();
  const o = shared(2);
  const th = daemon((there: Queue<unknown>, back: Queue<unknown>, o: Int32Array, size: number) => {
    const s = there.get(true, 30_000) as string;
    o[0] = s === bigString(size) ? 1 : 2;
    const bytes = there.get(true, 30_000) as Uint8Array;
    let ok = bytes.length === size;
    for (let i = 0; ok && i < size; i += 4099) ok = bytes[i] === (i * 31) % 251;
    o[1] = ok ? 1 : 2;
    back.put(bigString(size).split("").reverse().join(""));
    back.put(bytes);
  }, [there, back, o, SIZE]);
  const big = bigString(SIZE);
  const bytes = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) bytes[i] = (i * 31) % 251;
  there.put(big);
  there.put(bytes);
  const rev = back.get(true, 30_000) as string;
  const bytesBack = back.get(true, 30_000) as Uint8Array;
  joined(th, HEAVY);
  assert.deepEqual([...o], [1, 1]);
  assert.equal(rev.length, SIZE);
  assert.ok(rev === big.split("").reverse().join(""), "the reversed 10 MB string came back different");
  assert.ok(Buffer.from(bytesBack.buffer, bytesBack.byteOffset, bytesBack.byteLength).equals(Buffer.from(bytes.buffer)), "the bytes came back different");
  // The queue is still fine for small items afterwards.
  there.put("small");
  assert.equal(there.get(false), "small");
});

test("unbounded queues grow past their first buffers: 100,000 unconsumed items, in order, for every kind", (t) => {
  const COUNT = 100_000;
  const kinds: { q: AnyKind<unknown>; expect: (i: number) => unknown }[] = [
    { q: new Queue<unknown>(), expect: (i) => item(i) },
    { q: new SimpleQueue<unknown>(), expect: (i) => item(i) },
    { q: new LifoQueue<unknown>(), expect: (i) => item(COUNT - 1 - i) },
    // Strings padded to one width sort like their numbers; put in a scrambled order.
    { q: new PriorityQueue<unknown>(), expect: (i) => `p${String(i).padStart(6, "0")}` },
  ];
  function item(i: number): unknown {
    return i % 3 === 0 ? i : i % 3 === 1 ? `s${i}` : { i, tag: "obj" };
  }
  for (const { q, expect } of kinds) {
    const t0 = performance.now();
    // FIFO kinds: wrap the ring first (its head is no longer at slot 0 when it has to grow).
    const wrap = !(q instanceof LifoQueue || q instanceof PriorityQueue);
    if (wrap) {
      for (let i = 0; i < 40; i++) q.put(-1);
      for (let i = 0; i < 40; i++) q.get(false);
    }
    joined(daemon((q: Queue<unknown>, count: number, priority: boolean) => {
      for (let k = 0; k < count; k++) {
        if (priority) {
          const i = (k * 7919) % count; // 7919 is prime to 100,000: a permutation
          q.put(`p${String(i).padStart(6, "0")}`);
        } else {
          q.put(k % 3 === 0 ? k : k % 3 === 1 ? `s${k}` : { i: k, tag: "obj" });
        }
      }
    }, [q, COUNT, q instanceof PriorityQueue]), HEAVY);
    assert.equal(q.qsize(), COUNT);
    for (let i = 0; i < COUNT; i++) {
      const got = q.get(false);
      const want = expect(i);
      if (typeof want === "object" ? (got as { i: number }).i !== (want as { i: number }).i : got !== want) {
        assert.fail(`${q}: item ${i} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      }
    }
    assert.equal(q.qsize(), 0);
    t.diagnostic(`${q.constructor.name}: ${(performance.now() - t0).toFixed(0)} ms`);
  }
});

test("a Queue grows while a consumer thread drains it: 1 producer, 1 consumer, 100,000 strings arrive in order", () => {
  const COUNT = 100_000;
  const q = new Queue<string>();
  const ctl = shared(4); // 0 gate, 1 received, 2 out-of-order, 3 consumer done
  const consumer = daemon((q: Queue<string>, ctl: Int32Array, count: number) => {
    Atomics.wait(ctl, 0, 0, 30_000);
    let bad = 0;
    for (let i = 0; i < count; i++) {
      const s = q.get(true, 30_000);
      if (s !== `item-${i}-${"x".repeat(i % 50)}`) bad++;
    }
    ctl[1] = count;
    ctl[2] = bad;
    ctl[3] = 1;
  }, [q, ctl, COUNT]);
  const producer = daemon((q: Queue<string>, ctl: Int32Array, count: number) => {
    Atomics.wait(ctl, 0, 0, 30_000);
    for (let i = 0; i < count; i++) q.put(`item-${i}-${"x".repeat(i % 50)}`);
  }, [q, ctl, COUNT]);
  open(ctl);
  joined(producer, HEAVY);
  joined(consumer, HEAVY);
  assert.equal(ctl[3], 1, "the consumer died (see stderr)");
  assert.equal(ctl[1], COUNT);
  assert.equal(ctl[2], 0, "items arrived changed or out of order");
  assert.equal(q.qsize(), 0);
});

test("structured items are copied: mutating an item got (or the original) changes no other copy", () => {
  const q = new Queue<any>();
  const obj: any = {
    n: 1,
    list: [1, 2, { deep: "x" }],
    map: new Map<string, number[]>([["k", [1]]]),
    set: new Set<unknown>([1, "a"]),
    date: new Date(86_400_000),
    re: /a+b/gi,
    big: 2n ** 70n,
    bytes: new Uint8Array([1, 2, 3]),
    odd: { undef: undefined, nul: null, nan: NaN, negZero: -0, inf: -Infinity },
  };
  const snapshot = structuredClone(obj);
  q.put(obj);
  q.put(obj);
  obj.n = 2;
  obj.list.push(4);
  const a = q.get();
  assert.deepEqual(a, snapshot);
  assert.ok(a.date instanceof Date && a.re instanceof RegExp && a.map instanceof Map && a.bytes instanceof Uint8Array);
  a.list[2].deep = "changed";
  a.map.get("k").push(2);
  a.bytes[0] = 99;
  const b = q.get();
  assert.notEqual(a, b);
  assert.deepEqual(b, snapshot);

  // Through a thread: it changes what it got and sends it back; our original is untouched.
  const there = new Queue<any>();
  const back = new Queue<any>();
  const fresh = structuredClone(snapshot);
  there.put(fresh);
  joined(daemon((there: Queue<any>, back: Queue<any>) => {
    const x = there.get(true, 10_000);
    x.list.push("thread");
    x.map.set("t", [7]);
    back.put(x);
  }, [there, back]));
  const y = back.get(false);
  assert.deepEqual(fresh, snapshot);
  assert.deepEqual(y.list, [1, 2, { deep: "x" }, "thread"]);
  assert.deepEqual(y.map.get("t"), [7]);
});

test("scalar items keep their exact value through a thread (-0, NaN, denormals, bigints, lone surrogates, ...)", () => {
  const values: unknown[] = [0, -0, NaN, Infinity, -Infinity, 5e-324, 2 ** 53 + 2, -1.5, "", "\u{1F600}", "\uD800x", "a\u0000b", true, false, null, undefined, 10n, -(2n ** 100n), [], {}];
  const there = new Queue<unknown>();
  const back = new Queue<unknown>();
  for (const v of values) there.put(v);
  joined(daemon((there: Queue<unknown>, back: Queue<unknown>, n: number) => {
    for (let i = 0; i < n; i++) back.put(there.get(false));
  }, [there, back, values.length]));
  for (const v of values) {
    const got = back.get(false);
    if (typeof v === "object" && v !== null) assert.deepEqual(got, v);
    else assert.ok(Object.is(got, v), `${String(v)} came back as ${String(got)}`);
  }
});

test("what can't be copied is a TypeError from put, and the queue is unchanged", async () => {
  const q = new Queue<unknown>(3);
  q.put("first");
  for (const bad of [Symbol("s"), new Lock(), [new Queue()], { q: new Queue() }, new SharedArrayBuffer(4), new WeakMap(), Promise.resolve(1), { f() { return bad; } }]) {
    assert.throws(() => q.put(bad), TypeError);
    await assert.rejects(q.putAsync(bad), TypeError);
  }
  assert.equal(q.qsize(), 1);
  assert.equal(q.get(false), "first");
  assert.equal(q.qsize(), 0);
});

test("a typed array over shared memory is refused like a bare SharedArrayBuffer, not silently unshared", async () => {
  // A queue copies its items; a copy of a view over shared memory would no longer share it, so
  // put refuses it (as it refuses the SharedArrayBuffer itself) instead of sending a private copy.
  const q = new Queue<unknown>();
  const sab = new SharedArrayBuffer(8);
  for (const view of [new Int32Array(sab), new Uint8Array(sab, 4, 2), new DataView(sab)]) {
    const refused = (e: unknown) => e instanceof TypeError && /shared memory/.test((e as Error).message);
    assert.throws(() => q.put(view), refused, view.constructor.name);
    assert.throws(() => q.put({ nested: [view] }), refused, `${view.constructor.name} inside an object`);
    await assert.rejects(q.putAsync(view), refused, `putAsync(${view.constructor.name})`);
  }
  assert.throws(() => q.put(sab), TypeError, "the bare SharedArrayBuffer");
  assert.equal(q.qsize(), 0, "a refused put left something in the queue");
});

test("a queue passed to threads in args (also inside an object) is shared, not copied", () => {
  const q = new Queue<number>();
  joined(daemon((box: { inner: { q: Queue<number> } }, q2: Queue<number>) => {
    box.inner.q.put(1);
    q2.put(2);
  }, [{ inner: { q } }, q]));
  assert.equal(q.qsize(), 2);
  assert.deepEqual([q.get(false), q.get(false)], [1, 2]);
});

// =============================================================================================
// The async twins

test("getAsync can be aborted, and an aborted getAsync takes nothing a thread puts later", async () => {
  const q = new Queue<number>();
  const ac = new AbortController();
  const p = q.getAsync(undefined, { signal: ac.signal });
  ac.abort(new Error("no longer needed"));
  await assert.rejects(within(p, "the aborted getAsync to reject"), /no longer needed/);
  await assert.rejects(q.getAsync(undefined, { signal: AbortSignal.abort() }));
  joined(daemon((q: Queue<number>) => q.put(5), [q]));
  assert.equal(q.qsize(), 1);
  assert.equal(await q.getAsync(10_000), 5);

  // putAsync on a full queue: aborted, it adds nothing.
  const b = new Queue<number>(1);
  b.put(1);
  const ac2 = new AbortController();
  const pp = b.putAsync(2, undefined, { signal: ac2.signal });
  ac2.abort();
  await assert.rejects(within(pp, "the aborted putAsync to reject"));
  joined(daemon((b: Queue<number>) => b.get(true, 10_000), [b]));
  assert.equal(b.qsize(), 0);
});

test("a sync waiter (a thread blocked in get) and an async waiter (getAsync) both get items another thread puts", async () => {
  for (const q of [new Queue<number>(), new SimpleQueue<number>(), new LifoQueue<number>(), new PriorityQueue<number>()] as AnyKind<number>[]) {
    const o = shared(1);
    const syncWaiter = daemon((q: Queue<number>, o: Int32Array) => {
      o[0] = q.get(true, 30_000);
    }, [q, o]);
    const asyncWaiter = q.getAsync(30_000);
    await eventually("the sync waiter to block", () => syncWaiter.state === "blocked");
    const producer = daemon((q: Queue<number>) => {
      q.put(100);
      q.put(200);
    }, [q]);
    const a = await within(asyncWaiter, `getAsync on ${q}`);
    joined(syncWaiter);
    joined(producer);
    assert.deepEqual([a, o[0]].sort(), [100, 200]);
    assert.equal(q.qsize(), 0);
  }
});

test("an async twin started without await doesn't hold the queue's lock while its caller goes on synchronously",
  () => {
    // Run in threads so a deadlock is a failed join, not a hung test process.
    const o = shared(3);
    const scenarios = [
      async (o: Int32Array) => {
        const q = new Queue<number>();
        const p = q.getAsync(10_000);
        q.put(1);
        o[0] = (await p) === 1 ? 1 : 2;
      },
      async (o: Int32Array) => {
        const q = new Queue<number>(1);
        q.put(1);
        const p = q.putAsync(2, 10_000);
        q.get();
        await p;
        o[1] = q.get(false) === 2 ? 1 : 2;
      },
      async (o: Int32Array) => {
        const q = new Queue<number>();
        q.put(1);
        q.get();
        const p = q.joinAsync();
        q.taskDone();
        await p;
        o[2] = 1;
      },
    ];
    const threads = scenarios.map((s) => daemon(s, [o]));
    for (const th of threads) assert.equal(th.join(5_000), true, "the thread deadlocked on its own queue");
    assert.deepEqual([...o], [1, 1, 1]);
  });

test("putAsync waits on a full queue until a thread makes room", async () => {
  const q = new Queue<number>(2);
  q.put(1);
  q.put(2);
  let done = false;
  const p = q.putAsync(3, 30_000).then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, "putAsync resolved on a full queue");
  const th = daemon((q: Queue<number>) => q.get(true, 10_000), [q]);
  await within(p, "putAsync after a get made room");
  joined(th);
  assert.deepEqual([q.get(false), q.get(false)], [2, 3]);
});

test("for await gets items from several producer threads and ends at shutdown; break leaves the rest queued", async () => {
  const q = new Queue<number>();
  const ctl = shared(1);
  const producers = Array.from({ length: 3 }, (_, p) => daemon((q: Queue<number>, ctl: Int32Array, p: number) => {
    Atomics.wait(ctl, 0, 0, 30_000);
    for (let k = 0; k < 2000; k++) q.put(p * 2000 + k);
  }, [q, ctl, p]));
  // A closer thread joins the producers (Thread handles travel in args) and shuts the queue down.
  const closer = daemon((q: Queue<number>, ps: Thread[]) => {
    for (const p of ps) if (!p.join(30_000)) throw new Error("a producer hung");
    q.shutdown();
  }, [q, producers]);
  open(ctl);
  const got: number[] = [];
  await within((async () => {
    for await (const x of q) got.push(x);
  })(), "for await to end at shutdown", HEAVY);
  joined(closer);
  assert.equal(got.length, 6000);
  assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: 6000 }, (_, i) => i));
  // Each producer's items in its order (FIFO).
  for (let p = 0; p < 3; p++) {
    const mine = got.filter((x) => Math.floor(x / 2000) === p);
    assert.deepEqual(mine, [...mine].sort((a, b) => a - b));
  }

  const r = new Queue<number>();
  for (let i = 0; i < 20; i++) r.put(i);
  const first: number[] = [];
  for await (const x of r) {
    first.push(x);
    if (first.length === 10) break;
  }
  assert.deepEqual(first, Array.from({ length: 10 }, (_, i) => i));
  assert.equal(r.qsize(), 10);
  assert.equal(r.get(false), 10);
});

// =============================================================================================
// Consumers that die

test("consumer threads that throw or call process.exit don't corrupt the queue: the others still get every item", () => {
  const COUNT = 100_000;
  const P = 2;
  const AFTER = 300;
  const q = new Queue<number>();
  const ctl = shared(8);
  const seen = new Uint8Array(new SharedArrayBuffer(COUNT));
  const stats = new Float64Array(new SharedArrayBuffer(8 * 3 * 2));
  {
    using _quiet = quietExcepthook();
    const producers = Array.from({ length: P }, (_, p) => daemon(stressProducer, [q, ctl, p, P, COUNT / P]));
    open(ctl);
    // Both die while the producers are still putting, after taking AFTER items each.
    const dying = [daemon(dyingConsumer, [q, ctl, seen, AFTER, "throw"]), daemon(dyingConsumer, [q, ctl, seen, AFTER, "exit"])];
    for (const d of dying) joined(d, HEAVY);
    assert.equal(ctl[5], 2, "a dying consumer didn't get its items");
    // The survivors start after the deaths, and must still find every other item.
    const opts = { producers: P, checkFifo: true, maxsize: 0, taskDone: true };
    const survivors = [0, 1].map((c) => daemon(stressConsumer, [q, ctl, seen, stats, c, opts]));
    for (const p of producers) joined(p, HEAVY);
    assert.equal(ctl[1], P);
    q.put(-1);
    q.put(-1);
    for (const s of survivors) joined(s, HEAVY);
    assert.equal(ctl[2], 2, "a surviving consumer died (see stderr)");
  }
  const bad = firstNotOnce(seen);
  assert.equal(bad, -1, bad < 0 ? "" : `item ${bad} was received ${seen[bad]} times`);
  assert.equal(stats[0]! + stats[3]!, COUNT - 2 * AFTER);
  assert.equal(ctl[3], 0, "a survivor saw a producer's items out of order");
  assert.equal(q.qsize(), 0);
  // The dying consumers never marked their items done; the survivors marked theirs.
  q.put(1);
  assert.equal(q.get(false), 1);
});
