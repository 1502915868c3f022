/**
 * Barrier: Python's threading.Barrier, CPython's algorithm on shared memory, built on a
 * Condition (over a Lock) that guards its words. The optional action travels to threads like a
 * target and runs in the last thread to arrive, once per round. Unlike CPython, the action runs
 * with the lock released (the barrier TRIPPING meanwhile: nobody enters or leaves, as if the lock
 * were held), so that a thread whose worker dies in the action can't hold the lock forever: the
 * others re-check every RUNNER_CHECK_MS that the action's thread lives, and break the barrier if not.
 *
 * Shared words (one SharedArrayBuffer of bytesFor(parties) bytes):
 *   Int32 0    STATE    FILLING 0, DRAINING 1, TRIPPING 2, RESETTING -1, BROKEN -2
 *   Int32 1    COUNT    threads inside wait()
 *   Int32 2    PARTIES
 *   Int32 3    RUNNER   while TRIPPING: the entry of the thread running the action
 *   Float64 @ byte 16  TIMEOUT_BYTE: the default timeout in ms (NaN: none)
 *   Int32 6    NUMBER   its number in thread dumps (Barrier#3), given on first wait that sleeps
 *   Int32 7    WHY      while BROKEN, what broke it (Why), for the BrokenBarrierError of every waiter
 *   from Int32 word ENTRIES, one entry of ENTRY_WORDS per party: E_SLOT (the control-block slot + 1
 *   of a thread inside wait(), 0: free) and E_GEN (its generation), so that a thread that died
 *   inside wait() can be taken out of COUNT instead of wedging the barrier
 */
import { RuntimeError } from "../common/errors.js";
import { checkSignal, checkTimeout, describe } from "../common/checks.js";
import type { WaitLoop } from "../memory/sleep.js";
import { numberedSite, runAsync, runBlocking } from "../runtime/wait.js";
import { ObjectClass, WaitKind } from "../memory/wait-record.js";
import { runtime } from "../runtime/runtime.js";
import { Condition } from "./condition.js";
import { Lock } from "./lock.js";
import { attach, badHandle, registerReviver, SHARE, takeAttached, type Shareable, type ShareContext } from "../memory/handles.js";
import type { ShippedCode } from "../ship/shipment.js";
import { checkCallable, codeFor } from "../ship/packing.js";
import { materialize, materializeSync } from "../ship/evaluate.js";
import { showAsRepr } from "../common/repr.js";

/** Python's BrokenBarrierError (a RuntimeError there too). */
export class BrokenBarrierError extends RuntimeError {
  constructor(message = "the barrier is broken: it was aborted, reset, or a wait timed out") {
    super(message);
    this.name = "BrokenBarrierError";
  }
}

const STATE = 0;
const COUNT = 1;
const PARTIES = 2;
const RUNNER = 3;
const TIMEOUT_BYTE = 16;
const NUMBER = 6;
const WHY = 7;
const ENTRIES = 8;
const ENTRY_WORDS = 2;
const E_SLOT = 0;
const E_GEN = 1;
const bytesFor = (parties: number) => (ENTRIES + parties * ENTRY_WORDS) * 4;
const FILLING = 0;
const DRAINING = 1;
const TRIPPING = 2;
const RESETTING = -1;
/** The most parties a Barrier takes (each has an entry in its shared memory). */
const MAX_PARTIES = 65_536;
/** While the action runs, how often the others check that its thread lives, in ms. */
const RUNNER_CHECK_MS = 100;

/** What broke a barrier (WHY), as every thread then told so reads it. */
const enum Why {
  Aborted = 1,
  TimedOut = 2,
  ActionThrew = 3,
  ActionDied = 4,
  WaitAborted = 5,
}

const BROKEN_BY: Record<number, string> = {
  [Why.Aborted]: "abort() was called",
  [Why.TimedOut]: "a wait timed out",
  [Why.ActionThrew]: "its action threw (the exception went to the thread that ran it)",
  [Why.ActionDied]: "the thread running its action died",
  [Why.WaitAborted]: "a waiter's wait was aborted by its signal",
};
const BROKEN = -2;

interface Shared {
  w: Int32Array;
  timeout: Float64Array;
  cond: Condition;
  unit: ShippedCode | null;
}

/**
 * Python's threading.Barrier: `parties` threads wait() until all have arrived, then all go on (one
 * of them first runs the action, if given).
 */
