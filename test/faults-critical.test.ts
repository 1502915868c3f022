// A thread whose worker dies inside a queue's or a shared container's critical section (out of
// memory, a crash) can't wedge it: the mutex records its holder, a waiter that finds the holder
// dead takes it over, and a change the holder left half-done makes the object broken (every call
// says so, sleepers wake) instead of silently corrupt. The deaths inside a critical section are
// made exact here (a thread takes the mutex word as itself, then its worker ends on the spot);
// the out-of-memory runs that used to wedge these objects run in child processes with a small heap.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, currentThread, Event, PriorityQueue, Queue, RuntimeError, SharedDict, SharedList } from "skein";
import { SHARE } from "../dist/internal.js";
import { LONG } from "./helpers/bounds.js";
import { crashWorker } from "./helpers/crash.js";
import { shared, waitAtLeast } from "./helpers/cells.js";
import { runSnippet } from "./helpers/child-process.js";
import { silentExcepthook } from "./helpers/excepthook.js";
import { daemon } from "./helpers/threads.js";
import { untilBlocked } from "./helpers/wait.js";
import { outOfMemoryTest } from "./helpers/runtimes.js";

/** Where each object keeps its OP word (queue/layout.ts, shared/container.ts). */
const OP_WORD: Record<string, number> = { Queue: 14, PriorityQueue: 14, SharedList: 1, SharedDict: 1 };
const IDLE = 0;
const MUTATING = 1;

/**
 * Takes the object's internal mutex as this thread (its word 0 holds the holder's ident), marks
 * the OP word `op`, says so in cell 0, and its worker dies when `kill` is set, the mutex held.
 */
async function dieHoldingMutex(obj: any, opWord: number, op: number, said: Int32Array, kill: Event) {
  const h = obj[SHARE]();
  const w: Int32Array = h.ctl ?? h.meta;
  Atomics.store(w, 0, currentThread().ident! << 1);
  w[opWord] = op;
  Atomics.store(said, 0, 1);
  Atomics.notify(said, 0);
  await kill.waitAsync(20_000);
  crashWorker(1);
}

/** One call on the object that changes it; cell 0 says 1 once it returned, 2 if it threw `broken`. */
function change(kind: string, obj: any, out: Int32Array) {
  try {
    if (kind === "SharedList") obj.append(99);
    else if (kind === "SharedDict") obj.set("new", 99);
    else obj.put([99, "new"]);
    out[0] = 1;
  } catch (e) {
    out[0] = e instanceof Error && /broken/.test(e.message) ? 2 : 3;
  }
}

/** A getter asleep on an empty queue: cell 0 says 2 if it woke to hear the queue is broken. */
function sleepingGetter(q: Queue<unknown>, out: Int32Array) {
  try {
    q.get(true, 20_000);
    out[0] = 1;
  } catch (e) {
    out[0] = e instanceof Error && /broken/.test(e.message) ? 2 : 3;
  }
}

function make(kind: string): any {
  switch (kind) {
    case "Queue":
      return new Queue();
    case "PriorityQueue":
      return new PriorityQueue();
    case "SharedList":
      return new SharedList();
    default:
      return new SharedDict();
  }
}

function fill(kind: string, obj: any): void {
  for (let i = 0; i < 5; i++) {
    if (kind === "SharedList") obj.append(`item ${i}`);
    else if (kind === "SharedDict") obj.set(`k${i}`, `item ${i}`);
    else obj.put([i, `item ${i}`]);
  }
}

function contents(kind: string, obj: any): unknown[] {
  if (kind === "SharedList") return obj.toArray();
  if (kind === "SharedDict") return obj.values();
  const out = [];
  while (!obj.empty()) out.push(obj.get(false));
  return out;
}

const KINDS = ["Queue", "PriorityQueue", "SharedList", "SharedDict"] as const;

describe("a holder that dies between changes: a waiter takes the mutex over, nothing is lost", () => {
  for (const kind of KINDS) {
    test(kind, async () => {
      using _quiet = silentExcepthook();
      const obj = make(kind);
      fill(kind, obj);
      const said = shared(1);
      const kill = new Event();
      const holder = daemon(dieHoldingMutex, [obj, OP_WORD[kind]!, IDLE, said, kill], "dies holding the mutex");
      waitAtLeast(said, 0, 1);
      const out = shared(1);
      const waiter = daemon(change, [kind, obj, out], "waits for the mutex");
      await untilBlocked(waiter);
      kill.set();
      assert.equal(await holder.joinAsync(LONG), true, "the holder died");
      assert.equal(await waiter.joinAsync(LONG), true, "the waiter took the mutex over");
      assert.equal(out[0], 1, "the waiter's call succeeded");
      const items = contents(kind, obj);
      assert.equal(items.length, 6);
      assert.match(JSON.stringify(items), /99/, "the waiter's item is in");
      // And the object goes on working from the main thread.
      fill(kind, obj);
      assert.equal(contents(kind, obj).length, kind === "SharedList" ? 11 : kind === "SharedDict" ? 6 : 5);
    });
  }
});

