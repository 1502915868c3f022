// Lock across real threads: mutual exclusion, timeouts, any-thread release, async twins.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, RuntimeError, Thread, TIMEOUT_MAX } from "skein";
import { HEAVY } from "./helpers/bounds.js";
import { shared } from "./helpers/cells.js";
import { daemon, joined, runAtGate } from "./helpers/threads.js";
import { untilBlocked, within } from "./helpers/wait.js";

// Threads wait at a shared gate until all have started, so their loops really overlap.
function hammer(gate: Int32Array, counter: Int32Array, lock: Lock, n: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    lock.acquire();
    // A deliberately non-atomic read-modify-write: only the lock makes it safe.
    const v = counter[0]!;
    counter[0] = v + 1;
    lock.release();
  }
}

function race(gate: Int32Array, counter: Int32Array, n: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    const v = counter[0]!;
    counter[0] = v + 1;
  }
}

test("8 threads x 10,000 increments under one Lock end at exactly 80,000", (t) => {
  const counter = shared(1);
  const lock = new Lock();
  const gate = shared(1);
  runAtGate(Array.from({ length: 8 }, () => new Thread({ target: hammer, args: [gate, counter, lock, 10_000] })), gate, HEAVY);
  assert.equal(counter[0], 80_000);
  assert.equal(lock.locked(), false);

  const unlocked = shared(1);
  const gate2 = shared(1);
  runAtGate(Array.from({ length: 8 }, () => new Thread({ target: race, args: [gate2, unlocked, 10_000] })), gate2, HEAVY);
  t.diagnostic(`without the lock: ${unlocked[0]} of 80000 (${80_000 - unlocked[0]!} updates lost to the race)`);
});

test("acquire(false) fails at once while another thread holds the lock; any thread may release", () => {
  const lock = new Lock();
  const t = new Thread({ target: (l: Lock) => { l.acquire(); }, args: [lock] });
  t.start();
  joined(t);
  assert.equal(lock.locked(), true);
  assert.equal(lock.acquire(false), false);
  lock.release();
  assert.equal(lock.acquire(false), true);
  lock.release();
});

test("acquire with a timeout really waits that long, then gives up", () => {
  const lock = new Lock();
  lock.acquire();
  for (const ms of [0, 30, 100]) {
    const t0 = performance.now();
    assert.equal(lock.acquire(true, ms), false);
    const took = performance.now() - t0;
    assert.ok(took >= ms - 1, `acquire(true, ${ms}) gave up after ${took} ms`);
  }
  lock.release();
});

test("a blocked acquire in another thread wakes when the lock is released", async () => {
  const lock = new Lock();
  const out = shared(1);
  lock.acquire();
  // No timeout on the thread's acquire: only the release can get it out (a lost wake-up fails
  // the bounded join instead of passing once a timeout lets the thread retry).
  const t = daemon((l: Lock, o: Int32Array) => {
    o[0] = l.acquire() ? 1 : 2;
    l.release();
  }, [lock, out]);
  await untilBlocked(t, "the thread waiting for the lock");
  assert.equal(out[0], 0, "the acquire returned while main held the lock");
  lock.release();
  joined(t);
  assert.equal(out[0], 1);
  assert.equal(lock.locked(), false);
});

test("hold() is Python's `with lock:` through `using`, released on throw too", () => {
  const lock = new Lock();
  {
    using _ = lock.hold();
    assert.equal(lock.locked(), true);
  }
  assert.equal(lock.locked(), false);
  assert.throws(() => {
    using _ = lock.hold();
    throw new Error("inside");
  }, /inside/);
  assert.equal(lock.locked(), false);
});

test("acquireAsync and holdAsync wait without blocking the event loop", async () => {
  const lock = new Lock();
  const out = new Int32Array(new SharedArrayBuffer(4));
  lock.acquire();
  let settled = false;
  const got = lock.acquireAsync(10_000).then((v) => ((settled = true), v));
  // The event loop keeps running while the acquire waits: this timer fires first.
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(settled, false);
  const t = new Thread({ target: (l: Lock) => l.release(), args: [lock] });
  t.start();
  assert.equal(await within(got, "acquireAsync after another thread released"), true);
  joined(t);
  lock.release();
  {
    await using _ = await lock.holdAsync();
    out[0] = lock.locked() ? 1 : 0;
  }
  assert.equal(out[0], 1);
  assert.equal(lock.locked(), false);
  lock.acquire();
  assert.equal(await lock.acquireAsync(20), false);
  const ac = new AbortController();
  const aborted = lock.acquireAsync(-1, { signal: ac.signal });
  ac.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  lock.release();
  assert.equal(lock.acquire(false), true, "an aborted waiter must not leave the lock unusable");
  lock.release();
});

test("release of an unlocked lock is a RuntimeError", () => {
  const lock = new Lock();
  assert.throws(() => lock.release(), (e: unknown) => e instanceof RuntimeError && /release unlocked lock/.test((e as Error).message));
});

test("bad acquire arguments: the SPEC's errors", () => {
  const lock = new Lock();
  assert.throws(() => lock.acquire(true, -2), RangeError);
  assert.throws(() => lock.acquire(true, Number.NaN), RangeError);
  assert.throws(() => lock.acquire(false, 10), RangeError);
  assert.throws(() => lock.acquire(true, TIMEOUT_MAX + 1), RangeError);
  assert.throws(() => lock.acquire(true, "1" as unknown as number), TypeError);
  assert.throws(() => lock.acquire("yes" as unknown as boolean), TypeError);
  assert.equal(lock.acquire(true, -1), true);
  lock.release();
});
