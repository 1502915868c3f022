/**
 * Reading JavaScript the way skein needs to ship it: parsing (acorn), scopes (periscopic: which
 * names a function uses without declaring them, and where each is declared), and rewriting the
 * few constructs that must mean the same in another thread (`import()`, `import.meta`, a class's
 * `extends`).
 */
import { fileURLToPath } from "node:url";
import { runCommonJs } from "../platform/code-cache.js";
import type * as Parsing from "../vendor/parsing.js";
import type { Node, Options, Scope } from "../vendor/parsing.js";

let parsers: typeof Parsing | null = null;

/**
 * The parsers, loaded on first use: a worker that never ships code by source never loads them
 * (they are a tenth of a worker's memory). parsing.cjs, next to the file of dist/ this module is
 * built into (scripts/build.mjs).
 */
function parsing(): typeof Parsing {
  if (parsers !== null) return parsers;
  // A literal require() where one exists, so that a bundler taking skein in takes them along.
  // Deno's workers have a global require of their own entry's, which doesn't find skein's chunk:
  // then the file next to this module.
  if (typeof require === "function") {
    try {
      parsers = require("./parsing.cjs") as typeof Parsing;
    } catch {
      parsers = null;
    }
  }
  parsers ??= loadOwnFile("./parsing.cjs") as typeof Parsing;
  return parsers;
}

/**
 * One of skein's own CommonJS files, evaluated directly: not through the module loader, which
 * a program's loader hooks (tsx's) would slow down, re-transforming a file that needs none. With
 * V8's code cache where it can be kept (platform/code-cache.ts).
 */
function loadOwnFile(path: string): any {
  return runCommonJs(fileURLToPath(new URL(path, import.meta.url)));
}

function acornParse(source: string, options: Options): Node {
  return parsing().parse(source, options);
}

function analyze(node: Node): ReturnType<typeof Parsing.analyze> {
  return parsing().analyze(node as never);
}

export type { Scope };
export type AnyNode = any;

const BASE: Options = { ecmaVersion: "latest", allowHashBang: true, allowAwaitOutsideFunction: true, allowReturnOutsideFunction: false };

/** A whole script: an ES module, or a CommonJS module (a function body: `return` allowed). */
export function parseModule(source: string, kind: "esm" | "cjs"): AnyNode | null {
  try {
    return acornParse(source, kind === "esm" ? { ...BASE, sourceType: "module" } : { ...BASE, sourceType: "script", allowReturnOutsideFunction: true });
  } catch {
    // Not parseable as that kind (a script that isn't a module after all): try the other.
    try {
      return acornParse(source, kind === "esm" ? { ...BASE, sourceType: "script", allowReturnOutsideFunction: true } : { ...BASE, sourceType: "module" });
    } catch {
      return null;
    }
  }
}

export interface Parsed {
  /** The function or class node. */
  node: AnyNode;
  /** The text that was parsed; node ranges index into it. */
  text: string;
  /** A method, getter or setter written as in a class body or object literal. */
  kind: "expr" | "method" | "get" | "set";
}

/** Parses a function's or class's `toString()` on its own (methods via an object literal). */
export function parseCallable(source: string): Parsed | null {
  try {
    const text = `(${source})`;
    const program = acornParse(text, { ...BASE, sourceType: "module" }) as AnyNode;
    return { node: program.body[0].expression, text, kind: "expr" };
  } catch {
    // a method: try the next shape
  }
  try {
    const text = `({${source}})`;
    const program = acornParse(text, { ...BASE, sourceType: "module" }) as AnyNode;
    const prop = program.body[0].expression.properties[0];
    return { node: prop.value, text, kind: prop.kind === "get" || prop.kind === "set" ? prop.kind : "method" };
  } catch {
    return null;
  }
}

/** Scopes of a whole program or function: periscopic's analysis. */
export function scopes(root: AnyNode): { map: WeakMap<Node, Scope>; scope: Scope } {
  const { map, scope } = analyze(root);
  return { map: map as WeakMap<Node, Scope>, scope };
}

