/**
 * What SharedList and SharedDict have in common: their growable index buffers, copying values
 * in and out around the container's mutex, and Python's index rules. The layouts themselves
 * belong to shared-list.ts and shared-dict.ts.
 */
import { enter, IDLE, leave, MUTATING } from "../runtime/critical.js";
import type { GrowableViews } from "../memory/views.js";
import { decodeValue, encodeValue, hasBytes, Tag, type Encoded } from "../ship/value-codec.js";
import { describe } from "../common/checks.js";
import { isShareable } from "../memory/handles.js";

/** Index buffers reserve this much address space up front; growth never moves them. */
export const MAX_INDEX_BYTES = 2 ** 30;

export function growableBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes, { maxByteLength: MAX_INDEX_BYTES });
}

/** Grows an index to at least `need` bytes, doubling so that appends stay amortized O(1). */
export function ensureBytes(views: GrowableViews, need: number, what: string): void {
  if (need <= views.u8.length) return;
  views.renew(); // another thread may have grown it already
  if (need <= views.u8.length) return;
  if (need > MAX_INDEX_BYTES) {
    throw new RangeError(`${what}: the container is full (its index is limited to ${MAX_INDEX_BYTES} bytes); split the data over several containers`);
  }
  views.grow(Math.min(MAX_INDEX_BYTES, Math.max(need, views.u8.length * 2)));
}

/** The container words every layout starts with. */
export const MUTEX = 0;
/** IDLE, MUTATING or BROKEN (runtime/critical.ts). */
export const OP = 1;

/** What a container renews at the start of each critical section (its GrowableViews). */
export interface Renewable {
  renew(): void;
}

/**
 * Runs `fn` with the container's robust mutex held, its views renewed first. Waits without a
 * timeout: every holder only runs a short critical section that allocates nothing. `fn` calls
 * changing() before it changes anything, after whatever may fail or allocate (checks, growth).
 */
export function withMutex<R>(meta: Int32Array, name: string, views: Renewable, fn: () => R): R {
  enter(meta, MUTEX, OP, name);
  try {
    views.renew();
    return fn();
  } finally {
    meta[OP] = IDLE;
    leave(meta, MUTEX);
  }
}

/** From here to the end of the critical section, the container is being changed. */
export function changing(meta: Int32Array): void {
  meta[OP] = MUTATING;
}

/** What a critical section answers when the thread's OutBuffers are too small: grow, try again. */
export const NO_ROOM = Symbol("no room");

/**
 * One container's buffers for what its critical sections copy out, grown outside them (a
 * critical section allocates nothing): values' bytes and, per item, its tag, number and lengths;
 * record numbers for arena compaction.
 */
export class OutBuffers {
  bytes = new Uint8Array(256);
  tags = new Int32Array(16);
  nums = new Float64Array(16);
  lens = new Int32Array(16);
  keyLens = new Int32Array(16);
  scratch = new Int32Array(16);
  #needItems = 0;
  #needBytes = 0;

  /** True if `items` items of `bytes` bytes in all fit; else remembers the need (answer NO_ROOM). */
  fits(items: number, bytes: number): boolean {
    if (items <= this.tags.length && bytes <= this.bytes.length) return true;
    this.#needItems = items;
    this.#needBytes = bytes;
    return false;
  }

  /** True if compaction can sort `records` record numbers in `scratch`. */
  fitsScratch(records: number): boolean {
    if (records <= this.scratch.length) return true;
    this.#needItems = Math.max(this.#needItems, records);
    return false;
  }

  /** Grows to what the last fits() lacked (outside the mutex). */
  grow(): void {
    if (this.#needBytes > this.bytes.length) this.bytes = new Uint8Array(Math.max(this.#needBytes, this.bytes.length * 2));
    const n = this.#needItems;
    if (n > this.tags.length) {
      const size = Math.max(n, this.tags.length * 2);
      this.tags = new Int32Array(size);
      this.nums = new Float64Array(size);
      this.lens = new Int32Array(size);
      this.keyLens = new Int32Array(size);
    }
    if (n > this.scratch.length) this.scratch = new Int32Array(Math.max(n, this.scratch.length * 2));
  }

  /** Item k's value, decoded (outside the mutex) from where the copy put it (`at` bytes in). */
  value(k: number, at: number): unknown {
    const tag = this.tags[k]! as Tag;
    return decodeValue(tag, this.nums[k]!, hasBytes(tag) ? this.bytes.subarray(at, at + this.lens[k]!) : null);
  }
}

/** Runs `attempt` until it finds room (it answers NO_ROOM after out.fits() said no). */
export function withRoom<R>(out: OutBuffers, attempt: () => R | typeof NO_ROOM): R {
  for (;;) {
    const r = attempt();
    if (r !== NO_ROOM) return r;
    out.grow();
  }
}

/**
 * Encodes a value for storing. A skein object would serialize as an empty object (its state is
 * private shared memory), so it is refused here instead of silently losing it.
 */
export function copyIn(value: unknown, what: string): Encoded {
  if (isShareable(value)) {
    throw new TypeError(
      `${what}: a skein ${(value as object).constructor?.name ?? "object"} can't be stored in a shared container (values are copied); ` +
        `pass it to threads in args instead`,
    );
  }
  return encodeValue(value, what);
}

/** An index argument: a number (TypeError otherwise) that is an integer (RangeError otherwise). */
export function checkInteger(i: unknown, what: string, name = "index"): number {
  if (typeof i !== "number") throw new TypeError(`${what}: ${name} must be an integer, got ${describe(i)}`);
  if (!Number.isInteger(i)) throw new RangeError(`${what}: ${name} must be an integer, got ${i}`);
  return i;
}

/** Python's item index: negative counts from the end; out of range is a RangeError. */
export function resolveIndex(i: number, length: number, what: string, problem = "list index out of range"): number {
  const at = i < 0 ? i + length : i;
  if (at < 0 || at >= length) {
    const hint = length === 0 ? "the list is empty" : `use an index from ${-length} to ${length - 1}`;
    throw new RangeError(`${what}: ${problem} (index ${i}, length ${length}); ${hint}`);
  }
  return at;
}
