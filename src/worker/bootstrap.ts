/**
 * What every thread worker runs (worker/entry.ts starts it). Between threads a worker parks on its
 * mailbox word (Atomics.wait: a job wakes it with one futex call), reads the job from its port and
 * runs it as a thread: evaluate the shipped code, revive the values, run. The thread lives, as a
 * Node worker does, until its target is done and every timer or handle it opened has closed:
 * when this worker's event loop has nothing left ('beforeExit'), the thread terminates and the
 * worker runs a queued thread the hub posted it meanwhile, or parks for the next one. An extra
 * idle worker leaves after a while; one stays warm.
 */
import { writeOutput } from "../platform/output.js";
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { SystemExit } from "../common/errors.js";
import { installDirectOutput } from "./output.js";
import { materialize } from "../ship/evaluate.js";
// Every shareable class registers its reviver when loaded. The sync primitives, small and what
// most threads block on, load with the worker; the other classes with the API, when a thread is
// first sent one (memory/handles.ts, common/own-api.ts).
import "../sync/lock.js";
import "../sync/rlock.js";
import "../sync/condition.js";
import "../sync/semaphore.js";
import "../sync/event.js";
import "../sync/barrier.js";
import { osThreadId, runtime } from "../runtime/runtime.js";
import { BRIEF_WATCH_MS, watchBriefly } from "../runtime/wait.js";
import { runtimeKind } from "../platform/runtime-kind.js";
import { Code, WState } from "../memory/control-block.js";
import { nowUs, RUNNING } from "../memory/trace-ring.js";
import { assignOwn, preload, unpack } from "../ship/values.js";
import { adoptForRun, handle, Thread, type Job } from "../threading/thread.js";
import { adoptHook, reportException } from "../threading/excepthook.js";
import { clearLocals } from "../threading/local.js";
import { sendFields } from "../threading/fields-back.js";
import { threadId } from "node:worker_threads";

/**
 * A thread a worker runs: its job, its Thread object once made, whether run() has settled, and
 * when it began (microseconds, for SKEIN_TRACE).
 */
interface Running {
  job: Job;
  thread: Thread | null;
  settled: boolean;
  startUs: number;
  /** The subclass's fields as they arrived, for what goes back (threading/fields-back.ts). */
  fields: Record<string, unknown>;
}