/**
 * Names `node` uses without declaring them, in order of first use. `arguments` and the parts of
 * `import.meta` and `new.target` are not names; a class expression may name itself.
 */
export function freeNames(node: AnyNode): string[] {
  // periscopic counts an identifier as a reference by its parent, and a root has none:
  // `const LIMIT = MAX` must still take MAX along.
  if (node.type === "Identifier") return [node.name];
  const { globals } = analyze(node);
  const out: string[] = [];
  for (const name of globals.keys()) {
    if (name === "arguments" || name === "import" || name === "new") continue;
    out.push(name);
  }
  const self = (node.type === "ClassExpression" || node.type === "ClassDeclaration") && node.id ? node.id.name : null;
  return self ? out.filter((n) => n !== self) : out;
}

/** freeNames with where each is first used (an offset in the script), for errors that point there. */
export function freeNamesAt(node: AnyNode): Map<string, number> {
  if (node.type === "Identifier") return new Map([[node.name, node.start as number]]);
  const { globals } = analyze(node);
  const names = new Set(freeNames(node));
  const out = new Map<string, number>();
  for (const [name, ref] of globals) if (names.has(name)) out.set(name, typeof (ref as AnyNode)?.start === "number" ? (ref as AnyNode).start : node.start);
  // In the order the code uses them, as errors list them.
  return new Map([...out].sort((a, b) => a[1] - b[1]));
}

/** Calls `visit` on every node under `root` (children before siblings), with its parent. */
export function walk(root: AnyNode, visit: (node: AnyNode, parent: AnyNode | null) => void): void {
  const stack: Array<[AnyNode, AnyNode | null]> = [[root, null]];
  while (stack.length > 0) {
    const [n, parent] = stack.pop()!;
    visit(n, parent);
    const children: AnyNode[] = [];
    for (const k of Object.keys(n)) {
      if (k === "type" || k === "start" || k === "end" || k === "loc" || k === "range") continue;
      const v = n[k];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c.type === "string") children.push(c);
      } else if (v && typeof v === "object" && typeof v.type === "string") children.push(v);
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], n]);
  }
}

/**
 * The text of `node` (a range of `source`) made ready for another thread: `import(` becomes
 * `__skein_import(` (a dynamic import resolves against the defining file), `import.meta` becomes
 * `__skein_meta` (the defining file's), and with `base`, a class's `extends` expression becomes
 * `__skein_base` (the parent class as evaluated in the thread).
 */
export function rewrite(source: string, node: AnyNode, base = false, more: Array<[number, number, string]> = []): string {
  // Edits given for several nodes apply to this one's text only where they fall within it.
  const edits = more.filter(([from, to]) => from >= node.start && to <= node.end);
  walk(node, (n) => {
    if (n.type === "ImportExpression") edits.push([n.start, n.start + "import".length, "__skein_import"]);
    else if (n.type === "MetaProperty" && n.meta.name === "import") edits.push([n.start, n.end, "__skein_meta"]);
  });
  if (base && node.superClass) edits.push([node.superClass.start, node.superClass.end, "__skein_base"]);
  edits.sort((a, b) => b[0] - a[0]);
  let text = source.slice(node.start, node.end);
  for (const [from, to, by] of edits) text = text.slice(0, from - node.start) + by + text.slice(to - node.start);
  return text;
}

/** The names a declaration's pattern binds (`x`, `{ a, b: [c] }`, `...rest`). */
export function declaredNames(pattern: AnyNode): string[] {
  const out: string[] = [];
  const visit = (p: AnyNode): void => {
    if (!p) return;
    switch (p.type) {
      case "Identifier": out.push(p.name); break;
      case "ObjectPattern": for (const prop of p.properties) visit(prop.type === "RestElement" ? prop.argument : prop.value); break;
      case "ArrayPattern": for (const el of p.elements) visit(el); break;
      case "RestElement": visit(p.argument); break;
      case "AssignmentPattern": visit(p.left); break;
    }
  };
  visit(pattern);
  return out;
}
