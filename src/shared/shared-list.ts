/**
 * SharedList: a Python list in shared memory. Each operation takes the list's futex mutex, so
 * every single call is atomic, as a list operation is under CPython's GIL. Values are copied in
 * and out (value-codec.ts): numbers live in the index, other values as bytes in a SharedArena.
 *
 * `meta` (Int32, its own SharedArrayBuffer):
 *   0  MUTEX    futex mutex guarding everything below, the index and the arena
 *   1  LENGTH   number of elements
 *
 * Index (growable SharedArrayBuffer, ENTRY_BYTES per element, in list order; its capacity is its
 * byteLength, so another thread's growth is seen without a word of its own):
 *   Int32 +0       TAG   value-codec Tag
 *   Int32 +1       LEN   byte length of the value's arena record; 0 when it has none (numbers,
 *                        booleans, null, undefined, "")
 *   Int32 +2       OFF   the record's arena offset, when LEN > 0
 *   Float64 @ +8   NUM   the number, for Tag.Number (shares bytes with OFF: a number has no record)
 */
import { describe } from "../common/checks.js";
import { checkArena, SharedArena, type ArenaShare, type LiveRecord } from "../memory/arena.js";
import { Tag } from "../ship/value-codec.js";
import { attach, badHandle, growableBufferOf, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { checkInteger, copyIn, copyOut, ensureBytes, growableBuffer, resolveIndex, withMutex, type CopiedOut } from "./container.js";

const MUTEX = 0;
const LENGTH = 1;
const META_WORDS = 2;

const ENTRY_BYTES = 16;
const ENTRY_WORDS = ENTRY_BYTES / 4;
const TAG = 0;
const LEN = 1;
const OFF = 2;
const INITIAL_ENTRIES = 16;

interface ListShare extends ArenaShare {
  meta: Int32Array;
  index: SharedArrayBuffer;
}

export class SharedList<T = unknown> implements Shareable, Iterable<T> {
  readonly #meta: Int32Array;
  readonly #index: SharedArrayBuffer;
  /** Length-tracking views: they follow the index as any thread grows it. */
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  readonly #u8: Uint8Array;
  readonly #arena: SharedArena;

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
    this.#i32 = new Int32Array(this.#index);
    this.#f64 = new Float64Array(this.#index);
    this.#u8 = new Uint8Array(this.#index);
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
    return copyOut(withMutex(this.#meta, MUTEX, () => this.#read(resolveIndex(i, this.#meta[LENGTH]!, what)))) as T;
  }

  /** Replaces the element at i with a copy of value. */
  set(i: number, value: T): void {
    const what = "SharedList.set(i, value)";
    checkInteger(i, what);
    const enc = copyIn(value, what);
    withMutex(this.#meta, MUTEX, () => {
      const e = resolveIndex(i, this.#meta[LENGTH]!, what);
      // Stored before the old record is freed, so a failure (memory full) leaves the old value.
      const off = this.#store(enc.bytes);
      this.#free(e);
      this.#write(e, enc.tag, enc.num, enc.bytes, off);
    });
  }

  /** Adds a copy of value at the end. */
  append(value: T): void {
    const enc = copyIn(value, "SharedList.append(value)");
    withMutex(this.#meta, MUTEX, () => {
      const n = this.#meta[LENGTH]!;
      ensureBytes(this.#index, (n + 1) * ENTRY_BYTES, "SharedList.append");
      const off = this.#store(enc.bytes);
      this.#write(n, enc.tag, enc.num, enc.bytes, off);
      this.#meta[LENGTH] = n + 1;
    });
  }

  /** Appends copies of every item, as one atomic operation (no other thread's items in between). */
  extend(items: Iterable<T>): void {
    const what = "SharedList.extend(items)";
    if (items === null || typeof items !== "object" || typeof (items as any)[Symbol.iterator] !== "function") {
      throw new TypeError(`${what}: items must be an iterable (an array, a Set, another SharedList, ...), got ${describe(items)}`);
    }
    // A snapshot first: extending a list with itself must not run forever, and encoding
    // happens outside the mutex.
    const encs = Array.from(items, (v, k) => copyIn(v, `${what} item #${k}`));
    withMutex(this.#meta, MUTEX, () => {
      const n = this.#meta[LENGTH]!;
      ensureBytes(this.#index, (n + encs.length) * ENTRY_BYTES, "SharedList.extend");
      for (let k = 0; k < encs.length; k++) {
        const enc = encs[k]!;
        const off = this.#store(enc.bytes);
        this.#write(n + k, enc.tag, enc.num, enc.bytes, off);
        // Counted at once: the next store may compact the arena and must see this record.
        this.#meta[LENGTH] = n + k + 1;
      }
    });
  }

  /** Removes and returns the element at i (default: the last one). */
  pop(i?: number): T {
    const what = i === undefined ? "SharedList.pop()" : "SharedList.pop(i)";
    if (i !== undefined) checkInteger(i, what);
    const out = withMutex(this.#meta, MUTEX, () => {
      const n = this.#meta[LENGTH]!;
      if (n === 0) throw new RangeError(`${what}: pop from empty list; append first, or catch this RangeError when draining the list`);
      const e = i === undefined ? n - 1 : resolveIndex(i, n, what, "pop index out of range");
      const got = this.#read(e);
      this.#free(e);
      this.#u8.copyWithin(e * ENTRY_BYTES, (e + 1) * ENTRY_BYTES, n * ENTRY_BYTES);
      this.#meta[LENGTH] = n - 1;
      if (n === 1) this.#arena.clear();
      return got;
    });
    return copyOut(out) as T;
  }

  /** Inserts a copy of value before index i; like Python, i beyond either end means that end. */
  insert(i: number, value: T): void {
    const what = "SharedList.insert(i, value)";
    checkInteger(i, what);
    const enc = copyIn(value, what);
    withMutex(this.#meta, MUTEX, () => {
      const n = this.#meta[LENGTH]!;
      const e = i < 0 ? Math.max(0, i + n) : Math.min(i, n);
      ensureBytes(this.#index, (n + 1) * ENTRY_BYTES, "SharedList.insert");
      // Placed while the index is still consistent: storing may compact and move records.
      const off = this.#store(enc.bytes);
      this.#u8.copyWithin((e + 1) * ENTRY_BYTES, e * ENTRY_BYTES, n * ENTRY_BYTES);
      this.#write(e, enc.tag, enc.num, enc.bytes, off);
      this.#meta[LENGTH] = n + 1;
    });
  }

  /** Removes every element. */
  clear(): void {
    withMutex(this.#meta, MUTEX, () => {
      this.#meta[LENGTH] = 0;
      this.#arena.clear();
    });
  }

  /** Copies of all elements, taken in one atomic snapshot. */
  toArray(): T[] {
    const copied = withMutex(this.#meta, MUTEX, () => {
      const n = this.#meta[LENGTH]!;
      const out: CopiedOut[] = new Array(n);
      for (let e = 0; e < n; e++) out[e] = this.#read(e);
      return out;
    });
    return copied.map(copyOut) as T[];
  }

  /** Iterates a snapshot (toArray()): changes made meanwhile by any thread are not seen. */
  [Symbol.iterator](): Iterator<T> {
    return this.toArray()[Symbol.iterator]();
  }

  toString(): string {
    return `<SharedList length=${this.length}>`;
  }

  toJSON(): T[] {
    return this.toArray();
  }

  [SHARE]() {
    return { kind: "SharedList", meta: this.#meta, index: this.#index, ...this.#arena.share() };
  }

  // ---- with the mutex held ----

  #store(bytes: Uint8Array | null): number {
    if (bytes === null || bytes.length === 0) return 0;
    return this.#arena.store(bytes, () => this.#live());
  }

  *#live(): Iterable<LiveRecord> {
    const w = this.#i32;
    const n = this.#meta[LENGTH]!;
    for (let e = 0; e < n; e++) {
      const b = e * ENTRY_WORDS;
      const length = w[b + LEN]!;
      if (length > 0) yield { offset: w[b + OFF]!, length, moveTo: (o: number) => void (w[b + OFF] = o) };
    }
  }

  #write(e: number, tag: Tag, num: number, bytes: Uint8Array | null, off: number): void {
    const b = e * ENTRY_WORDS;
    this.#i32[b + TAG] = tag;
    const length = bytes?.length ?? 0;
    this.#i32[b + LEN] = length;
    if (length > 0) this.#i32[b + OFF] = off;
    else this.#f64[e * 2 + 1] = tag === Tag.Number ? num : 0;
  }

  #read(e: number): CopiedOut {
    const b = e * ENTRY_WORDS;
    const tag = this.#i32[b + TAG]! as Tag;
    const length = this.#i32[b + LEN]!;
    if (length > 0) return { tag, num: 0, bytes: this.#arena.read(this.#i32[b + OFF]!, length).slice() };
    return { tag, num: tag === Tag.Number ? this.#f64[e * 2 + 1]! : 0, bytes: null };
  }

  #free(e: number): void {
    const b = e * ENTRY_WORDS;
    const length = this.#i32[b + LEN]!;
    if (length > 0) this.#arena.free(this.#i32[b + OFF]!, length);
    this.#i32[b + LEN] = 0;
  }
}

registerReviver("SharedList", (h) => {
  const meta = sharedView(h, "meta", Int32Array, META_WORDS);
  const index = growableBufferOf(h, "index", ENTRY_BYTES);
  if (Atomics.load(meta, LENGTH) * ENTRY_BYTES > index.byteLength) throw badHandle("SharedList.index is shorter than the list");
  return attach({ meta, index, ...checkArena(h) } satisfies ListShare, () => new SharedList());
});
