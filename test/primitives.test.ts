// The synchronization primitives across real skein threads, beyond the lock_tests ports:
//   1. created anywhere (main, a thread, a thread started by that thread), they work the same;
//   2. the async twins never block the event loop, honour { signal } without losing wake-ups,
//      and wake together with sync waiters in other threads;
//   3. every blocking call shows its thread as "blocked" while it waits, "running" after;
//   4. timeouts: zero, small, negative, NaN, strings, TIMEOUT_MAX; a timed-out wait leaves no
//      ghost behind to swallow a later notify/release;
//   5. a thread that dies while waiting doesn't leave the primitive unusable;
//   6. a Condition over an RLock held recursively; RLock release by a non-owner;
//   7. Barrier: action once per round, indices, reset(), abort(), timeouts;
//   8. Timer.
//
// Ordering between threads is done with Events, shared step counters and thread states, never
// with sleeps; every wait is bounded, so a bug fails fast instead of hanging. Threads are
// daemons, so a failed test can't keep the process alive. The only timing assertions are lower
// bounds ("really waited at least the timeout").
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Lock, RLock, RuntimeError, Semaphore, Thread, Timer,
  TIMEOUT_MAX, __excepthook__, currentThread, setExcepthook, sleep, sleepAsync, type ExceptHookArgs,
} from "skein";
import { KINDS, OUTCOME, expectedScenario, makePrimitive, outcome, scenario, timedCall, type Kind } from "./helpers/primitives-scenarios.js";
import { waitChange } from "./helpers/cells.js";
import { eventually } from "./helpers/wait.js";

const T = OUTCOME.true;
const F = OUTCOME.false;
/** Bound for joins and waits that succeed in milliseconds when skein is right. */
const JOIN_MS = 20_000;

