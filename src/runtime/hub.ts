/**
 * The hub: one worker, started by the main thread on the first start(), that spawns every thread
 * worker and watches it die. The main thread asks it to spawn (and then talks to the worker
 * directly); other threads send it their jobs, which it gives to a parked worker or to a new one.
 * A worker that dies while running a thread gets that thread marked terminated here, so its
 * joiners never hang.
 */
import { parentPort, workerData, Worker, MessageChannel, type MessagePort } from "node:worker_threads";
import { writeSync } from "node:fs";
import { Control, MAIN_WORKERS, MAX_WORKERS, WState } from "../memory/control-block.js";
import { startWorker, type WorkerEntry } from "./worker-entry.js";
import { deathError, DeathKind, type Death, type DeathNotice } from "./death.js";

interface Job {
  slot: number;
  gen: number;
  transfer: MessagePort[];
}

/** Runs the hub in this worker (the worker entry calls it when workerData says so). */
export function runHub(): void {
  const data = workerData as { control: SharedArrayBuffer; tsxApi: string | null; execArgv: string[]; entry: WorkerEntry; deaths: MessagePort };
  const control = new Control(data.control);
  /** The hub's line to every worker, by worker-table entry. */
  const ports = new Map<number, MessagePort>();
  let execArgv = data.execArgv;

  function newWorker(entry: number, hubPort: MessagePort, mainPort?: MessagePort): Worker {
    const options = () => ({
      workerData: { __skein: true, role: "worker", control: data.control, entry, hubPort, mainPort, tsxApi: data.tsxApi },
      transferList: mainPort ? [hubPort, mainPort] : [hubPort],
      execArgv,
    });
    try {
      return startWorker(data.entry, options());
    } catch (e) {
      // Flags a worker can't take (--expose-gc, --max-old-space-size, ...): workers run without them.
      if ((e as NodeJS.ErrnoException).code !== "ERR_WORKER_INVALID_EXEC_ARGV" || execArgv.length === 0) throw e;
      execArgv = [];
      return startWorker(data.entry, options());
    }
  }

  function spawn(entry: number, mainPort?: MessagePort): MessagePort {
    const { port1, port2 } = new MessageChannel();
    let worker: Worker;
    try {
      worker = newWorker(entry, port2, mainPort);
    } catch (e) {
      failEntry(entry, e);
      throw e;
    }
    ports.set(entry, port1);
    port1.on("message", fromWorker);
    let fatal: unknown = null;
    worker.on("error", (err) => {
      fatal = err;
    });
    worker.on("exit", (code) => {
      port1.close();
      ports.delete(entry);
      const state = control.wState(entry);
      if (state === WState.Idle) control.addIdle(-1);
      if (state === WState.Busy) {
        const { slot, gen } = control.workerJob(entry);
        const oom = (fatal as NodeJS.ErrnoException | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";
        const kind = oom ? DeathKind.OutOfMemory : fatal ? DeathKind.Error : DeathKind.Exit;
        const message = fatal instanceof Error ? fatal.message : fatal ? String(fatal) : "";
        died(slot, gen, kind, code, message);
      }
      control.setWState(entry, WState.Free);
    });
    return port1;
  }

  /** No worker could be made for an entry: free it and release the thread waiting on it. */
  function failEntry(entry: number, e: unknown): void {
    if (control.wState(entry) === WState.Busy) {
      const { slot, gen } = control.workerJob(entry);
      control.setStartError(slot, gen, `Node couldn't create a worker for it: ${e instanceof Error ? e.message : String(e)}`);
      control.terminate(slot, gen);
    }
    control.setWState(entry, WState.Free);
  }

  function dispatch(job: Job): void {
    const entry = control.claimIdle(ports.keys());
    if (entry !== null) {
      control.setWorkerJob(entry, job.slot, job.gen);
      ports.get(entry)!.postMessage(job, job.transfer);
      control.ring(entry);
      return;
    }
    const fresh = control.allocWorker(MAIN_WORKERS, MAX_WORKERS, WState.Busy);
    if (fresh === null) {
      // Can't happen while the table has a worker per possible thread (control-block.ts).
      control.setStartError(job.slot, job.gen, `all ${MAX_WORKERS - MAIN_WORKERS} workers the hub may run are busy`);
      control.terminate(job.slot, job.gen);
      return;
    }
    control.setWorkerJob(fresh, job.slot, job.gen);
    try {
      spawn(fresh).postMessage(job, job.transfer);
    } catch {
      // reported by failEntry
    }
  }

  /** Notices threads registered, by slot: what to store and bump in shared memory if they die. */
  const notices = new Map<number, { gen: number; list: DeathNotice[] }>();

  /** A thread's worker died under it: end the thread, carry out its notices, tell the main thread. */
  function died(slot: number, gen: number, kind: DeathKind, code: number, message: string): void {
    const ident = control.ident(slot);
    const name = control.readName(slot);
    const daemon = control.daemon(slot);
    if (control.ended(slot, gen)) return;
    // Reported before its joiners wake, as the thread itself would: with the default excepthook
    // written here; a custom one runs in the main thread, which gets the death first.
    const death: Death = { slot, gen, ident, name, daemon, kind, code, message };
    if (control.hooked(slot)) data.deaths.postMessage(death);
    else writeSync(2, `Exception in thread ${name}:\n${deathError(death)}\n`);
    const mine = notices.get(slot);
    notices.delete(slot);
    const notified = mine?.gen === gen ? mine.list : [];
    for (const n of notified) {
      Atomics.store(n.arr, n.kindIndex, kind);
      Atomics.store(n.arr, n.codeIndex, code);
    }
    if (!control.terminate(slot, gen)) return;
    // Bumped once the thread is seen ended, so whoever wakes finds it dead and why.
    for (const n of notified) {
      Atomics.add(n.arr, n.bumpIndex, 1);
      Atomics.notify(n.arr, n.bumpIndex);
    }
    control.bumpCompletions();
  }

  parentPort!.on("message", (m: any) => {
    if (m?.type === "spawn") {
      try {
        spawn(m.entry, m.port);
      } catch {
        // reported by failEntry
      }
    } else if (m?.type === "start") {
      dispatch(m.job);
    }
  });

  /** A worker's own messages: a job for another thread, or a notice for the thread it runs. */
  function fromWorker(m: any): void {
    if (m?.type === "start") dispatch(m.job);
    else if (m?.type === "notice") {
      const mine = notices.get(m.slot);
      if (mine && mine.gen === m.gen) mine.list.push(m.notice);
      else notices.set(m.slot, { gen: m.gen, list: [m.notice] });
    }
  }
}
