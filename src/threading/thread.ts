/**
 * Thread: Python's threading.Thread over a skein worker. A Thread object is a handle on a slot of
 * the control block; the same handle can be revived in other threads (passed in args), where it
 * still answers join, isAlive, state, name and ident.
 */
import type { MessagePort } from "node:worker_threads";
import { RuntimeError } from "../common/errors.js";
import { checkOptionNames, checkSignal, checkTimeout, describe } from "../common/checks.js";
import { Code, MAX_THREADS, NAME_MAX_BYTES, stateAlive, stateEnded, stateGen } from "../memory/control-block.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";
import type { WaitLoop } from "../memory/sleep.js";
import { BRIEF_WATCH_MS, plainSite, runAsync, runBlocking } from "../runtime/wait.js";
import { WaitKind } from "../memory/wait-record.js";
import { ThreadState } from "./thread-state.js";
import { drainDeaths, onDeath, runtime } from "../runtime/runtime.js";
import { deathError } from "../runtime/death.js";
import { dispatch } from "../runtime/dispatch.js";
import { badHandle, integer, primitive, registerReviver, SHARE, type Handle, type Shareable, type ShareContext } from "../memory/handles.js";
import type { ShippedCode } from "../ship/shipment.js";
import { checkCallable, codeFor, hintModule, moduleOption } from "../ship/packing.js";
import { moduleLoading } from "../ship/evaluate.js";
import { assignOwn, packParts, type Packed } from "../ship/values.js";
import { currentHookCode, reportException } from "./excepthook.js";
import { FieldsBack } from "./fields-back.js";
import "../runtime/exit.js";
import { showAsRepr } from "../common/repr.js";

/**
 * What new Thread() takes, as Python's Thread(group, target, name, args, kwargs, daemon) does: the
 * target, its arguments, the thread's name and whether it is a daemon.
 */
export interface ThreadOptions<A extends unknown[] = unknown[]> {
  /** What the thread runs (the default run() calls it with `args`); it travels as code. */
  target?: (...args: A) => unknown;
  /** The target's arguments, copied (skein objects are shared). */
  args?: A;
  /** The thread's name (up to 256 bytes of UTF-8); none or "" means a default "Thread-N (target)". */
  name?: string | null;
  /** A daemon thread is stopped when the program ends; default: the creating thread's. */
  daemon?: boolean;
  /**
   * The file that defines the target (or the subclass): `import.meta.url`, a file URL or an
   * absolute path. Needed only on runtimes that can't say where a function was defined (Bun,
   * Deno) and only when that file is neither on the stack of the call to start() nor imported
   * (directly or through the program's own modules) by a file that is; Node ignores it.
   */
  module?: string | URL;
}

/** Everything a worker needs to run a thread. */
export interface Job {
  slot: number;
  gen: number;
  ident: number;
  name: string;
  daemon: boolean;
  /** The Thread subclass to run, if it is one. */
  cls: ShippedCode | null;
  target: ShippedCode | null;
  /** [...args, the subclass's own fields], packed together so identity holds across them. */
  values: Packed;
  hook: ShippedCode | null;
  /** Ports among the values, moved rather than copied. */
  transfer: MessagePort[];
  /** Where a program's subclass sends its fields back when the thread ends (fields-back.ts). */
  back?: MessagePort;
}

interface Inner {
  target: Function | null;
  args: unknown[];
  name: string;
  daemon: boolean;
  started: boolean;
  slot: number;
  gen: number;
  ident: number | null;
  nativeId: number | null;
  /** A started subclass's fields, back from its thread (fields-back.ts). */
  back?: FieldsBack | null;
  /** A copy of a Thread object that came from another thread before it was started there. */
  copiedNew?: boolean;
  /** Started by a module's top-level code run again in a worker: not started here (start()). */
  skippedOnLoad?: boolean;
}

const INNER = Symbol("skein.thread");
const utf8 = new TextEncoder();

/** A thread name that fits the control block (NAME_MAX_BYTES of UTF-8), else a RangeError naming `what`. */
export function checkThreadName(name: string, what: string): void {
  const bytes = utf8.encode(name).length;
  if (bytes > NAME_MAX_BYTES) {
    throw new RangeError(`${what} is ${bytes} bytes in UTF-8; thread names are limited to ${NAME_MAX_BYTES} bytes (they live in shared memory), so shorten it`);
  }
}

