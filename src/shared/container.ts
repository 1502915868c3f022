/**
 * What SharedList and SharedDict have in common: their growable index buffers, copying values
 * in and out around the container's mutex, and Python's index rules. The layouts themselves
 * belong to shared-list.ts and shared-dict.ts.
 */
import { unlock } from "../memory/futex-mutex.js";
import { lockMutex } from "../runtime/wait.js";
import { decodeValue, encodeValue, hasBytes, Tag, type Encoded } from "../ship/value-codec.js";
import { describe } from "../common/checks.js";
import { isShareable } from "../memory/handles.js";

/** Index buffers reserve this much address space up front; growth never moves them. */
export const MAX_INDEX_BYTES = 2 ** 30;

export function growableBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes, { maxByteLength: MAX_INDEX_BYTES });
}

/** Grows `sab` to at least `need` bytes, doubling so that appends stay amortized O(1). */
export function ensureBytes(sab: SharedArrayBuffer, need: number, what: string): void {
  if (need <= sab.byteLength) return;
  if (need > MAX_INDEX_BYTES) {
    throw new RangeError(`${what}: the container is full (its index is limited to ${MAX_INDEX_BYTES} bytes); split the data over several containers`);
  }
  sab.grow(Math.min(MAX_INDEX_BYTES, Math.max(need, sab.byteLength * 2)));
}

/**
 * Runs `fn` with the container's mutex (word `at` of `meta`) held. Waits without a timeout: every
 * holder only runs a short, non-blocking critical section.
 */
export function withMutex<R>(meta: Int32Array, at: number, fn: () => R): R {
  lockMutex(meta, at);
  try {
    return fn();
  } finally {
    unlock(meta, at);
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

/** A value read out under the mutex; bytes are a private copy, decoded after the mutex is released. */
export interface CopiedOut {
  tag: Tag;
  num: number;
  bytes: Uint8Array | null;
}

const EMPTY = new Uint8Array(0);

export function copyOut(c: CopiedOut): unknown {
  return decodeValue(c.tag, c.num, hasBytes(c.tag) ? (c.bytes ?? EMPTY) : null);
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
