// Shared data across real threads: AtomicInt, AtomicBigInt, SharedList, SharedDict.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AtomicBigInt, AtomicInt, SharedDict, SharedList, Thread } from "skein";
import { HEAVY } from "./helpers/bounds.js";
import { shared } from "./helpers/cells.js";
import { runAtGate } from "./helpers/threads.js";

const THREADS = 8;

/** Starts one thread per args list, opens the gate so they overlap, and joins them all. */
function runTogether(target: (...args: any[]) => unknown, argsFor: (t: number, gate: Int32Array) => unknown[]): void {
  const gate = shared(1);
  runAtGate(Array.from({ length: THREADS }, (_, t) => new Thread({ target, args: argsFor(t, gate) as any })), gate, HEAVY);
}

// ---- targets: they run in other threads, so they use only their parameters and globals ----

function incrementMany(gate: Int32Array, n: AtomicInt, times: number, lastSeen: Int32Array, total: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < times; i++) if (n.increment() === total) Atomics.add(lastSeen, 0, 1);
}

function incrementBig(gate: Int32Array, n: AtomicBigInt, times: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < times; i++) n.increment();
  for (let i = 0; i < times; i++) n.add(2n);
  for (let i = 0; i < times; i++) n.sub(1n);
}

/** Increments through a compareExchange retry loop: only correct if the CAS is atomic. */
function casLoop(gate: Int32Array, n: AtomicInt, times: number, retries: AtomicInt) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < times; i++) {
    for (;;) {
      const seen = n.get();
      if (n.compareExchange(seen, seen + 1) === seen) break;
      retries.increment();
    }
  }
}

function fill(gate: Int32Array, t: number, times: number, list: SharedList<number | string>, dict: SharedDict<unknown>) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < times; i++) {
    const v = t * 100_000 + i;
    list.append(i % 2 === 0 ? v : `s${v}`);
    dict.set(`${t}:${i}`, i % 3 === 0 ? v : i % 3 === 1 ? `value ${v}` : { t, i, tags: [t, i] });
  }
}

function drain(gate: Int32Array, t: number, list: SharedList<number | string>, seen: SharedDict<number>, pops: AtomicInt) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (;;) {
    let v: number | string;
    try {
      // Half the threads take from the front, so pops shift the index under everyone's feet.
      v = t % 2 === 0 ? list.pop() : list.pop(0);
    } catch (e) {
      if (e instanceof RangeError) return;
      throw e;
    }
    pops.increment();
    // A value popped twice would be counted twice but set once: the sizes would differ.
    seen.set(String(v), t);
  }
}

function churn(gate: Int32Array, t: number, dict: SharedDict<number>, times: number) {
  Atomics.wait(gate, 0, 0, 10_000);
  for (let i = 0; i < times; i++) {
    dict.set(`k${t}:${i}`, i);
    if (i % 2 === 1) dict.delete(`k${t}:${i - 1}`);
  }
}

// ---- AtomicInt / AtomicBigInt ----

test("8 threads x 10,000 AtomicInt.increment() end at exactly 80,000; exactly one saw 80,000", () => {
  const n = new AtomicInt();
  const lastSeen = new Int32Array(new SharedArrayBuffer(4));
  runTogether(incrementMany, (_t, gate) => [gate, n, 10_000, lastSeen, THREADS * 10_000]);
  assert.equal(n.get(), 80_000);
  assert.equal(lastSeen[0], 1, "increment() returns the new value, so exactly one call returns the final count");
});

test("8 threads on one AtomicBigInt beyond 2**53 lose no update", () => {
  const start = 2n ** 60n;
  const n = new AtomicBigInt(start);
  runTogether(incrementBig, (_t, gate) => [gate, n, 2_000]);
  assert.equal(n.get(), start + BigInt(THREADS * 2_000 * 2));
});

test("compareExchange returns the previous value and swaps only on a match; CAS loops across threads are exact", () => {
  const n = new AtomicInt(5);
  assert.equal(n.compareExchange(4, 9), 5);
  assert.equal(n.get(), 5, "no swap when expected doesn't match");
  assert.equal(n.compareExchange(5, 9), 5);
  assert.equal(n.get(), 9);
  assert.equal(n.exchange(1), 9);
  assert.equal(n.add(10), 11);
  assert.equal(n.sub(20), -9);
  assert.equal(n.increment(), -8);
  assert.equal(n.decrement(), -9);
  n.set(2 ** 31 - 1);
  assert.equal(n.increment(), -(2 ** 31), "int32 arithmetic wraps around");

  const b = new AtomicBigInt();
  assert.equal(b.compareExchange(1n, 2n), 0n);
  assert.equal(b.compareExchange(0n, 2n), 0n);
  assert.equal(b.get(), 2n);
  b.set(2n ** 63n - 1n);
  assert.equal(b.increment(), -(2n ** 63n), "int64 arithmetic wraps around");

  const shared = new AtomicInt();
  const retries = new AtomicInt();
  runTogether(casLoop, (_t, gate) => [gate, shared, 2_000, retries]);
  assert.equal(shared.get(), THREADS * 2_000);
});

