/**
 * The process-wide control block: one SharedArrayBuffer, created by the main thread and handed to
 * the hub and every worker, that holds what every thread must see about every other thread.
 * This module is the only one that knows the word offsets.
 *
 * Header (Int32 words):
 *   0  NEXT_IDENT        next thread ident to hand out (Atomics.add)
 *   1  NAME_COUNTER      Python's "Thread-N" counter, shared so N is unique process-wide
 *   2  NON_DAEMON_ALIVE  started, not yet terminated non-daemon threads; main's exit waits for 0
 *   3  ALLOC_HINT        where the next slot search starts
 *   4  IDLE_WORKERS      workers parked and waiting for a thread to run
 *   5  COMPLETIONS       bumped whenever a pool task finishes; futures.wait() sleeps on it
 *   6  PENDING_JOBS      started threads queued at the hub for a worker (a worker going idle
 *                        tells the hub while any are)
 *   7  BLOCKED_NOTICE    1 while the hub wants to hear of the next thread that blocks in a
 *                        worker (threads are queued behind busy workers); that thread takes it
 *                        (1 -> 0) and tells the hub, which may give the queued ones workers
 *   8..15 reserved
 *
 * Slots (SLOT_WORDS words each, from word HEADER_WORDS; slot 0 is the main thread):
 *   +0  STATE      gen << CODE_BITS | code (read with stateGen, stateCode). code: Code.Unused,
 *                  Runnable, Running, Blocked, Terminated (also "free"), Claimed (a start() is
 *                  writing the fields). join() waits on this word; gen tells a reused slot from
 *                  the thread a handle knew.
 *   +1  IDENT      the thread's ident (unique for the life of the process)
 *   +2  NATIVE_ID  OS thread id; 0 until the worker has picked the thread up (start() waits on it)
 *   +3  FLAGS      DAEMON (bit 0), HOOKED (bit 1: a custom excepthook); in main's slot,
 *                  ABANDONED (bit 2): the program exits without waiting for its threads
 *   +4  NAME_SEQ   seqlock for the name: odd while a writer is inside
 *   +5  NAME_LEN   name length in UTF-8 bytes
 *   +6..+69        name bytes (up to NAME_MAX_BYTES)
 *   +70 CLAIM      who picked the thread up: (gen mod 2^20) << 12 | (worker entry + 1), 0 before
 *                  any generation was. A queued thread's job may be posted to more than one
 *                  worker (runtime/hub.ts); exactly one wins this compare-and-swap and runs it.
 *
 * Worker table (WORKER_WORDS words each, from word WORKER_BASE; entries below MAIN_WORKERS are
 * spawned for and dispatched to directly by the main thread, the rest by the hub):
 *   +0  W_STATE    WState: free, starting, idle (parked on W_MAILBOX), busy, leaving
 *   +1  W_MAILBOX  set to 1 and notified by whoever claimed the worker and posted it a job
 *   +2  W_JOB_SLOT the thread slot it runs (for the hub to clean up if the worker dies)
 *   +3  W_JOB_GEN  that slot's generation
 *   +4  W_EXITED   1 once the worker's own 'exit' handler ran (0 from spawn): a worker watched only
 *                  through its port (one the main thread spawned) says so how it ended
 *   +5  W_EXIT_CODE the code it exited with
 *
 * Start error (from word START_ERR_BASE; written by the hub only): why the last thread that no
 * worker could be made for didn't start, for its start() to say.
 *   +0  slot + 1 of that thread (0: none), +1 its generation, +2 the text's length in UTF-8 bytes,
 *   +3.. the text (up to START_ERR_MAX_BYTES)
 *
 * Wait records (from word WAIT_BASE, laid out by memory/wait-record.ts): what each thread waits
 * on, for deadlock detection and thread dumps.
 */

import { WaitRecords, waitRegionWords } from "./wait-record.js";

export const HEADER_WORDS = 16;
export const SLOT_WORDS = 72;
export const MAX_THREADS = 1024;
export const NAME_MAX_BYTES = 256;

