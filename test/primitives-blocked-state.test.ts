// Every blocking call (acquire, wait, join, sleep; with no timeout and with TIMEOUT_MAX) shows
// its thread as "blocked" while it waits, and "running" again once it returns. The test waits
// (bounded) until it sees the thread blocked, then releases it; nothing is ordered by sleeping.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, Condition, Event, Lock, RLock, Semaphore, Thread, TIMEOUT_MAX, currentThread, sleep } from "skein";
import { OUTCOME } from "./helpers/primitives-scenarios.js";
import { LONG } from "./helpers/bounds.js";
import { shared, waitAtLeast } from "./helpers/cells.js";
import { daemon } from "./helpers/threads.js";
import { untilBlocked } from "./helpers/wait.js";

const T = OUTCOME.true;

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

describe("a thread waiting in a blocking call is \"blocked\", and \"running\" once it returns", () => {
  for (const c of blockingCases) {
    for (const timeout of c.timeouts) {
      const label = timeout === undefined ? "" : timeout === TIMEOUT_MAX ? "TIMEOUT_MAX" : String(timeout);
      test(`${c.op}(${label})`, async () => {
        const p = c.make();
        const out = shared(4);
        const t = daemon(blockAndRecord, [c.op, p, out, timeout], `${c.op} waiter`);
        waitAtLeast(out, 0, 1);
        await untilBlocked(t);
        assert.equal(Atomics.load(out, 2), 0, "still inside the call while blocked");
        c.release(p);
        assert.equal(await t.joinAsync(LONG), true);
        assert.equal(t.state, "terminated");
        assert.equal(out[1], 1, "running before the call");
        assert.equal(out[3], 1, "running again right after the call returned");
        if (c.expect === -1) assert.ok(out[2] === 10 || out[2] === 11, "a barrier index");
        else assert.equal(out[2], c.expect, "what the call returned");
      });
    }
  }
});
