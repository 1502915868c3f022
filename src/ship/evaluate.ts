/**
 * Turns shipped code back into functions and classes in the receiving thread: looks references
 * up by name, or evaluates source with its imports and its file's declarations, and caches the
 * result so a worker running the same target again pays nothing. ShippedCode this thread shipped itself
 * comes back as the very function it came from. Only code the program passed as code
 * (shipment.ts) ever reaches this module (docs/security.md).
 */
import { createRequire } from "node:module";
import vm from "node:vm";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ImportBinding } from "./module-info.js";
import { originals, shippedOrigins, unitKey } from "./origins.js";
import type { ShippedCode, Unit } from "./shipment.js";
import { placeParts, type Placed } from "./stack-lines.js";
import { EXPORTS_MEMBER, mirrorOf, visibleMirror, type DeclItem, type Mirrored, type PartMap } from "./mirrors.js";
import { sharedByReference, unpack } from "./values.js";
import { badHandle } from "../memory/handles.js";
import { ownNamespace, rememberedRef, rememberRef, resolveRefWith, type Ref } from "./references.js";
import { runtime } from "../runtime/runtime.js";
import { loadApi } from "../common/own-api.js";
import { compilerHelpers, HELPER_NAMES } from "./compiler-helpers.js";
import { tsTwins } from "./ts-twins.js";

let tsxReady: Promise<void> | null = null;
let tsxCjsReady = false;
const modules = new Map<string, Promise<any>>();
const compiled = new Map<string, unknown>();
let shipCounter = 0;

function needsTsx(url: string): boolean {
  return runtime.tsxApi !== null && !url.startsWith("node:") && url !== "skein";
}

async function ensureTsx(): Promise<void> {
  tsxReady ??= (async () => {
    loadApiFirst();
    const api = await import(runtime.tsxApi!);
    api.register();
  })();
  return tsxReady;
}

/** tsx's require hook, for code that must load a TypeScript module synchronously. */
function ensureTsxSync(): void {
  if (tsxCjsReady || runtime.tsxApi === null) return;
  tsxCjsReady = true;
  loadApiFirst();
  const esmApi = runtime.tsxApi.startsWith("file:") ? fileURLToPath(runtime.tsxApi) : runtime.tsxApi;
  const req = createRequire(esmApi.startsWith("/") ? esmApi : fallbackBase());
  try {
    req(esmApi.startsWith("/") ? esmApi.replace(/esm[\\/]api[\\/]index\.mjs$/, "cjs/api/index.cjs") : "tsx/cjs/api").register();
  } catch {
    // without tsx's hook, plain JavaScript still loads
  }
}

/**
 * A worker loads skein's API on first need (common/own-api.ts) with require(), which must get the
 * modules this worker already runs. Under tsx's hooks it would get copies, compiled anew: so the
 * API loads before tsx is registered.
 */
function loadApiFirst(): void {
  loadApi();
}

/** import() with TypeScript's ".js means .ts" convention, for programs run under tsx. */
export function importModule(spec: string): Promise<any> {
  // This very copy of skein, whatever "skein" would resolve to from here.
  if (spec === "skein") return Promise.resolve(ownNamespace());
  let p = modules.get(spec);
  if (!p) {
    p = (async () => {
      if (needsTsx(spec)) await ensureTsx();
      const done = loadingProgramModule(spec);
      try {
        return await import(spec);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND" || !spec.startsWith("file:")) throw e;
        for (const twin of tsTwins(spec)) {
          try {
            return await import(twin);
          } catch {
            // try the next twin
          }
        }
        throw e;
      } finally {
        done();
      }
    })();
    modules.set(spec, p);
  }
  return p;
}

