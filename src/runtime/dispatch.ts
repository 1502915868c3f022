/**
 * Getting a started thread to a worker. The main thread hands jobs straight to a parked worker
 * (post on its own port, then ring the worker's mailbox word: one futex wake, no event loop in
 * between), spawning through the hub only when no worker is parked, and keeping one warm spare.
 * Other threads send their jobs to the hub, which does the same with any worker.
 */
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { MAIN_WORKERS, WState } from "../memory/control-block.js";
import { ensureHub, runtime } from "./runtime.js";

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
  } else if (!spawn(WState.Busy, job)) {
    runtime.hubPost!({ type: "start", job }, job.transfer);
  }
  keepSpare();
}

/** Spawns a worker in the main thread's range, optionally with its first job already posted. */
function spawn(state: WState, job?: Dispatchable): boolean {
  const control = runtime.control;
  for (const [e, p] of ports) {
    if (control.wState(e) === WState.Free) {
      p.close();
      ports.delete(e);
    }
  }
  const entry = control.allocWorker(0, MAIN_WORKERS, state);
  if (entry === null) return false;
  const { port1, port2 } = new MessageChannel();
  ports.set(entry, port1);
  if (job) {
    control.setWorkerJob(entry, job.slot, job.gen);
    try {
      port1.postMessage(job, job.transfer); // waits in the port until the new worker reads it
    } catch (e) {
      ports.delete(entry);
      port1.close();
      control.setWState(entry, WState.Free);
      throw e;
    }
  }
  runtime.hubPost!({ type: "spawn", entry, port: port2 }, [port2]);
  return true;
}

function keepSpare(): void {
  const control = runtime.control;
  for (const e of ports.keys()) {
    const s = control.wState(e);
    if (s === WState.Idle || s === WState.Starting) return;
  }
  spawn(WState.Starting);
}
