// Tests that can't hold on Bun, because Bun can't give the behaviour they check, are skipped there
// with the reason in their titles (the suite runs under `bun test` in CI: scripts/ci-runtimes.mjs).

/** True under Bun. */
export const onBun = process.versions.bun !== undefined;

/** A test's title and options, skipped on Bun with `reason` in its title: test(...notOnBun(t, r), fn). */
export function notOnBun(title: string, reason: string): [string, { skip: boolean }] {
  return onBun ? [`${title} (skipped on Bun: ${reason})`, { skip: true }] : [title, { skip: false }];
}

/** Why a thread can't be made to run out of memory on Bun. */
export const NO_HEAP_LIMIT = "Bun has no heap limit for a worker (no --max-old-space-size, and resourceLimits is ignored), so a thread can't run out of memory";
