/**
 * SharedList: a Python list in shared memory. Each operation takes the list's robust mutex, so
 * every single call is atomic, as a list operation is under CPython's GIL. Values are copied in
 * and out (value-codec.ts): numbers live in the index, other values as bytes in a SharedArena.
 *
 * `meta` (Int32, its own SharedArrayBuffer):
 *   0  MUTEX    robust mutex guarding everything below, the index and the arena (runtime/critical.ts)
 *   1  OP       IDLE, MUTATING while a holder changes the list, BROKEN if one died doing so
 *   2  LENGTH   number of elements
 *
 * Index (growable SharedArrayBuffer, ENTRY_BYTES per element, in list order; its capacity is its
 * byteLength, so another thread's growth is seen without a word of its own):
 *   Int32 +0       TAG   value-codec Tag
 *   Int32 +1       LEN   byte length of the value's arena record; 0 when it has none (numbers,
 *                        booleans, null, undefined, "")
 *   Int32 +2       OFF   the record's arena offset, when LEN > 0
 *   Float64 @ +8   NUM   the number, for Tag.Number (shares bytes with OFF: a number has no record)
 *
 * Critical sections allocate nothing: values are encoded before and decoded after, copied out
 * into the instance's OutBuffers (container.ts).
 */
import { describe } from "../common/checks.js";
import { checkArena, SharedArena, type ArenaRecords, type ArenaShare } from "../memory/arena.js";
import { hasBytes, Tag, type Encoded } from "../ship/value-codec.js";
import { attach, badHandle, growableBufferOf, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { GrowableViews } from "../memory/views.js";
import {
  changing, checkInteger, copyIn, ensureBytes, growableBuffer, NO_ROOM, OutBuffers, resolveIndex, withMutex, withRoom,
} from "./container.js";
import { showAsRepr } from "../common/repr.js";

const LENGTH = 2;
const META_WORDS = 3;

const ENTRY_BYTES = 16;
const ENTRY_WORDS = ENTRY_BYTES / 4;
const TAG = 0;
const LEN = 1;
const OFF = 2;
const INITIAL_ENTRIES = 16;
const NAME = "SharedList";

interface ListShare extends ArenaShare {
  meta: Int32Array;
  index: SharedArrayBuffer;
}

/**
 * A list shared by reference between threads: each single operation (append, get, set, pop, ...)
 * is atomic, values are copied in and out (see docs/shared-data.md).
 */
export class SharedList<T = unknown> implements Shareable, Iterable<T> {
  readonly #meta: Int32Array;
  readonly #index: SharedArrayBuffer;
  readonly #ix: GrowableViews;
  readonly #arena: SharedArena;
  /** What each critical section renews first: the index's views and the arena's. */
  readonly #views = { renew: (): void => (this.#ix.renewTo(this.#meta[LENGTH]! * ENTRY_BYTES), this.#arena.renew()) };
  readonly #out = new OutBuffers();
  /** The elements' arena records, for compaction (methods, so compacting allocates nothing). */
  readonly #records: ArenaRecords = {
    recordCount: () => this.#meta[LENGTH]!,
    recordOffset: (e) => this.#ix.i32[e * ENTRY_WORDS + OFF]!,
    recordLength: (e) => this.#ix.i32[e * ENTRY_WORDS + LEN]!,
    moveRecord: (e, offset) => void (this.#ix.i32[e * ENTRY_WORDS + OFF] = offset),
  };

  /** A new empty list, or one holding copies of `initial`'s items. */
  constructor(initial?: Iterable<T> | null) {
    const shared = takeAttached<ListShare>();
    if (shared) {
      this.#meta = shared.meta;
      this.#index = shared.index;
      this.#arena = new SharedArena(0, shared);
    } else {
      this.#meta = new Int32Array(new SharedArrayBuffer(META_WORDS * 4));
      this.#index = growableBuffer(INITIAL_ENTRIES * ENTRY_BYTES);
      this.#arena = new SharedArena(1024);
    }
    this.#ix = new GrowableViews(this.#index);
    if (shared || initial === undefined || initial === null) return;
    if (typeof (initial as any)[Symbol.iterator] !== "function" || typeof initial === "string") {
      throw new TypeError(`new SharedList(initial): initial must be an iterable of items (an array, a Set, ...), got ${describe(initial)}`);
    }
    this.extend(initial);
  }

  /** The number of elements right now (another thread may change it the next moment). */
  get length(): number {
    return Atomics.load(this.#meta, LENGTH);
  }

  /** A copy of the element at i; negative i counts from the end, as in Python. */
  get(i: number): T {
    const what = "SharedList.get(i)";
    checkInteger(i, what);
    const out = this.#out;
    withRoom(out, () => this.#locked(() => this.#copy(resolveIndex(i, this.#meta[LENGTH]!, what))));
    return out.value(0, 0) as T;
  }

  /** Replaces the element at i with a copy of value. */
  set(i: number, value: T): void {
    const what = "SharedList.set(i, value)";
    checkInteger(i, what);
    const enc = copyIn(value, what);
    withRoom(this.#out, () =>
      this.#locked(() => {
        const e = resolveIndex(i, this.#meta[LENGTH]!, what);
        if (!this.#out.fitsScratch(this.#meta[LENGTH]!)) return NO_ROOM;
        this.#arena.prepare(byteLength(enc));
        changing(this.#meta);
        // Stored before the old record is freed: storing may compact, which must see the old one.
        const off = this.#store(enc);
        this.#free(e);
        this.#write(e, enc, off);
      }),
    );
  }

  /** Adds a copy of value at the end. */
  append(value: T): void {
    this.#appendAll([copyIn(value, "SharedList.append(value)")], "SharedList.append");
  }

  /** Appends copies of every item, as one atomic operation (no other thread's items in between). */
  extend(items: Iterable<T>): void {
    const what = "SharedList.extend(items)";
    if (items === null || typeof items !== "object" || typeof (items as any)[Symbol.iterator] !== "function") {
      throw new TypeError(`${what}: items must be an iterable (an array, a Set, another SharedList, ...), got ${describe(items)}`);
    }
    // A snapshot first: extending a list with itself must not run forever, and encoding
    // happens outside the mutex.
    this.#appendAll(Array.from(items, (v, k) => copyIn(v, `${what} item #${k}`)), "SharedList.extend");
  }

  #appendAll(encs: Encoded[], what: string): void {
    if (encs.length === 0) return;
    let bytes = 0;
    for (const enc of encs) bytes += byteLength(enc);
    withRoom(this.#out, () =>
      this.#locked(() => {
        const n = this.#meta[LENGTH]!;
        if (!this.#out.fitsScratch(n + encs.length)) return NO_ROOM;
        ensureBytes(this.#ix, (n + encs.length) * ENTRY_BYTES, what);
        this.#arena.prepare(bytes);
        changing(this.#meta);
        for (let k = 0; k < encs.length; k++) {
          const enc = encs[k]!;
          const off = this.#store(enc);
          this.#write(n + k, enc, off);
          // Counted at once: the next store may compact the arena and must see this record.
          this.#meta[LENGTH] = n + k + 1;
        }
      }),
    );
  }

  /** Removes and returns the element at i (default: the last one). */
  pop(i?: number): T {
    const what = i === undefined ? "SharedList.pop()" : "SharedList.pop(i)";
    if (i !== undefined) checkInteger(i, what);
    const out = this.#out;
    withRoom(out, () =>
      this.#locked(() => {
        const n = this.#meta[LENGTH]!;
        if (n === 0) throw new RangeError(`${what}: pop from empty list; append first, or catch this RangeError when draining the list`);
        const e = i === undefined ? n - 1 : resolveIndex(i, n, what, "pop index out of range");
        if (this.#copy(e) === NO_ROOM) return NO_ROOM;
        changing(this.#meta);
        this.#free(e);
        this.#ix.u8.copyWithin(e * ENTRY_BYTES, (e + 1) * ENTRY_BYTES, n * ENTRY_BYTES);
        this.#meta[LENGTH] = n - 1;
        if (n === 1) this.#arena.clear();
      }),
    );
    return out.value(0, 0) as T;
  }

  /** Inserts a copy of value before index i; like Python, i beyond either end means that end. */
  insert(i: number, value: T): void {
    const what = "SharedList.insert(i, value)";
    checkInteger(i, what);
    const enc = copyIn(value, what);
    withRoom(this.#out, () =>
      this.#locked(() => {
        const n = this.#meta[LENGTH]!;
        if (!this.#out.fitsScratch(n)) return NO_ROOM;
        const e = i < 0 ? Math.max(0, i + n) : Math.min(i, n);
        ensureBytes(this.#ix, (n + 1) * ENTRY_BYTES, "SharedList.insert");
        this.#arena.prepare(byteLength(enc));
        changing(this.#meta);
        // Placed while the index is still consistent: storing may compact and move records.
        const off = this.#store(enc);
        this.#ix.u8.copyWithin((e + 1) * ENTRY_BYTES, e * ENTRY_BYTES, n * ENTRY_BYTES);
        this.#write(e, enc, off);
        this.#meta[LENGTH] = n + 1;
      }),
    );
  }

  /** Removes every element. */
  clear(): void {
    this.#locked(() => {
      changing(this.#meta);
      this.#meta[LENGTH] = 0;
      this.#arena.clear();
    });
  }

  /** Copies of all elements, taken in one atomic snapshot. */
  toArray(): T[] {
    const out = this.#out;
    const n = withRoom(out, () =>
      this.#locked(() => {
        const n = this.#meta[LENGTH]!;
        const i32 = this.#ix.i32;
        let bytes = 0;
        for (let e = 0; e < n; e++) bytes += i32[e * ENTRY_WORDS + LEN]!;
        if (!out.fits(n, bytes)) return NO_ROOM;
        for (let e = 0, at = 0; e < n; e++) at += this.#copyAt(e, e, at);
        return n;
      }),
    );
    const items = new Array<T>(n);
    for (let k = 0, at = 0; k < n; k++) {
      items[k] = out.value(k, at) as T;
      at += out.lens[k]!;
    }
    return items;
  }

  /** Iterates a snapshot (toArray()): changes made meanwhile by any thread are not seen. */
  [Symbol.iterator](): Iterator<T> {
    return this.toArray()[Symbol.iterator]();
  }

  toString(): string {
    return `<SharedList length=${this.length}>`;
  }

  /** A copy of the items as an array, for JSON.stringify. */
  toJSON(): T[] {
    return this.toArray();
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    return { kind: "SharedList", meta: this.#meta, index: this.#index, ...this.#arena.share() };
  }

  // ---- with the mutex held ----

  #locked<R>(fn: () => R): R {
    return withMutex(this.#meta, NAME, this.#views, fn);
  }

  #store(enc: Encoded): number {
    if (byteLength(enc) === 0) return 0;
    return this.#arena.store(enc.bytes!, this.#records, this.#out.scratch);
  }

  #write(e: number, enc: Encoded, off: number): void {
    const { i32, f64 } = this.#ix;
    const b = e * ENTRY_WORDS;
    i32[b + TAG] = enc.tag;
    const length = byteLength(enc);
    i32[b + LEN] = length;
    if (length > 0) i32[b + OFF] = off;
    else f64[e * 2 + 1] = enc.tag === Tag.Number ? enc.num : 0;
  }

  /** Copies element e out as item 0 of the OutBuffers, or answers NO_ROOM. */
  #copy(e: number): undefined | typeof NO_ROOM {
    if (!this.#out.fits(1, this.#ix.i32[e * ENTRY_WORDS + LEN]!)) return NO_ROOM;
    this.#copyAt(e, 0, 0);
    return undefined;
  }

  /** Copies element e out as item k, its bytes at `at`; returns their length. */
  #copyAt(e: number, k: number, at: number): number {
    const out = this.#out;
    const { i32, f64 } = this.#ix;
    const b = e * ENTRY_WORDS;
    const tag = i32[b + TAG]! as Tag;
    const length = i32[b + LEN]!;
    out.tags[k] = tag;
    out.lens[k] = length;
    out.nums[k] = tag === Tag.Number ? f64[e * 2 + 1]! : 0;
    if (length > 0) this.#arena.copyOut(i32[b + OFF]!, length, out.bytes, at);
    return length;
  }

  #free(e: number): void {
    const i32 = this.#ix.i32;
    const b = e * ENTRY_WORDS;
    const length = i32[b + LEN]!;
    if (length > 0) this.#arena.free(i32[b + OFF]!, length);
    i32[b + LEN] = 0;
  }
}

/** The bytes a value keeps in the arena. */
function byteLength(enc: Encoded): number {
  return hasBytes(enc.tag) ? enc.bytes!.length : 0;
}

registerReviver("SharedList", (h) => {
  const meta = sharedView(h, "meta", Int32Array, META_WORDS);
  const index = growableBufferOf(h, "index", ENTRY_BYTES);
  if (Atomics.load(meta, LENGTH) * ENTRY_BYTES > index.byteLength) throw badHandle("SharedList.index is shorter than the list");
  return attach({ meta, index, ...checkArena(h) } satisfies ListShare, () => new SharedList());
});

showAsRepr(SharedList);
