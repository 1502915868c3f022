/**
 * Where a queue keeps its items: an index of fixed-size entries in a growable SharedArrayBuffer
 * (queue/layout.ts) and the values' bytes in a SharedArena. Which entry comes out next is the
 * Order's business (queue/fifo.ts, lifo.ts, heap.ts), as CPython's Queue leaves it to the
 * _init/_qsize/_put/_get hooks of its subclasses. Everything here runs with the queue's mutex held.
 */
import { decodeValue, hasBytes, Tag, type Encoded } from "../ship/value-codec.js";
import type { SharedArena, LiveRecord } from "../memory/arena.js";
import { CAPACITY, COUNT, E_LEN, E_NUM_F64, E_OFF, E_SEQ, E_TAG, ENTRY_BYTES, ENTRY_WORDS, entryAt, MAX_INDEX_BYTES, SEQ } from "./layout.js";

/** Which position the next item leaves from, and how positions move. */
export interface Order {
  /** Index position of the k-th stored item, for k in [0, COUNT). */
  position(k: number): number;
  /** Before anything changes: may refuse the item (a PriorityQueue's TypeError for unorderable items). */
  check(item: unknown, count: number): void;
  /** Where a new item goes when `count` items are stored. */
  placeNew(count: number): number;
  /** The new item has been written at `pos`. */
  added(pos: number): void;
  /** Takes the next item out of the order (`count` stored); returns the position it is still at. */
  removeNext(count: number): number;
  /** The index has grown from `oldCapacity` entries. */
  grown(oldCapacity: number): void;
  /** Every item was dropped. */
  cleared(): void;
}

/** A value copied out of the queue, decoded after the mutex is released. */
export interface TakenValue {
  tag: Tag;
  num: number;
  bytes: Uint8Array | null;
}

export class QueueStorage {
  readonly i32: Int32Array;
  readonly #f64: Float64Array;
  order!: Order;

  constructor(readonly ctl: Int32Array, readonly indexSab: SharedArrayBuffer, readonly arena: SharedArena, readonly name: string) {
    // Length-tracking views: they follow the buffer when any thread grows it.
    this.i32 = new Int32Array(indexSab);
    this.#f64 = new Float64Array(indexSab);
  }

  /** Stores a new item where the order says (COUNT goes up by one). */
  insert(enc: Encoded, item: unknown): void {
    this.#ensureRoom();
    const ctl = this.ctl;
    const n = ctl[COUNT]!;
    this.order.check(item, n);
    const seq = ctl[SEQ]!;
    ctl[SEQ] = (seq + 1) | 0;
    const pos = this.order.placeNew(n);
    const e = entryAt(pos);
    this.i32[e + E_TAG] = enc.tag;
    this.i32[e + E_SEQ] = seq;
    if (enc.tag === Tag.Number) this.#f64[e / 2 + E_NUM_F64] = enc.num;
    else if (enc.bytes) {
      // The new entry isn't counted yet, so compaction can't move it: its offset is set after.
      this.i32[e + E_OFF] = this.arena.store(enc.bytes, () => this.#live());
      this.i32[e + E_LEN] = enc.bytes.length;
    }
    this.order.added(pos);
    ctl[COUNT] = n + 1;
  }

  /** Removes the next item (COUNT goes down by one) and returns a private copy of it. */
  take(): TakenValue {
    const ctl = this.ctl;
    const n = ctl[COUNT]!;
    const e = entryAt(this.order.removeNext(n));
    const tag = this.i32[e + E_TAG]! as Tag;
    const num = tag === Tag.Number ? this.#f64[e / 2 + E_NUM_F64]! : 0;
    let bytes: Uint8Array | null = null;
    if (hasBytes(tag)) {
      const off = this.i32[e + E_OFF]!;
      const len = this.i32[e + E_LEN]!;
      bytes = this.arena.read(off, len).slice();
      this.arena.free(off, len);
    }
    ctl[COUNT] = n - 1;
    if (n === 1) this.arena.clear();
    return { tag, num, bytes };
  }

  /** Drops every item. */
  clear(): void {
    this.ctl[COUNT] = 0;
    this.order.cleared();
    this.arena.clear();
  }

  /** The decoded value at `pos` (a PriorityQueue compares them). */
  value(pos: number): unknown {
    const e = entryAt(pos);
    const tag = this.i32[e + E_TAG]! as Tag;
    if (tag === Tag.Number) return this.#f64[e / 2 + E_NUM_F64];
    const bytes = hasBytes(tag) ? this.arena.read(this.i32[e + E_OFF]!, this.i32[e + E_LEN]!) : null;
    return decodeValue(tag, 0, bytes);
  }

  /** The insertion number of the item at `pos`. */
  seq(pos: number): number {
    return this.i32[entryAt(pos) + E_SEQ]!;
  }

  swap(a: number, b: number): void {
    if (a === b) return;
    const ea = entryAt(a);
    const eb = entryAt(b);
    for (let k = 0; k < ENTRY_WORDS; k++) {
      const t = this.i32[ea + k]!;
      this.i32[ea + k] = this.i32[eb + k]!;
      this.i32[eb + k] = t;
    }
  }

  #live(): Iterable<LiveRecord> {
    const out: LiveRecord[] = [];
    const i32 = this.i32;
    const n = this.ctl[COUNT]!;
    for (let k = 0; k < n; k++) {
      const e = entryAt(this.order.position(k));
      if (hasBytes(i32[e + E_TAG]! as Tag)) {
        out.push({ offset: i32[e + E_OFF]!, length: i32[e + E_LEN]!, moveTo: (o) => { i32[e + E_OFF] = o; } });
      }
    }
    return out;
  }

  #ensureRoom(): void {
    const ctl = this.ctl;
    const cap = ctl[CAPACITY]!;
    if (ctl[COUNT]! < cap) return;
    const bigger = cap * 2;
    if (bigger * ENTRY_BYTES > MAX_INDEX_BYTES) throw new RangeError(`${this.name} can't hold more than ${cap} items`);
    this.indexSab.grow(bigger * ENTRY_BYTES);
    this.order.grown(cap);
    ctl[CAPACITY] = bigger;
  }
}
