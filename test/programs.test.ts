// Ordinary programs, written as a Python programmer would write them (one file with its helpers,
// library functions as targets, classes crossing threads), run every way users run code: under
// tsx, compiled by tsc to ES modules and to CommonJS, under tsx in a CommonJS project, and bundled
// by esbuild (ES module and CommonJS output, skein bundled in and left external). Each way must
// print exactly what the program should print.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, buildSync } from "esbuild";
import { runProgram } from "./helpers/child-process.js";
import { notOn, onDeno } from "./helpers/runtimes.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const programs = join(repo, "test/fixtures/programs");
const out = join(repo, "test/.out/programs");
const tsc = join(repo, "node_modules/typescript/bin/tsc");
const tsxCli = join(repo, "node_modules/tsx/dist/cli.mjs");
const data = join(programs, "lib/data.txt");

/** What each program must print, line by line. */
const EXPECTED: Record<string, string[]> = {
  "same-file": [
    "target: 10 evens below 20, 7 is odd, Green",
    "subclass: reporter sees a Point of norm 5, primes 2,3,5",
    "pool: 1:odd 2:even 3:odd",
    "pool point: 10",
  ],
  library: [
    "console.log as a target",
    "Math.sqrt: 4",
    'JSON.parse: [1,[2],{"a":3}]',
    "readFileSync: data from a file",
    "basename: c.txt",
    "sleep: undefined",
    "isPrime: true,false",
  ],
  classes: [
    "thread: true ada 15 true 8 true",
    "queue item: true 42",
    "pool result: true grace 3",
    "pool error: true true 7 bad value 7",
    "excepthook: true 9",
  ],
  names: [
    "imported names: true function timers/promises",
    "main sees it set: true",
    "refused: true local,counter,state",
    "getter: true true",
    "class: true true",
  ],
  meta: ["import.meta.url: true dynamic import: true"],
  modules: ["module: 2000 2000", "names: 4000 4000", "from a thread: 4250 4250", "class attribute: 2000", "through objects: 8250 8250"],
};

/** Programs that use import.meta, which CommonJS has not. */
const ESM_ONLY = new Set(["meta"]);

interface Mode {
  name: string;
  esm: boolean;
  /** Makes the mode's directory; returns how to run a program in it. */
  prepare(dir: string): (program: string) => { file: string; args: string[]; cli?: string };
}

function project(dir: string, type: "module" | "commonjs"): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type }));
  symlinkSync(repo, join(dir, "node_modules/skein"), "dir");
}

