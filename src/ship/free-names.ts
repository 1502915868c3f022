/**
 * Which names a function or class uses without declaring them: the ones that must come from
 * somewhere else when its source is evaluated in another thread. Deliberately simple scoping: a
 * name declared anywhere inside counts as declared everywhere inside (an outer variable shadowed
 * in one block but used in another slips through to a ReferenceError in the thread instead of a
 * TypeError at start()).
 */
import { createRequire } from "node:module";
import type { Node, Options } from "acorn";

// Loaded on first use: most threads never ship code themselves, and acorn costs memory.
let acornParse: ((input: string, options: Options) => Node) | null = null;
function parse(input: string, options: Options): Node {
  acornParse ??= (createRequire(import.meta.url)("acorn") as typeof import("acorn")).parse;
  return acornParse(input, options);
}

export interface Parsed {
  /** The function or class expression node. */
  node: any;
  /** The text that was parsed; node ranges index into it. */
  text: string;
}

/** Parses a function's or class's `toString()` as an expression (methods via an object literal). */
export function parseCallable(source: string): Parsed | null {
  for (const [text, pick] of [
    [`(${source})`, (p: any) => p.body[0].expression],
    [`({${source}})`, (p: any) => p.body[0].expression.properties[0].value],
  ] as const) {
    try {
      const program = parse(text, { ecmaVersion: "latest", sourceType: "module", allowAwaitOutsideFunction: true });
      return { node: pick(program), text };
    } catch {
      // try the next shape
    }
  }
  return null;
}

/** Free identifiers of `node`, excluding the class's `extends` expression (it is supplied). */
export function freeNames(root: any): Set<string> {
  const declared = new Set<string>();
  const used = new Set<string>();

  const declarePattern = (p: any): void => {
    if (!p) return;
    switch (p.type) {
      case "Identifier": declared.add(p.name); break;
      case "ObjectPattern": for (const prop of p.properties) declarePattern(prop.type === "RestElement" ? prop.argument : prop.value); break;
      case "ArrayPattern": for (const el of p.elements) declarePattern(el); break;
      case "RestElement": declarePattern(p.argument); break;
      case "AssignmentPattern": declarePattern(p.left); break;
    }
  };

  const visit = (n: any): void => {
    if (!n || typeof n.type !== "string") return;
    switch (n.type) {
      case "Identifier":
        used.add(n.name);
        return;
      case "VariableDeclarator": declarePattern(n.id); break;
      case "FunctionDeclaration": case "FunctionExpression": case "ArrowFunctionExpression":
        if (n.id) declared.add(n.id.name);
        for (const p of n.params) declarePattern(p);
        break;
      case "ClassDeclaration": case "ClassExpression":
        if (n.id) declared.add(n.id.name);
        break;
      case "CatchClause": declarePattern(n.param); break;
      case "LabeledStatement": visit(n.body); return;
      case "BreakStatement": case "ContinueStatement": case "MetaProperty": case "PrivateIdentifier": return;
      case "MemberExpression":
        visit(n.object);
        if (n.computed) visit(n.property);
        return;
      case "Property": case "MethodDefinition": case "PropertyDefinition":
        if (n.computed) visit(n.key);
        visit(n.value);
        return;
    }
    for (const k of Object.keys(n)) {
      if (k === "type" || k === "start" || k === "end" || k === "loc" || k === "range") continue;
      if (n === root && k === "superClass") continue;
      const v = n[k];
      if (Array.isArray(v)) for (const c of v) visit(c);
      else if (v && typeof v === "object" && typeof v.type === "string") visit(v);
    }
  };
  visit(root);
  const free = new Set<string>();
  for (const u of used) if (!declared.has(u)) free.add(u);
  free.delete("arguments");
  return free;
}

/** Import bindings of a module's source: local name -> where it comes from. */
export interface ImportBinding {
  local: string;
  source: string;
  imported: string; // "*" for a namespace, "default", or the exported name
}

export function moduleImports(source: string): Map<string, ImportBinding> {
  const out = new Map<string, ImportBinding>();
  let program: any;
  try {
    program = parse(source, { ecmaVersion: "latest", sourceType: "module", allowHashBang: true, allowAwaitOutsideFunction: true });
  } catch {
    return out;
  }
  for (const st of program.body as Node[] as any[]) {
    if (st.type !== "ImportDeclaration" || st.importKind === "type") continue;
    for (const s of st.specifiers) {
      const imported = s.type === "ImportNamespaceSpecifier" ? "*" : s.type === "ImportDefaultSpecifier" ? "default"
        : s.imported.type === "Identifier" ? s.imported.name : s.imported.value;
      out.set(s.local.name, { local: s.local.name, source: st.source.value, imported });
    }
  }
  return out;
}

/**
 * Rewrites the parsed text for evaluation in a thread: `import(` becomes `__skein_import(` (so a
 * dynamic import resolves against the defining file) and, for a class, its `extends` expression
 * becomes `__skein_base` (the parent class as evaluated in the thread).
 */
export function rewrite(parsed: Parsed, replaceSuper: boolean): string {
  const edits: Array<[number, number, string]> = [];
  const walk = (n: any): void => {
    if (!n || typeof n.type !== "string") return;
    if (n.type === "ImportExpression") edits.push([n.start, n.start + "import".length, "__skein_import"]);
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) for (const c of v) walk(c);
      else if (v && typeof v === "object" && typeof v.type === "string") walk(v);
    }
  };
  walk(parsed.node);
  if (replaceSuper && parsed.node.superClass) {
    const s = parsed.node.superClass;
    edits.push([s.start, s.end, "__skein_base"]);
  }
  edits.sort((a, b) => b[0] - a[0]);
  let text = parsed.text;
  for (const [from, to, by] of edits) text = text.slice(0, from) + by + text.slice(to);
  return text;
}
