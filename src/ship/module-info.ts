/**
 * What skein knows about the script a function was defined in: its source and syntax tree, its
 * scopes, its import bindings (ESM `import` and CommonJS `require` alike), what it exports, and
 * which of its top-level bindings the program changes after they are made. Computed once per
 * script, on the first function shipped from it.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseModule, scopes, walk, type AnyNode, type Scope } from "./parse.js";
import { sameButSpace } from "./loose-text.js";

export interface ImportBinding {
  local: string;
  /** The specifier as written. */
  source: string;
  /** "*" for a namespace, "default", or the exported name. */
  imported: string;
}

export interface ModuleInfo {
  url: string;
  kind: "esm" | "cjs" | "shipped";
  source: string;
  /** The node whose body is the module's top level (the Program; for shipped code, its factory). */
  root: AnyNode;
  map: WeakMap<object, Scope>;
  /** The scopes whose declarations are top-level bindings; `top` is the outermost. */
  topScopes: Set<Scope>;
  top: Scope;
  imports: Map<string, ImportBinding>;
  /** ESM: local name -> the names it is exported as. */
  exportsOf: Map<string, string[]>;
  /** ESM: the node after `export default`, if it isn't a named declaration. */
  defaultNode: AnyNode | null;
  /** Top-level names the program assigns after declaring them. */
  assigned: Set<string>;
  /** Top-level names whose object the program changes (x.y = ..., x.push(...)). */
  mutated: Set<string>;
  /** Top-level names set by a bundle's lazy module initializer (esbuild's __esm), with the value set. */
  lazy: Map<string, AnyNode>;
  /**
   * tsc's `var E; (function (E) {...})(E || (E = {}))`: the statement that fills each such var.
   * Also a class's static fields as compilers write them for targets before ES2022, right after
   * the class (staticFieldOf).
   */
  fillers: Map<string, AnyNode[]>;
  /** Where each line starts, for turning the inspector's line and column into an offset. */
  lineStarts: number[];
  /**
   * The modules a bundle wraps in a function of their own (esbuild's `__commonJS({ "app.ts"() {
   * ... } })`, the program's entry among them when its package is CommonJS): each such function's
   * scopes (in topScopes too), to that function. Each is a module of its own: its names are apart
   * from other wrapped modules' names (see partAt).
   */
  wrapped: Map<Scope, AnyNode>;
  /** Shipped code from a wrapped module: that module's part (partAt) in its bundle. */
  part?: number;
}

const MUTATORS = new Set(["push", "pop", "shift", "unshift", "splice", "sort", "reverse", "fill", "copyWithin", "set", "add", "delete", "clear"]);

/** Node's rule for what a file is: its extension, else the nearest package.json's "type". */
export function moduleKind(url: string): "esm" | "cjs" {
  if (/\.[mc]?[jt]sx?$/.test(url) === false && !url.startsWith("file:")) return "esm";
  if (/\.m[jt]s$/.test(url)) return "esm";
  if (/\.c[jt]s$/.test(url)) return "cjs";
  let dir: string;
  try {
    dir = dirname(fileURLToPath(url));
  } catch {
    return "esm";
  }
  return packageType(dir);
}

const typeByDir = new Map<string, "esm" | "cjs">();

function packageType(dir: string): "esm" | "cjs" {
  const hit = typeByDir.get(dir);
  if (hit) return hit;
  let kind: "esm" | "cjs";
  try {
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { type?: string };
    kind = pkg.type === "module" ? "esm" : "cjs";
  } catch {
    const up = dirname(dir);
    kind = up === dir ? "cjs" : packageType(up);
  }
  typeByDir.set(dir, kind);
  return kind;
}

/** The program's entry file as a URL (what `node app.js` ran), or null (a REPL, -e). */
export function entryUrl(): string | null {
  const main = process.argv[1];
  if (!main) return null;
  try {
    return pathToFileURL(main).href;
  } catch {
    return null;
  }
}

