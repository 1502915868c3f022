/**
 * Runs one of skein's own CommonJS files (the parsers) with V8's code cache, kept in a file beside
 * it. Without the cache, the first thread started from a function of the program's own file
 * compiles the parsers while it runs them (loading them and their first parse, about 10 ms of that
 * first start()); with it, about 5 ms. The cache is written once, after first use (so that it holds
 * the functions that use compiled), and again only when the file, the V8 version or V8's flags
 * change; where skein's files aren't writable, there is none, and nothing else changes.
 *
 * Only skein's own files are cached, and their cache lives beside them: whoever can write it could
 * as well change the file it compiles. A cache is used only when its header names the file's
 * content hash (written by scripts/build.mjs as the file's last line), and V8 checks the rest
 * (its version, its flags, the source's length) itself. Only on Node: elsewhere the file is
 * compiled as it is.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { Script, compileFunction } from "node:vm";
import { threadId } from "node:worker_threads";
import { runtimeKind } from "./runtime-kind.js";

/** The last line of a file the build hashed. */
const HASH_LINE = "\n// skein:content-hash ";

/** Evaluates the CommonJS file at `file` (an absolute path) and returns its exports. */
export function runCommonJs(file: string): any {
  const source = readFileSync(file, "utf8");
  const module = { exports: {} as any };
  const at = source.lastIndexOf(HASH_LINE);
  if (runtimeKind !== "node" || at === -1) {
    compileFunction(source, ["module", "exports"], { filename: file })(module, module.exports);
    return module.exports;
  }
  const header = Buffer.from(`skein-code-cache ${source.slice(at + HASH_LINE.length).trim()} ${process.versions.v8} ${process.arch}\n`);
  const cacheFile = `${file}.cache`;
  const cached = readCache(cacheFile, header);
  // On the first line, so that stack traces in the file keep their line numbers.
  const script = new Script(`(function (module, exports) {${source}\n})`, { filename: file, cachedData: cached ?? undefined });
  script.runInThisContext()(module, module.exports);
  if (cached === null || script.cachedDataRejected) saveLater(script, cacheFile, header);
  return module.exports;
}

function readCache(cacheFile: string, header: Buffer): Buffer | null {
  let data: Buffer;
  try {
    data = readFileSync(cacheFile);
  } catch {
    return null;
  }
  return data.subarray(0, header.length).equals(header) ? data.subarray(header.length) : null;
}

/**
 * Writes the cache once the thread has used the file: at its next turn of the event loop, or at
 * its exit if it blocks until then. Written whole (a temporary file renamed), so that processes
 * starting meanwhile read the old cache or the new one, never part of one.
 */
function saveLater(script: Script, cacheFile: string, header: Buffer): void {
  let saved = false;
  const save = (): void => {
    if (saved) return;
    saved = true;
    process.off("exit", save);
    const tmp = `${cacheFile}.${process.pid}-${threadId}.tmp`;
    try {
      writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      // Not writable (a read-only install): the file is compiled each time, as without a cache.
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing was written
      }
    }
  };
  setImmediate(save).unref();
  process.once("exit", save);
}
