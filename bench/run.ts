// npm run bench [-- --quick]: every workload in skein and, in the same run, in CPython's threading
// (when python3 is here), bare worker_threads and piscina; prints medians and ratios. A full run
// writes bench/results.json.
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import * as S from "./skein-workloads.js";
import * as R from "./raw-workloads.js";
import { piscinaTasks, skeinTasks } from "./pool-workloads.js";
import { firstStart, poolLibrary } from "./shipping-workloads.js";
import * as C from "./cold-workloads.js";
import { tsChild } from "./child.js";

const quick = process.argv.includes("--quick");

// A benchmark that deadlocks blocks this thread for good: a watchdog thread names the row and
// stops the run instead of letting it hang.
const progress = new Int32Array(new SharedArrayBuffer(4));
const watchdog = new Worker(
  `const { workerData: { progress, limit } } = require("node:worker_threads");
  let last = -1, since = Date.now();
  setInterval(() => {
    const p = Atomics.load(progress, 0);
    if (p !== last) { last = p; since = Date.now(); return; }
    if (Date.now() - since > limit) {
      require("node:fs").writeSync(2, "bench: row " + p + " made no progress for " + limit / 1000 + " s; stopping\\n");
      process.kill(process.pid, "SIGTERM");
    }
  }, 1000);`,
  { eval: true, workerData: { progress, limit: 300_000 } },
);
watchdog.unref();
const here = fileURLToPath(new URL(".", import.meta.url));
const py = spawnSync("python3", ["--version"], { encoding: "utf8" });
const python = py.status === 0 ? (py.stdout || py.stderr).trim() : null;

function cpython(workload: string, n: number): any {
  if (!python) return null;
  const r = spawnSync("python3", [here + "baseline.py", workload, String(n)], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`baseline.py ${workload} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Median of `times` runs of a measurement (null stays null): steadier ratios on a busy machine. */
function rep(times: number, f: () => number | null): number | null {
  const xs: number[] = [];
  for (let i = 0; i < times; i++) {
    const v = f();
    if (v === null) return null;
    xs.push(v);
  }
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

async function repAsync(times: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < times; i++) xs.push(await f());
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

const REPS = quick ? 1 : 3;
/**
 * Rows 15-18 take tens of ms each, and on two cores one run of them swings 2x with how the
 * threads happen to interleave (two threads that run one after the other never contend): their
 * medians are of more runs, CPython's as well.
 */
const SCALING_REPS = quick ? 1 : 9;

function childMemory(mode: string, n: number): number {
  const r = spawnSync(process.execPath, tsChild(here + "memory.ts", [mode, String(n)], ["--expose-gc"]), { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`memory.ts ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout).mb;
}

interface Row {
  id: number;
  workload: string;
  unit: string;
  skein: number | null;
  cpython: number | null;
  workerThreads: number | null;
  piscina: number | null;
  ratio: number | null;
  ratioOf: string;
  target: string;
  met: boolean | null;
  note?: string;
}

const rows: Row[] = [];
const size = (full: number, small: number) => (quick ? small : full);

function startRow(id: number): void {
  Atomics.store(progress, 0, id);
}

function add(row: Omit<Row, "met" | "ratio"> & { ratio?: number | null }, check: ((r: number) => boolean) | null) {
  const ratio = row.ratio !== undefined ? row.ratio : row.skein !== null && row.cpython !== null ? row.skein / row.cpython : null;
  rows.push({ ...row, ratio, met: ratio === null || !check ? null : check(ratio) });
  const last = rows[rows.length - 1]!;
  process.stderr.write(`  done: ${last.workload}\n`);
}

/** The runtime running the bench: Bun and Deno report a Node version of their own in process.version. */
const versions = process.versions as { bun?: string; deno?: string };
const runtimeName = versions.bun ? `Bun ${versions.bun}` : versions.deno ? `Deno ${versions.deno}` : `Node ${process.version}`;
process.stderr.write(`skein benchmarks${quick ? " (quick)" : ""}: ${cpus().length} cores, ${runtimeName}, ${python ?? "no python3: CPython rows skipped"}\n`);

