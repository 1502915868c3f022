/**
 * SharedDict: a Python dict with string keys in shared memory. Each operation takes the dict's
 * robust mutex, so every single call is atomic, as a dict operation is under CPython's GIL.
 * Values are copied in and out (value-codec.ts).
 *
 * The table is CPython's compact dict: entries are appended in insertion order (so iteration
 * needs no sorting) and a separate open-addressed table of slots maps a key's hash to its entry
 * (so lookups need no scan). Deleting leaves a hole in the entries and a DUMMY in the slots; both
 * are swept when the entries run out and the table is rebuilt.
 *
 * `meta` (Int32, its own SharedArrayBuffer):
 *   0  MUTEX      robust mutex guarding everything below, the slots, the entries and the arena
 *                 (runtime/critical.ts)
 *   1  OP         IDLE, MUTATING while a holder changes the dict, BROKEN if one died doing so
 *   2  SIZE       live keys
 *   3  USED       entries appended since the last rebuild, holes included (the next entry)
 *   4  MASK       slots - 1 (slots is a power of two)
 *   5  CAPACITY   entries allowed before a rebuild: 2/3 of the slots, so probes always end
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
 *
 * Critical sections allocate nothing: keys are hashed and records built before, values decoded
 * after, copied out into the instance's OutBuffers (container.ts).
 */
