// How code and data get into a thread: sources, imports, args shared or cloned, clear errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as net from "node:net";
import { readFileSync } from "node:fs";
import { AtomicInt, Event, local as threadLocal, Lock, Queue, sleep, Thread, threadSnapshot, ThreadPoolExecutor } from "skein";
import triple, { square } from "./fixtures/math.js";
import { runJoined } from "./helpers/threads.js";
import { LONG } from "./helpers/bounds.js";
import { runFixture, runSnippet } from "./helpers/child-process.js";
import { bump as count, drop, held, hits, hold, tallied } from "./fixtures/counter-module.js";
import { cachedSquare } from "./fixtures/cached-counter.js";
import { notOn, onBun, onDeno, runtimeName } from "./helpers/runtimes.js";

/** A title for a test of what Bun and Deno say where Node's inspector shows skein a module's variables. */
function notOnNode(title: string): [string, { skip: boolean }] {
  return onBun || onDeno ? [title, { skip: false }] : [`${title} (skipped on Node, which shares them)`, { skip: true }];
}

/** A module-level variable the program reassigns (below): it can't go with a target. */
let moduleLevel = 3;
export function bump(): void {
  moduleLevel++;
}

test("identifiers imported by the defining module are imported again in the thread", () => {
  const out = new Int32Array(new SharedArrayBuffer(12));
  runJoined((o: Int32Array) => {
    o[0] = square(4);
    o[1] = triple(5);
    o[2] = path.basename("/a/b/c.txt") === "c.txt" ? 1 : 0;
  }, [out]);
  assert.deepEqual([...out], [16, 15, 1]);
});

/** A helper of this file that uses its imports: a thread ships it on to a thread of its own. */
function measure(o: Int32Array, k: number): void {
  o[k] = square(k + 2) + (path.basename("/a/b/c.txt") === "c.txt" ? 100 : 0);
}

function startsMeasure(o: Int32Array): void {
  const inner = new Thread({ target: measure, args: [o, 1] });
  inner.start();
  if (!inner.join(LONG)) throw new Error("the inner thread never ended");
  measure(o, 0);
}

test("a function a thread got by source, shipped on from that thread, still has its file's imports", () => {
  // Once, the thread that shipped it on sent its declaration without the imports it uses.
  const out = new Int32Array(new SharedArrayBuffer(8));
  runJoined(startsMeasure, [out]);
  assert.deepEqual([...out], [104, 109]);
});

// A constant that is another constant's name: its initializer is a bare identifier, which the
// scope analysis must still see as a use (periscopic counts a reference by its parent).
const SHIP_BASE = 7;
const SHIP_ALIAS = SHIP_BASE;
const SHIP_FIRST = SHIP_BASE, SHIP_NEXT = SHIP_BASE + 1;

test("a constant whose value is another constant's name travels with that constant", () => {
  const out = new Int32Array(new SharedArrayBuffer(8));
  runJoined((o: Int32Array) => {
    o[0] = SHIP_ALIAS;
    o[1] = SHIP_FIRST;
  }, [out]);
  assert.deepEqual([...out], [7, 7]);
  assert.equal(SHIP_NEXT, 8);
});

test("a dynamic import inside a target resolves relative to the file that defines it", () => {
  const out = new Int32Array(new SharedArrayBuffer(4));
  runJoined(async (o: Int32Array) => {
    const m = await import("./fixtures/math.js");
    o[0] = m.square(9);
  }, [out]);
  assert.equal(out[0], 81);
});

test("an enum as Bun compiles it, filled by ((E) => ...)(E ||= {}), travels with a target that uses it", () => {
  const r = runSnippet(`
    import { Thread } from "skein";
    var Color;
    ((Color) => {
      Color[Color["Red"] = 0] = "Red";
      Color[Color["Blue"] = 1] = "Blue";
    })(Color ||= {});
    function name(i: number) { console.log(Color[i], Color.Blue); }
    const t = new Thread({ target: name, args: [0] });
    t.start();
    t.join();
  `);
  assert.equal(r.stdout, "Red 1\n", r.stderr);
});

// Python's module-level objects: `lock = threading.Lock()` at the top of the file, used by the
// functions below it with no argument. On Node each goes as the very object, shared as args are.
const moduleLock = new Lock();
const moduleTally = new Int32Array(new SharedArrayBuffer(32));
const moduleCount = new AtomicInt(0);
const moduleData = threadLocal();
let moduleQueue = new Queue<number>(); // a `let` the program never reassigns goes the same way

