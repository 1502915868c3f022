// The async twins of the blocking calls (acquireAsync, holdAsync, waitAsync, waitForAsync):
// they never block the event loop, honour { signal } without losing wake-ups (an aborted waiter
// swallows no later release or notify, even when its thread then blocks in a sync call), let a
// program that gave one up still exit on its own, and wake together with sync waiters in other
// threads. Ordering between threads is done with Events, shared cells and thread states, never
// with sleeps; every wait is bounded and threads are daemons, so a bug fails fast.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, type Thread } from "skein";
import { OUTCOME } from "./helpers/primitives-scenarios.js";
import { asyncWaiter, counterpart, realWaiter } from "./helpers/primitive-waiters.js";
import { LONG } from "./helpers/bounds.js";
import { shared, waitAtLeast } from "./helpers/cells.js";
import { runProgramAsync } from "./helpers/child-process.js";
import { daemon } from "./helpers/threads.js";
import { eventually, untilBlocked, within } from "./helpers/wait.js";

const T = OUTCOME.true;

// A program that gave up an async wait must still exit once its work is done. Checked in child
// processes started now, at load, so their seconds overlap with the other tests; awaited below.
const ABORT_EXIT_MS = 8_000;
const abortExitCases = ["Lock.acquireAsync", "Semaphore.acquireAsync", "Event.waitAsync", "Condition.waitAsync", "Barrier.waitAsync"];
const abortExitRuns = abortExitCases.map((name) => runProgramAsync(fileURLToPath(new URL("./helpers/primitives-abort-exit.ts", import.meta.url)), [name], { timeout: ABORT_EXIT_MS }));

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

describe("async twins", () => {
  describe("don't block the event loop: a timer fires while they wait", () => {
    for (const tw of twins) {
      test(tw.name, async () => {
        const p = tw.make();
        const ready = new Event();
        const go = new Event();
        const out = shared(4);
        const other = daemon(counterpart, [tw.kind, p, ready, go, out], `${tw.name} counterpart`);
        assert.equal(ready.wait(10_000), true, "the counterpart got ready");
        const order: string[] = [];
        const pending = tw.call(p, out).then((v) => (order.push("settled"), v));
        await new Promise<void>((r) => setTimeout(() => (order.push("timer"), r()), 10));
        assert.deepEqual(order, ["timer"], "the timer fired while the async call was still waiting");
        go.set();
        assert.deepEqual(await within(pending, tw.name), tw.expect);
        assert.deepEqual(order, ["timer", "settled"]);
        await other.joinAsync(LONG);
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
        await assert.rejects(within(tw.call(p, shared(4), ac.signal), tw.name), (e) => e === reason);
        if (p instanceof Lock || p instanceof RLock) assert.equal(p.locked(), false, "the lock was not taken");
        if (p instanceof Semaphore) assert.equal(p.value, 1, "no slot was taken");
        if (p instanceof Barrier) assert.equal(p.nWaiting, 0, "nobody counts as waiting");
      });
    }
  });
});


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

/** Wakes one waiter of a Condition (holding its lock, as notify requires). */
function notifyOne(c: Condition): void {
  using _ = c.hold();
  c.notify(1);
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
      const holder = daemon(counterpart, ["RLock", p, ready, go, shared(4)], "RLock holder");
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
        release: () => notifyOne(p),
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
        release: () => notifyOne(p),
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
  await assert.rejects(within(g, name), (e) => e === reason, `${name} rejects with the signal's reason`);
}

describe("async twins: an aborted waiter swallows no later wake-up", () => {
  for (const c of ghostCases) {
    test(`${c.name}: aborted while waiting; a later release/notify wakes a sync waiter in another thread`, async () => {
      const s = c.setup();
      await abortGhost(s, c.name);
      const out = shared(4);
      // The real waiter queues behind the abandoned one, so a wake-up the ghost swallowed is lost.
      const w = daemon(realWaiter, [s.kind, s.p, out], `${c.name} real waiter`);
      await untilBlocked(w);
      s.release();
      assert.equal(await w.joinAsync(5_000), true, "the real waiter was woken");
      assert.equal(out[0], s.expect);
      s.after?.();
      if (s.holder) await s.holder.joinAsync(LONG);
    });
  }

  test(
    "...also when the aborting thread then blocks in a sync call (its event loop can't run)",
    async () => {
      const setups = ghostCases.map((c) => ({ name: c.name, s: c.setup(), out: shared(4), w: null as Thread<any> | null }));
      for (const x of setups) await abortGhost(x.s, x.name);
      for (const x of setups) x.w = daemon(realWaiter, [x.s.kind, x.s.p, x.out], `${x.name} real waiter`);
      for (const x of setups) await untilBlocked(x.w!);
      for (const x of setups) x.s.release();
      // Main now blocks, as a sync program does after giving up an async wait.
      const deadline = Date.now() + 2_000;
      const lost = setups.filter((x) => !x.w!.join(Math.max(0, deadline - Date.now()))).map((x) => x.name);
      // Let the event loop run, so the ghosts pass their wake-ups on and the waiters finish.
      for (const x of setups) await x.w!.joinAsync(LONG);
      for (const x of setups) if (x.s.holder) await x.s.holder.joinAsync(LONG);
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
    const w = daemon(realWaiter, ["Condition", cond, out], "second waiter");
    waitAtLeast(out, 1, 1);
    cond.acquire(); // returns once the second waiter is inside wait()
    cond.notify(1);
    cond.release();
    ac.abort(reason); // same tick: main's waiter was picked but hasn't run yet
    await assert.rejects(within(ghost, "the aborted waitAsync"), (e) => e === reason);
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
      const w = daemon(realWaiter, [kind, p, out], "second waiter");
      await untilBlocked(w);
      p.release();
      ac.abort(reason);
      await assert.rejects(within(ghost, "the aborted acquireAsync"), (e) => e === reason);
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
    await assert.rejects(within(ghost, "the aborted Barrier.waitAsync"), (e) => e === reason);
    assert.equal(b.broken, true, "an aborted waiter breaks the barrier, as a timed-out one does");
    assert.equal(b.nWaiting, 0);
    b.reset();
    const out = shared(4);
    const w = daemon(realWaiter, ["Barrier", b, out], "barrier party");
    const mine = await within(b.waitAsync(10_000), "a barrier round after reset()");
    assert.equal(await w.joinAsync(LONG), true);
    assert.equal((1 << mine) | (1 << (out[0]! - 10)), 0b11);
  });
});

