/**
 * How values cross into another thread (args, subclass fields, pool task args and results, and,
 * when they hold class instances, errors or functions, queue items and container values).
 *
 * pack() copies the value as structured clone would (own enumerable keys of objects, arrays, Maps,
 * Sets; other built-ins left to structured clone itself) and replaces every object that needs more
 * than a copy by a fresh empty placeholder, recording the placeholder and what it stands for in a
 * side table: a skein object's handle (its shared memory), a class instance (its class as code,
 * and its fields), an error (its class, message, stack and fields), a function (as code). The data
 * and the table travel in one message, whose structured clone keeps object identity, so on the
 * other side unpack() knows the placeholders by identity: no key, marker or shape of the data can
 * make the receiving side revive, import or evaluate anything. Data stays data, whatever keys it
 * has ("__proto__" included); code comes only from functions and classes the program passed.
 */
import { MessagePort } from "node:worker_threads";
import { EventEmitter } from "node:events";
import type { ShippedCode } from "./shipment.js";
import { codeFor, privateMembers } from "./packing.js";
import { materializeSync } from "./evaluate.js";
import { shownName } from "./mirrors.js";
import {
  badHandle, isShareable, registerReviver, reviverFor, SHARE, type Handle, type ReviveContext, type Shareable, type ShareContext,
} from "../memory/handles.js";

export interface Packed {
  /** The value, structured-cloneable, with a placeholder object where each special object was. */
  data: unknown;
  /** holes[i] is the placeholder standing for handles[i] in data; null if only another handle refers to it. */
  holes: Array<object | null>;
  handles: Handle[];
  /** ShippedCode the program passed along with the values (classes, functions, Barrier actions), referred to by handles. */
  code: ShippedCode[];
  /** It holds shared memory or skein objects, so only postMessage can carry it (not a queue's bytes). */
  byRef: boolean;
}

/** The receiving side's result: the value, and work to await before user code runs (code loading). */
export interface Unpacked {
  value: unknown;
  ready: Promise<unknown> | null;
}

export interface PackOptions {
  /** Ports found go here, for the message's transfer list (refused if absent). */
  ports?: MessagePort[];
  /** Copying into shared memory (a queue item): skein objects and shared memory are refused, saying this. */
  intoSharedMemory?: boolean;
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

/** Built-in error classes, which arrive as themselves by name. */
const BUILTIN_ERRORS = new Set(["Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError"]);

class Packer implements ShareContext {
  readonly holes: Array<object | null> = [];
  readonly handles: Handle[] = [];
  readonly codes: ShippedCode[] = [];
  byRef = false;
  readonly #index = new Map<object, number>();
  readonly #codeIndex = new Map<ShippedCode, number>();
  readonly #copies = new Map<object, unknown>();

  constructor(readonly options: PackOptions) {}

  ref(obj: Shareable | MessagePort): number {
    let i = this.#index.get(obj);
    if (i !== undefined) return i;
    i = this.#reserve(obj);
    this.handles[i] = obj instanceof MessagePort ? this.#port(obj) : obj[SHARE](this);
    return i;
  }

  #reserve(obj: object): number {
    const i = this.handles.length;
    this.#index.set(obj, i);
    this.holes.push(null);
    this.handles.push({ kind: "pending" });
    return i;
  }

  code(code: object): number {
    const c = code as ShippedCode;
    let i = this.#codeIndex.get(c);
    if (i === undefined) {
      const shared = sharedNames(c);
      if (shared.length > 0) {
        // Its module-level skein objects go with it by reference: postMessage can carry them, bytes can't.
        if (this.options.intoSharedMemory) {
          const what = c.by === "source" && c.unit.name ? `${c.unit.name}` : "a function";
          throw new TypeError(
            `${what} uses ${shared.map((n) => `"${n}"`).join(", ")}, skein objects or shared memory of its module or class, so it can't be copied into shared memory; pass it to threads in their args instead`,
          );
        }
        this.byRef = true;
      }
      i = this.codes.length;
      this.codes.push(c);
      this.#codeIndex.set(c, i);
    }
    return i;
  }

  transfer(port: MessagePort): void {
    if (!this.options.ports) throw new TypeError("a MessagePort can only be passed to a thread in its args");
    this.options.ports.push(port);
  }

