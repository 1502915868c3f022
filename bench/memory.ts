// Resident memory added per idle thread, measured in a process of its own:
//   node --import tsx bench/memory.ts skein|raw|raw-esm N   -> prints {"mb": ...}
// For skein, per worker added (threads blocked, one worker each), counted in the control block:
// workers warmed up at import or kept as spares would otherwise hide in "before".
import { Worker } from "node:worker_threads";
import { Lock, sleep, Thread } from "skein";
import { runtime } from "../dist/internal.js";
import { rssMb } from "./measure.js";

const [mode, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 8);

function settle(): void {
  sleep(300);
  (globalThis as any).gc?.();
}

/** skein workers alive (booting, idle or running a thread). */
function workers(): number {
  let n = 0;
  for (let e = 0; e < 2048; e++) if (runtime.control.wState(e) !== 0) n++;
  return n;
}

if (mode === "skein") {
  const warm = new Thread({ target: () => {} });
  warm.start();
  warm.join();
  settle();
  const before = rssMb();
  const workersBefore = workers();
  const lock = new Lock();
  lock.acquire();
  const threads = Array.from({ length: n }, () => new Thread({ target: (l: Lock) => { l.acquire(); l.release(); }, args: [lock] }));
  threads.forEach((t) => t.start());
  const deadline = Date.now() + 30_000;
  while (threads.some((t) => t.state !== "blocked") && Date.now() < deadline) sleep(5);
  settle();
  const after = rssMb();
  const added = workers() - workersBefore;
  lock.release();
  threads.forEach((t) => t.join());
  console.log(JSON.stringify({ mb: (after - before) / added, workers: added }));
} else {
  settle();
  const before = rssMb();
  const gate = new Int32Array(new SharedArrayBuffer(8));
  // "raw": a CommonJS entry, evaluated; "raw-esm": an ES module file, as skein's workers' entry is.
  // Neither takes this process's --import tsx along, as skein's workers don't (workerExecArgv): a
  // bare CommonJS worker with tsx's hooks is 0.4 MB more, an ES module one twice as big.
  const workers = Array.from({ length: n }, () =>
    mode === "raw-esm"
      ? new Worker(new URL("./fixtures/idle-esm-worker.mjs", import.meta.url), { workerData: gate, execArgv: [] })
      : new Worker(`
const { workerData: g } = require("node:worker_threads");
Atomics.add(g, 1, 1); Atomics.notify(g, 1);
Atomics.wait(g, 0, 0);`, { eval: true, workerData: gate, execArgv: [] }));
  const deadline = Date.now() + 30_000;
  while (Atomics.load(gate, 1) < n && Date.now() < deadline) Atomics.wait(gate, 1, Atomics.load(gate, 1), 100);
  settle();
  const after = rssMb();
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  await Promise.all(workers.map((w) => new Promise((r) => w.once("exit", r))));
  console.log(JSON.stringify({ mb: (after - before) / n }));
}
