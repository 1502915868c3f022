// Property tests (fast-check): generated sequences of operations on each synchronization
// primitive, checked against a small model of its state: the results of every call (values and
// the errors thrown: RuntimeError, RangeError, TypeError, BrokenBarrierError) and the final
// state. The same sequences then run inside a skein thread on a shared primitive and the main
// thread checks the state they left; and generated workloads are split across real threads,
// checked by an invariant (a sum, an occupancy bound, a conservation law, FIFO wake-ups).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Lock, RLock, RuntimeError, Semaphore, Thread } from "skein";
import { LONG } from "./helpers/bounds.js";
import { enter, shared, waitAtLeast } from "./helpers/cells.js";
import { joined, runAtGate } from "./helpers/threads.js";


// ---------------------------------------------------------------------------------------------
// One interpreter for every primitive. It is a thread target too, so it may use only its
// parameters, globals and imports: the op names are string literals, not module constants.

/** An operation: a method name (see applyOps) and a numeric argument. */
type Op = [string, number];

/**
 * Runs ops on p (lock: p itself for an RLock, the lock under p for a Condition, else null) and writes
 * out[2i] = status (0 returned, -1 RuntimeError, -2 RangeError, -3 TypeError,
 * -4 BrokenBarrierError, -5 anything else) and out[2i+1] = what it returned (true 1, false 0,
 * nothing 0, numbers as they are). The last word of out is set to 1 when all ops ran.
 */
function applyOps(p: any, lock: any, ops: Array<[string, number]>, out: Int32Array) {
  const depthOf = (l: unknown) => {
    const m = /count=(\d+)/.exec(String(l));
    return m ? Number(m[1]) : -1;
  };
  for (let i = 0; i < ops.length; i++) {
    const [m, a] = ops[i]!;
    let status = 0;
    let value = 0;
    try {
      let r: unknown;
      switch (m) {
        case "acquire": r = p.acquire(true, 10_000); break; // planned only where it can't block
        case "acquireNB": r = p.acquire(false); break;
        case "acquireT": r = p.acquire(true, a); break;
        case "acquireBad": r = p.acquire(false, a); break; // a timeout with blocking = false
        case "release": r = p.release(); break;
        case "releaseN": r = p.release(a); break;
        case "releaseStr": r = p.release(String(a)); break;
        case "locked": r = (lock ?? p).locked(); break;
        case "value": r = p.value; break;
        case "depth": r = depthOf(lock ?? p); break;
        case "hold": {
          const h = p.hold();
          r = typeof p.value === "number" ? p.value : lock ? depthOf(lock) : p.locked(); // value, depth or locked inside
          h[Symbol.dispose]();
          break;
        }
        case "set": r = p.set(); break;
        case "clear": r = p.clear(); break;
        case "isSet": r = p.isSet(); break;
        case "wait": r = p.wait(a); break;
        case "waitStr": r = p.wait(String(a)); break;
        case "waitForTrue": r = p.waitFor(() => true, a); break;
        case "waitForFalse": r = p.waitFor(() => false, a); break;
        case "notify": r = p.notify(a); break;
        case "notifyAll": r = p.notifyAll(); break;
        case "reset": r = p.reset(); break;
        case "abort": r = p.abort(); break;
        case "broken": r = p.broken; break;
        case "nWaiting": r = p.nWaiting; break;
        default: throw new Error(`unknown op ${m}`);
      }
      value = r === true ? 1 : r === false || r === undefined ? 0 : Number(r);
    } catch (e) {
      status =
        e instanceof BrokenBarrierError ? -4
        : e instanceof RuntimeError ? -1
        : e instanceof RangeError ? -2
        : e instanceof TypeError ? -3
        : -5;
    }
    out[2 * i] = status;
    out[2 * i + 1] = value;
  }
  out[out.length - 1] = 1;
}

const OK = 0;
const RUNTIME = -1;
const RANGE = -2;
const TYPE = -3;
const BROKEN = -4;
const STATUS_NAME: Record<number, string> = { [OK]: "ok", [RUNTIME]: "RuntimeError", [RANGE]: "RangeError", [TYPE]: "TypeError", [BROKEN]: "BrokenBarrierError", [-5]: "other error" };

