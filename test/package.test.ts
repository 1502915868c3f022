// The package as npm would publish it (issue 14): `npm pack` holds dist (code, types, maps) and the
// sources, and nothing of tests or benchmarks; installed from the tarball into a fresh project,
// skein works for plain ESM JavaScript, TypeScript compiled by tsc, TypeScript under tsx, and
// Node's own type stripping (on a Node that has it: this one, or SKEIN_TYPE_STRIP_NODE).
import { before, after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

interface Packed {
  filename: string;
  files: { path: string }[];
}

function pack(args: string[]): Packed {
  // --ignore-scripts: npm test has just built dist/ (prepack would build it again).
  const out = execFileSync(npm, ["pack", "--json", "--ignore-scripts", ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return (JSON.parse(out) as Packed[])[0]!;
}

test("npm pack holds dist (code, types, maps), the sources, the docs the README links to, LICENSE and README, and no tests or bench", () => {
  const files = pack(["--dry-run"]).files.map((f) => f.path);
  for (const must of ["package.json", "LICENSE", "README.md", "dist/index.js", "dist/index.d.ts", "dist/index.js.map", "dist/worker.js", "dist/hub.js", "src/index.ts", "docs/debugging.md", "docs/images/live-view.png"]) {
    assert.ok(files.includes(must), `${must} is packed`);
  }
  assert.ok(files.some((f) => /^dist\/chunks\/.*\.js$/.test(f)), "the shared chunks");
  assert.ok(files.some((f) => /^dist\/.*\.d\.ts$/.test(f) && f !== "dist/index.d.ts"), "the declarations index.d.ts refers to");
  // docs/api is the generated API reference (npm run docs), not the package's to ship.
  const stray = files.filter((f) => /^(test|bench|examples|scratch|\.ci|docs\/api)\//.test(f) || /node_modules|\.tsbuildinfo$/.test(f));
  // Every file of the package the README links to is in it: it is read in node_modules too.
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const linked = [...readme.matchAll(/\]\(((?:docs|src|dist)\/[^)#\s]+)/g)].map((m) => m[1]!);
  assert.ok(linked.length > 0);
  for (const f of linked) assert.ok(files.includes(f), `${f}, which the README links to, is packed`);
  assert.deepEqual(stray, []);
});

describe("installed from the packed tarball into a fresh project", () => {
  let dir = "";
  /** A one-file program with a helper next to its target; `ts` adds the types a TypeScript user writes. */
  const program = (ts: boolean) => `import { SharedList, Thread } from "skein";

function square(n${ts ? ": number" : ""}) {
  return n * n;
}

function addSquare(list${ts ? ": SharedList<number>" : ""}, k${ts ? ": number" : ""}) {
  list.append(square(k));
}

const out = new SharedList${ts ? "<number>" : ""}();
const threads = [1, 2, 3].map((n) => new Thread({ target: addSquare, args: [out, n] }));
for (const t of threads) t.start();
for (const t of threads) t.join();
console.log([...out].sort((a, b) => a - b).join(","));
`;
  const expected = "1,4,9\n";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "skein-pack-"));
    const { filename } = pack(["--pack-destination", dir]);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "fresh", version: "1.0.0", type: "module", private: true }));
    // No dependencies of its own: installs offline.
    execFileSync(npm, ["install", "--offline", "--no-audit", "--no-fund", join(dir, filename)], { cwd: dir, stdio: "ignore" });
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { cwd: dir, encoding: "utf8", timeout: 60_000 });

  test("plain ESM JavaScript", () => {
    writeFileSync(join(dir, "app.mjs"), program(false));
    const r = run(process.execPath, ["app.mjs"]);
    assert.equal(r.stdout, expected, r.stderr);
  });

  test("TypeScript compiled by tsc (module nodenext), its output run by node", () => {
    mkdirSync(join(dir, "ts"), { recursive: true });
    writeFileSync(join(dir, "ts", "app.ts"), program(true));
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true, outDir: "out", rootDir: "ts", skipLibCheck: false, types: ["node"], typeRoots: [join(root, "node_modules/@types")] },
      include: ["ts"],
    }));
    const tsc = run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"]);
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    const r = run(process.execPath, ["out/app.js"]);
    assert.equal(r.stdout, expected, r.stderr);
  });

  test("TypeScript under tsx", () => {
    writeFileSync(join(dir, "tsx-app.ts"), program(true));
    const r = run(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, "tsx-app.ts"]);
    assert.equal(r.stdout, expected, r.stderr);
  });

  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  const stripper = process.env.SKEIN_TYPE_STRIP_NODE ?? (major > 22 || (major === 22 && minor >= 18) ? process.execPath : null);
  test(`TypeScript run by Node's own type stripping (node app.ts)${stripper ? "" : " (skipped: Node 22.18+ strips types; set SKEIN_TYPE_STRIP_NODE to such a node)"}`, { skip: !stripper }, () => {
    assert.ok(existsSync(stripper!));
    writeFileSync(join(dir, "strip-app.ts"), program(true));
    const r = run(stripper!, ["strip-app.ts"]);
    assert.equal(r.stdout, expected, r.stderr);
    // A target whose own text has no types reads the same in the .ts file and in what V8 runs:
    // the file must still not be taken for the script.
    writeFileSync(join(dir, "strip-arrow.ts"), program(true).replace("target: addSquare", "target: (list, k) => addSquare(list, k)"));
    const arrow = run(stripper!, ["strip-arrow.ts"]);
    assert.equal(arrow.stdout, expected, arrow.stderr);
  });
});
