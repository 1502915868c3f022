// Many small tasks through a pool: piscina, and skein's ThreadPoolExecutor once it exists.
import * as skein from "skein";
import { Piscina } from "piscina";
import { cpus } from "node:os";

const poolSize = cpus().length;

export async function piscinaTasks(n: number): Promise<{ tasksPerSec: number; taskMs: number }> {
  const pool = new Piscina({ filename: new URL("./piscina-task.mjs", import.meta.url).href, minThreads: poolSize, maxThreads: poolSize });
  await Promise.all(Array.from({ length: 100 }, (_, i) => pool.run(i)));
  const one: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await pool.run(i);
    one.push(performance.now() - t0);
  }
  one.sort((a, b) => a - b);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => pool.run(i)));
  const secs = (performance.now() - t0) / 1e3;
  await pool.destroy();
  return { tasksPerSec: n / secs, taskMs: one[100]! };
}

export async function skeinTasks(n: number): Promise<{ tasksPerSec: number } | null> {
  const Executor = (skein as any).ThreadPoolExecutor;
  if (!Executor) return null;
  const pool = new Executor({ maxWorkers: poolSize });
  const double = (x: number) => x * 2;
  await Promise.all(Array.from({ length: 100 }, (_, i) => pool.submit(double, i)));
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => pool.submit(double, i)));
  const secs = (performance.now() - t0) / 1e3;
  pool.shutdown();
  return { tasksPerSec: n / secs };
}