type Outcome = [status: number, value: number];
const ok = (v: number | boolean = 0): Outcome => [OK, Number(v)];
const err = (status: number): Outcome => [status, 0];

/** A model plans each op: what to really run (an acquire that would block becomes a 1 ms try) and what it must do. */
interface Model {
  plan(op: Op): [Op, Outcome];
}

function planAll(model: Model, ops: Op[]): { run: Op[]; expected: Outcome[] } {
  const run: Op[] = [];
  const expected: Outcome[] = [];
  for (const op of ops) {
    const [r, e] = model.plan(op);
    run.push(r);
    expected.push(e);
  }
  return { run, expected };
}

function show(ops: Op[], outcomes: Outcome[]): string[] {
  return ops.map(([m, a], i) => `${i}: ${m}(${a}) -> ${outcomes[i]![0] === OK ? outcomes[i]![1] : STATUS_NAME[outcomes[i]![0]]}`);
}

function outcomesOf(out: Int32Array, n: number): Outcome[] {
  return Array.from({ length: n }, (_, i) => [out[2 * i]!, out[2 * i + 1]!] as Outcome);
}

/** Runs the planned ops in this thread and compares every outcome with the model's. */
function checkHere(p: unknown, lock: unknown, model: Model, ops: Op[]): void {
  const { run, expected } = planAll(model, ops);
  const out = shared(2 * run.length + 1);
  applyOps(p, lock, run, out);
  assert.equal(out[2 * run.length], 1);
  assert.deepEqual(show(run, outcomesOf(out, run.length)), show(run, expected));
}

/** The same, but the ops run in a skein thread on the shared primitive. */
function checkInThread(p: unknown, lock: unknown, model: Model, ops: Op[]): void {
  const { run, expected } = planAll(model, ops);
  const out = shared(2 * run.length + 1);
  const t = new Thread({ target: applyOps, args: [p, lock, run, out], daemon: true });
  t.start();
  joined(t);
  assert.equal(out[2 * run.length], 1, "the thread died before running every op (see stderr)");
  assert.deepEqual(show(run, outcomesOf(out, run.length)), show(run, expected));
}

// ---------------------------------------------------------------------------------------------
// Models

class LockModel implements Model {
  locked = false;
  plan(op: Op): [Op, Outcome] {
    const [m, a] = op;
    switch (m) {
      case "acquire":
        if (this.locked) return [["acquireT", 1], ok(false)]; // would block: try for 1 ms instead
        this.locked = true;
        return [op, ok(true)];
      case "acquireNB":
      case "acquireT": {
        if (m === "acquireT" && a < 0 && a !== -1) return [op, err(RANGE)]; // only -1 means forever
        if (this.locked) return [op, ok(false)];
        this.locked = true;
        return [op, ok(true)];
      }
      case "acquireBad":
        return [op, err(RANGE)];
      case "release":
        if (!this.locked) return [op, err(RUNTIME)];
        this.locked = false;
        return [op, ok()];
      case "locked":
        return [op, ok(this.locked)];
      case "hold":
        if (this.locked) return [["locked", 0], ok(true)]; // would block
        return [op, ok(true)];
    }
    throw new Error(`LockModel: no op ${m}`);
  }
}

/** An RLock as seen by the one thread using it: every acquire succeeds, at any depth. */
class RLockModel implements Model {
  depth = 0;
  plan(op: Op): [Op, Outcome] {
    const [m, a] = op;
    switch (m) {
      case "acquire":
      case "acquireNB":
      case "acquireT":
        if (m === "acquireT" && a < 0 && a !== -1) return [op, err(RANGE)];
        this.depth++;
        return [op, ok(true)];
      case "acquireBad":
        return [op, err(RANGE)];
      case "release":
        if (this.depth === 0) return [op, err(RUNTIME)];
        this.depth--;
        return [op, ok()];
      case "locked":
        return [op, ok(this.depth > 0)];
      case "depth":
        return [op, ok(this.depth)];
      case "hold":
        return [op, ok(this.depth + 1)];
    }
    throw new Error(`RLockModel: no op ${m}`);
  }
}

