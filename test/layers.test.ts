// The folder tree is the architecture: each folder of src/ says in its README.md which layers it
// may import ("May import: ..."), and this test holds every source file to it, so the layering
// can't drift silently. Type-only imports are checked too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../src/", import.meta.url));
const layers = readdirSync(src).filter((d) => statSync(join(src, d)).isDirectory());

function allowed(layer: string): Set<string> | "anything" {
  const readme = readFileSync(join(src, layer, "README.md"), "utf8");
  const m = /^May import: (.*)$/m.exec(readme);
  assert.ok(m, `src/${layer}/README.md has no "May import:" line`);
  if (/^anything/.test(m[1]!)) return "anything";
  return new Set([...m[1]!.matchAll(/`([a-z-]+)`/g)].map((x) => x[1]!));
}

test("every folder of src/ has a README saying what it owns and what it may import", () => {
  assert.deepEqual(layers.sort(), ["common", "futures", "memory", "platform", "queue", "runtime", "shared", "ship", "sync", "threading", "vendor", "worker"]);
  for (const layer of layers) allowed(layer);
});

test("no source file imports a layer its folder's README doesn't allow", () => {
  const wrong: string[] = [];
  for (const layer of layers) {
    const may = allowed(layer);
    for (const file of readdirSync(join(src, layer)).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(join(src, layer, file), "utf8");
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.\.?\/[^"']+)["']/g)) {
        const target = relative(src, normalize(join(src, layer, spec!)));
        const to = target.includes("/") ? target.slice(0, target.indexOf("/")) : "(index)";
        if (to === layer || may === "anything") continue;
        if (to === "(index)" || !may.has(to)) wrong.push(`src/${layer}/${file} imports ${spec} (${to})`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

test("src/index.ts only re-exports", () => {
  const lines = readFileSync(join(src, "index.ts"), "utf8").split("\n").filter((l) => l.trim() && !l.trim().startsWith("//") && !l.trim().startsWith("*") && !l.trim().startsWith("/*"));
  const statements = lines.join("\n").split(";").map((s) => s.trim()).filter(Boolean);
  for (const s of statements) assert.match(s, /^export (\{[^}]*\}|\*) from "\.\/[^"]+"$/s, `not a re-export: ${s}`);
});



// A thread worker boots with what running a thread and the sync primitives take; the rest of the
// API loads when a thread first needs it (common/own-api.ts), about 1 MB less per worker
// (docs/benchmarks.md, row 8). An import that pulls the API into the boot undoes that silently.
test("a thread worker's boot loads neither the public API nor the queues, pools and containers", () => {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(src, file), "utf8");
    // Static imports that stay in the JavaScript: not `import type`, not `import()`.
    for (const [, what, spec] of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^;]*?\s+from\s+)?["'](\.\.?\/[^"']+)["']/gm)) {
      if (what) continue;
      visit(relative(src, normalize(join(src, file, "..", spec!.replace(/\.js$/, ".ts")))));
    }
  };
  visit("worker/thread-entry.ts");
  const loaded = [...seen];
  assert.ok(loaded.includes("sync/lock.ts") && loaded.includes("threading/thread.ts"), `the walk found the boot's modules: ${loaded.join(" ")}`);
  const tooMuch = loaded.filter((f) => !f.includes("/") || /^(queue|futures|shared)\//.test(f));
  assert.deepEqual(tooMuch, []);
});
