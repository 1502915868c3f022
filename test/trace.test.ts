// SKEIN_TRACE (issue 13): a 3-thread contended program writes a Chrome Trace Event Format file
// that parses, has one named track per thread, and blocked spans nested inside running ones.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runtime } from "../dist/internal.js";
import { runProgram } from "./helpers/child-process.js";

const fixture = fileURLToPath(new URL("./fixtures/trace/contended.mjs", import.meta.url));

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
}

test("a contended program's trace: one named track per thread, blocked spans nested in running ones", () => {
  const dir = mkdtempSync(join(tmpdir(), "skein-trace-"));
  try {
    const file = join(dir, "trace.json");
    const r = runProgram(fixture, [], { env: { ...process.env, SKEIN_TRACE: file }, timeout: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const trace = JSON.parse(readFileSync(file, "utf8")) as { traceEvents: TraceEvent[]; otherData: { dropped: number } };
    assert.equal(trace.otherData.dropped, 0);
    const names = new Map(trace.traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => [e.tid, e.args!.name]));
    assert.deepEqual([...names.values()].sort(), ["MainThread", "worker-1", "worker-2", "worker-3"]);
    const spans = trace.traceEvents.filter((e) => e.ph === "X");
    for (const [tid, name] of names) {
      const mine = spans.filter((e) => e.tid === tid);
      const running = mine.filter((e) => e.name === "running");
      assert.equal(running.length, 1, `${name}: one running span`);
      const run = running[0]!;
      const blocked = mine.filter((e) => e.name !== "running");
      assert.ok(blocked.length > 0, `${name} was blocked at some point`);
      for (const b of blocked) {
        assert.ok(b.ts! >= run.ts! && b.ts! + b.dur! <= run.ts! + run.dur! + 1, `${name}: ${b.name} at ${b.ts} nests in running ${run.ts}+${run.dur}`);
      }
    }
    const workers = spans.filter((e) => names.get(e.tid)?.toString().startsWith("worker-"));
    assert.equal(workers.filter((e) => e.name === "sleep()").length, 60, "each of 3 workers slept 20 times");
    assert.ok(workers.some((e) => e.name === "Lock.acquire()" && /^Lock#\d+$/.test(String(e.args?.on))), "contention shows as Lock.acquire() on the lock");
    const main = spans.filter((e) => names.get(e.tid) === "MainThread" && e.name === "Thread.join()");
    assert.ok(main.length >= 1, "main joined");
    for (const e of main) assert.match(String(e.args?.on), /^Thread "worker-\d" \(ident \d+\)$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without SKEIN_TRACE nothing is allocated for it", () => {
  assert.equal(runtime.trace, null);
});

test("SKEIN_STATS=1 prints blocked waits by object and by thread at exit", () => {
  const r = runProgram(fixture, [], { env: { ...process.env, SKEIN_STATS: "1" }, timeout: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^skein: blocked waits by object \(SKEIN_STATS=1\)$/m);
  assert.match(r.stderr, /^ +60 +[\d.]+ +[\d.]+ +3 +sleep\(\)$/m, "3 threads slept 20 times each");
  assert.match(r.stderr, /^ +\d+ +[\d.]+ +[\d.]+ +\d +Lock\.acquire\(\) on Lock#\d+$/m);
  for (const w of ["worker-1", "worker-2", "worker-3"]) assert.match(r.stderr, new RegExp(`^ +\\d+ +[\\d.]+ +[\\d.]+ +"${w}" \\(ident \\d+\\)$`, "m"));
});