test(
  "a program that aborted an async wait still exits on its own",
  async () => {
    const results = await Promise.all(abortExitRuns);
    const stuck = abortExitCases.filter((_, i) => results[i]!.code !== 0 || !results[i]!.stdout.includes("rejected: given up"));
    assert.deepEqual(stuck, [], `programs still running ${ABORT_EXIT_MS} ms after aborting their only wait (killed), or failing`);
  },
);

describe("async twins: sync waiters in threads and async waiters are woken together", () => {
  test("Event.set wakes a sync waiter (thread), an async waiter (thread) and an async waiter (main)", async () => {
    const e = new Event();
    const s = shared(4);
    const a = shared(4);
    const sync = daemon(realWaiter, ["Event", e, s, 10_000], "sync waiter");
    const asyn = daemon(asyncWaiter, ["Event", e, a], "async waiter");
    const mine = e.waitAsync(10_000);
    await untilBlocked(sync);
    await eventually("the async thread to register", () => Atomics.load(a, 1) === 1);
    e.set();
    assert.equal(await within(mine, "main's Event.waitAsync"), true);
    await sync.joinAsync(LONG);
    await asyn.joinAsync(LONG);
    assert.deepEqual([s[0], a[0]], [T, T]);
  });

  test("Condition.notifyAll wakes a sync waiter (thread), an async waiter (thread) and an async waiter (main)", async () => {
    const cond = new Condition();
    const s = shared(4);
    const a = shared(4);
    const sync = daemon(realWaiter, ["Condition", cond, s, 10_000], "sync waiter");
    waitAtLeast(s, 1, 1);
    const asyn = daemon(asyncWaiter, ["Condition", cond, a], "async waiter");
    waitAtLeast(a, 1, 1);
    cond.acquire(); // both threads are inside their waits once main has the lock
    const mine = cond.waitAsync(10_000);
    const notifier = daemon((c: Condition) => {
      using _ = c.hold();
      c.notifyAll();
    }, [cond], "notifier");
    assert.equal(await within(mine, "main's Condition.waitAsync"), true);
    cond.release();
    await sync.joinAsync(LONG);
    await asyn.joinAsync(LONG);
    await notifier.joinAsync(LONG);
    assert.deepEqual([s[0], a[0]], [T, T]);
  });

  test("Semaphore.release(2) wakes a sync waiter (thread) and an async waiter (main)", async () => {
    const sem = new Semaphore(0);
    const s = shared(4);
    const sync = daemon(realWaiter, ["Semaphore", sem, s, 10_000], "sync waiter");
    const mine = sem.acquireAsync(10_000);
    await untilBlocked(sync);
    sem.release(2);
    assert.equal(await within(mine, "main's Semaphore.acquireAsync"), true);
    await sync.joinAsync(LONG);
    assert.equal(s[0], T);
    assert.equal(sem.value, 0);
  });

  test("Barrier(3): a sync party (thread), an async party (thread) and an async party (main) pass together", async () => {
    const b = new Barrier(3);
    const s = shared(4);
    const a = shared(4);
    const sync = daemon(realWaiter, ["Barrier", b, s, 10_000], "sync party");
    const asyn = daemon(asyncWaiter, ["Barrier", b, a], "async party");
    await eventually("two parties at the barrier", () => b.nWaiting === 2);
    const mine = await within(b.waitAsync(10_000), "main's Barrier.waitAsync");
    await sync.joinAsync(LONG);
    await asyn.joinAsync(LONG);
    assert.equal((1 << mine) | (1 << (s[0]! - 10)) | (1 << (a[0]! - 10)), 0b111);
  });
});