class SemaphoreModel implements Model {
  constructor(
    public value: number,
    readonly bound: number | null,
  ) {}
  plan(op: Op): [Op, Outcome] {
    const [m, a] = op;
    switch (m) {
      case "acquire":
        if (this.value === 0) return [["acquireT", 1], ok(false)];
        this.value--;
        return [op, ok(true)];
      case "acquireNB":
      case "acquireT": // a negative timeout means "don't wait", as in Python's Semaphore
        if (this.value === 0) return [op, ok(false)];
        this.value--;
        return [op, ok(true)];
      case "acquireBad":
        return [op, err(RANGE)];
      case "release":
      case "releaseN": {
        const n = m === "release" ? 1 : a;
        if (!Number.isInteger(n) || n < 1) return [op, err(RANGE)];
        if (this.bound !== null && this.value + n > this.bound) return [op, err(RANGE)];
        this.value += n;
        return [op, ok()];
      }
      case "releaseStr":
        return [op, err(TYPE)];
      case "value":
        return [op, ok(this.value)];
      case "hold":
        if (this.value === 0) return [["value", 0], ok(0)]; // would block
        return [op, ok(this.value - 1)];
    }
    throw new Error(`SemaphoreModel: no op ${m}`);
  }
}

class EventModel implements Model {
  flag = false;
  plan(op: Op): [Op, Outcome] {
    const [m, a] = op;
    switch (m) {
      case "set":
        this.flag = true;
        return [op, ok()];
      case "clear":
        this.flag = false;
        return [op, ok()];
      case "isSet":
        return [op, ok(this.flag)];
      case "wait": // planned only with timeouts <= 1 ms: waits out the timeout when unset
        return [op, Number.isNaN(a) ? err(RANGE) : ok(this.flag)];
      case "waitStr":
        return [op, err(TYPE)];
    }
    throw new Error(`EventModel: no op ${m}`);
  }
}

/**
 * A Condition over an RLock (depth) or a Lock (held or not), used by one thread. Ownership rules
 * are Python's: wait and notify need the lock, and for a plain Lock "owned" can only mean "held
 * by somebody". wait(0) with the lock held times out (nobody notifies) and keeps the lock as it was.
 */
class ConditionModel implements Model {
  depth = 0;
  constructor(readonly reentrant: boolean) {}
  get owned(): boolean {
    return this.depth > 0;
  }
  plan(op: Op): [Op, Outcome] {
    const [m, a] = op;
    switch (m) {
      case "acquire":
        if (!this.reentrant && this.owned) return [["acquireT", 1], ok(false)];
        this.depth++;
        return [op, ok(true)];
      case "acquireNB":
        if (!this.reentrant && this.owned) return [op, ok(false)];
        this.depth++;
        return [op, ok(true)];
      case "release":
        if (!this.owned) return [op, err(RUNTIME)];
        this.depth--;
        return [op, ok()];
      case "locked":
        return [op, ok(this.owned)];
      case "depth":
        return [op, ok(this.reentrant ? this.depth : -1)];
      case "wait":
        return [op, this.owned ? ok(false) : err(RUNTIME)];
      case "waitForTrue": // the predicate is checked first, lock or no lock, as in Python
        return [op, ok(true)];
      case "waitForFalse":
        return [op, this.owned ? ok(false) : err(RUNTIME)];
      case "notify":
      case "notifyAll":
        return [op, this.owned ? ok() : err(RUNTIME)];
    }
    throw new Error(`ConditionModel: no op ${m}`);
  }
}

