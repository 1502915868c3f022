/**
 * Queue, LifoQueue, PriorityQueue and SimpleQueue: Python's `queue` module in shared memory, the
 * protocol every kind shares (put, get, task tracking, shutdown and their waits). Items are copied
 * in (numbers inline, other values as bytes), so a queue passed to threads connects them. Every
 * operation runs under the queue's robust mutex, held for a few instructions and never across a
 * wait, so even async callers take it synchronously. Layout: queue/layout.ts; where items are
 * kept: queue/storage.ts, in the order of queue/fifo.ts, lifo.ts or heap.ts.
 */
import { RuntimeError } from "../common/errors.js";
import { checkSignal, checkTimeout, describe } from "../common/checks.js";
import { deadlineFrom, remaining } from "../memory/deadline.js";
import type { WaitLoop } from "../memory/sleep.js";
import { decodeValue, encodeValue, hasBytes, type Encoded } from "../ship/value-codec.js";
import { checkArena, ensureScratch, SharedArena, type ArenaShare } from "../memory/arena.js";
import { numberedSite, runAsync, runBlocking } from "../runtime/wait.js";
import { ObjectClass, WaitKind } from "../memory/wait-record.js";
import { enter, IDLE, leave, MUTATING } from "../runtime/critical.js";
import { attach, badHandle, growableBufferOf, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import {
  ASYNC_GETTERS, ASYNC_PUTTERS, CAPACITY, COUNT, CTL_WORDS, DONE_SEQ, ENTRY_BYTES, GET_SEQ, GET_SLEEPERS, INITIAL_CAPACITY, KIND,
  Kind, MAX_INDEX_BYTES, MAXSIZE, MUTEX, NUMBER, OP, OPEN, PUT_SEQ, PUT_SLEEPERS, SHUT, SHUT_NOW, SHUTDOWN, UNFINISHED,
} from "./layout.js";
import { encodeOrderKey } from "./python-order.js";
import { QueueStorage, type Order } from "./storage.js";
import { Fifo } from "./fifo.js";
import { Lifo } from "./lifo.js";
import { Heap } from "./heap.js";
import { showAsRepr } from "../common/repr.js";

/** Python's queue.Empty: get on an empty queue without waiting, or the timeout passed. */
export class EmptyError extends Error {
  constructor(message = "the queue is empty") {
    super(message);
    this.name = "EmptyError";
  }
}

/** Python's queue.Full: put on a full bounded queue without waiting, or the timeout passed. */
export class FullError extends Error {
  constructor(message = "the queue is full") {
    super(message);
    this.name = "FullError";
  }
}

/** Python 3.13's queue.ShutDown: the queue was shut down. */
export class ShutDownError extends Error {
  constructor(message = "the queue has been shut down") {
    super(message);
    this.name = "ShutDownError";
  }
}

/** Loads before a waiter sleeps: a producer or consumer on another core is often a moment away. */
const SPIN = 200;

interface QueueShare extends ArenaShare {
  ctl: Int32Array;
  index: SharedArrayBuffer;
}

function checkMaxsize(maxsize: unknown, what: string): number {
  if (typeof maxsize !== "number") throw new TypeError(`${what}: maxsize must be a number, got ${describe(maxsize)}`);
  if (!Number.isInteger(maxsize)) throw new RangeError(`${what}: maxsize must be an integer (0 or less: unbounded), got ${maxsize}`);
  return Math.max(0, Math.min(maxsize, 0x7fffffff));
}

function checkBlock(block: unknown, what: string): void {
  if (typeof block === "boolean") return;
  // Python's keywords, get(timeout=5), written as an object: they go by position here.
  const t = block !== null && typeof block === "object" ? (block as { timeout?: unknown }).timeout : undefined;
  const hint = typeof t === "number" ? `; for a timeout, pass block first: ${what.replace(/^.*\./, "")}(${what.endsWith("put") ? "item, " : ""}true, ${t}) (milliseconds)` : "";
  throw new TypeError(`${what}: block must be a boolean, got ${describe(block)}${hint}`);
}

const ORDERS: Record<Kind, (s: QueueStorage) => Order> = {
  [Kind.FIFO]: (s) => new Fifo(s),
  [Kind.LIFO]: () => new Lifo(),
  [Kind.PRIORITY]: (s) => new Heap(s),
  [Kind.SIMPLE]: (s) => new Fifo(s),
};

/** What a put carries into the critical section: the item's encoding and its arena record. */
interface Prepared {
  enc: Encoded;
  /** The order key (PriorityQueue), then the value's bytes. */
  record: Uint8Array;
  keyLength: number;
}

const EMPTY = new Uint8Array(0);
/** #tryGet's answers besides an item. */
const NOTHING = Symbol("nothing");
const NEED_ROOM = Symbol("need room");

/** The protocol every queue kind shares; the public classes pick what they expose. */
abstract class BaseQueue<T> implements Shareable, AsyncIterable<T> {
  /** @internal The queue's control words (queue/layout.ts). */
  protected readonly ctl: Int32Array;
  readonly #store: QueueStorage;
  /**
   * This thread's buffers for the critical section, grown outside it (the section allocates
   * nothing): the bytes of the item a get takes out, and record numbers for arena compaction.
   */
  #out: Uint8Array = new Uint8Array(256);
  #scratch: Int32Array = new Int32Array(16);
  /** How many bytes #out lacked, when #tryGet answered NEED_ROOM. */
  #need = 0;
  /** The class name, for messages (read once: the hot paths pass it along). */
  readonly #name: string = this.constructor.name;

  protected constructor(kind: Kind, maxsize: number) {
    const shared = takeAttached<QueueShare>();
    let index: SharedArrayBuffer;
    let arena: SharedArena;
    if (shared) {
      this.ctl = shared.ctl;
      index = shared.index;
      arena = new SharedArena(0, shared);
    } else {
      this.ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
      this.ctl[KIND] = kind;
      this.ctl[MAXSIZE] = maxsize;
      this.ctl[CAPACITY] = INITIAL_CAPACITY;
      index = new SharedArrayBuffer(INITIAL_CAPACITY * ENTRY_BYTES, { maxByteLength: MAX_INDEX_BYTES });
      arena = new SharedArena(4096);
    }
    this.#store = new QueueStorage(this.ctl, index, arena, this.name);
    this.#store.order = ORDERS[this.ctl[KIND] as Kind](this.#store);
  }

  /** @internal The class name, for messages. */
  protected get name(): string {
    return this.#name;
  }

  /** Takes the queue's mutex (robust: see runtime/critical.ts) and catches up with its buffers. */
  #lock(): void {
    enter(this.ctl, MUTEX, OP, this.#name, this.#wakeEveryone);
    this.#store.renew();
  }

  /** The queue has just been found broken: every sleeper wakes to hear it. */
  readonly #wakeEveryone = (): void => {
    const ctl = this.ctl;
    for (const seq of [PUT_SEQ, GET_SEQ, DONE_SEQ]) {
      Atomics.add(ctl, seq, 1);
      Atomics.notify(ctl, seq);
    }
  };

  // ---- sizes ----

  /** Approximate size, as in Python: another thread may change it right after. */
  qsize(): number {
    return Atomics.load(this.ctl, COUNT);
  }

  /** True if the queue is empty right now (approximate, as qsize). */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /** True if a bounded queue is full right now (approximate, as qsize). */
  full(): boolean {
    const max = Atomics.load(this.ctl, MAXSIZE);
    return max > 0 && this.qsize() >= max;
  }

  /** The bound given at construction; 0: unbounded. */
  get maxsize(): number {
    return this.ctl[MAXSIZE]!;
  }

  // ---- put ----

  /**
   * Puts a copy of item in the queue. A full bounded queue makes it wait for room, up to `timeout`
   * ms (undefined: forever), then FullError; with block = false it doesn't wait. After
   * shutdown(): ShutDownError.
   */
  put(item: T, block = true, timeout?: number | null): void {
    checkBlock(block, `${this.name}.put`);
    const ms = block ? checkTimeout(timeout, `${this.name}.put`) : 0;
    runBlocking(this.#putLoop(this.#prepare(item, `${this.name}.put`), ms), this.#site(WaitKind.QueuePut));
  }

  /** The async twin of put: resolves once the item is in, waiting up to `timeout` ms for room without blocking. */
  async putAsync(item: T, timeout?: number | null, options?: { signal?: AbortSignal }): Promise<void> {
    const ms = checkTimeout(timeout, `${this.name}.putAsync`);
    const signal = checkSignal(options, `${this.name}.putAsync`);
    signal?.throwIfAborted();
    return runAsync(this.#putLoop(this.#prepare(item, `${this.name}.putAsync`), ms), signal);
  }

  /** put(item, false): FullError at once if a bounded queue is full. */
  putNowait(item: T): void {
    this.put(item, false);
  }

  /** Everything a put needs, made before the mutex: encoding, order key, the record. */
  #prepare(item: T, what: string): Prepared {
    const enc = encodeValue(item, what);
    const bytes = hasBytes(enc.tag) ? enc.bytes! : EMPTY;
    if (this.ctl[KIND] !== Kind.PRIORITY) return { enc, record: bytes, keyLength: 0 };
    const key = encodeOrderKey(item);
    if (bytes.length === 0) return { enc, record: key, keyLength: key.length };
    const record = new Uint8Array(key.length + bytes.length);
    record.set(key, 0);
    record.set(bytes, key.length);
    return { enc, record, keyLength: key.length };
  }

  *#putLoop(p: Prepared, ms: number): WaitLoop<void> {
    const ctl = this.ctl;
    const deadline = deadlineFrom(ms);
    for (;;) {
      // Room for every record number, should storing compact the arena.
      this.#scratch = ensureScratch(this.#scratch, Atomics.load(ctl, COUNT) + 1);
      this.#lock();
      const done = this.#tryPut(p);
      if (done === true) return;
      if (done === NEED_ROOM) continue;
      const seq = Atomics.load(ctl, GET_SEQ);
      leave(ctl, MUTEX);
      if (remaining(deadline) <= 0) throw new FullError();
      yield { arr: ctl, index: GET_SEQ, value: seq, deadline, spins: SPIN, sleepers: PUT_SLEEPERS, asyncWaiters: ASYNC_PUTTERS };
    }
  }

  /**
   * With the mutex held: inserts and unlocks (true), or leaves it locked when full (false), or
   * unlocks when the scratch is too small for the records now stored (NEED_ROOM).
   */
  #tryPut(p: Prepared): boolean | typeof NEED_ROOM {
    const ctl = this.ctl;
    const store = this.#store;
    try {
      if (ctl[SHUTDOWN] !== OPEN) throw new ShutDownError();
      const max = ctl[MAXSIZE]!;
      if (max > 0 && ctl[COUNT]! >= max) return false;
      if (this.#scratch.length <= ctl[COUNT]!) {
        leave(ctl, MUTEX);
        return NEED_ROOM;
      }
      store.prepare(p.record);
      ctl[OP] = MUTATING;
      store.insert(p.enc, p.record, p.keyLength, this.#scratch);
    } catch (e) {
      ctl[OP] = IDLE;
      leave(ctl, MUTEX);
      throw e;
    }
    if (ctl[KIND] !== Kind.SIMPLE) ctl[UNFINISHED] = ctl[UNFINISHED]! + 1;
    ctl[OP] = IDLE;
    Atomics.add(ctl, PUT_SEQ, 1);
    leave(ctl, MUTEX);
    // A getter counts itself before it sleeps and the sleep checks PUT_SEQ, so none is missed.
    if (Atomics.load(ctl, ASYNC_GETTERS) > 0) Atomics.notify(ctl, PUT_SEQ);
    else if (Atomics.load(ctl, GET_SLEEPERS) > 0) Atomics.notify(ctl, PUT_SEQ, 1);
    return true;
  }

  // ---- get ----

  /**
   * Removes and returns the next item. An empty queue makes it wait for one, up to `timeout` ms
   * (undefined: forever), then EmptyError; with block = false it doesn't wait. After shutdown():
   * the items left, then ShutDownError.
   */
  get(block = true, timeout?: number | null): T {
    checkBlock(block, `${this.name}.get`);
    const ms = block ? checkTimeout(timeout, `${this.name}.get`) : 0;
    return runBlocking(this.#getLoop(ms), this.#site(WaitKind.QueueGet));
  }

  /** The async twin of get: resolves with the next item, waiting up to `timeout` ms for one without blocking. */
  async getAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<T> {
    const ms = checkTimeout(timeout, `${this.name}.getAsync`);
    return runAsync(this.#getLoop(ms), checkSignal(options, `${this.name}.getAsync`));
  }

  /** get(false): EmptyError at once if the queue is empty. */
  getNowait(): T {
    return this.get(false);
  }

  *#getLoop(ms: number): WaitLoop<T> {
    const ctl = this.ctl;
    const deadline = deadlineFrom(ms);
    for (;;) {
      this.#lock();
      const r = this.#tryGet();
      if (r === NEED_ROOM) {
        this.#out = new Uint8Array(Math.max(this.#need, this.#out.length * 2));
        continue;
      }
      if (r !== NOTHING) return r as T;
      const seq = Atomics.load(ctl, PUT_SEQ);
      leave(ctl, MUTEX);
      if (remaining(deadline) <= 0) throw new EmptyError();
      yield { arr: ctl, index: PUT_SEQ, value: seq, deadline, spins: SPIN, sleepers: GET_SLEEPERS, asyncWaiters: ASYNC_GETTERS };
    }
  }

  /**
   * With the mutex held: removes and returns the next item (unlocking), or NOTHING (still
   * locked), or NEED_ROOM (unlocked) when #out can't hold the item's bytes.
   */
  #tryGet(): unknown {
    const ctl = this.ctl;
    const shut = ctl[SHUTDOWN]!;
    if (shut === SHUT_NOW || (shut === SHUT && ctl[COUNT] === 0)) {
      leave(ctl, MUTEX);
      throw new ShutDownError();
    }
    if (ctl[COUNT] === 0) return NOTHING;
    const length = this.#store.nextLength();
    if (length > this.#out.length) {
      this.#need = length;
      leave(ctl, MUTEX);
      return NEED_ROOM;
    }
    const { tag, num, length: got } = this.#store.copyNext(this.#out);
    ctl[OP] = MUTATING;
    try {
      this.#store.removeNext();
    } catch (err) {
      // Two queued items Python can't order: the error is Python's, but every item stays queued
      // (the heap only swapped) and the queue stays usable.
      ctl[OP] = IDLE;
      leave(ctl, MUTEX);
      throw err;
    }
    ctl[OP] = IDLE;
    Atomics.add(ctl, GET_SEQ, 1);
    leave(ctl, MUTEX);
    if (Atomics.load(ctl, ASYNC_PUTTERS) > 0) Atomics.notify(ctl, GET_SEQ);
    else if (Atomics.load(ctl, PUT_SLEEPERS) > 0) Atomics.notify(ctl, GET_SEQ, 1);
    return decodeValue(tag, num, hasBytes(tag) ? this.#out.subarray(0, got) : null);
  }

  // ---- tasks ----

  /** Marks one item taken by get() as processed (Python's task_done). */
  taskDone(): void {
    const ctl = this.ctl;
    this.#lock();
    const left = ctl[UNFINISHED]! - 1;
    if (left < 0) {
      leave(ctl, MUTEX);
      throw new RangeError("taskDone() called too many times: more than items put");
    }
    ctl[UNFINISHED] = left;
    if (left === 0) Atomics.add(ctl, DONE_SEQ, 1);
    leave(ctl, MUTEX);
    if (left === 0) Atomics.notify(ctl, DONE_SEQ);
  }

  /** Blocks until every item put has been marked done with taskDone(). */
  join(): void {
    runBlocking(this.#joinLoop(), this.#site(WaitKind.QueueJoin));
  }

  #site(kind: WaitKind) {
    return numberedSite(kind, this.ctl, NUMBER, ObjectClass.Queue);
  }

  /** The async twin of join. */
  async joinAsync(options?: { signal?: AbortSignal }): Promise<void> {
    return runAsync(this.#joinLoop(), checkSignal(options, `${this.name}.joinAsync`));
  }

  *#joinLoop(): WaitLoop<void> {
    const ctl = this.ctl;
    for (;;) {
      this.#lock();
      const unfinished = ctl[UNFINISHED]!;
      const seq = Atomics.load(ctl, DONE_SEQ);
      leave(ctl, MUTEX);
      if (unfinished === 0) return;
      yield { arr: ctl, index: DONE_SEQ, value: seq, deadline: Infinity };
    }
  }

  /**
   * Python 3.13's shutdown: puts fail from now on; gets drain what is left, then fail.
   * With immediate = true the items left are dropped (and count as done) at once.
   * Every blocked getter and putter wakes.
   */
  shutdown(immediate = false): void {
    if (typeof immediate !== "boolean") throw new TypeError(`${this.name}.shutdown: immediate must be a boolean, got ${describe(immediate)}`);
    const ctl = this.ctl;
    this.#lock();
    ctl[SHUTDOWN] = immediate ? SHUT_NOW : Math.max(SHUT, ctl[SHUTDOWN]!);
    if (immediate) {
      const dropped = ctl[COUNT]!;
      ctl[OP] = MUTATING;
      this.#store.clear();
      ctl[OP] = IDLE;
      ctl[UNFINISHED] = Math.max(0, ctl[UNFINISHED]! - dropped);
      if (ctl[UNFINISHED] === 0) Atomics.add(ctl, DONE_SEQ, 1);
    }
    Atomics.add(ctl, PUT_SEQ, 1);
    Atomics.add(ctl, GET_SEQ, 1);
    leave(ctl, MUTEX);
    Atomics.notify(ctl, PUT_SEQ);
    Atomics.notify(ctl, GET_SEQ);
    Atomics.notify(ctl, DONE_SEQ);
  }

  /** `for await (const item of queue)`: gets until the queue is shut down and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      try {
        yield await this.getAsync();
      } catch (e) {
        if (e instanceof ShutDownError) return;
        throw e;
      }
    }
  }

  toString(): string {
    return `<${this.name} size=${this.qsize()}${this.maxsize ? ` maxsize=${this.maxsize}` : ""}>`;
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    const s = this.#store;
    return { kind: KIND_NAMES[this.ctl[KIND] as Kind], ctl: this.ctl, index: s.indexSab, ...s.arena.share() };
  }
}

/** FIFO queue, optionally bounded: Python's queue.Queue. */
export class Queue<T = unknown> extends BaseQueue<T> {
  constructor(maxsize = 0) {
    super(Kind.FIFO, checkMaxsize(maxsize, "new Queue"));
  }
}

/** LIFO queue (a stack): Python's queue.LifoQueue. */
export class LifoQueue<T = unknown> extends BaseQueue<T> {
  constructor(maxsize = 0) {
    super(Kind.LIFO, checkMaxsize(maxsize, "new LifoQueue"));
  }
}

/** Lowest first, in Python's order (numbers, strings, arrays as tuples): Python's queue.PriorityQueue. */
export class PriorityQueue<T = unknown> extends BaseQueue<T> {
  constructor(maxsize = 0) {
    super(Kind.PRIORITY, checkMaxsize(maxsize, "new PriorityQueue"));
  }
}

/** Unbounded FIFO without task tracking: Python's queue.SimpleQueue. */
export class SimpleQueue<T = unknown> extends BaseQueue<T> {
  constructor() {
    super(Kind.SIMPLE, 0);
  }

  override taskDone(): never {
    throw new RuntimeError("SimpleQueue has no taskDone(); use Queue for task tracking");
  }

  override join(): never {
    throw new RuntimeError("SimpleQueue has no join(); use Queue for task tracking");
  }

  override async joinAsync(): Promise<never> {
    throw new RuntimeError("SimpleQueue has no joinAsync(); use Queue for task tracking");
  }
}

const KIND_NAMES = ["Queue", "LifoQueue", "PriorityQueue", "SimpleQueue"] as const;
const CLASSES = [Queue, LifoQueue, PriorityQueue, SimpleQueue] as const;

KIND_NAMES.forEach((name, kind) => {
  registerReviver(name, (h) => {
    const ctl = sharedView(h, "ctl", Int32Array, CTL_WORDS);
    const index = growableBufferOf(h, "index", ENTRY_BYTES);
    if (Atomics.load(ctl, KIND) !== kind) throw badHandle(`${name}.ctl holds a queue of another kind`);
    if (Atomics.load(ctl, CAPACITY) * ENTRY_BYTES > index.byteLength) throw badHandle(`${name}.index is smaller than the queue's capacity`);
    const parts: QueueShare = { ctl, index, ...checkArena(h) };
    return attach(parts, () => new CLASSES[kind]());
  });
});

showAsRepr(BaseQueue);
