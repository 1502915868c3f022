/**
 * How a function or class the program passes as code (a thread target or subclass, a pool task,
 * a Barrier action, an excepthook, a class whose instances cross) gets into another thread.
 *
 * By reference when it is reachable by name (references.ts): a global, a builtin module's export,
 * skein's own API, or an export of a module other than the program's entry; the thread imports it
 * and gets the same function. Otherwise by source, as cloudpickle does: its text, plus what it
 * needs from its own file (top-level functions, classes, enums and `const`s whose values can
 * travel, transitively) and the import and `require` bindings of that file, re-made in the thread.
 * What really can't travel (a variable of an enclosing function, a `let` the program reassigns, a
 * module-level object with live state) is a TypeError naming every such binding at once, with
 * advice for the role the code plays.
 */
import { createRequire, isBuiltin } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { declaredNames, parseCallable, freeNames, freeNamesAt, rewrite, type AnyNode, type Scope } from "./parse.js";
import { bindingsOf, locate, scriptSource, type Location } from "./locate.js";
import { originals, shippedOrigins, unitKey } from "./origins.js";
import { bindingOf, bundledRequire, classHolding, entryUrl, staticFieldOf, findDefinition, lineAt, moduleInfo, offsetOf, partAt, topDeclaration, wrappedTop, type ModuleInfo } from "./module-info.js";
import { partMap, placeOf } from "./source-lines.js";
import { cjsExportRef, ownByCode, ownName, ownNamespace, rememberRef, runtimeRef, type Ref } from "./references.js";
import { HELPER_NAMES } from "./compiler-helpers.js";
import { inspectorAnswers } from "../platform/inspector.js";
import { runtimeLabel } from "../platform/runtime-kind.js";
import { EXPORTS_MEMBER, memberName, mirrorOf, shownName, visibleMirror, type DeclItem, type PartMap } from "./mirrors.js";
import { pack, sharedByReference } from "./values.js";

export interface ResolvedImport {
  local: string;
  /** A module URL, a builtin, a bare specifier, or "skein" for this package. */
  module: string;
  imported: string;
}

/** Code shipped by source: made again in the receiving thread (ship/evaluate.ts). */
export interface Unit {
  name: string;
  /** The defining file: the module its declarations belong to, for import(), import.meta and stack traces. */
  url: string;
  kind: "esm" | "cjs" | "shipped";
  imports: ResolvedImport[];
  /** Names the code uses from a CommonJS module's wrapper (require, module, exports, __filename, __dirname). */
  wrapper: string[];
  /** The top-level declarations of its file that it needs, in the file's order. */
  decls: DeclItem[];
  /** The value: one of those top-level bindings, or an expression (a function defined inside another). */
  value: { binding: string } | { text: string; line: number; start: number; map?: PartMap };
  /** A class defined inside a function: its parent class, shipped on its own, is `__skein_base` in its text. */
  base?: ShippedCode;
  /** In a bundle, the module it wraps in a function of its own that defines the code (ship/module-info.ts partAt). */
  part?: number;
}

/** How a function or class crosses: by name, or by source. */
export type ShippedCode = { by: "ref"; ref: Ref } | { by: "source"; unit: Unit };

/** What the code is for, so that errors give advice that fits. */
export type Role = "target" | "subclass" | "task" | "initializer" | "action" | "hook" | "value";

/** Names every evaluated unit gets from skein itself: compilers' helpers and skein's rewrites. */
export const PROVIDED = new Set([...HELPER_NAMES, "__skein_import", "__skein_meta", "__skein_base", "__skein_overlay"]);
const WRAPPER = new Set(["require", "module", "exports", "__filename", "__dirname"]);

const cache = new WeakMap<Function, ShippedCode>();
/** Functions whose code is being worked out: modules that import each other don't recurse forever. */
const building = new Set<Function>();
/** Per bundle, its top-level names found to be (or not) skein's whole API: each costs a look at ~50 exports. */
const wholeApiNames = new WeakMap<ModuleInfo, Map<string, boolean>>();
const infos = new Map<string, ModuleInfo | null>();
/**
 * How `fn` crosses into another thread; a TypeError (saying `what` it is) when it can't.
 * Cached per function: a target started a thousand times is looked at once.
 */
export function codeFor(fn: Function, role: Role, what: string): ShippedCode {
  const hit = cache.get(fn);
  if (hit) return hit;
  building.add(fn);
  let code: ShippedCode;
  try {
    code = build(fn, role, what);
  } finally {
    building.delete(fn);
  }
  cache.set(fn, code);
  if (code.by === "source") originals.set(unitKey(code.unit), fn);
  return code;
}

