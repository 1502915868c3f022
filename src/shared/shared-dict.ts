/**
 * SharedDict: a Python dict with string keys in shared memory. Each operation takes the dict's
 * futex mutex, so every single call is atomic, as a dict operation is under CPython's GIL.
 * Values are copied in and out (value-codec.ts).
 *
 * The table is CPython's compact dict: entries are appended in insertion order (so iteration
 * needs no sorting) and a separate open-addressed table of slots maps a key's hash to its entry
 * (so lookups need no scan). Deleting leaves a hole in the entries and a DUMMY in the slots; both
 * are swept when the entries run out and the table is rebuilt.
 *
 * `meta` (Int32, its own SharedArrayBuffer):
 *   0  MUTEX      futex mutex guarding everything below, the slots, the entries and the arena
 *   1  SIZE       live keys
 *   2  USED       entries appended since the last rebuild, holes included (the next entry)
 *   3  MASK       slots - 1 (slots is a power of two)
 *   4  CAPACITY   entries allowed before a rebuild: 2/3 of the slots, so probes always end
 *
 * Slots (growable SharedArrayBuffer, Int32 each, the first MASK + 1 in use): EMPTY, DUMMY (a
 * deleted key was here: probing goes on past it) or the number of an entry.
 *
 * Entries (growable SharedArrayBuffer, ENTRY_BYTES each, in insertion order):
 *   Int32 +0      HASH     the key's hash
 *   Int32 +1      KEY_LEN  the key's byte length (UTF-16LE); HOLE for a deleted entry
 *   Int32 +2      OFF      arena offset of the record (key bytes, then value bytes), if it has bytes
 *   Int32 +3      TAG      the value's value-codec Tag
 *   Int32 +4      VAL_LEN  the value's byte length after the key; 0 for numbers and other inline values
 *   Int32 +5      reserved
 *   Float64 @ +24 NUM      the number, for Tag.Number
 *
 * Keys are kept as UTF-16 code units, not UTF-8, so that two keys differing only in a lone
 * surrogate (which UTF-8 can't represent) stay two keys, as in a Map.
 */
