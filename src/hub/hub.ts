/**
 * The hub: one worker, started by the main thread on the first start(), that owns every thread
 * worker. Start requests come from any thread (main or a skein thread, even while main is blocked
 * in join); the hub hands each to an idle worker or spawns one, keeps a warm spare so a start
 * rarely pays for a fresh worker, trims the idle ones it no longer needs, and watches workers die
 * so that a thread whose worker vanished is marked terminated and never hangs its joiners.
 */
import { parentPort, workerData, Worker, MessageChannel, type MessagePort } from "node:worker_threads";
import { writeSync } from "node:fs";
import { Control } from "../control-layout.js";

interface Job {
  slot: number;
  gen: number;
  name: string;
}

interface Pooled {
  worker: Worker;
  port: MessagePort;
  job: Job | null;
  idleTimer: NodeJS.Timeout | null;
  retiring: boolean;
}

/** Idle workers beyond the warm spare are kept this long for the next burst of starts. */
const IDLE_KEEP_MS = 3000;
const WARM_SPARES = 1;

const data = workerData as { control: SharedArrayBuffer; tsxApi: string | null; execArgv: string[] };
const control = new Control(data.control);
const bootstrap = new URL("../worker/bootstrap.js", import.meta.url);
const idle: Pooled[] = [];
const all = new Set<Pooled>();

let execArgv = data.execArgv;

function newWorker(port: MessagePort): Worker {
  const options = () => ({
    workerData: { __skein: true, control: data.control, hubPort: port, tsxApi: data.tsxApi },
    transferList: [port],
    execArgv,
  });
  try {
    return new Worker(bootstrap, options());
  } catch (e) {
    // Flags a worker can't take (--expose-gc, --max-old-space-size, ...): workers run without them.
    if ((e as NodeJS.ErrnoException).code !== "ERR_WORKER_INVALID_EXEC_ARGV" || execArgv.length === 0) throw e;
    execArgv = [];
    return new Worker(bootstrap, options());
  }
}

function spawn(): Pooled {
  const { port1, port2 } = new MessageChannel();
  const worker = newWorker(port2);
  const p: Pooled = { worker, port: port1, job: null, idleTimer: null, retiring: false };
  all.add(p);
  port1.on("message", (m: any) => onWorkerMessage(p, m));
  worker.on("error", (err) => {
    if (p.job) report(p.job, err);
  });
  worker.on("exit", (code) => {
    all.delete(p);
    const i = idle.indexOf(p);
    if (i >= 0) idle.splice(i, 1);
    if (p.idleTimer) clearTimeout(p.idleTimer);
    port1.close();
    if (p.job && control.terminate(p.job.slot, p.job.gen) && code !== 0 && code !== 1) {
      writeSync(2, `skein: the worker running thread ${p.job.name} exited with code ${code}\n`);
    }
    p.job = null;
  });
  return p;
}

function report(job: Job, err: unknown): void {
  const stack = err instanceof Error ? err.stack ?? String(err) : String(err);
  writeSync(2, `Exception in thread ${job.name}:\n${stack}\n`);
}

function dispatch(job: Job & Record<string, unknown>): void {
  try {
    let p = idle.pop();
    if (p?.idleTimer) {
      clearTimeout(p.idleTimer);
      p.idleTimer = null;
    }
    p ??= spawn();
    p.job = job;
    p.port.postMessage({ type: "run", job });
    while (idle.length < WARM_SPARES) idle.push(spawn());
  } catch (e) {
    // No worker for this thread: say why, and release its starter (start() reports the failure).
    writeSync(2, `skein: can't start thread ${job.name}: ${e instanceof Error ? e.message : String(e)}\n`);
    control.terminate(job.slot, job.gen);
  }
}

function onWorkerMessage(p: Pooled, m: any): void {
  switch (m?.type) {
    case "start":
      dispatch(m.job);
      break;
    case "idle":
      p.job = null;
      idle.push(p);
      if (idle.length > WARM_SPARES) {
        p.idleTimer = setTimeout(() => {
          const i = idle.indexOf(p);
          if (i >= 0 && idle.length > WARM_SPARES) {
            idle.splice(i, 1);
            p.worker.terminate();
          }
        }, IDLE_KEEP_MS);
      }
      break;
    case "retire":
      // The thread left timers or handles behind: its worker finishes them and exits alone.
      p.job = null;
      p.retiring = true;
      break;
  }
}

parentPort!.on("message", (m: any) => {
  if (m?.type === "start") dispatch(m.job);
});
