// Tests that can't hold on Bun or Deno, because the runtime can't give the behaviour they check,
// are skipped there with the reason in their titles (the suite runs under `bun test` and
// `deno test` in CI: scripts/ci-runtimes.mjs).

/** True under Bun. */
export const onBun = process.versions.bun !== undefined;

/** True under Deno. */
export const onDeno = (process.versions as { deno?: string }).deno !== undefined;

/** The runtime running the suite, for titles. */
export const runtimeName = onBun ? "Bun" : onDeno ? "Deno" : "Node";

type Other = "Bun" | "Deno";

/**
 * A test's title and options, skipped on the runtimes named (Bun, Deno) with `reason` in its
 * title: test(...notOn(["Bun"], t, r), fn).
 */
export function notOn(runtimes: readonly Other[], title: string, reason: string): [string, { skip: boolean }] {
  return (runtimes as readonly string[]).includes(runtimeName)
    ? [`${title} (skipped on ${runtimeName}: ${reason})`, { skip: true }]
    : [title, { skip: false }];
}

/** A test's title and options, skipped on Bun with `reason` in its title. */
export function notOnBun(title: string, reason: string): [string, { skip: boolean }] {
  return notOn(["Bun"], title, reason);
}

/** Why a thread can't be made to run out of memory on Bun. */
export const NO_HEAP_LIMIT = "Bun has no heap limit for a worker (no --max-old-space-size, and resourceLimits is ignored), so a thread can't run out of memory";

/** Why a thread that runs out of memory can't be survived on Deno. */
export const OOM_ENDS_PROCESS = "a worker that reaches the heap limit takes the whole process down on Deno (V8's fatal out-of-memory error)";

/** A test that makes a thread run out of memory: skipped on Bun and Deno, each with its reason. */
export function outOfMemoryTest(title: string): [string, { skip: boolean }] {
  return onBun ? notOn(["Bun"], title, NO_HEAP_LIMIT) : notOn(["Deno"], title, OOM_ENDS_PROCESS);
}