test("AtomicInt and AtomicBigInt validate their arguments", () => {
  assert.throws(() => new AtomicInt(1.5), RangeError);
  assert.throws(() => new AtomicInt(2 ** 31), /int32|-2147483648 to 2147483647/);
  assert.throws(() => new AtomicInt("1" as any), TypeError);
  const n = new AtomicInt();
  assert.throws(() => n.set(NaN), RangeError);
  assert.throws(() => n.add(1n as any), /AtomicBigInt/);
  assert.throws(() => n.compareExchange(0, 2 ** 32), RangeError);
  assert.equal(n.get(), 0, "a rejected call changes nothing");
  assert.throws(() => new AtomicBigInt(1 as any), TypeError);
  assert.throws(() => new AtomicBigInt(2n ** 63n), RangeError);
  assert.throws(() => new AtomicBigInt().add(1 as any), /bigint/);
  assert.equal(String(new AtomicInt(3)), "<AtomicInt 3>");
  assert.equal(JSON.stringify({ a: new AtomicInt(3), b: new AtomicBigInt(4n) }), '{"a":3,"b":"4"}');
});

// ---- SharedList / SharedDict across threads ----

test("8 threads appending to one SharedList and setting keys in one SharedDict: every item exactly once", () => {
  const PER = 10_000;
  const list = new SharedList<number | string>();
  const dict = new SharedDict<unknown>();
  runTogether(fill, (t, gate) => [gate, t, PER, list, dict]);

  assert.equal(list.length, THREADS * PER);
  const items = list.toArray();
  assert.equal(items.length, THREADS * PER);
  const seen = new Set(items);
  assert.equal(seen.size, THREADS * PER, "no element duplicated");
  const lastIndexPerThread = new Array<number>(THREADS).fill(-1);
  for (let t = 0; t < THREADS; t++) {
    for (let i = 0; i < PER; i++) {
      const v = t * 100_000 + i;
      assert.ok(seen.has(i % 2 === 0 ? v : `s${v}`), `missing ${v}`);
    }
  }
  // Each thread's own appends keep their order.
  for (const item of items) {
    const v = typeof item === "number" ? item : Number(item.slice(1));
    const t = Math.floor(v / 100_000);
    assert.ok(v % 100_000 > lastIndexPerThread[t]!, "a thread's appends stay in order");
    lastIndexPerThread[t] = v % 100_000;
  }

  assert.equal(dict.size, THREADS * PER);
  assert.equal(dict.keys().length, THREADS * PER);
  for (let t = 0; t < THREADS; t++) {
    for (let i = 0; i < PER; i += 97) {
      const v = t * 100_000 + i;
      assert.deepEqual(dict.get(`${t}:${i}`), i % 3 === 0 ? v : i % 3 === 1 ? `value ${v}` : { t, i, tags: [t, i] });
    }
  }
  assert.equal(new Set(dict.keys()).size, THREADS * PER);
});

test("8 threads popping one SharedList until empty pop every element exactly once", () => {
  const N = 12_000;
  const list = new SharedList<number | string>(Array.from({ length: N }, (_, i) => (i % 2 === 0 ? i : `s${i}`)));
  const seen = new SharedDict<number>();
  const pops = new AtomicInt();
  runTogether(drain, (t, gate) => [gate, t, list, seen, pops]);
  assert.equal(list.length, 0);
  assert.equal(pops.get(), N);
  assert.equal(seen.size, N);
  for (let i = 0; i < N; i += 101) assert.ok(seen.has(i % 2 === 0 ? String(i) : `s${i}`));
});

test("8 threads setting and deleting keys in one SharedDict leave exactly the survivors", () => {
  const PER = 4_000;
  const dict = new SharedDict<number>();
  runTogether(churn, (t, gate) => [gate, t, dict, PER]);
  assert.equal(dict.size, THREADS * (PER / 2));
  for (let t = 0; t < THREADS; t++) {
    assert.equal(dict.get(`k${t}:0`), undefined);
    assert.equal(dict.get(`k${t}:1`), 1);
    assert.equal(dict.has(`k${t}:${PER - 2}`), false);
    assert.equal(dict.get(`k${t}:${PER - 1}`), PER - 1);
  }
});

