/**
 * A growable byte arena in shared memory, for the bytes of values kept by queues and shared
 * containers. The owner keeps the offsets (in its own index) and calls everything with its own
 * mutex held; the arena hands out space at the top, counts freed bytes as garbage, and when
 * full either compacts (moving live records down, telling the owner their new offsets) or grows.
 * Growing happens in prepare(), before the owner changes anything; store(), free() and the
 * compaction allocate nothing on the JavaScript heap, so an owner's change can't run out of
 * memory half-way.
 *
 * Layout: `meta` Int32 words: 0 TOP (first free byte), 1 GARBAGE (freed bytes below TOP), 2 SIZE
 * (the bytes' length as last grown: what every thread's views must cover).
 * `bytes`: a growable SharedArrayBuffer (up to MAX_ARENA_BYTES), records are raw value bytes.
 */

import { badHandle, growableBufferOf, sharedView, type Handle } from "./handles.js";
import { GrowableViews } from "./views.js";

export const MAX_ARENA_BYTES = 2 ** 31 - 1;
const TOP = 0;
const GARBAGE = 1;
const SIZE = 2;
const META_WORDS = 3;
/** Records shorter than this are copied out byte by byte. */
const COPY_LOOP_MAX = 256;

/**
 * The owner's records, by number 0..recordCount()-1 (zero-length records allowed), for
 * compaction: methods rather than closures or arrays, so that compacting allocates nothing.
 */
export interface ArenaRecords {
  recordCount(): number;
  recordOffset(r: number): number;
  recordLength(r: number): number;
  moveRecord(r: number, offset: number): void;
}

/** The arena's part of its owner's handle. */
export interface ArenaShare {
  arenaMeta: Int32Array;
  arenaBytes: SharedArrayBuffer;
}

/** Validates the arena's part of a handle from another thread. */
export function checkArena(h: Handle): ArenaShare {
  const share = { arenaMeta: sharedView(h, "arenaMeta", Int32Array, META_WORDS), arenaBytes: growableBufferOf(h, "arenaBytes", 1) };
  const m = share.arenaMeta;
  const size = Atomics.load(m, SIZE);
  if (size > share.arenaBytes.byteLength || Atomics.load(m, TOP) > size || Atomics.load(m, GARBAGE) > size) {
    throw badHandle("the arena's words don't match its bytes");
  }
  return share;
}

export class SharedArena {
  readonly meta: Int32Array;
  readonly sab: SharedArrayBuffer;
  readonly #views: GrowableViews;

  constructor(initialBytes = 4096, shared?: ArenaShare) {
    if (shared) {
      this.meta = shared.arenaMeta;
      this.sab = shared.arenaBytes;
    } else {
      this.meta = new Int32Array(new SharedArrayBuffer(META_WORDS * 4));
      this.sab = new (SharedArrayBuffer as any)(initialBytes, { maxByteLength: MAX_ARENA_BYTES }) as SharedArrayBuffer;
      this.meta[SIZE] = initialBytes;
    }
    this.#views = new GrowableViews(this.sab);
  }

  /** The bytes, as of the last renew() (or prepare()). */
  get u8(): Uint8Array {
    return this.#views.u8;
  }

  /** Catches up with another thread's growth of the arena: at the start of a critical section. */
  renew(): void {
    this.#views.renewTo(this.meta[SIZE]!);
  }

  share(): ArenaShare {
    return { arenaMeta: this.meta, arenaBytes: this.sab };
  }

  /**
   * Before a change that will store `need` bytes in all: grows the arena unless they fit, or
   * will once compaction has swept the garbage out (RangeError when it can't grow enough).
   */
  prepare(need: number): void {
    const top = this.meta[TOP]!;
    if (top + need <= this.meta[SIZE]! || this.#worthCompacting(need, top)) return;
    if (top + need > MAX_ARENA_BYTES) throw new RangeError(`shared memory for this container is full (${MAX_ARENA_BYTES} bytes)`);
    this.#grow(top + need);
  }

  #grow(atLeast: number): void {
    this.#views.grow(Math.min(MAX_ARENA_BYTES, Math.max(atLeast, this.meta[SIZE]! * 2)));
    this.meta[SIZE] = this.#views.u8.length;
  }

