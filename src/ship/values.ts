/**
 * How values cross into another thread (args, subclass fields, pool task args and results).
 *
 * pack() copies the value as structured clone would (own enumerable keys of objects, arrays,
 * Maps, Sets; other built-ins left to structured clone itself) and replaces every skein object
 * by a fresh empty placeholder object, recording the placeholder and the object's handle in a
 * side table. The data and the table travel in one message, whose structured clone keeps object
 * identity, so on the other side unpack() knows the placeholders by identity: no key, marker or
 * shape of the data can make the receiving side revive, import or evaluate anything. Data stays
 * data, whatever keys it has ("__proto__" included).
 *
 * Queues and shared containers never hold skein objects (value-codec.ts refuses them), so their
 * items are plain bytes and need none of this.
 */
import { MessagePort } from "node:worker_threads";
import type { Unit } from "./shipment.js";
import {
  badHandle, isShareable, registerReviver, reviverFor, SHARE, type Handle, type ReviveContext, type Shareable, type ShareContext,
} from "../memory/handles.js";

export interface Packed {
  /** The value, structured-cloneable, with a placeholder object where each skein object was. */
  data: unknown;
  /** holes[i] is the placeholder standing for handles[i] in data; null if only another handle refers to it. */
  holes: Array<object | null>;
  handles: Handle[];
  /** Code the program passed along with the values (Barrier actions), referred to by handles. */
  code: Unit[];
  /** It holds shared memory or handles, so only postMessage can carry it (not a queue's bytes). */
  byRef: boolean;
}

/** The receiving side's result: the value, and work to await before user code runs (code loading). */
export interface Unpacked {
  value: unknown;
  ready: Promise<unknown> | null;
}

/** Sets an own data property, also for the key "__proto__" (which `o[k] = v` would not). */
export function defineOwn(o: object, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else (o as Record<string, unknown>)[k] = v;
}

/** Copies `from`'s own enumerable keys onto `to` (Object.assign, minus its "__proto__" setter). */
export function assignOwn(to: object, from: object): void {
  for (const k of Object.keys(from)) defineOwn(to, k, (from as Record<string, unknown>)[k]);
}

class Packer implements ShareContext {
  readonly holes: Array<object | null> = [];
  readonly handles: Handle[] = [];
  readonly units: Unit[] = [];
  byRef = false;
  readonly #index = new Map<object, number>();
  readonly #codeIndex = new Map<Unit, number>();
  readonly #copies = new Map<object, unknown>();

  constructor(readonly ports: MessagePort[] | null) {}

  ref(obj: Shareable | MessagePort): number {
    let i = this.#index.get(obj);
    if (i !== undefined) return i;
    i = this.handles.length;
    this.#index.set(obj, i);
    this.holes.push(null);
    this.handles.push({ kind: "pending" });
    this.handles[i] = obj instanceof MessagePort ? this.#port(obj) : obj[SHARE](this);
    return i;
  }

  code(code: object): number {
    const unit = code as Unit;
    let i = this.#codeIndex.get(unit);
    if (i === undefined) {
      i = this.units.length;
      this.units.push(unit);
      this.#codeIndex.set(unit, i);
    }
    return i;
  }

  transfer(port: MessagePort): void {
    if (!this.ports) throw new TypeError("a MessagePort can only be passed to a thread in its args");
    this.ports.push(port);
  }

  #port(port: MessagePort): Handle {
    this.transfer(port);
    return { kind: "port", port };
  }

  copy(value: unknown, path: string): unknown {
    if (typeof value === "function") {
      throw new TypeError(
        `${path} is a function, which can't be sent to another thread as a value; ` +
          `define it inside the target, import it in the target's module, or pass data instead`,
      );
    }
    if (typeof value === "symbol") throw new TypeError(`${path} is a symbol, which can't be sent to another thread; pass a string instead`);
    if (value === null || typeof value !== "object") return value;
    const seen = this.#copies.get(value);
    if (seen !== undefined) return seen;
    if (isShareable(value) || value instanceof MessagePort) {
      this.byRef = true;
      const i = this.ref(value);
      const hole = (this.holes[i] ??= {});
      this.#copies.set(value, hole);
      return hole;
    }
    if (value instanceof SharedArrayBuffer || (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer)) {
      this.byRef = true;
      return value;
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
    if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet || value instanceof WeakRef) {
      throw new TypeError(`${path} is a ${value.constructor.name}, which can't be sent to another thread`);
    }
    if (Array.isArray(value)) {
      const out: unknown[] = new Array(value.length);
      this.#copies.set(value, out);
      for (const k of Object.keys(value)) defineOwn(out, k, this.copy((value as any)[k], `${path}[${k}]`));
      return out;
    }
    if (value instanceof Map) {
      const out = new Map();
      this.#copies.set(value, out);
      let i = 0;
      for (const [k, v] of value) {
        out.set(this.copy(k, `${path} key #${i}`), this.copy(v, `${path}.get(${describeKey(k)})`));
        i++;
      }
      return out;
    }
    if (value instanceof Set) {
      const out = new Set();
      this.#copies.set(value, out);
      let i = 0;
      for (const v of value) out.add(this.copy(v, `${path} item #${i++}`));
      return out;
    }
    if (Object.prototype.toString.call(value) === "[object Object]") {
      // Plain objects, and class instances as structured clone sends them: own enumerable keys.
      const out = {};
      this.#copies.set(value, out);
      for (const k of Object.keys(value)) defineOwn(out, k, this.copy((value as any)[k], `${path}.${k}`));
      return out;
    }
    // Dates, RegExps, Errors, boxed primitives, host objects: structured clone decides.
    if (!(value instanceof Date) && !(value instanceof RegExp)) {
      try {
        structuredClone(value);
      } catch (e) {
        const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name ?? "object";
        throw new TypeError(`${path} (${name}) can't be sent to another thread: ${(e as Error).message}`);
      }
    }
    this.#copies.set(value, value);
    return value;
  }
}

