/**
 * The hub: one worker, started by the main thread when skein is imported, that spawns every thread
 * worker and watches it die. The main thread asks it to spawn (and then talks to the worker
 * directly); jobs that found no parked worker queue here (from main, and all of other threads'),
 * and go to the first worker that is free. A worker that dies while running a thread gets that
 * thread marked terminated here, so its joiners never hang.
 */
import { parentPort, workerData, Worker, MessageChannel, type MessagePort } from "node:worker_threads";
import { writeSync } from "node:fs";
import { Control, MAIN_WORKERS, MAX_WORKERS, WState } from "../memory/control-block.js";
import { startWorker, type WorkerEntry } from "./worker-entry.js";
import { deathError, DeathKind, type Death, type DeathNotice } from "./death.js";
import { watchDeadlocks } from "./deadlock.js";

interface Job {
  slot: number;
  gen: number;
  transfer: MessagePort[];
}

/** Runs the hub in this worker (the worker entry calls it when workerData says so). */
export function runHub(): void {
  const data = workerData as { control: SharedArrayBuffer; trace: SharedArrayBuffer | null; tsxApi: string | null; execArgv: string[]; entry: WorkerEntry; deaths: MessagePort };
  const control = new Control(data.control);
  /** The hub's line to every worker, by worker-table entry. */
  const ports = new Map<number, MessagePort>();
  let execArgv = data.execArgv;

  function newWorker(entry: number, hubPort: MessagePort, mainPort?: MessagePort): Worker {
    const options = () => ({
      workerData: { __skein: true, role: "worker", control: data.control, trace: data.trace, entry, hubPort, mainPort, tsxApi: data.tsxApi },
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
    bootStarted.set(entry, performance.now());
    port1.on("message", fromWorker);
    let fatal: unknown = null;
    worker.on("error", (err) => {
      fatal = err;
    });
    worker.on("exit", (code) => {
      port1.close();
      ports.delete(entry);
      bootStarted.delete(entry);
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
      // Threads queued for it (it died booting) get another.
      if (pending.length > 0) recheck ??= setTimeout(check, 0);
    });
    return port1;
  }

  /** No worker could be made for an entry: free it; the oldest queued thread fails if none can run it. */
  function failEntry(entry: number, e: unknown): void {
    bootStarted.delete(entry);
    control.setWState(entry, WState.Free);
    if (pending.length === 0 || workersOnTheirWay() > 0) return;
    const job = pending.shift()!;
    control.setPendingJobs(pending.length);
    const why = `can't start new thread: Node couldn't create a worker for it: ${e instanceof Error ? e.message : String(e)}`;
    control.setStartError(job.slot, job.gen, why);
    writeSync(2, `Exception in thread ${control.readName(job.slot)}:\nRuntimeError: ${why}\n`);
    control.terminate(job.slot, job.gen);
  }

  /** Threads started while no worker was idle, oldest first. */
  const pending: Job[] = [];
  /** When each booting worker was spawned (performance.now()), by entry. */
  const bootStarted = new Map<number, number>();
  /**
   * How long a worker takes to boot, as last measured: how long a queued thread may wait for a
   * busy or booting worker before it gets a new one of its own.
   */
  let bootMs = 30;
  let recheck: ReturnType<typeof setTimeout> | null = null;

  function dispatch(job: Job): void {
    pending.push(job);
    control.setPendingJobs(pending.length);
    pump();
    if (pending.length === 0) return;
    // None idle: a worker is spawned at once if none is on its way. Beyond that, a burst of
    // short threads is better served by the workers there are (each boot costs a core ~30 ms);
    // a thread still queued a boot time later gets a worker of its own, so it never waits long
    // behind threads that block.
    if (workersOnTheirWay() === 0) spawnFresh();
    recheck ??= setTimeout(check, bootMs);
  }

  function check(): void {
    recheck = null;
    pump();
    const deficit = pending.length - workersOnTheirWay();
    for (let i = 0; i < deficit; i++) if (!spawnFresh()) break;
    if (pending.length > 0) recheck = setTimeout(check, bootMs);
  }

  /** Hands queued threads to idle workers, oldest first. */
  function pump(): void {
    while (pending.length > 0) {
      const entry = control.claimIdle(ports.keys());
      if (entry === null) return;
      const job = pending.shift()!;
      control.setPendingJobs(pending.length);
      control.setWorkerJob(entry, job.slot, job.gen);
      ports.get(entry)!.postMessage(job, job.transfer);
      control.ring(entry);
    }
  }

  /** Workers booting: each will take a queued thread when it is ready. */
  function workersOnTheirWay(): number {
    let n = 0;
    for (const e of ports.keys()) if (control.wState(e) === WState.Starting) n++;
    return n;
  }

  /** Spawns a worker in the hub's range; false if the table is full or Node refused. */
  function spawnFresh(): boolean {
    const entry = control.allocWorker(MAIN_WORKERS, MAX_WORKERS, WState.Starting);
    if (entry === null) return false;
    try {
      spawn(entry);
      return true;
    } catch {
      return false; // failEntry has dealt with it
    }
  }

  /** A worker has booted (its first offer) or gone idle while threads are queued. */
  function offered(entry: number): void {
    const t0 = bootStarted.get(entry);
    if (t0 !== undefined) {
      bootStarted.delete(entry);
      bootMs = Math.max(5, Math.min(200, performance.now() - t0));
    }
    pump();
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

  const deadlocks = watchDeadlocks(control);

  parentPort!.on("message", (m: any) => {
    if (deadlocks.onMessage(m)) return;
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

  /** A worker's own messages: a job for another thread, its offer, or a notice for the thread it runs. */
  function fromWorker(m: any): void {
    if (deadlocks.onMessage(m)) return;
    if (m?.type === "start") dispatch(m.job);
    else if (m?.type === "offered") offered(m.entry);
    else if (m?.type === "notice") {
      const mine = notices.get(m.slot);
      if (mine && mine.gen === m.gen) mine.list.push(m.notice);
      else notices.set(m.slot, { gen: m.gen, list: [m.notice] });
    }
  }
}
