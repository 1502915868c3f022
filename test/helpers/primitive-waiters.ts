// Thread targets shared by the primitives suites (primitives-*.test.ts): the other side of an
// async wait, sync and async waiters that record how their wait ended, and one Barrier party.
// Each is self-contained (it uses only its parameters, globals and this module's imports), since
// it travels to its thread as source; results come back through shared Int32Arrays.
import { BrokenBarrierError, type Barrier, type Event } from "skein";

/**
 * The other side of an async wait in main: takes what it must hold (a lock), says `ready`, then
 * on `go` releases / notifies / sets / arrives. go.wait is bounded: should the async call in main
 * block the event loop, the counterpart still lets it go after 5 s and the test sees the order.
 */
export function counterpart(kind: string, p: any, ready: Event, go: Event, out: Int32Array) {
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


/**
 * A sync waiter: waits (forever unless ms) for what kind's primitive gives, records the outcome
 * in cell 0 (1 true, 2 false, 10 + n an index). cell 1 is set once a Condition waiter holds the
 * lock just before waiting. What it takes it keeps (the test checks it), except a lock.
 */
export function realWaiter(kind: string, p: any, out: Int32Array, ms?: number) {
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
export async function asyncWaiter(kind: string, p: any, out: Int32Array) {
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

/** One Barrier.wait(ms): cell 0 gets 10 + index, or 6 for BrokenBarrierError; cell 1 the ms it took. */
export function barrierParty(b: Barrier, out: Int32Array, ms?: number) {
  const t0 = performance.now();
  try {
    Atomics.store(out, 0, 10 + b.wait(ms));
  } catch (e) {
    Atomics.store(out, 0, e instanceof BrokenBarrierError ? 6 : 7);
  }
  Atomics.store(out, 1, Math.floor(performance.now() - t0));
  Atomics.notify(out, 0);
}
