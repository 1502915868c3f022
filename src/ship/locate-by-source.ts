/**
 * Where a function was defined, on runtimes whose inspector can't answer synchronously (Bun has
 * no Runtime.evaluate; Deno answers later): the files on the current stack (the program calling
 * start() or submit() is almost always the file that defines the function, or imported by it)
 * are searched for the function's own text, as the runtime compiled them. Bun runs every file
 * through its transpiler (which reprints JavaScript too and inlines constants), so on Bun each file
 * goes through Bun.Transpiler with the options its loader uses; Deno runs JavaScript as written
 * and offers no transpiler, so there TypeScript can't be searched, and the caller says so.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Location } from "./locate.js";
import { stackFrames } from "../runtime/call-site.js";

/** A file as the runtime compiled it, by URL (null: can't be read or transpiled here). */
const compiled = new Map<string, string | null>();
/** Files that held functions before: searched first next time. */
const known: string[] = [];

interface BunTranspiler {
  transformSync(code: string): string;
}
const bun = (globalThis as { Bun?: { Transpiler: new (o: object) => BunTranspiler } }).Bun;
const transpilers = new Map<string, BunTranspiler>();

function transpile(url: string, text: string): string | null {
  const ext = /\.[mc]?([jt]sx?)$/.exec(url);
  if (!bun) return ext && ext[1]!.startsWith("t") ? null : text;
  const loader = ext ? ext[1]! : "js";
  let t = transpilers.get(loader);
  if (!t) transpilers.set(loader, (t = new bun.Transpiler({ loader, inline: true, target: "bun" })));
  return t.transformSync(text);
}

/** The text of the file at `url` as the runtime runs it, or null. */
export function compiledSource(url: string): string | null {
  if (compiled.has(url)) return compiled.get(url)!;
  let out: string | null = null;
  try {
    out = transpile(url, readFileSync(fileURLToPath(url), "utf8"));
  } catch {
    out = null;
  }
  compiled.set(url, out);
  return out;
}

/** File URLs on the current stack, nearest first (skein's own frames are searched too, harmlessly). */
function stackFiles(): string[] {
  return stackFrames().map((f) => pathToFileURL(f.loc.replace(/:\d+:\d+$/, "")).href);
}

/** Why a function couldn't be found, for the error: a TypeScript file with no transpiler here. */
export let lastMiss: string | null = null;

/** The function's defining file and position, found by its text; null if no file on the stack holds it. */
export function locateBySource(fnText: string): Location | null {
  lastMiss = null;
  if (/\{\s*\[native code\]\s*\}$/.test(fnText)) return null;
  const candidates = [...new Set([...stackFiles(), ...known])];
  for (const url of candidates) {
    const source = compiledSource(url);
    if (source === null) {
      if (/\.[mc]?tsx?$/.test(url)) lastMiss ??= url;
      continue;
    }
    const at = source.indexOf(fnText);
    if (at === -1) continue;
    if (!known.includes(url)) known.push(url);
    const before = source.slice(0, at);
    const line = before.split("\n").length - 1;
    return { url, scriptId: `source:${url}`, line, column: at - (before.lastIndexOf("\n") + 1) };
  }
  return null;
}