/**
 * Worker-table entries: the main thread's range and the hub's each hold a worker for every thread
 * that can be alive (and a spare), so that whoever starts them, threads run out before workers do.
 */
export const MAIN_WORKERS = MAX_THREADS;
export const MAX_WORKERS = 2 * MAX_THREADS;
const WORKER_WORDS = 6;
const WORKER_BASE = HEADER_WORDS + SLOT_WORDS * MAX_THREADS;
const W_STATE = 0;
const W_MAILBOX = 1;
const W_JOB_SLOT = 2;
const W_JOB_GEN = 3;
const W_EXITED = 4;
const W_EXIT_CODE = 5;
const START_ERR_BASE = WORKER_BASE + WORKER_WORDS * MAX_WORKERS;
const START_ERR_MAX_BYTES = 256;
const START_ERR_WORDS = 3 + START_ERR_MAX_BYTES / 4;
const WAIT_BASE = START_ERR_BASE + START_ERR_WORDS;
const TOTAL_WORDS = WAIT_BASE + waitRegionWords(MAX_THREADS);
/** Index of word `field` of worker-table entry `entry`. */
const worker = (entry: number, field: number) => WORKER_BASE + entry * WORKER_WORDS + field;

export const WState = { Free: 0, Starting: 1, Idle: 2, Busy: 3, Leaving: 4 } as const;
export type WState = (typeof WState)[keyof typeof WState];

const IDLE_WORKERS = 4;
const COMPLETIONS = 5;
const PENDING_JOBS = 6;
const BLOCKED_NOTICE = 7;
const NEXT_IDENT = 0;
const NAME_COUNTER = 1;
const NON_DAEMON_ALIVE = 2;
const ALLOC_HINT = 3;

const STATE = 0;
const IDENT = 1;
const NATIVE_ID = 2;
const FLAGS = 3;
const NAME_SEQ = 4;
const NAME_LEN = 5;
const NAME_BYTES = 6 * 4;
/** FLAGS bits: the thread is a daemon; it has a custom excepthook (the main thread runs it if its worker dies). */
const DAEMON = 1;
const HOOKED = 2;
const ABANDONED = 4;
const CLAIM = 70;
const CLAIM_ENTRY_BITS = 12;
const CLAIM_GEN_MASK = (1 << (32 - CLAIM_ENTRY_BITS)) - 1;
/** A CLAIM word: the generation's low bits above the claiming worker's entry + 1 (never 0). */
const claimWord = (gen: number, entry: number): number => ((gen << CLAIM_ENTRY_BITS) | (entry + 1)) | 0;
const claimGen = (word: number): number => word >>> CLAIM_ENTRY_BITS;
/** The claimant the hub writes for a queued thread it fails (no worker could be made for it). */
export const HUB_CLAIM = MAX_WORKERS;

/**
 * A slot's state. Claimed: a start() has taken the slot and is writing the new thread's fields;
 * to everyone else it is neither free (another start() must not take it too) nor alive yet.
 */
export const Code = { Unused: 0, Runnable: 1, Running: 2, Blocked: 3, Terminated: 4, Claimed: 5 } as const;
export type Code = (typeof Code)[keyof typeof Code];

const GEN_MASK = (1 << 28) - 1;
const CODE_BITS = 3;
const CODE_MASK = (1 << CODE_BITS) - 1;

