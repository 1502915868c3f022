// A thread that dies while waiting (its worker ends with the thread still registered as a
// waiter) doesn't leave the primitive unusable: the next wake-up goes to a live waiter, a dead
// Barrier party doesn't count; and threads that throw inside `using` leave every primitive free.
// Every wait is bounded and threads are daemons, so a bug fails fast.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore } from "skein";
import { OUTCOME } from "./helpers/primitives-scenarios.js";
import { barrierParty, realWaiter } from "./helpers/primitive-waiters.js";
import { LONG } from "./helpers/bounds.js";
import { shared, waitAtLeast } from "./helpers/cells.js";
import { quietExcepthook } from "./helpers/excepthook.js";
import { daemon, runJoined } from "./helpers/threads.js";
import { crashWorker } from "./helpers/crash.js";
import { eventually, untilBlocked } from "./helpers/wait.js";

const T = OUTCOME.true;

/**
 * An async target that registers as a waiter on p (kind: "Condition", "Lock", "Semaphore",
 * "Barrier", "Event"), says so in cell 0, and then dies (its worker ends on the spot) when
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
  crashWorker(1);
  await waiting;
}


describe("a thread that dies while waiting leaves the primitive usable", () => {
  for (const kind of ["Condition", "Lock", "Semaphore", "Event"] as const) {
    test(`${kind}: the dead waiter doesn't take the next wake-up from a live one`, async () => {
      const p = kind === "Condition" ? new Condition() : kind === "Lock" ? new Lock() : kind === "Semaphore" ? new Semaphore(0) : new Event();
      if (p instanceof Lock) p.acquire();
      const d = shared(4);
      const kill = new Event();
      const dying = daemon(dieWhileWaiting, [kind, p, d, kill], "dies while waiting");
      waitAtLeast(d, 0, 1);
      if (p instanceof Condition) {
        p.acquire(); // the dying thread is inside waitAsync once main has the lock
        p.release();
      }
      kill.set();
      assert.equal(await dying.joinAsync(LONG), true, "the waiting thread died");
      // A live waiter queues behind the dead one.
      const out = shared(4);
      const w = daemon(realWaiter, [kind, p, out], "live waiter");
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
      const dying = daemon(dieWhileWaiting, ["Barrier", b, d, kill], "dies at the barrier");
      await eventually("the dying party to wait at the barrier", () => b.nWaiting === 1);
      kill.set();
      assert.equal(await dying.joinAsync(LONG), true, "the waiting thread died");
      const o1 = shared(4);
      const o2 = shared(4);
      const p1 = daemon(barrierParty, [b, o1, 2_000], "party 1");
      const p2 = daemon(barrierParty, [b, o2, 2_000], "party 2");
      // The parties wait at most 2 s each; a little more, and a party still inside is stuck.
      const finished = [await p1.joinAsync(2_500), await p2.joinAsync(2_500)];
      b.abort(); // frees a stuck party, so no thread is left behind
      await p1.joinAsync(LONG);
      await p2.joinAsync(LONG);
      assert.deepEqual(finished, [true, true], "both parties came back within their timeouts");
      assert.deepEqual([o1[0], o2[0]].sort(), [10, 11], "two live parties got indices 0 and 1 (6: BrokenBarrierError)");
    },
  );

  test("threads that throw (after using a primitive through `using`) leave it usable for the others", async () => {
    using _quiet = quietExcepthook();
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
    const condWaiter = daemon(realWaiter, ["Condition", cond, condOut, 10_000], "condition waiter");
    waitAtLeast(condOut, 1, 1);
    const throwers = [0, 1, 2, 3].map((i) => daemon(thrower, [lock, rlock, sem, cond, threw, i], `thrower ${i}`));
    waitAtLeast(threw, 5, 1);
    {
      using _ = cond.hold(); // both waiters are inside wait()
      cond.notifyAll();
    }
    for (const t of throwers) assert.equal(await t.joinAsync(LONG), true);
    assert.equal(await condWaiter.joinAsync(LONG), true);
    assert.deepEqual(Array.from(threw.subarray(0, 4)), [1, 1, 1, 1], "every thrower ran");
    assert.equal(condOut[0], T, "the other waiter was woken too");
    // Everything is free again, for another thread.
    const after = shared(4);
    runJoined((lock: Lock, rlock: RLock, sem: BoundedSemaphore, cond: Condition, o: Int32Array) => {
      o[0] = lock.acquire(false) ? 1 : 2;
      o[1] = rlock.acquire(false) ? 1 : 2;
      o[2] = sem.value === 2 && sem.acquire(false) ? 1 : 2;
      o[3] = cond.acquire(false) ? 1 : 2;
    }, [lock, rlock, sem, cond, after], "after the throwers");
    assert.deepEqual(Array.from(after), [T, T, T, T]);
  });
});
