/**
 * How values cross into another thread. skein objects are replaced by small descriptors holding
 * their SharedArrayBuffers (so both threads see the same memory) and revived on the other side;
 * SharedArrayBuffers and typed arrays over them are shared by postMessage itself; everything
 * else is structured-cloned. Anything that can't travel is reported with its path.
 */

export const SHARE = Symbol.for("skein.share");
const MARK = "\u0000skein";

export interface Shareable {
  [SHARE](): { kind: string; data: unknown };
}

type Reviver = (data: any) => unknown;
const revivers = new Map<string, Reviver>();

/** Each shareable class registers how to rebuild itself from its descriptor. */
export function registerReviver(kind: string, reviver: Reviver): void {
  revivers.set(kind, reviver);
}

function isShareable(v: object): v is Shareable {
  return typeof (v as any)[SHARE] === "function";
}

/** Replaces skein objects by descriptors; throws a TypeError naming `path` for what can't travel. */
export function encode(value: unknown, path: string, seen = new Map<object, unknown>()): unknown {
  if (typeof value === "function") {
    throw new TypeError(
      `${path} is a function, which can't be sent to another thread; ` +
        `define it inside the target, import it in the target's module, or pass data instead`,
    );
  }
  if (typeof value === "symbol") {
    throw new TypeError(`${path} is a symbol, which can't be sent to another thread; pass a string instead`);
  }
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return seen.get(value);
  if (isShareable(value)) {
    const d = { [MARK]: value[SHARE]() };
    seen.set(value, d);
    return d;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return value;
  if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet || value instanceof WeakRef) {
    throw new TypeError(`${path} is a ${value.constructor.name}, which can't be sent to another thread`);
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out.push(encode(value[i], `${path}[${i}]`, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    let i = 0;
    for (const [k, v] of value) {
      out.set(encode(k, `${path} key #${i}`, seen), encode(v, `${path}.get(${JSON.stringify(String(k))})`, seen));
      i++;
    }
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    let i = 0;
    for (const v of value) out.add(encode(v, `${path} item #${i++}`, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const k of Object.keys(value)) out[k] = encode((value as any)[k], `${path}.${k}`, seen);
    return out;
  }
  // Dates, RegExps, Errors, class instances: structured clone decides (class instances arrive
  // as plain objects, as with postMessage).
  try {
    structuredClone(value);
  } catch (e) {
    throw new TypeError(`${path} (${proto?.constructor?.name ?? "object"}) can't be sent to another thread: ${(e as Error).message}`);
  }
  return value;
}

/** Rebuilds descriptors into live skein objects on the receiving thread. */
export function revive(value: unknown, seen = new Set<object>()): unknown {
  if (value === null || typeof value !== "object" || seen.has(value)) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return value;
  const marked = (value as any)[MARK];
  if (marked !== undefined) {
    const r = revivers.get(marked.kind);
    if (!r) throw new TypeError(`skein can't revive a shared ${marked.kind} in this thread`);
    return r(marked.data);
  }
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], seen);
  } else if (value instanceof Map) {
    for (const [k, v] of value) value.set(k, revive(v, seen));
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const k of Object.keys(value)) (value as any)[k] = revive((value as any)[k], seen);
  }
  return value;
}

/**
 * Work a reviver starts but can't finish synchronously (loading a Barrier action's imports): the
 * worker awaits it before the thread's code runs.
 */
const preparations: Promise<unknown>[] = [];

export function prepareLater(p: Promise<unknown>): void {
  preparations.push(p);
}

export async function settlePreparations(): Promise<void> {
  while (preparations.length > 0) await preparations.shift();
}

/**
 * Revivers attach a new object to existing shared memory through this hand-off rather than a
 * constructor parameter, so public constructors take only what users pass. A constructor calls
 * takeAttached() first thing (before it might construct other skein objects).
 */
let attaching: unknown = null;

export function attach<T>(data: unknown, make: () => T): T {
  attaching = data;
  try {
    return make();
  } finally {
    attaching = null;
  }
}

export function takeAttached<T>(): T | null {
  const d = attaching as T | null;
  attaching = null;
  return d;
}
