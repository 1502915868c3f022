// V8's code cache for skein's own CommonJS files (platform/code-cache.ts), as the parsers use it:
// each case runs the loading in fresh processes, as a program's runs would, on a file of the
// test's own with a content hash line like the one the build writes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runProgram } from "./helpers/child-process.js";
import { notOn } from "./helpers/runtimes.js";

const dir = fileURLToPath(new URL(`./.out/code-cache-${process.pid}/`, import.meta.url));
const internal = new URL("../dist/internal.js", import.meta.url).href;
const NODE_ONLY = "skein keeps V8's code cache on Node only";

/** A CommonJS file exporting `value`, hashed as the build hashes parsing.cjs (or not). */
function writeModule(name: string, value: string, hashed = true): string {
  const body = `"use strict";\nfunction make() { return ${JSON.stringify(value)}; }\nmodule.exports = { value: make() };\n`;
  const file = `${dir}${name}.cjs`;
  writeFileSync(file, hashed ? `${body}// skein:content-hash ${createHash("sha256").update(body).digest("hex")}\n` : body);
  return file;
}

/** Loads `file` with runCommonJs in a fresh process; returns its exported value. */
function load(file: string): string {
  const program = `${dir}load-${readdirSync(dir).length}.mjs`;
  writeFileSync(program, `import { runCommonJs } from ${JSON.stringify(internal)};\nconsole.log(runCommonJs(${JSON.stringify(file)}).value);\n`);
  const r = runProgram(program, [], { timeout: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  return r.stdout.trim();
}

const leftovers = () => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

describe("V8's code cache for skein's own files", () => {
  mkdirSync(dir, { recursive: true });

  test(...notOn(["Bun", "Deno"], "written beside the file after first use, then used as it is", NODE_ONLY), () => {
    const file = writeModule("first", "one");
    assert.equal(load(file), "one");
    const cache = readFileSync(`${file}.cache`);
    const hash = readFileSync(file, "utf8").trim().split(" ").at(-1);
    assert.equal(cache.subarray(0, cache.indexOf(10)).toString(), `skein-code-cache ${hash} ${process.versions.v8} ${process.arch}`);
    // A cache V8 accepted is left alone (one it rejected would be written again).
    assert.equal(load(file), "one");
    assert.deepEqual(readFileSync(`${file}.cache`), cache);
    assert.deepEqual(leftovers(), []);
  });

  test(...notOn(["Bun", "Deno"], "a file whose content changed gets its own cache, never the old one", NODE_ONLY), () => {
    const file = writeModule("changed", "old");
    assert.equal(load(file), "old");
    const before = readFileSync(`${file}.cache`);
    writeModule("changed", "new");
    assert.equal(load(file), "new");
    assert.notDeepEqual(readFileSync(`${file}.cache`), before);
    assert.equal(load(file), "new");
  });

  test(...notOn(["Bun", "Deno"], "a damaged cache with the right header is rejected by V8 and written again", NODE_ONLY), () => {
    const file = writeModule("damaged", "fine");
    assert.equal(load(file), "fine");
    const good = readFileSync(`${file}.cache`);
    const header = good.subarray(0, good.indexOf(10) + 1);
    const junk = Buffer.concat([header, Buffer.alloc(good.length - header.length, 0x5a)]);
    writeFileSync(`${file}.cache`, junk);
    assert.equal(load(file), "fine");
    assert.notDeepEqual(readFileSync(`${file}.cache`), junk);
  });

  test("a file without the build's hash line is never cached", () => {
    const file = writeModule("unhashed", "plain", false);
    assert.equal(load(file), "plain");
    assert.equal(existsSync(`${file}.cache`), false);
  });

  test("where the cache can't be written, the file loads as without one and leaves nothing behind", () => {
    const file = writeModule("unwritable", "still");
    // A directory where the cache would go: it can neither be read nor replaced (even as root).
    mkdirSync(`${file}.cache`);
    assert.equal(load(file), "still");
    assert.equal(load(file), "still");
    assert.deepEqual(leftovers(), []);
  });

  test("the parsers load through it (a thread's code from this file ships)", () => {
    // Whatever state the cache is in, shipping by source parses with what it loads.
    const program = `${dir}ship.mjs`;
    writeFileSync(program, `import { Thread } from ${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)};\nconst base = 20;\nfunction work(out) { out[0] = base + 22; }\nconst out = new Int32Array(new SharedArrayBuffer(4));\nconst t = new Thread({ target: work, args: [out] });\nt.start();\nt.join();\nconsole.log(out[0]);\n`);
    const r = runProgram(program, [], { timeout: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "42");
  });

  test("cleanup", () => rmSync(dir, { recursive: true, force: true }));
});
