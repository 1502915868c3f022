// Runs a fixture program in its own process, as a user would, and captures what it prints.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface Ran {
  stdout: string;
  stderr: string;
  code: number | null;
  ms: number;
}

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** A .ts fixture under tsx, a .js one under plain node, a .py one under python3. */
export function runFixture(file: string, args: string[] = [], timeoutMs = 20_000): Ran {
  const cmd = file.endsWith(".py") ? "python3" : process.execPath;
  const pre = file.endsWith(".ts") ? ["--import", "tsx"] : [];
  const t0 = performance.now();
  const r = spawnSync(cmd, [...pre, fixtures + file, ...args], { encoding: "utf8", timeout: timeoutMs, cwd: fixtures });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", code: r.status, ms: performance.now() - t0 };
}

export function hasPython(): boolean {
  return spawnSync("python3", ["--version"]).status === 0;
}
