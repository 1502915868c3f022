// Data that crosses threads stays data (docs/security.md). Every channel a program sends values
// through gets forged descriptors of every kind skein revives, in the old marker format and in
// shapes like today's handles: the data must arrive with exactly its keys, nothing may be revived,
// imported or evaluated (a tripwire module and a Barrier action would leave a file), and
// Object.prototype stays untouched. Handles forged from inside the program are a TypeError.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  Barrier, Condition, Event, Lock, LifoQueue, PriorityQueue, Queue, SharedDict, SharedList, SimpleQueue, Thread, ThreadPoolExecutor,
} from "skein";
import { SHARE } from "../dist/internal.js";
import { unpack, type Packed } from "../dist/internal.js";
import { shape, shapeJson } from "./helpers/data-shape.js";
import { LONG } from "./helpers/bounds.js";
import { runFixture } from "./helpers/child-process.js";
import { runJoined } from "./helpers/threads.js";

const TRIPWIRE = fileURLToPath(new URL("./fixtures/tripwire.fired", import.meta.url));
const TRIPWIRE_MODULE = new URL("./fixtures/tripwire.ts", import.meta.url).href;

const KINDS = [
  "Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event", "Barrier", "Queue", "LifoQueue", "PriorityQueue",
  "SimpleQueue", "Thread", "Timer", "local", "AtomicInt", "AtomicBigInt", "SharedList", "SharedDict", "port",
];

/** Code that would leave the tripwire file if any thread ever evaluated or imported it. */
const evilUnit = {
  name: "evil",
  text: `() => writeFileSync(${JSON.stringify(TRIPWIRE)}, "evaluated")`,
  mode: "expr",
  url: TRIPWIRE_MODULE,
  line: 0,
  imports: [
    { local: "writeFileSync", module: "node:fs", imported: "writeFileSync" },
    { local: "fire", module: TRIPWIRE_MODULE, imported: "default" },
  ],
};

/** One JSON request body per kind and format, as an application would receive from outside. */
function forgeries(): Array<{ name: string; body: unknown }> {
  const out: Array<{ name: string; body: unknown }> = [];
  for (const kind of KINDS) {
    const data = { unit: evilUnit, action: 0, w: [0, 0, 2], cond: 0, lock: 0, slot: 1, gen: 1, started: true, ident: 1 };
    // The marker format of skein 0.1: an own key "\u0000skein" holding a descriptor.
    out.push({ name: `${kind} marker`, body: JSON.parse(JSON.stringify({ user: "x", "\u0000skein": { kind, data } })) });
    // Shaped like a handle of today, and like a whole packed value with its side table.
    out.push({ name: `${kind} handle-shaped`, body: JSON.parse(JSON.stringify({ kind, ...data })) });
    out.push({
      name: `${kind} packed-shaped`,
      body: JSON.parse(JSON.stringify({ data: {}, holes: [{}], handles: [{ kind, ...data }], code: [evilUnit], byRef: true })),
    });
  }
  out.push({ name: "pool ref marker", body: JSON.parse('{"a":{"\\u0000skein-ref":0},"b":[{"\\u0000skein-ref":1}]}') });
  out.push({ name: "__proto__ keys", body: JSON.parse('{"__proto__":{"polluted":true,"\\u0000skein":{"kind":"Lock"}},"x":[{"__proto__":[1,2]}]}') });
  return out;
}

/** A Thread subclass whose own field carries the data (fields are copied to the thread). */
class FieldProbe extends Thread {
  constructor(readonly payload: unknown, readonly out: SharedList<string>) {
    super();
  }
  override run(): void {
    this.out.append(shapeJson(this.payload));
  }
}

/** Two fields holding the same object: they arrive as one object. */
class FieldPair extends Thread {
  readonly out = new SharedList<boolean>();
  constructor(readonly a: object, readonly b: object) {
    super();
  }
  override run(): void {
    this.out.append(this.a === this.b);
  }
}

