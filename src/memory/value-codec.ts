/**
 * How values are copied into and out of shared memory (queues, SharedList, SharedDict): numbers
 * travel inline as float64 with no bytes at all, strings as UTF-8, everything else through V8's
 * structured serializer. Shared memory can't hold references, so what V8 can't serialize
 * (functions, SharedArrayBuffers, skein objects) is a TypeError naming the operation.
 */
import { deserialize, serialize } from "node:v8";
import { isShareable } from "./handles.js";

export const Tag = { Number: 1, String: 2, V8: 3, Undefined: 4, Null: 5, True: 6, False: 7 } as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

export interface Encoded {
  tag: Tag;
  /** For Tag.Number. */
  num: number;
  /** For Tag.String and Tag.V8. */
  bytes: Uint8Array | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeValue(value: unknown, what: string): Encoded {
  switch (typeof value) {
    case "number":
      return { tag: Tag.Number, num: value, bytes: null };
    case "string":
      // UTF-8 can't carry a lone surrogate; V8's serializer keeps such strings exact.
      if (value.isWellFormed()) return { tag: Tag.String, num: 0, bytes: encoder.encode(value) };
      return { tag: Tag.V8, num: 0, bytes: serialize(value) };
    case "undefined":
      return { tag: Tag.Undefined, num: 0, bytes: null };
    case "boolean":
      return { tag: value ? Tag.True : Tag.False, num: 0, bytes: null };
    case "function":
    case "symbol":
      throw new TypeError(`${what}: a ${typeof value} can't be copied into shared memory; pass data`);
  }
  if (value === null) return { tag: Tag.Null, num: 0, bytes: null };
  rejectShared(value, what, new Set());
  try {
    return { tag: Tag.V8, num: 0, bytes: serialize(value) };
  } catch (e) {
    throw new TypeError(`${what}: the value can't be copied into shared memory (${(e as Error).message}); pass plain data instead`);
  }
}

/** Reads a value back; `bytes` is copied out first, so the shared buffer can change afterwards. */
export function decodeValue(tag: Tag, num: number, bytes: Uint8Array | null): unknown {
  switch (tag) {
    case Tag.Number:
      return num;
    case Tag.String:
      return decoder.decode(bytes!.slice());
    case Tag.Undefined:
      return undefined;
    case Tag.Null:
      return null;
    case Tag.True:
      return true;
    case Tag.False:
      return false;
    default:
      return deserialize(bytes!.slice());
  }
}

/** V8 would copy a skein object as an empty {}: say so instead of losing it silently. */
function rejectShared(value: unknown, what: string, seen: Set<object>): void {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  if (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer) {
    throw new TypeError(`${what}: a ${value.constructor.name} over shared memory would arrive as a private copy; pass it to threads in their args to share it`);
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  if (isShareable(value)) {
    throw new TypeError(`${what}: a skein ${(value as object).constructor.name} can't be copied into shared memory; pass it to threads in their args instead`);
  }
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      rejectShared(k, what, seen);
      rejectShared(v, what, seen);
    }
  } else if (value instanceof Set || Array.isArray(value)) {
    for (const v of value) rejectShared(v, what, seen);
  } else {
    for (const k of Object.keys(value)) rejectShared((value as Record<string, unknown>)[k], what, seen);
  }
}