/** Runs this worker: park, take a job, run it as a thread, park again. */
export function runWorker(): void {
  installDirectOutput();
  // Python's sys.exit() in a thread ends that thread (SystemExit), not the program.
  const realExit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    throw new SystemExit(code);
  }) as typeof process.exit;
  const tid = osThreadId(threadId);
  const hubPort = runtime.hubPort as MessagePort;
  const mainPort = runtime.boot!.mainPort ?? null;
  const entry = runtime.boot!.entry!;
  const control = runtime.control;
  const mailbox = control.mailboxIndex(entry);
  /** How long an idle worker beyond the warm spares waits for work before it leaves. */
  const IDLE_KEEP_MS = 3000;
  const PARK_WATCH_MS = runtimeKind === "bun" ? 0 : BRIEF_WATCH_MS;
  const WARM_SPARES = 1;
  /**
   * Whether a queued thread may take over from one that has ended before 'beforeExit' (nextNow):
   * only where the runtime says what keeps its event loop alive (Bun's list is always empty).
   */
  const NEXT_BEFORE_EXIT = runtimeKind === "node";

  /** The thread this worker runs now. */
  let running: Running | null = null;

  function nextMessage(): Job | null {
    const m = (mainPort && receiveMessageOnPort(mainPort)) || receiveMessageOnPort(hubPort);
    return m ? (m.message as Job) : null;
  }

  /** A copy of a job that another worker runs: the ports it carried are this copy's to close. */
  function drop(job: Job): void {
    for (const p of job.transfer ?? []) p.close();
  }

  /**
   * The job whoever rang this worker posted it (its worker-table job, set before the ring), or
   * null if another worker ran that thread first: the hub may post a queued thread's job to more
   * than one worker (runtime/hub.ts), and exactly one wins it (Control.claim). Copies ahead of it
   * were posted while this worker was busy, and the hub still holds those no worker has taken.
   */
  function takeRung(): Job | null {
    const want = control.workerJob(entry);
    for (let job = nextMessage(); job; job = nextMessage()) {
      const wanted = job.slot === want.slot && job.gen === want.gen;
      if (wanted && control.claim(job.slot, job.gen, entry)) return job;
      drop(job);
      if (wanted) return null;
    }
    return null;
  }

  /**
   * A queued thread the hub posted this worker while it was busy (first: the first message read)
   * that no other worker has taken: it becomes this worker's, without a word to the hub and back.
   * Its worker-table job changes only after the last thread ended, and before it claims, so that if
   * this worker dies the hub finds whatever it had claimed there (and leaves the rest queued).
   */
  function takeQueued(first: Job): Job | null {
    for (let job: Job | null = first; job; job = nextMessage()) {
      if (!control.claimed(job.slot, job.gen)) {
        control.setWorkerJob(entry, job.slot, job.gen);
        if (control.claim(job.slot, job.gen, entry)) return job;
      }
      drop(job);
    }
    return null;
  }

  let offered = false;
  let booted = false;

  /**
   * Offers this worker for the next thread (it may be claimed before it has parked), telling the
   * hub when it has just booted or threads are queued there for a worker.
   */
  function offer(): void {
    if (offered) return;
    offered = true;
    control.addIdle(1);
    control.setWState(entry, WState.Idle);
    // Read after going idle: a hub that queues a thread meanwhile finds this worker idle.
    // The first offer says when the boot ended (ms since the epoch): the hub may hear it much later,
    // as main starts the hub only with the first thread.
    if (!booted) hubPort.postMessage({ type: "offered", entry, bootedAt: performance.timeOrigin + performance.now() });
    else if (control.pendingJobs() > 0) hubPort.postMessage({ type: "offered", entry });
    booted = true;
  }

  /**
   * Blocks this (offered) worker until it is given a job; null when it should leave instead. It
   * watches its mailbox briefly first: in a loop of start and join, the next job is a moment away.
   * Not on Bun, where it made such a loop slower in half the runs (a start + join's median 0.12 ms
   * against 0.04 ms), measured; its join's watch alone is as fast as neither.
   */
  function park(): Job | null {
    watchBriefly(control.i32, mailbox, 0, PARK_WATCH_MS);
    for (;;) {
      const r = Atomics.wait(control.i32, mailbox, 0, IDLE_KEEP_MS);
      if (Atomics.exchange(control.i32, mailbox, 0) === 1) {
        const job = takeRung();
        if (job) return job;
        // Its job went to another worker: this one is free again.
        offered = false;
        offer();
        continue;
      }
      if (r === "timed-out" && control.idleWorkers() > WARM_SPARES && control.casWState(entry, WState.Idle, WState.Leaving)) {
        control.addIdle(-1);
        return null;
      }
    }
  }

  function next(): void {
    offer();
    const job = park();
    offered = false;
    // Run from an immediate, a handle of the event loop: a job started right from 'beforeExit'
    // would otherwise leave the loop looking empty, and the worker would exit after it.
    if (job) setImmediate(() => void runJob(job));
    else realExit(0);
  }

  /** A program's Thread subclass: its fields go back to the thread that started it, before it ends. */
  function returnFields(r: Running): void {
    if (!r.job.back) return;
    // A thread that never got its object (its code failed to load) has no fields: the port closes empty.
    if (!r.thread) return r.job.back.close();
    try {
      sendFields(r.thread, r.fields, r.job.back, r.thread.name);
    } catch (e) {
      // Nothing may keep the thread from ending: its joiners would wait forever.
      writeOutput(2, `skein: ${r.thread.name}'s fields could not go back to the thread that started it: ${(e as Error).message}\n`);
    }
  }

  /**
   * The running thread has nothing left to run: its target is done, its timers and handles closed.
   * Returns the queued thread to run next, if the hub posted this worker one meanwhile.
   */
  function finish(queued: Job | null = nextMessage()): Job | null {
    const r = running!;
    running = null;
    if (!r.settled) {
      const name = r.thread?.name ?? r.job.name;
      writeOutput(2, `skein: ${name}'s target returned a promise that never settled; nothing was left to run, so the thread ended\n`);
    }
    returnFields(r);
    runtime.current = null;
    clearLocals();
    runtime.trace?.add(runtime.ident, RUNNING, 0, r.startUs, nowUs());
    if (queued === null) {
      // Offered before its joiners wake, so a thread started right after can take this worker.
      offer();
      control.terminate(r.job.slot, r.job.gen);
      return null;
    }
    control.terminate(r.job.slot, r.job.gen);
    return takeQueued(queued);
  }

  // Its ports don't keep this worker alive: only the thread's own work does, so that the event
  // loop running empty means the thread is done.
  (hubPort as MessagePort & { unref(): void }).unref();
  (mainPort as (MessagePort & { unref(): void }) | null)?.unref();
  process.on("exit", (code) => {
    // Deno emits no 'beforeExit' in a worker: one whose event loop runs empty exits, with 0. The
    // thread it ran is done, not dead: it ends here and the worker leaves instead of parking.
    if (running?.settled && code === 0) {
      const r = running;
      running = null;
      returnFields(r);
      runtime.trace?.add(runtime.ident, RUNNING, 0, r.startUs, nowUs());
      control.setWState(entry, WState.Leaving);
      control.terminate(r.job.slot, r.job.gen);
    }
    // For a hub that sees this worker end only by its port closing: an exit that ran its handlers.
    control.setWorkerExited(entry, code);
  });
  process.on("beforeExit", () => {
    const queued = running ? finish() : null;
    if (queued) setImmediate(() => void runJob(queued));
    else next();
  });
  /**
   * Runs the queued thread the hub posted this worker, as soon as the thread `r` has settled and
   * holds nothing Node reports as keeping the event loop alive (a timer, an immediate, a socket, a
   * file request, a ref'd port, a child process), without waiting for 'beforeExit'. A Node worker
   * whose loop has run empty first waits for V8's background tasks, every isolate's (a TurboFan
   * compile takes milliseconds): measured, 5-30 ms between two threads on one worker, in a burst
   * of threads on a contended Lock, on two cores. What Node doesn't list (a callback of zlib or
   * crypto, a native addon's async work, a Worker it started, none awaited) still runs on this
   * worker, while the next thread does: the worker parks only once its loop is empty.
   * With nothing queued here, the thread ends at 'beforeExit' as before: this worker offers itself
   * for the next thread only when it can park at once.
   */
  function nextNow(r: Running): void {
    if (running !== r || process.getActiveResourcesInfo().length > 0) return;
    const first = nextMessage();
    if (first === null) return;
    const job = finish(first);
    if (job) void runJob(job);
  }

  // Errors from what the thread left running (a timer's callback) are that thread's.
  const report = (err: unknown) => reportException(err, running?.thread ?? null);
  process.on("uncaughtException", report);
  process.on("unhandledRejection", report);

  async function runJob(job: Job): Promise<void> {
    const r: Running = { job, thread: null, settled: false, startUs: runtime.trace ? nowUs() : 0, fields: {} };
    running = r;
    runtime.slot = job.slot;
    runtime.gen = job.gen;
    runtime.ident = control.ident(job.slot);
    // Until this thread's object is made, currentThread() is this thread's handle, not the last one's.
    runtime.current = null;
    control.setNativeId(job.slot, tid);
    try {
      const hook = job.hook ? await materialize(job.hook) : null;
      adoptHook(hook, job.hook);
      const base: Function = job.cls ? await materialize(job.cls) : Thread;
      const target: Function | null = job.target ? await materialize(job.target) : null;
      const loading = preload(job.values, materialize);
      if (loading) await loading;
      const { value, ready } = unpack(job.values);
      const args = value as unknown[];
      const fields = args.pop() as Record<string, unknown>;
      r.fields = fields;
      const thread = adoptForRun(Object.create(base.prototype), job, target, args);
      r.thread = thread;
      assignOwn(thread, fields);
      if (ready) await ready;
      runtime.current = thread;
      control.setCode(job.slot, job.gen, Code.Running);
      const result = thread.run();
      if (result && typeof (result as PromiseLike<unknown>).then === "function") await result;
    } catch (err) {
      reportException(err, r.thread ?? handle({ ...job, nativeId: tid, started: true }));
    }
    r.settled = true;
    // The thread ends when this worker's event loop is empty (beforeExit above), or when a queued
    // thread can take over (nextNow): checked in an immediate, once the microtasks it left have run.
    // Only while threads are queued at the hub (nothing is posted ahead otherwise): a loop of start
    // and join, 0.03-0.04 ms a thread, would pay for the immediate.
    if (NEXT_BEFORE_EXIT && control.pendingJobs() > 0) setImmediate(() => nextNow(r));
  }

  next();
}