/** Each channel: send `value`, return the JSON shape of what the receiving side got. */
type Channel = (value: unknown) => string;

let pool: ThreadPoolExecutor;

function channels(): Record<string, Channel> {
  return {
    "thread arg": (v) => {
      const out = new SharedList<string>();
      runJoined((x: unknown, o: SharedList<string>) => o.append(shapeJson(x)), [v, out]);
      return out.get(0);
    },
    "nested arg": (v) => {
      const out = new SharedList<string>();
      runJoined((x: { deep: [{ v: unknown }] }, o: SharedList<string>) => o.append(shapeJson(x.deep[0].v)), [{ deep: [{ v }] }, out]);
      return out.get(0);
    },
    "subclass field": (v) => {
      const out = new SharedList<string>();
      const t = new FieldProbe(v, out);
      t.start();
      assert.equal(t.join(LONG), true);
      return out.get(0);
    },
    "arg of a thread started by a thread": (v) => {
      const out = new SharedList<string>();
      runJoined((x: unknown, o: SharedList<string>) => {
        const inner = new Thread({ target: (y: unknown, p: SharedList<string>) => p.append(shapeJson(y)), args: [x, o] });
        inner.start();
        inner.join();
      }, [v, out]);
      return out.get(0);
    },
    "pool task arg": (v) => pool.submit((x: unknown) => shapeJson(x), v).result(LONG),
    "pool task arg beside a Lock": (v) => pool.submit((x: unknown, _l: Lock) => shapeJson(x), v, new Lock()).result(LONG),
    "pool result": (v) => shapeJson(pool.submit((s: string) => JSON.parse(s), JSON.stringify(v)).result(LONG)),
    "queue item": (v) => {
      const q = new Queue<unknown>();
      const out = new SharedList<string>();
      q.put(v);
      runJoined((qq: Queue<unknown>, o: SharedList<string>) => o.append(shapeJson(qq.get())), [q, out]);
      return out.get(0);
    },
    "SharedList value": (v) => {
      const l = new SharedList<unknown>([v]);
      const out = new SharedList<string>();
      runJoined((ll: SharedList<unknown>, o: SharedList<string>) => o.append(shapeJson(ll.get(0))), [l, out]);
      return out.get(0);
    },
    "SharedDict value": (v) => {
      const d = new SharedDict<unknown>({ k: v });
      const out = new SharedList<string>();
      runJoined((dd: SharedDict<unknown>, o: SharedList<string>) => o.append(shapeJson(dd.get("k"))), [d, out]);
      return out.get(0);
    },
  };
}

const protoNames = () => Object.getOwnPropertyNames(Object.prototype).sort().join(",");
let protoBefore = "";

before(() => {
  rmSync(TRIPWIRE, { force: true });
  pool = new ThreadPoolExecutor({ maxWorkers: 2 });
  protoBefore = protoNames();
});

after(() => {
  pool.shutdown(true);
  rmSync(TRIPWIRE, { force: true });
});

describe("forged descriptors stay data on every channel", () => {
  const bodies = forgeries();
  for (const [name, send] of Object.entries(channels())) {
    test(name, () => {
      for (const { name: what, body } of bodies) {
        assert.equal(send(body), shapeJson(body), `${what} through ${name} did not arrive as the same data`);
      }
      assert.equal(existsSync(TRIPWIRE), false, "a forged descriptor made a thread import or evaluate code");
    });
  }

  test("no thread's Object.prototype was touched", () => {
    assert.equal(protoNames(), protoBefore);
    const out = new SharedList<string>();
    runJoined((o: SharedList<string>, body: unknown) => {
      o.append(Object.getOwnPropertyNames(Object.prototype).sort().join(","));
      o.append(String(({} as Record<string, unknown>).polluted));
      o.append(String(body !== null && typeof body === "object" && Object.getPrototypeOf(body) === Object.prototype));
    }, [out, JSON.parse('{"__proto__":{"polluted":true}}')]);
    assert.deepEqual(out.toArray(), [protoBefore, "undefined", "true"]);
  });
});