/** Builds the info for a script; `shippedImports` for code skein evaluated (its factory's parameters). */
export function moduleInfo(url: string, source: string, shippedImports?: Map<string, ImportBinding>): ModuleInfo | null {
  const kind = shippedImports ? "shipped" : moduleKind(url);
  const program = parseModule(source, kind === "esm" ? "esm" : "cjs");
  if (!program) return null;
  const { map, scope } = scopes(program);
  const topScopes = new Set<Scope>([scope]);
  let root: AnyNode = program;
  let top = scope;
  const factory = shippedImports ? program.body[0]?.expression : wrapperOf(program);
  if (shippedImports && factory?.type !== "FunctionExpression") return null;
  if (factory) {
    // Shipped code, (function (params) { prelude; return ...; }), or a module its loader
    // wrapped in an arrow (tsx's CommonJS, an IIFE bundle): the function's body is the top level.
    root = factory;
    const fs = map.get(factory);
    const bs = map.get(factory.body);
    if (fs) topScopes.add(fs);
    if (bs) topScopes.add(bs);
    top = bs ?? fs ?? scope;
  }
  const wrapped = new Map<Scope, AnyNode>();
  if (!shippedImports) {
    for (const fn of commonJsWrapped(root.type === "Program" ? root.body : root.body.body)) {
      for (const sc of [map.get(fn), map.get(fn.body)]) {
        if (!sc) continue;
        topScopes.add(sc);
        wrapped.set(sc, fn);
      }
    }
  }
  const info: ModuleInfo = {
    url, kind, source, root, map: map as WeakMap<object, Scope>, topScopes, top,
    imports: shippedImports ?? new Map(), exportsOf: new Map(), defaultNode: null,
    assigned: new Set(), mutated: new Set(), lazy: new Map(), fillers: new Map(), lineStarts: lineStarts(source), wrapped,
  };
  if (!shippedImports) readImportsAndExports(info, program);
  readChanges(info, program, scope);
  return info;
}

/**
 * A loader's wrapper around a module's code: tsx compiles a CommonJS module to
 * `__filename="...";(()=>{ ... })()`, an IIFE bundle is `(() => { ... })();`.
 */
function wrapperOf(program: AnyNode): AnyNode | null {
  let wrapper: AnyNode | null = null;
  for (const st of program.body) {
    if (st.type !== "ExpressionStatement") return null;
    const e = st.expression;
    if (e.type === "CallExpression" && (e.callee.type === "ArrowFunctionExpression" || e.callee.type === "FunctionExpression")
      && e.callee.params.length === 0 && e.arguments.length === 0 && e.callee.body.type === "BlockStatement") {
      if (wrapper) return null;
      wrapper = e.callee;
    } else if (e.type !== "AssignmentExpression" && e.type !== "Literal") return null;
  }
  return wrapper;
}

/** The functions of esbuild's `var require_x = __commonJS({ "path"(exports, module) { ... } })` in a bundle's top level. */
function commonJsWrapped(body: AnyNode[]): AnyNode[] {
  const out: AnyNode[] = [];
  for (const st of body) {
    if (st.type !== "VariableDeclaration") continue;
    for (const d of st.declarations) {
      const init = d.init;
      if (init?.type !== "CallExpression" || init.callee.type !== "Identifier" || init.callee.name !== "__commonJS") continue;
      const arg = init.arguments[0];
      if (arg?.type !== "ObjectExpression") continue;
      for (const p of arg.properties) if (p.type === "Property" && p.value.type === "FunctionExpression") out.push(p.value);
    }
  }
  return out;
}

/**
 * Which wrapped module of a bundle (`wrapped`) the code at `offset` belongs to, named by its
 * function's offset; undefined outside them. Code from different ones is made in different
 * mirrors in a thread (ship/mirrors.ts), as two files' would be.
 */
export function partAt(info: ModuleInfo, offset: number): number | undefined {
  return wrapperAt(info, offset)?.start;
}

/**
 * The scope a wrapped module's top-level names are looked up from: its function's body (a
 * `function` declared there is the body's, a `var` the function's, which is the body's parent).
 */
export function wrappedTop(info: ModuleInfo, scope: Scope): Scope | undefined {
  const fn = info.wrapped.get(scope);
  return fn ? (info.map.get(fn.body) ?? info.map.get(fn)) : undefined;
}