  /**
   * Copies bytes in (prepare() made room) and returns their offset. When full, the owner's records
   * are compacted first, sorted in `scratch`, which must hold recordCount() numbers.
   */
  store(bytes: Uint8Array, owner: ArenaRecords, scratch: Int32Array): number {
    const need = bytes.length;
    let top = this.meta[TOP]!;
    if (top + need > this.#views.u8.length) {
      top = this.#compact(owner, scratch);
      // Only if the caller skipped prepare(): growing allocates (new views).
      if (top + need > this.#views.u8.length) this.#grow(top + need);
    }
    this.#views.u8.set(bytes, top);
    this.meta[TOP] = top + need;
    return top;
  }

  /** Compaction pays for itself when the garbage is at least half the arena and makes the room. */
  #worthCompacting(need: number, top: number): boolean {
    const garbage = this.meta[GARBAGE]!;
    return garbage >= need && garbage * 2 >= top;
  }

  /**
   * Copies a record's bytes into `into` at `at`. Short records by a loop, allocating nothing;
   * longer ones by one subarray (a small object, worth it for a memcpy). Owners copy out only
   * before they change anything, so a thread that dies of that allocation leaves them whole.
   */
  copyOut(offset: number, length: number, into: Uint8Array, at: number): void {
    const u8 = this.#views.u8;
    if (length >= COPY_LOOP_MAX) {
      into.set(u8.subarray(offset, offset + length), at);
      return;
    }
    for (let j = 0; j < length; j++) into[at + j] = u8[offset + j]!;
  }

  free(offset: number, length: number): void {
    if (offset + length === this.meta[TOP]) this.meta[TOP] = offset;
    else this.meta[GARBAGE] = this.meta[GARBAGE]! + length;
    if (this.meta[GARBAGE]! >= this.meta[TOP]!) this.clear();
  }

  /** Forgets every record (the owner has none left). */
  clear(): void {
    this.meta[TOP] = 0;
    this.meta[GARBAGE] = 0;
  }

  /** Slides the records down over the garbage, lowest offset first (so none is overwritten). */
  #compact(owner: ArenaRecords, scratch: Int32Array): number {
    const n = owner.recordCount();
    // Owners size the scratch before changing anything; allocating is the last resort.
    const order = scratch.length >= n ? scratch : new Int32Array(n);
    let m = 0;
    for (let r = 0; r < n; r++) if (owner.recordLength(r) > 0) order[m++] = r;
    sortByOffset(order, m, owner);
    const u8 = this.#views.u8;
    let top = 0;
    for (let j = 0; j < m; j++) {
      const r = order[j]!;
      const off = owner.recordOffset(r);
      const len = owner.recordLength(r);
      if (off !== top) {
        u8.copyWithin(top, off, off + len);
        owner.moveRecord(r, top);
      }
      top += len;
    }
    this.meta[TOP] = top;
    this.meta[GARBAGE] = 0;
    return top;
  }
}

/** A scratch array that holds at least `n` record numbers (grown outside any mutex). */
export function ensureScratch(scratch: Int32Array, n: number): Int32Array {
  return scratch.length >= n ? scratch : new Int32Array(Math.max(n, scratch.length * 2, 16));
}

/** Sorts record numbers a[0..n) by their offsets, in place (heapsort), allocating nothing. */
function sortByOffset(a: Int32Array, n: number, owner: ArenaRecords): void {
  for (let start = (n >> 1) - 1; start >= 0; start--) siftDown(a, start, n, owner);
  for (let end = n - 1; end > 0; end--) {
    const t = a[0]!;
    a[0] = a[end]!;
    a[end] = t;
    siftDown(a, 0, end, owner);
  }
}

function siftDown(a: Int32Array, start: number, end: number, owner: ArenaRecords): void {
  let root = start;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && owner.recordOffset(a[child + 1]!) > owner.recordOffset(a[child]!)) child++;
    if (owner.recordOffset(a[root]!) >= owner.recordOffset(a[child]!)) return;
    const t = a[root]!;
    a[root] = a[child]!;
    a[child] = t;
    root = child;
  }
}
