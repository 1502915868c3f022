/**
 * How values are copied into and out of shared memory (queues, SharedList, SharedDict): numbers
 * travel inline as float64 with no bytes at all, strings as UTF-8, plain data through V8's
 * structured serializer, and data holding class instances, errors or functions as a packed value
 * (values.ts) so that they arrive as themselves. Shared memory can't hold references, so skein
 * objects and shared typed arrays are a TypeError naming the operation (they travel in args).
 */
import { deserialize, serialize } from "node:v8";
import { needsPacking, pack, unpack, type Packed } from "./values.js";

export const Tag = { Number: 1, String: 2, V8: 3, Undefined: 4, Null: 5, True: 6, False: 7, Packed: 8 } as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

export interface Encoded {
  tag: Tag;
  /** For Tag.Number. */
  num: number;
  /** For Tag.String, Tag.V8 and Tag.Packed. */
  bytes: Uint8Array | null;
}

/** True for the tags whose value lives in bytes. */
export function hasBytes(tag: Tag): boolean {
  return tag === Tag.String || tag === Tag.V8 || tag === Tag.Packed;
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
    case "symbol":
      throw new TypeError(`${what}: a symbol can't be copied into shared memory; pass data`);
  }
  if (value === null) return { tag: Tag.Null, num: 0, bytes: null };
  if (needsPacking(value, what)) {
    let packed: Packed;
    try {
      packed = pack(value, "the item", { intoSharedMemory: true });
    } catch (e) {
      // Named as the call's item: "Queue.put: the item is a Socket, ...", "...: the item.cb can't ...".
      throw e instanceof TypeError ? new TypeError(`${what}: ${e.message}`, { cause: e }) : e;
    }
    return { tag: Tag.Packed, num: 0, bytes: serialize(packed) };
  }
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
    case Tag.Packed:
      return unpack(deserialize(bytes!.slice()) as Packed).value;
    default:
      return deserialize(bytes!.slice());
  }
}