export class Barrier implements Shareable {
  readonly #w: Int32Array;
  readonly #timeout: Float64Array;
  readonly #cond: Condition;
  readonly #unit: ShippedCode | null;
  #action: (() => unknown) | null;

  /**
   * A barrier for `parties` threads; `action` runs in one of them each time all arrive;
   * `timeout` is the default for wait() in ms (undefined: none).
   */
  constructor(parties: number, action?: (() => unknown) | null, timeout?: number | null) {
    const shared = takeAttached<Shared>();
    if (shared) {
      this.#w = shared.w;
      this.#timeout = shared.timeout;
      this.#cond = shared.cond;
      this.#unit = shared.unit;
      this.#action = null;
      return;
    }
    if (typeof parties !== "number") throw new TypeError(`new Barrier: parties must be a number, got ${describe(parties)}`);
    if (!Number.isInteger(parties) || parties < 1 || parties > MAX_PARTIES) {
      throw new RangeError(`new Barrier: parties must be an integer from 1 to ${MAX_PARTIES} (each party has a place in shared memory), got ${parties}`);
    }
    if (action !== undefined && action !== null && typeof action !== "function") {
      throw new TypeError(`new Barrier: action must be a function, got ${describe(action)}`);
    }
    const ms = timeout === undefined || timeout === null ? NaN : checkTimeout(timeout, "new Barrier");
    const sab = new SharedArrayBuffer(bytesFor(parties));
    this.#w = new Int32Array(sab);
    this.#timeout = new Float64Array(sab, TIMEOUT_BYTE, 1);
    this.#w[PARTIES] = parties;
    this.#timeout[0] = ms;
    this.#cond = new Condition(new Lock());
    // Checked here, so an action that can't travel fails at construction, not in some thread.
    checkCallable(action, "new Barrier: action");
    this.#unit = action ? codeFor(action, "action", "the Barrier action") : null;
    this.#action = action ?? null;
  }

  /** How many threads must call wait() for the barrier to open. */
  get parties(): number {
    return this.#w[PARTIES]!;
  }