/** A Barrier used by one thread: with more than one party a wait can only time out and break it. */
class BarrierModel implements Model {
  broken = false;
  constructor(readonly parties: number) {}
  plan(op: Op): [Op, Outcome] {
    const [m] = op;
    switch (m) {
      case "wait":
        if (this.broken) return [op, err(BROKEN)];
        if (this.parties === 1) return [op, ok(0)];
        this.broken = true;
        return [op, err(BROKEN)];
      case "reset":
        this.broken = false;
        return [op, ok()];
      case "abort":
        this.broken = true;
        return [op, ok()];
      case "broken":
        return [op, ok(this.broken)];
      case "nWaiting":
        return [op, ok(0)];
    }
    throw new Error(`BarrierModel: no op ${m}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generated operations

const op = (m: string, ...args: number[]) => fc.constantFrom(...(args.length ? args : [0]).map((a) => [m, a] as Op));

const lockOps = fc.array(
  fc.oneof(
    { arbitrary: op("acquireNB"), weight: 3 },
    { arbitrary: op("acquire"), weight: 3 },
    { arbitrary: op("acquireT", 0, -2, -0.5), weight: 1 },
    { arbitrary: op("acquireBad", 0, 5), weight: 1 },
    { arbitrary: op("release"), weight: 4 },
    { arbitrary: op("locked"), weight: 2 },
    { arbitrary: op("hold"), weight: 1 },
  ),
  { maxLength: 40 },
);

const rlockOps = fc.array(
  fc.oneof(
    { arbitrary: op("acquire"), weight: 3 },
    { arbitrary: op("acquireNB"), weight: 2 },
    { arbitrary: op("acquireT", 0, 5, -2), weight: 1 },
    { arbitrary: op("acquireBad", 0), weight: 1 },
    { arbitrary: op("release"), weight: 5 },
    { arbitrary: op("locked"), weight: 1 },
    { arbitrary: op("depth"), weight: 2 },
    { arbitrary: op("hold"), weight: 1 },
  ),
  { maxLength: 40 },
);

const semOps = fc.array(
  fc.oneof(
    { arbitrary: op("acquireNB"), weight: 3 },
    { arbitrary: op("acquire"), weight: 2 },
    { arbitrary: op("acquireT", 0, -3), weight: 1 },
    { arbitrary: op("acquireBad", 0, 2), weight: 1 },
    { arbitrary: op("release"), weight: 2 },
    { arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ["releaseN", n] as Op), weight: 3 },
    { arbitrary: op("releaseN", 0, -1, 1.5, Number.NaN), weight: 1 },
    { arbitrary: op("releaseStr", 1), weight: 1 },
    { arbitrary: op("value"), weight: 2 },
    { arbitrary: op("hold"), weight: 1 },
  ),
  { maxLength: 40 },
);

const eventOps = fc.array(
  fc.oneof(
    { arbitrary: op("set"), weight: 3 },
    { arbitrary: op("clear"), weight: 3 },
    { arbitrary: op("isSet"), weight: 2 },
    { arbitrary: op("wait", 0, -1), weight: 3 },
    { arbitrary: op("wait", 1), weight: 1 },
    { arbitrary: op("wait", Number.NaN), weight: 1 },
    { arbitrary: op("waitStr", 0), weight: 1 },
  ),
  { maxLength: 40 },
);

const conditionOps = fc.array(
  fc.oneof(
    { arbitrary: op("acquire"), weight: 3 },
    { arbitrary: op("acquireNB"), weight: 1 },
    { arbitrary: op("release"), weight: 4 },
    { arbitrary: op("locked"), weight: 1 },
    { arbitrary: op("depth"), weight: 1 },
    { arbitrary: op("wait", 0, -1), weight: 2 },
    { arbitrary: op("waitForTrue", 0), weight: 1 },
    { arbitrary: op("waitForFalse", 0, 1), weight: 1 },
    { arbitrary: op("notify", 0, 1, 3), weight: 2 },
    { arbitrary: op("notifyAll"), weight: 1 },
  ),
  { maxLength: 30 },
);

const barrierOps = fc.array(
  fc.oneof(
    { arbitrary: op("wait", 0), weight: 3 },
    { arbitrary: op("reset"), weight: 2 },
    { arbitrary: op("abort"), weight: 1 },
    { arbitrary: op("broken"), weight: 2 },
    { arbitrary: op("nWaiting"), weight: 1 },
  ),
  { maxLength: 30 },
);

const SINGLE_RUNS = 200;
const THREAD_RUNS = 40;

// ---------------------------------------------------------------------------------------------
// Single thread: every call's result and error match the model.

test("property: Lock matches its model (acquire(false)/acquire/timeouts/release/locked/hold)", () => {
  fc.assert(
    fc.property(lockOps, (ops) => {
      const lock = new Lock();
      const model = new LockModel();
      checkHere(lock, null, model, ops);
      assert.equal(lock.locked(), model.locked);
    }),
    { numRuns: SINGLE_RUNS, includeErrorInReport: true },
  );
});

test("property: RLock matches its model (recursion depth, owner-only release, over-release is a RuntimeError)", () => {
  fc.assert(
    fc.property(rlockOps, (ops) => {
      const lock = new RLock();
      const model = new RLockModel();
      checkHere(lock, lock, model, ops);
      assert.equal(lock.locked(), model.depth > 0);
    }),
    { numRuns: SINGLE_RUNS, includeErrorInReport: true },
  );
});

test("property: Semaphore and BoundedSemaphore match their model (value, release(n), RangeError past the bound)", () => {
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 0, max: 5 }), semOps, (bounded, initial, ops) => {
      const sem = bounded ? new BoundedSemaphore(initial) : new Semaphore(initial);
      const model = new SemaphoreModel(initial, bounded ? initial : null);
      checkHere(sem, null, model, ops);
      assert.equal(sem.value, model.value);
    }),
    { numRuns: SINGLE_RUNS, includeErrorInReport: true },
  );
});

test("property: Event matches its model (set/clear/isSet/wait)", () => {
  fc.assert(
    fc.property(eventOps, (ops) => {
      const ev = new Event();
      const model = new EventModel();
      checkHere(ev, null, model, ops);
      assert.equal(ev.isSet(), model.flag);
    }),
    { numRuns: SINGLE_RUNS, includeErrorInReport: true },
  );
});

test("property: Condition over an RLock or a Lock matches its model (ownership rules, wait(0) keeps the lock)", () => {
  fc.assert(
    fc.property(fc.boolean(), conditionOps, (reentrant, ops) => {
      const lock = reentrant ? new RLock() : new Lock();
      const cond = new Condition(lock);
      const model = new ConditionModel(reentrant);
      checkHere(cond, lock, model, ops);
      assert.equal(lock.locked(), model.owned);
    }),
    { numRuns: SINGLE_RUNS, includeErrorInReport: true },
  );
});

test("property: Barrier matches its model (a lone wait times out and breaks it; reset/abort/broken)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3 }), barrierOps, (parties, ops) => {
      const barrier = new Barrier(parties);
      const model = new BarrierModel(parties);
      checkHere(barrier, null, model, ops);
      assert.equal(barrier.broken, model.broken);
    }),
    { numRuns: SINGLE_RUNS, includeErrorInReport: true },
  );
});

test(
  "property: Condition.waitFor with a false predicate and timeout <= 0 on an un-acquired Condition is a RuntimeError",
  () => {
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(0, -1, -100), (reentrant, timeout) => {
        const cond = new Condition(reentrant ? new RLock() : new Lock());
        assert.throws(() => cond.waitFor(() => false, timeout), RuntimeError);
      }),
      { numRuns: 20, includeErrorInReport: true },
    );
  },
);

test(
  "property: Semaphore.release(n) never wraps the value past 2**31 - 1",
  () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer({ min: 1, max: 0x7fffffff }), (initial, n) => {
        const sem = new Semaphore(initial);
        if (initial + n <= 0x7fffffff) {
          // Room for it: the release goes through (it must not be refused either).
          sem.release(n);
          assert.equal(sem.value, initial + n, `Semaphore(${initial}).release(${n})`);
        } else {
          // Past 2**31 - 1: a RangeError, and the value is untouched (not wrapped, not clamped).
          assert.throws(() => sem.release(n), RangeError, `Semaphore(${initial}).release(${n})`);
          assert.equal(sem.value, initial, `Semaphore(${initial}).release(${n}) changed the value`);
        }
      }),
      { numRuns: 100, includeErrorInReport: true },
    );
    // The edge itself: up to 2**31 - 1 exactly, and not one more.
    const edge = new Semaphore(0x7fffffff - 2);
    edge.release(2);
    assert.equal(edge.value, 0x7fffffff);
    assert.throws(() => edge.release(1), RangeError);
    assert.equal(edge.value, 0x7fffffff);
  },
);

// ---------------------------------------------------------------------------------------------
// Across threads: the ops run in a skein thread on a shared primitive; the main thread checks
// each result and then the state the thread left behind, from outside.

test("property across threads: a Lock's final state, seen from the main thread, matches the model", () => {
  fc.assert(
    fc.property(lockOps, (ops) => {
      const lock = new Lock();
      const model = new LockModel();
      checkInThread(lock, null, model, ops);
      assert.equal(lock.locked(), model.locked);
      // Any thread may release a Lock, as in Python.
      if (model.locked) lock.release();
      else assert.throws(() => lock.release(), RuntimeError);
      assert.equal(lock.acquire(false), true);
    }),
    { numRuns: THREAD_RUNS, includeErrorInReport: true },
  );
});

test("property across threads: an RLock left held by another thread can't be taken or released by the main thread", () => {
  fc.assert(
    fc.property(rlockOps, (ops) => {
      const lock = new RLock();
      const model = new RLockModel();
      checkInThread(lock, lock, model, ops);
      assert.equal(lock.locked(), model.depth > 0);
      assert.match(String(lock), new RegExp(`count=${model.depth}>`));
      // Not the owner: release is always a RuntimeError, whatever the depth.
      assert.throws(() => lock.release(), RuntimeError);
      assert.equal(lock.acquire(false), model.depth === 0);
    }),
    { numRuns: THREAD_RUNS, includeErrorInReport: true },
  );
});

test("property across threads: a Semaphore's value after another thread's ops matches the model", () => {
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 0, max: 5 }), semOps, (bounded, initial, ops) => {
      const sem = bounded ? new BoundedSemaphore(initial) : new Semaphore(initial);
      const model = new SemaphoreModel(initial, bounded ? initial : null);
      checkInThread(sem, null, model, ops);
      assert.equal(sem.value, model.value);
    }),
    { numRuns: THREAD_RUNS, includeErrorInReport: true },
  );
});

test("property across threads: an Event's flag after another thread's ops matches the model", () => {
  fc.assert(
    fc.property(eventOps, (ops) => {
      const ev = new Event();
      const model = new EventModel();
      checkInThread(ev, null, model, ops);
      assert.equal(ev.isSet(), model.flag);
      assert.equal(ev.wait(0), model.flag);
    }),
    { numRuns: THREAD_RUNS, includeErrorInReport: true },
  );
});

test("property across threads: a Condition's lock state after another thread's ops matches the model", () => {
  fc.assert(
    fc.property(fc.boolean(), conditionOps, (reentrant, ops) => {
      const lock = reentrant ? new RLock() : new Lock();
      const cond = new Condition(lock);
      const model = new ConditionModel(reentrant);
      checkInThread(cond, lock, model, ops);
      assert.equal(lock.locked(), model.owned);
      if (reentrant || !model.owned) {
        // An RLock held by another thread is not ours; an unheld lock is nobody's.
        assert.throws(() => cond.notify(), RuntimeError);
      } else {
        // A plain Lock can't tell who holds it: "held by someone" counts as owned, as in Python.
        cond.notify();
      }
    }),
    { numRuns: THREAD_RUNS, includeErrorInReport: true },
  );
});

test("property across threads: a Barrier broken or reset by another thread looks the same from the main thread", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3 }), barrierOps, (parties, ops) => {
      const barrier = new Barrier(parties);
      const model = new BarrierModel(parties);
      checkInThread(barrier, null, model, ops);
      assert.equal(barrier.broken, model.broken);
      if (model.broken) assert.throws(() => barrier.wait(0), BrokenBarrierError);
      else if (parties === 1) assert.equal(barrier.wait(), 0);
    }),
    { numRuns: THREAD_RUNS, includeErrorInReport: true },
  );
});

// ---------------------------------------------------------------------------------------------
// Across threads: a generated workload split between threads, checked by an invariant.

function lockedAdds(gate: Int32Array, counter: Int32Array, done: Int32Array, lock: Lock | RLock, n: number, depth: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < depth; d++) lock.acquire();
    const v = counter[0]!;
    counter[0] = v + 1;
    for (let d = 0; d < depth; d++) lock.release();
  }
  Atomics.add(done, 0, 1);
}

test("property across threads: increments split between threads under a Lock or RLock sum exactly", () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 2, maxLength: 6 }),
      fc.integer({ min: 1, max: 3 }),
      (reentrant, counts, depth) => {
        const lock = reentrant ? new RLock() : new Lock();
        const d = reentrant ? depth : 1;
        const gate = shared(1);
        const counter = shared(1);
        const done = shared(1);
        runAtGate(counts.map((n) => new Thread({ target: lockedAdds, args: [gate, counter, done, lock, n, d], daemon: true })), gate);
        assert.equal(done[0], counts.length, "a thread died (see stderr)");
        assert.equal(counter[0], counts.reduce((a, b) => a + b, 0));
        assert.equal(lock.locked(), false);
      },
    ),
    { numRuns: 25, includeErrorInReport: true },
  );
});

/** stats: 0 done, 1 inside now, 2 max inside, 3 entries, 4 timed out. */
function occupy(gate: Int32Array, stats: Int32Array, sem: Semaphore, n: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) {
    if (!sem.acquire(true, 10_000)) {
      Atomics.add(stats, 4, 1);
      continue;
    }
    enter(stats, 1, 2);
    Atomics.add(stats, 3, 1);
    Atomics.sub(stats, 1, 1);
    sem.release();
  }
  Atomics.add(stats, 0, 1);
}

test("property across threads: Semaphore(k) never lets more than k threads in, whatever k and the load", () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 2, maxLength: 6 }),
      (bounded, k, loads) => {
        const sem = bounded ? new BoundedSemaphore(k) : new Semaphore(k);
        const gate = shared(1);
        const stats = shared(5);
        runAtGate(loads.map((n) => new Thread({ target: occupy, args: [gate, stats, sem, n], daemon: true })), gate);
        assert.equal(stats[0], loads.length, "a thread died (see stderr)");
        assert.equal(stats[4], 0, "a bounded acquire timed out");
        assert.ok(stats[2]! <= k, `${stats[2]} threads inside a Semaphore(${k})`);
        assert.equal(stats[3], loads.reduce((a, b) => a + b, 0));
        assert.equal(sem.value, k);
      },
    ),
    { numRuns: 25, includeErrorInReport: true },
  );
});

/** Producers release generated batches; consumers take generated counts, blocking until they can. */
function releaser(gate: Int32Array, done: Int32Array, sem: Semaphore, batches: number[]) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (const n of batches) sem.release(n);
  Atomics.add(done, 0, 1);
}

function taker(gate: Int32Array, done: Int32Array, timedOut: Int32Array, sem: Semaphore, n: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < n; i++) if (!sem.acquire(true, 10_000)) Atomics.add(timedOut, 0, 1);
  Atomics.add(done, 0, 1);
}

test("property across threads: permits are conserved, value = initial + released - acquired, and blocked takers all get theirs", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 50 }), { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      (initial, producers, weights) => {
        const released = producers.flat().reduce((a, b) => a + b, 0);
        // Split at most everything there will be between the takers, so none can starve.
        const supply = initial + released;
        const totalW = weights.reduce((a, b) => a + b, 0) || 1;
        const takes = weights.map((w) => Math.floor((supply * w) / totalW));
        const taken = takes.reduce((a, b) => a + b, 0);
        const sem = new Semaphore(initial);
        const gate = shared(1);
        const done = shared(1);
        const timedOut = shared(1);
        const threads = [
          ...takes.map((n) => new Thread({ target: taker, args: [gate, done, timedOut, sem, n], daemon: true })),
          ...producers.map((b) => new Thread({ target: releaser, args: [gate, done, sem, b], daemon: true })),
        ];
        runAtGate(threads, gate);
        assert.equal(done[0], threads.length, "a thread died (see stderr)");
        assert.equal(timedOut[0], 0, "a taker starved although enough permits were released");
        assert.equal(sem.value, supply - taken);
      },
    ),
    { numRuns: 30, includeErrorInReport: true },
  );
});

/** log: per round r, word r is a bitmap of indices; word rounds is duplicates, rounds + 1 done. */
function party(gate: Int32Array, log: Int32Array, barrier: Barrier, rounds: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let r = 0; r < rounds; r++) {
    const bit = 1 << barrier.wait(10_000);
    if (Atomics.or(log, r, bit) & bit) Atomics.add(log, rounds, 1);
  }
  Atomics.add(log, rounds + 1, 1);
}

test("property across threads: Barrier(n) hands out each index 0..n-1 exactly once per round", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 40 }), (parties, rounds) => {
      const barrier = new Barrier(parties);
      const gate = shared(1);
      const log = shared(rounds + 2);
      runAtGate(Array.from({ length: parties }, () => new Thread({ target: party, args: [gate, log, barrier, rounds], daemon: true })), gate);
      assert.equal(log[rounds + 1], parties, "a party died (see stderr)");
      assert.equal(log[rounds], 0, "an index was handed out twice in a round");
      for (let r = 0; r < rounds; r++) assert.equal(log[r], (1 << parties) - 1, `round ${r}`);
      assert.equal(barrier.broken, false);
    }),
    { numRuns: 25, includeErrorInReport: true },
  );
});

/**
 * A waiter: queues on the Condition, then records when it woke (the phase the main thread had
 * announced) and whether wait() said it was notified. slot words: 0 queued, 1 phase at wake-up,
 * 2 notified (1) or timed out (2). ctl words: 0 waiters queued so far, 1 phase, 2 woken so far.
 */
function waiter(ctl: Int32Array, slot: Int32Array, cond: Condition) {
  cond.acquire();
  try {
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    slot[0] = 1;
    const notified = cond.wait(10_000);
    slot[1] = Atomics.load(ctl, 1);
    slot[2] = notified ? 1 : 2;
    Atomics.add(ctl, 2, 1);
    Atomics.notify(ctl, 2);
  } finally {
    cond.release();
  }
}

test("property across threads: notify(k) wakes exactly the k longest-waiting threads (FIFO), notifyAll the rest", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 8 }), fc.boolean(), (w, k, reentrant) => {
      const cond = new Condition(reentrant ? new RLock() : new Lock());
      const ctl = shared(3);
      const slots = Array.from({ length: w }, () => shared(3));
      const threads = slots.map((s) => new Thread({ target: waiter, args: [ctl, s, cond], daemon: true }));
      // Queue the waiters one at a time, so thread i is the i-th longest waiting. A waiter counts
      // itself with the lock held and releases it only inside wait(), so once the main thread
      // holds the lock and sees the count, that waiter is queued.
      threads.forEach((t, i) => {
        t.start();
        waitAtLeast(ctl, 0, i + 1, LONG, `waiter ${i} to queue`);
        cond.acquire();
        cond.release();
      });
      cond.acquire();
      Atomics.store(ctl, 1, 1);
      cond.notify(k);
      cond.release();
      const first = Math.min(k, w);
      waitAtLeast(ctl, 2, first, LONG, `${first} waiters to wake after notify(${k})`);
      cond.acquire();
      Atomics.store(ctl, 1, 2);
      cond.notifyAll();
      cond.release();
      for (const t of threads) joined(t);
      assert.equal(ctl[2], w);
      const phases = slots.map((s) => s[1]);
      assert.deepEqual(phases, slots.map((_, i) => (i < first ? 1 : 2)), `notify(${k}) with ${w} waiting woke: ${phases}`);
      assert.deepEqual(slots.map((s) => s[2]), slots.map(() => 1), "every wait() returned notified");
    }),
    { numRuns: 25, includeErrorInReport: true },
  );
});