/** The function of the wrapped module (`wrapped`) that holds the code at `offset`, if any. */
function wrapperAt(info: ModuleInfo, offset: number): AnyNode | undefined {
  for (const fn of info.wrapped.values()) if (fn.start <= offset && offset < fn.end) return fn;
  return undefined;
}

function lineStarts(source: string): number[] {
  const out = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) out.push(i + 1);
  return out;
}

function readImportsAndExports(info: ModuleInfo, program: AnyNode): void {
  for (const st of program.body) {
    if (st.type === "ImportDeclaration") {
      if (st.importKind === "type") continue;
      for (const s of st.specifiers) {
        const imported = s.type === "ImportNamespaceSpecifier" ? "*" : s.type === "ImportDefaultSpecifier" ? "default"
          : s.imported.type === "Identifier" ? s.imported.name : s.imported.value;
        info.imports.set(s.local.name, { local: s.local.name, source: st.source.value, imported });
      }
    } else if (st.type === "ExportNamedDeclaration" && !st.source) {
      const d = st.declaration;
      if (d?.type === "FunctionDeclaration" || d?.type === "ClassDeclaration") addExport(info, d.id.name, d.id.name);
      else if (d?.type === "VariableDeclaration") {
        for (const decl of d.declarations) if (decl.id.type === "Identifier") addExport(info, decl.id.name, decl.id.name);
      }
      for (const s of st.specifiers ?? []) {
        if (s.local.type === "Identifier") addExport(info, s.local.name, s.exported.type === "Identifier" ? s.exported.name : s.exported.value);
      }
    } else if (st.type === "ExportDefaultDeclaration") {
      const d = st.declaration;
      if ((d.type === "FunctionDeclaration" || d.type === "ClassDeclaration") && d.id) addExport(info, d.id.name, "default");
      else if (d.type === "Identifier") addExport(info, d.name, "default");
      else info.defaultNode = d;
    }
  }
}

function addExport(info: ModuleInfo, local: string, exported: string): void {
  const list = info.exportsOf.get(local);
  if (list) list.push(exported);
  else info.exportsOf.set(local, [exported]);
}

/**
 * A statement that fills a top-level variable declared without its contents: tsc's enum and
 * namespace, `(function (E) {...})(E || (E = {}))` (also `E || (exports.E = E = {})`, and Bun's
 * `((E) => {...})(E ||= {})`), and
 * esbuild's module namespace object in a bundle, `__export(x_exports, { ... })`.
 */
function fillerOf(st: AnyNode): string | null {
  if (st.type !== "ExpressionStatement") return null;
  const call = st.expression;
  if (call.type === "CallExpression" && call.callee.type === "Identifier" && /^__(export|reExport)$/.test(call.callee.name) && call.arguments[0]?.type === "Identifier") {
    return call.arguments[0].name;
  }
  if (call.type !== "CallExpression" || (call.callee.type !== "FunctionExpression" && call.callee.type !== "ArrowFunctionExpression")) return null;
  const arg = call.arguments[0];
  // Bun writes tsc's `E || (E = {})` as `E ||= {}`.
  const fills = (arg?.type === "LogicalExpression" && arg.operator === "||") || (arg?.type === "AssignmentExpression" && arg.operator === "||=");
  if (!fills || arg.left.type !== "Identifier") return null;
  return arg.left.name;
}

/**
 * A class's static field as compilers write it for targets before ES2022, a statement right after
 * the class: tsc's `C.lock = new Lock();` and `Object.defineProperty(C, "lock", { ..., value })`,
 * esbuild's `__publicField(C, "lock", new Lock())`. The class's name, the field's, and the node
 * of its value; null for any other statement.
 */