/** What a thread sees of the module-level objects while the main thread holds moduleLock. */
function seesModuleObjects(k: number): void {
  moduleTally[k] = moduleLock.locked() ? 1 : 2; // 1: the lock main holds, not a copy
  moduleData.mine = k;
  moduleCount.increment();
  moduleQueue.put(k);
}

/** The same, from a thread that a thread started: the objects go on from there. */
function startsSeer(k: number): void {
  const inner = new Thread({ target: seesModuleObjects, args: [k + 1] });
  inner.start();
  if (!inner.join(LONG)) throw new Error("the inner thread never ended");
  seesModuleObjects(k);
}

/** Bumps the tally without atomics: exact only if every thread takes the one moduleLock. */
function tallyUnderModuleLock(rounds: number): number {
  for (let i = 0; i < rounds; i++) {
    moduleLock.acquire();
    moduleTally[0] = moduleTally[0]! + 1;
    moduleLock.release();
  }
  return rounds;
}

test(...notOn(["Bun", "Deno"], "module-level skein objects and shared memory go to the thread as the very objects, also shipped on from a thread and to a pool", "it can't show skein a module's variables"), () => {
  moduleTally.fill(0);
  moduleLock.acquire();
  try {
    runJoined(seesModuleObjects, [1]);
    runJoined(startsSeer, [3]);
    const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
    try {
      assert.equal(pool.submit(seesModuleObjects, 5).result(LONG), undefined);
    } finally {
      pool.shutdown();
    }
  } finally {
    moduleLock.release();
  }
  assert.deepEqual([...moduleTally], [0, 1, 0, 1, 1, 1, 0, 0], "each thread saw the lock main held");
  assert.equal(moduleCount.get(), 4);
  assert.deepEqual([0, 1, 2, 3].map(() => moduleQueue.get(false)).sort(), [1, 3, 4, 5]);
  assert.equal(moduleData.mine, undefined, "a local() stays per thread");

  // Without atomics the tally is exact only if all four threads take the same lock.
  moduleTally[0] = 0;
  const ts = Array.from({ length: 4 }, () => new Thread({ target: tallyUnderModuleLock, args: [20_000], daemon: true }));
  ts.forEach((t) => t.start());
  ts.forEach((t) => assert.equal(t.join(LONG), true, `${t.name} never ended`));
  assert.equal(moduleTally[0], 80_000);

  // A queue item is bytes in shared memory: a function that carries skein objects can't be one.
  const items = new Queue<unknown>();
  assert.throws(() => items.put(seesModuleObjects), (e: unknown) =>
    e instanceof TypeError && /"moduleLock"/.test((e as Error).message) && /can't be copied into shared memory; pass it to threads in their args/.test((e as Error).message));
});

/** Calls the counter module's bump() n times. */
function bumps(n: number): void {
  for (let i = 0; i < n; i++) count();
}

function startsBumper(): void {
  const inner = new Thread({ target: count });
  inner.start();
  if (!inner.join(LONG)) throw new Error("the inner thread never ended");
}

test(...notOn(["Bun", "Deno"], "a module's lock and counters are the very objects in every thread that calls its functions, as in Python", "it can't show skein a module's variables"), () => {
  // The module is imported, not this file: a thread would import it again and make its own.
  const before = hits.get();
  const ts = Array.from({ length: 4 }, () => new Thread({ target: bumps, args: [2_000], daemon: true }));
  ts.forEach((t) => t.start());
  ts.forEach((t) => assert.equal(t.join(LONG), true, `${t.name} never ended`));
  runJoined(count, []); // the module's function as the target itself
  runJoined(startsBumper, []); // and shipped on from a thread
  assert.equal(hits.get() - before, 8_002);
  assert.equal(tallied(), hits.get(), "without atomics, the tally is exact only under one lock");
  hold();
  try {
    const seen = new Int32Array(new SharedArrayBuffer(4));
    runJoined((o: Int32Array) => void (o[0] = held() ? 1 : 2), [seen]);
    assert.equal(seen[0], 1, "the thread sees the module's lock as main holds it");
  } finally {
    drop();
  }
  const r = runFixture("required-counter/main.cjs");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "2000 counted\n", "CommonJS: require()d the same way");
  const whole = runFixture("required-counter/whole-main.cjs");
  assert.equal(whole.code, 0, whole.stderr);
  assert.equal(whole.stdout, "2000 counted\n", "CommonJS: the module require()d whole");
  // A function that reaches its module's counter through `exports` (tsc's CommonJS) finds the very
  // counter there (once, it went by source and crashed on an empty `exports`).
  const tsc = runFixture("required-counter/tsc-main.cjs");
  assert.equal(tsc.code, 0, tsc.stderr);
  assert.equal(tsc.stderr, "");
  assert.equal(tsc.stdout, "1501\n");
});

