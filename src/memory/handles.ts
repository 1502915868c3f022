/**
 * Handles: how a skein object (a Lock, a Queue, a Thread, ...) crosses into another thread: the
 * kind of object and the shared memory it lives in. The
 * sending side asks the object for a handle (its SharedArrayBuffers and a few numbers); the
 * receiving side rebuilds a live object over the same memory. Handles travel in a side table
 * next to the data (see values.ts), never inside it, so no value a program sends can pose as
 * one. Every reviver validates what it attaches to before any user code can touch it.
 *
 * The one way to revive: a reviver calls `attach(parts, () => new Kind(...))`, and the
 * constructor takes `takeAttached()` first thing instead of allocating; so public constructors
 * take only what users pass.
 */
import type { MessagePort } from "node:worker_threads";
import { loadApi } from "../common/own-api.js";

/**
 * The method by which a skein object describes itself for another thread. A private symbol, not
 * a registered one: no other code and no data can make an object look shareable.
 */
export const SHARE: unique symbol = Symbol("skein.share");

/** A handle: the kind, then whatever that kind's reviver reads (buffers, numbers, other handles). */
export interface Handle {
  kind: string;
  [part: string]: unknown;
}

/** What a skein object can ask for while describing itself. */
export interface ShareContext {
  /** A nested skein object (a Condition's lock): its handle's index in the same side table. */
  ref(obj: Shareable): number;
  /** Code the program passed (a Barrier action: a ship/shipment.ts Unit), shipped next to the values: its index. */
  code(unit: object): number;
  /** A port that moves to the receiving thread with the message. */
  transfer(port: MessagePort): void;
}

export interface Shareable {
  [SHARE](ctx: ShareContext): Handle;
}

export function isShareable(v: unknown): v is Shareable {
  return v !== null && typeof v === "object" && typeof (v as { [SHARE]?: unknown })[SHARE] === "function";
}

/** What a reviver gets besides its handle: the handles and code it may refer to, by index. */
export interface ReviveContext {
  /** The object revived from handle `index`, which must be one of `kinds`. */
  handle(index: unknown, kinds: readonly string[], what: string): object;
  /** The code shipped next to the values at `index` (a Barrier action: a ship/shipment.ts Unit). */
  code(index: unknown, what: string): object;
  /** Work that must finish before user code runs in this thread (loading that code's imports). */
  later(work: Promise<unknown>): void;
}

type Reviver = (h: Handle, ctx: ReviveContext) => object;
const revivers = new Map<string, Reviver>();

/** Each shareable class registers how to rebuild itself, validating its handle as it goes. */
export function registerReviver(kind: string, reviver: Reviver): void {
  revivers.set(kind, reviver);
}

export function reviverFor(kind: unknown): Reviver {
  if (typeof kind !== "string") throw badHandle(`its kind ${JSON.stringify(kind)} is not one skein shares`);
  // A worker loads most classes with the API, the first time it is sent one (common/own-api.ts).
  const r = revivers.get(kind) ?? (loadApi() ? revivers.get(kind) : undefined);
  if (!r) throw badHandle(`its kind ${JSON.stringify(kind)} is not one skein shares`);
  return r;
}

/** The TypeError every invalid handle becomes, at revival, before any user code runs. */
export function badHandle(why: string): TypeError {
  return new TypeError(`skein can't revive a shared object in this thread: ${why}`);
}

type View = Int32Array | Float64Array | BigInt64Array;
type ViewCtor<V extends View> = { new (...a: any[]): V; readonly name: string };

/**
 * Checks that `h[part]` is a `Ctor` over a SharedArrayBuffer with exactly `length` elements
 * starting at `offset` bytes, and returns it.
 */
export function sharedView<V extends View>(h: Handle, part: string, Ctor: ViewCtor<V>, length: number, offset = 0): V {
  const v = h[part];
  if (!(v instanceof Ctor) || !(v.buffer instanceof SharedArrayBuffer)) {
    throw badHandle(`${h.kind}.${part} must be ${/^[AEIOU]/.test(Ctor.name) ? "an" : "a"} ${Ctor.name} over a SharedArrayBuffer`);
  }
  if (v.length !== length || v.byteOffset !== offset) {
    throw badHandle(`${h.kind}.${part} must have ${length} elements at byte ${offset}, got ${v.length} at byte ${v.byteOffset}`);
  }
  return v;
}

/** Checks that `h[part]` is a growable SharedArrayBuffer (queues and containers grow in place). */
export function growableBufferOf(h: Handle, part: string, unitBytes: number): SharedArrayBuffer {
  const b = h[part];
  if (!(b instanceof SharedArrayBuffer) || !b.growable) throw badHandle(`${h.kind}.${part} must be a growable SharedArrayBuffer`);
  if (b.byteLength % unitBytes !== 0) throw badHandle(`${h.kind}.${part} must hold whole ${unitBytes}-byte entries, has ${b.byteLength} bytes`);
  return b;
}

/** Checks that `h[part]` is an integer in [min, max]. */
export function integer(h: Handle, part: string, min: number, max: number): number {
  const n = h[part];
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw badHandle(`${h.kind}.${part} must be an integer from ${min} to ${max}, got ${typeof n === "number" ? n : typeof n}`);
  }
  return n;
}

/** Checks that `h[part]` is a value of the given primitive type. */
export function primitive<T extends "string" | "boolean" | "number">(h: Handle, part: string, type: T): T extends "string" ? string : T extends "boolean" ? boolean : number {
  const v = h[part];
  if (typeof v !== type) throw badHandle(`${h.kind}.${part} must be a ${type}, got ${typeof v}`);
  return v as any;
}

let attaching: unknown = null;

/** Builds an object over existing shared memory: `make` calls the public constructor. */
export function attach<T>(parts: unknown, make: () => T): T {
  attaching = parts;
  try {
    return make();
  } finally {
    attaching = null;
  }
}

/** A constructor's first step: the parts a reviver is attaching, or null for a new object. */
export function takeAttached<T>(): T | null {
  const d = attaching as T | null;
  attaching = null;
  return d;
}