export function staticFieldOf(st: AnyNode): { owner: string; key: string; value: AnyNode } | null {
  if (st.type !== "ExpressionStatement") return null;
  const e = st.expression;
  const keyOf = (k: AnyNode, computed: boolean): string | null =>
    !computed && k.type === "Identifier" ? k.name : k.type === "Literal" && typeof k.value === "string" ? k.value : null;
  if (e.type === "AssignmentExpression" && e.operator === "=" && e.left.type === "MemberExpression" && e.left.object.type === "Identifier") {
    const key = keyOf(e.left.property, e.left.computed);
    return key === null ? null : { owner: e.left.object.name, key, value: e.right };
  }
  if (e.type !== "CallExpression" || e.arguments.length !== 3 || e.arguments[0].type !== "Identifier") return null;
  const c = e.callee;
  const key = keyOf(e.arguments[1], true);
  if (key === null) return null;
  const owner = e.arguments[0].name;
  if (c.type === "Identifier" && c.name === "__publicField") return { owner, key, value: e.arguments[2] };
  const defines = c.type === "MemberExpression" && !c.computed && c.object.type === "Identifier" && c.object.name === "Object" && c.property.name === "defineProperty";
  const value = defines && e.arguments[2].type === "ObjectExpression"
    ? (e.arguments[2].properties as AnyNode[]).find((p) => p.type === "Property" && !p.computed && p.key.type === "Identifier" && p.key.name === "value")
    : undefined;
  return value ? { owner, key, value: value.value } : null;
}

/**
 * The class a statement declares: `class C {}` (exported or not), or a variable holding a class
 * expression as esbuild writes classes (`var C = class {...}`, or `C = class _C {...}` in a
 * lazily initialized module). Null for any other statement.
 */
function classDeclared(st: AnyNode): string | null {
  const d = st.type === "ExportNamedDeclaration" || st.type === "ExportDefaultDeclaration" ? st.declaration : st;
  if (d?.type === "ClassDeclaration") return d.id?.name ?? null;
  if (d?.type === "VariableDeclaration" && d.declarations.length === 1) {
    const v = d.declarations[0];
    return v.id.type === "Identifier" && v.init?.type === "ClassExpression" ? v.id.name : null;
  }
  if (d?.type === "ExpressionStatement" && d.expression.type === "AssignmentExpression" && d.expression.left.type === "Identifier" && d.expression.right.type === "ClassExpression") {
    return d.expression.left.name;
  }
  return null;
}

/** Whether a statement exports top-level `name` as CommonJS writes it: `exports.C = C;`, `module.exports.C = C;`. */
function exportsBinding(st: AnyNode, name: string): boolean {
  if (st.type !== "ExpressionStatement" || st.expression.type !== "AssignmentExpression") return false;
  const { left, right } = st.expression;
  if (right.type !== "Identifier" || right.name !== name || left.type !== "MemberExpression") return false;
  const o = left.object;
  return (o.type === "Identifier" && o.name === "exports") || (o.type === "MemberExpression" && o.object.type === "Identifier" && o.object.name === "module" && o.property.name === "exports");
}