  #port(port: MessagePort): Handle {
    this.transfer(port);
    return { kind: "port", port };
  }

  /** A placeholder for `value`, whose handle `make` fills (after reserving it, so cycles close). */
  #hole(value: object, make: (i: number) => Handle): object {
    const i = this.#reserve(value);
    const hole = {};
    this.holes[i] = hole;
    this.#copies.set(value, hole);
    this.handles[i] = make(i);
    return hole;
  }

  copy(value: unknown, path: string): unknown {
    if (typeof value === "function") {
      const seen = this.#copies.get(value);
      if (seen !== undefined) return seen;
      const code = codeFor(value, "value", path);
      return this.#hole(value, () => ({ kind: "fn", code: this.code(code) }));
    }
    if (typeof value === "symbol") throw new TypeError(`${path} is a symbol, which can't be sent to another thread; pass a string instead`);
    if (value === null || typeof value !== "object") return value;
    const seen = this.#copies.get(value);
    if (seen !== undefined) return seen;
    if (isShareable(value) || value instanceof MessagePort) {
      if (this.options.intoSharedMemory) {
        throw new TypeError(`${path}: a skein ${value.constructor?.name ?? "object"} can't be copied into shared memory; pass it to threads in their args instead`);
      }
      this.byRef = true;
      const i = this.ref(value);
      const hole = (this.holes[i] ??= {});
      this.#copies.set(value, hole);
      return hole;
    }
    if (value instanceof SharedArrayBuffer || (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer)) {
      if (this.options.intoSharedMemory) {
        throw new TypeError(`${path}: a ${value.constructor.name} over shared memory would arrive as a private copy; pass it to threads in their args to share it`);
      }
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
    if (value instanceof Error) return this.#error(value, path);
    const live = liveHandle(value);
    if (live) {
      throw new TypeError(
        `${path} is a ${value.constructor?.name ?? "object"}, a live ${live} of this thread, which can't be sent to another thread; ` +
          `open it in the thread that uses it, or send the data it gives`,
      );
    }
    if (Object.prototype.toString.call(value) === "[object Object]") {
      const cls = classOf(value);
      if (cls) {
        const hidden = privateMembers(cls);
        if (hidden.length > 0) {
          throw new TypeError(
            `${path} is a ${cls.name || "class"} instance with private members (${hidden.join(", ")}), which can't be copied to another thread: ` +
              "its copy there would have none of them. Make them ordinary fields (TypeScript's `private` keeps them private to the " +
              "type checker), or keep the state in a skein object (AtomicInt, SharedDict, ...) held by a field",
          );
        }
        const code = codeFor(cls, "value", `${path} (a ${cls.name || "class"} instance)`);
        return this.#hole(value, () => ({ kind: "instance", code: this.code(code), fields: this.#fields(value, path) }));
      }
      const out = {};
      this.#copies.set(value, out);
      for (const k of Object.keys(value)) defineOwn(out, k, this.copy((value as any)[k], `${path}.${k}`));
      return out;
    }
    // Dates, RegExps, boxed primitives, host objects: structured clone decides.
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

  #fields(value: object, path: string): Record<string, unknown> {
    const out = {};
    for (const k of Object.keys(value)) defineOwn(out, k, this.copy((value as any)[k], `${path}.${k}`));
    return out;
  }

  /** An error keeps its class (a custom one as code), message, stack, cause and own fields. */
  #error(e: Error, path: string): object {
    const cls = e.constructor as Function | undefined;
    const builtin = typeof cls === "function" && BUILTIN_ERRORS.has(cls.name) && (globalThis as Record<string, unknown>)[cls.name] === cls;
    let code = -1;
    if (!builtin && typeof cls === "function" && cls.prototype === Object.getPrototypeOf(e)) {
      try {
        code = this.code(codeFor(cls, "value", `${path} (a ${cls.name})`));
      } catch {
        // A class that can't travel: the error arrives as its nearest built-in kind, with its fields.
      }
    }
    let base: Function | null = cls ?? null;
    while (base && !(BUILTIN_ERRORS.has(base.name) && (globalThis as Record<string, unknown>)[base.name] === base)) base = Object.getPrototypeOf(base);
    return this.#hole(e, () => ({
      kind: "error",
      code,
      builtin: base?.name ?? "Error",
      message: String(e.message),
      stack: safeStack(e),
      hasCause: "cause" in e,
      cause: "cause" in e ? this.copy(e.cause, `${path}.cause`) : undefined,
      errors: e instanceof AggregateError ? this.copy(e.errors, `${path}.errors`) : undefined,
      fields: this.#fields(e, path),
    }));
  }
}

