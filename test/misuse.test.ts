// Every misuse the SPEC names throws its documented error with a helpful message.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { AtomicInt, currentThread, Event, Lock, Queue, RuntimeError, SharedList, sleep, sleepAsync, Thread, ThreadPoolExecutor, Timer, TIMEOUT_MAX } from "skein";
import { LONG } from "./helpers/bounds.js";
import { daemon, joined } from "./helpers/threads.js";

const runtimeError = (re: RegExp) => (e: unknown) => e instanceof RuntimeError && re.test((e as Error).message);

test("a missing argument is named as undefined, and a Thread reads as Python's repr", () => {
  assert.throws(() => new Timer(1000, undefined as never), (e: unknown) => e instanceof TypeError && /fn must be a function, got undefined$/.test((e as Error).message));
  assert.match(String(new Thread({ target: () => {}, name: "w" })), /^<Thread\(w, initial\)>$/);
});

test("starting a thread twice is a RuntimeError", () => {
  const t = new Thread({ target: () => {} });
  t.start();
  assert.throws(() => t.start(), runtimeError(/threads can only be started once/));
  joined(t);
  assert.throws(() => t.start(), runtimeError(/only be started once/));
});

test("joining a thread that was never started is a RuntimeError", async () => {
  const t = new Thread({ target: () => {} });
  assert.throws(() => t.join(), runtimeError(/before it is started/));
  await assert.rejects(t.joinAsync(), runtimeError(/before it is started/));
});

