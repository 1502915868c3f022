/**
 * Where a function was defined: its script's URL and source, and its line and column there, found
 * through the inspector protocol (the one place V8 tells a function's script). Runs in-thread and
 * synchronously. Cheap first: a script's URL comes from the stack (the code starting a thread is
 * most often in its target's file, ~0.4 ms) or else the profiler's coverage list (~2.5 ms), its
 * source from its file when the file holds the function where V8 says (compiled JavaScript as
 * run); only otherwise (a loader transformed it, tsx) is the debugger switched on, which costs
 * ~15 ms the first time, as it reports every script. Where the inspector can't answer synchronously
 * (Bun, Deno), functions are found by their text in the files on the stack (ship/locate-by-source.ts).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { shippedOrigins } from "./origins.js";
import { compiledSource, lastMiss, locateBySource } from "./locate-by-source.js";
import { inspect as post, inspectorAnswers, onScriptParsed, stackScripts } from "../platform/inspector.js";
import { runtimeLabel } from "../platform/runtime-kind.js";

export interface Location {
  url: string;
  scriptId: string;
  /** 0-based, in the script. */
  line: number;
  column: number;
}

const urls = new Map<string, string>();
const sources = new Map<string, string>();
onScriptParsed((scriptId, url) => urls.set(scriptId, url));

/** The function's script and position, or null for a function with no script (native, bound). */
export function locate(fn: Function): Location | null {
  if (!inspectorAnswers()) return locateWithoutInspector(fn);
  const key = "__skein_locate_probe";
  (globalThis as any)[key] = fn;
  let loc: { scriptId: string; lineNumber: number; columnNumber: number } | undefined;
  try {
    const { result } = post<any>("Runtime.evaluate", { expression: `globalThis.${key}`, objectGroup: "skein" });
    const props = post<any>("Runtime.getProperties", { objectId: result.objectId, ownProperties: true });
    loc = props.internalProperties?.find((p: any) => p.name === "[[FunctionLocation]]")?.value?.value;
  } finally {
    delete (globalThis as any)[key];
    post("Runtime.releaseObjectGroup", { objectGroup: "skein" });
  }
  if (!loc?.scriptId) return null;
  if (!urls.has(loc.scriptId)) learnUrlsFromStack();
  if (!urls.has(loc.scriptId)) learnUrls();
  if (!urls.has(loc.scriptId)) readScript(loc.scriptId);
  return { url: urls.get(loc.scriptId) ?? "", scriptId: loc.scriptId, line: loc.lineNumber, column: loc.columnNumber };
}

function locateWithoutInspector(fn: Function): Location | null {
  const text = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}$/.test(text)) return null;
  // In a thread, code that came shipped was defined in its program's files: those are searched too.
  const where = locateBySource(text, [...new Set([...shippedOrigins.values()].map((o) => o.url))]);
  if (where) return where;
  const runtime = runtimeLabel;
  throw new TypeError(
    `skein can't find where ${fn.name ? `"${fn.name}"` : "this function"} is defined, to send it to another thread: ${runtime}'s inspector can't tell synchronously, ` +
      (lastMiss
        ? `and ${runtime} offers no way here to see TypeScript as it runs it (${lastMiss}); on ${runtime}, define threads' code in JavaScript files, or run the TypeScript on Node or Bun`
        : `and neither the files on the stack nor the modules they import hold its text; define it at the top level of the file that starts the thread or of a module that file imports, ` +
          `or name its file: new Thread({ target, module: import.meta.url }) (or new ThreadPoolExecutor({ module }))`),
  );
}

/** Script URLs of the functions on the stack (most often the target's file starts its thread). */
function learnUrlsFromStack(): void {
  for (const { scriptId, url } of stackScripts()) if (url) urls.set(scriptId, url);
}

/** Script URLs from the profiler's list of scripts with live functions (without the debugger). */
function learnUrls(): void {
  post("Profiler.enable");
  try {
    for (const script of post<any>("Profiler.getBestEffortCoverage").result as { scriptId: string; url: string }[]) {
      if (script.url) urls.set(script.scriptId, script.url);
    }
  } finally {
    post("Profiler.disable");
  }
}