describe("identity and real skein objects next to data", () => {
  test("the same object passed twice (and as a field) arrives as one object", () => {
    const shared = { n: 1 };
    const out = new SharedList<boolean>();
    runJoined((a: object, b: object, c: { x: object }, o: SharedList<boolean>) => {
      o.append(a === b);
      o.append(c.x === a);
    }, [shared, shared, { x: shared }, out]);
    assert.deepEqual(out.toArray(), [true, true]);

    const t = new FieldPair(shared, shared);
    t.start();
    assert.equal(t.join(LONG), true);
    assert.deepEqual(t.out.toArray(), [true]);
  });

  test("a real Lock, Event, Condition and Barrier next to a forged marker: only the real ones revive", () => {
    const lock = new Lock();
    const ev = new Event();
    const cond = new Condition(lock);
    const barrier = new Barrier(1);
    const body = JSON.parse('{"\\u0000skein":{"kind":"Lock","data":{}}}');
    const out = new SharedList<string>();
    runJoined((v: { l: Lock; e: Event; c: Condition; b: Barrier; forged: unknown; again: Lock }, o: SharedList<string>) => {
      // (Event is checked by its method: a thread sees the global Event for that name, for now.)
      o.append([v.l instanceof Lock, typeof v.e.isSet === "function", v.c instanceof Condition, v.b instanceof Barrier, v.l === v.again].join());
      o.append(shapeJson(v.forged));
      v.l.acquire();
      v.e.set();
      v.b.wait();
    }, [{ l: lock, e: ev, c: cond, b: barrier, forged: body, again: lock }, out]);
    assert.equal(out.get(0), "true,true,true,true,true");
    assert.equal(out.get(1), shapeJson(body));
    assert.equal(lock.locked(), true, "the Lock the thread acquired is the same lock");
    assert.equal(ev.isSet(), true);
  });

  test("every queue kind still crosses as itself", () => {
    const qs = [new Queue<number>(), new LifoQueue<number>(), new PriorityQueue<number>(), new SimpleQueue<number>()];
    runJoined((list: Array<Queue<number>>) => list.forEach((q, i) => q.put(i)), [qs]);
    assert.deepEqual(qs.map((q) => q.get(false)), [0, 1, 2, 3]);
  });
});

describe("fuzzing: JSON-like values with marker keys at random depths round-trip unchanged", () => {
  const key = fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 6 }) },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "\u0000skein", "\u0000skein-ref", "kind", "data", "holes", "handles", "code") },
  );
  const marker = fc.constantFrom(...KINDS).map((kind) => ({ "\u0000skein": { kind, data: { unit: evilUnit } } }));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom(null, true, false),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.string({ maxLength: 8 }),
      marker,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie("value")), { maxLength: 4 }).map((pairs) => {
        const o = {};
        for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }),
    ),
  }));
  for (const [name, send] of Object.entries(channels())) {
    test(name, () => {
      fc.assert(fc.property(value, (v) => send(v) === shapeJson(v)), { numRuns: 40 });
      assert.equal(existsSync(TRIPWIRE), false);
    });
  }
});

