/**
 * skein's public API as this thread holds it: where functions that cross by their public name are
 * looked up (ship/references.ts), what `import "skein"` in shipped code gets, and what loads the
 * classes whose objects a thread may be sent (each registers its reviver when loaded).
 *
 * The package's entry hands it over as it loads (package-entry.ts). A thread worker boots without
 * it: it loads only what running a thread and blocking on a sync primitive take, about 1 MB less
 * per worker (docs/benchmarks.md, row 8), and its entry sets how to load the rest the first time
 * a thread needs it. That load is synchronous, as revivals (a queue's get()) are.
 */
import { RuntimeError } from "./errors.js";

/** A module namespace: export name to value. */
export type Api = Record<string, unknown>;

let api: Api | null = null;
let loader: (() => void) | null = null;
/** Why loading failed, if it did: every later use says so, not only the first. */
let failure: RuntimeError | null = null;

/** The package's entry, as it loads: this thread's API. */
export function provideApi(ns: Api): void {
  api = ns;
  loader = null;
}

/** A thread worker's entry: how this worker loads the API when a thread first needs it. */
export function loadApiWith(load: () => void): void {
  if (!api) loader = load;
}

/**
 * Loads the API if this thread hasn't yet. False if there was nothing to load (it was loaded, or
 * this thread has no loader): whoever missed something in a registry needn't look again. Throws
 * if loading failed, now or before.
 */
export function loadApi(): boolean {
  if (failure) throw failure;
  if (api || !loader) return false;
  // Taken first: loading runs the package's modules, and nothing they do may load it again.
  const load = loader;
  loader = null;
  try {
    load();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    failure = new RuntimeError(`skein's public API failed to load in this thread: ${why}`, { cause: e });
    throw failure;
  }
  return true;
}

/** This thread's public API, loaded first if need be. */
export function ownApi(): Api {
  loadApi();
  if (!api) {
    throw new RuntimeError(
      "skein's public API isn't loaded in this thread: import skein (import ... from \"skein\") before using its internals",
    );
  }
  return api;
}