import { describe } from "../common/checks.js";
import { checkArena, SharedArena, type ArenaRecords, type ArenaShare } from "../memory/arena.js";
import { hasBytes, Tag, type Encoded } from "../ship/value-codec.js";
import { attach, badHandle, growableBufferOf, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { GrowableViews } from "../memory/views.js";
import { changing, copyIn, ensureBytes, growableBuffer, MAX_INDEX_BYTES, NO_ROOM, OutBuffers, withMutex, withRoom } from "./container.js";
import { showAsRepr } from "../common/repr.js";

const SIZE = 2;
const USED = 3;
const MASK = 4;
const CAPACITY = 5;
const META_WORDS = 6;
const NAME = "SharedDict";

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

/** A value ready for the table: encoded, and its record (key bytes, then value bytes) built. */
interface Entry {
  key: Key;
  enc: Encoded;
  record: Uint8Array;
  valLen: number;
}

function entryOf(key: Key, enc: Encoded): Entry {
  const vbytes = hasBytes(enc.tag) ? enc.bytes! : EMPTY_BYTES;
  let record = key.bytes;
  if (vbytes.length > 0) {
    record = new Uint8Array(key.bytes.length + vbytes.length);
    record.set(key.bytes, 0);
    record.set(vbytes, key.bytes.length);
  }
  return { key, enc, record, valLen: vbytes.length };
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

/**
 * A string-keyed dictionary shared by reference between threads: each single operation is atomic,
 * values are copied in and out (see docs/shared-data.md).
 */
export class SharedDict<V = unknown> implements Shareable, Iterable<[string, V]> {
  readonly #meta: Int32Array;
  readonly #slotsSab: SharedArrayBuffer;
  readonly #entriesSab: SharedArrayBuffer;
  /** Views of the slots and the entries, renewed when any thread has grown them (memory/views.ts). */
  readonly #sv: GrowableViews;
  readonly #ev: GrowableViews;
  /** What each critical section renews first: the views of the slots, the entries and the arena. */
  readonly #views = {
    renew: (): void => {
      this.#sv.renewTo((this.#meta[MASK]! + 1) * 4);
      this.#ev.renewTo(this.#meta[CAPACITY]! * ENTRY_BYTES);
      this.#arena.renew();
    },
  };
  readonly #arena: SharedArena;
  readonly #out = new OutBuffers();
  /** The slot #find found the key in (or would put it in): a field, so finding allocates nothing. */
  #slot = 0;
  /** The entries' arena records, for compaction (methods, so compacting allocates nothing). */
  readonly #records: ArenaRecords = {
    recordCount: () => this.#meta[USED]!,
    recordOffset: (e) => this.#i32[e * ENTRY_WORDS + OFF]!,
    recordLength: (e) => {
      const keyLen = this.#i32[e * ENTRY_WORDS + KEY_LEN]!;
      return keyLen === HOLE ? 0 : keyLen + this.#i32[e * ENTRY_WORDS + VAL_LEN]!;
    },
    moveRecord: (e, offset) => void (this.#i32[e * ENTRY_WORDS + OFF] = offset),
  };

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
    this.#sv = new GrowableViews(this.#slotsSab);
    this.#ev = new GrowableViews(this.#entriesSab);
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
    const out = this.#out;
    const found = withRoom(out, () =>
      this.#locked(() => {
        const e = this.#find(k);
        if (e < 0) return false;
        if (!out.fits(1, this.#i32[e * ENTRY_WORDS + VAL_LEN]!)) return NO_ROOM;
        this.#copyAt(e, 0, 0, false);
        return true;
      }),
    );
    return found ? (out.value(0, 0) as V) : undefined;
  }

  /** Stores a copy of value under key; a new key goes last in iteration order, an existing one keeps its place. */
  set(key: string, value: V): void {
    const what = "SharedDict.set(key, value)";
    this.#apply([entryOf(toKey(key, what), copyIn(value, what))]);
  }

  /** True if key is in the dictionary. */
  has(key: string): boolean {
    const k = toKey(key, "SharedDict.has(key)");
    return this.#locked(() => this.#find(k) >= 0);
  }

  /** Removes key; true if it was there. */
  delete(key: string): boolean {
    const k = toKey(key, "SharedDict.delete(key)");
    return this.#locked(() => {
      const entry = this.#find(k);
      if (entry < 0) return false;
      changing(this.#meta);
      this.#slots[this.#slot] = DUMMY;
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
    this.#apply(pairsOf(source, "SharedDict.update(source)"));
  }

  /** Removes every key. */
  clear(): void {
    this.#locked(() => {
      changing(this.#meta);
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
    return this.#snapshot(true, false, (key) => key);
  }

  /** Copies of the values, in insertion order, from one atomic snapshot. */
  values(): V[] {
    return this.#snapshot(false, true, (_, value) => value);
  }

  /** [key, value] pairs (values copied), in insertion order, from one atomic snapshot. */
  entries(): [string, V][] {
    return this.#snapshot(true, true, (key, value) => [key, value]);
  }

  /**
   * Copies the live entries out under the mutex (keys and/or values), then decodes them with
   * the mutex released.
   */
  #snapshot<R>(keys: boolean, values: boolean, make: (key: string, value: V) => R): R[] {
    const out = this.#out;
    const n = withRoom(out, () =>
      this.#locked(() => {
        const used = this.#meta[USED]!;
        let bytes = 0;
        for (let e = 0; e < used; e++) {
          const b = e * ENTRY_WORDS;
          const keyLen = this.#i32[b + KEY_LEN]!;
          if (keyLen !== HOLE) bytes += (keys ? keyLen : 0) + (values ? this.#i32[b + VAL_LEN]! : 0);
        }
        const n = this.#meta[SIZE]!;
        if (!out.fits(n, bytes)) return NO_ROOM;
        for (let e = 0, k = 0, at = 0; e < used; e++) {
          if (this.#i32[e * ENTRY_WORDS + KEY_LEN] === HOLE) continue;
          at += this.#copyAt(e, k++, at, keys, values);
        }
        return n;
      }),
    );
    const result = new Array<R>(n);
    for (let k = 0, at = 0; k < n; k++) {
      const keyLen = keys ? out.keyLens[k]! : 0;
      const key = keys ? keyString(out.bytes.subarray(at, at + keyLen)) : "";
      at += keyLen;
      const value = values ? (out.value(k, at) as V) : (undefined as V);
      if (values) at += out.lens[k]!;
      result[k] = make(key, value);
    }
    return result;
  }

  /** Iterates entries() like a Map (a snapshot: changes made meanwhile are not seen). */
  [Symbol.iterator](): Iterator<[string, V]> {
    return this.entries()[Symbol.iterator]();
  }

  toString(): string {
    return `<SharedDict size=${this.size}>`;
  }

  /** A copy of the entries as a plain object, for JSON.stringify. */
  toJSON(): Record<string, V> {
    return Object.fromEntries(this.entries());
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    return { kind: "SharedDict", meta: this.#meta, slots: this.#slotsSab, entries: this.#entriesSab, ...this.#arena.share() };
  }

  // ---- with the mutex held ----

  #locked<R>(fn: () => R): R {
    return withMutex(this.#meta, NAME, this.#views, fn);
  }

  /** Stores every prepared entry, as one atomic change. */
  #apply(entries: Entry[]): void {
    if (entries.length === 0) return;
    let bytes = 0;
    for (const p of entries) bytes += p.record.length;
    withRoom(this.#out, () =>
      this.#locked(() => {
        const meta = this.#meta;
        // Compaction sorts up to USED + entries record numbers (a rebuild only lowers USED).
        if (!this.#out.fitsScratch(meta[USED]! + entries.length)) return NO_ROOM;
        this.#prepareTable(entries.length);
        this.#arena.prepare(bytes);
        changing(meta);
        for (let j = 0; j < entries.length; j++) this.#set(entries[j]!);
      }),
    );
  }

  /**
   * Before adding up to `adding` keys: grows the buffers to what the rebuilds this may cause can
   * use (see #rebuild), so that changing the table allocates nothing.
   */
  #prepareTable(adding: number): void {
    const meta = this.#meta;
    if (meta[USED]! + adding <= meta[CAPACITY]!) return;
    const keys = meta[SIZE]! + adding;
    let slots = slotsFor(keys * 2);
    if (usable(slots) * ENTRY_BYTES > MAX_INDEX_BYTES) slots = slotsFor(keys);
    ensureBytes(this.#ev, usable(slots) * ENTRY_BYTES, "SharedDict.set");
    ensureBytes(this.#sv, slots * 4, "SharedDict.set");
  }

  get #slots(): Int32Array {
    return this.#sv.i32;
  }

  get #i32(): Int32Array {
    return this.#ev.i32;
  }

  get #f64(): Float64Array {
    return this.#ev.f64;
  }

  get #u8(): Uint8Array {
    return this.#ev.u8;
  }

  /**
   * The key's entry, or -1; sets #slot to the slot that holds it, or else the slot a new key
   * would take.
   */
  #find(k: Key): number {
    const mask = this.#meta[MASK]!;
    const slots = this.#slots;
    let perturb = k.hash >>> 0;
    let i = perturb & mask;
    let free = -1;
    for (;;) {
      const s = slots[i]!;
      if (s === EMPTY) {
        this.#slot = free >= 0 ? free : i;
        return -1;
      }
      if (s === DUMMY) {
        if (free < 0) free = i;
      } else if (this.#i32[s * ENTRY_WORDS + HASH] === k.hash && this.#keyEquals(s, k.bytes)) {
        this.#slot = i;
        return s;
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

  #set(p: Entry): void {
    const entry = this.#find(p.key);
    if (entry >= 0) {
      const b = entry * ENTRY_WORDS;
      if (p.valLen === 0 && this.#i32[b + VAL_LEN] === 0) {
        // An inline value replacing an inline value (a counter going up): the record stays.
        this.#writeValue(entry, p.enc, 0);
        return;
      }
      // The new record is placed before the old one is freed, so a failure (memory full)
      // leaves the old value; placing it may move the old one, so its offset is read after.
      const off = this.#storeRecord(p.record);
      const oldLen = this.#i32[b + KEY_LEN]! + this.#i32[b + VAL_LEN]!;
      if (oldLen > 0) this.#arena.free(this.#i32[b + OFF]!, oldLen);
      this.#i32[b + OFF] = off;
      this.#writeValue(entry, p.enc, p.valLen);
      return;
    }
    if (this.#meta[USED]! >= this.#meta[CAPACITY]!) {
      this.#rebuild(this.#meta[SIZE]! + 1);
      this.#find(p.key);
    }
    const slot = this.#slot;
    const off = this.#storeRecord(p.record);
    const e = this.#meta[USED]!;
    const b = e * ENTRY_WORDS;
    this.#i32[b + HASH] = p.key.hash;
    this.#i32[b + KEY_LEN] = p.key.bytes.length;
    this.#i32[b + OFF] = off;
    this.#writeValue(e, p.enc, p.valLen);
    this.#slots[slot] = e;
    this.#meta[USED] = e + 1;
    this.#meta[SIZE] = this.#meta[SIZE]! + 1;
  }

  #writeValue(e: number, enc: Encoded, valLen: number): void {
    const b = e * ENTRY_WORDS;
    this.#i32[b + TAG] = enc.tag;
    this.#i32[b + VAL_LEN] = valLen;
    this.#f64[e * (ENTRY_BYTES / 8) + NUM_F64] = enc.tag === Tag.Number ? enc.num : 0;
  }

  #storeRecord(record: Uint8Array): number {
    return record.length === 0 ? 0 : this.#arena.store(record, this.#records, this.#out.scratch);
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
    // #prepareTable grew them already (short of the limit): these only check.
    ensureBytes(this.#ev, usable(slots) * ENTRY_BYTES, "SharedDict.set");
    ensureBytes(this.#sv, slots * 4, "SharedDict.set");
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

  /** Copies entry e out as item k, its key and/or value bytes from `at`; returns their length. */
  #copyAt(e: number, k: number, at: number, key: boolean, value = true): number {
    const out = this.#out;
    const b = e * ENTRY_WORDS;
    const off = this.#i32[b + OFF]!;
    const keyLen = this.#i32[b + KEY_LEN]!;
    const valLen = this.#i32[b + VAL_LEN]!;
    const tag = this.#i32[b + TAG]! as Tag;
    let n = 0;
    if (key) {
      out.keyLens[k] = keyLen;
      this.#arena.copyOut(off, keyLen, out.bytes, at);
      n += keyLen;
    }
    if (value) {
      out.tags[k] = tag;
      out.lens[k] = valLen;
      out.nums[k] = tag === Tag.Number ? this.#f64[e * (ENTRY_BYTES / 8) + NUM_F64]! : 0;
      this.#arena.copyOut(off + keyLen, valLen, out.bytes, at + n);
      n += valLen;
    }
    return n;
  }
}

const EMPTY_BYTES = new Uint8Array(0);

/** Validates and encodes `source`'s pairs outside the mutex, so a bad one changes nothing. */
function pairsOf(source: unknown, what: string): Entry[] {
  if (source === null || typeof source !== "object") {
    throw new TypeError(`${what}: expected a plain object, a Map or an iterable of [key, value] pairs, got ${describe(source)}`);
  }
  const out: Entry[] = [];
  if (typeof (source as any)[Symbol.iterator] === "function") {
    let n = 0;
    for (const pair of source as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`${what}: item #${n} is not a [key, value] pair, got ${describe(pair)}`);
      }
      out.push(entryOf(toKey(pair[0], `${what} item #${n}`), copyIn(pair[1], `${what} value for ${describe(pair[0])}`)));
      n++;
    }
    return out;
  }
  for (const key of Object.keys(source)) out.push(entryOf(toKey(key, what), copyIn((source as any)[key], `${what} value for ${describe(key)}`)));
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

showAsRepr(SharedDict);