describe("handles are validated when revived", () => {
  const sab = (bytes: number) => new SharedArrayBuffer(bytes);
  const packed = (handles: unknown[], holes: number[] = [0]): Packed => {
    const hs = handles.map((_, i) => (holes.includes(i) ? {} : null));
    return { data: hs[0], holes: hs, handles: handles as Packed["handles"], code: [], byRef: true };
  };
  const bad = (what: string, handles: unknown[], pattern: RegExp, holes?: number[]) => {
    test(what, () => {
      assert.throws(() => unpack(packed(handles, holes)), (e: unknown) => e instanceof TypeError && /can't revive a shared object/.test((e as Error).message) && pattern.test((e as Error).message));
    });
  };
  bad("a Lock over a plain ArrayBuffer", [{ kind: "Lock", w: new Int32Array(8) }], /SharedArrayBuffer/);
  bad("a Lock of the wrong size", [{ kind: "Lock", w: new Int32Array(sab(4)) }], /5 elements/);
  bad("an Event over the wrong view type", [{ kind: "Event", w: new Float64Array(sab(8)) }], /Int32Array/);
  bad("an unknown kind", [{ kind: "Spoon" }], /"Spoon"/);
  bad("a Condition whose lock index is out of range", [{ kind: "Condition", w: new Int32Array(sab((4 + 1024 * 5) * 4)), lock: 7 }], /not in the table/);
  bad("a Condition whose lock is an Event", [
    { kind: "Condition", w: new Int32Array(sab((4 + 1024 * 5) * 4)), lock: 1 },
    { kind: "Event", w: new Int32Array(sab(8)) },
  ], /Lock or RLock/);
  bad("handles that refer to each other in a cycle", [
    { kind: "Condition", w: new Int32Array(sab((4 + 1024 * 5) * 4)), lock: 1 },
    { kind: "Condition", w: new Int32Array(sab((4 + 1024 * 5) * 4)), lock: 0 },
  ], /Lock or RLock|cycle/);
  bad("a Thread whose slot is out of range", [{ kind: "Thread", slot: 5000, gen: 1, ident: 9, nativeId: 1, name: "x", daemon: false, started: true }], /slot/);
  bad("a Barrier whose size doesn't match its parties", [{ kind: "Barrier", w: new Int32Array(sab(64)), cond: 0, action: -1 }], /parties/);
  bad("a Barrier whose action was not shipped with it", (() => {
    const w = new Int32Array(sab(32 + 8)); // 8 header words, 2 for its one party (sync/barrier.ts)
    w[2] = 1;
    return [{ kind: "Barrier", w, cond: 1, action: 3 }, { kind: "Condition", w: new Int32Array(sab((4 + 1024 * 5) * 4)), lock: 2 }, { kind: "Lock", w: new Int32Array(sab(20)) }];
  })(), /code 3/);
  bad("a Queue whose control block says another kind", (() => {
    const q = new LifoQueue();
    const h = (q as unknown as Record<symbol, () => Record<string, unknown>>)[SHARE]!.call(q);
    return [{ ...h, kind: "Queue" }];
  })(), /another kind/);
  bad("a Queue with a fixed-size index", [{
    kind: "Queue", ctl: new Int32Array(sab(18 * 4)), index: sab(1024), arenaMeta: new Int32Array(sab(8)), arenaBytes: sab(64),
  }], /growable/);
  bad("a SharedDict whose table doesn't match its buffers", (() => {
    const d = new SharedDict();
    const h = (d as unknown as Record<symbol, () => Record<string, unknown>>)[SHARE]!.call(d);
    (h.meta as Int32Array)[4] = 6; // MASK: a mask that is not 2^k - 1
    return [h];
  })(), /table/);

  test("a handle forged inside the program is a TypeError in the thread, before its code runs", () => {
    const r = runFixture("forged-handle.ts");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Exception in thread .*:\nTypeError: skein can't revive a shared object in this thread: Lock\.w must be an Int32Array over a SharedArrayBuffer/);
    assert.doesNotMatch(r.stdout, /target ran/);
  });

  test("a pool task returning a forged handle fails its own future, the pool goes on", () => {
    const f = pool.submit(() => ({ [SHARE]: () => ({ kind: "Event", w: new Int32Array(1) }) }));
    assert.throws(() => f.result(LONG), (e: unknown) => e instanceof TypeError && /Event\.w/.test((e as Error).message));
    assert.equal(pool.submit((x: number) => x + 1, 1).result(LONG), 2);
  });
});