{
  startRow(1);
  const n = size(1000, 200);
  add({ id: 1, workload: "start + join a no-op thread (median)", unit: "ms", skein: S.startJoin(n), cpython: cpython("start_join", n)?.ms ?? null,
    workerThreads: await R.startJoin(size(20, 5)), piscina: null, ratioOf: "skein / CPython", target: "<= 0.5" }, (r) => r <= 0.5);
}
{
  startRow(2);
  const n = size(2_000_000, 200_000);
  add({ id: 2, workload: "uncontended Lock acquire + release", unit: "ns/op", skein: rep(REPS, () => S.lockUncontended(n)), cpython: rep(REPS, () => cpython("lock_uncontended", n)?.ns ?? null),
    workerThreads: R.lockUncontended(n), piscina: null, ratioOf: "skein / CPython", target: "<= 0.5" }, (r) => r <= 0.5);
}
{
  startRow(3);
  const n = size(1_000_000, 100_000);
  add({ id: 3, workload: `2 threads x ${n.toLocaleString("en")} increments under one Lock`, unit: "ms", skein: rep(REPS, () => S.lockContended(n)),
    cpython: rep(REPS, () => cpython("lock_contended", n)?.ms ?? null), workerThreads: await repAsync(REPS, () => R.lockContended(n)), piscina: null, ratioOf: "skein / CPython", target: "<= 0.5" }, (r) => r <= 0.5);
}
{
  startRow(4);
  const n = size(20_000, 2_000);
  const s = rep(REPS, () => S.eventPingPong(n));
  add({ id: 4, workload: "Event ping-pong round trip", unit: "us", skein: s, cpython: rep(REPS, () => cpython("event_pingpong", n)?.us ?? null),
    workerThreads: await repAsync(REPS, () => R.eventPingPong(n)), piscina: null, ratioOf: "skein / CPython", target: "<= 1.0",
    note: s === null ? "Event not implemented yet (issue #3)" : undefined }, (r) => r <= 1.0);
}
{
  startRow(5);
  const n = size(200_000, 20_000);
  const s = rep(REPS, () => S.spscQueue(n));
  add({ id: 5, workload: "SPSC queue of small items", unit: "items/s", skein: s, cpython: rep(REPS, () => cpython("spsc_queue", n)?.items_per_s ?? null),
    workerThreads: await repAsync(REPS, () => R.spscQueue(n)), piscina: null, ratioOf: "skein / CPython", target: ">= 5", note: s === null ? "Queue not implemented yet (issue #4)" : undefined }, (r) => r >= 5);
}
{
  startRow(6);
  const s = S.cpuSpeedup(size(400_000_000, 100_000_000));
  const c = cpython("cpu_speedup", size(10_000_000, 2_000_000));
  const raw = await R.cpuSpeedup(size(400_000_000, 100_000_000));
  add({ id: 6, workload: `CPU-bound loop, 1 thread vs ${s.threads} threads`, unit: "x speedup", skein: s.speedup, cpython: c?.speedup ?? null,
    workerThreads: raw.speedup, piscina: null, ratio: s.speedup, ratioOf: "skein speedup", target: ">= 1.8" }, (r) => r >= 1.8);
}
{
  startRow(7);
  const n = size(10_000, 2_000);
  const p = await piscinaTasks(n);
  const s = await skeinTasks(n);
  add({ id: 7, workload: `${n.toLocaleString("en")} small tasks through a pool`, unit: "tasks/s", skein: s?.tasksPerSec ?? null, cpython: null,
    workerThreads: null, piscina: p.tasksPerSec, ratio: s ? s.tasksPerSec / p.tasksPerSec : null, ratioOf: "skein / piscina", target: ">= 1.0",
    note: s === null ? "ThreadPoolExecutor not implemented yet (issue #4)" : undefined }, (r) => r >= 1.0);
}
{
  startRow(8);
  const n = 8;
  const s = childMemory("skein", n);
  const raw = childMemory("raw", n);
  const rawEsm = childMemory("raw-esm", n);
  add({ id: 8, workload: `resident memory per idle thread (${n} threads)`, unit: "MB", skein: s, cpython: cpython("memory_per_thread", n)?.mb ?? null,
    workerThreads: raw, piscina: null, ratio: s / raw, ratioOf: "skein / worker_threads", target: "<= 1.1",
    note: `a bare worker whose entry is an ES module, as skein's is: ${rawEsm.toFixed(2)} MB (${(rawEsm / raw).toFixed(2)}x the CommonJS one; skein ${(s / rawEsm).toFixed(2)}x it)` }, (r) => r <= 1.1);
}