function compile(dir: string, module: "nodenext" | "commonjs", target = "es2022"): void {
  const args = [tsc, "--outDir", dir, "--rootDir", programs, "--target", target, "--module", module, "--moduleResolution", module === "commonjs" ? "bundler" : "nodenext",
    "--ignoreConfig", "--strict", "--skipLibCheck", "--esModuleInterop", "--types", "node", "--typeRoots", join(repo, "node_modules/@types"), "--lib", "es2024,esnext.disposable",
    ...Object.keys(EXPECTED).filter((p) => module !== "commonjs" || !ESM_ONLY.has(p)).map((p) => join(programs, `${p}.ts`))];
  const r = runProgram(args[0]!, args.slice(1), { timeout: 120_000, cwd: repo });
  assert.equal(r.code, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
}

async function bundle(dir: string, format: "esm" | "cjs", external: boolean): Promise<void> {
  for (const p of Object.keys(EXPECTED)) {
    if (format === "cjs" && ESM_ONLY.has(p)) continue;
    await build({
      entryPoints: [join(programs, `${p}.ts`)], outfile: join(dir, `${p}.${format === "esm" ? "mjs" : "cjs"}`), bundle: true, platform: "node",
      format, target: "node20", external: external ? ["skein"] : [], logLevel: "error", nodePaths: [join(dir, "node_modules")],
    });
  }
}

const modes: Mode[] = [
  { name: "tsx, ES modules", esm: true, prepare: () => (p) => ({ file: join(programs, `${p}.ts`), args: [] }) },
  {
    name: "tsc, ES modules", esm: true,
    prepare: (dir) => {
      project(dir, "module");
      compile(dir, "nodenext");
      return (p) => ({ file: join(dir, `${p}.js`), args: [] });
    },
  },
  {
    name: "tsc, CommonJS", esm: false,
    prepare: (dir) => {
      project(dir, "commonjs");
      compile(dir, "commonjs");
      return (p) => ({ file: join(dir, `${p}.js`), args: [] });
    },
  },
  {
    // tsc --init's target: classes' static fields become assignments after the class.
    name: "tsc, CommonJS, ES2016", esm: false,
    prepare: (dir) => {
      project(dir, "commonjs");
      compile(dir, "commonjs", "es2016");
      return (p) => ({ file: join(dir, `${p}.js`), args: [] });
    },
  },
  {
    name: "tsx, CommonJS project", esm: false,
    prepare: (dir) => {
      project(dir, "commonjs");
      cpSync(programs, dir, { recursive: true });
      return (p) => ({ file: join(dir, `${p}.ts`), args: [], cli: tsxCli });
    },
  },
];
for (const format of ["esm", "cjs"] as const) {
  for (const external of [false, true]) {
    modes.push({
      name: `esbuild bundle, ${format === "esm" ? "ES module" : "CommonJS"}, skein ${external ? "external" : "bundled in"}`,
      esm: format === "esm",
      prepare: (dir) => {
        project(dir, "module");
        return (p) => ({ file: join(dir, `${p}.${format === "esm" ? "mjs" : "cjs"}`), args: [] });
      },
    });
  }
}

// `npm init -y` makes a CommonJS package: esbuild then wraps each of the program's files in a
// function of its own (`__commonJS`) even in an ES module bundle, and skein must see the
// function's body as the file's top level.
modes.push({
  name: "esbuild bundle, ES module, of a CommonJS project", esm: false,
  prepare: (dir) => {
    project(dir, "commonjs");
    cpSync(programs, join(dir, "src"), { recursive: true });
    for (const p of Object.keys(EXPECTED)) {
      if (ESM_ONLY.has(p)) continue;
      buildSync({
        entryPoints: [join(dir, "src", `${p}.ts`)], outfile: join(dir, `${p}.mjs`), bundle: true, platform: "node",
        format: "esm", target: "node20", logLevel: "error", nodePaths: [join(dir, "node_modules")],
      });
    }
    return (p) => ({ file: join(dir, `${p}.mjs`), args: [] });
  },
});

const runners = new Map<string, (program: string) => { file: string; args: string[]; cli?: string }>();

before(async () => {
  for (const [i, mode] of modes.entries()) {
    const dir = join(out, String(i));
    runners.set(mode.name, mode.prepare(dir));
    const m = /^esbuild bundle, (ES module|CommonJS), skein (external|bundled in)$/.exec(mode.name);
    if (m) await bundle(dir, m[1] === "ES module" ? "esm" : "cjs", m[2] === "external");
  }
});

for (const mode of modes) {
  describe(mode.name, () => {
    for (const [program, lines] of Object.entries(EXPECTED)) {
      if (!mode.esm && ESM_ONLY.has(program)) continue;
      // A class that comes back from a thread is matched to the program's own by the module's
      // current values, which Bun and Deno give no way to read.
      const title: [string, { skip: boolean }] = program === "classes" ? notOn(["Bun", "Deno"], program, "no way to read a module's values, so a class coming back is a copy and instanceof fails")
        : program === "modules" ? notOn(["Bun", "Deno"], program, "no way to read a module's values, so each worker makes the module's objects anew")
        : [program, { skip: false }];
      test(...title, () => {
        const { file, args, cli } = runners.get(mode.name)!(program);
        // Deno runs TypeScript itself: tsx's command line is Node's.
        const r = cli && !onDeno
          ? runProgram(cli, [file, data, ...args], { timeout: 60_000, cwd: out })
          : runProgram(file, [data, ...args], { timeout: 60_000, cwd: out });
        assert.equal(r.code, 0, `${program} exited with ${r.code}:\n${r.stderr}`);
        assert.deepEqual(r.stdout.trimEnd().split("\n"), lines, `stderr:\n${r.stderr}`);
      });
    }
  });
}

test("a program of several files: a target imported from the program's module, another named with the module option", () => {
  // The smoke test every extra runtime runs too (scripts/ci-runtimes.mjs); on Node the option is not needed.
  const r = runProgram(join(repo, "test/fixtures/runtimes/two-files.mjs"), [], { timeout: 60_000, cwd: repo });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "doubled 0 2 4 6\ntripled 0 3\n", r.stderr);
  assert.equal(r.stderr, "");
});

