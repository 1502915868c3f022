/**
 * Where a queue keeps its items: an index of fixed-size entries in a growable SharedArrayBuffer
 * (queue/layout.ts) and the items' bytes in a SharedArena. Which entry comes out next is the
 * Order's business (queue/fifo.ts, lifo.ts, heap.ts), as CPython's Queue leaves it to the
 * _init/_qsize/_put/_get hooks of its subclasses. Everything here runs with the queue's mutex
 * held and allocates nothing: bytes come in ready-made and go out into the caller's buffer, so a
 * thread can't run out of memory with the mutex held.
 */
import { hasBytes, Tag, type Encoded } from "../ship/value-codec.js";
import type { ArenaRecords, SharedArena } from "../memory/arena.js";
import { GrowableViews } from "../memory/views.js";
import { CAPACITY, COUNT, E_KEY, E_LEN, E_NUM_F64, E_OFF, E_SEQ, E_TAG, ENTRY_BYTES, ENTRY_WORDS, entryAt, MAX_INDEX_BYTES, SEQ } from "./layout.js";

/** Which position the next item leaves from, and how positions move. */
export interface Order {
  /** Index position of the k-th stored item, for k in [0, COUNT). */
  position(k: number): number;
  /**
   * Before anything changes: may refuse the item whose record (order key first) is `record` (a
   * PriorityQueue's TypeError for unorderable items).
   */
  check(record: Uint8Array, count: number): void;
  /** Where a new item goes when `count` items are stored. */
  placeNew(count: number): number;
  /** The new item has been written at `pos`. */
  added(pos: number): void;
  /** Position of the item that removeNext would take (`count` stored), changing nothing. */
  nextPosition(count: number): number;
  /** Takes the next item out of the order (`count` stored); returns the position it is still at. */
  removeNext(count: number): number;
  /** The index has grown from `oldCapacity` entries. */
  grown(oldCapacity: number): void;
  /** Every item was dropped. */
  cleared(): void;
}

/** What copyNext() copied out: the item's tag, its number, and how many bytes went into the buffer. */
export interface Taken {
  tag: Tag;
  num: number;
  length: number;
}

export class QueueStorage implements ArenaRecords {
  readonly #index: GrowableViews;
  order!: Order;
  /** What copyNext() hands back, reused: no allocation under the mutex. */
  readonly #taken: Taken = { tag: Tag.Undefined, num: 0, length: 0 };

  constructor(readonly ctl: Int32Array, readonly indexSab: SharedArrayBuffer, readonly arena: SharedArena, readonly name: string) {
    this.#index = new GrowableViews(indexSab);
  }

  /** The index's entries, as Int32 words. */
  get i32(): Int32Array {
    return this.#index.i32;
  }

  /** First thing in a critical section: catch up with other threads' growth of the buffers. */
  renew(): void {
    this.#index.renewTo(this.ctl[CAPACITY]! * ENTRY_BYTES);
    this.arena.renew();
  }

  /**
   * What may refuse a new item, before anything changes: an item a PriorityQueue can't order
   * (TypeError), an index that can't grow (RangeError). Grows the index if full.
   */
  prepare(record: Uint8Array): void {
    const ctl = this.ctl;
    this.order.check(record, ctl[COUNT]!);
    const cap = ctl[CAPACITY]!;
    if (ctl[COUNT]! >= cap) {
      const bigger = cap * 2;
      if (bigger * ENTRY_BYTES > MAX_INDEX_BYTES) throw new RangeError(`${this.name} can't hold more than ${cap} items`);
      this.#index.grow(bigger * ENTRY_BYTES);
    }
    this.arena.prepare(record.length);
  }

