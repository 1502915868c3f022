/**
 * Queue, LifoQueue, PriorityQueue and SimpleQueue: Python's `queue` module in shared memory.
 * Items are copied in (numbers inline, other values as bytes in a growable arena), so a queue
 * passed to threads connects them. Every operation runs under the queue's futex mutex.
 *
 * Control words (Int32, `ctl`):
 *   0  MUTEX        futex mutex guarding everything below and the index
 *   1  COUNT        items in the queue
 *   2  PUT_SEQ      bumped by every put; getters sleep on it while the queue is empty
 *   3  GET_SEQ      bumped by every get; putters sleep on it while the queue is full
 *   4  UNFINISHED   Python's unfinished_tasks
 *   5  DONE_SEQ     bumped when UNFINISHED drops to 0; join() sleeps on it
 *   6  SHUTDOWN     0 open, 1 shut down, 2 shut down immediately
 *   7  MAXSIZE      0 = unbounded
 *   8  KIND         0 FIFO, 1 LIFO, 2 priority, 3 simple
 *   9  HEAD         FIFO: ring position of the oldest item
 *   10 CAPACITY     entries the index has room for
 *   11 SEQ          insertion counter (ties in a PriorityQueue keep insertion order)
 *   12 GET_WAITERS  getters asleep on PUT_SEQ (a put only notifies when someone sleeps)
 *   13 PUT_WAITERS  putters asleep on GET_SEQ
 *   14 reserved     (MUTEX is only ever held for a few instructions and never across an await,
 *                   so even async callers take it synchronously)
 *   15 ASYNC_GETTERS, 16 ASYNC_PUTTERS: async waiters on
 *                   PUT_SEQ / GET_SEQ, counted until their wait settles (see asyncWait): while
 *                   any are queued, wake-ups go to everyone
 *
 * Index (growable Int32 buffer), ENTRY_WORDS words per item:
 *   +0 TAG (value-codec Tag)   +1 insertion number
 *   +2,+3 the number itself (Float64) for Tag.Number; otherwise +2 arena offset, +3 byte length
 */
import { RuntimeError } from "../common/errors.js";
import { asyncWait, blockedWait, checkSignal, spinUntil } from "../runtime/wait.js";
import { checkTimeout, deadlineFrom, describe, remaining } from "../common/checks.js";
import { lockWithin, unlock } from "../memory/futex-mutex.js";
import { decodeValue, encodeValue, Tag, type Encoded } from "../memory/value-codec.js";
import { checkArena, SharedArena, type ArenaShare, type LiveRecord } from "../memory/arena.js";
import { pythonCompare } from "./python-order.js";
import { attach, badHandle, growableBufferOf, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../ship/handles.js";

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

const MUTEX = 0;
const COUNT = 1;
const PUT_SEQ = 2;
const GET_SEQ = 3;
const UNFINISHED = 4;
const DONE_SEQ = 5;
const SHUTDOWN = 6;
const MAXSIZE = 7;
const KIND = 8;
const HEAD = 9;
const CAPACITY = 10;
const SEQ = 11;
const GET_WAITERS = 12;
const PUT_WAITERS = 13;
const ASYNC_GETTERS = 15;
const ASYNC_PUTTERS = 16;
const CTL_WORDS = 17;
/** Loads of COUNT before a getter sleeps: a producer on another core is often a moment away. */
const SPIN = 200;

const ENTRY_WORDS = 4;
const INITIAL_CAPACITY = 64;
const MAX_INDEX_BYTES = 2 ** 30;

const FIFO = 0;
const LIFO = 1;
const PRIORITY = 2;
const SIMPLE = 3;

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
  if (typeof block !== "boolean") throw new TypeError(`${what}: block must be a boolean, got ${describe(block)}`);
}

/** The shared machinery every queue kind uses; the public classes pick what they expose. */
abstract class BaseQueue<T> implements Shareable, AsyncIterable<T> {
  protected readonly ctl: Int32Array;
  readonly #indexSab: SharedArrayBuffer;
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  readonly #arena: SharedArena;

  protected constructor(kind: number, maxsize: number) {
    const shared = takeAttached<QueueShare>();
    if (shared) {
      this.ctl = shared.ctl;
      this.#indexSab = shared.index;
      this.#arena = new SharedArena(0, shared);
    } else {
      this.ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
      this.ctl[KIND] = kind;
      this.ctl[MAXSIZE] = maxsize;
      this.ctl[CAPACITY] = INITIAL_CAPACITY;
      this.#indexSab = new (SharedArrayBuffer as any)(INITIAL_CAPACITY * ENTRY_WORDS * 4, { maxByteLength: MAX_INDEX_BYTES });
      this.#arena = new SharedArena(4096);
    }
    // Length-tracking views: they follow the buffer when any thread grows it.
    this.#i32 = new Int32Array(this.#indexSab);
    this.#f64 = new Float64Array(this.#indexSab);
  }

