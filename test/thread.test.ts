// Thread across real threads: targets, subclasses, join, names, lifecycle states.
import { test } from "node:test";
import assert from "node:assert/strict";
import { currentThread, getIdent, getNativeId, Lock, sleep, Thread, ThreadState } from "skein";
import { gateOpen } from "./fixtures/gate.js";
import { notOn } from "./helpers/runtimes.js";
import { shared, waitChange } from "./helpers/cells.js";
import { joined } from "./helpers/threads.js";
import { runFixture, runSnippet } from "./helpers/child-process.js";
import { crashWorker } from "./helpers/crash.js";
import { LONG } from "./helpers/bounds.js";
import { eventually, within } from "./helpers/wait.js";

test("a target runs in another OS thread with its args", () => {
  const out = new Int32Array(new SharedArrayBuffer(12));
  const t = new Thread({
    target: (o: Int32Array, a: number, b: number) => {
      o[0] = a + b;
      o[1] = getIdent();
      o[2] = process.pid;
    },
    args: [out, 40, 2],
  });
  t.start();
  assert.equal(t.join(), true);
  assert.equal(out[0], 42);
  assert.equal(out[1], t.ident);
  assert.notEqual(out[1], getIdent());
  assert.equal(out[2], process.pid);
  assert.notEqual(t.nativeId, null);
  assert.notEqual(t.nativeId, currentThread().nativeId);
});

test("a Thread subclass runs its own run() with its fields, methods and class chain", () => {
  const out = new Int32Array(new SharedArrayBuffer(8));
  class Base extends Thread {
    step = 10;
    add(x: number) {
      return x + this.step;
    }
  }
  class Counter extends Base {
    constructor(readonly cell: Int32Array, readonly from: number) {
      super({ name: "Counter" });
    }
    override run() {
      this.cell[0] = this.add(this.from);
      this.cell[1] = this.name === "Counter" ? 1 : 0;
    }
  }
  const c = new Counter(out, 5);
  c.start();
  joined(c);
  assert.deepEqual([...out], [15, 1]);
});

// Python's way of returning results from a subclass: `self.result = ...` in run(), read after join().
class Summer extends Thread {
  total = 0;
  seen: number[] = [];
  later: string | null = null;
  fresh: Lock | null = null;
  constructor(readonly numbers: number[], readonly lock: Lock) {
    super();
  }
  override run() {
    for (const n of this.numbers) this.total += n;
    this.seen.push(this.numbers.length); // changed in place, as Python's self.seen.append()
    this.fresh = new Lock();
    this.fresh.acquire();
    // Set after run() returns, while the thread still has work: it ends when that work is done.
    setTimeout(() => (this.later = "after run"), 20);
  }
}

test("a subclass's fields set in run() are there after join(), as Python's self.result; skein objects it kept are the same objects", async () => {
  const lock = new Lock();
  const s = new Summer([1, 2, 3, 4], lock);
  s.start();
  joined(s);
  assert.equal(s.total, 10);
  assert.deepEqual(s.seen, [4]);
  assert.equal(s.later, "after run");
  assert.equal(s.lock, lock, "a skein object the thread kept stays the very object");
  assert.equal(s.fresh?.locked(), true, "a skein object made in the thread arrives shared");
  s.fresh!.release();
  const a = new Summer([5, 6], lock);
  a.start();
  assert.equal(await a.joinAsync(LONG), true);
  assert.equal(a.total, 11, "joinAsync takes them too");
});