  /** Threads currently waiting for the barrier to fill. */
  get nWaiting(): number {
    const state = Atomics.load(this.#w, STATE);
    return state === FILLING || state === TRIPPING ? Atomics.load(this.#w, COUNT) : 0;
  }

  /**
   * True once the barrier is broken (a timeout, abort(), a failed action): wait() throws
   * BrokenBarrierError until reset().
   */
  get broken(): boolean {
    return Atomics.load(this.#w, STATE) === BROKEN;
  }

  /** The wait's timeout in ms: the call's, else the barrier's default, else Infinity. */
  #timeoutFor(timeout: number | null | undefined, what: string): number {
    if (timeout === undefined || timeout === null) {
      const d = this.#timeout[0]!;
      return Number.isNaN(d) ? Infinity : d;
    }
    return checkTimeout(timeout, what);
  }

  #runAction(): void {
    if (!this.#unit) return;
    if (!this.#action) {
      this.#action = materializeSync(this.#unit) as () => unknown;
    }
    this.#action();
  }

  /**
   * Waits until `parties` threads are waiting, or `timeout` ms pass (undefined: the barrier's
   * default, else forever); returns this thread's index, 0..parties-1. A timeout breaks the
   * barrier (BrokenBarrierError, for this and every waiting thread).
   */
  wait(timeout?: number | null): number {
    const ms = this.#timeoutFor(timeout, "Barrier.wait");
    return runBlocking(this.#waitLoop(ms), numberedSite(WaitKind.BarrierWait, this.#w, NUMBER, ObjectClass.Barrier));
  }

  /** The async twin of wait (`timeout` in ms); aborting it breaks the barrier, as a timeout does. */
  async waitAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<number> {
    const ms = this.#timeoutFor(timeout, "Barrier.waitAsync");
    return runAsync(this.#waitLoop(ms), checkSignal(options, "Barrier.waitAsync"));
  }

  /** CPython's Barrier.wait, with the condition's lock held throughout. */
  *#waitLoop(ms: number): WaitLoop<number> {
    const w = this.#w;
    const cond = this.#cond;
    yield* cond._acquireLoop();
    try {
      for (;;) {
        yield* this.#whileTripping();
        if (!this.#mustWaitToEnter()) break;
        yield* cond._waitLoop(Infinity);
      }
      const { index, entry } = this.#arrive();
      try {
        if (index + 1 === w[PARTIES]) yield* this.#trip(entry);
        else {
          let inTime: boolean;
          try {
            inTime = yield* cond._waitForLoop(() => w[STATE] !== FILLING, ms);
            // Released into the action's run: its end (or its thread's death) decides, as when
            // CPython's waiters wait for the lock the action runs under.
            if (w[STATE] === TRIPPING) {
              yield* this.#whileTripping();
              inTime = true;
            }
          } catch (e) {
            this.#break(Why.WaitAborted); // an aborted waiter leaves the barrier as a timed-out one does
            throw e;
          }
          this.#released(inTime);
        }
        return index;
      } finally {
        this.#depart(entry);
      }
    } finally {
      cond.release();
    }
  }

  // The steps of CPython's Barrier.wait, shared by wait and waitAsync (condition's lock held).

  /** _enter: a new round can't start while the last one drains or resets. */
  #mustWaitToEnter(): boolean {
    this.#purge();
    const state = this.#w[STATE];
    return state === DRAINING || state === RESETTING;
  }

  #arrive(): { index: number; entry: number } {
    const w = this.#w;
    if (w[STATE]! < 0) throw this.#brokenError();
    const index = w[COUNT]!;
    Atomics.store(w, COUNT, index + 1);
    return { index, entry: this.#register() };
  }

  /**
   * _release: the last to arrive runs the action and lets everyone go. The action (user code)
   * runs with the lock released and the barrier TRIPPING.
   */
  *#trip(entry: number): WaitLoop<void> {
    const w = this.#w;
    if (!this.#unit) {
      Atomics.store(w, STATE, DRAINING);
      this.#cond.notifyAll();
      return;
    }
    Atomics.store(w, STATE, TRIPPING);
    w[RUNNER] = entry;
    this.#cond.notifyAll(); // the waiters start watching the action's thread
    this.#cond.release();
    let failure: unknown = null;
    try {
      this.#runAction();
    } catch (e) {
      failure = e;
    }
    yield* this.#cond._acquireLoop();
    if (failure !== null) {
      this.#break(Why.ActionThrew);
      throw failure;
    }
    if (w[STATE] !== TRIPPING) throw this.#brokenError(); // the action aborted it
    Atomics.store(w, STATE, DRAINING);
    this.#cond.notifyAll();
  }

  /**
   * With the lock held: waits while another thread runs the action, checking that its thread
   * lives; a dead one breaks the barrier, as an action that throws does.
   */
  *#whileTripping(): WaitLoop<void> {
    const w = this.#w;
    while (w[STATE] === TRIPPING) {
      const e = w[RUNNER]!;
      const slot = w[e + E_SLOT]! - 1;
      if (slot === runtime.slot && w[e + E_GEN] === runtime.gen) return; // the action itself calls in
      if (slot < 0 || runtime.control.ended(slot, w[e + E_GEN]!)) {
        this.#break(Why.ActionDied);
        return;
      }
      yield* this.#cond._waitLoop(RUNNER_CHECK_MS);
    }
  }

  /** _wait's ending: a timeout breaks the barrier; a broken one fails everyone. */
  #released(inTime: boolean): void {
    if (!inTime) {
      this.#break(Why.TimedOut);
      throw new BrokenBarrierError("the barrier is broken: a wait timed out");
    }
    if (this.#w[STATE]! < 0) throw this.#brokenError();
  }

  #depart(entry: number): void {
    this.#unregister(entry);
    Atomics.store(this.#w, COUNT, this.#w[COUNT]! - 1);
    this.#exit();
  }

  /** Notes this thread as inside wait() (the condition's lock is held). */
  #register(): number {
    const w = this.#w;
    for (let e = ENTRIES; e < ENTRIES + ENTRY_WORDS * w[PARTIES]!; e += ENTRY_WORDS) {
      if (w[e + E_SLOT] === 0) {
        w[e + E_SLOT] = runtime.slot + 1;
        w[e + E_GEN] = runtime.gen;
        return e;
      }
    }
    return -1;
  }

