// What shipping code costs: the first start() of a new target (in a fresh process each time),
// and pool tasks that are library functions (sent by name).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ThreadPoolExecutor } from "skein";
import { tsChild } from "./child.js";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Median of `runs` fresh processes' first start() + join() of a new target, in ms. */
export function firstStart(runs: number): number {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, tsChild(here + "first-start.ts"), { encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`first-start.ts failed: ${r.stderr}`);
    xs.push(JSON.parse(r.stdout).ms);
  }
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** n pool tasks of a library function (Math.sqrt, sent by name), in tasks per second. */
export function poolLibrary(n: number, workers: number): number {
  using pool = new ThreadPoolExecutor({ maxWorkers: workers });
  for (const f of Array.from({ length: 100 }, (_, i) => pool.submit(Math.sqrt, i))) f.result();
  const t0 = performance.now();
  const futures = Array.from({ length: n }, (_, i) => pool.submit(Math.sqrt, i));
  for (const f of futures) f.result();
  return n / ((performance.now() - t0) / 1e3);
}
