/**
 * Where a place in a script skein parsed is in the file the programmer wrote, for its errors. The
 * script is often a compiler's output: tsx's and Deno's (one line for many, blank lines and types
 * gone), tsc's, a bundle's. Its source map says, when it has one (inline, or a file it names); Bun
 * reprints every file and keeps no map, so there a declaration is found by its name instead.
 */
import * as nodeModule from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runtimeKind } from "../platform/runtime-kind.js";
import { lineAt, type ModuleInfo } from "./module-info.js";

interface Entry {
  originalSource?: string;
  originalLine?: number;
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
