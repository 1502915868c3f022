// The soak test of issue 11: threads and pool tasks that throw, exit, run out of memory, end
// their worker on the spot or leave timers, while others move numbered items through every
// queue kind and container (test/fixtures/soak.ts says what is checked). About 20 s in
// `npm test`; SKEIN_SOAK_SECONDS=600 runs it for ten minutes. Its own process, with a small
// heap, so that running out of memory comes in seconds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runProgram } from "./helpers/child-process.js";
import { outOfMemoryTest } from "./helpers/runtimes.js";

const SECONDS = Number(process.env.SKEIN_SOAK_SECONDS ?? 20);

test(...outOfMemoryTest(`soak: ${SECONDS} s of dying threads and pool tasks beside item movers: nothing hangs, nothing is lost, every future settles`), () => {
  const fixture = fileURLToPath(new URL("./fixtures/soak.ts", import.meta.url));
  const r = runProgram(fixture, [String(SECONDS)], {
    nodeArgs: ["--max-old-space-size=96"],
    timeout: SECONDS * 1000 + 120_000,
    cwd: fileURLToPath(new URL("./fixtures/", import.meta.url)),
  });
  assert.equal(r.signal, null, `the soak program hung (killed after its bound)\n${r.stdout}\n${r.stderr.slice(-2000)}`);
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  const summary = JSON.parse(last) as { problem?: string; rounds: number; faults: number[]; produced: number; futures: number; results: number; errors: number; broken: number };
  assert.equal(summary.problem, undefined, summary.problem);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  assert.ok(summary.faults.every((n) => n > 0), `every kind of fault happened: ${summary.faults}`);
  assert.equal(summary.results + summary.errors + summary.broken, summary.futures, "every future settled");
  assert.ok(summary.broken > 0, "tasks whose worker died failed with BrokenThreadPoolError");
  assert.ok(summary.produced > 0);
});