/** A STATE word's parts: the slot's generation and its thread's state code. */
export const stateGen = (word: number): number => word >>> CODE_BITS;
export const stateCode = (word: number): Code => (word & CODE_MASK) as Code;
const stateWord = (gen: number, code: Code): number => (gen << CODE_BITS) | code;
/** True when a STATE word says thread `gen` of its slot has ended (terminated, or the slot reused). */
export const stateEnded = (word: number, gen: number): boolean => stateGen(word) !== gen || stateCode(word) === Code.Terminated;
/** True when a STATE word holds a started thread that hasn't ended. */
export const stateAlive = (word: number): boolean => {
  const c = stateCode(word);
  return c === Code.Runnable || c === Code.Running || c === Code.Blocked;
};
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Control {
  readonly i32: Int32Array;
  private readonly u8: Uint8Array;

  /** What each thread waits on (memory/wait-record.ts). */
  readonly waits: WaitRecords;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    this.u8 = new Uint8Array(sab);
    this.waits = new WaitRecords(this.i32, this.u8, WAIT_BASE);
  }

  static create(): Control {
    const c = new Control(new SharedArrayBuffer(TOTAL_WORDS * 4));
    c.waits.init();
    Atomics.store(c.i32, NEXT_IDENT, 2);
    Atomics.store(c.i32, ALLOC_HINT, 1);
    return c;
  }

  base(slot: number): number {
    return HEADER_WORDS + slot * SLOT_WORDS;
  }

  stateIndex(slot: number): number {
    return this.base(slot) + STATE;
  }

  nativeIdIndex(slot: number): number {
    return this.base(slot) + NATIVE_ID;
  }

  get nonDaemonIndex(): number {
    return NON_DAEMON_ALIVE;
  }

  nextNameNumber(): number {
    return Atomics.add(this.i32, NAME_COUNTER, 1) + 1;
  }

  /** Slot 0 describes the main thread for every thread's `mainThread()`. */
  initMain(name: string, nativeId: number): void {
    const b = this.base(0);
    Atomics.store(this.i32, b + IDENT, 1);
    Atomics.store(this.i32, b + NATIVE_ID, nativeId);
    Atomics.store(this.i32, b + FLAGS, 0);
    this.writeName(0, name);
    Atomics.store(this.i32, b + STATE, stateWord(1, Code.Running));
  }

  /** The main program has ended: the main thread counts as stopped (a thread joining it returns). */
  stopMain(): void {
    const idx = this.base(0) + STATE;
    Atomics.store(this.i32, idx, stateWord(1, Code.Terminated));
    Atomics.notify(this.i32, idx);
  }

  /**
   * The main program ends without waiting for its non-daemon threads (deadlocked, in
   * SKEIN_DEADLOCK=throw mode): they die with the process, as daemon threads do, and their
   * workers going is no fault to report.
   */
  abandonThreads(): void {
    Atomics.or(this.i32, this.base(0) + FLAGS, ABANDONED);
    this.stopMain();
  }

  /** Whether the main program exits without waiting for its threads (abandonThreads). */
  threadsAbandoned(): boolean {
    return (Atomics.load(this.i32, this.base(0) + FLAGS) & ABANDONED) !== 0;
  }

  /** Claims a free slot for a thread being started; returns null when all MAX_THREADS are alive. */
  allocate(name: string, daemon: boolean, hooked = false): { slot: number; gen: number; ident: number } | null {
    const hint = Atomics.load(this.i32, ALLOC_HINT);
    for (let n = 0; n < MAX_THREADS - 1; n++) {
      const slot = 1 + ((hint - 1 + n) % (MAX_THREADS - 1));
      const idx = this.base(slot) + STATE;
      const w = Atomics.load(this.i32, idx);
      const code = stateCode(w);
      if (code !== Code.Unused && code !== Code.Terminated) continue;
      const gen = (stateGen(w) + 1) & GEN_MASK;
      // Claimed with the new gen until the fields are written: a reader never sees the new
      // generation with the previous thread's ident or name, and no other start() takes the slot
      // meanwhile (as "unused" it once did, and two threads shared a slot).
      if (Atomics.compareExchange(this.i32, idx, w, stateWord(gen, Code.Claimed)) !== w) continue;
      const b = this.base(slot);
      const ident = Atomics.add(this.i32, NEXT_IDENT, 1);
      Atomics.store(this.i32, b + IDENT, ident);
      Atomics.store(this.i32, b + NATIVE_ID, 0);
      Atomics.store(this.i32, b + FLAGS, (daemon ? DAEMON : 0) | (hooked ? HOOKED : 0));
      this.writeName(slot, name);
      this.waits.reset(slot);
      if (!daemon) Atomics.add(this.i32, NON_DAEMON_ALIVE, 1);
      Atomics.store(this.i32, idx, stateWord(gen, Code.Runnable));
      Atomics.store(this.i32, ALLOC_HINT, slot + 1 >= MAX_THREADS ? 1 : slot + 1);
      return { slot, gen, ident };
    }
    return null;
  }

  /** The state code of (slot, gen); a reused slot means the thread we knew has terminated. */
  code(slot: number, gen: number): Code {
    const w = Atomics.load(this.i32, this.base(slot) + STATE);
    if (stateGen(w) !== gen) return Code.Terminated;
    return stateCode(w);
  }

  /** True once thread `gen` of `slot` has terminated (or its slot was reused). */
  ended(slot: number, gen: number): boolean {
    return this.code(slot, gen) === Code.Terminated;
  }

  /** The slot's STATE word, to read with stateGen/stateCode or to sleep on. */
  rawState(slot: number): number {
    return Atomics.load(this.i32, this.base(slot) + STATE);
  }

  /** Moves a live thread between runnable/running/blocked; only its own thread does this. */
  setCode(slot: number, gen: number, code: Code): void {
    const idx = this.base(slot) + STATE;
    const w = Atomics.load(this.i32, idx);
    if (stateEnded(w, gen)) return;
    Atomics.compareExchange(this.i32, idx, w, stateWord(gen, code));
  }

  /**
   * Marks (slot, gen) terminated and wakes its joiners. Returns false if someone already did:
   * the worker and the hub (which watches for dying workers) may both try, exactly one wins.
   */
  terminate(slot: number, gen: number): boolean {
    const idx = this.base(slot) + STATE;
    for (;;) {
      const w = Atomics.load(this.i32, idx);
      if (stateEnded(w, gen) || stateCode(w) === Code.Unused || stateCode(w) === Code.Claimed) return false;
      if (Atomics.compareExchange(this.i32, idx, w, stateWord(gen, Code.Terminated)) === w) break;
    }
    const daemon = (Atomics.load(this.i32, this.base(slot) + FLAGS) & DAEMON) === DAEMON;
    if (!daemon) {
      Atomics.sub(this.i32, NON_DAEMON_ALIVE, 1);
      Atomics.notify(this.i32, NON_DAEMON_ALIVE);
    }
    Atomics.notify(this.i32, idx);
    // A start() still waiting for the pick-up must not wait for a thread that is already gone.
    Atomics.notify(this.i32, this.base(slot) + NATIVE_ID);
    return true;
  }

  /**
   * Picks runnable thread (slot, gen) up for worker `entry`: true for the one call, of all the
   * workers', that wins it. Copies of a queued thread's job may reach several workers (and the same
   * worker twice: once ahead of time, once when it is free), and this is what makes exactly one
   * run it, once.
   */
  claim(slot: number, gen: number, entry: number): boolean {
    const idx = this.base(slot) + CLAIM;
    const mine = claimWord(gen, entry);
    for (;;) {
      const w = Atomics.load(this.i32, idx);
      if (w !== 0 && claimGen(w) === (gen & CLAIM_GEN_MASK)) return false;
      // Every way out of runnable (a worker running it, the hub failing it) claims it first.
      if (this.code(slot, gen) !== Code.Runnable) return false;
      if (Atomics.compareExchange(this.i32, idx, w, mine) === w) return true;
    }
  }

  /** True if worker `entry` has picked thread (slot, gen) up. */
  heldBy(slot: number, gen: number, entry: number): boolean {
    return Atomics.load(this.i32, this.base(slot) + CLAIM) === claimWord(gen, entry);
  }

  /** True once some worker (or the hub) has picked thread (slot, gen) up, or it has ended. */
  claimed(slot: number, gen: number): boolean {
    const w = Atomics.load(this.i32, this.base(slot) + CLAIM);
    return (w !== 0 && claimGen(w) === (gen & CLAIM_GEN_MASK)) || this.ended(slot, gen);
  }

  ident(slot: number): number {
    return Atomics.load(this.i32, this.base(slot) + IDENT);
  }

  /**
   * True while the thread with this ident lives: the main thread always (the process is its),
   * another while its slot still holds it un-terminated. Scans the slots: only for the rare
   * check of a mutex holder that has kept a waiter waiting.
   */
  identAlive(ident: number): boolean {
    if (ident === this.ident(0)) return true;
    for (let slot = 1; slot < MAX_THREADS; slot++) {
      if (Atomics.load(this.i32, this.base(slot) + IDENT) !== ident) continue;
      return stateAlive(Atomics.load(this.i32, this.base(slot) + STATE));
    }
    return false;
  }

  nativeId(slot: number): number {
    return Atomics.load(this.i32, this.base(slot) + NATIVE_ID);
  }

  setNativeId(slot: number, id: number): void {
    Atomics.store(this.i32, this.base(slot) + NATIVE_ID, id);
    Atomics.notify(this.i32, this.base(slot) + NATIVE_ID);
  }

  daemon(slot: number): boolean {
    return (Atomics.load(this.i32, this.base(slot) + FLAGS) & DAEMON) === DAEMON;
  }

  /** The thread in `slot` was started with a custom excepthook. */
  hooked(slot: number): boolean {
    return (Atomics.load(this.i32, this.base(slot) + FLAGS) & HOOKED) === HOOKED;
  }

  nonDaemonAlive(): number {
    return Atomics.load(this.i32, NON_DAEMON_ALIVE);
  }

  writeName(slot: number, name: string): void {
    const bytes = encoder.encode(name);
    if (bytes.length > NAME_MAX_BYTES) {
      throw new RangeError(`thread name is ${bytes.length} bytes in UTF-8; names are limited to ${NAME_MAX_BYTES}`);
    }
    const seqIdx = this.base(slot) + NAME_SEQ;
    // Writers take the seqlock by making it odd; readers retry while it is odd or changed.
    for (;;) {
      const s = Atomics.load(this.i32, seqIdx);
      if ((s & 1) === 0 && Atomics.compareExchange(this.i32, seqIdx, s, s + 1) === s) break;
    }
    const off = this.base(slot) * 4 + NAME_BYTES;
    this.u8.set(bytes, off);
    Atomics.store(this.i32, this.base(slot) + NAME_LEN, bytes.length);
    Atomics.add(this.i32, seqIdx, 1);
  }

  readName(slot: number): string {
    const seqIdx = this.base(slot) + NAME_SEQ;
    for (;;) {
      const s1 = Atomics.load(this.i32, seqIdx);
      if (s1 & 1) continue;
      const len = Atomics.load(this.i32, this.base(slot) + NAME_LEN);
      const off = this.base(slot) * 4 + NAME_BYTES;
      const copy = this.u8.slice(off, off + Math.min(len, NAME_MAX_BYTES));
      if (Atomics.load(this.i32, seqIdx) === s1) return decoder.decode(copy);
    }
  }

  /** The hub couldn't make a worker for thread (slot, gen): why, for its start() (before terminate). */
  setStartError(slot: number, gen: number, text: string): void {
    const bytes = encoder.encode(text).subarray(0, START_ERR_MAX_BYTES);
    Atomics.store(this.i32, START_ERR_BASE, 0);
    this.u8.set(bytes, (START_ERR_BASE + 3) * 4);
    Atomics.store(this.i32, START_ERR_BASE + 1, gen);
    Atomics.store(this.i32, START_ERR_BASE + 2, bytes.length);
    Atomics.store(this.i32, START_ERR_BASE, slot + 1);
  }

  /** Why thread (slot, gen) couldn't start, if the hub said so and no later failure overwrote it. */
  startError(slot: number, gen: number): string | null {
    const key = () => Atomics.load(this.i32, START_ERR_BASE) === slot + 1 && Atomics.load(this.i32, START_ERR_BASE + 1) === gen;
    if (!key()) return null;
    const len = Math.min(Atomics.load(this.i32, START_ERR_BASE + 2), START_ERR_MAX_BYTES);
    const text = decoder.decode(this.u8.slice((START_ERR_BASE + 3) * 4, (START_ERR_BASE + 3) * 4 + len));
    return key() ? text : null;
  }

  // ---- worker table ----

  wState(entry: number): WState {
    return Atomics.load(this.i32, worker(entry, W_STATE)) as WState;
  }

  casWState(entry: number, from: WState, to: WState): boolean {
    return Atomics.compareExchange(this.i32, worker(entry, W_STATE), from, to) === from;
  }

  setWState(entry: number, to: WState): void {
    Atomics.store(this.i32, worker(entry, W_STATE), to);
  }

  mailboxIndex(entry: number): number {
    return worker(entry, W_MAILBOX);
  }

  /** Claims a free entry in [from, to) for a worker about to be spawned. */
  allocWorker(from: number, to: number, state: WState): number | null {
    for (let e = from; e < to; e++) {
      if (this.casWState(e, WState.Free, state)) {
        Atomics.store(this.i32, worker(e, W_EXITED), 0);
        return e;
      }
    }
    return null;
  }

  /** In the worker, from its process's 'exit' handler: how it ended. */
  setWorkerExited(entry: number, code: number): void {
    Atomics.store(this.i32, worker(entry, W_EXIT_CODE), code);
    Atomics.store(this.i32, worker(entry, W_EXITED), 1);
  }

  /** The code the worker at `entry` exited with, or null if it ended without running its exit handlers. */
  workerExitCode(entry: number): number | null {
    return Atomics.load(this.i32, worker(entry, W_EXITED)) === 1 ? Atomics.load(this.i32, worker(entry, W_EXIT_CODE)) : null;
  }

  /** Claims a parked worker among `entries` for a job; the caller then posts the job and rings. */
  claimIdle(entries: Iterable<number>): number | null {
    for (const e of entries) {
      if (this.casWState(e, WState.Idle, WState.Busy)) {
        Atomics.sub(this.i32, IDLE_WORKERS, 1);
        return e;
      }
    }
    return null;
  }

  /** How many of `entries` are still booting (main's workers, or the hub's). */
  booting(entries: Iterable<number>): number {
    let n = 0;
    for (const e of entries) if (this.wState(e) === WState.Starting) n++;
    return n;
  }

  /** Wakes a claimed worker whose job has been posted. */
  ring(entry: number): void {
    const m = this.mailboxIndex(entry);
    Atomics.store(this.i32, m, 1);
    Atomics.notify(this.i32, m);
  }

  /** Threads queued at the hub for a worker. */
  pendingJobs(): number {
    return Atomics.load(this.i32, PENDING_JOBS);
  }

  /** The hub's count of queued threads (only the hub changes it). */
  setPendingJobs(n: number): void {
    Atomics.store(this.i32, PENDING_JOBS, n);
  }

  /** The hub asks (true) to hear of the next thread that blocks in a worker, or stops asking. */
  askBlockedNotice(ask: boolean): void {
    Atomics.store(this.i32, BLOCKED_NOTICE, ask ? 1 : 0);
  }

  /** True for the one thread that takes the hub's request to hear that a thread blocked. */
  takeBlockedNotice(): boolean {
    return Atomics.load(this.i32, BLOCKED_NOTICE) === 1 && Atomics.compareExchange(this.i32, BLOCKED_NOTICE, 1, 0) === 1;
  }

  idleWorkers(): number {
    return Atomics.load(this.i32, IDLE_WORKERS);
  }

  addIdle(delta: number): void {
    Atomics.add(this.i32, IDLE_WORKERS, delta);
  }

  setWorkerJob(entry: number, slot: number, gen: number): void {
    Atomics.store(this.i32, worker(entry, W_JOB_SLOT), slot);
    Atomics.store(this.i32, worker(entry, W_JOB_GEN), gen);
  }

  workerJob(entry: number): { slot: number; gen: number } {
    return {
      slot: Atomics.load(this.i32, worker(entry, W_JOB_SLOT)),
      gen: Atomics.load(this.i32, worker(entry, W_JOB_GEN)),
    };
  }

  // ---- futures ----

  get completionsIndex(): number {
    return COMPLETIONS;
  }

  bumpCompletions(): void {
    Atomics.add(this.i32, COMPLETIONS, 1);
    Atomics.notify(this.i32, COMPLETIONS);
  }
}
