// Stress tests: 8 real threads hammer each synchronization primitive, and an exact invariant
// (a count, a bitmap, an occupancy bound) says whether the primitive held. Every thread starts
// at a shared gate so the loops really overlap, every wait is bounded so a bug fails instead of
// hanging, and every thread ticks a `done` word as its last act, so a thread that died on an
// exception (which only reaches the excepthook) fails the test too. Threads are daemons, so a
// failed test can't keep the process alive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BoundedSemaphore, Condition, Event, getIdent, Lock, RLock, Semaphore, Thread, currentThread } from "skein";
import { HEAVY } from "./helpers/bounds.js";
import { enter, shared } from "./helpers/cells.js";
import { runAtGate } from "./helpers/threads.js";
import { onDeno } from "./helpers/runtimes.js";

const THREADS = 8;
const OPS = 20_000;

// ---------------------------------------------------------------------------------------------
// Lock and RLock: a deliberately non-atomic read-modify-write that only the lock makes safe.

function lockHammer(gate: Int32Array, counter: Int32Array, done: Int32Array, lock: Lock, n: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    // Mix the three ways in: blocking acquire, acquire with a timeout, and `using hold()`.
    if (i % 3 === 0) {
      lock.acquire();
      const v = counter[0]!;
      counter[0] = v + 1;
      lock.release();
    } else if (i % 3 === 1) {
      if (!lock.acquire(true, 10_000)) throw new Error("Lock.acquire(true, 10 s) timed out");
      const v = counter[0]!;
      counter[0] = v + 1;
      lock.release();
    } else {
      using _ = lock.hold();
      const v = counter[0]!;
      counter[0] = v + 1;
    }
  }
  Atomics.add(done, 0, 1);
}

test(`Lock: ${THREADS} threads x ${OPS} non-atomic increments end at exactly ${THREADS * OPS}`, (t) => {
  const gate = shared(1);
  const counter = shared(1);
  const done = shared(1);
  const lock = new Lock();
  const t0 = performance.now();
  runAtGate(Array.from({ length: THREADS }, () => new Thread({ target: lockHammer, args: [gate, counter, done, lock, OPS], daemon: true })), gate, HEAVY);
  t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(done[0], THREADS, "a thread died before finishing (see stderr)");
  assert.equal(counter[0], THREADS * OPS);
  assert.equal(lock.locked(), false);
});

function rlockHammer(gate: Int32Array, counter: Int32Array, stats: Int32Array, lock: RLock, n: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    lock.acquire();
    // Recursion: a second blocking acquire, and a non-blocking one that must succeed for the owner.
    lock.acquire();
    if (!lock.acquire(false)) Atomics.add(stats, 1, 1);
    const v = counter[0]!;
    counter[0] = v + 1;
    lock.release();
    lock.release();
    // Still held once: the count is still ours, the lock still locked.
    if (!lock.locked()) Atomics.add(stats, 1, 1);
    const w = counter[0]!;
    counter[0] = w + 1;
    lock.release();
  }
  Atomics.add(stats, 0, 1);
}

test(`RLock: ${THREADS} threads x ${OPS} recursive acquisitions, two increments each, end exact`, (t) => {
  const gate = shared(1);
  const counter = shared(1);
  const stats = shared(2); // 0 done, 1 recursion failures
  const lock = new RLock();
  const t0 = performance.now();
  runAtGate(Array.from({ length: THREADS }, () => new Thread({ target: rlockHammer, args: [gate, counter, stats, lock, OPS], daemon: true })), gate, HEAVY);
  t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(stats[0], THREADS, "a thread died before finishing (see stderr)");
  assert.equal(stats[1], 0, "an owner's recursive acquire(false) failed, or the lock was unlocked while still held once");
  assert.equal(counter[0], 2 * THREADS * OPS);
  assert.equal(lock.locked(), false);
  // Nobody owns it any more: the main thread can take and give it back.
  assert.equal(lock.acquire(false), true);
  lock.release();
});

// ---------------------------------------------------------------------------------------------
// Semaphore and BoundedSemaphore: occupancy never exceeds the initial value.

/**
 * stats: 0 done, 1 current occupancy, 2 max occupancy seen, 3 entries, 4 timed-out acquires,
 * 5 over-releases that went through, 6 over-releases refused with RangeError.
 * With `gate2`, each thread then waits until every thread has finished its loop, and all
 * over-release once at the same moment (for a BoundedSemaphore: all must fail).
 */