/**
 * What an object is if it is one of Node's live handles (a socket, a server, a stream, a child
 * process, a worker): copied, it would arrive as a dead object. Its modules are only loaded once
 * an event emitter is sent.
 */
function liveHandle(value: object): string | null {
  if (!(value instanceof EventEmitter)) return null;
  liveKinds ??= ([["node:net", "Server", "server"], ["node:stream", "Stream", "stream (a socket, a file)"], ["node:child_process", "ChildProcess", "child process"], ["node:worker_threads", "Worker", "worker"]] as const)
    .map(([id, name, what]) => [builtinExport(id, name), what] as [unknown, string]);
  for (const [cls, what] of liveKinds) if (typeof cls === "function" && value instanceof cls) return what;
  return "_handle" in value ? "handle" : null;
}

/** Node's live-handle classes and what each is, looked up the first time an event emitter is sent. */
let liveKinds: Array<[unknown, string]> | undefined;

function builtinExport(id: string, name: string): unknown {
  try {
    return (process as { getBuiltinModule?: (id: string) => Record<string, unknown> | undefined }).getBuiltinModule?.(id)?.[name];
  } catch {
    return undefined;
  }
}

function safeStack(e: Error): string | undefined {
  try {
    const s = e.stack;
    return typeof s === "string" ? s : undefined;
  } catch {
    return undefined;
  }
}

/** The class an object is an instance of, if it isn't a plain object. */
function classOf(value: object): Function | null {
  const proto = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype) return null;
  const cls = (proto as { constructor?: unknown }).constructor;
  return typeof cls === "function" && cls.prototype === proto ? cls : null;
}

function isPlainPrimitive(v: unknown): boolean {
  return v === null || (typeof v !== "object" && typeof v !== "function" && typeof v !== "symbol");
}

function describeKey(k: unknown): string {
  return typeof k === "string" ? JSON.stringify(k) : typeof k === "object" && k !== null ? "an object key" : String(k);
}

/** Whether a value is shared by reference when it crosses (a skein object, shared memory), not copied. */
export function sharedByReference(value: unknown): boolean {
  return isShareable(value) || value instanceof SharedArrayBuffer || (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer);
}

/** The module-level skein objects and shared memory that shipped code carries (ship/mirrors.ts DeclItem.shared). */
function sharedNames(code: ShippedCode): string[] {
  if (code.by !== "source") return [];
  const own = code.unit.decls.flatMap((d) => (d.shared ? d.names.map(shownName) : d.code ? sharedNames(d.code) : []));
  return code.unit.base ? own.concat(sharedNames(code.unit.base)) : own;
}

/**
 * Packs a value for another thread; a TypeError naming `path` for what can't travel.
 */
export function pack(value: unknown, path: string, options: PackOptions = {}): Packed {
  // Numbers, strings and the like (most task arguments and results) need no packer at all.
  if (isPlainPrimitive(value)) return { data: value, holes: [], handles: [], code: [], byRef: false };
  const p = new Packer(options);
  const data = p.copy(value, path);
  return { data, holes: p.holes, handles: p.handles, code: p.codes, byRef: p.byRef };
}

/** Packs several values as one (data is the array of them), each named by its own path in errors. */
export function packParts(values: unknown[], paths: string[], options: PackOptions = {}): Packed {
  if (values.every(isPlainPrimitive)) return { data: values.slice(), holes: [], handles: [], code: [], byRef: false };
  const p = new Packer(options);
  const data = values.map((v, i) => p.copy(v, paths[i]!));
  return { data, holes: p.holes, handles: p.handles, code: p.codes, byRef: p.byRef };
}

/**
 * True if a value needs pack() to arrive as itself (a class instance, an error, a function), as
 * opposed to plain data that structured clone keeps; refuses skein objects and shared memory, as
 * for a value copied into shared memory. Walks without copying: the common case stays fast.
 */
export function needsPacking(value: unknown, what: string): boolean {
  let needs = false;
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v === "function") {
      needs = true;
      return;
    }
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    if (ArrayBuffer.isView(v) && v.buffer instanceof SharedArrayBuffer) {
      throw new TypeError(`${what}: a ${v.constructor.name} over shared memory would arrive as a private copy; pass it to threads in their args to share it`);
    }
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return;
    if (isShareable(v)) {
      throw new TypeError(`${what}: a skein ${(v as object).constructor?.name ?? "object"} can't be copied into shared memory; pass it to threads in their args instead`);
    }
    if (v instanceof Error) {
      needs = true;
      return;
    }
    seen.add(v);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k);
        visit(x);
      }
    } else if (v instanceof Set || Array.isArray(v)) {
      for (const x of v) visit(x);
    } else {
      if (classOf(v)) needs = true;
      for (const k of Object.keys(v)) visit((v as Record<string, unknown>)[k]);
    }
  };
  visit(value);
  return needs;
}