  protected get name(): string {
    return this.constructor.name;
  }

  // ---- sizes ----

  /** Approximate size, as in Python: another thread may change it right after. */
  qsize(): number {
    return Atomics.load(this.ctl, COUNT);
  }

  empty(): boolean {
    return this.qsize() === 0;
  }

  full(): boolean {
    const max = Atomics.load(this.ctl, MAXSIZE);
    return max > 0 && this.qsize() >= max;
  }

  get maxsize(): number {
    return this.ctl[MAXSIZE]!;
  }

  // ---- put ----

  put(item: T, block = true, timeout?: number | null): void {
    checkBlock(block, `${this.name}.put`);
    const ms = block ? checkTimeout(timeout, `${this.name}.put`) : 0;
    const enc = encodeValue(item, `${this.name}.put`);
    const deadline = deadlineFrom(ms);
    const ctl = this.ctl;
    lockWithin(ctl, MUTEX, Infinity);
    for (;;) {
      const r = this.#tryPut(enc, item);
      if (r === "ok") return;
      if (r === "shutdown") throw new ShutDownError();
      const seq = Atomics.load(ctl, GET_SEQ);
      unlock(ctl, MUTEX);
      const left = remaining(deadline);
      if (left <= 0) throw new FullError();
      if (!spinUntil(() => Atomics.load(ctl, COUNT) < Atomics.load(ctl, MAXSIZE) || Atomics.load(ctl, SHUTDOWN) !== 0, SPIN)) {
        Atomics.add(ctl, PUT_WAITERS, 1);
        blockedWait(ctl, GET_SEQ, seq, left);
        Atomics.sub(ctl, PUT_WAITERS, 1);
      }
      lockWithin(ctl, MUTEX, Infinity);
    }
  }

  async putAsync(item: T, timeout?: number | null, options?: { signal?: AbortSignal }): Promise<void> {
    const ms = checkTimeout(timeout, `${this.name}.putAsync`);
    const signal = checkSignal(options, `${this.name}.putAsync`);
    signal?.throwIfAborted();
    const enc = encodeValue(item, `${this.name}.putAsync`);
    const deadline = deadlineFrom(ms);
    const ctl = this.ctl;
    lockWithin(ctl, MUTEX, Infinity);
    for (;;) {
      const r = this.#tryPut(enc, item);
      if (r === "ok") return;
      if (r === "shutdown") throw new ShutDownError();
      const seq = Atomics.load(ctl, GET_SEQ);
      unlock(ctl, MUTEX);
      const left = remaining(deadline);
      if (left <= 0) throw new FullError();
      await asyncWait(ctl, GET_SEQ, seq, left, signal, ASYNC_PUTTERS);
      lockWithin(ctl, MUTEX, Infinity);
    }
  }

  putNowait(item: T): void {
    this.put(item, false);
  }