test("a CommonJS program that requires skein (whole and by names), bundled with skein inside: targets that use skein's names", async () => {
  // Where a module's values can't be read (Bun, Deno), skein follows esbuild's require of the
  // bundled module to its own exports by their code (ship/module-info.ts, bundledRequire); on Node
  // too for the whole module, whose value (getters) isn't read.
  const dir = join(out, "required");
  project(dir, "commonjs");
  const file = join(dir, "required.cjs");
  await build({
    entryPoints: [join(repo, "test/fixtures/required.cjs")], outfile: file, bundle: true, platform: "node", format: "cjs",
    target: "node20", logLevel: "error", nodePaths: [join(dir, "node_modules")],
  });
  const r = runProgram(file, [], { timeout: 60_000, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split("\n"), [
    "counter 1500", "byName 1 done", "destructured 3 in T3", "inner 1: 1", "inner 2: 4", "whole 2 done",
  ], r.stderr);
});

test("a bundle's whole module (TypeScript's import x = require) is refused saying to import the names used", async () => {
  const dir = join(out, "whole-require");
  project(dir, "commonjs");
  cpSync(join(repo, "test/fixtures/whole-require"), dir, { recursive: true });
  const file = join(dir, "app.mjs");
  await build({ entryPoints: [join(dir, "main.ts")], outfile: file, bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "error" });
  const r = runProgram(file, [], { timeout: 60_000, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  // (Bun, which reprints the bundle, names no place for it.)
  assert.match(r.stdout, /"lib"(?: \([^)]*\))?: a whole module of the bundle \(init_lib\(\), as esbuild writes require\("\.\/x"\) or import x = require\("\.\/x"\)\); import the names the code uses instead/);
  assert.doesNotMatch(r.stdout, /Pass the values in args/);
});

test("an ES module bundle of a CommonJS project: each wrapped file keeps its own helpers (a subclass's too), a lazily set variable the program reassigns is refused", async () => {
  // esbuild wraps each CommonJS file in a function of its own: two files' helpers of one name are
  // two functions in a thread too. An ES module that such a file imports is set up lazily
  // (`var count; ... count = 0` in its init): the program's later assignments still count.
  const dir = join(out, "wrapped");
  project(dir, "commonjs");
  writeFileSync(join(dir, "app.ts"), [
    'import { Thread } from "skein";',
    'import { bump, total } from "./counter";',
    'const { fromUtil } = require("./util.cjs");',
    'function helper() { return "app\'s helper"; }',
    'function fromApp() { console.log("fromApp:", helper()); }',
    "for (let i = 0; i < 2; i++) for (const target of [fromApp, fromUtil]) { const t = new Thread({ target }); t.start(); t.join(); }",
    "class Measurer extends Thread { size = 0; override run() { this.size = helper().length; } }",
    'const m = new Measurer(); m.start(); m.join(); console.log("subclass:", m.size);',
    'import { Shape } from "./shape";',
    "function checks(s: Shape) { console.log(\"instanceof:\", s instanceof Shape, s.area()); }",
    "{ const t = new Thread({ target: checks, args: [new Shape(3)] }); t.start(); t.join(); }",
    "bump();",
    "try { const t = new Thread({ target: () => total() }); t.start(); t.join(); } catch (e) { console.log(/\"count\".*reassigns/.test(String(e)) ? \"refused: count\" : String(e)); }",
  ].join("\n"));
  // An ES module imported by a wrapped file is set up lazily: its class must be one class in a thread.
  writeFileSync(join(dir, "shape.ts"), "export class Shape { constructor(readonly side: number) {} area() { return this.side ** 2; } }\n");
  writeFileSync(join(dir, "util.cjs"), 'function helper() { return "util\'s helper"; }\nfunction fromUtil() { console.log("fromUtil:", helper()); }\nmodule.exports = { fromUtil };\n');
  writeFileSync(join(dir, "counter.ts"), "export let count = 0;\n// Set up in the module's lazy init function, with the assignment inside it.\nexport const bump = () => { count = count + 1; };\nexport function total() { return count; }\n");
  const file = join(dir, "app.mjs");
  await build({ entryPoints: [join(dir, "app.ts")], outfile: file, bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "error" });
  const r = runProgram(file, [], { timeout: 60_000, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split("\n"), [
    "fromApp: app's helper", "fromUtil: util's helper", "fromApp: app's helper", "fromUtil: util's helper", "subclass: 12", "instanceof: true 9", "refused: count",
  ], r.stderr);
});

test(...notOn(["Bun", "Deno"], "a CommonJS program whose threads call its counter module's function, bundled: they share the module's lock and counter", "it can't show skein a module's variables"), async () => {
  // esbuild turns `const { bump } = require("./counter.cjs")` into `... = require_counter()`.
  const dir = join(out, "required-counter");
  project(dir, "commonjs");
  for (const format of ["cjs", "esm"] as const) {
    const file = join(dir, `main.${format === "cjs" ? "cjs" : "mjs"}`);
    await build({
      entryPoints: [join(repo, "test/fixtures/required-counter/main.cjs")], outfile: file, bundle: true, platform: "node", format,
      target: "node20", logLevel: "error", nodePaths: [join(dir, "node_modules")],
    });
    const r = runProgram(file, [], { timeout: 60_000, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "2000 counted\n", `${format} bundle: ${r.stderr}`);
  }
});
