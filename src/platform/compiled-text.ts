/**
 * A file's text as this runtime compiled it, which is what Function.prototype.toString shows of
 * the functions in it. Node and Deno run JavaScript as written; Bun reprints every file through
 * its transpiler (and bakes constants into functions), so on Bun the file goes through
 * Bun.Transpiler with the options Bun's own loader uses. Deno compiles TypeScript with the same
 * transform its `node:module` stripTypeScriptTypes offers in "transform" mode, so that shows a
 * TypeScript file as Deno runs it.
 */
import * as nodeModule from "node:module";
import { runtimeKind } from "./runtime-kind.js";

interface BunTranspiler {
  transformSync(code: string): string;
}
type BunApi = { Transpiler: new (options: object) => BunTranspiler };
type Strip = (code: string, options: { mode: "transform"; sourceMap: boolean }) => string;

const transpilers = new Map<string, BunTranspiler>();

/** The compiled text of `text`, the file at `url`; null where it can't be known here. */
export function compiledText(url: string, text: string): string | null {
  const ext = /\.[mc]?([jt]sx?)$/.exec(url);
  if (runtimeKind !== "bun") {
    if (!ext || !ext[1]!.startsWith("t")) return text;
    return runtimeKind === "deno" ? denoTypeScript(text) : null;
  }
  const loader = ext ? ext[1]! : "js";
  let t = transpilers.get(loader);
  if (!t) {
    const bun = (globalThis as unknown as { Bun: BunApi }).Bun;
    transpilers.set(loader, (t = new bun.Transpiler({ loader, inline: true, target: "bun" })));
  }
  return t.transformSync(text);
}

/** A TypeScript file as Deno runs it; null if this Deno lacks the transform or the file doesn't parse. */
function denoTypeScript(text: string): string | null {
  const strip = (nodeModule as unknown as { stripTypeScriptTypes?: Strip }).stripTypeScriptTypes;
  if (typeof strip !== "function") return null;
  try {
    // With its source map (a trailing comment), which says where its lines were (ship/source-lines.ts).
    return strip(text, { mode: "transform", sourceMap: true });
  } catch {
    return null;
  }
}
