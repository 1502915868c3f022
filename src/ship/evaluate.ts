/**
 * Turns shipped source back into functions and classes in the receiving thread: loads the
 * imports the code needs (once per thread), evaluates with those bindings, and caches the result
 * so a worker running the same target again pays nothing. Only code the program passed as code
 * (shipment.ts) ever reaches this module (docs/security.md).
 */
import { shippedOrigins } from "./locate.js";
import type { ImportBinding } from "./free-names.js";
import type { Unit } from "./shipment.js";
import { runtime } from "../runtime/runtime.js";
import { compilerHelpers, HELPER_NAMES } from "./compiler-helpers.js";

let tsxReady: Promise<void> | null = null;
const modules = new Map<string, Promise<any>>();
const compiled = new Map<string, unknown>();
let shipCounter = 0;

function needsTsx(url: string): boolean {
  return runtime.tsxApi !== null && !url.startsWith("node:") && url !== "skein";
}

async function ensureTsx(): Promise<void> {
  tsxReady ??= (async () => {
    const api = await import(runtime.tsxApi!);
    api.register();
  })();
  return tsxReady;
}

const SELF = new URL("../index.js", import.meta.url).href;

const TS_TWINS: Array<[RegExp, string[]]> = [
  [/\.js$/, [".ts", ".tsx"]],
  [/\.mjs$/, [".mts"]],
  [/\.cjs$/, [".cts"]],
];

/** import() with TypeScript's ".js means .ts" convention, for programs run under tsx. */
export function importModule(spec: string): Promise<any> {
  // This very copy of skein (already loaded here), whatever "skein" would resolve to from here.
  if (spec === "skein") return import(SELF);
  let p = modules.get(spec);
  if (!p) {
    p = (async () => {
      if (needsTsx(spec)) await ensureTsx();
      try {
        return await import(spec);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND" || !spec.startsWith("file:")) throw e;
        for (const [re, alts] of TS_TWINS) {
          if (!re.test(spec)) continue;
          for (const alt of alts) {
            try {
              return await import(spec.replace(re, alt));
            } catch {
              // try the next twin
            }
          }
        }
        throw e;
      }
    })();
    modules.set(spec, p);
  }
  return p;
}

function importerFor(url: string): (spec: string) => Promise<any> {
  return (spec: string) => {
    if (typeof spec !== "string") return import(spec);
    const resolved = /^\.{0,2}\//.test(spec) && url ? new URL(spec, url).href : spec;
    return importModule(resolved);
  };
}

/** Evaluates one shipped unit; `base` is the parent class for a class unit. */
export async function materialize(unit: Unit, base: unknown = null): Promise<any> {
  const values: unknown[] = [];
  for (const imp of unit.imports) {
    const ns = await importModule(imp.module);
    values.push(imp.imported === "*" ? ns : ns[imp.imported]);
  }
  return evaluate(unit, base, values);
}

/** For code that imports nothing, evaluation needs no await (a Barrier action met mid-thread). */
export function materializeSync(unit: Unit): any {
  if (unit.imports.length > 0) return undefined;
  return evaluate(unit, null, []);
}

function evaluate(unit: Unit, base: unknown, values: unknown[]): any {
  const key = `${unit.mode}\u0000${unit.url}\u0000${unit.imports.map((i) => `${i.local}=${i.module}#${i.imported}`).join(",")}\u0000${unit.text}`;
  const cacheable = base === null || compiledBases.get(key) === base;
  if (cacheable && compiled.has(key)) return compiled.get(key);
  // Stack traces show the defining file; the query keeps each evaluation's URL unique.
  const id = `${unit.url || "skein:thread"}?skein-thread=${++shipCounter}`;
  const origin = new Map<string, ImportBinding>();
  for (const i of unit.imports) origin.set(i.local, { local: i.local, source: i.module, imported: i.imported });
  shippedOrigins.set(id, { url: unit.url, line: 0, imports: origin });
  const expr = unit.mode === "expr" ? unit.text : `Object.values(${unit.text})[0]`;
  const factory = new Function(
    "__skein_base", "__skein_import", ...HELPER_NAMES, ...unit.imports.map((i) => i.local),
    // new Function adds two lines before the body; the padding puts the code on its own line.
    `"use strict";${"\n".repeat(Math.max(0, unit.line - 2))}return ${expr};\n//# sourceURL=${id}`,
  );
  const value = factory(base, importerFor(unit.url), ...HELPER_NAMES.map((n) => compilerHelpers[n]), ...values);
  compiled.set(key, value);
  compiledBases.set(key, base);
  return value;
}

const compiledBases = new Map<string, unknown>();
