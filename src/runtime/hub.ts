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

interface Job {
  slot: number;
  gen: number;
  transfer: MessagePort[];
}

/** Runs the hub in this worker (the worker entry calls it when workerData says so). */
export function runHub(): void {
  const data = workerData as { control: SharedArrayBuffer; tsxApi: string | null; execArgv: string[]; entry: WorkerEntry };
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
    port1.on("message", (m: any) => {
      if (m?.type === "start") dispatch(m.job);
    });
    worker.on("error", (err) => {
      const { slot } = control.workerJob(entry);
      const stack = err instanceof Error ? err.stack ?? String(err) : String(err);
      writeSync(2, `Exception in thread ${control.readName(slot)}:\n${stack}\n`);
    });
    worker.on("exit", (code) => {
      port1.close();
      ports.delete(entry);
      const state = control.wState(entry);
      if (state === WState.Idle) control.addIdle(-1);
      if (state === WState.Busy) {
        const { slot, gen } = control.workerJob(entry);
        if (control.terminate(slot, gen) && code !== 0 && code !== 1) {
          writeSync(2, `skein: the worker running thread ${control.readName(slot)} exited with code ${code}\n`);
        }
      }
      control.setWState(entry, WState.Free);
    });
    return port1;
  }

  /** No worker could be made for an entry: free it and release the thread waiting on it. */
  function failEntry(entry: number, e: unknown): void {
    if (control.wState(entry) === WState.Busy) {
      const { slot, gen } = control.workerJob(entry);
      writeSync(2, `skein: can't start thread ${control.readName(slot)}: ${e instanceof Error ? e.message : String(e)}\n`);
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
      writeSync(2, `skein: can't start thread ${control.readName(job.slot)}: all ${MAX_WORKERS} workers are busy\n`);
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
}