function describeKey(k: unknown): string {
  return typeof k === "string" ? JSON.stringify(k) : typeof k === "object" && k !== null ? "an object key" : String(k);
}

/**
 * Packs a value for another thread; a TypeError naming `path` for what can't travel. Ports found
 * in it are collected in `ports`, for the message's transfer list (refused if null).
 */
export function pack(value: unknown, path: string, ports: MessagePort[] | null = null): Packed {
  const p = new Packer(ports);
  const data = p.copy(value, path);
  return { data, holes: p.holes, handles: p.handles, code: p.units, byRef: p.byRef };
}

/** Packs several values as one (data is the array of them), each named by its own path in errors. */
export function packParts(values: unknown[], paths: string[], ports: MessagePort[] | null = null): Packed {
  const p = new Packer(ports);
  const data = values.map((v, i) => p.copy(v, paths[i]!));
  return { data, holes: p.holes, handles: p.handles, code: p.units, byRef: p.byRef };
}

/** Rebuilds a packed value in this thread, reviving exactly the skein objects the sender packed. */
export function unpack(p: Packed): Unpacked {
  if (p.handles.length === 0) return { value: p.data, ready: null };
  if (!Array.isArray(p.handles) || !Array.isArray(p.holes) || p.holes.length !== p.handles.length || !Array.isArray(p.code)) {
    throw badHandle("the side table of handles is malformed");
  }
  const revived: Array<object | undefined> = new Array(p.handles.length);
  const reviving = new Set<number>();
  const pending: Promise<unknown>[] = [];
  const ctx: ReviveContext = {
    handle(index, kinds, what) {
      if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= p.handles.length) {
        throw badHandle(`${what} refers to handle ${String(index)}, which is not in the table`);
      }
      const h = p.handles[index];
      if (h === null || typeof h !== "object" || !kinds.includes(h.kind)) {
        throw badHandle(`${what} must be a ${kinds.join(" or ")}, got ${h === null || typeof h !== "object" ? typeof h : JSON.stringify(h.kind)}`);
      }
      return revive(index);
    },
    code(index, what) {
      if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= p.code.length) {
        throw badHandle(`${what} refers to code ${String(index)}, which was not shipped with it`);
      }
      return p.code[index]!;
    },
    later(work) {
      pending.push(work);
    },
  };
  function revive(i: number): object {
    const done = revived[i];
    if (done !== undefined) return done;
    if (reviving.has(i)) throw badHandle("its handles refer to each other in a cycle");
    reviving.add(i);
    const h = p.handles[i]!;
    if (h === null || typeof h !== "object") throw badHandle(`handle ${i} is not an object`);
    const obj = reviverFor(h.kind)(h, ctx);
    revived[i] = obj;
    return obj;
  }
  const holeIndex = new Map<object, number>();
  p.holes.forEach((hole, i) => {
    if (hole !== null) holeIndex.set(hole, i);
    else revive(i);
  });
  const fix = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    const i = holeIndex.get(v);
    if (i !== undefined) return revive(i);
    visit(v);
    return v;
  };
  const visited = new Set<object>();
  const visit = (c: object): void => {
    if (visited.has(c)) return;
    visited.add(c);
    if (c instanceof Map) {
      const entries = [...c];
      const fixed = entries.map(([k, v]) => [fix(k), fix(v)] as const);
      if (fixed.some(([k], n) => k !== entries[n]![0])) {
        c.clear();
        for (const [k, v] of fixed) c.set(k, v);
      } else {
        fixed.forEach(([k, v], n) => { if (v !== entries[n]![1]) c.set(k, v); });
      }
    } else if (c instanceof Set) {
      const items = [...c];
      const fixed = items.map(fix);
      if (fixed.some((v, n) => v !== items[n])) {
        c.clear();
        for (const v of fixed) c.add(v);
      }
    } else if (Array.isArray(c) || Object.getPrototypeOf(c) === Object.prototype) {
      for (const k of Object.keys(c)) {
        const v = (c as Record<string, unknown>)[k];
        const f = fix(v);
        if (f !== v) defineOwn(c, k, f);
      }
    }
  };
  const value = fix(p.data);
  return { value, ready: pending.length > 0 ? Promise.all(pending) : null };
}

registerReviver("port", (h) => {
  if (!(h.port instanceof MessagePort)) throw badHandle("port must be a MessagePort");
  return h.port;
});
