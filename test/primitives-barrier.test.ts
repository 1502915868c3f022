// Barrier across threads: the action runs once per round in one participant before anyone is
// let through, each round hands out indices 0..n-1 once each; reset() and abort() break the
// waiters and the barrier works again after reset(); a wait that times out breaks it for all,
// and the constructor's timeout applies to wait() and waitAsync(). Every wait is bounded.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, Queue } from "skein";
import { OUTCOME } from "./helpers/primitives-scenarios.js";
import { barrierParty } from "./helpers/primitive-waiters.js";
import { LONG } from "./helpers/bounds.js";
import { shared } from "./helpers/cells.js";
import { daemon, joinAll } from "./helpers/threads.js";
import { eventually, failure } from "./helpers/wait.js";

const BROKEN = OUTCOME.BrokenBarrierError;

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

/**
 * Two threads wait (no timeout) at a Barrier(3); once both are counted, `breakIt` breaks the
 * round (reset() or abort()): both must come back with BrokenBarrierError.
 */
async function breakTwoWaiting(b: Barrier, breakIt: () => void): Promise<void> {
  const o1 = shared(4);
  const o2 = shared(4);
  const w = [daemon(barrierParty, [b, o1, undefined], "party 1"), daemon(barrierParty, [b, o2, undefined], "party 2")];
  await eventually("two parties waiting", () => b.nWaiting === 2);
  breakIt();
  for (const t of w) assert.equal(await t.joinAsync(LONG), true);
  assert.deepEqual([o1[0], o2[0]], [BROKEN, BROKEN]);
}

/** One full round of a Barrier(3), two threads and main: it hands out indices 0, 1 and 2. */
function passRoundOfThree(b: Barrier): void {
  const again = [shared(4), shared(4)];
  const w2 = again.map((o, i) => daemon(barrierParty, [b, o, 10_000], `again ${i}`));
  const mine = b.wait(10_000);
  joinAll(...w2);
  assert.equal((1 << mine) | (1 << (again[0]![0]! - 10)) | (1 << (again[1]![0]! - 10)), 0b111);
}

describe("Barrier", () => {
  test("5 rounds x 3 parties (2 threads + main): the action runs once per round in one participant; indices 0..2 once each per round", () => {
    const ROUNDS = 5;
    const b = new Barrier(3, barrierAction);
    const out = shared(48);
    const threads = [1, 2].map((id) => daemon(barrierRounds, [b, out, id, ROUNDS], `party ${id}`));
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
    await breakTwoWaiting(b, () => b.reset());
    assert.equal(b.broken, false, "reset leaves it unbroken");
    assert.equal(b.nWaiting, 0);
    passRoundOfThree(b);
  });

  test("abort(): waiting threads and later waits get BrokenBarrierError until reset()", async () => {
    const b = new Barrier(3);
    await breakTwoWaiting(b, () => b.abort());
    assert.equal(b.broken, true);
    // A later wait with no timeout fails at once instead of waiting.
    const late = shared(4);
    assert.equal(await daemon(barrierParty, [b, late, undefined], "late party").joinAsync(LONG), true);
    assert.equal(late[0], BROKEN);
    assert.equal(await failure(() => b.waitAsync(), "Barrier.waitAsync on a broken barrier"), "BrokenBarrierError");
    b.reset();
    assert.equal(b.broken, false);
    passRoundOfThree(b);
  });

  test("a wait that times out breaks the barrier for everyone waiting", async () => {
    const b = new Barrier(3);
    const patient = shared(4);
    const hasty = shared(4);
    const p = daemon(barrierParty, [b, patient, 10_000], "patient");
    await eventually("the patient party waiting", () => b.nWaiting === 1);
    const h = daemon(barrierParty, [b, hasty, 60], "hasty");
    assert.equal(await h.joinAsync(LONG), true);
    assert.equal(await p.joinAsync(LONG), true);
    assert.deepEqual([hasty[0], patient[0]], [BROKEN, BROKEN]);
    assert.ok(hasty[1]! >= 59, `the 60 ms wait gave up after ${hasty[1]} ms`);
    assert.equal(b.broken, true);
  });

  test("a broken barrier's error says what broke it: abort(), a reset while waiting, the action throwing", async () => {
    const aborted = new Barrier(2);
    aborted.abort();
    assert.throws(() => aborted.wait(LONG), (e: unknown) => e instanceof BrokenBarrierError && /broken: abort\(\) was called/.test((e as Error).message));
    const told = new Queue<string>();
    const party = (b: Barrier, out: Queue<string>) => {
      try {
        b.wait(LONG);
        out.put("passed");
      } catch (e) {
        out.put((e as Error).message);
      }
    };
    // The action runs in the last party to arrive: main, here, so the thread waiting is told.
    const failing = new Barrier(2, () => {
      throw new Error("the action's own error");
    });
    const t1 = daemon(party, [failing, told], "first party");
    await eventually("the first party waiting", () => failing.nWaiting === 1);
    assert.throws(() => failing.wait(LONG), /the action's own error/);
    assert.match(told.get(true, LONG), /broken: its action threw/);
    assert.equal(await t1.joinAsync(LONG), true);
    const reset = new Barrier(2);
    const t2 = daemon(party, [reset, told], "reset party");
    await eventually("the party waiting", () => reset.nWaiting === 1);
    reset.reset();
    assert.match(told.get(true, LONG), /broken: it was reset while this thread waited/);
    assert.equal(await t2.joinAsync(LONG), true);
  });

  test("the constructor's timeout applies to wait() and waitAsync() without one", async () => {
    const b = new Barrier(2, null, 50);
    const o = shared(4);
    assert.equal(await daemon(barrierParty, [b, o, undefined], "party").joinAsync(LONG), true);
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