test("containers pass to threads in args, also nested inside objects, and stay shared", () => {
  const n = new AtomicInt(1);
  const big = new AtomicBigInt(10n);
  const list = new SharedList<string>(["main"]);
  const dict = new SharedDict<unknown>({ from: "main" });
  const th = new Thread({
    target: (direct: SharedList<string>, nested: { inner: { d: SharedDict<unknown>; counters: [AtomicInt, AtomicBigInt] } }) => {
      direct.append("thread");
      nested.inner.d.set("seen", direct.toArray());
      nested.inner.d.set("isDict", nested.inner.d.get("from"));
      nested.inner.counters[0].add(41);
      nested.inner.counters[1].add(-11n);
    },
    args: [list, { inner: { d: dict, counters: [n, big] } }],
  });
  th.start();
  assert.equal(th.join(10_000), true);
  assert.deepEqual(list.toArray(), ["main", "thread"]);
  assert.deepEqual(dict.get("seen"), ["main", "thread"]);
  assert.equal(dict.get("isDict"), "main");
  assert.equal(n.get(), 42);
  assert.equal(big.get(), -1n);
});

test("growth made by another thread is seen here (index and value bytes)", () => {
  const list = new SharedList<string>();
  const dict = new SharedDict<string>();
  const th = new Thread({
    target: (l: SharedList<string>, d: SharedDict<string>) => {
      for (let i = 0; i < 3_000; i++) {
        l.append(`item ${i} `.repeat(20));
        d.set(`key ${i}`, `value ${i} `.repeat(20));
      }
    },
    args: [list, dict],
  });
  th.start();
  assert.equal(th.join(20_000), true);
  assert.equal(list.length, 3_000);
  assert.equal(list.get(-1), "item 2999 ".repeat(20));
  assert.equal(dict.get("key 1234"), "value 1234 ".repeat(20));
  assert.equal(dict.size, 3_000);
});

// ---- SharedList semantics ----

test("SharedList: Python's indexing, pop and insert", () => {
  const l = new SharedList<number>([1, 2, 3]);
  assert.equal(l.length, 3);
  assert.equal(l.get(0), 1);
  assert.equal(l.get(-1), 3);
  assert.equal(l.get(-3), 1);
  assert.throws(() => l.get(3), { name: "RangeError", message: /list index out of range/ });
  assert.throws(() => l.get(-4), /list index out of range/);
  assert.throws(() => l.set(3, 0), /list index out of range/);
  l.set(-1, 30);
  assert.deepEqual([...l], [1, 2, 30]);

  l.insert(0, 0);
  l.insert(100, 99);
  l.insert(-1, 98);
  l.insert(-100, -1);
  assert.deepEqual(l.toArray(), [-1, 0, 1, 2, 30, 98, 99]);
  assert.equal(l.pop(), 99);
  assert.equal(l.pop(0), -1);
  assert.equal(l.pop(-2), 30);
  assert.equal(l.pop(1), 1);
  assert.deepEqual(l.toArray(), [0, 2, 98]);
  assert.throws(() => l.pop(3), /pop index out of range/);
  l.clear();
  assert.equal(l.length, 0);
  assert.throws(() => l.pop(), { name: "RangeError", message: /pop from empty list/ });
  assert.throws(() => l.get(0), /list index out of range/);
  l.insert(-5, 7);
  assert.deepEqual(l.toArray(), [7]);

  const self = new SharedList<number>([1, 2]);
  self.extend(self);
  assert.deepEqual(self.toArray(), [1, 2, 1, 2], "extending with itself uses a snapshot");
});