test("a subclass field that can't go back is named on stderr, and the others still come back", () => {
  const r = runSnippet(`
    import { Thread } from "skein";
    class Opener extends Thread {
      kept = 0;
      handle: unknown = null;
      override run() {
        this.kept = 7;
        this.handle = new WeakMap();
      }
    }
    const o = new Opener({ name: "opener" });
    o.start();
    o.join();
    console.log("kept", o.kept, "handle", o.handle);
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "kept 7 handle null\n");
  assert.match(r.stderr, /^skein: opener's field "handle" stays in its thread: this\.handle is a WeakMap, which can't be sent to another thread\n$/);
});

test("async targets run to completion before the thread terminates", async () => {
  const out = new Int32Array(new SharedArrayBuffer(4));
  const t = new Thread({
    target: async (o: Int32Array) => {
      await new Promise((r) => setTimeout(r, 20));
      o[0] = 7;
    },
    args: [out],
  });
  t.start();
  assert.equal(await t.joinAsync(10_000), true);
  assert.equal(out[0], 7);
});

test("join with a timeout returns false while the thread is still blocked, true after", async () => {
  const lock = new Lock();
  lock.acquire();
  const t = new Thread({ target: (l: Lock) => { l.acquire(); l.release(); }, args: [lock] });
  t.start();
  const t0 = performance.now();
  assert.equal(t.join(50), false);
  assert.ok(performance.now() - t0 >= 45, "join(50) returned before its timeout");
  assert.equal(await t.joinAsync(0), false);
  assert.equal(t.isAlive(), true);
  lock.release();
  assert.equal(t.join(10_000), true);
  assert.equal(t.isAlive(), false);
});

test("default names are Thread-N and Thread-N (target); names can be changed", () => {
  function worker() {}
  const a = new Thread({ target: worker });
  const b = new Thread();
  assert.match(a.name, /^Thread-(\d+) \(worker\)$/);
  assert.match(b.name, /^Thread-(\d+)$/);
  const na = Number(/\d+/.exec(a.name)![0]);
  const nb = Number(/\d+/.exec(b.name)![0]);
  assert.equal(nb, na + 1);
  b.setName("renamed");
  assert.equal(b.getName(), "renamed");
  assert.equal(new Thread({ name: "given" }).name, "given");
});

test("a name set from another thread while it runs is seen everywhere", () => {
  const cell = new Int32Array(new SharedArrayBuffer(8));
  const t = new Thread({
    name: "before",
    target: (c: Int32Array) => {
      Atomics.store(c, 0, 1);
      Atomics.notify(c, 0);
      while (Atomics.load(c, 1) === 0) Atomics.wait(c, 1, 0, 100);
      if (currentThread().name === "after") Atomics.store(c, 0, 2);
    },
    args: [cell],
  });
  t.start();
  waitChange(cell, 0, 0);
  t.name = "after";
  Atomics.store(cell, 1, 1);
  Atomics.notify(cell, 1);
  joined(t);
  assert.equal(cell[0], 2);
});

test("the lifecycle: new -> runnable -> running -> blocked -> running -> terminated", async () => {
  const loading = new BroadcastChannel("skein-test-loading");
  const announced = new Promise((r) => (loading.onmessage = r));
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const lock = new Lock();
  const t = new Thread({
    target: (f: Int32Array, l: Lock) => {
      if (!gateOpen) return;
      Atomics.store(f, 0, 1); // running
      Atomics.notify(f, 0);
      while (Atomics.load(f, 1) === 0) {} // keep running until the test has looked
      l.acquire(); // blocked: the test holds the lock
      l.release();
    },
    args: [flags, lock],
  });
  assert.equal(t.state, ThreadState.NEW);
  lock.acquire();
  t.start();
  await within(announced, "the thread to say it is loading its code");
  loading.close();
  assert.equal(t.state, ThreadState.RUNNABLE, "the thread is loading its code");
  const go = new BroadcastChannel("skein-test-go");
  go.postMessage("go");
  go.close();
  await eventually("the target to start", () => Atomics.load(flags, 0) === 1);
  assert.equal(t.state, ThreadState.RUNNING);
  Atomics.store(flags, 1, 1);
  await eventually("the thread to block on the lock", () => t.state === ThreadState.BLOCKED);
  lock.release();
  assert.equal(await t.joinAsync(10_000), true);
  assert.equal(t.state, ThreadState.TERMINATED);
  assert.deepEqual(Object.values(ThreadState), ["new", "runnable", "running", "blocked", "terminated"]);
  assert.ok(Object.isFrozen(ThreadState));
});

test("sleep shows the thread as blocked, and a thread sees its own state as running", async () => {
  const out = new Int32Array(new SharedArrayBuffer(4));
  const t = new Thread({
    target: (o: Int32Array) => {
      o[0] = currentThread().state === "running" ? 1 : 0;
      sleep(200);
    },
    args: [out],
  });
  t.start();
  await eventually("the sleeping thread to show as blocked", () => t.state === "blocked");
  joined(t);
  assert.equal(out[0], 1);
});

test("daemon defaults to the creating thread's flag", () => {
  const out = new Int32Array(new SharedArrayBuffer(8));
  assert.equal(new Thread().daemon, false);
  const d = new Thread({
    daemon: true,
    target: (o: Int32Array) => {
      const inner = new Thread();
      o[0] = inner.daemon ? 1 : 2;
      o[1] = currentThread().isDaemon() ? 1 : 2;
    },
    args: [out],
  });
  d.start();
  joined(d);
  assert.deepEqual([...out], [1, 1]);
});

test("Thread objects passed to other threads still answer join, isAlive, state, name and ident", () => {
  const lock = new Lock();
  lock.acquire();
  const out = new Int32Array(new SharedArrayBuffer(16));
  const sleeper = new Thread({ name: "Sleeper", target: (l: Lock) => { l.acquire(); l.release(); }, args: [lock] });
  sleeper.start();
  const watcher = new Thread({
    target: (s: Thread, o: Int32Array, l: Lock) => {
      o[0] = s.name === "Sleeper" && s.isAlive() ? 1 : 0;
      o[1] = s.ident ?? -1;
      l.release(); // any thread may release a Lock
      o[2] = s.join(10_000) ? 1 : 0;
      o[3] = s.state === "terminated" && !s.isAlive() ? 1 : 0;
    },
    args: [sleeper, out, lock],
  });
  watcher.start();
  assert.equal(watcher.join(10_000), true);
  assert.deepEqual([...out], [1, sleeper.ident!, 1, 1]);
});

test("threads start threads, even while the main thread is blocked in join", () => {
  const out = new Int32Array(new SharedArrayBuffer(8));
  const outer = new Thread({
    target: (o: Int32Array) => {
      const inner = new Thread({ target: (p: Int32Array) => { p[1] = 2; }, args: [o] });
      inner.start();
      inner.join();
      o[0] = 1;
    },
    args: [out],
  });
  outer.start();
  joined(outer); // main blocks in join while the thread starts another
  assert.deepEqual([...out], [1, 2]);
});

test(...notOn(["Deno"], "many short threads in a row reuse idle workers and all complete", "Deno emits no beforeExit in a worker, so a worker can't tell when its thread's asynchronous work is done, and each thread gets a worker of its own"), () => {
  // Each thread ends before the next starts, so a worker that parks for its next job (instead
  // of exiting) runs many of them: the 200 threads share a handful of OS threads. A thread's
  // nativeId is the OS thread id of the worker running it, as getNativeId() inside it says.
  const RUNS = 200;
  const out = shared(1);
  const ids = shared(RUNS);
  const workers = new Set<number>();
  for (let i = 0; i < RUNS; i++) {
    const t = new Thread({
      target: (o: Int32Array, ids: Int32Array, i: number) => {
        Atomics.add(o, 0, 1);
        ids[i] = getNativeId();
      },
      args: [out, ids, i],
    });
    t.start();
    joined(t);
    assert.equal(ids[i], t.nativeId, `thread ${i}: getNativeId() inside it is not its nativeId`);
    workers.add(ids[i]!);
  }
  assert.equal(out[0], RUNS);
  assert.ok(!workers.has(getNativeId()), "a thread ran on the main thread");
  assert.ok(workers.size <= RUNS / 10, `${RUNS} threads, one after another, ran on ${workers.size} different OS threads: idle workers were not reused`);
});

test("process.exit(n) in a thread ends that thread quietly (Python's SystemExit), not the program", () => {
  const out = shared(2);
  const t = new Thread({
    name: "Exiter",
    target: (o: Int32Array) => {
      o[0] = 1;
      process.exit(3);
      o[1] = 1; // never reached
    },
    args: [out],
  });
  t.start();
  assert.equal(t.join(LONG), true);
  assert.deepEqual([...out], [1, 0]);
  // A custom excepthook sees it (as Python's does): a SystemExit with the code.
  const hooked = runSnippet(`
    import { Thread, setExcepthook, SystemExit } from "skein";
    setExcepthook((a) => console.log("hook:", a.excValue instanceof SystemExit, (a.excValue as SystemExit).code));
    const t = new Thread({ target: () => process.exit(4) });
    t.start(); t.join();
    console.log("main goes on");
  `);
  assert.equal(hooked.stdout, "hook: true 4\nmain goes on\n", hooked.stderr);
  assert.equal(hooked.stderr, "");
});

test("a thread whose worker dies on the spot does not hang its joiners", () => {
  const t = new Thread({ name: "Crasher", target: () => crashWorker(3) });
  t.start();
  assert.equal(t.join(10_000), true);
  assert.equal(t.state, "terminated");
  const after = new Int32Array(new SharedArrayBuffer(4));
  const next = new Thread({ target: (o: Int32Array) => { o[0] = 1; }, args: [after] });
  next.start();
  joined(next);
  assert.equal(after[0], 1, "threads still start after a worker died");
});

test("a worker that dies while main is blocked joining its thread is reported, with why, before join returns", () => {
  // The warm worker is the main thread's own: main, blocked in join(), can't hear its 'exit'
  // event, so the hub must see it end by its port and say what it can.
  const r = runSnippet(`
    import { Thread } from "skein";
    import { crashWorker } from "${new URL("./helpers/crash.ts", import.meta.url).href}";
    const t = new Thread({ name: "Crasher", target: () => crashWorker(3) });
    t.start();
    console.log("joined:", t.join(10_000), t.state);
  `, { env: { ...process.env, SKEIN_WARM_WORKERS: "1" } });
  assert.equal(r.stdout, "joined: true terminated\n", r.stderr);
  assert.equal(
    r.stderr,
    "Exception in thread Crasher:\nRuntimeError: the thread's worker died under it: its worker ended without running its exit handlers (out of memory, most likely)\n",
  );
});

test("a daemon thread still blocked when the program ends dies with it, unreported", () => {
  // Its worker is the main thread's own (one warm worker): the hub sees it go at exit, and must
  // not take that for a worker dying under its thread.
  const r = runSnippet(`
    import { Event, Thread } from "skein";
    const never = new Event();
    const t = new Thread({ name: "Housekeeping", target: (e: Event) => { e.wait(); }, args: [never], daemon: true });
    t.start();
    console.log("main done");
  `, { env: { ...process.env, SKEIN_WARM_WORKERS: "1" } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "main done\n");
  assert.equal(r.stderr, "");
});

test("start() returns at once: the thread is runnable, has its ident, and gets its nativeId when it runs", () => {
  // No warm workers: the first thread's worker is still booting when start() returns.
  const r = runSnippet(`
    import { Thread, getNativeId } from "skein";
    const ids = new Int32Array(new SharedArrayBuffer(4));
    function record(o: Int32Array) { o[0] = getNativeId(); }
    const t = new Thread({ target: record, args: [ids] });
    t.start();
    console.log(t.state, typeof t.ident, t.nativeId);
    t.join();
    console.log(t.state, t.nativeId === ids[0]);
  `, { env: { ...process.env, SKEIN_WARM_WORKERS: "0" } });
  assert.equal(r.stdout, "runnable number null\nterminated true\n", r.stderr);
});

test("threads that block hold no one up: 24 threads waiting at one Barrier all get workers, with one warm worker", () => {
  // One warm worker at first: the others must be spawned for threads queued behind blocked ones.
  const r = runSnippet(`
    import { Barrier, Thread } from "skein";
    const b = new Barrier(25);
    function meet(b: Barrier) { b.wait(30_000); }
    const threads = Array.from({ length: 24 }, () => new Thread({ target: meet, args: [b] }));
    for (const t of threads) t.start();
    b.wait(30_000);
    for (const t of threads) t.join();
    console.log("all met");
  `, { env: { ...process.env, SKEIN_WARM_WORKERS: "1" }, timeout: 60_000 });
  assert.equal(r.stdout, "all met\n", r.stderr);
});

test("warm workers that left before the first thread (idle for 3 s, before the hub started) hold no one up", () => {
  // Main starts the hub with the first thread: the warm workers that left meanwhile are handed to
  // it then, already gone, and the threads must still all get workers, with nothing reported.
  const r = runSnippet(`
    import { Barrier, Thread } from "skein";
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3600);
    const b = new Barrier(5);
    function meet(b: Barrier) { b.wait(30_000); }
    const threads = Array.from({ length: 4 }, () => new Thread({ target: meet, args: [b] }));
    for (const t of threads) t.start();
    b.wait(30_000);
    for (const t of threads) t.join();
    console.log("all met");
  `, { env: { ...process.env, SKEIN_WARM_WORKERS: "3" }, timeout: 60_000 });
  assert.equal(r.stdout, "all met\n", r.stderr);
  assert.equal(r.stderr, "");
});

// Threads queued behind busy workers are posted ahead to them (runtime/hub.ts postAhead), and to
// any worker that is free or new: each copy may be picked up, exactly one runs.
const queuedBehindSpinners = (crash: boolean) => `
  import { Thread } from "skein";
  import { crashWorker } from "${new URL("./helpers/crash.ts", import.meta.url).href}";
  const QUEUED = 40;
  // [runs of each queued thread..., all runs, spinners running, spinners that gave up]
  const cells = new Int32Array(new SharedArrayBuffer(4 * (QUEUED + 3)));
  const ALL = QUEUED, SPINNING = QUEUED + 1, GAVE_UP = QUEUED + 2;
  // Running, not blocked, until half the queued threads have run: the rest are then taken from
  // their ports while other workers are given them too.
  function spin(cells: Int32Array, until: number, crash: boolean) {
    Atomics.add(cells, SPINNING, 1);
    Atomics.notify(cells, SPINNING);
    const end = Date.now() + 30_000;
    while (Atomics.load(cells, ALL) < until) if (Date.now() > end) { Atomics.add(cells, GAVE_UP, 1); break; }
    if (crash) crashWorker(3);
  }
  function once(cells: Int32Array, k: number) {
    Atomics.add(cells, k, 1);
    Atomics.add(cells, ALL, 1);
  }
  const spinners = [${crash}, false].map((c) => new Thread({ name: c ? "Crasher" : "Spinner", target: spin, args: [cells, QUEUED / 2, c] }));
  for (const t of spinners) t.start();
  for (let n; (n = Atomics.load(cells, SPINNING)) < 2;) if (Atomics.wait(cells, SPINNING, n, 20_000) === "timed-out") throw new Error("spinners never ran");
  const queued = Array.from({ length: QUEUED }, (_, k) => new Thread({ target: once, args: [cells, k] }));
  for (const t of queued) t.start();
  for (const t of [...spinners, ...queued]) if (!t.join(40_000)) throw new Error(t.name + " never ended");
  const counts = Array.from(cells.subarray(0, QUEUED));
  console.log(counts.every((c) => c === 1) ? "each ran once" : "runs: " + counts.join(","), cells[ALL], "gave up:", cells[GAVE_UP]);
`;

test("threads queued behind threads that run (not blocked) each run exactly once, and don't wait for them", () => {
  const r = runSnippet(queuedBehindSpinners(false), { env: { ...process.env, SKEIN_WARM_WORKERS: "2" }, timeout: 60_000 });
  assert.equal(r.stdout, "each ran once 40 gave up: 0\n", r.stderr);
  assert.equal(r.stderr, "");
});

// A worker whose thread has ended takes the next thread posted ahead to it at once, without
// waiting for 'beforeExit' (worker/bootstrap.ts nextNow), which Node emits only after V8's
// background tasks are done (5-30 ms on two cores, in a burst of threads on a Lock). Each queued
// thread records its worker and how many times that worker's 'beforeExit' has fired: without
// the take-over, two threads in a row on one worker always have one between them. Each also
// leaves a zlib callback behind, which Node doesn't list as keeping the loop alive: it still runs.
test(...notOn(["Bun", "Deno"], "a thread posted ahead to a worker runs as soon as the thread before it has ended, before that worker's 'beforeExit'", "only Node says what keeps a worker's event loop alive"), () => {
  const r = runSnippet(`
    import { Thread } from "skein";
    const QUEUED = 24;
    // [all runs, spinner running, sequence, zlib callbacks run]; then per queued thread: worker,
    // exits seen, sequence
    const cells = new Int32Array(new SharedArrayBuffer(4 * (4 + 3 * QUEUED)));
    const ALL = 0, SPINNING = 1, SEQ = 2, ZIPPED = 3;
    function spin(cells: Int32Array, until: number) {
      Atomics.store(cells, SPINNING, 1);
      Atomics.notify(cells, SPINNING);
      const end = Date.now() + 30_000;
      while (Atomics.load(cells, ALL) < until && Date.now() < end) {}
    }
    function once(cells: Int32Array, k: number) {
      const g = globalThis as { exits?: number };
      if (g.exits === undefined) {
        g.exits = 0;
        process.prependListener("beforeExit", () => g.exits!++);
      }
      const at = 4 + 3 * k;
      cells[at] = process.getBuiltinModule("node:worker_threads").threadId;
      cells[at + 1] = g.exits;
      cells[at + 2] = Atomics.add(cells, SEQ, 1);
      Atomics.add(cells, ALL, 1);
      process.getBuiltinModule("node:zlib").gzip(new Uint8Array(1 << 16), () => {
        Atomics.add(cells, ZIPPED, 1);
        Atomics.notify(cells, ZIPPED);
      });
    }
    const spinner = new Thread({ target: spin, args: [cells, QUEUED / 3] });
    spinner.start();
    if (Atomics.wait(cells, SPINNING, 0, 20_000) === "timed-out") throw new Error("the spinner never ran");
    const queued = Array.from({ length: QUEUED }, (_, k) => new Thread({ target: once, args: [cells, k] }));
    for (const t of queued) t.start();
    for (const t of [spinner, ...queued]) if (!t.join(40_000)) throw new Error(t.name + " never ended");
    for (let n; (n = Atomics.load(cells, ZIPPED)) < QUEUED;) if (Atomics.wait(cells, ZIPPED, n, 20_000) === "timed-out") throw new Error("zlib callbacks run: " + n);
    const runs = Array.from({ length: QUEUED }, (_, k) => ({ worker: cells[4 + 3 * k], exits: cells[5 + 3 * k], seq: cells[6 + 3 * k] }));
    runs.sort((a, b) => a.seq - b.seq);
    const last = new Map<number, number>();
    let backToBack = 0, between = 0;
    for (const r of runs) {
      if (last.has(r.worker)) r.exits === last.get(r.worker) ? backToBack++ : between++;
      last.set(r.worker, r.exits);
    }
    console.log(backToBack > 0 ? "back to back" : "always a beforeExit between", backToBack + between > 0);
  `, { env: { ...process.env, SKEIN_WARM_WORKERS: "1" }, timeout: 60_000 });
  assert.equal(r.stdout, "back to back true\n", r.stderr);
  assert.equal(r.stderr, "");
});

test("a worker that dies holding queued threads posted ahead to it loses none of them", () => {
  const r = runSnippet(queuedBehindSpinners(true), { env: { ...process.env, SKEIN_WARM_WORKERS: "2" }, timeout: 60_000 });
  assert.equal(r.stdout, "each ran once 40 gave up: 0\n", r.stderr);
  assert.match(r.stderr, /^Exception in thread Crasher:\nRuntimeError: the thread's worker died under it/);
});

test("queued threads whose workers die under them, taken ahead or not, are each reported once and joined", () => {
  const r = runSnippet(`
    import { Thread } from "skein";
    import { crashWorker } from "${new URL("./helpers/crash.ts", import.meta.url).href}";
    const QUEUED = 10;
    // [queued threads started, spinners running]
    const cells = new Int32Array(new SharedArrayBuffer(8));
    function spin(cells: Int32Array) {
      Atomics.add(cells, 1, 1);
      Atomics.notify(cells, 1);
      const end = Date.now() + 30_000;
      while (Atomics.load(cells, 0) < QUEUED / 2 && Date.now() < end) {}
    }
    function die(cells: Int32Array) {
      Atomics.add(cells, 0, 1);
      crashWorker(3);
    }
    const spinners = [0, 1].map(() => new Thread({ target: spin, args: [cells] }));
    for (const t of spinners) t.start();
    for (let n; (n = Atomics.load(cells, 1)) < 2;) if (Atomics.wait(cells, 1, n, 20_000) === "timed-out") throw new Error("spinners never ran");
    const queued = Array.from({ length: QUEUED }, (_, k) => new Thread({ name: "Doomed-" + k, target: die, args: [cells] }));
    for (const t of queued) t.start();
    for (const t of [...spinners, ...queued]) if (!t.join(40_000)) throw new Error(t.name + " never ended");
    console.log("started", cells[0], "alive", queued.filter((t) => t.isAlive()).length);
  `, { env: { ...process.env, SKEIN_WARM_WORKERS: "2" }, timeout: 60_000 });
  assert.equal(r.stdout, "started 10 alive 0\n", r.stderr);
  const reported = [...r.stderr.matchAll(/^Exception in thread (Doomed-\d+):$/gm)].map((m) => m[1]).sort();
  assert.deepEqual(reported, Array.from({ length: 10 }, (_, k) => `Doomed-${k}`).sort(), r.stderr);
});

test("a thread whose API fails to load says why each time it needs it, not only the first", () => {
  const r = runFixture("api-load-fails.mjs");
  assert.equal(r.code, 0, r.stderr);
  const line = "RuntimeError: skein's public API failed to load in this thread: require() of an ES module is not supported | cause: require() of an ES module is not supported";
  assert.deepEqual(r.stdout.trim().split("\n"), [line, line, line]);
});

test("a worker loads the rest of skein's API the first time a thread needs it: a Queue or SharedDict sent, the API by name, a pool made in the thread, code sent", () => {
  const r = runFixture("lazy-api.mjs", [], 60_000);
  // Should it fail, what the program printed says how far it got (it once hung at exit: two
  // threads had shared a slot of the thread table, stress.test.ts).
  assert.equal(r.code, 0, `${r.stderr}\nstdout:\n${r.stdout}`);
  assert.equal(r.stderr, "");
  assert.deepEqual(r.stdout.trim().split("\n"), [
    "pool-in-thread alive while its tasks wait: true",
    "api-by-name: api-by-name true",
    "dict-arg: true v",
    "packs-first: by source",
    "pool-in-thread: task 0 true",
    "pool-in-thread: task 1 true",
    "pool-in-thread: task 2 true",
    "queue-arg: item 0",
    "sends-code: 42",
    "joined; the dict was set: true",
  ]);
});
