/**
 * How values are copied into and out of shared memory (queues, SharedList, SharedDict): numbers
 * travel inline as float64 with no bytes at all, strings as UTF-8, everything else through V8's
 * structured serializer. Shared memory can't hold references, so what V8 can't serialize
 * (functions, SharedArrayBuffers, skein objects) is a TypeError naming the operation.
 */
import { deserialize, serialize } from "node:v8";

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
      return { tag: Tag.String, num: 0, bytes: encoder.encode(value) };
    case "undefined":
      return { tag: Tag.Undefined, num: 0, bytes: null };
    case "boolean":
      return { tag: value ? Tag.True : Tag.False, num: 0, bytes: null };
    case "function":
    case "symbol":
      throw new TypeError(`${what}: a ${typeof value} can't be copied into shared memory; pass data`);
  }
  if (value === null) return { tag: Tag.Null, num: 0, bytes: null };
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