test("joining a copy of a Thread passed before its start says a copy doesn't learn of a later start()", () => {
  const later = new Thread({ target: () => {} });
  const seen = new Queue<string>();
  const t = new Thread({
    target: (other: Thread, out: Queue<string>) => {
      try {
        other.join(1);
        out.put("joined");
      } catch (e) {
        out.put((e as Error).message);
      }
    },
    args: [later, seen],
  });
  t.start(); // the args are copied now, `later` not started yet
  later.start();
  joined(t);
  joined(later);
  assert.match(seen.get(true, LONG), /came to this thread before start\(\) was called on it, and a copy doesn't learn of a later start\(\); start the thread before passing it/);
});

test("a thread joining itself gets a RuntimeError", () => {
  const out = new Int32Array(new SharedArrayBuffer(4));
  const t = new Thread({
    target: (o: Int32Array) => {
      try {
        currentThread().join();
      } catch (e) {
        o[0] = e instanceof Error && e.name === "RuntimeError" && /cannot join current thread/.test(e.message) ? 1 : 2;
      }
    },
    args: [out],
  });
  t.start();
  joined(t);
  assert.equal(out[0], 1);
  assert.throws(() => currentThread().join(), runtimeError(/cannot join current thread/));
});

test("setting daemon after start is a RuntimeError", () => {
  const t = new Thread({ target: () => {} });
  t.start();
  assert.throws(() => (t.daemon = true), runtimeError(/cannot set daemon status of active thread/));
  assert.throws(() => t.setDaemon(true), runtimeError(/daemon/));
  joined(t);
});

test("bad timeouts: NaN is a RangeError, a non-number a TypeError, negative means don't wait", async () => {
  const t = new Thread({ target: () => {} });
  t.start();
  assert.throws(() => t.join(Number.NaN), RangeError);
  assert.throws(() => t.join("10" as unknown as number), TypeError);
  await assert.rejects(t.joinAsync(Number.NaN), RangeError);
  joined(t);
  assert.equal(t.join(-5), true);
  // A thread that stays alive until the gate opens (or LONG passes): a join(-1) that waited
  // would come back true once it ended, instead of false at once.
  const gate = new Event();
  const blocker = daemon((g: Event, ms: number) => g.wait(ms), [gate, LONG]);
  assert.equal(blocker.join(-1), false, "a negative timeout doesn't wait");
  assert.equal(blocker.isAlive(), true);
  gate.set();
  joined(blocker);
});

test("a non-function target, non-array args and wrong option types are TypeErrors", () => {
  assert.throws(() => new Thread({ target: 42 as unknown as () => void }), /target must be a function/);
  assert.throws(() => new Thread({ target: () => {}, args: 1 as unknown as [] }), /args must be an array/);
  assert.throws(() => new Thread({ name: 5 as unknown as string }), /name must be a string/);
  assert.throws(() => new Thread({ daemon: "yes" as unknown as boolean }), /daemon must be a boolean/);
  assert.throws(() => new Thread(7 as unknown as {}), /options must be an object/);
  assert.throws(() => (new Thread().name = 3 as unknown as string), TypeError);
  assert.throws(() => (new Thread().daemon = 1 as unknown as boolean), TypeError);
});

test("an option new Thread or a pool doesn't take is a TypeError naming the ones it does, and the one meant for Python's name", () => {
  const options = (o: object) => o as never;
  assert.throws(() => new Thread(options({ target: () => {}, kwargs: { x: 1 } })),
    (e: unknown) => e instanceof TypeError && /unknown option "kwargs" \(JavaScript has no keyword arguments: pass an object in args.*target, args, name, daemon, module$/.test((e as Error).message));
  assert.throws(() => new Thread(options({ targt: () => {} })), /new Thread: unknown option "targt"; the options are target, args, name, daemon, module/);
  assert.throws(() => new ThreadPoolExecutor(options({ max_workers: 2 })), /new ThreadPoolExecutor: unknown option "max_workers" \(did you mean maxWorkers\?\)/);
  assert.throws(() => new ThreadPoolExecutor(4 as never), /for 4 threads, new ThreadPoolExecutor\(\{ maxWorkers: 4 \}\)/);
  assert.throws(() => new (ThreadPoolExecutor as any)(undefined, "pfx"), /takes one options object, like new ThreadPoolExecutor\(\{ maxWorkers: 4, threadNamePrefix: "pool" \}\), got 2 arguments/);
  assert.throws(() => new Queue().get({ timeout: 5 } as never), /Queue\.get: block must be a boolean, got an object \(Object\); for a timeout, pass block first: get\(true, 5\) \(milliseconds\)/);
  const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  try {
    assert.throws(() => pool.map((x: number) => x, [1], 1000 as never), /argument 2 is not iterable; a timeout goes last as \{ timeout: 1000 \}/);
    assert.throws(() => pool.shutdown(true, options({ cancel_futures: true })), /unknown option "cancel_futures" \(did you mean cancelFutures\?\)/);
  } finally {
    pool.shutdown();
  }
});

test("the module option must name a file: import.meta.url, a file URL or an absolute path", () => {
  for (const bad of ["./work.js", "work", "https://example.com/work.js", 5, {}]) {
    assert.throws(() => new Thread({ target: () => {}, module: bad as string }), (e: unknown) => e instanceof TypeError && /new Thread: module must name the file that defines the code, as import\.meta\.url/.test((e as Error).message), String(bad));
    assert.throws(() => new ThreadPoolExecutor({ module: bad as string }), (e: unknown) => e instanceof TypeError && /ThreadPoolExecutor: module must name/.test((e as Error).message), String(bad));
  }
  // Accepted, and on Node (whose inspector says where functions are) not needed.
  for (const good of [import.meta.url, new URL(import.meta.url), "/tmp/somewhere.js"]) {
    const t = new Thread({ target: () => {}, module: good });
    t.start();
    joined(t);
    new ThreadPoolExecutor({ module: good }).shutdown();
  }
});

test("sleep: negative, NaN, non-number and too long lengths are errors", async () => {
  assert.throws(() => sleep(-1), RangeError);
  // As for every timeout: no silent 49-day sleep.
  assert.throws(() => sleep(TIMEOUT_MAX + 1), (e: unknown) => e instanceof RangeError && /longer than TIMEOUT_MAX/.test((e as Error).message));
  assert.throws(() => sleep(Number.NaN), RangeError);
  assert.throws(() => sleep("1" as unknown as number), TypeError);
  assert.throws(() => sleepAsync(-1), RangeError);
  const ac = new AbortController();
  const p = sleepAsync(10_000, { signal: ac.signal });
  ac.abort(new Error("woken"));
  await assert.rejects(p, /woken/);
});

test("console.log and util.inspect show skein objects as their repr, not the shared memory they hold", () => {
  const lock = new Lock();
  lock.acquire();
  const q = new Queue<number>();
  q.put(1);
  const shown = inspect({ lock, q, e: new Event(), n: new AtomicInt(3), list: new SharedList([1, 2]), t: new Thread({ target: () => {}, name: "w" }) });
  assert.equal(shown, "{\n  lock: <Lock locked>,\n  q: <Queue size=1>,\n  e: <Event unset>,\n  n: <AtomicInt 3>,\n  list: <SharedList length=2>,\n  t: <Thread(w, initial)>\n}");
  lock.release();
});
