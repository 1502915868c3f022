/**
 * Stack traces of shipped code at the lines of the files as written. A thread runs a function's
 * text as the program's runtime compiled it (tsx's, Deno's: types gone, often many lines in one),
 * laid out at that compiled script's lines, where neither Node nor Deno applies the file's source
 * map. The sending side maps each part of the text (ship/source-lines.ts partMap); here, frames
 * in the scripts made from such parts are written with the positions those maps give, for
 * tracebacks, `error.stack` and the call sites of thread dumps alike.
 */
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";
import type { PartMap } from "./mirrors.js";

/** A part of a script as laid out: its first line (0-based), the column its text starts at there, and its map. */
export interface Placed {
  line: number;
  col: number;
  map: PartMap;
}

/** By script name (ship/evaluate.ts's `url?skein-thread=N`), its mapped parts in line order. */
const scripts = new Map<string, Placed[]>();
let installed = false;
/** The runtime's own formatter (Node's, as it sets it), before any program code ran here. */
const runtimeFormatter = Error.prepareStackTrace;

/** Records the mapped parts of script `name`, and from the first, writes frames through them. */
export function placeParts(name: string, placed: Placed[]): void {
  if (placed.length === 0) return;
  scripts.set(name, placed.sort((a, b) => a.line - b.line));
  install();
}

/** Where 0-based `line` and `column` of script `name` are in the file as written, if known. */
export function originalPosition(name: string, line: number, column: number): { source: string; line: number; column: number } | null {
  const placed = scripts.get(name);
  if (!placed) return null;
  let part: Placed | undefined;
  for (const p of placed) {
    if (p.line > line) break;
    part = p;
  }
  if (!part) return null;
  const relLine = line - part.line;
  const relCol = relLine === 0 ? column - part.col : column;
  const segs = part.map.segs;
  let best = -1;
  for (let i = 0; i < segs.length; i += 5) {
    if (segs[i]! < relLine || (segs[i] === relLine && segs[i + 1]! <= relCol)) best = i;
    else break;
  }
  if (best < 0) return null;
  return { source: part.map.sources[segs[best + 2]!] ?? name, line: segs[best + 3]!, column: segs[best + 4]! };
}

function install(): void {
  if (installed) return;
  installed = true;
  // A program's own formatter, set before: it gets the frames as they are.
  if (Error.prepareStackTrace !== runtimeFormatter) return;
  Error.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) => {
    let head: string;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = "Error";
    }
    return head + frames.map((f) => `\n    at ${frameText(f)}`).join("");
  };
}

/** V8's text for a frame, its position the one in the file as written where a map says. */
function frameText(f: NodeJS.CallSite): string {
  const text = String(f);
  const file = f.getScriptNameOrSourceURL?.() ?? f.getFileName();
  const line = f.getLineNumber();
  const column = f.getColumnNumber();
  if (!file || line === null || column === null) return text;
  const o = originalPosition(file, line - 1, column - 1) ?? appliedMap(file, line - 1, column - 1);
  if (!o) return text;
  // The frame's place ends its text, bare or in parentheses; runtimes write its file their own way
  // (Deno: a path).
  const m = LOCATION.exec(text);
  return m ? `${text.slice(0, m.index)}${m[1]}${shown(o.source, f.getFileName())}:${o.line + 1}:${o.column + 1}${m[2]}` : text;
}

/** A file URL as a path where the runtime writes frames' files so (Deno). */
function shown(source: string, runtimeWrote: string | null | undefined): string {
  if (!source.startsWith("file:") || !runtimeWrote || runtimeWrote.startsWith("file:")) return source;
  try {
    return fileURLToPath(source);
  } catch {
    return source;
  }
}

const LOCATION = /(\(?)[^()]*:\d+:\d+(\)?)$/;

/**
 * What Node's own source maps say for a frame of any other file, where they are on: this
 * formatter takes the place of Node's, which would have applied them (skein's own files, under
 * --enable-source-maps).
 */
function appliedMap(file: string, line: number, column: number): { source: string; line: number; column: number } | null {
  if ((process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled !== true) return null;
  const find = (nodeModule as { findSourceMap?: (path: string) => { findEntry(l: number, c: number): { originalSource?: string; originalLine?: number; originalColumn?: number } } | undefined }).findSourceMap;
  try {
    const e = find?.(file)?.findEntry(line, column);
    return e && typeof e.originalLine === "number" && typeof e.originalSource === "string" ? { source: e.originalSource, line: e.originalLine, column: e.originalColumn ?? 0 } : null;
  } catch {
    return null;
  }
}