/** By Code: a slot still Claimed by the start() that is setting it up counts as runnable. */
const STATE_NAMES = [ThreadState.TERMINATED, ThreadState.RUNNABLE, ThreadState.RUNNING, ThreadState.BLOCKED, ThreadState.TERMINATED, ThreadState.RUNNABLE] as const;

/** Threads this OS thread knows as objects, so enumerate() and currentThread() return them. */
const known = new Map<number, Thread>();

/**
 * Python's threading.Thread: code that runs on another OS thread (a worker). Give it a target and
 * args, or subclass it and override run(); then start() and join(). See the README's "Threads in
 * Python, in skein".
 */
export class Thread<A extends unknown[] = unknown[]> implements Shareable {
  declare private [INNER]: Inner;

  constructor(options: ThreadOptions<A> = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`new Thread(options): options must be an object like { target, args, name, daemon }, got ${describe(options)}`);
    }
    checkOptionNames(options, ["target", "args", "name", "daemon", "module"], "new Thread");
    const { target, args, name, daemon } = options;
    // Hinted now: a file named here is searched for whatever this program ships later.
    const module = moduleOption(options.module, "new Thread");
    if (module) hintModule(module);
    if (target !== undefined && target !== null && typeof target !== "function") {
      throw new TypeError(`new Thread: target must be a function, got ${describe(target)}`);
    }
    checkCallable(target, "new Thread: target");
    if (args !== undefined && !Array.isArray(args)) {
      throw new TypeError(`new Thread: args must be an array of arguments for the target, got ${describe(args)}`);
    }
    if (name !== undefined && name !== null && typeof name !== "string") throw new TypeError(`new Thread: name must be a string, got ${describe(name)}`);
    if (name) checkThreadName(name, "new Thread: name");
    if (daemon !== undefined && daemon !== null && typeof daemon !== "boolean") {
      throw new TypeError(`new Thread: daemon must be a boolean, got ${describe(daemon)}`);
    }
    let n = name;
    // As in Python, an empty name (or none) means a default one.
    if (!n) {
      const num = runtime.control.nextNameNumber();
      n = target?.name ? `Thread-${num} (${target.name})` : `Thread-${num}`;
    }
    Object.defineProperty(this, INNER, {
      value: {
        target: target ?? null,
        args: args ?? [],
        name: n,
        daemon: daemon ?? currentThread().daemon,
        started: false,
        slot: -1,
        gen: -1,
        ident: null,
        nativeId: null,
      } satisfies Inner,
    });
  }

  /**
   * Starts the thread and returns at once: the thread is "runnable" (its ident is set) until a
   * worker runs it, which then sets its nativeId. Threads started together boot in parallel.
   */
  start(): void {
    const t = this[INNER];
    if (t.started) throw new RuntimeError("threads can only be started once; create a new Thread to run again");
    // A module's top-level code, run again because this worker loads the module for a thread's
    // code: Python runs it once, and the program's own run of it (in the main thread, or wherever
    // the module first loaded) has started this thread already. Started here too, each worker
    // loading the module would start one more, each in a worker of its own, without end.
    // Joining it there, as the module's code may, returns at once.
    if (!runtime.isMain && moduleLoading() !== null) {
      t.skippedOnLoad = true;
      return;
    }
    // A subclass ships its class (and its fields, copied); a target ships as code.
    const isSub = Object.getPrototypeOf(this) !== Thread.prototype;
    const cls = isSub ? codeFor(this.constructor, "subclass", `class ${this.constructor.name}`) : null;
    const target = t.target ? codeFor(t.target, "target", `the target of ${t.name}`) : null;
    // A MessagePort moves to the thread (skein's own pool uses this).
    const transfer: MessagePort[] = [];
    const values = packArgsAndFields(t.args, this, transfer);
    // A program's subclass gets its fields back at join, as Python's `self.result = ...` in run().
    const back = cls && !(cls.by === "ref" && cls.ref.by === "skein") ? new FieldsBack(this) : null;
    if (back) transfer.push(back.threadEnd);
    const hook = currentHookCode();
    const control = runtime.control;
    const claim = control.allocate(t.name, t.daemon, hook !== null);
    if (!claim) {
      throw new RuntimeError(
        `can't start new thread: ${MAX_THREADS - 1} threads are alive besides the main thread, the most skein runs at once; ` +
          `join some first, or use a ThreadPoolExecutor for many small tasks`,
      );
    }
    const job: Job = { ...claim, name: t.name, daemon: t.daemon, cls, target, values, hook, transfer, ...(back ? { back: back.threadEnd } : {}) };
    try {
      dispatch(job);
    } catch (e) {
      control.terminate(claim.slot, claim.gen);
      throw new TypeError(`can't start ${t.name}: an argument can't be sent to another thread (${(e as Error).message})`);
    }
    t.started = true;
    t.slot = claim.slot;
    t.gen = claim.gen;
    t.ident = claim.ident;
    t.back = back;
    known.set(claim.slot, this as Thread);
  }

  /** The thread's activity; the default calls target(...args). Override it in a subclass. */
  run(): unknown {
    const t = this[INNER];
    if (t.target) return t.target(...t.args);
    return undefined;
  }

  /**
   * Waits until the thread ends or `timeout` ms pass (undefined: forever); true when it has
   * terminated. Joining a thread that wasn't started, or the current thread, is a RuntimeError.
   *
   * Signals: without a handler, Ctrl-C ends the process at once, threads included (Node's
   * default). A main thread blocked here can't run JavaScript, so a `process.on("SIGINT")`
   * handler runs only once join() returns (on Node 20, not at all if the program ends right after); use
   * joinAsync() to stay responsive to signals.
   */
  join(timeout?: number | null): boolean {
    if (this[INNER].skippedOnLoad) return true;
    const t = checkJoin(this[INNER], "join");
    const ended = runBlocking(joinLoop(t, checkTimeout(timeout, "Thread.join")), plainSite(WaitKind.ThreadJoin, t.ident ?? 0));
    if (ended) t.back?.take();
    // A custom excepthook reports a thread whose worker died, in this thread, before join returns.
    if (ended && runtime.isMain) drainDeaths();
    return ended;
  }

  /** The async twin of join: resolves true once the thread has terminated, false after `timeout` ms. */
  async joinAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<boolean> {
    if (this[INNER].skippedOnLoad) return true;
    const t = checkJoin(this[INNER], "joinAsync");
    const ms = checkTimeout(timeout, "Thread.joinAsync");
    const ended = await runAsync(joinLoop(t, ms), checkSignal(options, "Thread.joinAsync"));
    if (ended) await t.back?.received();
    return ended;
  }

  /** True from start() until the thread has terminated. */
  isAlive(): boolean {
    const t = this[INNER];
    return t.started && runtime.control.code(t.slot, t.gen) !== Code.Terminated;
  }

  /**
   * The thread's lifecycle state: "new", "runnable", "running", "blocked" or "terminated"
   * (ThreadState), read from shared memory, so true from any thread.
   */
  get state(): ThreadState {
    const t = this[INNER];
    if (!t.started) return ThreadState.NEW;
    return STATE_NAMES[runtime.control.code(t.slot, t.gen)] ?? ThreadState.TERMINATED;
  }

  /** The thread's name ("Thread-N (target)" by default); not necessarily unique. */
  get name(): string {
    const t = this[INNER];
    if (t.started && runtime.control.code(t.slot, t.gen) !== Code.Terminated) t.name = runtime.control.readName(t.slot);
    return t.name;
  }

  /**
   * Renames the thread (any thread that has it sees the new name); at most 256 bytes of UTF-8.
   */
  set name(value: string) {
    if (typeof value !== "string") throw new TypeError(`Thread.name must be a string, got ${describe(value)}`);
    checkThreadName(value, "Thread.name");
    const t = this[INNER];
    if (t.started && runtime.control.code(t.slot, t.gen) !== Code.Terminated) runtime.control.writeName(t.slot, value);
    t.name = value;
  }

  /**
   * Python's ident: a number unique among the process's threads for the process's life, set at
   * start(); null before.
   */
  get ident(): number | null {
    return this[INNER].ident;
  }

  /**
   * The OS thread id (Linux tid) of the worker running the thread: null until a worker runs it
   * (while "runnable" after start()), as in Python before the thread has started.
   */
  get nativeId(): number | null {
    const t = this[INNER];
    if (t.started && t.nativeId === null) {
      const control = runtime.control;
      const id = control.nativeId(t.slot);
      // Only if the slot still holds this thread (a later thread may have reused it).
      if (id !== 0 && stateGen(control.rawState(t.slot)) === t.gen) t.nativeId = id;
    }
    return t.nativeId;
  }

  /**
   * True for a daemon thread: the program does not wait for it at exit, and it stops with the
   * process.
   */
  get daemon(): boolean {
    return this[INNER].daemon;
  }

  /**
   * Makes the thread a daemon or not; only before start() (Python's rule), else a RuntimeError.
   */
  set daemon(value: boolean) {
    if (typeof value !== "boolean") throw new TypeError(`Thread.daemon must be a boolean, got ${describe(value)}`);
    const t = this[INNER];
    if (t.started) throw new RuntimeError("cannot set daemon status of active thread; set it before start()");
    t.daemon = value;
  }

  /** Python's older spellings, as the seed uses them. */
  setDaemon(daemonic: boolean): void {
    this.daemon = daemonic;
  }
  /** Python's old spelling of `daemon`. */
  isDaemon(): boolean {
    return this.daemon;
  }
  /** Python's old spelling of `name`. */
  getName(): string {
    return this.name;
  }
  /** Python's old spelling of `name = ...`. */
  setName(name: string): void {
    this.name = name;
  }

  toString(): string {
    const t = this[INNER];
    const status = this.state === ThreadState.NEW ? "initial" : this.isAlive() ? "started" : "stopped";
    return `<${this.constructor.name}(${this.name}, ${status}${t.daemon ? " daemon" : ""}${t.ident !== null ? ` ${t.ident}` : ""})>`;
  }

  /** @internal What crosses to another thread for this Thread (memory/handles.ts). */
  [SHARE](_ctx?: ShareContext): Handle & ThreadHandle {
    const t = this[INNER];
    return { kind: "Thread", slot: t.slot, gen: t.gen, ident: t.ident, nativeId: t.nativeId, name: this.name, daemon: t.daemon, started: t.started };
  }
}

