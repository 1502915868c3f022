/**
 * Where a function was defined, on runtimes whose inspector can't answer synchronously (Bun has
 * no Runtime.evaluate; Deno answers later). The function's own text is searched for, in each file
 * as the runtime compiled it (platform/compiled-text.ts): first the files on the current stack
 * (the program calling start() or submit() almost always defines the function or imports it),
 * then files the program named (`module` options) and, in a thread, the files its shipped code
 * came from, then the program's modules all these import. Where the runtime can't show a file as
 * compiled (TypeScript on a Deno without node:module's stripTypeScriptTypes), the caller says so.
 */
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isAbsolute } from "node:path";
import type { Location } from "./locate.js";
import { isSkeinFile, stackFrames } from "../runtime/call-site.js";
import { squeeze, type Squeezed } from "./loose-text.js";
import { compiledText } from "../platform/compiled-text.js";
import { tsTwins } from "./ts-twins.js";
import { describe } from "../common/checks.js";

/** A file as the runtime compiled it, by URL (null: can't be read or transpiled here). */
const compiled = new Map<string, string | null>();
/** Files that held functions before: searched first next time. */
const known: string[] = [];

/** The text of the file at `url` as the runtime runs it, or null. */
export function compiledSource(url: string): string | null {
  if (compiled.has(url)) return compiled.get(url)!;
  let out: string | null = null;
  try {
    out = compiledText(url, readFileSync(fileURLToPath(url), "utf8"));
  } catch {
    out = null;
  }
  compiled.set(url, out);
  return out;
}

/** Each searched file's text without whitespace, by URL. */
const squeezedFiles = new Map<string, Squeezed>();

/** Where fnText starts in source: as it stands, else matched without whitespace; -1 if nowhere. */
function indexIgnoringSpace(url: string, source: string, fnText: string): number {
  const at = source.indexOf(fnText);
  if (at !== -1) return at;
  let sq = squeezedFiles.get(url);
  if (!sq) squeezedFiles.set(url, (sq = squeeze(source)));
  const loose = squeeze(fnText).text;
  const i = loose.length > 0 ? sq.text.indexOf(loose) : -1;
  return i === -1 ? -1 : sq.at[i]!;
}

/** How many files one search reads at most (a program's own modules, not all of node_modules). */
const MAX_FILES = 200;

/** Files the program named (`module` options) as defining code it starts in threads. */
const hints: string[] = [];

/**
 * Adds a file to those searched for functions: the file a `module` option names, for when the
 * function's file is neither on the stack nor imported from a file that is.
 */
export function hintModule(url: string): void {
  if (!hints.includes(url)) hints.push(url);
}

/**
 * Checks a `module` option (import.meta.url, a file URL or an absolute path; undefined: none) and
 * returns it as a file URL.
 */
export function moduleOption(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  const text = value instanceof URL ? value.href : value;
  if (typeof text === "string") {
    if (text.startsWith("file:")) {
      try {
        fileURLToPath(text);
        return new URL(text).href;
      } catch {
        // reported below
      }
    } else if (isAbsolute(text)) {
      return pathToFileURL(text).href;
    }
  }
  throw new TypeError(
    `${what}: module must name the file that defines the code, as import.meta.url (or a file: URL, or an absolute path), got ${describe(value)}`,
  );
}

/**
 * The program's own modules that a file imports (relative specifiers, as written: static and
 * dynamic imports and require calls), as file URLs that exist. A specifier found in a comment or a
 * string only adds a file to search.
 */
function localImports(url: string): string[] {
  const seen = importsOf.get(url);
  if (seen) return seen;
  const out: string[] = [];
  importsOf.set(url, out);
  let text: string;
  try {
    text = readFileSync(fileURLToPath(url), "utf8");
  } catch {
    return out;
  }
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(["'])(\.{1,2}\/[^"'\n]*)\1/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const file = existing(new URL(m[2]!, url));
    if (file) out.push(file);
  }
  return out;
}

/** What each file searched imports, by URL: every start() of a new function searches again. */
const importsOf = new Map<string, string[]>();

/** A module specifier's file as the runtime resolves it: as written, a TypeScript twin, or with an extension added. */
function existing(u: URL): string | null {
  const path = fileURLToPath(u);
  const tries = [path, ...tsTwins(path), ...["ts", "js", "mjs", "cjs", "tsx"].map((e) => `${path}.${e}`)];
  for (const p of tries) {
    try {
      if (statSync(p).isFile()) return pathToFileURL(p).href;
    } catch {
      // not this one
    }
  }
  return null;
}

/** File URLs on the current stack, nearest first, skein's own left out. */
function stackFiles(): string[] {
  // skein's frames are the nearest; a function of the program's whose text happens to match one
  // of skein's must not be found there.
  return stackFrames()
    .map((f) => f.loc.replace(/:\d+:\d+$/, ""))
    .filter((path) => !isSkeinFile(path))
    .map((path) => pathToFileURL(path).href);
}

/** Why a function couldn't be found, for the error: a TypeScript file with no transpiler here. */
export let lastMiss: string | null = null;

/** The function's defining file and position, found by its text; null if no file on the stack holds it. */
export function locateBySource(fnText: string, shippedFrom: readonly string[] = []): Location | null {
  lastMiss = null;
  if (/\{\s*\[native code\]\s*\}$/.test(fnText)) return null;
  // The stack's files first, then what they import, breadth first: a target usually comes from
  // the file that starts the thread or from a module of the program's that it imports.
  const queue = [...new Set([...stackFiles(), ...known, ...hints, ...shippedFrom.filter((u) => u.startsWith("file:"))])];
  const seen = new Set(queue);
  for (let k = 0; k < queue.length && k < MAX_FILES; k++) {
    const url = queue[k]!;
    const source = compiledSource(url);
    if (source === null) {
      if (/\.[mc]?tsx?$/.test(url)) lastMiss ??= url;
      continue;
    }
    const at = indexIgnoringSpace(url, source, fnText);
    if (at === -1) {
      for (const dep of localImports(url)) {
        if (!seen.has(dep)) {
          seen.add(dep);
          queue.push(dep);
        }
      }
      continue;
    }
    if (!known.includes(url)) known.push(url);
    const before = source.slice(0, at);
    const line = before.split("\n").length - 1;
    return { url, scriptId: `source:${url}`, line, column: at - (before.lastIndexOf("\n") + 1) };
  }
  return null;
}
