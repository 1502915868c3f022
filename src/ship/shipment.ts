/**
 * Turns a target function, or a Thread subclass's class chain, into source text plus the imports
 * it needs, ready to be evaluated in another thread; rejects outer variables it can't take along.
 */
import { createRequire, isBuiltin } from "node:module";
import { pathToFileURL } from "node:url";
import { freeNames, parseCallable, rewrite } from "./free-names.js";
import { locate } from "./locate.js";

export interface ResolvedImport {
  local: string;
  /** A module URL, a builtin, a bare specifier, or "skein" for this package. */
  module: string;
  imported: string;
}

export interface Unit {
  name: string;
  text: string;
  mode: "expr" | "method";
  /** The defining file, for dynamic import() inside the code. */
  url: string;
  line: number;
  imports: ResolvedImport[];
}

import { HELPER_NAMES } from "./compiler-helpers.js";

/** Names the thread provides itself: esbuild's and tsc's helpers and skein's rewrites. */
export const PROVIDED = [...HELPER_NAMES, "__skein_import", "__skein_base"];

const cache = new WeakMap<Function, Unit>();

export function shipFunction(fn: Function, role: string): Unit {
  const hit = cache.get(fn);
  if (hit) return hit;
  const unit = build(fn, role, false);
  cache.set(fn, unit);
  return unit;
}

export function shipClassChain(leaf: Function, base: Function): Unit[] {
  const chain: Function[] = [];
  for (let c: any = leaf; c !== base; c = Object.getPrototypeOf(c)) {
    if (typeof c !== "function" || c === Function.prototype) {
      throw new TypeError(`${leaf.name} does not extend Thread; a thread class must extend Thread`);
    }
    chain.unshift(c);
  }
  return chain.map((c) => {
    const hit = cache.get(c);
    if (hit) return hit;
    const unit = build(c, `class ${c.name}`, true);
    cache.set(c, unit);
    return unit;
  });
}

function build(fn: Function, role: string, isClass: boolean): Unit {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}$/.test(source)) {
    throw new TypeError(`${role} is a native or bound function, whose source can't be sent to another thread; pass a plain function instead`);
  }
  const parsed = parseCallable(source);
  if (!parsed) throw new TypeError(`skein could not parse the source of ${role} to send it to another thread`);
  const mode = parsed.text.startsWith("({") ? "method" : "expr";
  const free = freeNames(parsed.node);
  const needed = [...free].filter((n) => !PROVIDED.includes(n) && !(n in globalThis));
  const imports: ResolvedImport[] = [];
  // Located even when nothing is imported: stack traces in the thread then name the right file.
  const origin = locate(fn);
  const url = origin?.url ?? "";
  {
    for (const n of needed) {
      const b = origin?.imports.get(n);
      if (!b) {
        throw new TypeError(
          `${role} uses "${n}", a variable from outside it that can't be sent to another thread. ` +
            (isClass
              ? `Pass it to the constructor and keep it in a field (fields are copied to the thread), or import it in the module that defines the class.`
              : `Pass it in args (new Thread({ target, args: [${n}] })) or import it in the module that defines the target.`),
        );
      }
      imports.push({ local: n, module: resolveModule(b.source, url), imported: b.imported });
    }
  }
  return { name: fn.name, text: rewrite(parsed, isClass), mode, url, line: origin?.line ?? 0, imports };
}

function resolveModule(spec: string, from: string): string {
  if (spec === "skein") return "skein";
  if (isBuiltin(spec)) return spec;
  if (/^\.{0,2}\//.test(spec) && from) return new URL(spec, from).href;
  if (/^[a-z]+:/.test(spec)) return spec;
  try {
    if (from.startsWith("file:")) return pathToFileURL(createRequire(from).resolve(spec)).href;
  } catch {
    // ESM-only packages may not resolve through require; the thread resolves the bare name.
  }
  return spec;
}