function semHammer(gate: Int32Array, stats: Int32Array, sem: Semaphore, n: number, gate2: Int32Array | null, threads: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    const ok = i % 2 === 0 ? sem.acquire() : sem.acquire(true, 10_000);
    if (!ok) {
      Atomics.add(stats, 4, 1);
      continue;
    }
    enter(stats, 1, 2);
    Atomics.add(stats, 3, 1);
    // A little work inside, so holders overlap.
    let x = 0;
    for (let k = 0; k < 20; k++) x += k;
    if (x < 0) throw new Error("unreachable");
    Atomics.sub(stats, 1, 1);
    sem.release();
  }
  if (gate2) {
    Atomics.add(gate2, 0, 1);
    Atomics.notify(gate2, 0);
    for (let v = Atomics.load(gate2, 0); v < threads; v = Atomics.load(gate2, 0)) {
      if (Atomics.wait(gate2, 0, v, 10_000) === "timed-out") throw new Error("the other threads never finished their loops");
    }
    try {
      sem.release();
      Atomics.add(stats, 5, 1);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      Atomics.add(stats, 6, 1);
    }
  }
  Atomics.add(stats, 0, 1);
}

test(`Semaphore(3): ${THREADS} threads x ${OPS} entries, never more than 3 inside`, (t) => {
  const gate = shared(1);
  const stats = shared(7);
  const sem = new Semaphore(3);
  const t0 = performance.now();
  runAtGate(Array.from({ length: THREADS }, () => new Thread({ target: semHammer, args: [gate, stats, sem, OPS, null, THREADS], daemon: true })), gate, HEAVY);
  t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms, max occupancy ${stats[2]}`);
  assert.equal(stats[0], THREADS, "a thread died before finishing (see stderr)");
  assert.equal(stats[4], 0, "a bounded acquire timed out");
  assert.ok(stats[2]! <= 3, `${stats[2]} threads were inside a Semaphore(3) at once`);
  assert.ok(stats[2]! >= 1);
  assert.equal(stats[1], 0);
  assert.equal(stats[3], THREADS * OPS);
  assert.equal(sem.value, 3);
});

test(`BoundedSemaphore(3): ${THREADS} threads x ${OPS} entries, never more than 3 inside; over-release is a RangeError`, (t) => {
  const gate = shared(1);
  const gate2 = shared(1);
  const stats = shared(7);
  const sem = new BoundedSemaphore(3);
  const t0 = performance.now();
  runAtGate(Array.from({ length: THREADS }, () => new Thread({ target: semHammer, args: [gate, stats, sem, OPS, gate2, THREADS], daemon: true })), gate, HEAVY);
  t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms, max occupancy ${stats[2]}`);
  assert.equal(stats[0], THREADS, "a thread died before finishing (see stderr)");
  assert.equal(stats[4], 0, "a bounded acquire timed out");
  assert.ok(stats[2]! <= 3, `${stats[2]} threads were inside a BoundedSemaphore(3) at once`);
  assert.equal(stats[3], THREADS * OPS);
  assert.equal(stats[5], 0, "an over-release went through");
  assert.equal(stats[6], THREADS);
  assert.equal(sem.value, 3);
  assert.throws(() => sem.release(), RangeError);
});

/**
 * Racing releases against the bound: each round the main thread empties a BoundedSemaphore(3),
 * then 8 threads release once each at the same moment. Exactly 3 may succeed, 5 must throw.
 */
function releaseRacer(go: Int32Array, tally: Int32Array, sem: BoundedSemaphore, rounds: number) {
  for (let r = 1; r <= rounds; r++) {
    // go[0] is the round the main thread has opened; -1 means "stop".
    while (Atomics.load(go, 0) < r) {
      if (Atomics.load(go, 0) < 0) return;
      if (Atomics.wait(go, 0, r - 1, 10_000) === "timed-out") throw new Error(`round ${r} never opened`);
    }
    try {
      sem.release();
      Atomics.add(tally, 0, 1);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      Atomics.add(tally, 1, 1);
    }
    Atomics.add(tally, 2, 1);
    Atomics.notify(tally, 2);
  }
}

