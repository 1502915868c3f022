/**
 * What every thread worker runs (worker/entry.ts starts it). Between threads a worker parks on its mailbox word
 * (Atomics.wait: a job wakes it with one futex call), reads the job from its port, runs it as a
 * thread (ack, evaluate the shipped code, run, report, terminate) and parks again, unless the
 * thread left timers or handles behind: then it lets them finish and exits instead of being
 * reused. An extra idle worker leaves after a while; one stays warm.
 */
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { installDirectOutput } from "./output.js";
import { materialize } from "../ship/evaluate.js";
// Every shareable class registers its reviver when loaded: a worker must be able to revive any.
import "../index.js";
import { osThreadId, runtime } from "../runtime/runtime.js";
import { Code, WState } from "../memory/control-block.js";
import { assignOwn, preload, unpack } from "../ship/values.js";
import { adoptForRun, handle, Thread, type Job } from "../threading/thread.js";
import { adoptHook, reportException } from "../threading/excepthook.js";
import { clearLocals } from "../threading/local.js";
import { threadId } from "node:worker_threads";

/** Runs this worker: park, take a job, run it as a thread, park again. */
export function runWorker(): void {
  installDirectOutput();
  const tid = osThreadId(threadId);
  const hubPort = runtime.hubPort as MessagePort;
  const mainPort = runtime.boot!.mainPort ?? null;
  const entry = runtime.boot!.entry!;
  const control = runtime.control;
  const mailbox = control.mailboxIndex(entry);
  /** How long an idle worker beyond the warm spares waits for work before it leaves. */
  const IDLE_KEEP_MS = 3000;
  const WARM_SPARES = 1;
  let lastThread: unknown = null;
  /** Resources a fresh worker has (its port to the hub); more after a thread means leftovers. */
  const baseline = countResources();

  function countResources(): number {
    return process.getActiveResourcesInfo().filter((r) => r !== "FSReqCallback").length;
  }

  function receiveJob(): Job | null {
    const m = (mainPort && receiveMessageOnPort(mainPort)) || receiveMessageOnPort(hubPort);
    return m ? (m.message as Job) : null;
  }

  /** Blocks this worker until it is given a job; null when it should leave instead. */
  function park(): Job | null {
    control.addIdle(1);
    control.setWState(entry, WState.Idle);
    for (;;) {
      const r = Atomics.wait(control.i32, mailbox, 0, IDLE_KEEP_MS);
      if (Atomics.exchange(control.i32, mailbox, 0) === 1) {
        const job = receiveJob();
        if (job) return job;
        continue;
      }
      if (r === "timed-out" && control.idleWorkers() > WARM_SPARES && control.casWState(entry, WState.Idle, WState.Leaving)) {
        control.addIdle(-1);
        return null;
      }
    }
  }

  function next(): void {
    const job = park();
    if (job) void runJob(job);
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
      const hook = job.hook ? await materialize(job.hook) : null;
      adoptHook(hook, job.hook);
      const base: Function = job.cls ? await materialize(job.cls) : Thread;
      const target: Function | null = job.target ? await materialize(job.target) : null;
      const loading = preload(job.values, materialize);
      if (loading) await loading;
      const { value, ready } = unpack(job.values);
      const args = value as unknown[];
      const fields = args.pop() as object;
      thread = adoptForRun(Object.create(base.prototype), job, target, args);
      assignOwn(thread, fields);
      if (ready) await ready;
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
      // Leftover timers or handles: let them run out, then this worker exits on its own.
      control.setWState(entry, WState.Leaving);
      return;
    }
    setImmediate(next);
  }

  if (control.wState(entry) === WState.Busy) {
    const first = receiveJob();
    if (first) void runJob(first);
    else next();
  } else {
    next();
  }
}