function shared(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Waits (blocking, bounded) until cell[i] >= n; the threads bump it with Atomics.add + notify. */
function waitAtLeast(cell: Int32Array, i: number, n: number, ms = 10_000): void {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = Atomics.load(cell, i);
    if (v >= n) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for cell[${i}] to reach ${n} (at ${v})`);
    Atomics.wait(cell, i, v, left);
  }
}

/** A promise, or an Error if it hasn't settled within ms (the event loop keeps running). */
async function bounded<V>(p: Promise<V>, what: string, ms = 10_000): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a daemon thread. */
function run<A extends unknown[]>(target: (...args: A) => unknown, args: A, name?: string): Thread<A> {
  const t = new Thread<A>({ target, args, daemon: true, name });
  t.start();
  return t;
}

function joinAll(...threads: Thread<any>[]): void {
  for (const t of threads) assert.equal(t.join(JOIN_MS), true, `${t.name} did not finish within ${JOIN_MS} ms`);
}

async function untilBlocked(t: Thread<any>, what = t.name): Promise<void> {
  await eventually(`${what} to show as blocked`, () => t.state === "blocked");
}

/** Async twins: the error class a call throws synchronously or rejects with (or "none"). */
async function failure(fn: () => Promise<unknown>, what: string): Promise<string> {
  let p: Promise<unknown>;
  try {
    p = fn();
  } catch (e) {
    return (e as Error).name;
  }
  try {
    await bounded(p, what, 5_000);
    return "none";
  } catch (e) {
    return (e as Error).name;
  }
}

// A program that gave up an async wait must still exit once its work is done. Checked in child
// processes started now, at load, so their seconds overlap with the other tests; awaited in
// section 2.
const ABORT_EXIT_MS = 8_000;
const abortExitCases = ["Lock.acquireAsync", "Semaphore.acquireAsync", "Event.waitAsync", "Condition.waitAsync", "Barrier.waitAsync"];
const abortExitRuns = abortExitCases.map((name) => runProgram(fileURLToPath(new URL("./helpers/primitives-abort-exit.ts", import.meta.url)), [name], ABORT_EXIT_MS));

function runProgram(file: string, args: string[], ms: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", file, ...args], { timeout: ms, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

// =============================================================================================
// 1. Created anywhere, passed anywhere, the same behaviour

/** Thread A: creates the primitive, starts a thread with it (which may pass it on), uses it. */
function creator(kind: string, out: Int32Array, hops: number) {
  function relay(kind: string, p: unknown, out: Int32Array, hops: number) {
    if (hops <= 1) return scenario(kind, p, 1, out);
    const next = new Thread({ target: relay, args: [kind, p, out, hops - 1], daemon: true });
    next.start();
    if (!next.join(20_000)) throw new Error("relay: the next thread did not finish");
  }
  const p = makePrimitive(kind);
  const other = new Thread({ target: relay, args: [kind, p, out, hops], daemon: true });
  other.start();
  scenario(kind, p, 0, out);
  if (!other.join(20_000)) throw new Error("creator: the thread it started did not finish");
}

function checkScenario(kind: Kind, out: Int32Array): void {
  assert.equal(Atomics.load(out, 2), 0, `a side of the exchange threw (side ${Atomics.load(out, 2) - 1}; see stderr)`);
  assert.equal(Atomics.load(out, 1), 2, "both sides finish");
  const [x, y] = expectedScenario(kind);
  assert.deepEqual({ X: Array.from(out.subarray(4, 4 + x.length)), Y: Array.from(out.subarray(16, 16 + y.length)) }, { X: x, Y: y });
  if (kind === "Barrier") {
    assert.deepEqual(Array.from(out.subarray(28, 31)), [0b11, 0b11, 0b11], "each round hands out indices 0 and 1");
    assert.equal(out[31], 3, "the action ran once per round");
  }
}

describe("1. a primitive works the same wherever it was created and whoever uses it", () => {
  for (const kind of KINDS) {
    describe(kind, () => {
      test("created in main, used by two threads", () => {
        const out = shared(32);
        const p = makePrimitive(kind);
        const x = run(scenario, [kind, p, 0, out], `${kind}-X`);
        const y = run(scenario, [kind, p, 1, out], `${kind}-Y`);
        joinAll(x, y);
        checkScenario(kind, out);
      });

      test("created in main, used by main and a thread", () => {
        const out = shared(32);
        const p = makePrimitive(kind);
        const y = run(scenario, [kind, p, 1, out], `${kind}-Y`);
        try {
          scenario(kind, p, 0, out);
        } finally {
          delete (globalThis as any).__skeinPrimitivesOut;
        }
        joinAll(y);
        checkScenario(kind, out);
      });

      test("created in thread A, passed to thread B that A starts; A and B use it", () => {
        const out = shared(32);
        joinAll(run(creator, [kind, out, 1], `${kind}-A`));
        checkScenario(kind, out);
      });

      test("created in thread A, passed on A -> B -> C; A and C use it", () => {
        const out = shared(32);
        joinAll(run(creator, [kind, out, 2], `${kind}-A`));
        checkScenario(kind, out);
      });
    });
  }
});

// =============================================================================================
// 2. Async twins

/**
 * The other side of an async wait in main: takes what it must hold (a lock), says `ready`, then
 * on `go` releases / notifies / sets / arrives. go.wait is bounded: should the async call in main
 * block the event loop, the counterpart still lets it go after 5 s and the test sees the order.
 */
function counterpart(kind: string, p: any, ready: Event, go: Event, out: Int32Array) {
  if (kind === "Lock" || kind === "RLock") p.acquire();
  if (kind === "Semaphore") p.acquire();
  ready.set();
  Atomics.store(out, 0, go.wait(5_000) ? 1 : 2);
  switch (kind) {
    case "Lock":
    case "RLock":
    case "Semaphore":
      p.release();
      break;
    case "Condition": {
      using _ = p.hold();
      Atomics.store(out, 1, 1); // the predicate of waitForAsync
      p.notifyAll();
      break;
    }
    case "Event":
      p.set();
      break;
    case "Barrier":
      Atomics.store(out, 2, 10 + p.wait(10_000));
      break;
  }
}

interface Twin {
  name: string;
  kind: string;
  make(): any;
  /** Starts the async wait (main holds what it must first); resolves to what the test checks. */
  call(p: any, flag: Int32Array, signal?: AbortSignal): Promise<unknown>;
  expect: unknown;
}

const twins: Twin[] = [
  { name: "Lock.acquireAsync", kind: "Lock", make: () => new Lock(), call: (p, _f, signal) => p.acquireAsync(-1, { signal }), expect: true },
  { name: "RLock.acquireAsync", kind: "RLock", make: () => new RLock(), call: (p, _f, signal) => p.acquireAsync(-1, { signal }), expect: true },
  {
    name: "Lock.holdAsync (await using)", kind: "Lock", make: () => new Lock(), expect: "held, then released",
    call: async (p, _f, signal) => {
      let inside: boolean;
      {
        await using _ = await p.holdAsync({ signal });
        inside = p.locked() && !p.acquire(false);
      }
      return inside && !p.locked() ? "held, then released" : "wrong";
    },
  },
  {
    name: "RLock.holdAsync (await using)", kind: "RLock", make: () => new RLock(), expect: "held, then released",
    call: async (p, _f, signal) => {
      let inside: boolean;
      {
        await using _ = await p.holdAsync({ signal });
        inside = p.locked();
      }
      return inside && !p.locked() ? "held, then released" : "wrong";
    },
  },
  {
    name: "Semaphore.holdAsync (await using)", kind: "Semaphore", make: () => new Semaphore(1), expect: "0 inside, 1 after",
    call: async (p, _f, signal) => {
      let inside: number;
      {
        await using _ = await p.holdAsync({ signal });
        inside = p.value;
      }
      return `${inside} inside, ${p.value} after`;
    },
  },
  {
    name: "Condition.waitAsync", kind: "Condition", make: () => new Condition(), expect: "notified, lock held",
    call: async (p, _f, signal) => {
      p.acquire();
      const r = await p.waitAsync(undefined, { signal });
      // Back from waitAsync the lock is ours again (an RLock: a second acquire nests).
      const owned = p.acquire(false);
      if (owned) p.release();
      p.release();
      return r && owned ? "notified, lock held" : "wrong";
    },
  },
  {
    name: "Condition.waitForAsync", kind: "Condition", make: () => new Condition(), expect: true,
    call: async (p, flag, signal) => {
      await using _ = await p.holdAsync();
      return await p.waitForAsync(() => Atomics.load(flag, 1) === 1, undefined, { signal });
    },
  },
  { name: "Semaphore.acquireAsync", kind: "Semaphore", make: () => new Semaphore(1), call: (p, _f, signal) => p.acquireAsync(undefined, { signal }), expect: true },
  { name: "BoundedSemaphore.acquireAsync", kind: "Semaphore", make: () => new BoundedSemaphore(1), call: (p, _f, signal) => p.acquireAsync(undefined, { signal }), expect: true },
  { name: "Event.waitAsync", kind: "Event", make: () => new Event(), call: (p, _f, signal) => p.waitAsync(undefined, { signal }), expect: true },
  {
    name: "Barrier.waitAsync", kind: "Barrier", make: () => new Barrier(2), expect: "indices 0 and 1",
    call: async (p, flag, signal) => {
      const mine = await p.waitAsync(undefined, { signal });
      // The counterpart records its index once its own wait returns.
      await eventually("the counterpart's barrier index", () => Atomics.load(flag, 2) !== 0);
      return ((1 << mine) | (1 << (flag[2]! - 10))) === 0b11 ? "indices 0 and 1" : `indices ${mine} and ${flag[2]! - 10}`;
    },
  },
];

describe("2. async twins", () => {
  describe("don't block the event loop: a timer fires while they wait", () => {
    for (const tw of twins) {
      test(tw.name, async () => {
        const p = tw.make();
        const ready = new Event();
        const go = new Event();
        const out = shared(4);
        const other = run(counterpart, [tw.kind, p, ready, go, out], `${tw.name} counterpart`);
        assert.equal(ready.wait(10_000), true, "the counterpart got ready");
        const order: string[] = [];
        const pending = tw.call(p, out).then((v) => (order.push("settled"), v));
        await new Promise<void>((r) => setTimeout(() => (order.push("timer"), r()), 10));
        assert.deepEqual(order, ["timer"], "the timer fired while the async call was still waiting");
        go.set();
        assert.deepEqual(await bounded(pending, tw.name), tw.expect);
        assert.deepEqual(order, ["timer", "settled"]);
        await other.joinAsync(JOIN_MS);
        assert.equal(out[0], 1, "the counterpart released on `go`, not on its fallback timeout");
      });
    }
  });

  describe("{ signal }: an already-aborted signal rejects with its reason and takes nothing", () => {
    for (const tw of twins) {
      test(tw.name, async () => {
        const p = tw.make();
        const ac = new AbortController();
        const reason = new Error("aborted before the call");
        ac.abort(reason);
        await assert.rejects(bounded(tw.call(p, shared(4), ac.signal), tw.name), (e) => e === reason);
        if (p instanceof Lock || p instanceof RLock) assert.equal(p.locked(), false, "the lock was not taken");
        if (p instanceof Semaphore) assert.equal(p.value, 1, "no slot was taken");
        if (p instanceof Barrier) assert.equal(p.nWaiting, 0, "nobody counts as waiting");
      });
    }
  });
});

/**
 * A sync waiter: waits (forever unless ms) for what kind's primitive gives, records the outcome
 * in cell 0 (1 true, 2 false, 10 + n an index). cell 1 is set once a Condition waiter holds the
 * lock just before waiting. What it takes it keeps (the test checks it), except a lock.
 */
function realWaiter(kind: string, p: any, out: Int32Array, ms?: number) {
  let r: unknown;
  switch (kind) {
    case "Lock":
    case "RLock":
      r = p.acquire(true, ms ?? -1);
      if (r) p.release();
      break;
    case "Semaphore":
      r = p.acquire(true, ms);
      break;
    case "Condition": {
      using _ = p.hold();
      Atomics.store(out, 1, 1);
      Atomics.notify(out, 1);
      r = p.wait(ms);
      break;
    }
    case "Event":
    case "Barrier":
      r = p.wait(ms);
      break;
  }
  Atomics.store(out, 0, r === true ? 1 : r === false ? 2 : 10 + (r as number));
  Atomics.notify(out, 0);
}

/** An async waiter in a thread (an async target): cell 1 says it is registered, cell 0 the outcome. */
async function asyncWaiter(kind: string, p: any, out: Int32Array) {
  const registered = () => {
    Atomics.store(out, 1, 1);
    Atomics.notify(out, 1);
  };
  let r: unknown;
  switch (kind) {
    case "Event": {
      const w = p.waitAsync(10_000);
      registered();
      r = await w;
      break;
    }
    case "Condition": {
      await p.acquireAsync();
      registered(); // with the lock held: whoever acquires it next knows we are in waitAsync
      try {
        r = await p.waitAsync(10_000);
      } finally {
        p.release();
      }
      break;
    }
    case "Semaphore": {
      const w = p.acquireAsync(10_000);
      registered();
      r = await w;
      break;
    }
    case "Barrier":
      r = await p.waitAsync(10_000);
      break;
  }
  Atomics.store(out, 0, r === true ? 1 : r === false ? 2 : 10 + (r as number));
  Atomics.notify(out, 0);
}

/**
 * An async wait in main with nothing available yet (the "ghost" once aborted), and the way to
 * make one thing available afterwards for a real waiter in another thread.
 */
interface GhostSetup {
  p: any;
  /** The kind realWaiter uses. */
  kind: string;
  ghost(signal: AbortSignal): Promise<unknown>;
  release(): void;
  /** What the real waiter must record, and a check of the primitive afterwards. */
  expect: number;
  after?(): void;
  holder?: Thread<any>;
}

const ghostCases: { name: string; setup(): GhostSetup }[] = [
  {
    name: "Lock.acquireAsync",
    setup() {
      const p = new Lock();
      p.acquire();
      return { p, kind: "Lock", ghost: (signal) => p.acquireAsync(-1, { signal }), release: () => p.release(), expect: T, after: () => assert.equal(p.locked(), false) };
    },
  },
  {
    name: "Lock.holdAsync",
    setup() {
      const p = new Lock();
      p.acquire();
      return { p, kind: "Lock", ghost: (signal) => p.holdAsync({ signal }), release: () => p.release(), expect: T, after: () => assert.equal(p.locked(), false) };
    },
  },
  {
    name: "RLock.acquireAsync",
    setup() {
      // An RLock only its owner may release: a thread holds it until `go`.
      const p = new RLock();
      const ready = new Event();
      const go = new Event();
      const holder = run(counterpart, ["RLock", p, ready, go, shared(4)], "RLock holder");
      assert.equal(ready.wait(10_000), true);
      return { p, kind: "RLock", holder, ghost: (signal) => p.acquireAsync(-1, { signal }), release: () => go.set(), expect: T, after: () => assert.equal(p.locked(), false) };
    },
  },
  {
    name: "Semaphore.acquireAsync",
    setup() {
      const p = new Semaphore(0);
      return { p, kind: "Semaphore", ghost: (signal) => p.acquireAsync(undefined, { signal }), release: () => p.release(), expect: T, after: () => assert.equal(p.value, 0, "the real waiter has the slot") };
    },
  },
  {
    name: "Semaphore.holdAsync",
    setup() {
      const p = new BoundedSemaphore(1);
      p.acquire();
      return { p, kind: "Semaphore", ghost: (signal) => p.holdAsync({ signal }), release: () => p.release(), expect: T, after: () => assert.equal(p.value, 0, "the real waiter has the slot") };
    },
  },
  {
    name: "Condition.waitAsync",
    setup() {
      const p = new Condition();
      return {
        p, kind: "Condition", expect: T,
        ghost: async (signal) => {
          p.acquire();
          try {
            return await p.waitAsync(undefined, { signal });
          } finally {
            p.release(); // throws RuntimeError (replacing the abort reason) unless the lock is held again
          }
        },
        release: () => {
          using _ = p.hold();
          p.notify(1);
        },
      };
    },
  },
  {
    name: "Condition.waitForAsync",
    setup() {
      const p = new Condition();
      return {
        p, kind: "Condition", expect: T,
        ghost: async (signal) => {
          await using _ = await p.holdAsync();
          return await p.waitForAsync(() => false, undefined, { signal });
        },
        release: () => {
          using _ = p.hold();
          p.notify(1);
        },
      };
    },
  },
  {
    name: "Event.waitAsync",
    setup() {
      const p = new Event();
      return { p, kind: "Event", ghost: (signal) => p.waitAsync(undefined, { signal }), release: () => p.set(), expect: T };
    },
  },
];

/** Aborts a pending ghost wait; checks it rejects with exactly the reason. */
async function abortGhost(s: GhostSetup, name: string): Promise<void> {
  const ac = new AbortController();
  const reason = new Error(`abort ${name}`);
  let settled = false;
  const g = s.ghost(ac.signal).finally(() => (settled = true));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(settled, false, `${name} waits while nothing is available`);
  ac.abort(reason);
  await assert.rejects(bounded(g, name), (e) => e === reason, `${name} rejects with the signal's reason`);
}

describe("2. async twins: an aborted waiter swallows no later wake-up", () => {
  for (const c of ghostCases) {
    test(`${c.name}: aborted while waiting; a later release/notify wakes a sync waiter in another thread`, async () => {
      const s = c.setup();
      await abortGhost(s, c.name);
      const out = shared(4);
      // The real waiter queues behind the abandoned one, so a wake-up the ghost swallowed is lost.
      const w = run(realWaiter, [s.kind, s.p, out], `${c.name} real waiter`);
      await untilBlocked(w);
      s.release();
      assert.equal(await w.joinAsync(5_000), true, "the real waiter was woken");
      assert.equal(out[0], s.expect);
      s.after?.();
      if (s.holder) await s.holder.joinAsync(JOIN_MS);
    });
  }

  test(
    "...also when the aborting thread then blocks in a sync call (its event loop can't run)",
    async () => {
      const setups = ghostCases.map((c) => ({ name: c.name, s: c.setup(), out: shared(4), w: null as Thread<any> | null }));
      for (const x of setups) await abortGhost(x.s, x.name);
      for (const x of setups) x.w = run(realWaiter, [x.s.kind, x.s.p, x.out], `${x.name} real waiter`);
      for (const x of setups) await untilBlocked(x.w!);
      for (const x of setups) x.s.release();
      // Main now blocks, as a sync program does after giving up an async wait.
      const deadline = Date.now() + 2_000;
      const lost = setups.filter((x) => !x.w!.join(Math.max(0, deadline - Date.now()))).map((x) => x.name);
      // Let the event loop run, so the ghosts pass their wake-ups on and the waiters finish.
      for (const x of setups) await x.w!.joinAsync(JOIN_MS);
      for (const x of setups) if (x.s.holder) await x.s.holder.joinAsync(JOIN_MS);
      assert.deepEqual(lost, [], "real waiters whose wake-up went to an aborted waiter");
    },
  );

  test("Condition.waitAsync: notified, then aborted before it saw the notify: the notify goes to the next waiter", async () => {
    const cond = new Condition();
    const out = shared(4);
    const ac = new AbortController();
    const reason = new Error("abort after notify");
    cond.acquire();
    const ghost = cond.waitAsync(undefined, { signal: ac.signal });
    // Registered first, so notify(1) picks main's waiter; the real waiter queues second.
    const w = run(realWaiter, ["Condition", cond, out], "second waiter");
    waitAtLeast(out, 1, 1);
    cond.acquire(); // returns once the second waiter is inside wait()
    cond.notify(1);
    cond.release();
    ac.abort(reason); // same tick: main's waiter was picked but hasn't run yet
    await assert.rejects(bounded(ghost, "the aborted waitAsync"), (e) => e === reason);
    cond.release(); // the aborted waitAsync holds the lock again, as Python's wait() on an exception
    assert.equal(await w.joinAsync(5_000), true, "the second waiter got the notify");
    assert.equal(out[0], T);
  });

  for (const kind of ["Lock", "Semaphore"] as const) {
    test(`${kind}: woken, then aborted before it took it: the release goes to the next waiter`, async () => {
      const p = kind === "Lock" ? new Lock() : new Semaphore(0);
      if (p instanceof Lock) p.acquire();
      const out = shared(4);
      const ac = new AbortController();
      const reason = new Error("abort after release");
      const ghost = p instanceof Lock ? p.acquireAsync(-1, { signal: ac.signal }) : p.acquireAsync(undefined, { signal: ac.signal });
      const w = run(realWaiter, [kind, p, out], "second waiter");
      await untilBlocked(w);
      p.release();
      ac.abort(reason);
      await assert.rejects(bounded(ghost, "the aborted acquireAsync"), (e) => e === reason);
      assert.equal(await w.joinAsync(5_000), true, "the second waiter got it");
      assert.equal(out[0], T);
      if (p instanceof Lock) assert.equal(p.locked(), false);
      else assert.equal(p.value, 0);
    });
  }

  test("Barrier.waitAsync: aborted while waiting, it breaks the barrier; after reset() it works again", async () => {
    const b = new Barrier(2);
    const ac = new AbortController();
    const reason = new Error("abort barrier");
    const ghost = b.waitAsync(undefined, { signal: ac.signal });
    await eventually("main's async barrier wait to register", () => b.nWaiting === 1);
    ac.abort(reason);
    await assert.rejects(bounded(ghost, "the aborted Barrier.waitAsync"), (e) => e === reason);
    assert.equal(b.broken, true, "an aborted waiter breaks the barrier, as a timed-out one does");
    assert.equal(b.nWaiting, 0);
    b.reset();
    const out = shared(4);
    const w = run(realWaiter, ["Barrier", b, out], "barrier party");
    const mine = await bounded(b.waitAsync(10_000), "a barrier round after reset()");
    assert.equal(await w.joinAsync(JOIN_MS), true);
    assert.equal((1 << mine) | (1 << (out[0]! - 10)), 0b11);
  });
});

test(
  "2. a program that aborted an async wait still exits on its own",
  async () => {
    const results = await Promise.all(abortExitRuns);
    const stuck = abortExitCases.filter((_, i) => results[i]!.code !== 0 || !results[i]!.stdout.includes("rejected: given up"));
    assert.deepEqual(stuck, [], `programs still running ${ABORT_EXIT_MS} ms after aborting their only wait (killed), or failing`);
  },
);

describe("2. async twins: sync waiters in threads and async waiters are woken together", () => {
  test("Event.set wakes a sync waiter (thread), an async waiter (thread) and an async waiter (main)", async () => {
    const e = new Event();
    const s = shared(4);
    const a = shared(4);
    const sync = run(realWaiter, ["Event", e, s, 10_000], "sync waiter");
    const asyn = run(asyncWaiter, ["Event", e, a], "async waiter");
    const mine = e.waitAsync(10_000);
    await untilBlocked(sync);
    await eventually("the async thread to register", () => Atomics.load(a, 1) === 1);
    e.set();
    assert.equal(await bounded(mine, "main's Event.waitAsync"), true);
    await sync.joinAsync(JOIN_MS);
    await asyn.joinAsync(JOIN_MS);
    assert.deepEqual([s[0], a[0]], [T, T]);
  });

  test("Condition.notifyAll wakes a sync waiter (thread), an async waiter (thread) and an async waiter (main)", async () => {
    const cond = new Condition();
    const s = shared(4);
    const a = shared(4);
    const sync = run(realWaiter, ["Condition", cond, s, 10_000], "sync waiter");
    waitAtLeast(s, 1, 1);
    const asyn = run(asyncWaiter, ["Condition", cond, a], "async waiter");
    waitAtLeast(a, 1, 1);
    cond.acquire(); // both threads are inside their waits once main has the lock
    const mine = cond.waitAsync(10_000);
    const notifier = run((c: Condition) => {
      using _ = c.hold();
      c.notifyAll();
    }, [cond], "notifier");
    assert.equal(await bounded(mine, "main's Condition.waitAsync"), true);
    cond.release();
    await sync.joinAsync(JOIN_MS);
    await asyn.joinAsync(JOIN_MS);
    await notifier.joinAsync(JOIN_MS);
    assert.deepEqual([s[0], a[0]], [T, T]);
  });

  test("Semaphore.release(2) wakes a sync waiter (thread) and an async waiter (main)", async () => {
    const sem = new Semaphore(0);
    const s = shared(4);
    const sync = run(realWaiter, ["Semaphore", sem, s, 10_000], "sync waiter");
    const mine = sem.acquireAsync(10_000);
    await untilBlocked(sync);
    sem.release(2);
    assert.equal(await bounded(mine, "main's Semaphore.acquireAsync"), true);
    await sync.joinAsync(JOIN_MS);
    assert.equal(s[0], T);
    assert.equal(sem.value, 0);
  });

  test("Barrier(3): a sync party (thread), an async party (thread) and an async party (main) pass together", async () => {
    const b = new Barrier(3);
    const s = shared(4);
    const a = shared(4);
    const sync = run(realWaiter, ["Barrier", b, s, 10_000], "sync party");
    const asyn = run(asyncWaiter, ["Barrier", b, a], "async party");
    await eventually("two parties at the barrier", () => b.nWaiting === 2);
    const mine = await bounded(b.waitAsync(10_000), "main's Barrier.waitAsync");
    await sync.joinAsync(JOIN_MS);
    await asyn.joinAsync(JOIN_MS);
    assert.equal((1 << mine) | (1 << (s[0]! - 10)) | (1 << (a[0]! - 10)), 0b111);
  });
});

// =============================================================================================
// 3. Blocking calls show the thread as "blocked", and "running" again after

/**
 * Records its own state before (cell 1) and right after (cell 3) one blocking call, and what
 * the call returned (cell 2: 1 true, 2 false, 10 + n a number); cell 0 says it is about to call.
 */
function blockAndRecord(op: string, p: any, out: Int32Array, timeout?: number) {
  const running = () => (currentThread().state === "running" ? 1 : 2);
  Atomics.store(out, 1, running());
  let inner: Thread | null = null;
  if (op === "Thread.join") {
    inner = new Thread({ target: (e: Event) => e.wait(20_000), args: [p], daemon: true, name: "joined" });
    inner.start();
  }
  if (op === "Condition.wait") p.acquire();
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
  let r: unknown;
  switch (op) {
    case "Lock.acquire":
    case "RLock.acquire":
      r = p.acquire(true, timeout ?? -1);
      break;
    case "Semaphore.acquire":
      r = p.acquire(true, timeout);
      break;
    case "Condition.wait":
    case "Event.wait":
    case "Barrier.wait":
      r = p.wait(timeout);
      break;
    case "Thread.join":
      r = inner!.join(timeout);
      break;
    case "sleep":
      sleep(timeout!);
      r = true;
      break;
  }
  Atomics.store(out, 3, running());
  if (op === "Condition.wait" || op === "Lock.acquire" || op === "RLock.acquire") p.release();
  Atomics.store(out, 2, r === true ? 1 : r === false ? 2 : 10 + (r as number));
}

interface BlockingCase {
  op: string;
  /** The primitive, already arranged so that the call must wait. */
  make(): any;
  /** Lets the waiting call return. */
  release(p: any): void;
  expect: number;
  timeouts: (number | undefined)[];
}

const blockingCases: BlockingCase[] = [
  { op: "Lock.acquire", make: () => { const l = new Lock(); l.acquire(); return l; }, release: (l) => l.release(), expect: T, timeouts: [-1, TIMEOUT_MAX] },
  { op: "RLock.acquire", make: () => { const l = new RLock(); l.acquire(); return l; }, release: (l) => l.release(), expect: T, timeouts: [-1, TIMEOUT_MAX] },
  { op: "Condition.wait", make: () => new Condition(), release: (c) => { using _ = c.hold(); c.notify(); }, expect: T, timeouts: [undefined, TIMEOUT_MAX] },
  { op: "Semaphore.acquire", make: () => new Semaphore(0), release: (s) => s.release(), expect: T, timeouts: [undefined, TIMEOUT_MAX] },
  { op: "Event.wait", make: () => new Event(), release: (e) => e.set(), expect: T, timeouts: [undefined, TIMEOUT_MAX] },
  { op: "Barrier.wait", make: () => new Barrier(2), release: (b) => assert.equal(typeof b.wait(10_000), "number"), expect: -1, timeouts: [undefined, TIMEOUT_MAX] },
  { op: "Thread.join", make: () => new Event(), release: (e) => e.set(), expect: T, timeouts: [undefined, TIMEOUT_MAX] },
  // Nothing releases a sleep: it must still be observed as blocked during its 1.5 s.
  { op: "sleep", make: () => null, release: () => {}, expect: T, timeouts: [1_500] },
];

describe("3. a thread waiting in a blocking call is \"blocked\", and \"running\" once it returns", () => {
  for (const c of blockingCases) {
    for (const timeout of c.timeouts) {
      const label = timeout === undefined ? "" : timeout === TIMEOUT_MAX ? "TIMEOUT_MAX" : String(timeout);
      test(`${c.op}(${label})`, async () => {
        const p = c.make();
        const out = shared(4);
        const t = run(blockAndRecord, [c.op, p, out, timeout], `${c.op} waiter`);
        waitAtLeast(out, 0, 1);
        await untilBlocked(t);
        assert.equal(Atomics.load(out, 2), 0, "still inside the call while blocked");
        c.release(p);
        assert.equal(await t.joinAsync(JOIN_MS), true);
        assert.equal(t.state, "terminated");
        assert.equal(out[1], 1, "running before the call");
        assert.equal(out[3], 1, "running again right after the call returned");
        if (c.expect === -1) assert.ok(out[2] === 10 || out[2] === 11, "a barrier index");
        else assert.equal(out[2], c.expect, "what the call returned");
      });
    }
  }
});

// =============================================================================================
// 4. Timeouts

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

describe("4. timeouts", () => {
  test("every blocking call, in a thread, with timeouts 0, 40, negative, NaN, a string, TIMEOUT_MAX + 1", (t) => {
    const lock = new Lock();
    lock.acquire();
    const rlock = new RLock();
    rlock.acquire();
    const bsem = new BoundedSemaphore(1);
    bsem.acquire();
    const stop = new Event();
    const alive = run(stayAlive, [stop], "alive");
    const common = { lock, rlock, cond: new Condition(), sem: new Semaphore(0), bsem, event: new Event(), thread: alive };
    try {
      // One probe thread per timeout value, all at once; each gets its own barrier to break.
      const probes = syncTimeoutTable.map((row) => {
        const objs = { ...common, barrier: new Barrier(2) };
        const out = shared(SYNC_OPS.length);
        const took = new Float64Array(new SharedArrayBuffer(8 * SYNC_OPS.length));
        const th = run(probeTimeouts, [SYNC_OPS, objs, row.t, out, took], `probe ${row.label}`);
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
    const holder = run(counterpart, ["RLock", rlock, ready, go, shared(4)], "RLock holder");
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
        return String(await bounded(ops[op]!(t), `${op}(${String(t)})`, 5_000));
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
    assert.equal(await holder.joinAsync(JOIN_MS), true);
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
    const alive = run(stayAlive, [stop], "alive");
    pending.join = alive.joinAsync(TIMEOUT_MAX);
    const settled: string[] = [];
    for (const [k, p] of Object.entries(pending)) void p!.then(() => settled.push(k), () => settled.push(k));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(settled, [], "nothing gave up at once");
    lock.release();
    sem.release();
    event.set();
    const notifier = run((c: Condition) => {
      using _ = c.hold();
      c.notify();
    }, [cond], "notifier");
    stop.set();
    assert.deepEqual(
      await bounded(Promise.all([pending.lock, pending.sem, pending.event, pending.cond, pending.join]), "the TIMEOUT_MAX waits"),
      [true, true, true, true, true],
    );
    cond.release();
    lock.release();
    await notifier.joinAsync(JOIN_MS);
  });

  test("sleep and sleepAsync: NaN is a RangeError, a string a TypeError", async () => {
    const out = shared(4);
    joinAll(run((o: Int32Array) => {
      for (const [i, v] of [NaN, "10", -1].entries()) {
        try {
          sleep(v as number);
          o[i] = 9;
        } catch (e) {
          o[i] = (e as Error).name === "RangeError" ? 4 : (e as Error).name === "TypeError" ? 5 : 7;
        }
      }
    }, [out], "sleeper"));
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

describe("4. a wait that timed out leaves no waiter behind to swallow a later wake-up", () => {
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
      const w = run(realWaiter, ["Condition", cond, out], "real waiter");
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
    const ghost = run(timedOutWaiter, [cond, g, stop], "timed-out waiter");
    try {
      waitAtLeast(g, 2, 1);
      assert.equal(g[2], F, "its wait timed out");
      assert.equal(ghost.isAlive(), true);
      const out = shared(4);
      const w = run(realWaiter, ["Condition", cond, out], "real waiter");
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
    await ghost.joinAsync(JOIN_MS);
  });

  for (const kind of ["Lock", "Semaphore"] as const) {
    test(`${kind}: acquire and acquireAsync timed out; then a release goes to the real waiter`, async () => {
      const p = kind === "Lock" ? new Lock() : new Semaphore(0);
      if (p instanceof Lock) p.acquire();
      assert.equal(p.acquire(true, 30), false);
      assert.equal(await bounded(p instanceof Lock ? p.acquireAsync(30) : p.acquireAsync(30), "acquireAsync(30)"), false);
      // And an async one that times out later, while the real waiter waits: still no ghost.
      const late = p instanceof Lock ? p.acquireAsync(60) : p.acquireAsync(60);
      const out = shared(4);
      const w = run(realWaiter, [kind, p, out], "real waiter");
      await untilBlocked(w);
      assert.equal(await bounded(late, "acquireAsync(60)"), false);
      if (p instanceof Semaphore) assert.equal(p.value, 0);
      p.release();
      assert.equal(await w.joinAsync(5_000), true, "the release reached the real waiter");
      assert.equal(out[0], T);
      if (p instanceof Lock) assert.equal(p.locked(), false);
      else assert.equal(p.value, 0);
    });
  }
});

// =============================================================================================
// 5. A thread that dies while waiting

/**
 * An async target that registers as a waiter on p (kind: "Condition", "Lock", "Semaphore",
 * "Barrier", "Event"), says so in cell 0, and then dies (process.exit ends its worker) when
 * `kill` is set, still registered.
 */
async function dieWhileWaiting(kind: string, p: any, out: Int32Array, kill: Event) {
  let waiting: Promise<unknown>;
  switch (kind) {
    case "Condition":
      p.acquire();
      waiting = p.waitAsync();
      break;
    case "Lock":
      waiting = p.acquireAsync();
      break;
    case "Semaphore":
      waiting = p.acquireAsync();
      break;
    case "Event":
      waiting = p.waitAsync();
      break;
    default:
      waiting = p.waitAsync();
      break;
  }
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
  await kill.waitAsync(20_000);
  process.exit(1);
  await waiting;
}

/** One Barrier.wait(ms): cell 0 gets 10 + index, or 6 for BrokenBarrierError; cell 1 the ms it took. */
function barrierParty(b: Barrier, out: Int32Array, ms?: number) {
  const t0 = performance.now();
  try {
    Atomics.store(out, 0, 10 + b.wait(ms));
  } catch (e) {
    Atomics.store(out, 0, e instanceof BrokenBarrierError ? 6 : 7);
  }
  Atomics.store(out, 1, Math.floor(performance.now() - t0));
  Atomics.notify(out, 0);
}

describe("5. a thread that dies while waiting leaves the primitive usable", () => {
  for (const kind of ["Condition", "Lock", "Semaphore", "Event"] as const) {
    test(`${kind}: the dead waiter doesn't take the next wake-up from a live one`, async () => {
      const p = kind === "Condition" ? new Condition() : kind === "Lock" ? new Lock() : kind === "Semaphore" ? new Semaphore(0) : new Event();
      if (p instanceof Lock) p.acquire();
      const d = shared(4);
      const kill = new Event();
      const dying = run(dieWhileWaiting, [kind, p, d, kill], "dies while waiting");
      waitAtLeast(d, 0, 1);
      if (p instanceof Condition) {
        p.acquire(); // the dying thread is inside waitAsync once main has the lock
        p.release();
      }
      kill.set();
      assert.equal(await dying.joinAsync(JOIN_MS), true, "the waiting thread died");
      // A live waiter queues behind the dead one.
      const out = shared(4);
      const w = run(realWaiter, [kind, p, out], "live waiter");
      if (p instanceof Condition) waitAtLeast(out, 1, 1);
      await untilBlocked(w);
      if (p instanceof Condition) {
        using _ = p.hold();
        p.notify(1);
      } else if (p instanceof Event) p.set();
      else p.release();
      assert.equal(await w.joinAsync(5_000), true, "the live waiter was woken");
      assert.equal(out[0], T);
    });
  }

  test(
    "Barrier: a party that died while waiting doesn't count; the next two parties pass together",
    async () => {
      const b = new Barrier(2);
      const d = shared(4);
      const kill = new Event();
      const dying = run(dieWhileWaiting, ["Barrier", b, d, kill], "dies at the barrier");
      await eventually("the dying party to wait at the barrier", () => b.nWaiting === 1);
      kill.set();
      assert.equal(await dying.joinAsync(JOIN_MS), true, "the waiting thread died");
      const o1 = shared(4);
      const o2 = shared(4);
      const p1 = run(barrierParty, [b, o1, 2_000], "party 1");
      const p2 = run(barrierParty, [b, o2, 2_000], "party 2");
      // The parties wait at most 2 s each; a little more, and a party still inside is stuck.
      const finished = [await p1.joinAsync(2_500), await p2.joinAsync(2_500)];
      b.abort(); // frees a stuck party, so no thread is left behind
      await p1.joinAsync(JOIN_MS);
      await p2.joinAsync(JOIN_MS);
      assert.deepEqual(finished, [true, true], "both parties came back within their timeouts");
      assert.deepEqual([o1[0], o2[0]].sort(), [10, 11], "two live parties got indices 0 and 1 (6: BrokenBarrierError)");
    },
  );

  test("threads that throw (after using a primitive through `using`) leave it usable for the others", async () => {
    const quiet = (a: ExceptHookArgs) => {
      if (!(a.excValue instanceof Error && a.excValue.message.startsWith("deliberate"))) __excepthook__(a);
    };
    setExcepthook(quiet);
    try {
      const lock = new Lock();
      const rlock = new RLock();
      const sem = new BoundedSemaphore(2);
      const cond = new Condition();
      const threw = shared(8);
      const thrower = (lock: Lock, rlock: RLock, sem: BoundedSemaphore, cond: Condition, threw: Int32Array, which: number) => {
        Atomics.add(threw, which, 1);
        if (which === 0) {
          using _ = lock.hold();
          throw new Error("deliberate: inside a Lock");
        }
        if (which === 1) {
          using _a = rlock.hold();
          using _b = rlock.hold();
          throw new Error("deliberate: inside an RLock held twice");
        }
        if (which === 2) {
          using _ = sem.hold();
          throw new Error("deliberate: inside a Semaphore");
        }
        using _ = cond.hold();
        Atomics.store(threw, 5, 1);
        Atomics.notify(threw, 5);
        cond.wait(10_000);
        throw new Error("deliberate: right after Condition.wait");
      };
      const condOut = shared(4);
      const condWaiter = run(realWaiter, ["Condition", cond, condOut, 10_000], "condition waiter");
      waitAtLeast(condOut, 1, 1);
      const throwers = [0, 1, 2, 3].map((i) => run(thrower, [lock, rlock, sem, cond, threw, i], `thrower ${i}`));
      waitAtLeast(threw, 5, 1);
      {
        using _ = cond.hold(); // both waiters are inside wait()
        cond.notifyAll();
      }
      for (const t of throwers) assert.equal(await t.joinAsync(JOIN_MS), true);
      assert.equal(await condWaiter.joinAsync(JOIN_MS), true);
      assert.deepEqual(Array.from(threw.subarray(0, 4)), [1, 1, 1, 1], "every thrower ran");
      assert.equal(condOut[0], T, "the other waiter was woken too");
      // Everything is free again, for another thread.
      const after = shared(4);
      joinAll(run((lock: Lock, rlock: RLock, sem: BoundedSemaphore, cond: Condition, o: Int32Array) => {
        o[0] = lock.acquire(false) ? 1 : 2;
        o[1] = rlock.acquire(false) ? 1 : 2;
        o[2] = sem.value === 2 && sem.acquire(false) ? 1 : 2;
        o[3] = cond.acquire(false) ? 1 : 2;
      }, [lock, rlock, sem, cond, after], "after the throwers"));
      assert.deepEqual(Array.from(after), [T, T, T, T]);
    } finally {
      setExcepthook(__excepthook__);
    }
  });
});

// =============================================================================================
// 6. RLock: a Condition over an RLock held recursively; release by a non-owner

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

describe("6. RLock", () => {
  for (const [name, target] of [["wait", deepWaiter], ["waitAsync", deepWaiterAsync]] as const) {
    test(`Condition.${name} over an RLock held 3 deep releases it fully, then restores depth 3`, () => {
      const rlock = new RLock();
      const cond = new Condition(rlock);
      const out = shared(9);
      const t = run(target, [cond, rlock, out], "deep waiter");
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
    joinAll(run((l: RLock, o: Int32Array) => {
      try {
        l.release();
        o[0] = 9;
      } catch (e) {
        o[0] = e instanceof RuntimeError ? 3 : 7;
      }
      o[1] = l.acquire(false) ? 1 : 2;
    }, [rlock, out], "non-owner"));
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
    const holder = run(counterpart, ["RLock", rlock, ready, go, shared(4)], "RLock holder");
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

// =============================================================================================
// 7. Barrier

/** The Barrier action: counts rounds and records which participant ran it (see barrierRounds). */
function barrierAction() {
  const ctx = (globalThis as any).__skeinBarrierCtx as { out: Int32Array; id: number };
  const round = Atomics.add(ctx.out, 0, 1);
  Atomics.store(ctx.out, 1 + round, ctx.id);
}

/**
 * A participant of `rounds` barrier rounds: publishes where the action records (a global of its
 * own thread), ORs its index per round into cells 20.., counts passes in 30.., and flags cell 40
 * if it got through a round before the round's action had run.
 */
function barrierRounds(b: Barrier, out: Int32Array, id: number, rounds: number) {
  (globalThis as any).__skeinBarrierCtx = { out, id };
  for (let r = 0; r < rounds; r++) {
    const index = b.wait(10_000);
    Atomics.or(out, 20 + r, 1 << index);
    Atomics.add(out, 30 + r, 1);
    if (Atomics.load(out, 0) < r + 1) Atomics.store(out, 40, 1);
  }
}

describe("7. Barrier", () => {
  test("5 rounds x 3 parties (2 threads + main): the action runs once per round in one participant; indices 0..2 once each per round", () => {
    const ROUNDS = 5;
    const b = new Barrier(3, barrierAction);
    const out = shared(48);
    const threads = [1, 2].map((id) => run(barrierRounds, [b, out, id, ROUNDS], `party ${id}`));
    try {
      barrierRounds(b, out, 3, ROUNDS);
    } finally {
      delete (globalThis as any).__skeinBarrierCtx;
    }
    joinAll(...threads);
    assert.equal(out[0], ROUNDS, "the action ran exactly once per round");
    const runners = Array.from(out.subarray(1, 1 + ROUNDS));
    assert.ok(runners.every((id) => id >= 1 && id <= 3), `each round's action ran in a participant: ${runners}`);
    assert.equal(out[1 + ROUNDS], 0);
    assert.deepEqual(Array.from(out.subarray(20, 20 + ROUNDS)), Array(ROUNDS).fill(0b111), "indices 0, 1, 2 each round");
    assert.deepEqual(Array.from(out.subarray(30, 30 + ROUNDS)), Array(ROUNDS).fill(3), "three passes each round");
    assert.equal(out[40], 0, "nobody got through a round before its action had run");
    assert.equal(b.nWaiting, 0);
    assert.equal(b.broken, false);
  });

  test("reset() while threads wait: they get BrokenBarrierError; then the barrier works again", async () => {
    const b = new Barrier(3);
    const o1 = shared(4);
    const o2 = shared(4);
    const w = [run(barrierParty, [b, o1, undefined], "party 1"), run(barrierParty, [b, o2, undefined], "party 2")];
    await eventually("two parties waiting", () => b.nWaiting === 2);
    b.reset();
    for (const t of w) assert.equal(await t.joinAsync(JOIN_MS), true);
    assert.deepEqual([o1[0], o2[0]], [BROKEN, BROKEN]);
    assert.equal(b.broken, false, "reset leaves it unbroken");
    assert.equal(b.nWaiting, 0);
    const again = [shared(4), shared(4)];
    const w2 = again.map((o, i) => run(barrierParty, [b, o, 10_000], `again ${i}`));
    const mine = b.wait(10_000);
    joinAll(...w2);
    assert.equal((1 << mine) | (1 << (again[0]![0]! - 10)) | (1 << (again[1]![0]! - 10)), 0b111);
  });

  test("abort(): waiting threads and later waits get BrokenBarrierError until reset()", async () => {
    const b = new Barrier(3);
    const o1 = shared(4);
    const o2 = shared(4);
    const w = [run(barrierParty, [b, o1, undefined], "party 1"), run(barrierParty, [b, o2, undefined], "party 2")];
    await eventually("two parties waiting", () => b.nWaiting === 2);
    b.abort();
    for (const t of w) assert.equal(await t.joinAsync(JOIN_MS), true);
    assert.deepEqual([o1[0], o2[0]], [BROKEN, BROKEN]);
    assert.equal(b.broken, true);
    // A later wait with no timeout fails at once instead of waiting.
    const late = shared(4);
    assert.equal(await run(barrierParty, [b, late, undefined], "late party").joinAsync(JOIN_MS), true);
    assert.equal(late[0], BROKEN);
    assert.equal(await failure(() => b.waitAsync(), "Barrier.waitAsync on a broken barrier"), "BrokenBarrierError");
    b.reset();
    assert.equal(b.broken, false);
    const again = [shared(4), shared(4)];
    const w2 = again.map((o, i) => run(barrierParty, [b, o, 10_000], `again ${i}`));
    const mine = b.wait(10_000);
    joinAll(...w2);
    assert.equal((1 << mine) | (1 << (again[0]![0]! - 10)) | (1 << (again[1]![0]! - 10)), 0b111);
  });

  test("a wait that times out breaks the barrier for everyone waiting", async () => {
    const b = new Barrier(3);
    const patient = shared(4);
    const hasty = shared(4);
    const p = run(barrierParty, [b, patient, 10_000], "patient");
    await eventually("the patient party waiting", () => b.nWaiting === 1);
    const h = run(barrierParty, [b, hasty, 60], "hasty");
    assert.equal(await h.joinAsync(JOIN_MS), true);
    assert.equal(await p.joinAsync(JOIN_MS), true);
    assert.deepEqual([hasty[0], patient[0]], [BROKEN, BROKEN]);
    assert.ok(hasty[1]! >= 59, `the 60 ms wait gave up after ${hasty[1]} ms`);
    assert.equal(b.broken, true);
  });

  test("the constructor's timeout applies to wait() and waitAsync() without one", async () => {
    const b = new Barrier(2, null, 50);
    const o = shared(4);
    assert.equal(await run(barrierParty, [b, o, undefined], "party").joinAsync(JOIN_MS), true);
    assert.equal(o[0], BROKEN);
    assert.ok(o[1]! >= 49, `gave up after ${o[1]} ms`);
    assert.equal(b.broken, true);
    b.reset();
    const t0 = performance.now();
    assert.equal(await failure(() => b.waitAsync(), "Barrier.waitAsync with the default timeout"), "BrokenBarrierError");
    assert.ok(performance.now() - t0 >= 49);
    assert.equal(b.broken, true);
  });
});

// =============================================================================================
// 8. Timer

/** A Timer's function: adds a + b.length into cell 0, records whether it ran as "tick". */
function tick(a: number, b: string, out: Int32Array) {
  Atomics.add(out, 0, a + b.length);
  out[1] = currentThread().name === "tick" ? 1 : 2;
  Atomics.notify(out, 0);
}

describe("8. Timer", () => {
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
    assert.equal(timer.join(JOIN_MS), true);
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
    assert.equal(timer.join(JOIN_MS), true, "cancel() ends it long before its interval");
    assert.equal(timer.isAlive(), false);
    const early = new Timer(20, tick, [1, "", out]);
    early.cancel();
    early.start();
    assert.equal(early.join(JOIN_MS), true);
    assert.equal(Atomics.load(out, 0), 0, "neither function ran");
  });

  test("cancel() after it fired: no effect, no error", () => {
    const out = shared(4);
    const timer = new Timer(10, tick, [1, "", out]);
    timer.start();
    assert.equal(timer.join(JOIN_MS), true);
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
    joinAll(run((out: Int32Array) => {
      const mine = new Timer(10, (o: Int32Array) => Atomics.add(o, 0, 1), [out]);
      mine.start();
      out[1] = mine.join(10_000) ? 1 : 2;
    }, [out], "timer user"));
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
        joinAll(run((pending: Timer, out: Int32Array) => {
          try {
            pending.cancel();
            out[3] = 1;
          } catch {
            out[3] = 2;
          }
        }, [pending, out], "canceller"));
        assert.equal(out[3], T, "cancel() is callable in the other thread");
        assert.equal(pending.join(5_000), true, "the timer cancelled from another thread ended");
        assert.equal(out[0], 0, "and its function never ran");
      } finally {
        pending.cancel();
        pending.join(JOIN_MS);
      }
    },
  );
});