test(`BoundedSemaphore(3): ${THREADS} threads racing to over-release, 1,000 rounds: exactly 3 succeed per round`, (t) => {
  const ROUNDS = 1_000;
  const go = shared(1);
  const tally = shared(3); // 0 successes, 1 RangeErrors, 2 finished releases (all cumulative)
  const sem = new BoundedSemaphore(3);
  const threads = Array.from({ length: THREADS }, () => new Thread({ target: releaseRacer, args: [go, tally, sem, ROUNDS], daemon: true }));
  threads.forEach((th) => th.start());
  const t0 = performance.now();
  try {
    for (let r = 1; r <= ROUNDS; r++) {
      for (let k = 0; k < 3; k++) assert.equal(sem.acquire(false), true);
      assert.equal(sem.value, 0);
      Atomics.store(go, 0, r);
      Atomics.notify(go, 0);
      const want = r * THREADS;
      for (let f = Atomics.load(tally, 2); f < want; f = Atomics.load(tally, 2)) {
        assert.notEqual(Atomics.wait(tally, 2, f, 10_000), "timed-out", `round ${r}: racers stopped reporting`);
      }
      assert.equal(tally[0], 3 * r, `round ${r}: ${tally[0]! - 3 * (r - 1)} releases succeeded, 3 should`);
      assert.equal(tally[1], 5 * r);
      assert.equal(sem.value, 3);
    }
  } finally {
    Atomics.store(go, 0, -1);
    Atomics.notify(go, 0);
    threads.forEach((th) => th.join(HEAVY));
  }
  t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms`);
});

// ---------------------------------------------------------------------------------------------
// Condition: a bounded buffer, 4 producers and 4 consumers, nothing lost, nothing duplicated.

const CAP = 8;
/** ring words: 0 head, 1 tail, 2 count, 3 taken (items consumed so far), 4.. the ring itself. */
function producer(gate: Int32Array, ring: Int32Array, lock: Lock, notFull: Condition, notEmpty: Condition, done: Int32Array, p: number, n: number, cap: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    const item = p * n + i;
    lock.acquire();
    try {
      if (!notFull.waitFor(() => ring[2]! < cap, 10_000)) throw new Error(`producer ${p} waited 10 s for room`);
      ring[4 + ring[1]!] = item;
      ring[1] = (ring[1]! + 1) % cap;
      ring[2] = ring[2]! + 1;
      notEmpty.notify();
    } finally {
      lock.release();
    }
  }
  Atomics.add(done, 0, 1);
}

/** Records each item in `order` at its take position and counts it in `seen`. */
function consumer(gate: Int32Array, ring: Int32Array, lock: Lock, notFull: Condition, notEmpty: Condition, done: Int32Array, seen: Int32Array, order: Int32Array, perConsumer: Int32Array, c: number, total: number, cap: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (;;) {
    let item: number;
    lock.acquire();
    try {
      if (!notEmpty.waitFor(() => ring[2]! > 0 || ring[3] === total, 10_000)) throw new Error(`consumer ${c} waited 10 s for an item`);
      if (ring[2] === 0) break; // everything has been taken
      item = ring[4 + ring[0]!]!;
      ring[0] = (ring[0]! + 1) % cap;
      ring[2] = ring[2]! - 1;
      const k = ring[3]!;
      ring[3] = k + 1;
      order[k] = item;
      if (k + 1 === total) notEmpty.notifyAll(); // release the consumers still waiting
      notFull.notify();
    } finally {
      lock.release();
    }
    Atomics.add(seen, item, 1);
    perConsumer[c] = perConsumer[c]! + 1;
  }
  Atomics.add(done, 0, 1);
}

test(`Condition: bounded buffer (capacity ${CAP}), 4 producers x ${OPS} items, 4 consumers: nothing lost or duplicated`, (t) => {
  const P = 4;
  const C = 4;
  const TOTAL = P * OPS;
  const gate = shared(1);
  const ring = shared(4 + CAP);
  const done = shared(1);
  const seen = shared(TOTAL);
  const order = shared(TOTAL).fill(-1);
  const perConsumer = shared(C);
  const lock = new Lock();
  const notFull = new Condition(lock);
  const notEmpty = new Condition(lock);
  const threads = [
    ...Array.from({ length: P }, (_, p) => new Thread({ target: producer, args: [gate, ring, lock, notFull, notEmpty, done, p, OPS, CAP], daemon: true })),
    ...Array.from({ length: C }, (_, c) => new Thread({ target: consumer, args: [gate, ring, lock, notFull, notEmpty, done, seen, order, perConsumer, c, TOTAL, CAP], daemon: true })),
  ];
  const t0 = performance.now();
  runAtGate(threads, gate, HEAVY);
  t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms; items per consumer ${[...perConsumer].join(", ")}`);
  assert.equal(done[0], P + C, "a thread died before finishing (see stderr)");
  assert.equal(ring[3], TOTAL, "items taken");
  assert.equal(ring[2], 0, "items left in the buffer");
  assert.equal(perConsumer.reduce((a, b) => a + b, 0), TOTAL);
  const missing: number[] = [];
  const doubled: number[] = [];
  seen.forEach((n, item) => (n === 0 ? missing : n > 1 ? doubled : []).push(item));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} items lost`);
  assert.deepEqual(doubled.slice(0, 10), [], `${doubled.length} items delivered twice`);
  // The ring is FIFO: each producer's items are taken in the order it produced them.
  const last = new Array(P).fill(-1);
  for (let k = 0; k < TOTAL; k++) {
    const item = order[k]!;
    const p = Math.floor(item / OPS);
    assert.ok(item > last[p], `take #${k}: producer ${p}'s item ${item} came after ${last[p]}`);
    last[p] = item;
  }
  assert.equal(lock.locked(), false);
});