  /** With the mutex held: inserts, or says why not. Unlocks on "ok" and "shutdown". */
  #tryPut(enc: Encoded, item: T): "ok" | "full" | "shutdown" {
    const ctl = this.ctl;
    if (ctl[SHUTDOWN] !== 0) {
      unlock(ctl, MUTEX);
      return "shutdown";
    }
    const max = ctl[MAXSIZE]!;
    if (max > 0 && ctl[COUNT]! >= max) return "full";
    try {
      this.#insert(enc, item);
    } catch (e) {
      unlock(ctl, MUTEX);
      throw e;
    }
    ctl[COUNT] = ctl[COUNT]! + 1;
    if (ctl[KIND] !== SIMPLE) ctl[UNFINISHED] = ctl[UNFINISHED]! + 1;
    Atomics.add(ctl, PUT_SEQ, 1);
    unlock(ctl, MUTEX);
    // A getter registers before it sleeps and the sleep checks PUT_SEQ, so none is missed.
    if (Atomics.load(ctl, ASYNC_GETTERS) > 0) Atomics.notify(ctl, PUT_SEQ);
    else if (Atomics.load(ctl, GET_WAITERS) > 0) Atomics.notify(ctl, PUT_SEQ, 1);
    return "ok";
  }

  // ---- get ----

  get(block = true, timeout?: number | null): T {
    checkBlock(block, `${this.name}.get`);
    const ms = block ? checkTimeout(timeout, `${this.name}.get`) : 0;
    const deadline = deadlineFrom(ms);
    const ctl = this.ctl;
    lockWithin(ctl, MUTEX, Infinity);
    for (;;) {
      const r = this.#tryGet();
      if (r !== NOTHING) return r as T;
      const seq = Atomics.load(ctl, PUT_SEQ);
      unlock(ctl, MUTEX);
      const left = remaining(deadline);
      if (left <= 0) throw new EmptyError();
      if (!spinUntil(() => Atomics.load(ctl, COUNT) > 0 || Atomics.load(ctl, SHUTDOWN) !== 0, SPIN)) {
        Atomics.add(ctl, GET_WAITERS, 1);
        blockedWait(ctl, PUT_SEQ, seq, left);
        Atomics.sub(ctl, GET_WAITERS, 1);
      }
      lockWithin(ctl, MUTEX, Infinity);
    }
  }

  async getAsync(timeout?: number | null, options?: { signal?: AbortSignal }): Promise<T> {
    const ms = checkTimeout(timeout, `${this.name}.getAsync`);
    const signal = checkSignal(options, `${this.name}.getAsync`);
    signal?.throwIfAborted();
    const deadline = deadlineFrom(ms);
    const ctl = this.ctl;
    lockWithin(ctl, MUTEX, Infinity);
    for (;;) {
      const r = this.#tryGet();
      if (r !== NOTHING) return r as T;
      const seq = Atomics.load(ctl, PUT_SEQ);
      unlock(ctl, MUTEX);
      const left = remaining(deadline);
      if (left <= 0) throw new EmptyError();
      await asyncWait(ctl, PUT_SEQ, seq, left, signal, ASYNC_GETTERS);
      lockWithin(ctl, MUTEX, Infinity);
    }
  }

  getNowait(): T {
    return this.get(false);
  }


  /** With the mutex held: removes and returns the next item (unlocking), or NOTHING (still locked). */
  #tryGet(): unknown {
    const ctl = this.ctl;
    const shut = ctl[SHUTDOWN]!;
    if (shut === 2 || (shut === 1 && ctl[COUNT] === 0)) {
      unlock(ctl, MUTEX);
      throw new ShutDownError();
    }
    if (ctl[COUNT] === 0) return NOTHING;
    let e: number;
    try {
      e = this.#take();
    } catch (err) {
      // Two queued items Python can't order: the error is Python's, but every item stays queued
      // (the heap only swapped) and the queue stays usable.
      unlock(ctl, MUTEX);
      throw err;
    }
    const tag = this.#i32[e]! as Tag;
    const num = tag === Tag.Number ? this.#f64[e / 2 + 1]! : 0;
    let bytes: Uint8Array | null = null;
    if (tag === Tag.String || tag === Tag.V8) {
      const off = this.#i32[e + 2]!;
      const len = this.#i32[e + 3]!;
      bytes = this.#arena.read(off, len).slice();
      this.#arena.free(off, len);
    }
    ctl[COUNT] = ctl[COUNT]! - 1;
    if (ctl[COUNT] === 0) this.#arena.clear();
    Atomics.add(ctl, GET_SEQ, 1);
    unlock(ctl, MUTEX);
    if (Atomics.load(ctl, ASYNC_PUTTERS) > 0) Atomics.notify(ctl, GET_SEQ);
    else if (Atomics.load(ctl, PUT_WAITERS) > 0) Atomics.notify(ctl, GET_SEQ, 1);
    return decodeValue(tag, num, bytes);
  }

  // ---- tasks ----

  /** Marks one item taken by get() as processed (Python's task_done). */
  taskDone(): void {
    const ctl = this.ctl;
    lockWithin(ctl, MUTEX, Infinity);
    const left = ctl[UNFINISHED]! - 1;
    if (left < 0) {
      unlock(ctl, MUTEX);
      throw new RangeError("taskDone() called too many times: more than items put");
    }
    ctl[UNFINISHED] = left;
    if (left === 0) Atomics.add(ctl, DONE_SEQ, 1);
    unlock(ctl, MUTEX);
    if (left === 0) Atomics.notify(ctl, DONE_SEQ);
  }

  /** Blocks until every item put has been marked done with taskDone(). */
  join(): void {
    const ctl = this.ctl;
    for (;;) {
      lockWithin(ctl, MUTEX, Infinity);
      const unfinished = ctl[UNFINISHED]!;
      const seq = Atomics.load(ctl, DONE_SEQ);
      unlock(ctl, MUTEX);
      if (unfinished === 0) return;
      blockedWait(ctl, DONE_SEQ, seq, Infinity);
    }
  }

  async joinAsync(options?: { signal?: AbortSignal }): Promise<void> {
    const signal = checkSignal(options, `${this.name}.joinAsync`);
    const ctl = this.ctl;
    for (;;) {
      signal?.throwIfAborted();
      lockWithin(ctl, MUTEX, Infinity);
      const unfinished = ctl[UNFINISHED]!;
      const seq = Atomics.load(ctl, DONE_SEQ);
      unlock(ctl, MUTEX);
      if (unfinished === 0) return;
      await asyncWait(ctl, DONE_SEQ, seq, Infinity, signal);
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
    lockWithin(ctl, MUTEX, Infinity);
    ctl[SHUTDOWN] = immediate ? 2 : Math.max(1, ctl[SHUTDOWN]!);
    if (immediate) {
      const dropped = ctl[COUNT]!;
      ctl[COUNT] = 0;
      ctl[HEAD] = 0;
      this.#arena.clear();
      ctl[UNFINISHED] = Math.max(0, ctl[UNFINISHED]! - dropped);
      if (ctl[UNFINISHED] === 0) Atomics.add(ctl, DONE_SEQ, 1);
    }
    Atomics.add(ctl, PUT_SEQ, 1);
    Atomics.add(ctl, GET_SEQ, 1);
    unlock(ctl, MUTEX);
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

  // ---- the index: a ring (FIFO), a stack (LIFO) or a binary heap (priority) ----

  #entry(pos: number): number {
    return pos * ENTRY_WORDS;
  }

  #write(pos: number, enc: Encoded, seq: number): void {
    const e = this.#entry(pos);
    const i32 = this.#i32;
    i32[e] = enc.tag;
    i32[e + 1] = seq;
    if (enc.tag === Tag.Number) this.#f64[e / 2 + 1] = enc.num;
    else if (enc.bytes) {
      // Offsets are written once the arena has placed the bytes (it may compact meanwhile).
      i32[e + 2] = 0;
      i32[e + 3] = 0;
    }
  }

  #live(): Iterable<LiveRecord> {
    const out: LiveRecord[] = [];
    const i32 = this.#i32;
    const n = this.ctl[COUNT]!;
    for (let k = 0; k < n; k++) {
      const e = this.#entry(this.#pos(k));
      const tag = i32[e];
      if (tag === Tag.String || tag === Tag.V8) {
        out.push({ offset: i32[e + 2]!, length: i32[e + 3]!, moveTo: (o) => { i32[e + 2] = o; } });
      }
    }
    return out;
  }

  /** Position in the index of the k-th stored item (0 = oldest for FIFO). */
  #pos(k: number): number {
    const ctl = this.ctl;
    return ctl[KIND] === FIFO || ctl[KIND] === SIMPLE ? (ctl[HEAD]! + k) % ctl[CAPACITY]! : k;
  }

  #ensureRoom(): void {
    const ctl = this.ctl;
    const cap = ctl[CAPACITY]!;
    if (ctl[COUNT]! < cap) return;
    const bigger = cap * 2;
    if (bigger * ENTRY_WORDS * 4 > MAX_INDEX_BYTES) throw new RangeError(`${this.name} can't hold more than ${cap} items`);
    (this.#indexSab as any).grow(bigger * ENTRY_WORDS * 4);
    const kind = ctl[KIND];
    if ((kind === FIFO || kind === SIMPLE) && ctl[HEAD]! > 0) {
      // Unwrap the ring: the entries before HEAD move after the old end.
      const head = ctl[HEAD]!;
      this.#i32.copyWithin(cap * ENTRY_WORDS, 0, head * ENTRY_WORDS);
      this.#i32.copyWithin(0, head * ENTRY_WORDS, (cap + head) * ENTRY_WORDS);
      ctl[HEAD] = 0;
    }
    ctl[CAPACITY] = bigger;
  }

  #insert(enc: Encoded, item: T): void {
    this.#ensureRoom();
    const ctl = this.ctl;
    const n = ctl[COUNT]!;
    const seq = ctl[SEQ]!;
    ctl[SEQ] = (seq + 1) | 0;
    const pos = ctl[KIND] === PRIORITY ? n : this.#pos(n);
    if (ctl[KIND] === PRIORITY) {
      // Compare before storing anything, so an unorderable item leaves the heap untouched.
      this.#siftUpCheck(n, item);
    }
    this.#write(pos, enc, seq);
    if (enc.bytes) {
      const e = this.#entry(pos);
      // The new entry isn't counted yet, so compaction can't move it: its offset is set after.
      const off = this.#arena.store(enc.bytes, () => this.#live());
      this.#i32[e + 2] = off;
      this.#i32[e + 3] = enc.bytes.length;
    }
    if (ctl[KIND] === PRIORITY) this.#siftUp(n);
  }

  #take(): number {
    const ctl = this.ctl;
    const n = ctl[COUNT]!;
    switch (ctl[KIND]) {
      case LIFO:
        return this.#entry(n - 1);
      case PRIORITY: {
        // Move the root out to the slot past the end, then restore the heap over n - 1 items.
        this.#swap(0, n - 1);
        this.#siftDown(0, n - 1);
        return this.#entry(n - 1);
      }
      default: {
        const head = ctl[HEAD]!;
        ctl[HEAD] = (head + 1) % ctl[CAPACITY]!;
        return this.#entry(head);
      }
    }
  }

  // ---- priority heap ----

  #value(pos: number): unknown {
    const e = this.#entry(pos);
    const tag = this.#i32[e]! as Tag;
    if (tag === Tag.Number) return this.#f64[e / 2 + 1];
    const bytes = tag === Tag.String || tag === Tag.V8 ? this.#arena.read(this.#i32[e + 2]!, this.#i32[e + 3]!) : null;
    return decodeValue(tag, 0, bytes);
  }

  #less(a: number, b: number): boolean {
    const c = pythonCompare(this.#value(a), this.#value(b));
    return c < 0 || (c === 0 && this.#i32[this.#entry(a) + 1]! < this.#i32[this.#entry(b) + 1]!);
  }

  #swap(a: number, b: number): void {
    if (a === b) return;
    const ea = this.#entry(a);
    const eb = this.#entry(b);
    for (let k = 0; k < ENTRY_WORDS; k++) {
      const t = this.#i32[ea + k]!;
      this.#i32[ea + k] = this.#i32[eb + k]!;
      this.#i32[eb + k] = t;
    }
  }

  /** Makes every comparison the sift-up will make, so an unorderable item changes nothing. */
  #siftUpCheck(n: number, item: T): void {
    for (let pos = n; pos > 0; pos = (pos - 1) >> 1) pythonCompare(item, this.#value((pos - 1) >> 1));
  }

  #siftUp(pos: number): void {
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!this.#less(pos, parent)) break;
      this.#swap(pos, parent);
      pos = parent;
    }
  }

  #siftDown(pos: number, n: number): void {
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= n) return;
      const r = l + 1;
      const child = r < n && this.#less(r, l) ? r : l;
      if (!this.#less(child, pos)) return;
      this.#swap(child, pos);
      pos = child;
    }
  }

  toString(): string {
    return `<${this.name} size=${this.qsize()}${this.maxsize ? ` maxsize=${this.maxsize}` : ""}>`;
  }

  [SHARE]() {
    return { kind: KIND_NAMES[this.ctl[KIND]!]!, ctl: this.ctl, index: this.#indexSab, ...this.#arena.share() };
  }
}