/** Packs the args and a subclass's own fields in one go: the same object in both arrives as one. */
function packArgsAndFields(args: unknown[], self: object, transfer: MessagePort[]): Packed {
  const fields = {};
  assignOwn(fields, self);
  return packParts([...args, fields], [...args.map((_, i) => `args[${i}]`), "this"], { ports: transfer });
}

function* joinLoop(t: Inner, ms: number): WaitLoop<boolean> {
  const control = runtime.control;
  const deadline = deadlineFrom(ms);
  // Watched for BRIEF_WATCH_MS in all: the word also changes as the thread starts running and
  // as it blocks, which would otherwise keep a joiner of a busy thread watching, not sleeping.
  const watchEnd = deadlineFrom(BRIEF_WATCH_MS);
  for (;;) {
    const w = control.rawState(t.slot);
    if (stateEnded(w, t.gen)) return true;
    if (remaining(deadline) <= 0) return false;
    yield { arr: control.i32, index: control.stateIndex(t.slot), value: w, deadline, watchMs: remaining(watchEnd) };
  }
}

function checkJoin(t: Inner, what: string): Inner {
  if (!t.started && t.copiedNew) {
    throw new RuntimeError(
      `cannot ${what} thread before it is started: this Thread object came to this thread before start() was called on it, ` +
        "and a copy doesn't learn of a later start(); start the thread before passing it (or pass an Event to wait on)",
    );
  }
  if (!t.started) throw new RuntimeError(`cannot ${what} thread before it is started; call start() first`);
  if (t.slot === runtime.slot && t.gen === runtime.gen) {
    throw new RuntimeError(`cannot ${what} current thread: a thread waiting for itself would wait forever`);
  }
  return t;
}