describe("a holder that dies in the middle of a change leaves the object broken, never hanging", () => {
  for (const kind of KINDS) {
    test(kind, async () => {
      using _quiet = silentExcepthook();
      const obj = make(kind);
      const isQueue = kind === "Queue" || kind === "PriorityQueue";
      const said = shared(1);
      const kill = new Event();
      const holder = daemon(dieHoldingMutex, [obj, OP_WORD[kind]!, MUTATING, said, kill], "dies mid-change");
      waitAtLeast(said, 0, 1);
      const asleep = shared(1);
      const getter = isQueue ? daemon(sleepingGetter, [obj, asleep], "asleep on the empty queue") : null;
      if (getter) await untilBlocked(getter);
      const out = shared(1);
      const waiter = daemon(change, [kind, obj, out], "waits for the mutex");
      await untilBlocked(waiter);
      kill.set();
      assert.equal(await holder.joinAsync(LONG), true, "the holder died");
      assert.equal(await waiter.joinAsync(LONG), true, "the waiter came back");
      assert.equal(out[0], 2, "the waiter was told the object is broken");
      if (getter) {
        assert.equal(await getter.joinAsync(LONG), true, "the sleeping getter woke");
        assert.equal(asleep[0], 2, "the sleeping getter was told the queue is broken");
      }
      // Every later call says so too, from any thread.
      assert.throws(() => (isQueue ? obj.get(false) : contents(kind, obj)), (e: unknown) => e instanceof RuntimeError && new RegExp(`${kind} is broken: a thread ended`).test((e as Error).message));
      assert.throws(() => fill(kind, obj), RuntimeError);
    });
  }
});

/** A Barrier party: cell 0 says 1 if it passed, 2 if it was told the barrier is broken. */
function party(b: Barrier, out: Int32Array) {
  try {
    b.wait(20_000);
    out[0] = 1;
  } catch (e) {
    out[0] = e instanceof BrokenBarrierError ? 2 : 3;
  }
}

function dieInAction() {
  crashWorker(1);
}

test("Barrier: an action whose worker dies breaks the barrier for the other parties, none hangs", async () => {
  using _quiet = silentExcepthook();
  const b = new Barrier(3, dieInAction);
  const outs = [shared(1), shared(1), shared(1)];
  const parties = outs.map((o, i) => daemon(party, [b, o], `party ${i}`));
  for (const t of parties) assert.equal(await t.joinAsync(LONG), true, `${t.name} came back`);
  // The last to arrive died in the action (its cell stays 0); the other two heard of it.
  assert.deepEqual(outs.map((o) => o[0]).sort(), [0, 2, 2]);
  assert.equal(b.broken, true);
  b.reset();
  assert.equal(b.broken, false);
});

describe("threads that run out of memory inside queue and container calls wedge nothing", () => {
  // The worker's heap is the program's (--max-old-space-size): a hog thread dies of it, in the
  // middle of whatever call it was making, again and again; main must still use the object.
  const program = (setup: string, work: string, after: string) => `
    import { Thread, PriorityQueue, SharedDict, SharedList, excepthook, setExcepthook } from "skein";
    setExcepthook(() => {});
    ${setup}
    function hog(obj: any) {
      const keep: unknown[] = [];
      for (;;) {
        keep.push(new Array(2000).fill(keep.length));
        ${work}
      }
    }
    for (let round = 0; round < 3; round++) {
      const t = new Thread({ target: hog, args: [obj] });
      t.start();
      if (!t.join(20_000)) { console.log("hog still alive"); process.exit(2); }
    }
    ${after}
  `;

  test(...outOfMemoryTest("PriorityQueue put and get"), () => {
    const r = runSnippet(
      program(
        `const obj = new PriorityQueue(); for (let i = 0; i < 2000; i++) obj.put([i % 13, "x".repeat(50), i]);`,
        `obj.put([Math.random(), "y".repeat(200), keep.length]); obj.get();`,
        `obj.put([-1, "first"]); console.log(JSON.stringify(obj.get(true, 5000)), obj.qsize());`,
      ),
      { nodeArgs: ["--max-old-space-size=48"], timeout: 60_000 },
    );
    assert.equal(r.signal, null, `the program hung or was killed\n${r.stderr}`);
    // 2000 items, and one more for each hog that ran out of memory between a put that completed
    // and the get after it (once in a CI run): never fewer, and at most one a round.
    const m = /^\[-1,"first"\] (\d+)\n$/.exec(r.stdout);
    assert.ok(m && Number(m[1]) >= 2000 && Number(m[1]) <= 2003, `${r.stdout}${r.stderr}`);
  });

  test(...outOfMemoryTest("SharedDict.entries() and set"), () => {
    const r = runSnippet(
      program(
        `const obj = new SharedDict(); for (let i = 0; i < 2000; i++) obj.set("k" + i, { i, s: "x".repeat(50) });`,
        `keep.push(obj.entries()); obj.set("k" + (keep.length % 2000), { i: keep.length % 2000, s: "y" });`,
        `obj.set("last", 1); console.log(obj.size, obj.entries().length, obj.get("last"));`,
      ),
      { nodeArgs: ["--max-old-space-size=48"], timeout: 60_000 },
    );
    assert.equal(r.signal, null, `the program hung or was killed\n${r.stderr}`);
    assert.match(r.stdout, /^2001 2001 1\n$/, r.stderr);
  });

  test(...outOfMemoryTest("SharedList.toArray() and append/pop"), () => {
    const r = runSnippet(
      program(
        `const obj = new SharedList(); for (let i = 0; i < 2000; i++) obj.append({ i, s: "x".repeat(50) });`,
        `keep.push(obj.toArray()); obj.append({ i: -1 }); obj.pop();`,
        `obj.append("last"); console.log(obj.length, obj.get(-1));`,
      ),
      { nodeArgs: ["--max-old-space-size=48"], timeout: 60_000 },
    );
    assert.equal(r.signal, null, `the program hung or was killed\n${r.stderr}`);
    assert.match(r.stdout, /^2001 last\n$/, r.stderr);
  });
});