/** Finds assignments to top-level bindings and changes to their objects, resolving names by scope. */
function readChanges(info: ModuleInfo, program: AnyNode, top: Scope): void {
  const fillerArgs = new Set<AnyNode>();
  const body = info.root === program ? program.body : info.root.body.body;
  const fill = (name: string, st: AnyNode): void => {
    const list = info.fillers.get(name) ?? [];
    list.push(st);
    info.fillers.set(name, list);
  };
  // The class whose static fields the statements just after it may set.
  let lastClass: string | null = null;
  for (const st of body) {
    const name = fillerOf(st);
    if (name) {
      fill(name, st);
      const arg = st.expression.arguments[0];
      if (arg.type === "LogicalExpression" || arg.type === "AssignmentExpression") fillerArgs.add(arg);
    }
    const cls = classDeclared(st);
    if (cls !== null) lastClass = cls;
    else if (lastClass !== null && staticFieldOf(st)?.owner === lastClass) fill(lastClass, st);
    // tsc's CommonJS exports the class between it and its static fields.
    else if (lastClass === null || !exportsBinding(st, lastClass)) lastClass = null;
  }
  const isTop = (scope: Scope, name: string) => {
    const owner = scope.find_owner(name);
    return owner !== null && info.topScopes.has(owner);
  };
  const rootOf = (n: AnyNode): AnyNode => {
    while (n.type === "MemberExpression") n = n.object;
    return n;
  };
  let inLazy = false;
  const initFunctions = new Set<AnyNode>();
  const visit = (n: AnyNode, scope: Scope, inFiller: boolean): void => {
    const own = info.map.get(n);
    if (own) scope = own;
    if (fillerArgs.has(n)) inFiller = true;
    // A bundle's lazily initialized module, `var x; var init_m = __esm({ "m.ts"() { x = ... } })`:
    // its variables are set by its init function, once, in whichever thread calls it; a function
    // inside that sets one changes it. (A module esbuild wraps with __commonJS keeps its
    // declarations inside: its function's body is a top level, see `wrapped`.)
    const lazyInit = n.type === "CallExpression" && n.callee.type === "Identifier" && n.callee.name === "__esm";
    const outerLazy = inLazy;
    if (lazyInit) {
      inLazy = inFiller = true;
      for (const p of n.arguments[0]?.properties ?? []) if (p.value) initFunctions.add(p.value);
    } else if (/Function/.test(n.type) && !initFunctions.has(n)) {
      inLazy = inFiller = false;
    }
    switch (n.type) {
      case "AssignmentExpression": {
        const left = n.left;
        if (left.type === "Identifier") {
          if (inLazy && isTop(scope, left.name) && !info.lazy.has(left.name)) info.lazy.set(left.name, n.right);
          if (!inFiller && isTop(scope, left.name)) info.assigned.add(left.name);
        } else if (left.type === "MemberExpression") {
          const r = rootOf(left);
          if (r.type === "Identifier" && isTop(scope, r.name)) info.mutated.add(r.name);
        } else {
          walk(left, (p) => {
            if (p.type === "Identifier" && isTop(scope, p.name)) info.assigned.add(p.name);
          });
        }
        break;
      }
      case "UpdateExpression":
        if (n.argument.type === "Identifier" && isTop(scope, n.argument.name)) info.assigned.add(n.argument.name);
        else if (n.argument.type === "MemberExpression") {
          const r = rootOf(n.argument);
          if (r.type === "Identifier" && isTop(scope, r.name)) info.mutated.add(r.name);
        }
        break;
      case "UnaryExpression":
        if (n.operator === "delete" && n.argument.type === "MemberExpression") {
          const r = rootOf(n.argument);
          if (r.type === "Identifier" && isTop(scope, r.name)) info.mutated.add(r.name);
        }
        break;
      case "CallExpression": {
        const c = n.callee;
        if (c.type === "MemberExpression" && !c.computed && c.property.type === "Identifier" && MUTATORS.has(c.property.name)) {
          const r = rootOf(c.object);
          if (r.type === "Identifier" && isTop(scope, r.name)) info.mutated.add(r.name);
        }
        break;
      }
      case "ForInStatement":
      case "ForOfStatement":
        if (n.left.type === "Identifier" && isTop(scope, n.left.name)) info.assigned.add(n.left.name);
        break;
    }
    for (const k of Object.keys(n)) {
      if (k === "type" || k === "start" || k === "end" || k === "loc" || k === "range") continue;
      const v = n[k];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c.type === "string") visit(c, scope, inFiller);
      } else if (v && typeof v === "object" && typeof v.type === "string") visit(v, scope, inFiller);
    }
    inLazy = outerLazy;
  };
  visit(program, top, false);
}

/** The 0-based line of `offset` in the script's source. */
export function lineAt(info: ModuleInfo, offset: number): number {
  const starts = info.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The offset in the source of the inspector's 0-based line and column. */
export function offsetOf(info: ModuleInfo, line: number, column: number): number {
  return (info.lineStarts[line] ?? 0) + column;
}

/**
 * The node of a function or class defined in this script, found by its text (what toString gives)
 * around the place the inspector says it starts (anywhere in the file for an offset of -1: the
 * first such); with its innermost enclosing scope. With `loose`, texts that differ only in
 * whitespace match (a function found by its text on Bun).
 */
export function findDefinition(info: ModuleInfo, text: string, offset: number, loose = false): { node: AnyNode; holder: AnyNode; scope: Scope } | null {
  let best: { node: AnyNode; holder: AnyNode; scope: Scope } | null = null;
  const visit = (n: AnyNode, scope: Scope): void => {
    if (best && offset < 0) return;
    if (offset >= 0 && (n.start > offset + 1 || n.end < offset)) return;
    const own = info.map.get(n);
    const inner = own ?? scope;
    // A method's text starts at its key: the Property or MethodDefinition holds it.
    const isFn = n.type === "FunctionDeclaration" || n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression"
      || n.type === "ClassDeclaration" || n.type === "ClassExpression";
    const isMethod = (n.type === "Property" || n.type === "MethodDefinition") && n.value?.type === "FunctionExpression";
    // A static method's text, as the runtime gives it, leaves out its `static`.
    const ownText = isFn || isMethod ? info.source.slice(n.type === "MethodDefinition" && n.static ? n.key.start - (n.computed ? 1 : 0) - prefixLength(info.source, n) : n.start, n.end) : null;
    if (ownText !== null && (ownText === text || (loose && sameButSpace(ownText, text)))) {
      const node = isMethod ? n.value : n;
      best = { node, holder: n, scope: own && !isMethod ? own.parent ?? own : scope };
    }
    for (const k of Object.keys(n)) {
      if (k === "type" || k === "start" || k === "end" || k === "loc" || k === "range") continue;
      const v = n[k];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c.type === "string") visit(c, inner);
      } else if (v && typeof v === "object" && typeof v.type === "string") visit(v, inner);
    }
  };
  visit(info.root, info.top);
  return best;
}

