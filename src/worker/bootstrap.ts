/**
 * Entry point of every thread worker. A worker waits in its event loop for jobs from the hub,
 * runs each as a thread (ack, evaluate the shipped code, run, report, terminate) and offers
 * itself for the next one, unless the thread left timers or handles behind: then it lets them
 * finish and exits instead of being reused.
 */
import type { MessagePort } from "node:worker_threads";
import { installDirectOutput } from "./output.js";
import { materialize, setSelfModule } from "./evaluate.js";
import * as skein from "../index.js";
import { osThreadId, runtime } from "../runtime.js";
import { Code } from "../control-layout.js";
import { revive } from "../share.js";
import { adoptForRun, handle, Thread, type Job } from "../thread.js";
import { adoptHook, reportException } from "../excepthook.js";
import { clearLocals } from "../local.js";
import { threadId } from "node:worker_threads";

installDirectOutput();
setSelfModule(skein);
const tid = osThreadId(threadId);
const port = runtime.hubPort as MessagePort;
const control = runtime.control;
let lastThread: unknown = null;
/** Resources a fresh worker has (its port to the hub); more after a thread means leftovers. */
const baseline = countResources();

function countResources(): number {
  return process.getActiveResourcesInfo().filter((r) => r !== "MessagePort" && r !== "FSReqCallback").length;
}

// Errors that escape after run() (a stray callback) still go to the hook, and never kill the worker silently.
process.on("uncaughtException", (err) => reportException(err, lastThread));
process.on("unhandledRejection", (err) => reportException(err, lastThread));

async function runJob(job: Job): Promise<void> {
  runtime.slot = job.slot;
  runtime.gen = job.gen;
  control.setNativeId(job.slot, tid);
  let thread: Thread | null = null;
  try {
    const hook = job.hook ? await materialize(job.hook, null) : null;
    adoptHook(hook, job.hook);
    let base: unknown = Thread;
    let target: Function | null = null;
    const classUnits = job.kind === "class" ? (job.hasTarget ? job.units.slice(0, -1) : job.units) : [];
    for (const u of classUnits) base = await materialize(u, base);
    if (job.hasTarget) target = await materialize(job.units[job.units.length - 1]!, null);
    const args = revive(job.args) as unknown[];
    thread = adoptForRun(Object.create((base as Function).prototype), job, target, args);
    Object.assign(thread, revive(job.fields));
    runtime.current = thread;
    lastThread = thread;
    control.setCode(job.slot, job.gen, Code.Running);
    const result = thread.run();
    if (result && typeof (result as PromiseLike<unknown>).then === "function") await result;
  } catch (err) {
    reportException(err, thread ?? handle({ ...job, nativeId: tid, started: true }));
  } finally {
    control.terminate(job.slot, job.gen);
    runtime.current = null;
    clearLocals();
  }
  // Let promise callbacks the thread queued settle before judging what it left behind.
  await new Promise<void>((r) => setImmediate(r));
  if (countResources() > baseline) {
    port.postMessage({ type: "retire" });
    port.unref();
  } else {
    port.postMessage({ type: "idle" });
  }
}

port.on("message", (m: { type: string; job: Job }) => {
  if (m.type === "run") void runJob(m.job);
});
