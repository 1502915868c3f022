// What a fresh program pays (each run its own process): 8 threads started and joined right after
// importing skein (compiled JavaScript and under tsx), the same in CPython, one bare Worker; and a
// consumer started before its producer.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median } from "./measure.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

export interface Cold {
  /** Inside the program: from before the import to all joined, ms (median). */
  ms: number;
  /** The whole process, as its parent sees it, ms (median). */
  processMs: number;
}

/** Median over `runs` fresh processes of `cmd args`, which prints {"ms": ...}. */
export function cold(cmd: string, args: string[], runs: number): Cold {
  const ms: number[] = [];
  const whole: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000, cwd: fixtures });
    whole.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
    ms.push(JSON.parse(r.stdout.trim().split("\n").at(-1)!).ms);
  }
  return { ms: median(ms), processMs: median(whole) };
}

export const coldSkein = (runs: number) => cold(process.execPath, [fixtures + "cold8.mjs"], runs);
export const coldSkeinTsx = (runs: number) => cold(process.execPath, ["--import", "tsx", fixtures + "cold8.mjs"], runs);
export const coldBareWorker = (runs: number) => cold(process.execPath, [fixtures + "bare-worker.mjs"], runs);
export const coldPython = (runs: number) => cold("python3", [fixtures + "cold8.py"], runs);
export const coldConsumerFirst = (runs: number) => cold(process.execPath, [fixtures + "cold-pc.mjs"], runs);
export const coldConsumerFirstPython = (runs: number) => cold("python3", [fixtures + "cold-pc.py"], runs);

/** One fresh process running a fixture that prints a JSON object; returns that object. */
export function fresh(cmd: string, args: string[], env: Record<string, string> = {}): any {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000, cwd: fixtures, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

/** Median start() time (ms) of threads started while no worker is idle: no warm workers, every
 * earlier thread blocked. */
export const startLatency = (): number => fresh(process.execPath, [fixtures + "start-latency.mjs"], { SKEIN_WARM_WORKERS: "0" }).ms;

/** 64 threads started, all meeting main at a Barrier(65), joined: { ms, mb } in a fresh process. */
export const barrier64Skein = (): { ms: number; mb: number } => fresh(process.execPath, [fixtures + "barrier64.mjs"]);
export const barrier64Python = (): { ms: number; mb: number } => fresh("python3", [fixtures + "barrier64.py"]);