/** Python's class attributes: `lock = threading.Lock()` in the class body, used through the class. */
class Tally {
  static lock = new Lock();
  static hits = new AtomicInt();
  static counts = new Int32Array(new SharedArrayBuffer(4));
  static label = "tally";

  /** Uses `this`, which a static method called as Tally.total() has as its class. */
  static total(): number {
    return this.hits.get();
  }

  static bump(): void {
    Tally.lock.acquire();
    try {
      Tally.counts[0] = Tally.counts[0]! + 1;
      Tally.hits.increment();
    } finally {
      Tally.lock.release();
    }
  }
}

function tallies(n: number): void {
  for (let i = 0; i < n; i++) Tally.bump();
}

test("a class's static method is a target and a pool task, as Python's staticmethod and classmethod are", () => {
  const before = Tally.hits.get();
  const t = new Thread({ target: Tally.bump, daemon: true });
  assert.equal(t.name.endsWith("(bump)"), true, t.name);
  t.start();
  assert.equal(t.join(LONG), true);
  using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.equal(pool.submit(Tally.total).result(LONG) >= 0, true);
  // Bun and Deno can't show skein a class's values: there the class's counter is each worker's.
  if (!onBun && !onDeno) {
    assert.equal(Tally.hits.get(), before + 1);
    assert.equal(pool.submit(Tally.total).result(LONG), before + 1, "`this` in a static method is its class");
  }
});

/** A Thread subclass whose class attribute every instance shares. */
class Pinger extends Thread {
  static pings = new AtomicInt();
  override run(): void {
    Pinger.pings.increment();
  }
}

test(...notOn(["Bun", "Deno"], "a class's static skein objects are the very objects in every thread, as Python's class attributes", "it can't show skein a class's values"), () => {
  const before = Tally.hits.get();
  const countedBefore = Tally.counts[0]!;
  const ts = Array.from({ length: 4 }, () => new Thread({ target: tallies, args: [2_000], daemon: true }));
  ts.forEach((t) => t.start());
  ts.forEach((t) => assert.equal(t.join(LONG), true, `${t.name} never ended`));
  assert.equal(Tally.hits.get() - before, 8_000);
  assert.equal(Tally.counts[0]! - countedBefore, 8_000, "without atomics, the count is exact only under one lock");
  Tally.lock.acquire();
  try {
    const seen = new Int32Array(new SharedArrayBuffer(4));
    runJoined((o: Int32Array) => void (o[0] = Tally.lock.locked() ? 1 : 2), [seen]);
    assert.equal(seen[0], 1, "the thread sees the class's lock as main holds it");
  } finally {
    Tally.lock.release();
  }
  const pingers = Array.from({ length: 3 }, () => new Pinger({ daemon: true }));
  pingers.forEach((t) => t.start());
  pingers.forEach((t) => assert.equal(t.join(LONG), true, `${t.name} never ended`));
  assert.equal(Pinger.pings.get(), 3);
  // As with a module's objects, a queue item (bytes) can't carry them: the error names them as written.
  assert.throws(() => new Queue<unknown>().put(new Tally()), (e: unknown) =>
    e instanceof TypeError && /Tally uses "Tally.lock", "Tally.hits", "Tally.counts"/.test((e as Error).message));
});

test("a class's static fields set after the class, as compilers write them for targets before ES2022, go with the class", () => {
  // Once they were left behind: the thread's class had no lock at all.
  const r = runFixture("static-fields.cjs");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  // Bun and Deno can't show skein the class's values: there each worker has its own counters.
  assert.equal(r.stdout, `thread sees tally Lock\n${onBun || onDeno ? "0 0 0" : "2000 2000 2000"}\n`);
});

test(...notOn(["Bun", "Deno"], "a module's function that uses its module's lock and a Map cache is refused, naming the cache, not sent with a new lock", "it can't show skein a module's variables"), () => {
  assert.throws(() => new Thread({ target: cachedSquare, args: [3] }).start(), (e: unknown) =>
    e instanceof TypeError && /"cache" \(line 6\): a module-level object the program changes/.test((e as Error).message));
  // Used by a target of this file, the same.
  assert.throws(() => new Thread({ target: (n: number) => cachedSquare(n), args: [3] }).start(), (e: unknown) =>
    e instanceof TypeError && /"cache"/.test((e as Error).message));
});