  #unregister(e: number): void {
    if (e >= 0) this.#w[e + E_SLOT] = 0;
  }

  /** Takes threads that died inside wait() out of COUNT, so they can't wedge the barrier. */
  #purge(): void {
    const w = this.#w;
    const control = runtime.control;
    let dead = 0;
    for (let e = ENTRIES; e < ENTRIES + ENTRY_WORDS * w[PARTIES]!; e += ENTRY_WORDS) {
      if (w[e + E_SLOT] !== 0 && control.ended(w[e + E_SLOT]! - 1, w[e + E_GEN]!)) {
        w[e + E_SLOT] = 0;
        dead++;
      }
    }
    if (dead > 0) {
      Atomics.store(w, COUNT, w[COUNT]! - dead);
      this.#exit();
    }
  }

  #exit(): void {
    const w = this.#w;
    if (w[COUNT] === 0 && (w[STATE] === RESETTING || w[STATE] === DRAINING)) {
      Atomics.store(w, STATE, FILLING);
      this.#cond.notifyAll();
    }
  }

  /** Breaks it (the condition's lock held), saying why; the first reason stands until reset(). */
  #break(why: Why): void {
    if (this.#w[STATE] !== BROKEN) Atomics.store(this.#w, WHY, why);
    Atomics.store(this.#w, STATE, BROKEN);
    this.#cond.notifyAll();
  }

  /** The error for a wait that finds the barrier broken or being reset, saying which and why. */
  #brokenError(): BrokenBarrierError {
    const w = this.#w;
    if (w[STATE] === RESETTING) return new BrokenBarrierError("the barrier is broken: it was reset while this thread waited");
    const why = BROKEN_BY[w[WHY]!];
    return why ? new BrokenBarrierError(`the barrier is broken: ${why}`) : new BrokenBarrierError();
  }

  /** Back to the empty state; threads waiting now get BrokenBarrierError. */
  reset(): void {
    using _ = this.#cond.hold();
    runBlocking(this.#whileTripping());
    this.#purge();
    const w = this.#w;
    if (w[COUNT]! > 0) {
      if (w[STATE] === FILLING || w[STATE] === BROKEN) Atomics.store(w, STATE, RESETTING);
    } else {
      Atomics.store(w, STATE, FILLING);
    }
    this.#cond.notifyAll();
  }

  /** Breaks the barrier: current and future waits throw BrokenBarrierError until reset(). */
  abort(): void {
    using _ = this.#cond.hold();
    runBlocking(this.#whileTripping());
    this.#break(Why.Aborted);
  }

  /** @internal The worker bootstrap hands over the action once its imports are loaded. */
  _setAction(fn: () => unknown): void {
    this.#action = fn;
  }

  toString(): string {
    return `<Barrier ${this.broken ? "broken" : "filling"}, waiters=${this.nWaiting}/${this.parties}>`;
  }

  /** @internal What crosses to another thread for this Barrier. */
  [SHARE](ctx: ShareContext) {
    // The action travels as code next to the values, the way a target does, never inside them.
    return { kind: "Barrier", w: this.#w, cond: ctx.ref(this.#cond), action: this.#unit ? ctx.code(this.#unit) : -1 };
  }
}

registerReviver("Barrier", (h, ctx) => {
  const w = h.w;
  if (!(w instanceof Int32Array) || !(w.buffer instanceof SharedArrayBuffer) || w.byteOffset !== 0 || w.length < ENTRIES) {
    throw badHandle("Barrier.w must be an Int32Array over a whole SharedArrayBuffer");
  }
  const parties = Atomics.load(w, PARTIES);
  if (parties < 1 || w.byteLength !== bytesFor(parties) || w.buffer.byteLength !== w.byteLength) {
    throw badHandle(`Barrier.w must hold ${parties} parties in ${bytesFor(Math.max(parties, 1))} bytes, has ${w.buffer.byteLength}`);
  }
  const cond = ctx.handle(h.cond, ["Condition"], "Barrier's condition") as Condition;
  const unit = h.action === -1 ? null : (ctx.code(h.action, "Barrier's action") as ShippedCode);
  const b = attach({ w, timeout: new Float64Array(w.buffer, TIMEOUT_BYTE, 1), cond, unit } satisfies Shared, () => new Barrier(1));
  // ShippedCode with imports loads asynchronously: the thread's code runs once it is there.
  // ShippedCode that imports loads asynchronously (where it can): the thread's code runs once it is there.
  if (unit) ctx.later(materialize(unit).then((fn) => b._setAction(fn)));
  return b;
});

showAsRepr(Barrier);
