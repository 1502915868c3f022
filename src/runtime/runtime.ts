/**
 * What this OS thread knows about itself: the shared control block, which slot it is running,
 * and how to reach the hub that starts threads. The main thread creates the control block; a
 * skein worker receives it in workerData and the bootstrap points `slot`/`gen` at each thread
 * it runs.
 */
import { isMainThread as nodeIsMain, MessageChannel, receiveMessageOnPort, workerData, type MessagePort, type Worker } from "node:worker_threads";
import { readlinkSync } from "node:fs";
import { Control } from "../memory/control-block.js";
import { TraceRing } from "../memory/trace-ring.js";
import { statsWanted } from "./env-flags.js";
import { workerEntry } from "./worker-entry.js";
import { startWorker } from "../platform/workers.js";
import type { Death, DeathNotice } from "./death.js";

export interface WorkerBoot {
  __skein: true;
  control: SharedArrayBuffer;
  hubPort?: MessagePort;
  /** A thread worker's entry in the worker table, and the main thread's direct line to it. */
  entry?: number;
  mainPort?: MessagePort;
  tsxApi: string | null;
  /** SKEIN_TRACE's buffer, when tracing (memory/trace-ring.ts). */
  trace?: SharedArrayBuffer | null;
}

const boot: WorkerBoot | null = !nodeIsMain && workerData && (workerData as WorkerBoot).__skein ? (workerData as WorkerBoot) : null;
/** The hub (when skein is bundled, it runs all of skein's code): not a thread, not the main thread. */
const hubData = !nodeIsMain && (workerData as { role?: string } | null)?.role === "hub" ? (workerData as { control: SharedArrayBuffer; trace?: SharedArrayBuffer | null }) : null;

/** How many spans SKEIN_TRACE keeps (SKEIN_TRACE_EVENTS; more are counted as dropped). */
function traceCapacity(): number {
  const n = Number(process.env.SKEIN_TRACE_EVENTS);
  return Number.isInteger(n) && n > 0 && n <= 10_000_000 ? n : 200_000;
}

function traceRing(): TraceRing | null {
  const sab = boot?.trace ?? hubData?.trace;
  if (sab) return new TraceRing(sab);
  const wanted = (process.env.SKEIN_TRACE ?? "").trim() !== "" || statsWanted();
  if (!boot && !hubData && nodeIsMain && wanted) return TraceRing.create(traceCapacity());
  return null;
}

/** The OS thread id (Linux tid), so nativeId means what Python's means; threadId elsewhere. */
export function osThreadId(fallback: number): number {
  try {
    const m = /\/task\/(\d+)$/.exec(readlinkSync("/proc/thread-self"));
    if (m) return Number(m[1]);
  } catch {
    // not Linux: fall through
  }
  return fallback;
}

export const runtime = {
  control: boot ? new Control(boot.control) : hubData ? new Control(hubData.control) : Control.create(),
  /** True in the process's main thread (and in workers skein didn't start, which act alone). */
  isMain: !boot && !hubData,
  /** true inside the hub worker, which never runs user code. */
  isHub: false,
  slot: 0,
  gen: 1,
  /** The running thread's ident (what a Lock records as its holder). */
  ident: 1,
  tsxApi: boot ? boot.tsxApi : findTsxApi(),
  /** Posts a request to the hub; set up lazily in main, from workerData in workers. */
  hubPost: null as null | ((msg: unknown, transfer?: readonly unknown[]) => void),
  hubPort: boot?.hubPort ?? null,
  boot,
  /** The Thread object for whatever this OS thread is running now. */
  current: null as unknown,
  /** SKEIN_TRACE's (and SKEIN_STATS's) buffer; null when neither is set (nothing is allocated then). */
  trace: traceRing(),
};

if (runtime.isMain) runtime.control.initMain("MainThread", osThreadId(process.pid));

/** Under tsx, workers must register tsx themselves: find its API next to the loader in use. */
function findTsxApi(): string | null {
  const argv = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const spec = a.startsWith("--import=") || a.startsWith("--loader=") ? a.slice(a.indexOf("=") + 1)
      : (a === "--import" || a === "--loader" || a === "--experimental-loader") ? argv[i + 1] ?? "" : "";
    if (!spec.includes("tsx")) continue;
    const m = /^(.*[\\/]node_modules[\\/]tsx)[\\/]/.exec(spec.replace(/^file:\/\//, ""));
    if (m) return `${m[1]}/dist/esm/api/index.mjs`;
    return "tsx/esm/api";
  }
  return null;
}

/**
 * Flags for thread workers: the user's, minus loaders (tsx does not take effect in a worker
 * through flags; the bootstrap registers it instead).
 */
export function workerExecArgv(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    const f = a[i]!;
    if (f === "--import" || f === "--loader" || f === "--experimental-loader" || f === "--require" || f === "-r") { i++; continue; }
    if (/^--(import|loader|experimental-loader|require)=/.test(f)) continue;
    out.push(f);
  }
  return out;
}

let hub: Worker | null = null;

/** The hub worker owns spawning and pooling, so any thread can start threads while main blocks. */
export function ensureHub(): void {
  if (runtime.hubPost) return;
  if (runtime.hubPort) {
    const port = runtime.hubPort;
    runtime.hubPost = (m, t) => port.postMessage(m, t as any);
    return;
  }
  // Deaths of threads with a custom excepthook come here first, before their joiners wake.
  const { port1, port2 } = new MessageChannel();
  deaths = port1;
  port1.on("message", (d: Death) => deathHandler?.(d));
  port1.unref();
  hub = startWorker(workerEntry("hub"), {
    workerData: { role: "hub", control: runtime.control.sab, trace: runtime.trace?.sab ?? null, tsxApi: runtime.tsxApi, execArgv: workerExecArgv(), entry: workerEntry("worker"), deaths: port2 },
    transferList: [port2],
    // The hub never runs user code, so it needs none of the user's flags or loaders.
    execArgv: [],
    stdout: false,
    stderr: false,
  });
  hub.unref();
  const h = hub;
  runtime.hubPost = (m, t) => h.postMessage(m, t as any);
  hubStarted?.();
}

let hubStarted: (() => void) | null = null;

/** Runs `f` once the hub has been started (dispatch.ts hands it the workers main warmed up before). */
export function whenHubStarts(f: () => void): void {
  hubStarted = f;
}

/** The ident of the thread running now: what owns an RLock. */
export function currentIdent(): number {
  return runtime.control.ident(runtime.slot);
}

/** Registers, for the thread running here, what the hub does if this thread's worker dies. */
export function registerDeathNotice(notice: DeathNotice): void {
  ensureHub();
  runtime.hubPost!({ type: "notice", slot: runtime.slot, gen: runtime.gen, notice });
}

let deathHandler: ((d: Death) => void) | null = null;
let deaths: MessagePort | null = null;

/** Reports, now, the deaths the hub has sent (a join that just returned for a thread that died). */
export function drainDeaths(): void {
  if (!deaths) return;
  for (let m = receiveMessageOnPort(deaths); m; m = receiveMessageOnPort(deaths)) deathHandler?.(m.message as Death);
}

/** In the main thread: who reports a thread whose worker died (threading/excepthook.ts). */
export function onDeath(fn: (d: Death) => void): void {
  deathHandler = fn;
}
