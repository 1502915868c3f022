/**
 * The hub: one worker, started by the main thread with the first thread (or whatever else needs it
 * first), that watches every thread worker die. The main thread spawns its own workers (the warm
 * ones when skein is imported, before the hub, whose boot would slow theirs) and hands the hub a
 * port to each; the hub spawns the rest. Jobs that found no parked worker queue here (from main,
 * and all of other threads'), and go to the first worker that is free, or, posted ahead, to a busy
 * one that finishes its thread first (postAhead). A worker that dies while
 * running a thread gets that thread marked terminated here, so its joiners never hang.
 */
import { parentPort, workerData, Worker, MessageChannel, type MessagePort } from "node:worker_threads";
import { writeOutput } from "../platform/output.js";
import { Code, Control, HUB_CLAIM, MAIN_WORKERS, MAX_WORKERS, WState } from "../memory/control-block.js";
import { startThreadWorker, type WorkerEntry } from "../platform/workers.js";
import { runtimeKind, runtimeLabel } from "../platform/runtime-kind.js";
import { threadWorkerOptions } from "./worker-entry.js";
import { deathError, DeathKind, type Death, type DeathNotice } from "./death.js";
import { MAX_BOOTING } from "./boot-limit.js";
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

  /** A worker of the hub's own: spawned here, its 'exit' event says how it ended. */
  function spawn(entry: number): MessagePort {
    const { port1, port2 } = new MessageChannel();
    let worker: Worker;
    try {
      worker = startThreadWorker(data.entry, threadWorkerOptions({ control: data.control, trace: data.trace, entry, hubPort: port2, tsxApi: data.tsxApi }), data.execArgv);
    } catch (e) {
      failEntry(entry, e);
      throw e;
    }
    watch(entry, port1);
    let fatal: unknown = null;
    worker.on("error", (err) => {
      fatal = err;
    });
    worker.on("exit", (code) => {
      port1.close();
      const oom = (fatal as NodeJS.ErrnoException | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";
      const kind = oom ? DeathKind.OutOfMemory : fatal ? DeathKind.Error : DeathKind.Exit;
      gone(entry, kind, code, fatal instanceof Error ? fatal.message : fatal ? String(fatal) : "");
    });
    return port1;
  }

  /**
   * A worker the main thread spawned (so that the first threads don't wait for the hub to boot
   * before their workers can): its 'exit' event goes to main, which may be blocked, so the hub
   * watches its port instead. The port closes when the worker is gone, whatever killed it, and the
   * worker's own exit handler, if it got to run, left its code in the worker table. `spawnedAt`
   * (ms since the epoch, performance.timeOrigin + now) times its boot from when main spawned it.
   */
  function adopt(entry: number, port: MessagePort, spawnedAt: number): void {
    watch(entry, port, spawnedAt - performance.timeOrigin);
    port.on("close", () => {
      if (!ports.has(entry)) return;
      const code = control.workerExitCode(entry);
      gone(entry, code === null ? DeathKind.Vanished : DeathKind.Exit, code ?? 0, "");
    });
  }

  function watch(entry: number, port: MessagePort, spawnedAt = performance.now()): void {
    ports.set(entry, port);
    bootStarted.set(entry, spawnedAt);
    port.on("message", fromWorker);
  }

  /** A worker has ended: the thread it was running (if any) died with it; its entry is free again. */
  function gone(entry: number, kind: DeathKind, code: number, message: string): void {
    ports.delete(entry);
    bootStarted.delete(entry);
    const state = control.wState(entry);
    if (state === WState.Idle) control.addIdle(-1);
    if (state === WState.Busy) {
      // Its thread dies with it: the one it had picked up, or one handed to it (by main, or here
      // to an idle worker) that it hadn't yet, which nobody else holds. A thread still queued
      // here that it hadn't picked up goes to another worker instead.
      const { slot, gen } = control.workerJob(entry);
      const queued = pending.some((p) => p.job.slot === slot && p.job.gen === gen);
      const held = control.heldBy(slot, gen, entry);
      if (held || (!queued && control.claim(slot, gen, entry))) died(slot, gen, kind, code, message);
    }
    for (const p of pending) if (p.ahead === entry) p.ahead = null;
    control.setWState(entry, WState.Free);
    // Threads queued for it (it died booting) get another.
    if (pending.length > 0) recheck ??= setTimeout(check, 0);
  }

  /** No worker could be made for an entry: free it; the oldest queued thread fails if none can run it. */
  function failEntry(entry: number, e: unknown): void {
    bootStarted.delete(entry);
    control.setWState(entry, WState.Free);
    prune();
    if (pending.length === 0 || workersOnTheirWay() > 0) return;
    const { job } = pending.shift()!;
    control.setPendingJobs(pending.length);
    // Posted ahead to a busy worker, it may yet be picked up there: then that worker runs it.
    if (!control.claim(job.slot, job.gen, HUB_CLAIM)) return;
    const why = `can't start new thread: ${runtimeLabel} couldn't create a worker for it: ${e instanceof Error ? e.message : String(e)}`;
    control.setStartError(job.slot, job.gen, why);
    writeOutput(2, `Exception in thread ${control.readName(job.slot)}:\nRuntimeError: ${why}\n`);
    control.terminate(job.slot, job.gen);
  }

  /**
   * Threads started while no worker was idle, oldest first, with when each queued
   * (performance.now()) and the busy worker it was posted to ahead of time, if any (postAhead).
   */
  const pending: { job: Job; at: number; ahead: number | null }[] = [];
  /** When each booting worker was spawned (performance.now()), by entry. */
  const bootStarted = new Map<number, number>();
  /**
   * How long a worker takes to boot, as last measured: how long a queued thread may wait for a
   * busy or booting worker before it gets a new one of its own.
   */
  let bootMs = 30;
  /** At most this many workers boot at once (runtime/boot-limit.ts), main's and the hub's. */
  const maxBooting = MAX_BOOTING;
  let recheck: ReturnType<typeof setTimeout> | null = null;

  function dispatch(job: Job): void {
    pending.push({ job, at: performance.now(), ahead: null });
    control.setPendingJobs(pending.length);
    pump();
    spawnAsNeeded();
    if (pending.length > 0) recheck ??= setTimeout(check, bootMs);
  }

  function check(): void {
    recheck = null;
    pump();
    spawnAsNeeded();
    if (pending.length > 0) recheck = setTimeout(check, bootMs);
  }

  /**
   * Workers for the threads queued, beyond those on their way, as many as may boot at once. A
   * queued thread never waits behind a blocked one: when every busy worker's thread is blocked,
   * each queued thread gets a worker at once (a thread that blocks later says so: BLOCKED_NOTICE).
   * Otherwise the threads running will soon free their workers, and a burst of short threads is
   * better served by the workers there are (each boot costs a core ~30 ms): a thread still queued
   * a boot time later gets one of its own. With no worker busy, one is always on its way.
   */
  function spawnAsNeeded(): void {
    prune();
    control.askBlockedNotice(pending.length > 0);
    if (pending.length === 0) return;
    let busy = 0;
    let blocked = 0;
    for (const e of ports.keys()) {
      if (control.wState(e) !== WState.Busy) continue;
      busy++;
      const { slot, gen } = control.workerJob(e);
      if (control.code(slot, gen) === Code.Blocked) blocked++;
    }
    const now = performance.now();
    const wanted =
      busy === 0 ? Math.max(1, waitedBootTime(now)) : blocked === busy ? pending.length : waitedBootTime(now);
    const deficit = Math.min(wanted, maxBooting) - workersOnTheirWay();
    for (let i = 0; i < deficit; i++) if (!spawnFresh()) break;
  }

  /** How many queued threads have waited at least a boot time. */
  function waitedBootTime(now: number): number {
    let n = 0;
    for (const p of pending) if (now - p.at >= bootMs) n++;
    return n;
  }

  /**
   * Hands queued threads to idle workers, oldest first, and posts the rest ahead to busy ones
   * (postAhead).
   */
  function pump(): void {
    prune();
    while (pending.length > 0) {
      const entry = control.claimIdle(ports.keys());
      if (entry === null) break;
      const { job } = pending.shift()!;
      control.setPendingJobs(pending.length);
      control.setWorkerJob(entry, job.slot, job.gen);
      ports.get(entry)!.postMessage(job, job.transfer);
      control.ring(entry);
    }
    postAhead();
  }

  /** Drops the queued threads a worker has picked up (one posted ahead to it, or one it failed). */
  function prune(): void {
    let kept = 0;
    for (const p of pending) if (!control.claimed(p.job.slot, p.job.gen)) pending[kept++] = p;
    if (kept === pending.length) return;
    pending.length = kept;
    control.setPendingJobs(kept);
  }

  /**
   * Posts each queued thread's job, ahead of time, to a worker whose thread is running (not
   * blocked): one that finishes its thread takes the next from its own port (worker/bootstrap.ts),
   * without telling the hub it is free and waiting for a job back, which in a burst of short
   * threads cost more than the threads. The thread stays queued here all the same: an idle worker
   * or a new one (spawnAsNeeded) gets another copy, and whichever picks it up first runs it
   * (Control.claim), so it never waits behind a thread that runs long or blocks. Not a job that
   * moves ports, which only one copy can carry, nor on Deno, whose workers run one thread each
   * (worker/bootstrap.ts).
   */
  function postAhead(): void {
    if (runtimeKind === "deno") return;
    // A worker's thread that is still runnable (the worker loading it) counts as running: main
    // hands the first threads of a burst straight to workers, and the hub hears of the rest first.
    const running: number[] = [];
    for (const e of ports.keys()) {
      if (control.wState(e) !== WState.Busy) continue;
      const { slot, gen } = control.workerJob(e);
      if (control.code(slot, gen) !== Code.Blocked) running.push(e);
    }
    if (running.length === 0) return;
    const load = new Map<number, number>(running.map((e) => [e, 0]));
    for (const p of pending) if (p.ahead !== null && load.has(p.ahead)) load.set(p.ahead, load.get(p.ahead)! + 1);
    for (const p of pending) {
      if ((p.ahead !== null && load.has(p.ahead)) || p.job.transfer.length > 0) continue;
      let best = running[0]!;
      for (const e of running) if (load.get(e)! < load.get(best)!) best = e;
      ports.get(best)!.postMessage(p.job);
      p.ahead = best;
      load.set(best, load.get(best)! + 1);
    }
  }

  /** Workers booting: each will take a queued thread when it is ready. */
  function workersOnTheirWay(): number {
    return control.booting(ports.keys());
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

  /**
   * A worker has booted (its first offer, with when: ms since the epoch) or gone idle while
   * threads are queued.
   */
  function offered(entry: number, bootedAt: number | undefined): void {
    const t0 = bootStarted.get(entry);
    if (t0 !== undefined) {
      bootStarted.delete(entry);
      const t1 = bootedAt === undefined ? performance.now() : bootedAt - performance.timeOrigin;
      bootMs = Math.max(5, Math.min(200, t1 - t0));
      pump();
      // Threads still queued behind the workers there are: the next boot starts now rather than
      // at the next check, as one boot slot has just freed up.
      if (pending.length > 0) {
        if (recheck) clearTimeout(recheck);
        check();
      }
      return;
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
    // The program is exiting (main has stopped): a daemon thread dies with it, as in Python,
    // and its worker going is no fault to report; so does every thread of a program that exits
    // without waiting for them (deadlocked).
    if ((daemon || control.threadsAbandoned()) && control.ended(0, 1)) {
      control.terminate(slot, gen);
      return;
    }
    // Reported before its joiners wake, as the thread itself would: with the default excepthook
    // written here; a custom one runs in the main thread, which gets the death first.
    const death: Death = { slot, gen, ident, name, daemon, kind, code, message };
    if (control.hooked(slot)) data.deaths.postMessage(death);
    else writeOutput(2, `Exception in thread ${name}:\n${deathError(death)}\n`);
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
    if (m?.type === "adopt") {
      adopt(m.entry, m.port, m.spawnedAt);
    } else if (m?.type === "start") {
      dispatch(m.job);
    }
  });

  /**
   * A worker's own messages: a job for another thread, its offer, that its thread blocked (while
   * threads are queued), or a notice for the thread it runs.
   */
  function fromWorker(m: any): void {
    if (deadlocks.onMessage(m)) return;
    if (m?.type === "start") dispatch(m.job);
    else if (m?.type === "offered") offered(m.entry, m.bootedAt);
    else if (m?.type === "blocked") spawnAsNeeded();
    else if (m?.type === "notice") {
      const mine = notices.get(m.slot);
      if (mine && mine.gen === m.gen) mine.list.push(m.notice);
      else notices.set(m.slot, { gen: m.gen, list: [m.notice] });
    }
  }
}
