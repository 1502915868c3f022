// A program run by test/primitives-async-twins.test.ts: it gives up one async wait through an
// AbortSignal (argv[2] names which), prints how the wait ended, and has nothing left to do, so it
// must exit on its own like any Node program whose work is done.
import { Barrier, Condition, Event, Lock, Semaphore } from "skein";

const ac = new AbortController();
let ghost: Promise<unknown>;
switch (process.argv[2]) {
  case "Lock.acquireAsync": {
    const lock = new Lock();
    lock.acquire();
    ghost = lock.acquireAsync(-1, { signal: ac.signal });
    break;
  }
  case "Semaphore.acquireAsync":
    ghost = new Semaphore(0).acquireAsync(undefined, { signal: ac.signal });
    break;
  case "Event.waitAsync":
    ghost = new Event().waitAsync(undefined, { signal: ac.signal });
    break;
  case "Condition.waitAsync": {
    const cond = new Condition();
    cond.acquire();
    ghost = cond.waitAsync(undefined, { signal: ac.signal }).finally(() => cond.release());
    break;
  }
  case "Barrier.waitAsync":
    ghost = new Barrier(2).waitAsync(undefined, { signal: ac.signal });
    break;
  default:
    throw new Error(`unknown case ${process.argv[2]}`);
}
setTimeout(() => ac.abort(new Error("given up")), 10);
ghost.then(
  () => console.log("resolved"),
  (e) => console.log(`rejected: ${(e as Error).message}`),
);