import { describe } from "../common/checks.js";
import { checkArena, SharedArena, type ArenaShare, type LiveRecord } from "../memory/arena.js";
import { Tag, type Encoded } from "../ship/value-codec.js";
import { attach, badHandle, growableBufferOf, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { copyIn, copyOut, ensureBytes, growableBuffer, MAX_INDEX_BYTES, withMutex, type CopiedOut } from "./container.js";

const MUTEX = 0;
const SIZE = 1;
const USED = 2;
const MASK = 3;
const CAPACITY = 4;
const META_WORDS = 5;

const EMPTY = -1;
const DUMMY = -2;
const HOLE = -1;

const ENTRY_BYTES = 32;
const ENTRY_WORDS = ENTRY_BYTES / 4;
const HASH = 0;
const KEY_LEN = 1;
const OFF = 2;
const TAG = 3;
const VAL_LEN = 4;
const NUM_F64 = 3;

const MIN_SLOTS = 8;
const usable = (slots: number) => Math.floor((slots * 2) / 3);

/** The smallest power-of-two table whose usable part holds `keys` entries. */
function slotsFor(keys: number): number {
  let slots = MIN_SLOTS;
  while (usable(slots) < keys) slots *= 2;
  return slots;
}

interface DictShare extends ArenaShare {
  meta: Int32Array;
  slots: SharedArrayBuffer;
  entries: SharedArrayBuffer;
}

/** A key ready for the table: hashed and encoded before the mutex is taken. */
interface Key {
  hash: number;
  bytes: Uint8Array;
}

/** FNV-1a over UTF-16 code units; probing also mixes in the high bits, as CPython does. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function toKey(key: unknown, what: string): Key {
  if (typeof key !== "string") {
    throw new TypeError(`${what}: keys must be strings, got ${describe(key)}; convert it with String(key) or use a string id`);
  }
  return { hash: hashString(key), bytes: Buffer.from(key, "utf16le") };
}

function keyString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf16le");
}

/** What `update` and the constructor take: a plain object, a Map or an iterable of [key, value]. */
export type DictSource<V> = Record<string, V> | Map<string, V> | Iterable<readonly [string, V]>;

export class SharedDict<V = unknown> implements Shareable, Iterable<[string, V]> {
  readonly #meta: Int32Array;
  readonly #slotsSab: SharedArrayBuffer;
  readonly #entriesSab: SharedArrayBuffer;
  /** Length-tracking views: they follow the buffers as any thread grows them. */
  readonly #slots: Int32Array;
  readonly #i32: Int32Array;
  readonly #f64: Float64Array;
  readonly #u8: Uint8Array;
  readonly #arena: SharedArena;

  /** A new empty dict, or one holding copies of `initial`'s entries. */
  constructor(initial?: DictSource<V> | null) {
    const shared = takeAttached<DictShare>();
    if (shared) {
      this.#meta = shared.meta;
      this.#slotsSab = shared.slots;
      this.#entriesSab = shared.entries;
      this.#arena = new SharedArena(0, shared);
    } else {
      this.#meta = new Int32Array(new SharedArrayBuffer(META_WORDS * 4));
      this.#slotsSab = growableBuffer(MIN_SLOTS * 4);
      this.#entriesSab = growableBuffer(usable(MIN_SLOTS) * ENTRY_BYTES);
      this.#arena = new SharedArena(1024);
      this.#meta[MASK] = MIN_SLOTS - 1;
      this.#meta[CAPACITY] = usable(MIN_SLOTS);
      new Int32Array(this.#slotsSab).fill(EMPTY);
    }
    this.#slots = new Int32Array(this.#slotsSab);
    this.#i32 = new Int32Array(this.#entriesSab);
    this.#f64 = new Float64Array(this.#entriesSab);
    this.#u8 = new Uint8Array(this.#entriesSab);
    if (!shared && initial !== undefined && initial !== null) {
      this.#apply(pairsOf(initial, "new SharedDict(initial)"));
    }
  }

  /** The number of keys right now (another thread may change it the next moment). */
  get size(): number {
    return Atomics.load(this.#meta, SIZE);
  }

  /** A copy of the value for key, or undefined if the key is missing. */
  get(key: string): V | undefined {
    const k = toKey(key, "SharedDict.get(key)");
    const out = withMutex(this.#meta, MUTEX, () => {
      const e = this.#find(k).entry;
      return e < 0 ? null : this.#readValue(e);
    });
    return out === null ? undefined : (copyOut(out) as V);
  }

  /** Stores a copy of value under key; a new key goes last in iteration order, an existing one keeps its place. */
  set(key: string, value: V): void {
    const what = "SharedDict.set(key, value)";
    const k = toKey(key, what);
    const enc = copyIn(value, what);
    withMutex(this.#meta, MUTEX, () => this.#set(k, enc));
  }

  has(key: string): boolean {
    const k = toKey(key, "SharedDict.has(key)");
    return withMutex(this.#meta, MUTEX, () => this.#find(k).entry >= 0);
  }

  /** Removes key; true if it was there. */
  delete(key: string): boolean {
    const k = toKey(key, "SharedDict.delete(key)");
    return withMutex(this.#meta, MUTEX, () => {
      const { slot, entry } = this.#find(k);
      if (entry < 0) return false;
      this.#slots[slot] = DUMMY;
      const b = entry * ENTRY_WORDS;
      const length = this.#i32[b + KEY_LEN]! + this.#i32[b + VAL_LEN]!;
      if (length > 0) this.#arena.free(this.#i32[b + OFF]!, length);
      this.#i32[b + KEY_LEN] = HOLE;
      this.#meta[SIZE] = this.#meta[SIZE]! - 1;
      return true;
    });
  }

  /**
   * Copies every entry of `source` (a plain object's own enumerable keys, a Map, another
   * SharedDict or any iterable of [key, value]) in, as one atomic operation.
   */
  update(source: DictSource<V>): void {
    const pairs = pairsOf(source, "SharedDict.update(source)");
    this.#apply(pairs);
  }

  /** Removes every key. */
  clear(): void {
    withMutex(this.#meta, MUTEX, () => {
      // Back to the smallest table: the buffers can't shrink, but only their start is used.
      this.#slots.fill(EMPTY, 0, MIN_SLOTS);
      this.#meta[MASK] = MIN_SLOTS - 1;
      this.#meta[CAPACITY] = usable(MIN_SLOTS);
      this.#meta[SIZE] = 0;
      this.#meta[USED] = 0;
      this.#arena.clear();
    });
  }

  /** The keys, in insertion order, from one atomic snapshot. */
  keys(): string[] {
    return withMutex(this.#meta, MUTEX, () => {
      const out: string[] = [];
      this.#each((e) => out.push(keyString(this.#keyBytes(e))));
      return out;
    });
  }

  /** Copies of the values, in insertion order, from one atomic snapshot. */
  values(): V[] {
    const copied = withMutex(this.#meta, MUTEX, () => {
      const out: CopiedOut[] = [];
      this.#each((e) => out.push(this.#readValue(e)));
      return out;
    });
    return copied.map(copyOut) as V[];
  }

  /** [key, value] pairs (values copied), in insertion order, from one atomic snapshot. */
  entries(): [string, V][] {
    const copied = withMutex(this.#meta, MUTEX, () => {
      const out: [string, CopiedOut][] = [];
      this.#each((e) => out.push([keyString(this.#keyBytes(e)), this.#readValue(e)]));
      return out;
    });
    return copied.map(([k, c]) => [k, copyOut(c) as V]);
  }

  /** Iterates entries() like a Map (a snapshot: changes made meanwhile are not seen). */
  [Symbol.iterator](): Iterator<[string, V]> {
    return this.entries()[Symbol.iterator]();
  }

  toString(): string {
    return `<SharedDict size=${this.size}>`;
  }

  toJSON(): Record<string, V> {
    return Object.fromEntries(this.entries());
  }

  [SHARE]() {
    return { kind: "SharedDict", meta: this.#meta, slots: this.#slotsSab, entries: this.#entriesSab, ...this.#arena.share() };
  }

  // ---- with the mutex held ----

  #apply(pairs: [Key, Encoded][]): void {
    if (pairs.length === 0) return;
    withMutex(this.#meta, MUTEX, () => {
      for (const [k, enc] of pairs) this.#set(k, enc);
    });
  }

  /** The key's entry (or -1) and the slot that holds it, or else the slot a new key would take. */
  #find(k: Key): { slot: number; entry: number } {
    const mask = this.#meta[MASK]!;
    const slots = this.#slots;
    let perturb = k.hash >>> 0;
    let i = perturb & mask;
    let free = -1;
    for (;;) {
      const s = slots[i]!;
      if (s === EMPTY) return { slot: free >= 0 ? free : i, entry: -1 };
      if (s === DUMMY) {
        if (free < 0) free = i;
      } else if (this.#i32[s * ENTRY_WORDS + HASH] === k.hash && this.#keyEquals(s, k.bytes)) {
        return { slot: i, entry: s };
      }
      perturb >>>= 5;
      i = (i * 5 + 1 + perturb) & mask;
    }
  }

  #keyEquals(e: number, bytes: Uint8Array): boolean {
    const b = e * ENTRY_WORDS;
    const n = this.#i32[b + KEY_LEN]!;
    if (n !== bytes.length) return false;
    if (n === 0) return true;
    const u8 = this.#arena.u8;
    const off = this.#i32[b + OFF]!;
    for (let j = 0; j < n; j++) if (u8[off + j] !== bytes[j]) return false;
    return true;
  }

  #set(k: Key, enc: Encoded): void {
    const vbytes = enc.bytes ?? EMPTY_BYTES;
    let { slot, entry } = this.#find(k);
    if (entry >= 0) {
      const b = entry * ENTRY_WORDS;
      if (vbytes.length === 0 && this.#i32[b + VAL_LEN] === 0) {
        // An inline value replacing an inline value (a counter going up): the record stays.
        this.#writeValue(entry, enc.tag, enc.num, 0);
        return;
      }
      // The new record is placed before the old one is freed, so a failure (memory full)
      // leaves the old value; placing it may move the old one, so its offset is read after.
      const off = this.#storeRecord(k.bytes, vbytes);
      const oldLen = this.#i32[b + KEY_LEN]! + this.#i32[b + VAL_LEN]!;
      if (oldLen > 0) this.#arena.free(this.#i32[b + OFF]!, oldLen);
      this.#i32[b + OFF] = off;
      this.#writeValue(entry, enc.tag, enc.num, vbytes.length);
      return;
    }
    if (this.#meta[USED]! >= this.#meta[CAPACITY]!) {
      this.#rebuild(this.#meta[SIZE]! + 1);
      slot = this.#find(k).slot;
    }
    const off = this.#storeRecord(k.bytes, vbytes);
    const e = this.#meta[USED]!;
    const b = e * ENTRY_WORDS;
    this.#i32[b + HASH] = k.hash;
    this.#i32[b + KEY_LEN] = k.bytes.length;
    this.#i32[b + OFF] = off;
    this.#writeValue(e, enc.tag, enc.num, vbytes.length);
    this.#slots[slot] = e;
    this.#meta[USED] = e + 1;
    this.#meta[SIZE] = this.#meta[SIZE]! + 1;
  }

  #writeValue(e: number, tag: Tag, num: number, valLen: number): void {
    const b = e * ENTRY_WORDS;
    this.#i32[b + TAG] = tag;
    this.#i32[b + VAL_LEN] = valLen;
    this.#f64[e * (ENTRY_BYTES / 8) + NUM_F64] = tag === Tag.Number ? num : 0;
  }

  #storeRecord(key: Uint8Array, value: Uint8Array): number {
    const length = key.length + value.length;
    if (length === 0) return 0;
    let record = key;
    if (value.length > 0) {
      record = new Uint8Array(length);
      record.set(key, 0);
      record.set(value, key.length);
    }
    return this.#arena.store(record, () => this.#live());
  }

  *#live(): Iterable<LiveRecord> {
    const w = this.#i32;
    const used = this.#meta[USED]!;
    for (let e = 0; e < used; e++) {
      const b = e * ENTRY_WORDS;
      const keyLen = w[b + KEY_LEN]!;
      if (keyLen === HOLE) continue;
      const length = keyLen + w[b + VAL_LEN]!;
      if (length > 0) yield { offset: w[b + OFF]!, length, moveTo: (o: number) => void (w[b + OFF] = o) };
    }
  }

  /**
   * Sweeps out the holes (keeping insertion order) and re-hashes every entry into a table sized
   * so that at least `need` keys fit with room to grow: each rebuild pays for the inserts that
   * led to it, as CPython's resize does.
   */
  #rebuild(need: number): void {
    const used = this.#meta[USED]!;
    const size = this.#meta[SIZE]!;
    let slots = slotsFor(Math.max(need, size * 2));
    // Near the size limit, room for just `need` keys beats refusing them.
    if (usable(slots) * ENTRY_BYTES > MAX_INDEX_BYTES) slots = slotsFor(need);
    // Grown before anything moves, so running out of memory leaves the table as it was.
    ensureBytes(this.#entriesSab, usable(slots) * ENTRY_BYTES, "SharedDict.set");
    ensureBytes(this.#slotsSab, slots * 4, "SharedDict.set");
    let to = 0;
    for (let e = 0; e < used; e++) {
      if (this.#i32[e * ENTRY_WORDS + KEY_LEN] === HOLE) continue;
      if (to !== e) this.#u8.copyWithin(to * ENTRY_BYTES, e * ENTRY_BYTES, (e + 1) * ENTRY_BYTES);
      to++;
    }
    const mask = slots - 1;
    const table = this.#slots;
    table.fill(EMPTY, 0, slots);
    for (let e = 0; e < size; e++) {
      let perturb = this.#i32[e * ENTRY_WORDS + HASH]! >>> 0;
      let i = perturb & mask;
      while (table[i] !== EMPTY) {
        perturb >>>= 5;
        i = (i * 5 + 1 + perturb) & mask;
      }
      table[i] = e;
    }
    this.#meta[USED] = size;
    this.#meta[MASK] = mask;
    this.#meta[CAPACITY] = usable(slots);
  }

  #each(fn: (e: number) => void): void {
    const used = this.#meta[USED]!;
    for (let e = 0; e < used; e++) if (this.#i32[e * ENTRY_WORDS + KEY_LEN] !== HOLE) fn(e);
  }

  #keyBytes(e: number): Uint8Array {
    const b = e * ENTRY_WORDS;
    const n = this.#i32[b + KEY_LEN]!;
    return n === 0 ? EMPTY_BYTES : this.#arena.read(this.#i32[b + OFF]!, n).slice();
  }

  #readValue(e: number): CopiedOut {
    const b = e * ENTRY_WORDS;
    const tag = this.#i32[b + TAG]! as Tag;
    const valLen = this.#i32[b + VAL_LEN]!;
    if (valLen > 0) {
      const off = this.#i32[b + OFF]! + this.#i32[b + KEY_LEN]!;
      return { tag, num: 0, bytes: this.#arena.read(off, valLen).slice() };
    }
    return { tag, num: tag === Tag.Number ? this.#f64[e * (ENTRY_BYTES / 8) + NUM_F64]! : 0, bytes: null };
  }
}

const EMPTY_BYTES = new Uint8Array(0);

/** Validates and encodes `source`'s pairs outside the mutex, so a bad one changes nothing. */
function pairsOf(source: unknown, what: string): [Key, Encoded][] {
  if (source === null || typeof source !== "object") {
    throw new TypeError(`${what}: expected a plain object, a Map or an iterable of [key, value] pairs, got ${describe(source)}`);
  }
  const out: [Key, Encoded][] = [];
  if (typeof (source as any)[Symbol.iterator] === "function") {
    let n = 0;
    for (const pair of source as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`${what}: item #${n} is not a [key, value] pair, got ${describe(pair)}`);
      }
      out.push([toKey(pair[0], `${what} item #${n}`), copyIn(pair[1], `${what} value for ${describe(pair[0])}`)]);
      n++;
    }
    return out;
  }
  for (const key of Object.keys(source)) out.push([toKey(key, what), copyIn((source as any)[key], `${what} value for ${describe(key)}`)]);
  return out;
}

registerReviver("SharedDict", (h) => {
  const meta = sharedView(h, "meta", Int32Array, META_WORDS);
  const slots = growableBufferOf(h, "slots", 4);
  const entries = growableBufferOf(h, "entries", 1);
  const mask = Atomics.load(meta, MASK);
  // A table whose mask isn't 2^k - 1 or outruns its buffers would send probes out of bounds or round forever.
  if (mask < MIN_SLOTS - 1 || (mask & (mask + 1)) !== 0 || (mask + 1) * 4 > slots.byteLength || usable(mask + 1) * ENTRY_BYTES > entries.byteLength) {
    throw badHandle("SharedDict's table does not match its buffers");
  }
  return attach({ meta, slots, entries, ...checkArena(h) } satisfies DictShare, () => new SharedDict());
});
