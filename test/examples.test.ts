// The README's examples (examples/*.ts) run as programs and print what the README says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runProgram, type Ran } from "./helpers/child-process.js";

const root = fileURLToPath(new URL("../", import.meta.url));

function run(file: string): Ran {
  return runProgram(`${root}examples/${file}`, [], { cwd: root, timeout: 60_000 });
}

test("examples/thread-safety.ts: locks, queues and atomics all give exact results", () => {
  const r = run("thread-safety.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "locks: 80000\nqueues: 285\natomics: 80000\n");
});

test("examples/primitives.ts: every primitive's README example", () => {
  const r = run("primitives.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^rlock released: true\ncondition: items left 0\nsemaphore: at most 3 inside\nevent: go!\n/);
  assert.match(r.stdout, /barrier: all three arrived \(action ran in Party-[012]\)\nbarrier: indices 0,1,2\n/);
  assert.match(r.stdout, /timer: hello, world\ntimer: cancelled\n$/);
  assert.doesNotMatch(r.stdout, /never prints/);
});

test("examples/pool.ts: the thread pool and task queue examples", () => {
  const r = run("pool.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "asCompleted: 6765,10946,17711\nmap: 55,89,144\nawait: 610\nworking on a\nworking on b\nworking on c\nall tasks done\n");
});

test("npm run demo's tour runs every section", () => {
  const r = run("demo.ts");
  assert.equal(r.code, 0, r.stderr);
  for (const s of ["1. Creating threads", "2. The thread lifecycle", "3. Locks", "4. join()", "5. An exception", "6. Daemon"]) assert.match(r.stdout, new RegExp(s.replace(/[.()]/g, "\\$&")));
  assert.match(r.stdout, /new -> runnable -> running -> blocked -> terminated/);
  assert.match(r.stdout, /with a Lock: {4}80000/);
  assert.match(r.stdout, /Finisher: the program waited for me/);
});