/** The synchronous twin of importModule: require, which loads ES modules too (without top-level await). */
function requireModule(spec: string, from: string): any {
  if (spec === "skein") return ownNamespace();
  if (needsTsx(spec)) ensureTsxSync();
  const req = createRequire(from.startsWith("file:") ? from : fallbackBase());
  const target = spec.startsWith("file:") ? fileURLToPath(spec) : spec;
  const done = loadingProgramModule(spec);
  try {
    return req(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND" || !spec.startsWith("file:")) throw e;
    for (const twin of tsTwins(target)) {
      try {
        return req(twin);
      } catch {
        // try the next twin
      }
    }
    throw e;
  } finally {
    done();
  }
}

/** The program's modules this worker is loading for shipped code, innermost last. */
const loading: string[] = [];

/**
 * Notes that this worker loads one of the program's files for shipped code, until the returned
 * function is called. A file loaded so runs its top-level code again here (Python runs it once):
 * Thread.start() from it would start a thread in every worker that loads it (moduleLoading).
 */
function loadingProgramModule(spec: string): () => void {
  if (runtime.isMain || !spec.startsWith("file:") || spec.includes("/node_modules/")) return () => {};
  loading.push(spec);
  return () => {
    const i = loading.lastIndexOf(spec);
    if (i >= 0) loading.splice(i, 1);
  };
}

/** In a worker, the program's file whose top-level code is running because shipped code loads it; null otherwise. */
export function moduleLoading(): string | null {
  return loading.length > 0 ? loading[loading.length - 1]! : null;
}

function importerFor(url: string): (spec: string) => Promise<any> {
  return (spec: string) => {
    if (typeof spec !== "string") return import(spec);
    const resolved = /^\.{0,2}\//.test(spec) && url ? new URL(spec, url).href : spec;
    return importModule(resolved);
  };
}

/** Makes shipped code a function or class in this thread, loading what it imports. */
export async function materialize(code: ShippedCode): Promise<any> {
  if (code.by === "ref") return resolveRefAsync(code.ref);
  const unit = code.unit;
  const ready = readyUnit(unit);
  if (ready !== undefined) return ready;
  const values: unknown[] = [];
  for (const imp of unit.imports) {
    const ns = await importModule(imp.module);
    values.push(imp.imported === "*" ? ns : ns[imp.imported]);
  }
  // Code it takes from the program's other modules, made first, with their imports loaded as here.
  for (const d of unit.decls) if (d.code) await materialize(d.code);
  return evaluate(unit, values, unit.base ? await materialize(unit.base) : null);
}

/**
 * The same, without waiting: modules load through require. For code met where nothing can be
 * awaited (a value's class arriving with a queue item or a pool result).
 */
export function materializeSync(code: ShippedCode): any {
  if (code.by === "ref") return resolved(code.ref) ?? remember(code.ref, resolveRefWith(code.ref, (m) => requireModule(m, m)));
  const unit = code.unit;
  const ready = readyUnit(unit);
  if (ready !== undefined) return ready;
  const values = unit.imports.map((imp) => {
    const ns = requireModule(imp.module, unit.url);
    return exportOf(ns, imp.imported);
  });
  return evaluate(unit, values, unit.base ? materializeSync(unit.base) : null);
}

/** References resolved here are remembered: the sync and async paths must meet one module instance. */
function resolved(ref: Ref): unknown {
  return rememberedRef(ref);
}

function remember(ref: Ref, value: unknown): unknown {
  rememberRef(ref, value);
  return value;
}

async function resolveRefAsync(ref: Ref): Promise<unknown> {
  const hit = resolved(ref);
  if (hit !== undefined) return hit;
  if (ref.by !== "module" || ref.loader === "require") return remember(ref, resolveRefWith(ref, (m) => requireModule(m, m)));
  const ns = await importModule(ref.module);
  return remember(ref, resolveRefWith(ref, () => ns));
}

function readyUnit(unit: Unit): unknown {
  const key = unitKey(unit);
  return originals.get(key) ?? compiled.get(key);
}

/**
 * Makes the unit's declarations this thread doesn't have yet, in its module's mirror, and its
 * value. One factory function per unit: the declarations already made come in as parameters, the
 * new ones are declared in its body, each at its line in the defining file, so stack traces point
 * there.
 */
function evaluate(unit: Unit, values: unknown[], base: unknown): any {
  const key = unitKey(unit);
  // Each declaration is made once, in the mirror of the module that declares it.
  const own = (d: DeclItem) => mirrorOf(unit.url, d.part);
  for (const d of unit.decls) {
    const m = own(d);
    if (d.names.every((n) => m.has(n))) continue;
    if (d.shared) m.set(d.names[0]!, { value: sharedValue(d), item: d });
    else if (d.code) m.set(d.names[0]!, { value: materializeSync(d.code), item: d });
  }
  const fresh = unit.decls.filter((d) => !d.names.every((n) => own(d).has(n)));
  const mirror = visibleMirror(unit.url, unit.part);
  const v = unit.value;
  if (fresh.length === 0 && "binding" in v && mirror.has(v.binding)) {
    const made = mirror.get(v.binding)!.value;
    compiled.set(key, made);
    return made;
  }
  const freshNames = new Set(fresh.flatMap((d) => d.names));
  const known = [...mirror.keys()].filter((n) => !freshNames.has(n));
  const parts: Part[] = fresh.map((d) => ({ text: d.text, line: d.line, start: d.start, map: d.map }));
  if (!("binding" in v)) {
    const name = typeof unit.name === "string" ? unit.name : "";
    const head = valueHead(name);
    parts.push({ text: `${head}${v.text}${name ? ` })[${JSON.stringify(name)}]` : ")"};`, line: v.line, start: v.start, map: v.map, col: head.length });
  }
  parts.sort((a, b) => a.start - b.start);
  const result = "binding" in v ? `__skein_value: ${v.binding}` : "__skein_value";
  const placed: Placed[] = [];
  const body = `${layout(parts, placed)}return { ${[...freshNames].map((n) => `${JSON.stringify(n)}: ${n}`).concat(result).join(", ")} };`;
  // Stack traces show the defining file; the query keeps each evaluation's URL unique.
  const id = `${unit.url || "skein:thread"}?skein-thread=${++shipCounter}`;
  const imports = new Map<string, ImportBinding>();
  for (const i of unit.imports) imports.set(i.local, { local: i.local, source: i.module, imported: i.imported });
  shippedOrigins.set(id, { url: unit.url, imports, kind: unit.kind, part: unit.part });
  const wrapper = wrapperValues(unit, mirror);
  const params = ["__skein_import", "__skein_meta", "__skein_base", "__skein_overlay", ...HELPER_NAMES, ...unit.wrapper, ...unit.imports.map((i) => i.local), ...known];
  const strict = unit.kind === "esm" ? '"use strict";' : "";
  const factory = compile(params, `${strict}${body}`, id);
  // The script's first line starts with the function's head: parts there start after it.
  const head = scriptHead(params).length + strict.length;
  placeParts(id, placed.map((p) => (p.line === 0 ? { ...p, col: p.col + head } : p)));
  const made = factory(
    importerFor(unit.url), metaFor(unit.url), base, overlay, ...HELPER_NAMES.map((n) => compilerHelpers[n]), ...unit.wrapper.map((n) => wrapper[n]),
    ...values, ...known.map((n) => mirror.get(n)!.value),
  ) as Record<string, unknown>;
  for (const d of fresh) for (const n of d.names) own(d).set(n, { value: made[n], item: d });
  compiled.set(key, made.__skein_value);
  return made.__skein_value;
}

