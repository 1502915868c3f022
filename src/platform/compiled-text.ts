/**
 * A file's text as this runtime compiled it, which is what Function.prototype.toString shows of
 * the functions in it. Node and Deno run JavaScript as written; Bun reprints every file through
 * its transpiler (and bakes constants into functions), so on Bun the file goes through
 * Bun.Transpiler with the options Bun's own loader uses. TypeScript's compiled text can't be known
 * on Deno, which offers no transpiler.
 */
import { runtimeKind } from "./runtime-kind.js";

interface BunTranspiler {
  transformSync(code: string): string;
}
type BunApi = { Transpiler: new (options: object) => BunTranspiler };

const transpilers = new Map<string, BunTranspiler>();

/** The compiled text of `text`, the file at `url`; null where it can't be known here. */
export function compiledText(url: string, text: string): string | null {
  const ext = /\.[mc]?([jt]sx?)$/.exec(url);
  if (runtimeKind !== "bun") return ext && ext[1]!.startsWith("t") ? null : text;
  const loader = ext ? ext[1]! : "js";
  let t = transpilers.get(loader);
  if (!t) {
    const bun = (globalThis as unknown as { Bun: BunApi }).Bun;
    transpilers.set(loader, (t = new bun.Transpiler({ loader, inline: true, target: "bun" })));
  }
  return t.transformSync(text);
}
