/**
 * A growable byte arena in shared memory, for the bytes of values kept by queues and shared
 * containers. The owner keeps the offsets (in its own index) and calls everything with its own
 * mutex held; the arena hands out space at the top, counts freed bytes as garbage, and when
 * full either compacts (moving live records down, telling the owner their new offsets) or grows.
 *
 * Layout: `meta` Int32 words: 0 TOP (first free byte), 1 GARBAGE (freed bytes below TOP).
 * `bytes`: a growable SharedArrayBuffer (up to MAX_ARENA_BYTES), records are raw value bytes.
 */

import { growableBufferOf, sharedView, type Handle } from "./handles.js";

export const MAX_ARENA_BYTES = 2 ** 31 - 1;
const TOP = 0;
const GARBAGE = 1;

/** A live record the owner knows of: where it is and how to tell the owner it moved. */
export interface LiveRecord {
  offset: number;
  length: number;
  moveTo(offset: number): void;
}

/** The arena's part of its owner's handle. */
export interface ArenaShare {
  arenaMeta: Int32Array;
  arenaBytes: SharedArrayBuffer;
}

/** Validates the arena's part of a handle from another thread. */
export function checkArena(h: Handle): ArenaShare {
  return { arenaMeta: sharedView(h, "arenaMeta", Int32Array, 2), arenaBytes: growableBufferOf(h, "arenaBytes", 1) };
}

export class SharedArena {
  readonly meta: Int32Array;
  readonly sab: SharedArrayBuffer;
  #u8: Uint8Array;

  constructor(initialBytes = 4096, shared?: ArenaShare) {
    if (shared) {
      this.meta = shared.arenaMeta;
      this.sab = shared.arenaBytes;
    } else {
      this.meta = new Int32Array(new SharedArrayBuffer(8));
      this.sab = new (SharedArrayBuffer as any)(initialBytes, { maxByteLength: MAX_ARENA_BYTES }) as SharedArrayBuffer;
    }
    this.#u8 = new Uint8Array(this.sab);
  }

  share(): ArenaShare {
    return { arenaMeta: this.meta, arenaBytes: this.sab };
  }

  /** A view that sees the arena's current size (another thread may have grown it). */
  get u8(): Uint8Array {
    if (this.#u8.length !== this.sab.byteLength) this.#u8 = new Uint8Array(this.sab);
    return this.#u8;
  }

  /** Copies bytes in and returns their offset; `live` lists the owner's records for compaction. */
  store(bytes: Uint8Array, live: () => Iterable<LiveRecord>): number {
    const need = bytes.length;
    let top = this.meta[TOP]!;
    if (top + need > this.sab.byteLength) {
      const garbage = this.meta[GARBAGE]!;
      if (garbage >= need && garbage * 2 >= top) {
        top = this.#compact(live);
      }
      if (top + need > this.sab.byteLength) this.#grow(top + need);
    }
    this.u8.set(bytes, top);
    this.meta[TOP] = top + need;
    return top;
  }

  read(offset: number, length: number): Uint8Array {
    return this.u8.subarray(offset, offset + length);
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

  #grow(atLeast: number): void {
    const size = Math.min(MAX_ARENA_BYTES, Math.max(atLeast, this.sab.byteLength * 2));
    if (size < atLeast) throw new RangeError(`shared memory for this container is full (${MAX_ARENA_BYTES} bytes)`);
    (this.sab as any).grow(size);
  }

  #compact(live: () => Iterable<LiveRecord>): number {
    const records = [...live()].sort((a, b) => a.offset - b.offset);
    const u8 = this.u8;
    let top = 0;
    for (const r of records) {
      if (r.offset !== top) {
        u8.copyWithin(top, r.offset, r.offset + r.length);
        r.moveTo(top);
      }
      top += r.length;
    }
    this.meta[TOP] = top;
    this.meta[GARBAGE] = 0;
    return top;
  }
}