/** What identifies a thread in every thread: its slot and generation in the control block. */
export interface ThreadHandle {
  slot: number;
  gen: number;
  ident: number | null;
  nativeId: number | null;
  name: string;
  daemon: boolean;
  started: boolean;
}

/** Validates a Thread's (or Timer's) handle from another thread. */
export function checkThreadHandle(h: Handle): ThreadHandle {
  const started = primitive(h, "started", "boolean");
  const orNull = (part: string) => (h[part] === null ? null : integer(h, part, 0, 2 ** 31 - 1));
  const t: ThreadHandle = {
    started,
    slot: started ? integer(h, "slot", 0, MAX_THREADS - 1) : -1,
    gen: started ? integer(h, "gen", 0, 2 ** 28 - 1) : -1,
    ident: orNull("ident"),
    nativeId: orNull("nativeId"),
    name: primitive(h, "name", "string"),
    daemon: primitive(h, "daemon", "boolean"),
  };
  if (started && t.ident === null) throw badHandle(`a started ${h.kind} must have an ident`);
  return t;
}

/** A handle on a thread that exists somewhere (started, or the main thread). */
export function handle(h: ThreadHandle, proto: object = Thread.prototype): Thread {
  const th = Object.create(proto) as Thread;
  Object.defineProperty(th, INNER, {
    value: { target: null, args: [], name: h.name, daemon: h.daemon, started: h.started, slot: h.slot, gen: h.gen, ident: h.ident, nativeId: h.nativeId } satisfies Inner,
  });
  return th;
}