/**
 * One of the program's modules as shipped code that imports or requires it sees it in a thread:
 * the members that must be the program's very objects (its skein objects, and its functions that
 * use them, ship/shipment.ts #moduleOverlay), over the module as this thread loads it, for the
 * rest. `real` loads it (a function, or the module's URL): only when code reads a member of it
 * besides those, since loading runs the module's top-level code again in this worker (Python runs
 * it once), which for a module that starts a thread would start one in every worker.
 */
function overlay(real: unknown, own: Record<string, unknown>): object {
  const load = typeof real === "function" ? (real as () => unknown)
    : typeof real === "string" ? () => requireModule(real, real)
    // [module, export]: an object the module exports (`api`, "default").
    : Array.isArray(real) && typeof real[0] === "string" && typeof real[1] === "string" ? () => exportOf(requireModule(real[0], real[0]), real[1])
    : () => real;
  const base = lazyModule(load);
  const props: PropertyDescriptorMap = {};
  for (const [key, value] of Object.entries(own)) {
    // An object of the module's (`api`, with shared functions): itself overlaid, over the member.
    const made = isNested(value) ? overlay(() => Reflect.get(base, key), value[NESTED]) : value;
    props[key] = { value: made, enumerable: true, writable: true, configurable: true };
  }
  return Object.create(base, props);
}

