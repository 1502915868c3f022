/**
 * Where a place in a script skein parsed is in the file the programmer wrote, for its errors. The
 * script is often a compiler's output: tsx's and Deno's (one line for many, blank lines and types
 * gone), tsc's, a bundle's. Its source map says, when it has one (inline, or a file it names); Bun
 * reprints every file and keeps no map, so there a declaration is found by its name instead.
 */
import * as nodeModule from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runtimeKind } from "../platform/runtime-kind.js";
import { lineAt, type ModuleInfo } from "./module-info.js";
import type { PartMap } from "./mirrors.js";

interface Entry {
  originalSource?: string;
  originalLine?: number;
  originalColumn?: number;
}
interface SourceMapLike {
  readonly payload: { sources?: unknown };
  findEntry(line: number, column: number): Entry;
}
type SourceMapCtor = new (payload: object) => SourceMapLike;

const maps = new WeakMap<ModuleInfo, SourceMapLike | null>();

/**
 * "line N" (1-based) of `offset` in the file as written, or "file.ts:N" where a bundle's map names
 * another file; for a top-level binding `declared`, where it is declared. Null where it can't be
 * known (Bun, a place inside a function).
 */
export function placeOf(info: ModuleInfo, offset: number, declared?: string): string | null {
  const line = lineAt(info, offset);
  const map = mapOf(info);
  if (map) {
    const e = map.findEntry(line, offset - info.lineStarts[line]!);
    if (typeof e?.originalLine === "number") {
      const sources = Array.isArray(map.payload.sources) ? map.payload.sources : [];
      const file = sources.length > 1 && typeof e.originalSource === "string" ? e.originalSource.replace(/^.*[\\/]/, "") : null;
      return file ? `${file}:${e.originalLine + 1}` : `line ${e.originalLine + 1}`;
    }
  }
  if (runtimeKind !== "bun" || info.kind === "shipped") return `line ${line + 1}`;
  return declared ? declarationLine(info.url, declared) : null;
}

/**
 * The PartMap of the script's text from offset `from` to `to`, written from column `col0` of its
 * first line on; null where stack traces show the script's own lines: no source map, or one the
 * runtime doesn't apply to the program's own frames either (Node without --enable-source-maps or
 * tsx, which turns them on).
 */
export function partMap(info: ModuleInfo, from: number, to: number, col0: number): PartMap | null {
  if (info.kind === "shipped" || !mapsApplied()) return null;
  const map = mapOf(info);
  if (!map) return null;
  const sources: string[] = [];
  const segs: number[] = [];
  const first = lineAt(info, from);
  const named = new Map<string, string>();
  const sourceOf = (e: Entry): string => {
    if (typeof e.originalSource !== "string") return info.url;
    let url = named.get(e.originalSource);
    if (url === undefined) named.set(e.originalSource, (url = sourceUrl(e.originalSource, info.url)));
    return url;
  };
  let last = "";
  // Each offset's entry, kept where it changes: a function's few hundred characters, once per code.
  for (let at = from; at < to; at++) {
    const line = lineAt(info, at);
    const column = at - info.lineStarts[line]!;
    const e = map.findEntry(line, column);
    if (typeof e?.originalLine !== "number") continue;
    const source = sourceOf(e);
    const key = `${source}\u0000${e.originalLine}\u0000${e.originalColumn}\u0000${line}`;
    if (key === last) continue;
    last = key;
    let src = sources.indexOf(source);
    if (src < 0) src = sources.push(source) - 1;
    const rel = line - first;
    segs.push(rel, rel === 0 ? column - (from - info.lineStarts[first]!) + col0 : column, src, e.originalLine, e.originalColumn ?? 0);
  }
  return segs.length === 0 ? null : { sources, segs };
}

/**
 * A source map's source as a URL (relative ones against the script's); the script's own where the
 * map names a file that isn't there (Deno's "stripTypeScriptTypes.ts").
 */
function sourceUrl(source: string, script: string): string {
  let url: string;
  try {
    url = /^[a-z][a-z0-9+.-]*:/i.test(source) ? source : source.startsWith("/") ? pathToFileURL(source).href : new URL(source, script).href;
  } catch {
    return script;
  }
  if (!url.startsWith("file:")) return url;
  try {
    return existsSync(fileURLToPath(url)) ? url : script;
  } catch {
    return script;
  }
}

/** Whether this runtime shows the program's frames at their lines as written. */
function mapsApplied(): boolean {
  return runtimeKind === "deno" || (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
}

function mapOf(info: ModuleInfo): SourceMapLike | null {
  if (maps.has(info)) return maps.get(info)!;
  let map: SourceMapLike | null = null;
  try {
    const payload = payloadOf(info);
    const Ctor = (nodeModule as unknown as { SourceMap?: SourceMapCtor }).SourceMap;
    if (payload && typeof Ctor === "function") map = new Ctor(payload);
  } catch {
    map = null; // a map that doesn't parse: lines as the script has them
  }
  maps.set(info, map);
  return map;
}

function payloadOf(info: ModuleInfo): object | null {
  const m = /\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(info.source.slice(-100_000));
  if (!m) return null;
  const ref = m[1]!;
  const inline = /^data:application\/json;(?:charset=utf-8;)?base64,(.*)$/i.exec(ref);
  if (inline) return JSON.parse(Buffer.from(inline[1]!, "base64").toString("utf8"));
  if (!info.url.startsWith("file:")) return null;
  return JSON.parse(readFileSync(fileURLToPath(new URL(ref, info.url)), "utf8"));
}

/** The line where the file at `url` declares `name` at its top level, if it does so once. */
function declarationLine(url: string, name: string): string | null {
  let text: string;
  try {
    text = readFileSync(fileURLToPath(url), "utf8");
  } catch {
    return null;
  }
  const escaped = name.replace(/[$]/g, "\\$");
  const re = new RegExp(`^(?:export\\s+)?(?:declare\\s+)?(?:const|let|var|function\\*?|class|enum|async\\s+function\\*?)\\s+${escaped}\\b`, "gm");
  const found = [...text.matchAll(re)];
  if (found.length !== 1) return null;
  return `line ${text.slice(0, found[0]!.index).split("\n").length}`;
}
