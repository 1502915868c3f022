// Runs a program in its own process, as a user would, and captures what it prints: for what can
// only be seen from outside (a process that must exit on its own, output order, a call that could
// hang or exhaust memory if broken). A .ts file runs under tsx, a .py file under python3, anything
// else under plain node; under Deno, every program runs under Deno. Each run is killed after its
// timeout, so a hung program fails the test.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { onDeno } from "./runtimes.js";

export interface Ran {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long the process ran (ms). */
  ms: number;
}

export interface RunOptions {
  /** Kill the program after this many ms (default 20 s). */
  timeout?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Node's own options, before the program (a heap limit). */
  nodeArgs?: string[];
}

function command(file: string, args: string[], nodeArgs: string[] = []): [string, string[]] {
  if (file.endsWith(".py")) return ["python3", [file, ...args]];
  if (onDeno) return [process.execPath, denoRun(file, args, nodeArgs)];
  return [process.execPath, [...nodeArgs, ...(file.endsWith(".ts") ? ["--import", "tsx"] : []), file, ...args]];
}

/**
 * Under Deno, a program runs as Deno's users run one: `deno run -A`, with sloppy imports (a
 * TypeScript program imports "./x.js" for its x.ts, as tsc wants), V8's flags through --v8-flags.
 */
function denoRun(file: string, args: string[], nodeArgs: string[]): string[] {
  const v8 = nodeArgs.length > 0 ? [`--v8-flags=${nodeArgs.join(",")}`] : [];
  return ["run", "-A", "--sloppy-imports", ...v8, file, ...args];
}

/** Runs `file` to its end (or its timeout), blocking this thread. */
export function runProgram(file: string, args: string[] = [], options: RunOptions = {}): Ran {
  const [cmd, argv] = command(file, args, options.nodeArgs);
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: "utf8", timeout: options.timeout ?? 20_000, cwd: options.cwd, env: options.env });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", code: r.status, signal: r.signal, ms: performance.now() - t0 };
}

/** The same without blocking: several programs can run while other tests do. */
export function runProgramAsync(file: string, args: string[] = [], options: RunOptions = {}): Promise<Ran> {
  const [cmd, argv] = command(file, args, options.nodeArgs);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { timeout: options.timeout ?? 20_000, cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code, signal) => resolve({ stdout, stderr, code, signal, ms: performance.now() - t0 }));
  });
}

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** A program from test/fixtures/, run there. */
export function runFixture(file: string, args: string[] = [], timeoutMs = 20_000): Ran {
  return runProgram(fixtures + file, args, { timeout: timeoutMs, cwd: fixtures });
}

export function hasPython(): boolean {
  return spawnSync("python3", ["--version"]).status === 0;
}

let snippets = 0;

/**
 * Runs a program given as TypeScript source (written to test/.out/snippets/, inside the package,
 * so that it imports "skein" as users do), under tsx; `nodeArgs` go before it (a heap limit).
 */
export function runSnippet(source: string, options: RunOptions & { args?: string[] } = {}): Ran {
  const dir = fileURLToPath(new URL("../.out/snippets/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}snippet-${process.pid}-${++snippets}.ts`;
  writeFileSync(file, source);
  const t0 = performance.now();
  const argv = onDeno ? denoRun(file, options.args ?? [], options.nodeArgs ?? []) : [...(options.nodeArgs ?? []), "--import", "tsx", file, ...(options.args ?? [])];
  const r = spawnSync(process.execPath, argv, {
    encoding: "utf8", timeout: options.timeout ?? 30_000, cwd: options.cwd ?? dir, env: options.env,
  });
  return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", code: r.status, signal: r.signal, ms: performance.now() - t0 };
}