{
  startRow(9);
  add({ id: 9, workload: "first start() + join of a target from a file not shipped before", unit: "ms", skein: firstStart(size(5, 3)),
    cpython: rep(size(5, 3), () => cpython("first_start", 1)?.ms ?? null), workerThreads: null, piscina: null, ratioOf: "skein / CPython", target: "(reported)" }, null);
}
{
  startRow(10);
  const n = size(10_000, 2_000);
  const s = rep(REPS, () => poolLibrary(n, cpus().length));
  const c = rep(REPS, () => cpython("pool_library", n)?.tasks_per_s ?? null);
  add({ id: 10, workload: `${n.toLocaleString("en")} pool tasks of a library function (Math.sqrt)`, unit: "tasks/s", skein: s, cpython: c,
    workerThreads: null, piscina: null, ratio: s !== null && c !== null ? s / c : null, ratioOf: "skein / CPython", target: "(reported)" }, null);
}

{
  startRow(11);
  const runs = size(7, 3);
  const skein = C.coldSkein(runs);
  const bare = C.coldBareWorker(runs);
  const py = python ? C.coldPython(runs) : null;
  add({ id: 11, workload: "cold 8: import, start 8 threads, all joined (fresh process)", unit: "ms", skein: skein.ms, cpython: py?.ms ?? null,
    workerThreads: bare.ms, piscina: null, ratio: skein.ms / bare.ms, ratioOf: "skein / one bare Worker start+exit", target: "<= 3" }, (r) => r <= 3);
  add({ id: 12, workload: "cold 8: the whole process (compiled JS)", unit: "ms", skein: skein.processMs, cpython: py?.processMs ?? null,
    workerThreads: bare.processMs, piscina: null, ratioOf: "skein / CPython", target: "<= 1.5" }, (r) => r <= 1.5);
  const tsx = C.coldSkeinTsx(runs);
  add({ id: 13, workload: "cold 8: the whole process under tsx", unit: "ms", skein: tsx.processMs, cpython: py?.processMs ?? null,
    workerThreads: null, piscina: null, ratioOf: "skein / CPython", target: "(reported)",
    note: `under tsx: import to all joined ${tsx.ms.toFixed(0)} ms; tsx's own import hooks are most of the difference` }, null);
}
{
  startRow(14);
  const ms = rep(size(5, 3), () => C.startLatency());
  add({ id: 14, workload: "start() while no worker is idle (median of 16)", unit: "ms", skein: ms, cpython: null, workerThreads: null, piscina: null,
    ratio: ms, ratioOf: "skein ms", target: "<= 1" }, (r) => r <= 1);
}
{
  const total = size(400_000, 100_000);
  const byThreads = new Map<number, number>();
  for (const [id, threads] of [[15, 2], [16, 8], [17, 32]] as const) {
    startRow(id);
    const s = rep(SCALING_REPS, () => S.lockScaling(threads, total))!;
    byThreads.set(threads, s);
    add({ id, workload: `contended Lock: ${threads} threads share ${total.toLocaleString("en")} increments`, unit: "ms", skein: s,
      cpython: rep(SCALING_REPS, () => cpython(`lock_scaling_${threads}`, total)?.ms ?? null), workerThreads: null, piscina: null,
      ratioOf: "skein / CPython", target: "<= 0.5" }, (r) => r <= 0.5);
  }
  startRow(18);
  const two = byThreads.get(2)!;
  const many = byThreads.get(32)!;
  add({ id: 18, workload: "contended Lock: time per increment, 32 threads against 2", unit: "x", skein: many / two, cpython: null,
    workerThreads: null, piscina: null, ratio: many / two, ratioOf: "skein 32 / skein 2", target: "<= 2" }, (r) => r <= 2);
}
{
  startRow(19);
  const runs = size(3, 1);
  const skein = Array.from({ length: runs }, () => C.barrier64Skein());
  const py = python ? Array.from({ length: runs }, () => C.barrier64Python()) : null;
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  add({ id: 19, workload: "64 threads started at once, meet at a Barrier(65), joined", unit: "ms", skein: med(skein.map((x) => x.ms)),
    cpython: py ? med(py.map((x) => x.ms)) : null, workerThreads: null, piscina: null, ratioOf: "skein / CPython", target: "(reported)" }, null);
  add({ id: 20, workload: "64 threads waiting at that Barrier: resident memory added", unit: "MB", skein: med(skein.map((x) => x.mb)),
    cpython: py ? med(py.map((x) => x.mb)) : null, workerThreads: null, piscina: null, ratioOf: "skein / CPython", target: "(reported)",
    note: "each skein thread is a worker with its own V8 isolate (~7 MB bare); a CPython thread is an OS thread sharing one interpreter" }, null);
}
{
  // Deadlock detection (issue 13) must cost the lock paths nothing measurable: rows 2 and 3 in
  // fresh processes with detection on (the default) and off, alternating, medians compared.
  startRow(21);
  const runs = size(5, 1);
  const rowsOf = (mode: string) => {
    const r = spawnSync(process.execPath, tsChild(here + "fixtures/lock-rows.ts", [String(size(2_000_000, 200_000)), String(size(1_000_000, 100_000))]), {
      encoding: "utf8", timeout: 300_000, env: { ...process.env, SKEIN_DEADLOCK: mode },
    });
    if (r.status !== 0) throw new Error(`lock-rows.ts (SKEIN_DEADLOCK=${mode}) failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { ns: number; ms: number };
  };
  const on: Array<{ ns: number; ms: number }> = [];
  const off: Array<{ ns: number; ms: number }> = [];
  for (let i = 0; i < runs; i++) {
    on.push(rowsOf("warn"));
    off.push(rowsOf("off"));
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  const [onNs, offNs, onMs, offMs] = [med(on.map((x) => x.ns)), med(off.map((x) => x.ns)), med(on.map((x) => x.ms)), med(off.map((x) => x.ms))];
  add({ id: 21, workload: "row 2 (uncontended Lock) with deadlock detection on, against off", unit: "ns/op", skein: onNs, cpython: null,
    workerThreads: null, piscina: null, ratio: onNs / offNs, ratioOf: "on / off", target: "<= 1.05",
    note: `detection off: ${offNs.toFixed(1)} ns/op` }, (r) => r <= 1.05);
  add({ id: 22, workload: "row 3 (contended Lock) with deadlock detection on, against off", unit: "ms", skein: onMs, cpython: null,
    workerThreads: null, piscina: null, ratio: onMs / offMs, ratioOf: "on / off", target: "<= 1.05",
    note: `detection off: ${offMs.toFixed(1)} ms` }, (r) => r <= 1.05);
}
{
  // The other side of cold 8's one boot at a time (runtime/boot-limit.ts): a first thread that
  // blocks before the second can run.
  startRow(23);
  const runs = size(7, 3);
  const skein = C.coldConsumerFirst(runs);
  const py = python ? C.coldConsumerFirstPython(runs) : null;
  add({ id: 23, workload: "cold: a consumer thread, then its producer, 100 items (fresh process)", unit: "ms", skein: skein.ms, cpython: py?.ms ?? null,
    workerThreads: null, piscina: null, ratioOf: "skein / CPython", target: "(reported)",
    note: `whole process: skein ${skein.processMs.toFixed(0)} ms${py ? `, CPython ${py.processMs.toFixed(0)} ms` : ""}` }, null);
}

const fmt = (v: number | null, unit: string) => {
  if (v === null) return "n/a";
  if (unit === "items/s" || unit === "tasks/s") return Math.round(v).toLocaleString("en");
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
};
const table = [
  ["#", "workload", "unit", "skein", "CPython", "worker_threads", "piscina", "ratio", "target", "met"],
  ...rows.map((r) => [String(r.id), r.workload, r.unit, fmt(r.skein, r.unit), fmt(r.cpython, r.unit), fmt(r.workerThreads, r.unit), fmt(r.piscina, r.unit),
    r.ratio === null ? "n/a" : `${r.ratio.toFixed(2)} (${r.ratioOf})`, r.target, r.met === null ? (r.note ? "-" : "-") : r.met ? "yes" : "NO"]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(`\nskein ${quick ? "quick " : ""}benchmark: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${runtimeName}, ${python ?? "no python3"}\n`);
console.log(line(table[0]!));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of table.slice(1)) console.log(line(row));
for (const r of rows) if (r.note) console.log(`  #${r.id}: ${r.note}`);

if (!quick) {
  const out = { date: new Date().toISOString(), machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, runtime: runtimeName, python }, rows };
  writeFileSync(new URL("./results.json", import.meta.url), JSON.stringify(out, null, 2) + "\n");
  console.log("\nwrote bench/results.json");
}
