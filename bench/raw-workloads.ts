// The same workloads on bare worker_threads + Atomics: what skein adds on top of Node itself.
import { Worker } from "node:worker_threads";
import { cpus } from "node:os";
import { median, spin } from "./measure.js";

function evalWorker(code: string, workerData?: unknown): Worker {
  return new Worker(code, { eval: true, workerData });
}

function exited(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    w.once("error", reject);
    w.once("exit", () => resolve());
  });
}

/** A fresh Worker per "thread": what start+join costs without reuse. */
export async function startJoin(n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await exited(evalWorker(""));
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** A compare-exchange/store pair: the floor for any shared-memory lock. */
export function lockUncontended(n: number): number {
  const w = new Int32Array(new SharedArrayBuffer(4));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (Atomics.compareExchange(w, 0, 0, 1) !== 0) throw new Error("held");
    Atomics.store(w, 0, 0);
  }
  return ((performance.now() - t0) * 1e6) / n;
}

const MUTEX = `
function lock(w) {
  if (Atomics.compareExchange(w, 0, 0, 1) === 0) return;
  while (Atomics.exchange(w, 0, 2) !== 0) Atomics.wait(w, 0, 2);
}
function unlock(w) {
  if (Atomics.exchange(w, 0, 0) === 2) Atomics.notify(w, 0, 1);
}
`;

/** Two pre-started workers incrementing under a hand-written futex mutex. */
export async function lockContended(n: number): Promise<number> {
  const sab = new SharedArrayBuffer(12);
  const code = `${MUTEX}
const { workerData: { sab, n } } = require("node:worker_threads");
const m = new Int32Array(sab, 0, 1), c = new Int32Array(sab, 4, 1), go = new Int32Array(sab, 8, 1);
Atomics.wait(go, 0, 0);
for (let i = 0; i < n; i++) { lock(m); c[0] = c[0] + 1; unlock(m); }`;
  const ws = [0, 1].map(() => evalWorker(code, { sab, n }));
  const done = Promise.all(ws.map(exited));
  await new Promise((r) => setTimeout(r, 100)); // let both workers boot and park at the gate
  const go = new Int32Array(sab, 8, 1);
  const t0 = performance.now();
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  await done;
  const ms = performance.now() - t0;
  if (new Int32Array(sab, 4, 1)[0] !== 2 * n) throw new Error("lost updates");
  return ms;
}

/** Ping-pong through two futex words between main and one worker, in microseconds. */
export async function eventPingPong(n: number): Promise<number> {
  const sab = new SharedArrayBuffer(8);
  const w = evalWorker(`
const { workerData: { sab, n } } = require("node:worker_threads");
const f = new Int32Array(sab);
for (let i = 0; i < n; i++) {
  while (Atomics.load(f, 0) === 0) Atomics.wait(f, 0, 0);
  Atomics.store(f, 0, 0);
  Atomics.store(f, 1, 1); Atomics.notify(f, 1);
}`, { sab, n });
  const done = exited(w);
  const f = new Int32Array(sab);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    Atomics.store(f, 0, 1);
    Atomics.notify(f, 0);
    while (Atomics.load(f, 1) === 0) Atomics.wait(f, 1, 0);
    Atomics.store(f, 1, 0);
  }
  const us = ((performance.now() - t0) * 1e3) / n;
  await done;
  return us;
}

/** A single-producer single-consumer ring of int32s in shared memory, items per second. */
export async function spscQueue(n: number): Promise<number> {
  const CAP = 1024;
  const sab = new SharedArrayBuffer(8 + CAP * 4);
  const w = evalWorker(`
const { workerData: { sab, n, CAP } } = require("node:worker_threads");
const h = new Int32Array(sab, 0, 2), buf = new Int32Array(sab, 8, CAP);
for (let i = 0; i < n; i++) {
  let tail, head;
  // Wait on the head value the fullness check saw: a fresh load could miss the consumer's move.
  while ((tail = Atomics.load(h, 1)) - (head = Atomics.load(h, 0)) === CAP) Atomics.wait(h, 0, head);
  buf[tail % CAP] = i;
  Atomics.store(h, 1, tail + 1); Atomics.notify(h, 1);
}`, { sab, n, CAP });
  const h = new Int32Array(sab, 0, 2);
  const buf = new Int32Array(sab, 8, CAP);
  const t0 = performance.now();
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let head;
    while ((head = Atomics.load(h, 0)) === Atomics.load(h, 1)) Atomics.wait(h, 1, head);
    sum += buf[head % CAP]!;
    Atomics.store(h, 0, head + 1);
    Atomics.notify(h, 0);
  }
  const secs = (performance.now() - t0) / 1e3;
  await exited(w);
  if (sum !== (n * (n - 1)) / 2) throw new Error("ring lost items");
  return n / secs;
}

export async function cpuSpeedup(n: number): Promise<{ speedup: number; threads: number }> {
  const cores = cpus().length;
  let t0 = performance.now();
  spin(n);
  const one = performance.now() - t0;
  const code = `const { workerData: n } = require("node:worker_threads");
let x = 0; for (let i = 0; i < n; i++) x = (x + i * i) % 1000003;`;
  t0 = performance.now();
  await Promise.all(Array.from({ length: cores }, () => exited(evalWorker(code, Math.floor(n / cores)))));
  const many = performance.now() - t0;
  return { speedup: one / many, threads: cores };
}