const NESTED = Symbol("skein.overlay.nested");

/** `__skein_overlay.nested({...})` in shipped text: a member that is an object overlaid in turn. */
overlay.nested = (own: Record<string, unknown>): object => ({ [NESTED]: own });

function isNested(v: unknown): v is { [NESTED]: Record<string, unknown> } {
  return v !== null && typeof v === "object" && NESTED in v;
}

/**
 * Export `name` of a module as require() returns it: "*" the module itself; for "default", a
 * CommonJS module (no `default` of its own) is its own default.
 */
function exportOf(ns: unknown, name: string): unknown {
  if (name === "*") return ns;
  const isObject = ns !== null && (typeof ns === "object" || typeof ns === "function");
  if (name === "default") return isObject && "default" in (ns as object) ? (ns as Record<string, unknown>).default : ns;
  return isObject ? (ns as Record<string, unknown>)[name] : undefined;
}

/** A stand-in for a module that loads it on the first read of one of its members. */
function lazyModule(load: () => unknown): object {
  let real: object | undefined;
  const module = (): object => {
    if (real === undefined) {
      const m = load();
      real = m !== null && (typeof m === "object" || typeof m === "function") ? (m as object) : {};
    }
    return real;
  };
  return new Proxy(Object.create(null) as object, {
    get: (_t, key) => Reflect.get(module(), key),
    has: (_t, key) => key in module(),
  });
}

/**
 * A module-level skein object or shared memory that came with the code: revived as a value in args
 * is, through the same validating revivers. Only shipment.ts makes these, never from data.
 */
function sharedValue(d: DeclItem): unknown {
  const name = JSON.stringify(d.names[0]);
  if (d.names.length !== 1 || d.shared === null || typeof d.shared !== "object") throw badHandle(`the shared binding ${name} is malformed`);
  const { value, ready } = unpack(d.shared);
  if (ready !== null || !sharedByReference(value)) throw badHandle(`the shared binding ${name} must be a skein object or shared memory`);
  return value;
}

/**
 * A function of `params` running `body`, named `url` in stack traces: a script whose first line
 * opens the function and starts the body, so each declaration keeps its file's line (new Function
 * writes two lines of its own first, so a declaration on the file's first two lines, and those
 * right after it, landed lower). A vm.Script, not vm.compileFunction, which compiles more slowly:
 * on Node 24 that delayed a worker's take-over of its next thread.
 */
function compile(params: string[], body: string, url: string): Function {
  // Names only, as new Function would have insisted: a parameter list is no place for code.
  const bad = params.find((p) => !IDENTIFIER.test(p));
  if (bad !== undefined) throw badHandle(`shipped code names a parameter ${JSON.stringify(bad)}, which is not an identifier`);
  return new vm.Script(`${scriptHead(params)}${body}\n})`, { filename: url }).runInThisContext() as Function;
}