  /**
   * Stores a new item (after prepare) where the order says (COUNT goes up by one). `record` is its arena record,
   * made outside the mutex: its order key (`keyLength` bytes, a PriorityQueue's) then its value's
   * bytes. `scratch` holds the record numbers if the arena compacts (see ensureScratch).
   */
  insert(enc: Encoded, record: Uint8Array, keyLength: number, scratch: Int32Array): void {
    const ctl = this.ctl;
    const n = ctl[COUNT]!;
    const cap = ctl[CAPACITY]!;
    if (n >= cap) {
      // prepare() grew the buffer; the entries take their places in it.
      this.order.grown(cap);
      ctl[CAPACITY] = cap * 2;
    }
    const seq = ctl[SEQ]!;
    ctl[SEQ] = (seq + 1) | 0;
    const pos = this.order.placeNew(n);
    const e = entryAt(pos);
    this.i32[e + E_TAG] = enc.tag;
    this.i32[e + E_SEQ] = seq;
    this.i32[e + E_KEY] = keyLength;
    if (record.length > 0) {
      // The new entry isn't counted yet, so compaction can't move it: its offset is set after.
      this.i32[e + E_OFF] = this.arena.store(record, this, scratch);
      this.i32[e + E_LEN] = record.length;
    } else {
      this.i32[e + E_LEN] = 0;
    }
    // A number lives in the entry itself (a PriorityQueue's key aside, in the arena).
    if (enc.tag === Tag.Number) this.#index.f64[e / 2 + E_NUM_F64] = enc.num;
    this.order.added(pos);
    ctl[COUNT] = n + 1;
  }

  /** The byte length of the value copyNext() would copy out. */
  nextLength(): number {
    const ctl = this.ctl;
    const e = entryAt(this.order.nextPosition(ctl[COUNT]!));
    return hasBytes(this.i32[e + E_TAG] as Tag) ? this.i32[e + E_LEN]! - this.i32[e + E_KEY]! : 0;
  }

  /**
   * Copies the next item out without removing it: its tag and number, and its value's bytes
   * into `into`, which must hold nextLength() bytes. Only reads: a thread that dies here leaves
   * the queue whole.
   */
  copyNext(into: Uint8Array): Taken {
    const e = entryAt(this.order.nextPosition(this.ctl[COUNT]!));
    const i32 = this.i32;
    const t = this.#taken;
    t.tag = i32[e + E_TAG]! as Tag;
    t.num = t.tag === Tag.Number ? this.#index.f64[e / 2 + E_NUM_F64]! : 0;
    t.length = 0;
    if (hasBytes(t.tag)) {
      const key = i32[e + E_KEY]!;
      t.length = i32[e + E_LEN]! - key;
      this.arena.copyOut(i32[e + E_OFF]! + key, t.length, into, 0);
    }
    return t;
  }

  /** Removes the next item (the one copyNext copied): COUNT goes down by one. */
  removeNext(): void {
    const ctl = this.ctl;
    const n = ctl[COUNT]!;
    const e = entryAt(this.order.removeNext(n));
    const len = this.i32[e + E_LEN]!;
    if (len > 0) this.arena.free(this.i32[e + E_OFF]!, len);
    ctl[COUNT] = n - 1;
    if (n === 1) this.arena.clear();
  }

  /** Drops every item. */
  clear(): void {
    this.ctl[COUNT] = 0;
    this.order.cleared();
    this.arena.clear();
  }

  /** Where the order key of the item at `pos` starts in the arena's bytes. */
  keyAt(pos: number): number {
    return this.i32[entryAt(pos) + E_OFF]!;
  }

  /** The insertion number of the item at `pos`. */
  seq(pos: number): number {
    return this.i32[entryAt(pos) + E_SEQ]!;
  }

  swap(a: number, b: number): void {
    if (a === b) return;
    const i32 = this.i32;
    const ea = entryAt(a);
    const eb = entryAt(b);
    for (let k = 0; k < ENTRY_WORDS; k++) {
      const t = i32[ea + k]!;
      i32[ea + k] = i32[eb + k]!;
      i32[eb + k] = t;
    }
  }

  // ---- ArenaRecords: the stored items, for compaction ----

  recordCount(): number {
    return this.ctl[COUNT]!;
  }

  recordOffset(r: number): number {
    return this.i32[entryAt(this.order.position(r)) + E_OFF]!;
  }

  recordLength(r: number): number {
    return this.i32[entryAt(this.order.position(r)) + E_LEN]!;
  }

  moveRecord(r: number, offset: number): void {
    this.i32[entryAt(this.order.position(r)) + E_OFF] = offset;
  }
}
