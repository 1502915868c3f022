/**
 * Functions that cross by name instead of by source, as Python's pickle sends them (module plus
 * qualified name): globals (`console.log`, `Math.sqrt`), exports of builtin modules (`node:fs`
 * `readFileSync`), exports of modules other than the program's entry (a package, a local helper
 * module), and skein's own API. The receiving thread looks the name up in its own world and gets
 * the same function. Found by identity, in this thread, so a name is only ever one the program can
 * reach.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { loadApi, ownApi } from "../common/own-api.js";
import { internalName, internalValue } from "./internals.js";
import { squeeze } from "./loose-text.js";

/** How a function is found by name in another thread. */
export type Ref =
  | { by: "global"; path: string[] }
  | { by: "builtin"; module: string; path: string[] }
  | { by: "skein"; name: string }
  | { by: "module"; module: string; path: string[]; loader: "require" | "import" };

// ---- skein's own API ----

let ownByValue: Map<unknown, string> | null = null;

/** The name by which this copy of skein exports `value`, if it does. */
export function ownName(value: unknown): string | null {
  const internal = internalName(value);
  if (internal) return `internal:${internal}`;
  if (!ownByValue) {
    ownByValue = new Map();
    const api = ownApi();
    for (const name of Object.keys(api)) if (!ownByValue.has(api[name])) ownByValue.set(api[name], name);
  }
  return ownByValue.get(value) ?? null;
}

let ownByText: Map<string, unknown> | null = null;

/**
 * skein's export whose code reads `text` (whitespace aside), if one does: where a runtime can't
 * read a module's values (Bun, Deno), skein's own functions inside a bundle are known by their text.
 */
export function ownByCode(text: string): unknown {
  if (!ownByText) {
    ownByText = new Map();
    const api = ownApi();
    for (const name of Object.keys(api)) {
      const v = api[name];
      if (typeof v !== "function") continue;
      const key = squeeze(Function.prototype.toString.call(v)).text;
      if (!ownByText.has(key)) ownByText.set(key, v);
    }
  }
  return ownByText.get(squeeze(text).text);
}

/** This copy of skein's export `name` (or internal `internal:name`). */
export function ownValue(name: string): unknown {
  if (name.startsWith("internal:")) {
    const key = name.slice("internal:".length);
    // A pool thread's loop loads with the API (common/own-api.ts).
    const v = internalValue(key) ?? (loadApi() ? internalValue(key) : undefined);
    if (v === undefined) throw new TypeError(`skein has no internal ${JSON.stringify(name)} in this thread`);
    return v;
  }
  const api = ownApi();
  if (!(name in api)) throw new TypeError(`skein has no export ${JSON.stringify(name)} in this thread`);
  return api[name];
}

/** This copy of skein's public namespace, for `import ... from "skein"` in shipped code. */
export function ownNamespace(): Record<string, unknown> {
  return ownApi();
}

// ---- globals ----

let globalsByValue: Map<unknown, string[]> | null = null;

/** Objects under globalThis whose functions are worth finding (console.log, Math.sqrt, JSON.parse). */
function globalIndex(): Map<unknown, string[]> {
  if (globalsByValue) return globalsByValue;
  const index = new Map<unknown, string[]>();
  const add = (v: unknown, path: string[]) => {
    if (typeof v === "function" && !index.has(v)) index.set(v, path);
  };
  const g = globalThis as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(g)) {
    const d = Object.getOwnPropertyDescriptor(g, name);
    if (!d || !("value" in d)) continue; // never run a getter to look
    add(d.value, [name]);
  }
  for (const name of Object.getOwnPropertyNames(g)) {
    const d = Object.getOwnPropertyDescriptor(g, name);
    const holder = d && "value" in d ? d.value : undefined;
    if ((typeof holder !== "object" && typeof holder !== "function") || holder === null || holder === g) continue;
    for (const key of Object.getOwnPropertyNames(holder)) {
      if (key === "prototype" || key === "caller" || key === "arguments") continue;
      const kd = Object.getOwnPropertyDescriptor(holder, key);
      if (kd && "value" in kd) add(kd.value, [name, key]);
    }
  }
  globalsByValue = index;
  return index;
}