/** Used by the worker bootstrap: the object the thread's own code sees as `this`/currentThread(). */
export function adoptForRun(th: Thread, job: Job, target: Function | null, args: unknown[]): Thread {
  Object.defineProperty(th, INNER, {
    value: { target, args, name: job.name, daemon: job.daemon, started: true, slot: job.slot, gen: job.gen, ident: job.ident, nativeId: runtime.control.nativeId(job.slot) } satisfies Inner,
    configurable: true,
  });
  known.set(job.slot, th);
  return th;
}

function knownOrHandle(slot: number): Thread {
  const control = runtime.control;
  const w = control.rawState(slot);
  const k = known.get(slot);
  if (k && k[INNER].gen === stateGen(w)) return k;
  const th = handle({ slot, gen: stateGen(w), ident: control.ident(slot), nativeId: control.nativeId(slot) || null, name: control.readName(slot), daemon: control.daemon(slot), started: true });
  if (slot !== 0) known.set(slot, th);
  return th;
}

let mainHandle: Thread | null = null;

/** The main thread: the Thread of the OS thread the program started in. */
export function mainThread(): Thread {
  if (runtime.isMain && runtime.current) return runtime.current as Thread;
  mainHandle ??= handle({ slot: 0, gen: 1, ident: runtime.control.ident(0), nativeId: runtime.control.nativeId(0), name: "MainThread", daemon: false, started: true }, MainThread.prototype);
  if (runtime.isMain) runtime.current = mainHandle;
  return mainHandle;
}

/** The main thread's own class, as Python's _MainThread. */
class MainThread extends Thread {}

/** The Thread this code runs in (the main thread's at top level). */
export function currentThread(): Thread {
  if (runtime.current) return runtime.current as Thread;
  // A thread whose code is still being made (its modules loading): this thread, not main.
  if (!runtime.isMain && runtime.slot > 0) return knownOrHandle(runtime.slot);
  return mainThread();
}

/** Every alive thread of the process, whichever thread started it. */
export function enumerate(): Thread[] {
  const control = runtime.control;
  const out: Thread[] = [mainThread()];
  for (let slot = 1; slot < MAX_THREADS; slot++) {
    if (stateAlive(control.rawState(slot))) out.push(knownOrHandle(slot));
  }
  return out;
}

/** How many threads are alive (started, not yet terminated), the main thread included. */
export function activeCount(): number {
  const control = runtime.control;
  let n = 1;
  for (let slot = 1; slot < MAX_THREADS; slot++) {
    if (stateAlive(control.rawState(slot))) n++;
  }
  return n;
}

// A bundler may name the class _Thread (esbuild does, for a class that names itself inside): its
// name is the one users see, in String(thread) and Python's repr.
Object.defineProperty(Thread, "name", { value: "Thread" });

registerReviver("Thread", (h) => {
  const d = checkThreadHandle(h);
  if (d.started && d.slot === runtime.slot && d.gen === runtime.gen && runtime.current) return runtime.current;
  const k = d.started ? known.get(d.slot) : undefined;
  if (k && k[INNER].gen === d.gen) return k;
  const th = handle(d);
  if (!d.started) th[INNER].copiedNew = true;
  return th;
});

// A thread whose worker died under it (out of memory, a crash) can't report itself: the main
// thread's excepthook does, with an error that says what happened.
if (runtime.isMain) {
  onDeath((d) => {
    const err = new RuntimeError(deathError(d).slice("RuntimeError: ".length));
    err.stack = deathError(d);
    reportException(err, handle({ slot: d.slot, gen: d.gen, ident: d.ident, nativeId: null, name: d.name, daemon: d.daemon, started: true }));
  });
}

showAsRepr(Thread);