// ---------------------------------------------------------------------------------------------
// Event: ping-pong between pairs of threads, strictly alternating.

/** c: 0 pings sent, 1 pongs sent, 2 alternation violations. */
function pinger(gate: Int32Array, c: Int32Array, done: Int32Array, ping: Event, pong: Event, n: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    Atomics.add(c, 0, 1);
    ping.set();
    if (!pong.wait(10_000)) throw new Error(`ping ${i}: no pong within 10 s`);
    pong.clear();
    if (Atomics.load(c, 1) !== i + 1) Atomics.add(c, 2, 1);
  }
  Atomics.add(done, 0, 1);
}

function ponger(gate: Int32Array, c: Int32Array, done: Int32Array, ping: Event, pong: Event, n: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    if (!ping.wait(10_000)) throw new Error(`pong ${i}: no ping within 10 s`);
    ping.clear();
    // Exactly one ping more than pongs: the pinger can't run ahead or fall behind.
    if (Atomics.load(c, 0) !== i + 1) Atomics.add(c, 2, 1);
    Atomics.add(c, 1, 1);
    pong.set();
  }
  Atomics.add(done, 0, 1);
}

// Full count, not scaled down: 4 pairs x 20,000 round trips took 0.8-1.4 s on the 2-core machine.
test(`Event: 4 ping-pong pairs x ${OPS} round trips keep exact, alternating counts`, (t) => {
  const PAIRS = THREADS / 2;
  const gate = shared(1);
  const done = shared(1);
  const counts = Array.from({ length: PAIRS }, () => shared(3));
  const threads: Thread[] = [];
  for (let p = 0; p < PAIRS; p++) {
    const ping = new Event();
    const pong = new Event();
    threads.push(new Thread({ target: pinger, args: [gate, counts[p]!, done, ping, pong, OPS], daemon: true }));
    threads.push(new Thread({ target: ponger, args: [gate, counts[p]!, done, ping, pong, OPS], daemon: true }));
  }
  const t0 = performance.now();
  runAtGate(threads, gate, HEAVY);
  t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(done[0], THREADS, "a thread died before finishing (see stderr)");
  for (const c of counts) assert.deepEqual([...c], [OPS, OPS, 0]);
});

// ---------------------------------------------------------------------------------------------
// Barrier: every round hands out each index exactly once, and the action runs once per round.

/**
 * The action captures nothing, so it finds its shared log through the thread it runs in: the
 * parties are instances of this Thread subclass, whose fields travel with them (the log is a
 * shared Int32Array, so every party's field is the same memory). The action runs in the last
 * thread to arrive, while the others are still inside wait().
 *
 * log words: 0 actions run; then per round r at R(r) = 1 + 4r:
 *   +0 bitmap of indices returned, +1 arrivals, +2 departures,
 *   +3 what the action saw: arrivals * 100 + departures, + 10 * (runner's ident === last arriver's)
 * extra at the end: duplicates, done.
 */
class BarrierParty extends Thread {
  constructor(
    readonly barrier: Barrier,
    readonly gate: Int32Array,
    readonly log: Int32Array,
    readonly runner: Int32Array,
    readonly rounds: number,
  ) {
    super({ daemon: true });
  }