const NOTHING = Symbol("nothing");

/** FIFO queue, optionally bounded: Python's queue.Queue. */
export class Queue<T = unknown> extends BaseQueue<T> {
  constructor(maxsize = 0) {
    super(FIFO, checkMaxsize(maxsize, "new Queue"));
  }
}

/** LIFO queue (a stack): Python's queue.LifoQueue. */
export class LifoQueue<T = unknown> extends BaseQueue<T> {
  constructor(maxsize = 0) {
    super(LIFO, checkMaxsize(maxsize, "new LifoQueue"));
  }
}

/** Lowest first, in Python's order (numbers, strings, arrays as tuples): Python's queue.PriorityQueue. */
export class PriorityQueue<T = unknown> extends BaseQueue<T> {
  constructor(maxsize = 0) {
    super(PRIORITY, checkMaxsize(maxsize, "new PriorityQueue"));
  }
}

/** Unbounded FIFO without task tracking: Python's queue.SimpleQueue. */
export class SimpleQueue<T = unknown> extends BaseQueue<T> {
  constructor() {
    super(SIMPLE, 0);
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
    const index = growableBufferOf(h, "index", ENTRY_WORDS * 4);
    if (Atomics.load(ctl, KIND) !== kind) throw badHandle(`${name}.ctl holds a queue of another kind`);
    if (Atomics.load(ctl, CAPACITY) * ENTRY_WORDS * 4 > index.byteLength) throw badHandle(`${name}.index is smaller than the queue's capacity`);
    const parts: QueueShare = { ctl, index, ...checkArena(h) };
    return attach(parts, () => new CLASSES[kind]());
  });
});
