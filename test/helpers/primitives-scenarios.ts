// Code for the primitives suites (test/primitives-*.test.ts: the OUTCOME codes, the two-party
// exchange of primitives-created-anywhere, the timed calls of primitives-timeouts) that must run
// unchanged in whichever thread a primitive lands: every export here is self-contained (it uses
// only its parameters, globals and the imports of this module), so a thread can start another
// thread with it as a target, and it behaves the same in the main thread. Module-level constants
// can't be used inside them (they don't travel), so the shared-array layout below is spelled out
// as literal indices.
import { Barrier, BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore } from "skein";

export const KINDS = ["Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event", "Barrier"] as const;
export type Kind = (typeof KINDS)[number];

/**
 * Outcome codes written into shared memory: what a call returned or threw.
 * 1 true, 2 false, 9 undefined/other, 10 + n a number n; errors: 3 RuntimeError, 4 RangeError,
 * 5 TypeError, 6 BrokenBarrierError, 7 anything else.
 */
export const OUTCOME = { true: 1, false: 2, RuntimeError: 3, RangeError: 4, TypeError: 5, BrokenBarrierError: 6, otherError: 7, other: 9 } as const;

/** The outcome code of calling fn (see OUTCOME). */
export function outcome(fn: () => unknown): number {
  try {
    const v = fn();
    if (v === true) return 1;
    if (v === false) return 2;
    if (typeof v === "number") return 10 + v;
    return 9;
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    if (name === "BrokenBarrierError") return 6;
    if (name === "RuntimeError") return 3;
    if (name === "RangeError") return 4;
    if (name === "TypeError") return 5;
    return 7;
  }
}

/**
 * A fresh primitive of a kind; the Barrier (2 parties) gets an action that counts rounds in
 * cell 31 of the array its participants publish as globalThis.__skeinPrimitivesOut.
 */
export function makePrimitive(kind: string): unknown {
  switch (kind) {
    case "Lock": return new Lock();
    case "RLock": return new RLock();
    case "Condition": return new Condition();
    case "Semaphore": return new Semaphore(1);
    case "BoundedSemaphore": return new BoundedSemaphore(1);
    case "Event": return new Event();
    case "Barrier":
      return new Barrier(2, function countRound() {
        const out = (globalThis as any).__skeinPrimitivesOut as Int32Array;
        Atomics.add(out, 31, 1);
      });
  }
  throw new Error(`unknown kind ${kind}`);
}

/**
 * One side (role 0 = "X", role 1 = "Y") of a two-party exchange over primitive p, run in two
 * different threads. The sides take turns through a step counter (cell 0); each records what it
 * saw as codes (1 true, 2 false, 3 RuntimeError, 4 RangeError, 9 no error, 10 + n a number) in
 * its own region: cells 4.. for X, 16.. for Y. Cell 1 counts sides that finished, cell 2 is
 * non-zero if a side threw. Barrier: cells 28..30 OR together the indices each round handed out,
 * cell 31 counts actions. Every wait is bounded, so a broken primitive fails fast.
 */