test("a module that starts a thread when it loads starts it once, though threads load the module again", () => {
  // Python runs a module's top level once; a worker loading the module for a thread's code runs
  // it again, and its start() must not start another thread (each would load the module anew).
  const r = runFixture("starts-on-load/main.mjs");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.deepEqual(r.stdout.trimEnd().split("\n").sort(), ["greeted in caller", "greeted in started-on-load"]);
});

test("a module loaded by a thread sees that thread as currentThread() in its top-level code, not the main thread", () => {
  const r = runFixture("starts-on-load/where-main.mjs");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "loaded in MainThread, called in MainThread\nloaded in worker-1, called in worker-1\n");
});

/** A class whose instances hold #private state, which no copy can carry. */
class Wallet {
  #balance = 0;
  deposit(n: number): number {
    this.#balance += n;
    return this.#balance;
  }
}

/** A class with TypeScript's `private` (an ordinary field at run time) and a static #field: copies work. */
class Purse {
  private coins = 3;
  static #made = 0;
  constructor() {
    Purse.#made++;
  }
  count(): number {
    return this.coins;
  }
}

test("an instance with #private members is refused where it would cross, naming them; TypeScript's private and static #fields cross", () => {
  const refused = (e: unknown) => e instanceof TypeError && /a Wallet instance with private members \(#balance\), which can't be copied to another thread/.test((e as Error).message);
  assert.throws(() => new Thread({ target: (w: Wallet) => w.deposit(1), args: [new Wallet()] }).start(), refused);
  using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.throws(() => pool.submit(() => new Wallet()).result(LONG), (e: unknown) => e instanceof TypeError && /the task's result is a Wallet instance with private members/.test((e as Error).message));
  assert.equal(pool.submit((p: Purse) => p.count(), new Purse()).result(LONG), 3);
});

test(...notOnNode("a module-level skein object is refused where the runtime can't show skein its value, saying why and to pass it in args"), () => {
  const t = new Thread({ target: seesModuleObjects, args: [1] });
  assert.throws(() => t.start(), (e: unknown) =>
    e instanceof TypeError && /"moduleLock"/.test((e as Error).message) && new RegExp(`Node shares such an object.*${runtimeName} gives skein no way`).test((e as Error).message) &&
    /"moduleTally"[^\n]*: a skein object or shared memory made when the module loads/.test((e as Error).message) && /args: \[/.test((e as Error).message));
});

test("a socket or a server in args is a TypeError saying it is a live handle of this thread", () => {
  const server = net.createServer();
  const socket = new net.Socket();
  try {
    for (const [value, what] of [[socket, "Socket, a live stream"], [server, "Server, a live server"]] as const) {
      assert.throws(() => new Thread({ target: (x: unknown) => x, args: [{ conn: value }] }).start(),
        (e: unknown) => e instanceof TypeError && (e as Error).message.startsWith(`args[0].conn is a ${what}`) && /open it in the thread that uses it/.test((e as Error).message));
    }
    assert.throws(() => new Queue().put(socket), (e: unknown) => e instanceof TypeError && (e as Error).message.startsWith("Queue.put: the item is a Socket, a live stream"));
  } finally {
    socket.destroy();
    server.close();
  }
});

test("a refused binding's line is its line in the file as written, though the runtime runs compiled code (tsx, type stripping, Bun's reprint)", () => {
  // This file runs as tsx's (or Deno's, or Bun's) output, whose lines differ from the file's.
  const text = readFileSync(new URL(import.meta.url), "utf8");
  const line = text.slice(0, text.indexOf("let moduleLevel = 3;")).split("\n").length;
  assert.throws(() => new Thread({ target: () => moduleLevel }).start(),
    (e: unknown) => e instanceof TypeError && (e as Error).message.includes(`"moduleLevel" (line ${line}): a module-level variable the program reassigns`));
});

test("a stack trace from code shipped by source names its file's lines, the first ones included", () => {
  // The helper starts on the file's second line: a factory that writes lines of its own before
  // its body would push it, and every line after it, down.
  const r = runFixture("thread-lines.mjs");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /at fail \(.*thread-lines\.mjs\?skein-thread=\d+:4:\d+\)/);
  // Bun reprints the file (its lines inside a function may move), and skein ships what Bun runs.
  if (!onBun) assert.match(r.stderr, /thread-lines\.mjs\?skein-thread=\d+:8:\d+\)/);
});

/** Throws on a line of its own, in a thread, and sends the stack back. */
function throwsHere(out: Queue<string>): void {
  try {
    throw new Error("here"); // THROW-LINE
  } catch (e) {
    out.put((e as Error).stack ?? "");
  }
}

/** Waits on a line of its own, for a thread dump to name. */
function waitsHere(go: Event): void {
  go.wait(LONG); // WAIT-LINE
}

test(...notOn(["Bun"], "stack traces and thread dumps of code in a thread name the lines of the TypeScript file, which tsx and Deno run compiled to other lines", "Bun keeps no source map of the file it reprints"), () => {
  const text = readFileSync(new URL(import.meta.url), "utf8");
  const lineOf = (marker: string) => text.slice(0, text.indexOf(marker)).split("\n").length;
  const q = new Queue<string>();
  runJoined(throwsHere, [q]);
  assert.match(q.get(true, LONG), new RegExp(`throwsHere[^\\n]*\\(.*shipping\\.test\\.ts:${lineOf("// THROW-LINE")}:\\d+\\)`));
  const go = new Event();
  const t = new Thread({ target: waitsHere, args: [go], daemon: true, name: "waits-here" });
  t.start();
  try {
    // A wait's call site is taken once it has lasted a moment: look until it is there, within bounds.
    let site: string | null = null;
    for (const until = Date.now() + LONG; site === null && Date.now() < until; sleep(10)) site = threadSnapshot().find((x) => x.name === "waits-here")?.callSite ?? null;
    assert.match(site ?? "(none)", new RegExp(`shipping\\.test\\.ts:${lineOf("// WAIT-LINE")}:\\d+$`));
  } finally {
    go.set();
    assert.equal(t.join(LONG), true);
  }
});

test("state the program changes is refused with advice to make it a skein object, not to pass a copy", () => {
  assert.throws(() => new Thread({ target: () => moduleLevel }).start(),
    (e: unknown) => e instanceof TypeError && /A thread gets copies, so changes to "moduleLevel" would not reach the others: make shared state a skein object \(AtomicInt for a counter/.test((e as Error).message));
});

test("a variable that can't travel is a TypeError at start() naming every one and saying to pass them in args", () => {
  // An object, not a literal: Bun bakes a const's literal value into the function's text.
  const local = { n: 5 };
  const t = new Thread({ target: () => local.n + 1 });
  assert.throws(() => t.start(), (e: unknown) => e instanceof TypeError && /"local"/.test((e as Error).message) && /args: \[local\]/.test((e as Error).message));
  assert.equal(t.state, "new", "a thread that failed to start stays new");
  // A closure variable and a module-level variable the program reassigns, named together.
  assert.throws(() => new Thread({ target: () => moduleLevel + local.n }).start(), (e: unknown) =>
    e instanceof TypeError && /"moduleLevel"/.test((e as Error).message) && /"local"/.test((e as Error).message) && /reassigns/.test((e as Error).message));
});

test("each variable that can't travel is named at the line that uses it, in the order the code uses them", () => {
  const factor = { n: 2 };
  const seen = new Set<number>();
  const t = new Thread({
    target: (x: number) => {
      const y = x * factor.n; // FACTOR-USE
      seen.add(y); // SEEN-USE
    },
    args: [1],
  });
  const text = readFileSync(new URL(import.meta.url), "utf8");
  const lineOf = (marker: string) => text.slice(0, text.indexOf(marker)).split("\n").length;
  assert.throws(() => t.start(), (e: unknown) => {
    const m = (e as Error).message;
    assert.match(m, /uses "factor", "seen",/);
    // Bun keeps no map of its reprint: there a place inside a function isn't named.
    if (!onBun) {
      assert.match(m, new RegExp(`"factor" \\(line ${lineOf("// FACTOR-USE")}\\)`));
      assert.match(m, new RegExp(`"seen" \\(line ${lineOf("// SEEN-USE")}\\)`));
    }
    return true;
  });
});

test("a subclass using an outer variable is rejected at start() too, naming it", () => {
  const secret = { v: 1 }; // an object: Bun would bake a literal into the method's text
  class Leaky extends Thread {
    override run() {
      return secret.v;
    }
  }
  assert.throws(() => new Leaky().start(), (e: unknown) => e instanceof TypeError && /"secret"/.test((e as Error).message) && /constructor/.test((e as Error).message));
});

test("SharedArrayBuffers, typed arrays over them and skein objects are shared by reference", () => {
  const sab = new SharedArrayBuffer(16);
  const view = new Int32Array(sab, 4, 2); // a view with an offset: the same bytes on both sides
  const lock = new Lock();
  runJoined((s: SharedArrayBuffer, v: Int32Array, l: Lock) => {
    new Int32Array(s)[0] = 11;
    v[1] = 22;
    l.acquire();
  }, [sab, view, lock]);
  assert.deepEqual([...new Int32Array(sab)], [11, 0, 22, 0]);
  assert.equal(lock.locked(), true, "the thread acquired the very same lock");
  lock.release();
});

test("other args are copied: the thread's changes don't reach the caller, nested skein objects still shared", () => {
  const data = { list: [1, 2], when: new Date(0), map: new Map([["k", 1]]), lock: new Lock() };
  const out = new Int32Array(new SharedArrayBuffer(8));
  runJoined((d: typeof data, o: Int32Array) => {
    d.list.push(3);
    o[0] = d.list.length + (d.when instanceof Date ? 10 : 0) + (d.map.get("k") === 1 ? 100 : 0);
    d.lock.acquire();
  }, [data, out]);
  assert.equal(out[0], 113);
  assert.deepEqual(data.list, [1, 2]);
  assert.equal(data.lock.locked(), true);
});

test("an argument that can't be sent is a TypeError at start() naming its position", () => {
  const captured = { n: 1 }; // an object: Bun would bake a literal into the functions' text
  const cases: Array<[unknown[], RegExp]> = [
    [[() => captured.n], /args\[0\] can't be sent to another thread: it uses "captured"/],
    [[1, { cb: () => captured.n }], /args\[1\]\.cb can't be sent/],
    [[[0, Symbol("s")]], /args\[0\]\[1\] is a symbol/],
    [[Promise.resolve()], /args\[0\] is a Promise/],
  ];
  for (const [args, re] of cases) {
    const t = new Thread({ target: (..._a: unknown[]) => {}, args });
    assert.throws(() => t.start(), (e: unknown) => e instanceof TypeError && re.test((e as Error).message), String(re));
  }
});

test("a subclass's own fields are copied to the thread (functions as code); a field that can't travel is named", () => {
  class WithCallback extends Thread {
    cb = (x: number) => x * 2;
    out = new Int32Array(new SharedArrayBuffer(4));
    override run() {
      this.out[0] = this.cb(21);
    }
  }
  const ok = new WithCallback();
  ok.start();
  assert.equal(ok.join(LONG), true);
  assert.equal(ok.out[0], 42);
  class WithWeakMap extends Thread {
    cache = new WeakMap();
    override run() {}
  }
  assert.throws(() => new WithWeakMap().start(), /this\.cache is a WeakMap/);
});

test("bound functions can't be sent; natives reachable by name and methods can", () => {
  assert.throws(() => new Thread({ target: ((x: number) => x).bind(null, 1) }).start(), /a bound function/);
  const max = new Thread({ target: Math.max, args: [1, 2] });
  max.start();
  assert.equal(max.join(LONG), true);
  const out = new Int32Array(new SharedArrayBuffer(4));
  const tasks = {
    fill(o: Int32Array) {
      o[0] = 5;
    },
  };
  runJoined(tasks.fill, [out]);
  assert.equal(out[0], 5);
});

test("a method that uses this, passed as a target or task, is refused with how to call it on its object", () => {
  class Counter {
    hits = 0;
    bump() {
      this.hits++;
    }
  }
  const c = new Counter();
  // Python's bound method: in JavaScript c.bump loses c, as it would in setTimeout(c.bump).
  assert.throws(() => new Thread({ target: c.bump }).start(), (e: unknown) =>
    e instanceof TypeError && /is the method bump, which uses "this".*new Thread\(\{ target: \(obj\) => obj\.bump\(\), args: \[obj\] \}\)/.test((e as Error).message));
  assert.throws(() => new Thread({ target: c.bump.bind(c) }).start(), (e: unknown) =>
    e instanceof TypeError && /a bound function \(bound bump\).*pass the object it is bound to as an argument.*obj\.bump\(\)/.test((e as Error).message));
  const pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  try {
    assert.throws(() => pool.submit(c.bump), /pool\.submit\(\(obj\) => obj\.bump\(\), obj\)/);
  } finally {
    pool.shutdown();
  }
});