function scriptHead(params: string[]): string {
  return `(function (${params.join(", ")}) {`;
}

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/**
 * How a value that is not a binding of its module starts: as a property of its name, so that an
 * arrow or class expression takes the name it has in the program (`target: () => ...` is
 * "target"), in stack traces too, not the name of the variable that holds it here.
 */
function valueHead(name: string): string {
  // An anonymous one stays so: `(0, ...)` gives it no name to take.
  return name ? `const __skein_value = ({ ${JSON.stringify(name)}: ` : "const __skein_value = (0, ";
}

interface Part {
  text: string;
  line: number;
  start: number;
  /** Where the text came from in the file as written, and the column its mapped text starts at. */
  map?: PartMap;
  col?: number;
}

/**
 * The parts at their lines: the body starts on the script's first line (0). Each mapped part's
 * place goes to `placed`: parts of one line of a compiled file (tsx's) go on lines of their own.
 */
function layout(parts: Part[], placed: Placed[]): string {
  let line = 0;
  let out = "";
  for (const p of parts) {
    if (p.line > line) {
      out += "\n".repeat(p.line - line);
      line = p.line;
    }
    if (p.map) placed.push({ line, col: p.col ?? 0, map: p.map });
    out += p.text + "\n";
    for (let i = 0; i < p.text.length; i++) if (p.text.charCodeAt(i) === 10) line++;
    line++;
  }
  return out;
}

/** Per CommonJS file, its exports as shipped code sees them here, when some of them are shared. */
const sharedExports = new Map<string, object>();

/**
 * `exports` for shipped code of a CommonJS file that shares exports (EXPORTS_MEMBER items in the
 * file's mirror): the file's module loaded here with those over it, one object per file, which
 * later code's shared exports join. Null where none are shared.
 */
function exportsOf(unit: Unit, mirror: Map<string, Mirrored>): object | null {
  const shared = [...mirror].filter(([n]) => n.startsWith(EXPORTS_MEMBER));
  if (shared.length === 0) return null;
  let over = sharedExports.get(unit.url);
  if (!over) sharedExports.set(unit.url, (over = overlay(unit.url, {})));
  for (const [n, m] of shared) {
    const key = n.slice(EXPORTS_MEMBER.length);
    if (!Object.prototype.hasOwnProperty.call(over, key)) Object.defineProperty(over, key, { value: m.value, enumerable: true, writable: true, configurable: true });
  }
  return over;
}

/** What a CommonJS module's code finds in its wrapper, for the file it came from. */
function wrapperValues(unit: Unit, mirror: Map<string, Mirrored>): Record<string, unknown> {
  if (unit.wrapper.length === 0) return {};
  if (unit.wrapper.includes("require") && needsTsx(unit.url)) ensureTsxSync();
  const file = unit.url.startsWith("file:") ? fileURLToPath(unit.url) : unit.url;
  const exports = (unit.wrapper.includes("exports") && exportsOf(unit, mirror)) || {};
  const base = createRequire(unit.url.startsWith("file:") ? unit.url : fallbackBase());
  // "skein" inside shipped code is this thread's own skein, as with import.
  const require = Object.assign((id: string) => (id === "skein" ? ownNamespace() : base(id)), base);
  return {
    require,
    module: { exports, id: file, filename: file },
    exports,
    __filename: file,
    __dirname: file ? dirname(file) : "",
  };
}

/** A base for require() where shipped code names no file: this module's, or the working directory's. */
function fallbackBase(): string {
  return import.meta.url ?? pathToFileURL(`${process.cwd()}/`).href;
}

/** `import.meta` inside shipped code: the defining file's. */
function metaFor(url: string): object {
  const meta: Record<string, unknown> = { url, resolve: (spec: string) => new URL(spec, url).href };
  if (url.startsWith("file:")) {
    meta.filename = fileURLToPath(url);
    meta.dirname = dirname(meta.filename as string);
  }
  return meta;
}