export function scenario(kind: string, p: any, role: number, out: Int32Array): void {
  const step = (n: number) => {
    Atomics.store(out, 0, n);
    Atomics.notify(out, 0);
  };
  const waitStep = (n: number) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const v = Atomics.load(out, 0);
      if (v >= n) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${kind} scenario, role ${role}: timed out waiting for step ${n} (at ${v})`);
      Atomics.wait(out, 0, v, left);
    }
  };
  const put = (i: number, v: number) => Atomics.store(out, 4 + role * 12 + i, v);
  const b = (v: boolean) => (v ? 1 : 2);
  const err = (fn: () => unknown) => {
    try {
      fn();
      return 9;
    } catch (e) {
      const name = (e as Error).name;
      return name === "RuntimeError" ? 3 : name === "RangeError" ? 4 : name === "TypeError" ? 5 : 7;
    }
  };
  const X = role === 0;
  try {
    switch (kind) {
      case "Lock":
        if (X) {
          p.acquire();
          step(1);
          waitStep(2);
          p.release();
          waitStep(3);
          put(0, b(p.locked()));
          put(1, b(p.acquire(false)));
          p.release();
          put(2, b(p.locked()));
          step(4);
        } else {
          waitStep(1);
          put(0, b(p.locked()));
          put(1, b(p.acquire(false)));
          step(2);
          put(2, b(p.acquire(true, 10_000)));
          put(3, b(p.locked()));
          p.release();
          step(3);
          waitStep(4);
          put(4, b(p.locked()));
        }
        break;
      case "RLock":
        if (X) {
          p.acquire();
          p.acquire();
          step(1);
          waitStep(2);
          p.release();
          put(0, b(p.locked()));
          p.release();
          put(1, b(p.locked()));
          step(3);
          waitStep(4);
          put(2, b(p.acquire(false)));
          put(3, err(() => p.release()));
          step(5);
          waitStep(6);
          put(4, b(p.acquire(false)));
          p.release();
        } else {
          waitStep(1);
          put(0, b(p.locked()));
          put(1, b(p.acquire(false)));
          put(2, err(() => p.release()));
          step(2);
          waitStep(3);
          put(3, b(p.acquire(false)));
          put(4, b(p.acquire(false)));
          p.release();
          put(5, b(p.locked()));
          step(4);
          waitStep(5);
          p.release();
          put(6, b(p.locked()));
          step(6);
        }
        break;
      case "Condition":
        if (X) {
          put(0, err(() => p.wait(0)));
          waitStep(1);
          {
            // Y held the lock from step 1 until its wait released it: Y is waiting now.
            using _ = p.hold();
            p.notify();
          }
          {
            using _ = p.hold();
            step(2);
            put(1, b(p.waitFor(() => Atomics.load(out, 3) === 1, 10_000)));
          }
        } else {
          put(0, err(() => p.notify()));
          {
            using _ = p.hold();
            step(1);
            put(1, b(p.wait(10_000)));
          }
          waitStep(2);
          {
            using _ = p.hold();
            Atomics.store(out, 3, 1);
            p.notifyAll();
          }
        }
        break;
      case "Semaphore":
      case "BoundedSemaphore":
        if (X) {
          put(0, b(p.acquire()));
          step(1);
          waitStep(2);
          p.release();
          waitStep(3);
          put(1, 10 + p.value);
          put(2, err(() => p.release()));
          put(3, 10 + p.value);
        } else {
          waitStep(1);
          put(0, 10 + p.value);
          put(1, b(p.acquire(false)));
          step(2);
          put(2, b(p.acquire(true, 10_000)));
          put(3, 10 + p.value);
          p.release();
          step(3);
        }
        break;
      case "Event":
        if (X) {
          waitStep(1);
          put(0, b(p.wait(0)));
          p.set();
          waitStep(2);
          put(1, b(p.isSet()));
          put(2, b(p.wait(0)));
        } else {
          step(1);
          put(0, b(p.wait(10_000)));
          put(1, b(p.isSet()));
          p.clear();
          step(2);
        }
        break;
      case "Barrier":
        (globalThis as any).__skeinPrimitivesOut = out;
        for (let r = 0; r < 3; r++) {
          const index = p.wait(10_000) as number;
          Atomics.or(out, 28 + r, 1 << index);
          // The round's action ran before anyone was let through.
          put(r, b(Atomics.load(out, 31) >= r + 1));
        }
        put(3, 10 + p.parties);
        put(4, b(p.broken));
        break;
      default:
        throw new Error(`unknown kind ${kind}`);
    }
  } catch (e) {
    Atomics.store(out, 2, 1 + role);
    step(1000); // let the other side run on instead of waiting out its bound
    throw e;
  } finally {
    Atomics.add(out, 1, 1);
    Atomics.notify(out, 1);
  }
}

/** What each side of scenario() must record, whichever threads run it: [X's cells, Y's cells]. */
export function expectedScenario(kind: Kind): [number[], number[]] {
  const T = 1, F = 2, RUNTIME = 3, RANGE = 4, NONE = 9;
  switch (kind) {
    case "Lock": return [[F, T, F], [T, F, T, T, F]];
    case "RLock": return [[T, F, F, RUNTIME, T], [T, F, RUNTIME, T, T, T, F]];
    case "Condition": return [[RUNTIME, T], [RUNTIME, T]];
    case "Semaphore": return [[T, 11, NONE, 12], [10, F, T, 10]];
    case "BoundedSemaphore": return [[T, 11, RANGE, 11], [10, F, T, 10]];
    case "Event": return [[F, F, F], [T, T]];
    case "Barrier": return [[T, T, T, 12, F], [T, T, T, 12, F]];
  }
}

/**
 * One blocking call with timeout t on objects prepared by the test (see the timeout tests), for
 * the timeout probes; returns what the call returned.
 */
export function timedCall(op: string, o: any, t: any): unknown {
  switch (op) {
    case "Lock.acquire": return o.lock.acquire(true, t); // held by the main thread
    case "RLock.acquire": return o.rlock.acquire(true, t); // held by the main thread
    case "Condition.wait":
      o.cond.acquire();
      try {
        return o.cond.wait(t);
      } finally {
        o.cond.release();
      }
    case "Condition.waitFor":
      o.cond.acquire();
      try {
        return o.cond.waitFor(() => false, t);
      } finally {
        o.cond.release();
      }
    case "Semaphore.acquire": return o.sem.acquire(true, t); // value 0
    case "BoundedSemaphore.acquire": return o.bsem.acquire(true, t); // value 0
    case "Event.wait": return o.event.wait(t); // never set
    case "Barrier.wait": return o.barrier.wait(t); // 2 parties, nobody else comes
    case "Thread.join": return o.thread.join(t); // alive until the test ends it
    case "new Barrier": return new Barrier(2, null, t) instanceof Barrier;
  }
  throw new Error(`unknown op ${op}`);
}
