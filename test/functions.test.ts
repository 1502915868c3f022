// threading's module functions, from the main thread and from inside threads.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  activeCount, currentThread, enumerate, getIdent, getNativeId, isMainThread, local, Lock, mainThread, Thread,
} from "skein";
import { waitChange } from "./helpers/cells.js";
import { notOn } from "./helpers/runtimes.js";
import { joined } from "./helpers/threads.js";

test("in the main thread: currentThread is mainThread, named MainThread, with ident and nativeId", () => {
  assert.equal(currentThread(), mainThread());
  assert.equal(mainThread().name, "MainThread");
  assert.equal(isMainThread(), true);
  assert.equal(getIdent(), mainThread().ident);
  assert.equal(getNativeId(), mainThread().nativeId);
  assert.equal(mainThread().isAlive(), true);
  assert.equal(mainThread().state, "running");
  assert.equal(mainThread().daemon, false);
});

test(...notOn(["Deno"], "the main thread's native id is the process id on Linux", "deno test runs the tests off the process's main OS thread"), () => {
  assert.equal(getNativeId(), process.pid);
  assert.equal(mainThread().nativeId, process.pid);
});

test("inside a thread: currentThread is that thread, mainThread is main, isMainThread is false", () => {
  const out = new Int32Array(new SharedArrayBuffer(24));
  const t = new Thread({
    name: "Inside",
    target: (o: Int32Array) => {
      const me = currentThread();
      o[0] = me.name === "Inside" ? 1 : 0;
      o[1] = getIdent();
      o[2] = getNativeId();
      o[3] = isMainThread() ? 0 : 1;
      o[4] = mainThread().name === "MainThread" && mainThread().isAlive() ? 1 : 0;
      o[5] = me.ident === getIdent() ? 1 : 0;
    },
    args: [out],
  });
  t.start();
  joined(t);
  assert.deepEqual([out[0], out[3], out[4], out[5]], [1, 1, 1, 1]);
  assert.equal(out[1], t.ident);
  assert.equal(out[2], t.nativeId);
  assert.notEqual(out[1], getIdent());
});

test("enumerate and activeCount list every alive thread, whichever thread started it", () => {
  const lock = new Lock();
  lock.acquire();
  const out = new Int32Array(new SharedArrayBuffer(8));
  const parent = new Thread({
    name: "Parent",
    target: (l: Lock, o: Int32Array) => {
      const child = new Thread({ name: "Child", target: (cl: Lock) => { cl.acquire(); cl.release(); }, args: [l] });
      child.start();
      Atomics.store(o, 0, 1);
      Atomics.notify(o, 0);
      child.join();
    },
    args: [lock, out],
  });
  const before = activeCount();
  parent.start();
  waitChange(out, 0, 0);
  const names = enumerate().map((t) => t.name);
  assert.ok(names.includes("MainThread") && names.includes("Parent") && names.includes("Child"), names.join(","));
  assert.ok(enumerate().includes(parent), "enumerate returns the same object the caller started");
  assert.equal(activeCount(), before + 2);
  lock.release();
  joined(parent);
  assert.equal(activeCount(), before);
  assert.ok(!enumerate().map((t) => t.name).includes("Child"));
});

test("local() gives each thread its own properties", () => {
  const data = local<{ value?: number }>();
  data.value = 1;
  const out = new Int32Array(new SharedArrayBuffer(8));
  const t = new Thread({
    target: (d: { value?: number }, o: Int32Array) => {
      o[0] = d.value === undefined ? 1 : 0; // a new thread sees none of main's attributes
      d.value = 2;
      o[1] = d.value;
    },
    args: [data, out],
  });
  t.start();
  joined(t);
  assert.deepEqual([...out], [1, 2]);
  assert.equal(data.value, 1);
  assert.ok("value" in data);
  delete data.value;
  assert.equal(data.value, undefined);
});
