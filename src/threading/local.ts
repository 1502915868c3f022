/**
 * threading.local: an object whose properties are per thread. Passed to another thread it
 * arrives empty there, as in Python where a new thread sees none of the others' attributes.
 */
import { runtime } from "../runtime/runtime.js";
import { registerReviver, SHARE } from "../memory/handles.js";

/** Values for a worker are dropped when it moves on to its next thread (see bootstrap). */
const stores = new Set<Map<string, Record<PropertyKey, unknown>>>();

export function clearLocals(): void {
  for (const s of stores) s.clear();
}

/** What local() returns: any properties, each thread seeing only its own. */
export type Local = Record<PropertyKey, any>;

/**
 * Python's threading.local(): an object whose properties each thread sets and reads for itself.
 * The type parameter says what the program keeps in it.
 */
export function local<T extends object = Local>(): T & Local {
  const perThread = new Map<string, Record<PropertyKey, unknown>>();
  stores.add(perThread);
  const mine = (): Record<PropertyKey, unknown> => {
    const key = `${runtime.slot}:${runtime.gen}`;
    let s = perThread.get(key);
    if (!s) perThread.set(key, (s = {}));
    return s;
  };
  const target = {};
  return new Proxy(target, {
    get: (_, k) => (k === SHARE ? () => ({ kind: "local" }) : Reflect.get(mine(), k)),
    set: (_, k, v) => Reflect.set(mine(), k, v),
    has: (_, k) => k in mine(),
    deleteProperty: (_, k) => Reflect.deleteProperty(mine(), k),
    ownKeys: () => Reflect.ownKeys(mine()),
    getOwnPropertyDescriptor: (_, k) => {
      const d = Reflect.getOwnPropertyDescriptor(mine(), k);
      if (d) d.configurable = true;
      return d;
    },
    defineProperty: (_, k, d) => Reflect.defineProperty(mine(), k, d),
  }) as T & Local;
}

registerReviver("local", () => local());