/** Refuses what can't be code at all: a getter, a class where a function is called, a non-function. */
export function checkCallable(fn: unknown, what: string): void {
  if (typeof fn !== "function") return;
  const src = Function.prototype.toString.call(fn);
  if (/^class\b/.test(src)) {
    throw new TypeError(`${what} is a class, which can't be called without new; pass a function that makes one, like (...args) => new ${fn.name || "C"}(...args)`);
  }
  if (/^(get|set)\s*[\w$[]/.test(src) && parseCallable(src)?.kind.match(/^(get|set)$/)) {
    throw new TypeError(`${what} is a ${src.slice(0, 3)}ter, not a function to call; pass a function instead`);
  }
}

function build(fn: Function, role: Role, what: string): ShippedCode {
  const own = ownName(fn);
  if (own) return { by: "ref", ref: { by: "skein", name: own } };
  // Without a synchronous inspector (Bun, Deno) functions are found by their text, and the
  // runtime's own may have one that no file of the program's holds (Deno writes node:fs in
  // JavaScript): those are known by value first.
  const early = inspectorAnswers() ? null : runtimeRef(fn, null);
  if (early) return { by: "ref", ref: early };
  const where = locate(fn);
  if (!where || where.url.startsWith("node:")) {
    const ref = runtimeRef(fn, where?.url ?? null);
    if (ref) return { by: "ref", ref };
    const bound = fn.name.startsWith("bound ");
    if (bound) {
      const method = fn.name.slice(6) || "method";
      throw new TypeError(
        `${what} is a bound function (${fn.name}), which can't be sent to another thread; pass the object it is bound to as an argument ` +
          `and a function that calls the method on it, like ${callOnObject(role, method)}`,
      );
    }
    throw new TypeError(
      `${what} is ${where ? "an internal" : "a native"} function that skein can't find by name, ` +
        `so it can't be sent to another thread; pass a function that calls it, like (...args) => ${fn.name || "fn"}(...args)`,
    );
  }
  const text = Function.prototype.toString.call(fn);
  const info = infoFor(where, text);
  if (!info) throw new TypeError(`skein could not parse the file that defines ${what} (${where.url}) to send it to another thread`);
  // Found by its text (Bun, Deno): the runtime may have indented it differently, and the text may
  // first occur inside a longer function ("(f) => f" in "(f) => f.x"), so any whole match will do.
  const bySource = where.scriptId.startsWith("source:");
  const found = findDefinition(info, text, offsetOf(info, where.line, where.column), bySource) ?? (bySource ? findDefinition(info, text, -1, true) : null);
  if (!found) throw new TypeError(`skein could not find ${what} in ${where.url} to send it to another thread`);
  const ref = moduleRef(fn, info, found.node, found.holder);
  const sharing = ref ? sharingSource(fn, role, what, info, found) : null;
  if (ref && !sharing) return { by: "ref", ref };
  if (role !== "value" && role !== "subclass" && isMethodUsingThis(found.holder, found.node)) {
    const method = found.holder.key?.type === "Identifier" ? found.holder.key.name : fn.name || "method";
    throw new TypeError(
      `${what} is the method ${method}, which uses "this": a thread would call it without its object, as a plain function; ` +
        `pass the object as an argument and call the method on it, like ${callOnObject(role, method)}`,
    );
  }
  const unit = sharing ?? new UnitBuilder(info, role, what, fn).build(fn, found);
  if (info.kind !== "shipped") {
    mirrorReal(fn, unit);
    rememberImports(fn, unit);
  }
  return { by: "source", unit };
}

/**
 * A function of one of the program's modules, which a thread would import again and so get that
 * module's objects made anew: by source instead, when what it uses of its module holds skein
 * objects or shared memory (Python's module with a lock and a function that takes it), so that
 * the thread uses the very objects. Null otherwise, or if it can't go by source: then by name.
 */
function sharingSource(fn: Function, role: Role, what: string, info: ModuleInfo, found: { node: AnyNode; holder: AnyNode; scope: Scope }): Unit | null {
  if (!inspectorAnswers() || !programFile(info.url)) return null;
  let unit: Unit;
  try {
    unit = new UnitBuilder(info, role, what, fn).build(fn, found);
  } catch (e) {
    // It uses its module's skein objects and state that can't travel (a Map cache, a `let`): by
    // name, a thread would get new ones of both, and lose the lock silently. Refused, as in the
    // program's own file.
    if (carryingShared.has(e as object)) throw e;
    return null;
  }
  if (unit.wrapper.includes("module") && carriesShared(unit)) {
    const names = unit.decls.filter((d) => d.shared || d.code).map((d) => `"${shownName(d.names[0]!)}"`);
    throw new TypeError(
      `${what} can't be sent to another thread: it uses its module's \`module\` object and skein objects of its module (${names.join(", ")}); ` +
        "a thread would load the module again and get new ones. Use `exports` instead of `module.exports` in it, or pass the objects in args",
    );
  }
  // Code that uses its module's own `module`, or `exports` (tsc's CommonJS: `exports.label`) with
  // none of the exports shared, needs the module itself, which only importing it gives: by name
  // then, its objects each worker's. With shared exports (`exports.hits`, an AtomicInt), the
  // thread's `exports` is its module with those over it (#exportsSharing).
  if (unit.wrapper.includes("module") || (unit.wrapper.includes("exports") && !unit.decls.some((d) => d.names[0]!.startsWith(EXPORTS_MEMBER)))) return null;
  return carriesShared(unit) ? unit : null;
}

const privates = new WeakMap<Function, string[]>();

/**
 * The `#private` members instances of `cls` carry (its own and its parent classes'), which no
 * copy can have: an instance made in another thread from its fields has none of them. Static ones
 * belong to the class and don't count.
 */
export function privateMembers(cls: Function): string[] {
  const hit = privates.get(cls);
  if (hit) return hit;
  const out: string[] = [];
  for (let c: unknown = cls; typeof c === "function" && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    let source: string;
    try {
      source = Function.prototype.toString.call(c);
    } catch {
      break;
    }
    const node = parseCallable(source)?.node;
    if (!node || (node.type !== "ClassExpression" && node.type !== "ClassDeclaration")) continue;
    for (const m of node.body.body as AnyNode[]) if (m.key?.type === "PrivateIdentifier" && !m.static) out.push(`#${m.key.name}`);
  }
  privates.set(cls, out);
  return out;
}

/** Errors about code that can't travel though it also uses skein objects of its module (sharingSource). */
const carryingShared = new WeakSet<object>();

/** Whether shipped code takes skein objects or shared memory of its modules along (DeclItem.shared, .code). */
function carriesShared(unit: Unit): boolean {
  return unit.decls.some((d) => d.shared || (d.code?.by === "source" && carriesShared(d.code.unit))) || (unit.base?.by === "source" && carriesShared(unit.base.unit));
}

/** A file of the program's own, not a package's. */
function programFile(url: string): boolean {
  return url.startsWith("file:") && !url.includes("/node_modules/");
}

/**
 * The exports this thread imported for the code are the ones a reference to them should find
 * here: a class coming back by reference is then the class this module imported, even where a
 * loader would load a second copy for require() (tsx does).
 */
function rememberImports(fn: Function, unit: Unit): void {
  const named = unit.imports.filter((i) => i.imported !== "*" && i.module !== "skein" && !i.module.startsWith("node:"));
  if (named.length === 0) return;
  const values = bindingsOf(fn, named.map((i) => i.local));
  for (const imp of named) {
    const v = values.get(imp.local);
    if (typeof v !== "function") continue;
    const url = locate(v)?.url;
    if (url?.startsWith("file:")) rememberRef({ by: "module", module: url, path: [imp.imported], loader: "import" }, v);
  }
}

/**
 * This thread's own bindings of the module go in its mirror, so that code made from the same
 * declarations coming back (a class an instance returns with) is the real binding, not a copy.
 */
function mirrorReal(fn: Function, unit: Unit): void {
  const missing = unit.decls.filter((d) => !d.names.every((n) => mirrorOf(unit.url, d.part).has(n)));
  if (missing.length === 0) return;
  const values = bindingsOf(fn, missing.flatMap((d) => d.names));
  for (const d of missing) {
    if (!d.names.every((n) => values.has(n))) continue;
    for (const n of d.names) mirrorOf(unit.url, d.part).set(n, { value: values.get(n), item: d });
  }
}

function infoFor(where: Location, fnText: string): ModuleInfo | null {
  const key = where.scriptId;
  if (infos.has(key)) return infos.get(key)!;
  const shipped = shippedOrigins.get(where.url);
  const info = moduleInfo(shipped ? shipped.url : where.url, scriptSource(where, fnText), shipped?.imports);
  if (info && shipped) {
    info.kind = "shipped";
    info.part = shipped.part;
  }
  infos.set(key, info);
  return info;
}

/** An export of a module other than the entry: the thread imports the module instead. */
function moduleRef(fn: Function, info: ModuleInfo, node: AnyNode, holder: AnyNode): Ref | null {
  if (info.kind === "shipped" || !info.url.startsWith("file:")) return null;
  const url = info.url.replace(/[?#].*$/, "");
  if (url === entryUrl()) return null;
  if (info.kind === "cjs") return cjsExportRef(fn, url);
  if (node === info.defaultNode) return { by: "module", module: url, path: ["default"], loader: "import" };
  const local = holder === node ? bindingOf(info, node) : null;
  if (!local) return null;
  const exported = info.exportsOf.get(local);
  if (!exported || info.assigned.has(local)) return null;
  return { by: "module", module: url, path: [exported[0]!], loader: "import" };
}

interface Problem {
  name: string;
  kind: "closure" | "reassigned" | "state" | "computed" | "undefined" | "unreadable";
  /** Where in the script: the declaration's statement, or the code that uses it; -1 if unknown. */
  at: number;
  detail?: string;
}

/** Collects what a function needs from its own file, and everything that can't travel. */
class UnitBuilder {
  readonly #imports = new Map<string, ResolvedImport>();
  readonly #wrapper = new Set<string>();
  /** Top-level declarations to include, by start offset. */
  readonly #items = new Map<number, DeclItem>();
  readonly #done = new Set<string>();
  readonly #problems: Problem[] = [];

  /** In a bundle that has skein inside, the values of its top-level bindings (to spot skein's own). */
  #bundled: Map<string, unknown> | null | undefined;

  /** The current values of the imports of the program's own files that the code can see (#importedSharing). */
  #importValues: Map<string, unknown> | undefined;

  /** The top-level binding that is the code itself, when it is one. */
  #self: string | undefined;

  constructor(readonly info: ModuleInfo, readonly role: Role, readonly what: string, readonly fn: Function) {}

  /**
   * skein's own export that top-level binding `name` is, or "*" for skein's whole API (a CommonJS
   * program's `const threading = require("skein")`), when skein is bundled into this very file.
   */
  #ownExport(name: string): string | null {
    if (this.#bundled === undefined) this.#bundled = this.info.url === selfUrl() ? new Map() : null;
    if (!this.#bundled) return null;
    if (!this.#bundled.has(name)) {
      const values = bindingsOf(this.fn, [name]);
      this.#bundled.set(name, values.has(name) ? values.get(name) : this.#ownByDeclaration(name));
    }
    const own = ownName(this.#bundled.get(name));
    if (own && !own.startsWith("internal:")) return own;
    return this.#ownApiByDeclaration(name) ? "*" : null;
  }

  /**
   * Whether top-level binding `name` is skein's API, required whole from the bundled skein: the
   * bundle's table lists exactly the API's exports, and most of its functions and classes are
   * skein's own by their code (an alias, `__excepthook__ = excepthook`, has no code of its own to
   * compare). Read from the code, not the value, whose getters could run the program's code.
   */
  #ownApiByDeclaration(name: string): boolean {
    let known = wholeApiNames.get(this.info);
    if (!known) wholeApiNames.set(this.info, (known = new Map()));
    let whole = known.get(name);
    if (whole === undefined) known.set(name, (whole = this.#isOwnApi(name)));
    return whole;
  }

  #isOwnApi(name: string): boolean {
    const top = topDeclaration(this.info, name);
    const req = top ? bundledRequire(this.info, top.decl) : null;
    if (!req?.whole || req.exports.size === 0) return false;
    const api = ownNamespace();
    if (req.exports.size !== Object.keys(api).length) return false;
    let functions = 0;
    let own = 0;
    for (const [key, local] of req.exports) {
      if (!(key in api)) return false;
      if (typeof api[key] !== "function") continue;
      functions++;
      if (this.#ownByDeclaration(local) === api[key]) own++;
    }
    return own * 2 > functions;
  }

  /**
   * skein's export that `name`'s declaration is, by its code: where a module's values can't be read
   * (Bun, Deno), and for the whole API, whose getters aren't read. In a CommonJS bundle, a name the program destructured from `require("skein")` is
   * followed to the bundle's own name for that export, and that to the value skein's lazily
   * initialized module sets it to.
   */
  #ownByDeclaration(name: string, hops = 0): unknown {
    const top = topDeclaration(this.info, name);
    if (!top) return undefined;
    const local = bundledRequire(this.info, top.decl)?.exports.get(name);
    if (local !== undefined) return hops < 2 && local !== name ? this.#ownByDeclaration(local, hops + 1) : undefined;
    const code = top.decl.type === "VariableDeclarator" ? (top.decl.init ?? this.info.lazy.get(name)) : top.decl;
    return code ? ownByCode(this.info.source.slice(code.start, code.end)) : undefined;
  }

  build(fn: Function, found: { node: AnyNode; holder: AnyNode; scope: Scope }): Unit {
    const { node, holder, scope } = found;
    const method = holder !== node; // an object literal's method: its text starts at its key
    const declared = bindingOf(this.info, node);
    let value: Unit["value"];
    let base: ShippedCode | undefined;
    const staticClass = holder.type === "MethodDefinition" && holder.static && !holder.computed && holder.key.type === "Identifier" ? classHolding(this.info, holder) : null;
    const className = staticClass ? bindingOf(this.info, staticClass) : null;
    if (declared && !this.info.assigned.has(declared)) {
      // The code is itself a top-level binding: it goes as its declaration.
      this.#self = declared;
      this.#need(declared, scope, node.start, null);
      value = { binding: declared };
    } else if (className && !this.info.assigned.has(className)) {
      // A static method of a top-level class (Python's staticmethod or classmethod, `target:
      // Tally.add`): the class goes along, and the method is taken from it, bound to it, as
      // `Tally.add(n)` would call it.
      this.#need(className, this.info.top, holder.start, null);
      const key = holder.key.name as string;
      value = { text: `${className}.${key}.bind(${className})`, line: lineAt(this.info, holder.start), start: holder.start };
    } else {
      // A class defined inside a function ships its parent class on its own (whatever names it by).
      const ownBase = (node.type === "ClassExpression" || node.type === "ClassDeclaration") && node.superClass !== null;
      for (const [name, at] of freeNamesAt(ownBase ? { ...node, superClass: null } : node)) this.#need(name, scope, at, null);
      if (holder.type === "Property" && holder.computed) for (const name of freeNames(holder.key)) this.#need(name, scope, holder.start, null);
      if (ownBase) base = codeFor(Object.getPrototypeOf(fn), this.role, `the parent class of ${this.what}`);
      const src = this.info.source;
      const map = partMap(this.info, holder.start, holder.end, method ? "Object.values({".length : 0);
      value = { text: method ? `Object.values({${rewrite(src, holder)}})[0]` : rewrite(src, node, ownBase), line: lineAt(this.info, holder.start), start: holder.start, ...(map ? { map } : {}) };
    }
    if (this.#problems.length > 0) {
      const e = new TypeError(this.#message());
      if ([...this.#items.values()].some((d) => d.shared || d.code)) carryingShared.add(e);
      throw e;
    }
    const part = this.info.kind === "shipped" ? this.info.part : partAt(this.info, node.start);
    return {
      name: fn.name, url: this.info.url, kind: this.info.kind,
      imports: [...this.#imports.values()], wrapper: [...this.#wrapper],
      decls: [...this.#items.values()].sort((a, b) => a.start - b.start), value, ...(base ? { base } : {}), ...(part === undefined ? {} : { part }),
    };
  }

  /**
   * Resolves a name the code uses: provided, imported, declared at top level (its declaration
   * goes along), global, or a problem. Whatever of its module it resolves to, an import or a
   * declaration, is noted among `by`'s dependencies, for a thread that ships it on (#fromMirror).
   */
  #need(name: string, scope: Scope, usedAt: number, by: DeclItem | null): void {
    if (PROVIDED.has(name)) return;
    const info = this.info;
    const owner = scope.find_owner(name);
    if (owner && !info.topScopes.has(owner)) {
      if (!this.#done.has(`closure:${name}`)) this.#problems.push({ name, kind: "closure", at: usedAt });
      this.#done.add(`closure:${name}`);
      return;
    }
    const imp = info.imports.get(name);
    if (imp) {
      by?.deps.push(name);
      const module = resolveModule(imp.source, info.url);
      const sharing = imp.imported === "*" ? this.#namespaceSharing(name, module) : this.#importedSharing(name, module);
      if (!sharing) this.#imports.set(name, { local: name, module, imported: imp.imported });
      return;
    }
    if (info.kind === "shipped" && WRAPPER.has(name)) {
      by?.deps.push(name);
      this.#wrapper.add(name);
      // The module's shared exports came with the code that brought it: they go on with it.
      if (name === "exports") for (const n of visibleMirror(info.url, info.part).keys()) if (n.startsWith(EXPORTS_MEMBER)) this.#fromMirror(n);
      return;
    }
    if (owner && info.kind !== "shipped") {
      // skein bundled into the program's file: its functions and classes still cross by name.
      const own = this.#ownExport(name);
      if (own) {
        by?.deps.push(name);
        this.#imports.set(name, { local: name, module: "skein", imported: own });
        return;
      }
    }
    if (owner || (info.kind === "shipped" && visibleMirror(info.url, info.part).has(name))) {
      by?.deps.push(name);
      if (this.#done.has(name)) return;
      this.#done.add(name);
      this.#declaration(name, scope);
      return;
    }
    if (info.kind !== "esm" && WRAPPER.has(name)) {
      by?.deps.push(name);
      this.#wrapper.add(name);
      if (name === "exports") this.#exportsSharing();
      return;
    }
    if (name in globalThis) return;
    if (!this.#done.has(`undefined:${name}`)) this.#problems.push({ name, kind: "undefined", at: usedAt });
    this.#done.add(`undefined:${name}`);
  }

  /** A top-level binding: its declaration goes along if it can travel. */
  #declaration(name: string, scope: Scope): void {
    const info = this.info;
    // Code made here from shipped code: a binding of its module's mirror goes on with its declaration.
    if (info.kind === "shipped" && this.#fromMirror(name)) return;
    const owner = scope.find_owner(name);
    const found = topDeclaration(info, name, owner);
    if (!found) {
      if (info.kind !== "shipped") this.#problems.push({ name, kind: "computed", at: -1, detail: "skein could not find where it is declared" });
      return;
    }
    const { decl, statement } = found;
    const line = lineAt(this.info, statement.start);
    const at = statement.start;
    // What its value uses is looked up where it is declared: its module's top level, which in a
    // bundle may be a module esbuild wrapped in a function of its own.
    const top = (owner && wrappedTop(info, owner)) || info.top;
    if (info.assigned.has(name)) return void this.#problems.push({ name, kind: "reassigned", at });
    if (decl.type === "FunctionDeclaration" || decl.type === "ClassDeclaration") {
      // A class's static fields, in its body or, compiled for targets before ES2022, just after it.
      const fillers = decl.type === "ClassDeclaration" ? (info.fillers.get(name) ?? []) : [];
      const fields = decl.type === "ClassDeclaration" ? staticFields(decl, fillers) : [];
      const statics = this.#sharedStatics(name, fields);
      const edits = statics.map((s) => s.edit);
      const text = [rewrite(info.source, decl, false, edits), ...fillers.map((f: AnyNode) => rewrite(info.source, f, false, edits))].join("\n");
      const item = this.#add(decl, [name], text, line, 0);
      item.deps.push(...statics.map((s) => s.hidden));
      for (const dep of freeNames(decl)) this.#need(dep, info.map.get(decl) ?? top, at, item);
      for (const f of fillers) for (const dep of freeNames(f)) if (dep !== name) this.#need(dep, top, at, item);
      return;
    }
    if (this.#requiredSharing(name, decl, statement, top, at, line) || this.#requiredModuleSharing(name, decl, statement, top, line)) return;
    // A variable: `const X = ...`, `let`/`var` never reassigned, tsc's enum `var E;` plus its filler.
    const fillers = info.fillers.get(name) ?? [];
    // A bundle's lazily initialized module declares `var x;` and sets it in its init function.
    const lazy = !decl.init && fillers.length === 0 && decl.id.type === "Identifier" ? info.lazy.get(name) : undefined;
    const value: AnyNode | undefined = decl.init ?? lazy;
    if (value) {
      const why = this.#unshippable(value);
      const changed = info.mutated.has(name) && isObjectValue(value);
      if ((why || changed) && this.#sharedItem(name, decl)) return;
      if (why && !inspectorAnswers() && this.#madeShared(value)) {
        return void this.#problems.push({ name, kind: "unreadable", at, detail: summary(info.source, value) });
      }
      if (why) return void this.#problems.push({ name, kind: why.kind, at, detail: why.detail });
      if (changed) return void this.#problems.push({ name, kind: "state", at });
    } else if (fillers.length === 0) {
      return void this.#problems.push({ name, kind: "computed", at, detail: "it is declared without a value and set later" });
    }
    const names = declaredNames(decl.id);
    // A class as esbuild writes one (`var C = class { static lock = new Lock() }`): its static
    // skein objects go as themselves, as a declared class's do.
    const statics = value?.type === "ClassExpression" && decl.id.type === "Identifier" ? this.#sharedStatics(name, staticFields(value, fillers)) : [];
    const edits = statics.map((s) => s.edit);
    const declared = lazy ? `${name} = ${rewrite(info.source, lazy, false, edits)}` : rewrite(info.source, decl, false, edits);
    const text = [`${statement.kind} ${declared};`, ...fillers.map((f: AnyNode) => rewrite(info.source, f, false, edits))].join("\n");
    const item = this.#add(decl, names, text, line, lazy ? undefined : statement.kind.length + 1);
    item.deps.push(...statics.map((s) => s.hidden));
    for (const n of names) this.#done.add(n);
    for (const dep of freeNames(value ?? { type: "Identifier", name: "undefined" })) this.#need(dep, top, at, item);
    for (const f of fillers) for (const dep of freeNames(f)) if (!names.includes(dep)) this.#need(dep, top, at, item);
  }

  /**
   * A top-level binding that holds a skein object or shared memory (Python's module-level
   * `lock = threading.Lock()`): it goes as that very object, shared as if passed in args, so every
   * thread uses the one lock. Only where its value can be read (Node's inspector; not Bun's or
   * Deno's), and only for a binding the program never reassigns (checked before).
   */
  #sharedItem(name: string, decl: AnyNode): boolean {
    if (this.info.kind === "shipped" || decl.id?.type !== "Identifier") return false;
    const value = bindingsOf(this.fn, [name]).get(name);
    const item = sharedByReference(value) ? this.#sharingItem(name, value, decl.start) : null;
    if (item) this.#items.set(item.start, item);
    return item !== null;
  }

  /**
   * The current value of import `name` of the program's own files, and its place among the
   * declarations (imports have no offset of their own here).
   */
  #importValue(name: string): { value: unknown; at: number } {
    // Read once for all of them: each read walks the function's scopes through the inspector.
    this.#importValues ??= bindingsOf(this.fn, [...this.info.imports.values()].filter((i) => programFile(resolveModule(i.source, this.info.url))).map((i) => i.local));
    return { value: this.#importValues.get(name), at: -1 - [...this.info.imports.keys()].indexOf(name) };
  }

  /**
   * An import from one of the program's modules that holds a skein object or shared memory, or is
   * a function of that module using such (see sharingSource): it goes as that object, or as that
   * function's code, rather than be imported again in the thread, where its module would make its
   * objects anew. Only where values can be read (Node); false for everything else.
   */
  #importedSharing(name: string, module: string): boolean {
    if (this.info.kind === "shipped" || !inspectorAnswers() || !programFile(module)) return false;
    const { value, at } = this.#importValue(name);
    const item = this.#sharingItem(name, value, at);
    if (item) {
      this.#items.set(item.start, item);
      return true;
    }
    // An object of the module's functions (`export const api = { bump, total }`, an `export
    // default { ... }`): its members that must go as themselves, over the object as the thread's
    // copy of the module has it, which loads only if the code reads another member.
    if (!isPlainObject(value)) return false;
    const over = this.#moduleOverlay(name, value, at);
    if (!over) return false;
    const imported = this.info.imports.get(name)!.imported;
    this.#items.set(at, { names: [name], text: `const ${name} = __skein_overlay(${JSON.stringify([module, imported])}, ${over.members});`, line: 0, start: at, deps: over.deps });
    return true;
  }

  /**
   * CommonJS's `const { bump, hits } = require("./counter")` from one of the program's files (in
   * a bundle, esbuild's `require_counter()`): as for an import (#importedSharing), each name holding
   * a skein object or shared memory, or a function of that file using such, goes as itself; the
   * rest are required again in the thread, if `name` is one of them (a name the code doesn't use
   * may have no value to read: V8 keeps only what closures use).
   */
  #requiredSharing(name: string, decl: AnyNode, statement: AnyNode, top: Scope, at: number, line: number): boolean {
    const info = this.info;
    const init = decl.init;
    if (info.kind === "shipped" || !inspectorAnswers() || decl.id?.type !== "ObjectPattern" || !init || init.type !== "CallExpression") return false;
    const callee = init.callee;
    if (callee.type !== "Identifier") return false;
    const viaRequire = callee.name === "require" && init.arguments.length === 1 && init.arguments[0].type === "Literal";
    if (viaRequire && !programFile(resolveModule(String(init.arguments[0].value), info.url))) return false;
    if (!viaRequire && !(init.arguments.length === 0 && this.#bundledCommonJs(callee.name))) return false;
    const props = decl.id.properties as AnyNode[];
    if (!props.every((p) => p.type === "Property" && !p.computed && p.key.type === "Identifier" && p.value.type === "Identifier")) return false;
    const values = bindingsOf(this.fn, props.map((p) => p.value.name));
    const sharing = new Map<AnyNode, DeclItem>();
    for (const p of props) {
      const n = p.value.name;
      const item = this.#sharingItem(n, values.get(n), p.start) ?? (values.has(n) ? literalItem(n, values.get(n), p.start, statement.kind, partAt(info, p.start)) : null);
      if (item) sharing.set(p, item);
    }
    // Only constants besides: the module is required again for what else the code uses.
    if (![...sharing.values()].some((i) => i.shared || i.code)) return false;
    for (const [p, item] of sharing) {
      this.#items.set(item.start, item);
      this.#done.add(p.value.name);
    }
    const rest = props.filter((p) => !sharing.has(p));
    if (rest.some((p) => p.value.name === name)) {
      const names = rest.map((p) => p.value.name);
      const pattern = rest.map((p) => (p.key.name === p.value.name ? p.key.name : `${p.key.name}: ${p.value.name}`)).join(", ");
      const item = this.#add(decl, names, `${statement.kind} { ${pattern} } = ${rewrite(info.source, init)};`, line);
      for (const n of names) this.#done.add(n);
      this.#need(callee.name, top, at, item);
    }
    return true;
  }

  /**
   * A class's static fields holding skein objects or shared memory (Python's class attribute
   * `lock = threading.Lock()`): each goes as that very object, a hidden item of its own, and the
   * edit that makes the field's initializer that item rather than a new object. None where the
   * class's values can't be read (Bun, Deno), or for code made here from shipped code, whose
   * class text came edited already.
   */
  #sharedStatics(name: string, fields: Array<{ key: string; value: AnyNode }>): Array<{ edit: [number, number, string]; hidden: string }> {
    if (this.info.kind === "shipped" || !inspectorAnswers() || fields.length === 0) return [];
    const cls = name === this.#self ? this.fn : bindingsOf(this.fn, [name]).get(name);
    if (typeof cls !== "function") return [];
    const out: Array<{ edit: [number, number, string]; hidden: string }> = [];
    for (const field of fields) {
      const value = Object.getOwnPropertyDescriptor(cls, field.key)?.value;
      if (!sharedByReference(value) || !IDENTIFIER.test(field.key)) continue;
      const hidden = memberName(name, field.key);
      const item = this.#sharingItem(`${name}.${field.key}`, value, field.value.start);
      if (!item) continue;
      item.names = [hidden];
      this.#items.set(item.start, item);
      out.push({ edit: [field.value.start, field.value.end, hidden], hidden });
    }
    return out;
  }

  /**
   * `import * as tally from "./tally.js"` of one of the program's files (Python's `import tally`):
   * when members of the module hold skein objects or shared memory, or are functions of it using
   * such, the thread gets the module it imports with those members over it, the very objects
   * (#moduleOverlay). False, to import it as any other module, otherwise.
   */
  #namespaceSharing(name: string, module: string): boolean {
    if (this.info.kind === "shipped" || !inspectorAnswers() || !programFile(module) || module === entryUrl()) return false;
    const { value, at } = this.#importValue(name);
    const over = this.#moduleOverlay(name, value, at);
    if (!over) return false;
    // The module itself loads in the thread only if the code reads a member besides these.
    this.#items.set(at, { names: [name], text: `const ${name} = __skein_overlay(${JSON.stringify(module)}, ${over.members});`, line: 0, start: at, deps: over.deps });
    this.#done.add(name);
    return true;
  }

  /**
   * CommonJS's `const tally = require("./tally")` of one of the program's files, as written or as
   * compilers write an import (tsc's `const tally_1 = require(...)`, `__importStar(require(...))`,
   * esbuild's `__toESM(require(...))`): the module as itself when it is a skein object or a
   * function carrying such, or with its sharing members over it, as for a namespace import
   * (#namespaceSharing). False otherwise: the declaration goes as written.
   */
  #requiredModuleSharing(name: string, decl: AnyNode, statement: AnyNode, top: Scope, line: number): boolean {
    const info = this.info;
    if (info.kind === "shipped" || !inspectorAnswers() || decl.id?.type !== "Identifier" || !decl.init) return false;
    const spec = requiredSpecifier(decl.init);
    if (spec === null) return false;
    const module = resolveModule(spec, info.url);
    if (!programFile(module) || module === entryUrl()) return false;
    const value = bindingsOf(this.fn, [name]).get(name);
    const whole = this.#sharingItem(name, value, decl.start);
    if (whole) {
      this.#items.set(whole.start, whole);
      this.#done.add(name);
      return true;
    }
    const over = this.#moduleOverlay(name, value, decl.start);
    if (!over) return false;
    const item = this.#add(decl, [name], `${statement.kind} ${name} = __skein_overlay(() => ${rewrite(info.source, decl.init)}, ${over.members});`, line);
    item.deps.push(...over.deps);
    this.#done.add(name);
    for (const dep of freeNames(decl.init)) this.#need(dep, top, decl.start, item);
    return true;
  }

  /**
   * A function of one of the program's CommonJS files that uses `exports` (tsc's CommonJS writes
   * `exports.hits` for the module's own `hits`): the module's exports holding skein objects or
   * shared memory, or functions using such, go with it as hidden items (EXPORTS_MEMBER), which a
   * thread puts over its own module's exports (ship/evaluate.ts). Nothing where the module's
   * exports can't be read, or for the program's entry file, which a thread must never load.
   */
  #exportsSharing(): void {
    const info = this.info;
    if (this.#done.has("exports:shared")) return;
    this.#done.add("exports:shared");
    if (info.kind !== "cjs" || !inspectorAnswers() || !programFile(info.url) || info.url === entryUrl()) return;
    let exported: unknown;
    try {
      exported = createRequire(info.url).cache[fileURLToPath(info.url)]?.exports;
    } catch {
      return;
    }
    // After the imports' places (#importedSharing): a place no declaration has.
    this.#moduleOverlay("exports", exported, -2 - info.imports.size);
  }

  /**
   * The members of module object `value` (as the program sees it) that a thread must get as
   * themselves (#sharingItem), each an item of a hidden name of its own placed just after `at`;
   * and the object literal that names them for __skein_overlay (ship/evaluate.ts). Null if none.
   */
  #moduleOverlay(name: string, value: unknown, at: number, depth = 0, span = 1): { members: string; deps: string[] } | null {
    // A module that is a function (`module.exports = fn`) can't be overlaid without losing its call.
    if (value === null || typeof value !== "object") return null;
    // `__proto__: x` in the literal would set its prototype, not make a member.
    const keys = Object.keys(value).filter((k) => IDENTIFIER.test(k) && k !== "__proto__");
    const members: string[] = [];
    const deps: string[] = [];
    keys.forEach((key, i) => {
      let member: unknown;
      try {
        member = (value as Record<string, unknown>)[key];
      } catch {
        return; // a getter that throws: the thread reads it from its own module
      }
      const hidden = memberName(name, key);
      // Places between `at` and `at + span`, apart from every other declaration's.
      const place = at + (span * (i + 1)) / (keys.length + 2);
      // An object of the module's functions (`export const api = { bump }`), reached through the
      // module (tsc's `tally_1.api.bump()`): its members in turn, one level down.
      if (depth === 0 && isPlainObject(member)) {
        const inner = this.#moduleOverlay(hidden, member, place, 1, span / (keys.length + 2));
        if (inner) {
          members.push(`${key}: __skein_overlay.nested(${inner.members})`);
          deps.push(...inner.deps);
        }
        return;
      }
      let item: DeclItem | null;
      try {
        item = this.#sharingItem(`${name}.${key}`, member, place);
      } catch {
        // A member that can't travel (it uses its module's lock and a Map): the code may not
        // use it; if it does, it is the thread's own module's.
        return;
      }
      if (!item) return;
      item.names = [hidden];
      this.#items.set(item.start, item);
      members.push(`${key}: ${hidden}`);
      deps.push(hidden);
    });
    return members.length === 0 ? null : { members: `{ ${members.join(", ")} }`, deps };
  }

  /** Whether `name` is esbuild's accessor of a CommonJS file it bundled: `var require_x = __commonJS(...)`. */
  #bundledCommonJs(name: string): boolean {
    if (!name.startsWith("require_")) return false;
    const init = topDeclaration(this.info, name)?.decl.init;
    return init?.type === "CallExpression" && init.callee.type === "Identifier" && init.callee.name === "__commonJS";
  }

  /**
   * The item for a binding whose value a thread must get as itself: a skein object or shared
   * memory (packed as args are), or a function of the program's that takes such along (its code).
   * Null for any other value. `at` is its place among the declarations.
   */
  #sharingItem(name: string, value: unknown, at: number): DeclItem | null {
    const part = at >= 0 ? partAt(this.info, at) : undefined;
    if (sharedByReference(value)) {
      const packed = pack(value, name);
      // A Barrier with an action carries code, which would have to load before the declaration is made.
      return packed.code.length > 0 ? null : { ...valueItem(name, at, part), shared: packed };
    }
    if (typeof value !== "function" || building.has(value)) return null;
    let code: ShippedCode;
    try {
      code = codeFor(value, "value", `${name} (used by ${this.what})`);
    } catch (e) {
      // A function that takes its module's skein objects along but also state that can't travel.
      if (carryingShared.has(e as object)) throw e;
      return null;
    }
    return code.by === "source" && carriesShared(code.unit) ? { ...valueItem(name, at, part), code } : null;
  }

  /**
   * Whether an initializer makes a skein object (`new Lock()`, `local()`, `new threading.Lock()`
   * with skein imported) or shared memory (`new Int32Array(new SharedArrayBuffer(8))`).
   */
  #madeShared(init: AnyNode): boolean {
    if (init.type !== "NewExpression" && init.type !== "CallExpression") return false;
    const c = init.callee;
    if (init.type === "NewExpression" && c.type === "Identifier") {
      if (c.name === "SharedArrayBuffer") return true;
      const arg = init.arguments[0];
      if (/^(Big)?(Int|Uint|Float)(8|16|32|64)(Clamped)?Array$|^DataView$/.test(c.name) && arg) return this.#madeShared(arg);
    }
    const local = c.type === "Identifier" ? c.name : c.type === "MemberExpression" && c.object.type === "Identifier" ? c.object.name : null;
    const imp = local === null ? undefined : this.info.imports.get(local);
    return imp?.source === "skein" || (local !== null && this.#ownExport(local) !== null);
  }

  /** A binding of shipped code's module, made here from a declaration that came with earlier code. */
  #fromMirror(name: string): boolean {
    const m = visibleMirror(this.info.url, this.info.part).get(name);
    if (!m) return false;
    const item = m.item;
    if (this.#items.has(item.start)) return true;
    this.#items.set(item.start, item);
    for (const n of item.names) this.#done.add(n);
    // What it needs goes along as it went with the code that brought it: imports (the factory's
    // parameters here), wrapper names, and other declarations of its module.
    for (const dep of item.deps) if (!this.#done.has(dep)) this.#need(dep, this.info.top, -1, null);
    return true;
  }

  /** An item of `node`'s declaration; with `col0`, the column its text starts at (`const ` before it), mapped to the file as written. */
  #add(node: AnyNode, names: string[], text: string, line: number, col0?: number): DeclItem {
    const part = this.info.kind === "shipped" ? this.info.part : partAt(this.info, node.start);
    const map = col0 === undefined ? null : partMap(this.info, node.start, node.end, col0);
    const item: DeclItem = { names, text, line, start: node.start, deps: [], ...(part === undefined ? {} : { part }), ...(map ? { map } : {}) };
    this.#items.set(node.start, item);
    return item;
  }
  /** Why an initializer can't be re-made in another thread, or null if it can. */
  #unshippable(init: AnyNode): { kind: "state" | "computed"; detail: string } | null {
    let why: { kind: "state" | "computed"; detail: string } | null = null;
    const src = this.info.source;
    const check = (n: AnyNode): void => {
      if (why) return;
      switch (n.type) {
        case "Literal": case "Identifier": case "ThisExpression": case "TemplateElement": case "Super":
          return;
        case "ArrowFunctionExpression": case "FunctionExpression": case "ClassExpression":
          return; // code: made again there, not run
        case "TemplateLiteral":
          return n.expressions.forEach(check);
        case "ArrayExpression":
          return n.elements.forEach((e: AnyNode) => e && check(e));
        case "ObjectExpression":
          return n.properties.forEach((p: AnyNode) => {
            if (p.type === "SpreadElement") check(p.argument);
            else {
              if (p.computed) check(p.key);
              check(p.value);
            }
          });
        case "SpreadElement": case "UnaryExpression": case "AwaitExpression": case "ChainExpression": case "ParenthesizedExpression":
          if (n.type === "AwaitExpression") why = { kind: "computed", detail: "it awaits something when the module loads" };
          else check(n.argument ?? n.expression);
          return;
        case "BinaryExpression": case "LogicalExpression":
          check(n.left);
          check(n.right);
          return;
        case "ConditionalExpression":
          check(n.test);
          check(n.consequent);
          check(n.alternate);
          return;
        case "SequenceExpression":
          return n.expressions.forEach(check);
        case "MemberExpression":
          check(n.object);
          if (n.computed) check(n.property);
          return;
        case "CallExpression":
          if (isRequireCall(n) || isIife(n) || isPureCall(n)) return n.arguments.forEach(check);
          why = bundledModule(n)
            ? { kind: "computed", detail: `a whole module of the bundle (${summary(src, n)}, as esbuild writes require("./x") or import x = require("./x")); import the names the code uses instead (import { todo } from "./x", or const { todo } = require("./x")): those go along` }
            : { kind: "computed", detail: `its value is computed when the module loads (${summary(src, n)})` };
          return;
        case "NewExpression":
          if (n.callee.type === "Identifier" && n.callee.name === "RegExp") return n.arguments.forEach(check);
          why = { kind: "state", detail: `it holds an object made when the module loads (${summary(src, n)})` };
          return;
        default:
          why = { kind: "computed", detail: `its value is computed when the module loads (${summary(src, n)})` };
      }
    };
    check(init);
    return why;
  }

  #message(): string {
    const names = this.#problems.map((p) => `"${p.name}"`).join(", ");
    const lines = this.#problems.map((p) => {
      const declared = p.kind !== "closure" && p.kind !== "undefined" ? p.name : undefined;
      const place = p.at < 0 ? null : placeOf(this.info, p.at, declared);
      return `  - "${p.name}"${place ? ` (${place})` : ""}: ${describeProblem(p)}`;
    });
    const then = advice(this.role, this.#problems);
    return `${this.what} can't be sent to another thread: it uses ${names}, which can't go with it.\n${lines.join("\n")}${then ? `\n${then}` : ""}`;
  }
}

/**
 * A binding whose value is a primitive, as a constant of that value (what a destructured require
 * took stays as it was then). Null for other values.
 */
function literalItem(name: string, value: unknown, at: number, kind: string, part: number | undefined): DeclItem | null {
  let text: string;
  if (typeof value === "string" || typeof value === "boolean" || value === null) text = JSON.stringify(value);
  else if (typeof value === "number") text = Object.is(value, -0) ? "-0" : String(value);
  else if (typeof value === "bigint") text = `${value}n`;
  else if (value === undefined) text = "void 0";
  else return null;
  return { ...valueItem(name, at, part), text: `${kind} ${name} = ${text};` };
}

/** A class's static fields with a value: in its body, and set by the statements after it (staticFieldOf). */
function staticFields(decl: AnyNode, fillers: AnyNode[]): Array<{ key: string; value: AnyNode }> {
  const inBody = (decl.body.body as AnyNode[])
    .filter((m) => m.type === "PropertyDefinition" && m.static && !m.computed && m.key.type === "Identifier" && m.value)
    .map((m) => ({ key: m.key.name as string, value: m.value }));
  return [...inBody, ...fillers.flatMap((f) => staticFieldOf(f) ?? [])];
}

/**
 * The file a declaration's initializer requires: `require("./x")`, or that wrapped in one helper
 * call as compilers write it (`__importStar(require("./x"))`, `__toESM(require("./x"), 1)`). Null
 * for anything else.
 */
function requiredSpecifier(init: AnyNode): string | null {
  let call = init;
  if (call.type === "CallExpression" && call.callee.type === "Identifier" && call.callee.name !== "require" && call.arguments.length >= 1) call = call.arguments[0];
  if (call.type !== "CallExpression" || call.callee.type !== "Identifier" || call.callee.name !== "require") return null;
  const arg = call.arguments[0];
  return call.arguments.length === 1 && arg.type === "Literal" && typeof arg.value === "string" ? arg.value : null;
}

/** A call of esbuild's accessor of a module it bundled: `require_x()`, `init_x()`, or one wrapped in `__toESM`/`__toCommonJS`. */
function bundledModule(call: AnyNode): boolean {
  const c = call.callee;
  if (c.type !== "Identifier") return false;
  if (/^(require|init)_[\w$]+$/.test(c.name)) return true;
  return /^__to(ESM|CommonJS)$/.test(c.name) && call.arguments[0]?.type === "CallExpression" && bundledModule(call.arguments[0]);
}

/** An object literal's value (its prototype Object.prototype or null), not a class instance or a module namespace. */
function isPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || (proto === null && Object.prototype.toString.call(value) !== "[object Module]");
}

/** What a member name must be to be written as `key: value` and become part of a parameter's name. */
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A declaration item for one binding made from its value, not from its source: at `at`, of module `part`. */
function valueItem(name: string, at: number, part: number | undefined): DeclItem {
  return { names: [name], text: "", line: 0, start: at, deps: [], ...(part === undefined ? {} : { part }) };
}

/** What calling `method` on an object passed in looks like, for the role the code plays. */
function callOnObject(role: Role, method: string): string {
  switch (role) {
    case "target":
      return `new Thread({ target: (obj) => obj.${method}(), args: [obj] })`;
    case "task":
      return `pool.submit((obj) => obj.${method}(), obj)`;
    case "initializer":
      return `new ThreadPoolExecutor({ initializer: (obj) => obj.${method}(), initargs: [obj] })`;
    default:
      return `(obj, ...args) => obj.${method}(...args), with obj passed as an argument`;
  }
}

/** A class's or an object literal's method (not static) whose body uses `this` (arrow functions' included). */
function isMethodUsingThis(holder: AnyNode, node: AnyNode): boolean {
  const method = (holder.type === "MethodDefinition" && holder.kind === "method" && !holder.static) || (holder.type === "Property" && holder.method);
  if (!method) return false;
  let uses = false;
  const visit = (n: AnyNode): void => {
    if (uses || !n || typeof n.type !== "string") return;
    if (n.type === "ThisExpression" || n.type === "Super") {
      uses = true;
      return;
    }
    // A function of its own (not an arrow) or a class has its own `this`.
    if (n.type === "FunctionExpression" || n.type === "FunctionDeclaration" || n.type === "ClassExpression" || n.type === "ClassDeclaration") return;
    for (const k of Object.keys(n)) {
      if (k === "type" || k === "start" || k === "end") continue;
      const v = n[k];
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === "object") visit(v);
    }
  };
  visit(node.body);
  return uses;
}

function summary(src: string, n: AnyNode): string {
  const t = src.slice(n.start, n.end).replace(/\s+/g, " ");
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}

function isObjectValue(init: AnyNode): boolean {
  return init.type === "ObjectExpression" || init.type === "ArrayExpression";
}

function isRequireCall(n: AnyNode): boolean {
  // require("m"), and compilers' wrappers of it: __toESM(require("m")), __importDefault(...), __importStar(...)
  if (n.callee.type === "Identifier" && n.callee.name === "require") return n.arguments.length === 1 && n.arguments[0].type === "Literal";
  if (n.callee.type === "Identifier" && /^__(toESM|importDefault|importStar|toCommonJS)$/.test(n.callee.name)) {
    return n.arguments[0]?.type === "CallExpression" && isRequireCall(n.arguments[0]);
  }
  return false;
}

function isIife(n: AnyNode): boolean {
  // An enum or namespace as compilers write it: ((E) => { ... })(E || {})
  return (n.callee.type === "ArrowFunctionExpression" || n.callee.type === "FunctionExpression") && n.arguments.length <= 1;
}

/** Calls that make code or plain data, not state: bundlers' lazy module wrappers among them. */
const PURE = new Set(["__esm", "__commonJS", "Object.freeze", "Symbol", "Symbol.for", "String", "Number", "BigInt", "Boolean", "Object.fromEntries", "Object.entries", "Object.keys", "Object.values", "Array.from", "Array.of", "JSON.parse"]);

function isPureCall(n: AnyNode): boolean {
  const c = n.callee;
  const name = c.type === "Identifier" ? c.name : c.type === "MemberExpression" && !c.computed && c.object.type === "Identifier" ? `${c.object.name}.${c.property.name}` : "";
  return PURE.has(name);
}

function describeProblem(p: Problem): string {
  switch (p.kind) {
    case "closure":
      return "a variable of the function around it, which stays in this thread";
    case "reassigned":
      return "a module-level variable the program reassigns, so another thread would see a stale value";
    case "state":
      return `a module-level object the program changes${p.detail ? ` (${p.detail})` : ""}, whose changes another thread would not see`;
    case "computed":
      return p.detail ?? "its value is computed when the module loads";
    case "undefined":
      return "not defined in its module, nor a global";
    case "unreadable":
      return `a skein object or shared memory made when the module loads (${p.detail}); Node shares such an object with the thread as it is, but ${runtimeLabel} gives skein no way to read a module's variables`;
  }
}

function advice(role: Role, problems: Problem[]): string {
  // A whole module of a bundle: its own line says what to do; passing a module in args isn't it.
  if (problems.every((p) => p.detail?.startsWith("a whole module of the bundle"))) return "";
  const names = problems.map((p) => p.name);
  const first = names[0]!;
  // State the program changes would be a stale copy in args: the skein objects come first then.
  const changing = problems.filter((p) => p.kind === "reassigned" || p.kind === "state").map((p) => `"${p.name}"`);
  if (changing.length > 0 && (role === "target" || role === "subclass" || role === "task" || role === "initializer")) {
    const list = names.join(", ");
    const how = role === "target" ? `in args: new Thread({ target, args: [${list}] })` : role === "subclass" ? "to the constructor, which keeps them in fields"
      : role === "task" ? `as the task's arguments: pool.submit(fn, ${list})` : `in initargs: new ThreadPoolExecutor({ initializer, initargs: [${list}] })`;
    return `A thread gets copies, so changes to ${changing.join(", ")} would not reach the others: make shared state a skein object ` +
      `(AtomicInt for a counter, SharedList for a list, SharedDict for a map, Queue for results), and pass it with the rest ${how}, ` +
      `taking them as parameters.`;
  }
  const share = "To share changing state between threads, use a skein object passed the same way (AtomicInt, SharedList, SharedDict, Queue, Event).";
  switch (role) {
    case "target":
      return `Pass the values in args: new Thread({ target, args: [${names.join(", ")}] }), and take them as parameters. ${share}`;
    case "subclass":
      return `Pass the values to the constructor and keep them in fields (a Thread subclass's fields are copied to its thread). ${share}`;
    case "task":
      return `Pass the values as the task's arguments (pool.submit(fn, ${names.join(", ")}), or with each item of a map), and take them as parameters. ${share}`;
    case "initializer":
      return `Pass the values in initargs: new ThreadPoolExecutor({ initializer, initargs: [${names.join(", ")}] }). ${share}`;
    case "action":
    case "hook":
      return `It takes no arguments of yours: make "${first}" a module-level const with a literal value, import it from a module, or put it in a skein object the code imports. ${share}`;
    case "value":
      return `Define the function or class at the top level of its module, with what it uses, or pass the values as data. ${share}`;
  }
}

let self: string | null | undefined;

/** The script skein's own code is in (the program's own file when a bundler put skein in it). */
function selfUrl(): string | null {
  if (self === undefined) {
    try {
      self = locate(codeFor)?.url ?? null;
    } catch {
      self = null; // a runtime that can't tell (ship/locate-by-source.ts): skein isn't bundled in the program's file
    }
  }
  return self;
}

/** Where an import specifier leads, from the module that wrote it. */
function resolveModule(spec: string, from: string): string {
  if (spec === "skein") return "skein";
  if (isBuiltin(spec)) return spec.startsWith("node:") ? spec : `node:${spec}`;
  if (/^\.{0,2}\//.test(spec) && from) return new URL(spec, from).href;
  if (/^[a-z]+:/.test(spec)) return spec;
  try {
    if (from.startsWith("file:")) return pathToFileURL(createRequire(from).resolve(spec)).href;
  } catch {
    // ESM-only packages may not resolve through require; the thread resolves the bare name.
  }
  return spec;
}