/**
 * The source of a script, as V8 compiled it (what tsx or a bundler produced, for those): its
 * file's text if that file holds `fnText` (a function's source) spanning `where`, else read
 * through the debugger.
 */
export function scriptSource(where: Location, fnText: string): string {
  let s = sources.get(where.scriptId);
  if (s === undefined && where.scriptId.startsWith("source:")) s = compiledSource(where.url) ?? "";
  if (s === undefined) {
    s = fileSource(where, fnText) ?? readScript(where.scriptId);
    sources.set(where.scriptId, s);
  }
  return s;
}

function fileSource(where: Location, fnText: string): string | null {
  // Not code skein evaluated itself (its URL has a query): its script is not its file.
  if (!where.url.startsWith("file:") || where.url.includes("?") || shippedOrigins.has(where.url) || fnText.length === 0) return null;
  // TypeScript is never what V8 runs (a loader or Node's type stripping changed it), even where a
  // function's own text, having no types, reads the same in both.
  if (/\.[mc]?tsx?$/.test(where.url)) return null;
  let text: string;
  try {
    text = readFileSync(fileURLToPath(where.url), "utf8");
  } catch {
    return null;
  }
  let off = 0;
  for (let line = 0; line < where.line; line++) {
    off = text.indexOf("\n", off) + 1;
    if (off === 0) return null;
  }
  off += where.column;
  const at = text.lastIndexOf(fnText, off);
  return at !== -1 && at + fnText.length > off ? text : null;
}

function readScript(scriptId: string): string {
  // Enabling the debugger reports every script parsed so far (their URLs arrive meanwhile).
  post("Debugger.enable");
  try {
    const { scriptSource: s } = post<any>("Debugger.getScriptSource", { scriptId });
    sources.set(scriptId, s);
    return s;
  } finally {
    post("Debugger.disable");
  }
}

/**
 * The current values of top-level bindings that `fn` can see (its module's, or its CommonJS
 * wrapper's), by name: read through the inspector's view of its scopes. Names it can't see are
 * left out.
 */
export function bindingsOf(fn: Function, names: readonly string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  // Without a synchronous inspector the values can't be read: declarations are made from source.
  if (!inspectorAnswers()) return out;
  const key = "__skein_locate_probe";
  const grab = "__skein_binding";
  (globalThis as any)[key] = fn;
  try {
    const { result } = post<any>("Runtime.evaluate", { expression: `globalThis.${key}`, objectGroup: "skein" });
    const props = post<any>("Runtime.getProperties", { objectId: result.objectId, ownProperties: true });
    const chain = props.internalProperties?.find((p: any) => p.name === "[[Scopes]]")?.value?.objectId;
    if (!chain) return out;
    const scopes = post<any>("Runtime.getProperties", { objectId: chain, ownProperties: true }).result as any[];
    const wanted = new Set(names);
    // Outermost first, past the global scope: the module's (or wrapper's) own bindings.
    for (let i = scopes.length - 1; i >= 0 && wanted.size > 0; i--) {
      const scope = scopes[i]?.value;
      if (!scope?.objectId || /^Global/.test(scope.description ?? "")) continue;
      for (const v of post<any>("Runtime.getProperties", { objectId: scope.objectId, ownProperties: true }).result as any[]) {
        if (!wanted.has(v.name) || !v.value) continue;
        wanted.delete(v.name);
        if (v.value.objectId) {
          post("Runtime.callFunctionOn", { objectId: v.value.objectId, functionDeclaration: `function () { globalThis.${grab} = this; }`, objectGroup: "skein" });
          out.set(v.name, (globalThis as any)[grab]);
          delete (globalThis as any)[grab];
        } else if ("value" in v.value) {
          out.set(v.name, v.value.value);
        }
      }
    }
  } finally {
    delete (globalThis as any)[key];
    post("Runtime.releaseObjectGroup", { objectGroup: "skein" });
  }
  return out;
}
