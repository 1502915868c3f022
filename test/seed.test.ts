// The seed's examples and its process-level promises, each run as its own program.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hasPython, runFixture, runProgram } from "./helpers/child-process.js";
import { notOn } from "./helpers/runtimes.js";

const python = hasPython();
const lines = (s: string) => s.split("\n").filter((l) => l !== "");

test("seed example 1 prints exactly what Python prints when the threads run one after the other", () => {
  const ours = runFixture("seed-example-1.ts", ["--sequential"]);
  assert.equal(ours.code, 0, ours.stderr);
  const expected = python ? runFixture("seed_example_1.py", ["--sequential"]).stdout : "0\n1\n2\n3\n4\nThread running\n";
  assert.equal(ours.stdout, expected);
});

test("seed example 1 as written: both threads' lines, each thread's in order (threads run in parallel)", (t) => {
  const ours = runFixture("seed-example-1.ts");
  assert.equal(ours.code, 0, ours.stderr);
  const got = lines(ours.stdout);
  assert.deepEqual([...got].sort(), ["0", "1", "2", "3", "4", "Thread running"]);
  assert.deepEqual(got.filter((l) => l !== "Thread running"), ["0", "1", "2", "3", "4"]);
  t.diagnostic(`skein printed: ${got.join(" | ")}`);
  if (python) t.diagnostic(`CPython printed: ${lines(runFixture("seed_example_1.py").stdout).join(" | ")}`);
});

test("seed lock example: the critical section guards the shared counter as in Python", () => {
  const ours = runFixture("seed-lock.ts");
  assert.equal(ours.code, 0, ours.stderr);
  assert.equal(ours.stdout, python ? runFixture("seed_lock.py").stdout : "4\n");
});

test(...notOn(["Bun", "Deno"], "seed lock example as written, the lock at module level: every thread takes the one lock, as in Python", "it can't show skein a module's variables"), () => {
  const ours = runFixture("seed-lock-module.ts");
  assert.equal(ours.code, 0, ours.stderr);
  assert.equal(ours.stdout, python ? runFixture("seed_lock_module.py").stdout : "4000\n");
});

test("a daemon thread in an endless loop does not keep the process alive", () => {
  const r = runFixture("daemon-forever.ts", [], 15_000);
  assert.equal(r.code, 0, `process did not exit by itself (status ${r.code}): ${r.stderr}`);
  assert.equal(r.stdout, "main done, daemon=true, alive=true\n");
});

test("a non-daemon thread sleeping 300 ms keeps the process alive until it is done", () => {
  const r = runFixture("non-daemon-sleeps.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "main done\nnon-daemon finished\n");
  assert.ok(r.ms >= 300, `process ended after ${r.ms} ms, before the thread's 300 ms sleep`);
});

test("a thread's output appears before main's 'after join' line, stdout and stderr", () => {
  const r = runFixture("output-order.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "thread: first\nthread: second\nafter join\n");
  assert.equal(r.stderr, "thread: to stderr\n");
});

test("exceptions go to excepthook: default message, async rejections, custom hook; the process goes on", () => {
  const r = runFixture("exceptions.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "join returned true\nmain continues\n");
  assert.match(r.stderr, /^Exception in thread Bad:\nError: boom\n\s+at /m);
  assert.match(r.stderr, /^Exception in thread Rejecting:\nTypeError: async boom\n/m);
  assert.match(r.stderr, /^custom hook: Hooked raised bad value$/m);
  assert.doesNotMatch(r.stderr, /Exception in thread Hooked/);
});

test("compiled JavaScript under plain node: imports, dynamic import and subclasses work", () => {
  const r = runFixture("compiled.js");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "label:7 label:dyn Compiled\nSub label:3\n");
});

test("a program compiled by tsc (with tsc's helpers for using) runs under plain node", () => {
  const root = fileURLToPath(new URL("../", import.meta.url));
  const out = `${root}test/.tsc-out`;
  const tsc = runProgram(`${root}node_modules/typescript/bin/tsc`, ["--ignoreConfig", "--outDir", out, "--rootDir", `${root}test/fixtures/tsc`,
    "--target", "ES2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "es2024,esnext.disposable", "--types", "node",
    "--skipLibCheck", `${root}test/fixtures/tsc/program.ts`, `${root}test/fixtures/tsc/helper.ts`], { cwd: root, timeout: 60_000 });
  assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
  const js = readFileSync(`${out}/program.js`, "utf8");
  assert.match(js, /__addDisposableResource/, "tsc lowered `using` with its helpers");
  const r = runProgram(`${out}/program.js`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "ran in TscWorker\n1 3 false\n");
});