/** How much of a static method's text before its key its runtime text keeps: `async `, `*`, `get `. */
function prefixLength(source: string, m: AnyNode): number {
  const before = source.slice(m.start, m.key.start - (m.computed ? 1 : 0));
  const kept = /^static\s+(.*)$/s.exec(before);
  return kept ? kept[1]!.length : 0;
}

/** The class whose body holds member `member` (a method or field node), if any. */
export function classHolding(info: ModuleInfo, member: AnyNode): AnyNode | null {
  let found: AnyNode | null = null;
  walk(info.root, (n) => {
    if (!found && (n.type === "ClassDeclaration" || n.type === "ClassExpression") && (n.body.body as AnyNode[]).includes(member)) found = n;
  });
  return found;
}

/**
 * The top-level statement or declarator that declares `name`, with the statement it sits in: a
 * function, class or variable at the top level, or a `var` in a block there (a bundler's or
 * esbuild's lowering of `using` wraps the module's body in `try { var ... }`). In the module of
 * `owner`, the scope that declares it, where that is a module a bundle wraps (`wrapped`).
 */
export function topDeclaration(info: ModuleInfo, name: string, owner?: Scope | null): { decl: AnyNode; statement: AnyNode } | null {
  const body = (owner && info.wrapped.get(owner)?.body.body) || (info.root.type === "Program" ? info.root.body : info.root.body.body);
  const declares = (d: AnyNode) => {
    let found = false;
    walk(d.id, (p, parent) => {
      if (p.type === "Identifier" && !(parent?.type === "Property" && parent.key === p && !parent.shorthand) && p.name === name) found = true;
    });
    return found;
  };
  for (const st0 of body) {
    const st = (st0.type === "ExportNamedDeclaration" || st0.type === "ExportDefaultDeclaration") && st0.declaration ? st0.declaration : st0;
    if ((st.type === "FunctionDeclaration" || st.type === "ClassDeclaration") && st.id?.name === name) return { decl: st, statement: st };
    if (st.type === "VariableDeclaration") {
      for (const d of st.declarations) if (declares(d)) return { decl: d, statement: st };
    }
  }
  let hoisted: { decl: AnyNode; statement: AnyNode } | null = null;
  const search = (n: AnyNode): void => {
    if (hoisted || !n || typeof n.type !== "string") return;
    if (n.type === "FunctionDeclaration" || n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression" || n.type === "ClassDeclaration" || n.type === "ClassExpression") return;
    if (n.type === "VariableDeclaration" && n.kind === "var") {
      for (const d of n.declarations) if (declares(d)) hoisted = { decl: d, statement: n };
      return;
    }
    for (const k of Object.keys(n)) {
      if (k === "type" || k === "start" || k === "end") continue;
      const v = n[k];
      if (Array.isArray(v)) v.forEach(search);
      else if (v && typeof v === "object") search(v);
    }
  };
  for (const st of body) if (st.type !== "VariableDeclaration") search(st);
  return hoisted;
}

/**
 * In a CommonJS bundle, what a declaration takes from a bundled ES module that the program
 * required: esbuild writes `var m = (init_m(), __toCommonJS(m_exports))` for the whole module and
 * `var { Thread: Thread2 } = (...)` for some of its exports. `exports` maps each export the
 * declaration can reach to the bundle's top-level name for it (from `__export(m_exports, { Thread:
 * () => Thread })`); `whole` says whether the declaration binds the module itself. Null for any
 * other declaration. (A pattern destructured from a name bound to the whole module, `var { Lock } =
 * m`, needs nothing of its own: its declaration goes along, and `m` as skein's API.)
 */
export function bundledRequire(info: ModuleInfo, decl: AnyNode): { whole: boolean; exports: Map<string, string> } | null {
  if (decl.type !== "VariableDeclarator" || !decl.init) return null;
  const init = decl.init.type === "SequenceExpression" ? decl.init.expressions.at(-1) : decl.init;
  if (init.type !== "CallExpression" || init.callee.type !== "Identifier" || init.callee.name !== "__toCommonJS") return null;
  const exportsObject = init.arguments[0];
  if (exportsObject?.type !== "Identifier") return null;
  const exports = new Map<string, string>();
  walk(info.root, (n) => {
    if (n.type !== "CallExpression" || n.callee.type !== "Identifier" || n.callee.name !== "__export") return;
    const [target, table] = n.arguments;
    if (target?.type !== "Identifier" || target.name !== exportsObject.name || table?.type !== "ObjectExpression") return;
    for (const p of table.properties) {
      const k = p.type === "Property" ? propertyKey(p) : null;
      if (k !== null && p.value.type === "ArrowFunctionExpression" && p.value.body.type === "Identifier") exports.set(k, p.value.body.name);
    }
  });
  if (decl.id.type === "Identifier") return { whole: true, exports };
  if (decl.id.type !== "ObjectPattern") return null;
  // The names the pattern binds, each to the bundle's name for the export it takes.
  const names = new Map<string, string>();
  for (const p of decl.id.properties) {
    const k = p.type === "Property" ? propertyKey(p) : null;
    const local = k !== null ? exports.get(k) : undefined;
    if (local !== undefined && p.value.type === "Identifier") names.set(p.value.name, local);
  }
  return { whole: false, exports: names };
}

/** A property's name as written, unless computed. */
function propertyKey(p: AnyNode): string | null {
  if (p.computed) return null;
  return p.key?.type === "Identifier" ? p.key.name : p.key?.type === "Literal" ? String(p.key.value) : null;
}

/** The top-level binding whose declaration `node` is, or whose declarator's value it is, if any. */
export function bindingOf(info: ModuleInfo, node: AnyNode): string | null {
  const wrapper = wrapperAt(info, node.start);
  if ((node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") && node.id) {
    return topDeclaration(info, node.id.name, wrapper && info.map.get(wrapper))?.decl === node ? node.id.name : null;
  }
  let name: string | null = null;
  const body = wrapper ? wrapper.body.body : info.root.type === "Program" ? info.root.body : info.root.body.body;
  const search = (n: AnyNode, top: boolean): void => {
    if (name || !n || typeof n.type !== "string") return;
    if (n.type === "VariableDeclaration" && (top || n.kind === "var")) {
      // (In shipped code, skein's own __skein_value holds the code's value: not one of the module's bindings.)
      for (const d of n.declarations) if (d.init === node && d.id.type === "Identifier" && !d.id.name.startsWith("__skein_")) name = d.id.name;
      return;
    }
    if (n.type === "ExportNamedDeclaration" && n.declaration) return search(n.declaration, top);
    if (top && (n.type === "FunctionDeclaration" || n.type === "ClassDeclaration")) return;
    if (!top && /Function|Class/.test(n.type)) return;
    for (const k of Object.keys(n)) {
      if (k === "type" || k === "start" || k === "end") continue;
      const v = n[k];
      if (Array.isArray(v)) v.forEach((c) => search(c, false));
      else if (v && typeof v === "object") search(v, false);
    }
  };
  for (const st of body) search(st, true);
  // A bundle's lazily initialized module sets it in its init function: `x = class { ... }`.
  if (!name && !wrapper) for (const [n, value] of info.lazy) if (value === node) return n;
  return name;
}
