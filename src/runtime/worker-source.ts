/**
 * The code of skein's workers as one string, for programs that bundle skein into their own file
 * (runtime/worker-entry.ts). The build (scripts/build.mjs) replaces this module's output with the
 * real source; unbuilt, there is none.
 */
export const WORKER_SOURCE: string | null = null;