  override run() {
    const { barrier, gate, log, runner, rounds } = this;
    const dupAt = 1 + 4 * rounds;
    Atomics.wait(gate, 0, 0, 10_000);
    for (let r = 0; r < rounds; r++) {
      const at = 1 + 4 * r;
      Atomics.add(log, at + 1, 1);
      const index = barrier.wait(10_000);
      const bit = 1 << index;
      if (Atomics.or(log, at, bit) & bit) Atomics.add(log, dupAt, 1);
      // The last to arrive (index parties - 1) is the thread that ran this round's action.
      if (index === barrier.parties - 1 && Atomics.load(runner, r) === getIdent()) Atomics.add(log, at + 3, 10);
      Atomics.add(log, at + 2, 1);
    }
    Atomics.add(log, dupAt + 1, 1);
  }
}

function barrierAction() {
  const party = currentThread() as unknown as { log: Int32Array; runner: Int32Array };
  const log = party.log;
  const r = Atomics.add(log, 0, 1);
  const at = 1 + 4 * r;
  Atomics.store(log, at + 3, Atomics.load(log, at + 1) * 100 + Atomics.load(log, at + 2));
  Atomics.store(party.runner, r, getIdent());
}

// Full 1,000 rounds, not scaled down: Barrier(5) took 75-150 ms on the 2-core machine.
test("Barrier(5): 1,000 rounds, each index 0..4 returned exactly once per round, the action once per round", (t) => {
  const PARTIES = 5;
  const ROUNDS = 1_000;
  const gate = shared(1);
  const log = shared(1 + 4 * ROUNDS + 2);
  const runner = shared(ROUNDS);
  const barrier = new Barrier(PARTIES, barrierAction);
  const parties = Array.from({ length: PARTIES }, () => new BarrierParty(barrier, gate, log, runner, ROUNDS));
  const t0 = performance.now();
  runAtGate(parties, gate, HEAVY);
  t.diagnostic(`${(performance.now() - t0).toFixed(0)} ms`);
  const dupAt = 1 + 4 * ROUNDS;
  assert.equal(log[dupAt + 1], PARTIES, "a party died before finishing (see stderr)");
  assert.equal(log[dupAt], 0, "an index was returned twice in one round");
  assert.equal(log[0], ROUNDS, "actions run");
  for (let r = 0; r < ROUNDS; r++) {
    const at = 1 + 4 * r;
    assert.equal(log[at], 0b11111, `round ${r}: indices returned ${log[at]!.toString(2)}`);
    assert.equal(log[at + 1], PARTIES, `round ${r}: arrivals`);
    assert.equal(log[at + 2], PARTIES, `round ${r}: departures`);
    // All 5 had arrived and none had left when the action ran, and it ran in the last arriver.
    assert.equal(log[at + 3], PARTIES * 100 + 10, `round ${r}: the action saw ${log[at + 3]}`);
  }
  assert.equal(barrier.broken, false);
  assert.equal(barrier.nWaiting, 0);
});

// ---------------------------------------------------------------------------------------------
// Threads queued behind busy workers: the hub posts each one's job ahead to a busy worker and to
// the first free one, and exactly one copy may run (Control.claim). Short threads in bursts make
// the races likely: a worker running a copy to its end while the hub hands another copy out.

function tick(runs: Int32Array, k: number) {
  Atomics.add(runs, k, 1);
}

// On Deno every thread boots a worker of its own (about 60 ms) and nothing is posted ahead: a few
// rounds check the same invariant there.
const BURST_ROUNDS = onDeno ? 5 : 200;

test(`bursts of 32 short threads: ${BURST_ROUNDS} rounds, each thread runs exactly once`, () => {
  const BURST = 32;
  const runs = new Int32Array(new SharedArrayBuffer(4 * BURST * BURST_ROUNDS));
  for (let round = 0; round < BURST_ROUNDS; round++) {
    const ts = Array.from({ length: BURST }, (_, i) => new Thread({ target: tick, args: [runs, round * BURST + i], daemon: true }));
    for (const t of ts) t.start();
    for (const t of ts) assert.equal(t.join(HEAVY), true, `round ${round}: ${t.name} never ended`);
  }
  const wrong = [...runs.keys()].filter((k) => runs[k] !== 1).map((k) => `thread ${k}: ${runs[k]} runs`);
  assert.deepEqual(wrong, []);
});

// ---------------------------------------------------------------------------------------------
// Threads started at once from several threads: each start() claims a slot of the shared table
// (Control.allocate), and no two may get the same one. Once, two did: the second claimant took
// the slot while the first was still writing its fields, so one thread ran under the other's
// ident and name, and when their daemon flags differed the count of non-daemon threads the main
// thread waits for at exit never got back to 0 (the program hung there).

const STARTERS = 6;
const EACH = 20;

