/**
 * Getting a started thread to a worker. The main thread hands jobs straight to a parked worker
 * (post on its own port, then ring the worker's mailbox word: one futex wake, no event loop in
 * between); when none is parked, the job queues at the hub, which gives it to the first worker
 * that is free (runtime/hub.ts), and main spawns a worker for it. Other threads send all their
 * jobs to the hub. Workers are warmed up when skein is imported, and main keeps one spare.
 */
import { availableParallelism } from "node:os";
import { isMainThread, MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import { MAIN_WORKERS, WState } from "../memory/control-block.js";
import { ensureHub, runtime, whenHubStarts, workerExecArgv } from "./runtime.js";
import { threadWorkerOptions, workerEntry } from "./worker-entry.js";
import { startThreadWorker } from "../platform/workers.js";
import { writeOutput } from "../platform/output.js";
import { MAIN_EAGER_BOOTS } from "./boot-limit.js";

/** The main thread's direct line to each worker it had spawned, by worker-table entry. */
const ports = new Map<number, MessagePort>();

export interface Dispatchable {
  slot: number;
  gen: number;
  transfer: MessagePort[];
}

export function dispatch(job: Dispatchable): void {
  ensureHub();
  if (!runtime.isMain) {
    runtime.hubPost!({ type: "start", job }, job.transfer);
    return;
  }
  const control = runtime.control;
  const entry = control.claimIdle(ports.keys());
  if (entry !== null) {
    control.setWorkerJob(entry, job.slot, job.gen);
    try {
      ports.get(entry)!.postMessage(job, job.transfer);
    } catch (e) {
      // The job can't be cloned: the worker goes back to waiting, untouched.
      control.addIdle(1);
      control.setWState(entry, WState.Idle);
      throw e;
    }
    control.ring(entry);
  } else {
    runtime.hubPost!({ type: "start", job }, job.transfer);
    // Main spawns a worker for it at once rather than leave that to the hub, which hears of the
    // job a message later (and on Deno, a worker spawned from a worker boots ten times slower),
    // unless enough of its own are already on their way (boot-limit.ts). The hub counts them.
    if (runtime.control.booting(ports.keys()) < MAIN_EAGER_BOOTS) spawn();
  }
  keepSpare();
}

/**
 * Spawns a worker in the main thread's range. Main spawns it itself, so that the first workers boot
 * beside the hub instead of after it; the hub adopts it, watching it through a port of its own.
 */
function spawn(): boolean {
  const control = runtime.control;
  for (const [e, p] of ports) {
    if (control.wState(e) === WState.Free) {
      p.close();
      ports.delete(e);
    }
  }
  const entry = control.allocWorker(0, MAIN_WORKERS, WState.Starting);
  if (entry === null) return false;
  const spawnedAt = performance.timeOrigin + performance.now();
  const direct = new MessageChannel();
  const hub = new MessageChannel();
  let worker: Worker;
  try {
    const options = threadWorkerOptions({ control: runtime.control.sab, trace: runtime.trace?.sab ?? null, entry, hubPort: hub.port2, mainPort: direct.port2, tsxApi: runtime.tsxApi });
    worker = startThreadWorker(workerEntry("worker"), options, workerExecArgv());
  } catch {
    // Node can't make one now: threads queue at the hub, which tries again and reports why.
    control.setWState(entry, WState.Free);
    return false;
  }
  // Reported by the hub, which watches it: here only so that an out-of-memory error isn't thrown.
  worker.on("error", () => {});
  worker.unref();
  ports.set(entry, direct.port1);
  const adoption = { entry, port: hub.port1, spawnedAt };
  if (runtime.hubPost) adopt(adoption);
  else unadopted.push(adoption);
  return true;
}

interface Adoption {
  entry: number;
  /** The hub's end of its line to the worker. */
  port: MessagePort;
  /** When main spawned it, in ms since the epoch (performance.timeOrigin + now). */
  spawnedAt: number;
}

/**
 * The workers warmed up when skein was imported, waiting for the hub: it starts with the first
 * thread (or whatever else needs it first), not beside them, as its boot would slow theirs, and
 * the first thread waits for theirs. Until then no thread runs, so no death can go unwatched.
 */
const unadopted: Adoption[] = [];

/**
 * Hands the hub a worker of main's to watch. One that has ended meanwhile still transfers its
 * port, which the hub then sees close (so in Node, Bun and Deno).
 */
function adopt(a: Adoption): void {
  runtime.hubPost!({ type: "adopt", ...a }, [a.port]);
}

whenHubStarts(() => {
  for (const a of unadopted.splice(0)) adopt(a);
});

function keepSpare(): void {
  const control = runtime.control;
  for (const e of ports.keys()) {
    const s = control.wState(e);
    if (s === WState.Idle || s === WState.Starting) return;
  }
  spawn();
}

/**
 * How many workers to warm up when skein is imported: SKEIN_WARM_WORKERS if set (0: none), else
 * one per core but one (the main thread's, which goes on with the program meanwhile), at most 8.
 */
function warmCount(): number {
  const set = process.env.SKEIN_WARM_WORKERS;
  const fallback = Math.min(Math.max(1, availableParallelism() - 1), 8);
  if (set === undefined || set.trim() === "") return fallback;
  if (Number.isInteger(Number(set)) && Number(set) >= 0) return Math.min(Number(set), MAIN_WORKERS);
  writeOutput(2, `skein: SKEIN_WARM_WORKERS=${JSON.stringify(set)} is not a whole number of workers (0 for none); warming ${fallback}\n`);
  return fallback;
}

// The first threads shouldn't wait for workers to boot: they boot in the background from the
// moment skein is imported, the program going on meanwhile. Only in the process's main thread: a
// worker of the program's own that imports skein starts threads on demand.
if (runtime.isMain && isMainThread) {
  const n = warmCount();
  if (n > 0) {
    for (let i = 0; i < n; i++) spawn();
  }
  // The live view is asked for from the start: it is served by the hub.
  if (process.env.SKEIN_INSPECT) ensureHub();
}
