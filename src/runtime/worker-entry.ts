/**
 * Where the code of skein's workers comes from: the files hub.js (the hub) and worker.js (thread
 * workers) of skein's dist/, next to the chunk this module is built into (scripts/build.mjs), as
 * installed; or, when a bundler has put skein inside the program's own file and no such file is
 * there, the same code embedded as a string at build time (runtime/worker-source.ts), run as an
 * eval'd worker.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RuntimeError } from "../common/errors.js";
import type { MessagePort, WorkerOptions } from "node:worker_threads";
import type { WorkerEntry } from "../platform/workers.js";
import type { WorkerBoot } from "./runtime.js";

const found = new Map<string, WorkerEntry>();

/** The entry for the hub or for thread workers. */
export function workerEntry(role: "hub" | "worker"): WorkerEntry {
  const hit = found.get(role);
  if (hit) return hit;
  const file = entryFile(role === "hub" ? "../hub.js" : "../worker.js");
  if (file) {
    found.set(role, { file });
    return { file };
  }
  const code = embeddedSource();
  if (!code) {
    throw new RuntimeError(
      "can't start new thread: skein's worker code is missing (no worker.js in skein's dist/, and none embedded); " +
        "reinstall skein, or when bundling, bundle it from its published files (node_modules/skein/dist)",
    );
  }
  found.set(role, { code });
  return { code };
}

function entryFile(path: string): string | null {
  try {
    const url = new URL(path, import.meta.url);
    return existsSync(fileURLToPath(url)) ? url.href : null;
  } catch {
    return null; // no module URL: skein was bundled into a CommonJS file
  }
}

function embeddedSource(): string | null {
  // A literal require() so that bundlers take the embedded source along; unbundled, skein always
  // finds its files and never gets here.
  if (typeof require !== "function") return null;
  return (require("./worker-source.js") as { WORKER_SOURCE: string | null }).WORKER_SOURCE;
}

/**
 * How a thread worker starts, whoever spawns it (the main thread or the hub): its boot data (what
 * runtime.ts reads as WorkerBoot) and the ports it takes along.
 */
export function threadWorkerOptions(boot: Omit<WorkerBoot, "__skein">): WorkerOptions {
  const ports = [boot.hubPort, boot.mainPort].filter((p): p is MessagePort => p !== undefined);
  return { workerData: { __skein: true, role: "worker", ...boot }, transferList: ports };
}