function child(seen: Int32Array, k: number) {
  // What this thread is, as skein's table says: its name's number and its ident.
  const name = currentThread().name;
  Atomics.store(seen, 2 * k, Number(name.slice(name.lastIndexOf("-") + 1)));
  Atomics.store(seen, 2 * k + 1, getIdent());
}

function starter(gate: Int32Array, seen: Int32Array, done: Int32Array, s: number, each: number) {
  Atomics.add(gate, 1, 1);
  Atomics.notify(gate, 1);
  Atomics.wait(gate, 0, 0, 10_000);
  const ts = [];
  for (let i = 0; i < each; i++) {
    const k = s * each + i;
    const t = new Thread({ name: `child-${k}`, target: child, args: [seen, k], daemon: true });
    t.start();
    ts.push(t);
  }
  for (const t of ts) if (!t.join(60_000)) throw new Error(`${t.name} never ended`);
  Atomics.add(done, 0, 1);
}

test(`${STARTERS} threads each start ${EACH} threads at once: every thread runs under its own name and ident`, () => {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  const seen = new Int32Array(new SharedArrayBuffer(8 * STARTERS * EACH)).fill(-1);
  const done = new Int32Array(new SharedArrayBuffer(4));
  const starters = Array.from({ length: STARTERS }, (_, s) => new Thread({ target: starter, args: [gate, seen, done, s, EACH], daemon: true }));
  for (const t of starters) t.start();
  for (let n; (n = Atomics.load(gate, 1)) < STARTERS;) if (Atomics.wait(gate, 1, n, 20_000) === "timed-out") assert.fail("the starters never all arrived");
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  for (const t of starters) assert.equal(t.join(HEAVY), true, `${t.name} never ended`);
  assert.equal(done[0], STARTERS, "a starter failed (its exception is above)");
  const names = Array.from({ length: STARTERS * EACH }, (_, k) => seen[2 * k]);
  assert.deepEqual(names.map((n, k) => (n === k ? null : `child-${k} ran as child-${n}`)).filter(Boolean), []);
  const idents = new Set(Array.from({ length: STARTERS * EACH }, (_, k) => seen[2 * k + 1]));
  assert.equal(idents.size, STARTERS * EACH, "two threads ran under one ident");
});

// The same race at the table itself, on a table of its own (not the one this process runs on, so
// that a failure can't hang it at exit): threads claim and release slots as fast as they can,
// daemon and not, and check that what they wrote is still theirs when they release it.

async function claimer(internal: string, sab: SharedArrayBuffer, gate: Int32Array, out: Int32Array, t: number, rounds: number) {
  const { Control } = await import(internal);
  const control = new Control(sab);
  Atomics.add(gate, 1, 1);
  Atomics.notify(gate, 1);
  Atomics.wait(gate, 0, 0, 10_000);
  let clobbered = 0;
  for (let i = 0; i < rounds; i++) {
    const daemon = (i + t) % 2 === 0;
    const c = control.allocate(`c${t}-${i}`, daemon);
    if (!c) throw new Error("the table is full");
    if (control.ident(c.slot) !== c.ident || control.daemon(c.slot) !== daemon || control.readName(c.slot) !== `c${t}-${i}`) clobbered++;
    if (!control.terminate(c.slot, c.gen)) clobbered++;
  }
  Atomics.store(out, t, clobbered + 1);
}

const INTERNAL = new URL("../dist/internal.js", import.meta.url).href;
const CLAIMERS = 4;

test(`${CLAIMERS} threads claiming slots of one table at once never share one, and the non-daemon count ends at 0`, async () => {
  const { Control } = await import(INTERNAL);
  const table = Control.create();
  const gate = new Int32Array(new SharedArrayBuffer(8));
  const out = new Int32Array(new SharedArrayBuffer(4 * CLAIMERS));
  const ts = Array.from({ length: CLAIMERS }, (_, t) => new Thread({ target: claimer, args: [INTERNAL, table.sab, gate, out, t, 5_000], daemon: true }));
  for (const t of ts) t.start();
  for (let n; (n = Atomics.load(gate, 1)) < CLAIMERS;) if (Atomics.wait(gate, 1, n, 20_000) === "timed-out") assert.fail("the claimers never all arrived");
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  for (const t of ts) assert.equal(t.join(HEAVY), true, `${t.name} never ended`);
  assert.deepEqual([...out], Array(CLAIMERS).fill(1), "claims that found their slot taken over (count + 1; 0: the claimer failed, see above)");
  assert.equal(table.nonDaemonAlive(), 0);
});