test("SharedList validates its arguments", () => {
  const l = new SharedList<unknown>([1]);
  assert.throws(() => l.get("0" as any), TypeError);
  assert.throws(() => l.get(0.5), RangeError);
  assert.throws(() => l.pop(NaN), RangeError);
  assert.throws(() => l.insert(undefined as any, 1), TypeError);
  assert.throws(() => l.append(new WeakMap()), TypeError);
  // A function is code, not data: it is stored as code and comes back callable.
  l.append((x: number) => x + 1);
  assert.equal((l.pop() as unknown as (x: number) => number)(1), 2);
  assert.throws(() => l.append(Symbol("x")), TypeError);
  assert.throws(() => l.append(new AtomicInt()), /can't be stored/);
  assert.throws(() => new SharedList(5 as any), TypeError);
  assert.throws(() => new SharedList("abc" as any), TypeError);
  assert.throws(() => l.extend(null as any), TypeError);
  assert.deepEqual(l.toArray(), [1], "rejected calls change nothing");
});

test("SharedList copies values in and out, keeps structured values, and grows", () => {
  const l = new SharedList<unknown>();
  const obj = { a: 1, nested: { b: [1, 2] } };
  l.append(obj);
  obj.nested.b.push(3);
  const out = l.get(0) as typeof obj;
  assert.deepEqual(out, { a: 1, nested: { b: [1, 2] } }, "stored at append time");
  out.a = 100;
  assert.deepEqual(l.get(0), { a: 1, nested: { b: [1, 2] } }, "a returned copy is not the stored value");

  const date = new Date(2020, 1, 2);
  const values: unknown[] = [
    -0.5, NaN, Infinity, "", "héllo ✓ 🧵", true, false, null, undefined,
    [1, "two", [3]], new Map<unknown, unknown>([["k", 1], [2, { x: 1 }]]), new Set([1, 2]), date, 12n, /re/g,
  ];
  l.clear();
  l.extend(values);
  const back = l.toArray();
  assert.equal(back.length, values.length);
  back.forEach((v, i) => assert.deepEqual(v, values[i], `value #${i}`));
  assert.ok(back[12] instanceof Date && back[10] instanceof Map);

  const big = "x".repeat(1 << 20);
  l.set(0, big);
  l.insert(1, big + "y");
  assert.equal(l.get(0), big);
  assert.equal(l.get(1), big + "y");
  assert.equal(l.pop(0), big);

  const many = new SharedList<string>();
  for (let i = 0; i < 5_000; i++) many.append(`element ${i}`);
  for (let i = 0; i < 5_000; i += 2) many.set(i, `changed ${i}`.repeat(3));
  for (let i = 0; i < 1_000; i++) many.pop(0);
  assert.equal(many.length, 4_000);
  assert.equal(many.get(0), `changed 1000`.repeat(3));
  assert.equal(many.get(-1), "element 4999");
});

// ---- SharedDict semantics ----

test("SharedDict: get/set/has/delete, insertion order, update, clear", () => {
  const d = new SharedDict<unknown>();
  assert.equal(d.size, 0);
  assert.equal(d.get("missing"), undefined);
  d.set("b", 1);
  d.set("a", { x: [1, 2] });
  d.set("c", "three");
  d.set("", "empty key");
  assert.deepEqual(d.keys(), ["b", "a", "c", ""]);
  d.set("b", 10);
  assert.deepEqual(d.keys(), ["b", "a", "c", ""], "re-setting a key keeps its place");
  assert.equal(d.get("b"), 10);
  assert.equal(d.has("a"), true);
  assert.equal(d.delete("a"), true);
  assert.equal(d.delete("a"), false);
  assert.equal(d.has("a"), false);
  assert.equal(d.get("a"), undefined);
  d.set("a", "back");
  assert.deepEqual(d.entries(), [["b", 10], ["c", "three"], ["", "empty key"], ["a", "back"]], "a deleted key comes back last");
  assert.deepEqual(d.values(), [10, "three", "empty key", "back"]);
  assert.deepEqual([...d], d.entries());

  d.update({ c: 3, d: 4 });
  d.update(new Map([["e", 5]]));
  d.update([["f", 6]]);
  d.update(new SharedDict({ g: 7 }));
  assert.deepEqual(d.toJSON(), { b: 10, c: 3, "": "empty key", a: "back", d: 4, e: 5, f: 6, g: 7 });
  assert.throws(() => d.update([["h", 8], [9, 9]] as any), TypeError);
  assert.equal(d.has("h"), false, "update validates every pair before changing anything");

  d.clear();
  assert.equal(d.size, 0);
  assert.deepEqual(d.keys(), []);
  d.set("after", 1);
  assert.deepEqual(d.entries(), [["after", 1]]);
});

test("SharedDict keys: strings only, exact (lone surrogates, unicode), many of them", () => {
  const d = new SharedDict<number>();
  assert.throws(() => d.set(1 as any, 1), { name: "TypeError", message: /keys must be strings/ });
  assert.throws(() => d.get(undefined as any), TypeError);
  assert.throws(() => d.has(Symbol("s") as any), TypeError);
  assert.throws(() => d.delete({} as any), TypeError);
  assert.throws(() => d.update(null as any), TypeError);
  assert.throws(() => d.update("ab" as any), TypeError);
  assert.throws(() => d.set("w", new WeakMap() as any), TypeError);
  d.set("f", ((x: number) => x * 2) as any);
  assert.equal((d.get("f") as unknown as (x: number) => number)(4), 8);
  d.delete("f");
  d.set("\uD800", 1);
  d.set("\uFFFD", 2);
  d.set("🧵", 3);
  assert.equal(d.get("\uD800"), 1);
  assert.equal(d.get("\uFFFD"), 2);
  assert.deepEqual(d.keys(), ["\uD800", "\uFFFD", "🧵"]);

  const big = new SharedDict<number>();
  for (let i = 0; i < 50_000; i++) big.set(`key-${i}`, i);
  for (let i = 0; i < 50_000; i += 2) big.delete(`key-${i}`);
  for (let i = 0; i < 50_000; i++) big.set(`again-${i}`, -i);
  assert.equal(big.size, 75_000);
  assert.equal(big.get("key-1"), 1);
  assert.equal(big.get("key-2"), undefined);
  assert.equal(big.get("again-49999"), -49999);
  assert.equal(big.keys()[0], "key-1");
});

test("SharedDict copies values, keeps structured values, and holds big ones", () => {
  const d = new SharedDict<any>();
  const obj = { list: [1, 2], when: new Date(0) };
  d.set("o", obj);
  obj.list.push(3);
  const got = d.get("o");
  assert.deepEqual(got, { list: [1, 2], when: new Date(0) });
  got.list.push(99);
  assert.deepEqual(d.get("o").list, [1, 2]);
  d.set("m", new Map([["x", new Set([1])]]));
  assert.deepEqual(d.get("m"), new Map([["x", new Set([1])]]));
  assert.throws(() => d.set("lock", new SharedList()), /can't be stored/);

  const big = "z".repeat(1 << 20);
  d.set("big", big);
  d.set("k".repeat(10_000), big + "!");
  assert.equal(d.get("big"), big);
  assert.equal(d.get("k".repeat(10_000)), big + "!");
  d.set("big", 1);
  assert.equal(d.get("big"), 1);
  d.set("big", big);
  assert.equal(d.delete("big"), true);
  d.set("big", "small again");
  assert.equal(d.get("big"), "small again");
  assert.equal(d.size, 4);
});

test("random operations agree with an Array and a Map (freed bytes get compacted and reused)", () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const value = (): unknown => {
    switch (rnd(6)) {
      case 0: return rnd(1000);
      case 1: return "s".repeat(rnd(300));
      case 2: return { a: rnd(10), b: "x".repeat(rnd(500)) };
      case 3: return "";
      case 4: return null;
      default: return [rnd(5)];
    }
  };
  for (let round = 0; round < 8; round++) {
    const list = new SharedList<unknown>();
    const array: unknown[] = [];
    const dict = new SharedDict<unknown>();
    const map = new Map<string, unknown>();
    for (let step = 0; step < 2_000; step++) {
      const op = rnd(10);
      const v = value();
      if (op < 3) {
        list.append(v);
        array.push(v);
      } else if (op === 3 && array.length > 0) {
        const i = rnd(array.length * 2) - array.length;
        assert.deepEqual(list.pop(i), array.splice(i < 0 ? i + array.length : i, 1)[0]);
      } else if (op === 4) {
        const i = rnd(array.length + 10) - 5;
        list.insert(i, v);
        array.splice(i < 0 ? Math.max(0, i + array.length) : i, 0, v);
      } else if (op === 5 && array.length > 0) {
        const i = rnd(array.length);
        list.set(i, v);
        array[i] = v;
      } else if (op === 6) {
        const k = `k${rnd(200)}`;
        dict.set(k, v);
        map.set(k, v);
      } else if (op === 7) {
        const k = `k${rnd(200)}`;
        assert.equal(dict.delete(k), map.delete(k));
      } else if (op === 8) {
        const k = `k${rnd(200)}`;
        assert.deepEqual(dict.get(k), map.get(k));
      } else if (op === 9 && rnd(50) === 0) {
        list.clear();
        array.length = 0;
        dict.clear();
        map.clear();
      }
      if (step % 250 === 0) {
        assert.deepEqual(list.toArray(), array);
        assert.deepEqual(dict.entries(), [...map]);
      }
    }
    assert.deepEqual(list.toArray(), array);
    assert.deepEqual(dict.entries(), [...map]);
    assert.equal(dict.size, map.size);
    assert.equal(list.length, array.length);
  }
});