/** Loads the code a packed value carries (imports and all), so that unpack() finds it ready. */
export function preload(p: Packed, load: (code: ShippedCode) => Promise<unknown>): Promise<unknown> | null {
  if (!p.code || p.code.length === 0) return null;
  return Promise.all(p.code.map(load));
}

/** Rebuilds a packed value in this thread, reviving exactly what the sender packed. */
export function unpack(p: Packed): Unpacked {
  if (p.handles.length === 0) return { value: p.data, ready: null };
  if (!Array.isArray(p.handles) || !Array.isArray(p.holes) || p.holes.length !== p.handles.length || !Array.isArray(p.code)) {
    throw badHandle("the side table of handles is malformed");
  }
  const revived: Array<object | undefined> = new Array(p.handles.length);
  const reviving = new Set<number>();
  const pending: Promise<unknown>[] = [];
  const codeAt = (index: unknown, what: string): ShippedCode => {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= p.code.length) {
      throw badHandle(`${what} refers to code ${String(index)}, which was not shipped with it`);
    }
    return p.code[index]!;
  };
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
    code: codeAt,
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
    switch (h.kind) {
      case "fn":
        return (revived[i] = materializeSync(codeAt(h.code, "a function")) as object);
      case "instance": {
        const cls = materializeSync(codeAt(h.code, "an instance's class")) as Function;
        const obj = Object.create(cls.prototype) as object;
        revived[i] = obj; // before its fields, which may refer back to it
        assignOwn(obj, fixed(h.fields, "an instance's fields"));
        return obj;
      }
      case "error": {
        const obj = makeError(h, h.code === -1 ? null : (materializeSync(codeAt(h.code, "an error's class")) as Function));
        revived[i] = obj;
        if (h.hasCause) Object.defineProperty(obj, "cause", { value: fix(h.cause), writable: true, configurable: true });
        if (h.errors !== undefined) Object.defineProperty(obj, "errors", { value: fix(h.errors), writable: true, configurable: true });
        assignOwn(obj, fixed(h.fields, "an error's fields"));
        return obj;
      }
    }
    const obj = reviverFor(h.kind)(h, ctx);
    revived[i] = obj;
    return obj;
  }
  const holeIndex = new Map<object, number>();
  p.holes.forEach((hole, i) => {
    if (hole !== null) holeIndex.set(hole, i);
    else revive(i);
  });
  const fixed = (v: unknown, what: string): object => {
    if (v === null || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) throw badHandle(`${what} must be a plain object`);
    return fix(v) as object;
  };
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
      const fixedEntries = entries.map(([k, v]) => [fix(k), fix(v)] as const);
      if (fixedEntries.some(([k], n) => k !== entries[n]![0])) {
        c.clear();
        for (const [k, v] of fixedEntries) c.set(k, v);
      } else {
        fixedEntries.forEach(([k, v], n) => { if (v !== entries[n]![1]) c.set(k, v); });
      }
    } else if (c instanceof Set) {
      const items = [...c];
      const fixedItems = items.map(fix);
      if (fixedItems.some((v, n) => v !== items[n])) {
        c.clear();
        for (const v of fixedItems) c.add(v);
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

/** An error of its class (or its built-in kind), with its message and stack, made without running a constructor. */
function makeError(h: Handle, cls: Function | null): Error {
  const builtin = typeof h.builtin === "string" && BUILTIN_ERRORS.has(h.builtin) ? ((globalThis as Record<string, unknown>)[h.builtin] as Function) : Error;
  const e = Object.create((cls ?? builtin).prototype) as Error;
  Object.defineProperty(e, "message", { value: typeof h.message === "string" ? h.message : "", writable: true, configurable: true });
  if (typeof h.stack === "string") Object.defineProperty(e, "stack", { value: h.stack, writable: true, configurable: true });
  return e;
}

registerReviver("port", (h) => {
  if (!(h.port instanceof MessagePort)) throw badHandle("port must be a MessagePort");
  return h.port;
});
