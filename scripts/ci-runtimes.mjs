// CI for the extra runtimes (.ci/run installs them into the folder given as argument): a
// representative subset of the suite on Node 22, 24 and 26; on Bun and on Deno the whole suite,
// the demo (compared with Node's, section by section) and two JavaScript programs (one file,
// several files).
// Prints each runtime's results under its own heading; exits 1 if any failed.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const rt = process.argv[2];
if (!rt) throw new Error("usage: node scripts/ci-runtimes.mjs <folder with node_modules of the runtimes>");
const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (...p) => join(rt, "node_modules", ...p);

/** The subset: the seed's examples, threads, locks, queues, the pool, whole programs, faults, diagnostics and the package. */
const SUBSET = [
  "seed", "thread", "lock", "queue", "pool", "programs", "faults-reporting", "deadlock", "trace", "package",
].map((n) => `test/${n}.test.ts`);

/** The whole suite, for Bun. */
const SUITE = readdirSync(join(root, "test")).filter((f) => f.endsWith(".test.ts")).sort().map((f) => `test/${f}`);

let failed = false;
// Deno's whole suite takes about 12 minutes on two cores (every thread boots a worker of its own
// there): 20 minutes leaves room for a slow spell of the machine.
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 1_200_000, env: { ...process.env, ...env }, maxBuffer: 1 << 28 });

for (const v of [22, 24, 26]) {
  const node = bin(`node${v}`, "bin", "node");
  if (!existsSync(node)) {
    console.log(`== Node ${v}: not installed`);
    failed = true;
    continue;
  }
  const version = run(node, ["--version"]).stdout.trim();
  const r = run(node, ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=tap", ...SUBSET]);
  const count = (k) => r.stdout.match(new RegExp(`^# ${k} (\\d+)$`, "m"))?.[1] ?? "?";
  console.log(`== Node ${version} (${SUBSET.length} suites): tests ${count("tests")}, pass ${count("pass")}, fail ${count("fail")}, skipped ${count("skipped")}`);
  if (r.status !== 0) {
    failed = true;
    for (const line of r.stdout.split("\n").filter((l) => /^\s*not ok /.test(l))) console.log(`   ${line.trim()}`);
  }
}

/** A demo's sections: heading -> its lines with digits blurred and sorted (threads interleave; ids and counts vary). */
function sections(text) {
  const out = new Map();
  let head = "(before)";
  for (const line of text.split("\n")) {
    if (/^== .* ==$/.test(line)) {
      head = line;
      out.set(head, []);
    } else if (line.trim() && out.has(head)) {
      out.get(head).push(line.replace(/\d+/g, "#"));
    }
  }
  for (const lines of out.values()) lines.sort();
  return out;
}

const demo = (cmd, args) => run(cmd, args);
const nodeDemo = demo(process.execPath, ["--import", "tsx", "examples/demo.ts"]);
const smoke = join(root, "test", "fixtures", "runtimes", "one-file.mjs");
const twoFiles = join(root, "test", "fixtures", "runtimes", "two-files.mjs");

for (const [name, cmd, demoArgs, runArgs] of [
  ["Bun", bin("bun", "bin", "bun.exe"), ["examples/demo.ts"], []],
  ["Deno", bin("deno", "deno"), ["run", "-A", "examples/demo.ts"], ["run", "-A"]],
]) {
  if (!existsSync(cmd)) {
    console.log(`== ${name}: not installed`);
    failed = true;
    continue;
  }
  const version = run(cmd, ["--version"]).stdout.trim().split("\n")[0];
  const results = [];
  // bun test and deno test run node:test files, and the programs they start run under the same
  // runtime. Tests of what a runtime can't give are skipped there, each saying why in its title.
  if (name === "Bun") {
    const r = run(cmd, ["test", "--timeout", "120000", ...SUITE.map((f) => `./${f}`)]);
    const out = r.stdout + r.stderr;
    const count = (k) => out.match(new RegExp(`^\\s*(\\d+) ${k}$`, "m"))?.[1] ?? "?";
    const ok = r.status === 0 && count("fail") === "0";
    results.push(`suite (${SUITE.length} files): pass ${count("pass")}, fail ${count("fail")}, skipped ${count("skip")}`);
    for (const line of out.split("\n").filter((l) => /^\((fail|skip)\) /.test(l))) console.log(`   ${line.trim()}`);
    if (!ok) failed = true;
  } else {
    // --sloppy-imports: the suite imports its TypeScript helpers as "./x.js", as tsc wants.
    const r = run(cmd, ["test", "-A", "--no-check", "--sloppy-imports", ...SUITE], { NO_COLOR: "1" });
    const out = r.stdout + r.stderr;
    // Deno counts a describe() as a test and the tests in it as its steps: its own summary says it.
    const m = /(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| \d+ ignored(?: \(\d+ steps?\))?)?/.exec(out);
    const ok = r.status === 0 && m !== null && m[2] === "0" && (m[3] ?? "0") === "0";
    results.push(`suite (${SUITE.length} files): ${m ? m[0] : `FAILS (exit ${r.status}, no summary)`}`);
    for (const line of out.split("\n").filter((l) => /\.\.\. (FAILED|ignored)/.test(l))) console.log(`   ${line.trim()}`);
    if (!ok) {
      failed = true;
      const errors = out.indexOf(" ERRORS ");
      if (errors !== -1) console.log(out.slice(errors, errors + 20_000));
    }
  }
  if (demoArgs) {
    const r = demo(cmd, demoArgs);
    const mine = sections(r.stdout);
    const theirs = sections(nodeDemo.stdout);
    const differ = [...theirs.keys()].filter((h) => JSON.stringify(mine.get(h)) !== JSON.stringify(theirs.get(h)));
    const ok = r.status === 0 && differ.length === 0 && mine.size === theirs.size;
    results.push(`demo ${ok ? "matches Node's, section by section" : `FAILS (exit ${r.status}; sections differing: ${differ.join(" | ") || "none"})`}`);
    if (!ok) {
      failed = true;
      console.log(r.stdout + r.stderr);
    }
  }
  for (const [label, file, want] of [
    ["one-file program", smoke, "even 0\neven 2\n[0,1,4,9]\ndone\n"],
    ["program of several files", twoFiles, "doubled 0 2 4 6\ntripled 0 3\n"],
  ]) {
    const s = run(cmd, [...runArgs, file]);
    const ok = s.status === 0 && s.stdout === want && s.stderr === "";
    results.push(`${label} ${ok ? "ok" : `FAILS (exit ${s.status})\n${s.stdout}${s.stderr}`}`);
    if (!ok) failed = true;
  }
  console.log(`== ${name} ${version}: ${results.join("; ")}`);
}

process.exit(failed ? 1 : 0);
