// How the bench runs one of its TypeScript files in a fresh process of the runtime running the
// bench: under tsx on Node (Bun runs TypeScript itself and ignores it), under `deno run` on Deno,
// with sloppy imports (the files import each other as "./x.js", as tsc wants).

const deno = (process.versions as { deno?: string }).deno !== undefined;

/** Arguments for process.execPath that run `file` (a .ts file), with V8's `v8Flags` (--expose-gc). */
export function tsChild(file: string, args: string[] = [], v8Flags: string[] = []): string[] {
  if (deno) return ["run", "-A", "--sloppy-imports", ...(v8Flags.length > 0 ? [`--v8-flags=${v8Flags.join(",")}`] : []), file, ...args];
  return [...v8Flags, "--import", "tsx", file, ...args];
}