// ---- builtin modules ----

/** Builtins searched for a function whose script doesn't name a public module. */
const COMMON_BUILTINS = [
  "fs", "fs/promises", "path", "os", "util", "url", "crypto", "zlib", "child_process", "events", "stream", "buffer",
  "timers", "timers/promises", "querystring", "string_decoder", "dns", "net", "http", "https", "assert", "v8", "vm",
  "readline", "perf_hooks", "worker_threads", "process",
];

function getBuiltin(name: string): Record<string, unknown> | null {
  try {
    return process.getBuiltinModule(name) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function searchExports(ns: Record<string, unknown> | null, fn: Function): string[] | null {
  if (!ns) return null;
  for (const key of Object.keys(ns)) if (ns[key] === fn) return [key];
  // One level down: path.posix.basename, fs.promises.readFile.
  for (const key of Object.keys(ns)) {
    const inner: unknown = ns[key];
    if (inner === null || typeof inner !== "object" || inner === ns) continue;
    for (const k of Object.keys(inner)) if ((inner as Record<string, unknown>)[k] === fn) return [key, k];
  }
  return null;
}

/** A builtin module export that is `fn`; `hint` is the builtin its script belongs to, if known. */
function builtinRef(fn: Function, hint: string | null): Ref | null {
  const names = hint && !hint.startsWith("internal/") ? [hint, ...COMMON_BUILTINS] : COMMON_BUILTINS;
  for (const name of names) {
    const path = searchExports(getBuiltin(`node:${name}`), fn);
    if (path) return { by: "builtin", module: `node:${name}`, path };
  }
  return null;
}

/** A reference for a function defined by the runtime (no script of the program's). */
export function runtimeRef(fn: Function, url: string | null): Ref | null {
  const own = ownName(fn);
  if (own) return { by: "skein", name: own };
  const g = globalIndex().get(fn);
  if (g) return { by: "global", path: g };
  return builtinRef(fn, url?.startsWith("node:") ? url.slice("node:".length) : null);
}

/** A CommonJS module's export that is `fn`, found in require's cache without loading anything. */
export function cjsExportRef(fn: Function, url: string): Ref | null {
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    return null;
  }
  const cached = createRequire(file).cache[file];
  if (!cached) return null;
  const exp = cached.exports as unknown;
  if (exp === fn) return { by: "module", module: url, path: [], loader: "require" };
  if (exp === null || (typeof exp !== "object" && typeof exp !== "function")) return null;
  for (const key of Object.keys(exp as object)) {
    if ((exp as Record<string, unknown>)[key] === fn) return { by: "module", module: url, path: [key], loader: "require" };
  }
  return null;
}

/** Values of module references this thread already has, by module URL and export path. */
const known = new Map<string, unknown>();

function refKey(ref: Ref): string {
  return ref.by === "module" ? `${ref.module.replace(/[?#].*$/, "")}#${ref.path.join(".")}` : JSON.stringify(ref);
}

/** Notes a value this thread already has for a reference, so that resolving it finds this very value. */
export function rememberRef(ref: Ref, value: unknown): void {
  known.set(refKey(ref), value);
}

/** The value this thread already has for a reference, if any. */
export function rememberedRef(ref: Ref): unknown {
  return known.get(refKey(ref));
}

/** Finds a reference's value in this thread; `load` loads a module (ship/evaluate.ts knows how). */
export function resolveRefWith(ref: Ref, load: (module: string) => unknown): unknown {
  switch (ref.by) {
    case "skein":
      return ownValue(ref.name);
    case "global":
      return walk(globalThis, ref.path, ref.path.join("."));
    case "builtin":
      return walk(process.getBuiltinModule(ref.module), ref.path, `${ref.module} ${ref.path.join(".")}`);
    case "module":
      return walk(load(ref.module), ref.path, `${ref.module} ${ref.path.join(".")}`);
  }
}

function walk(root: unknown, path: string[], what: string): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || v === undefined) break;
    v = (v as Record<string, unknown>)[key];
  }
  if (typeof v !== "function") throw new TypeError(`skein could not find ${what} in this thread (got ${v === null ? "null" : typeof v})`);
  return v;
}
