/**
 * How a worker starts: node:worker_threads' Worker, which Node, Bun and Deno all provide, from a
 * file or from source. A browser backend would start a Web Worker here.
 */
import { Worker, type WorkerOptions } from "node:worker_threads";

/** A worker entry: a file's URL, or the source itself. */
export type WorkerEntry = { file: string } | { code: string };

/** Starts a worker running `entry`. */
export function startWorker(entry: WorkerEntry, options: WorkerOptions): Worker {
  return "file" in entry ? new Worker(new URL(entry.file), options) : new Worker(entry.code, { ...options, eval: true });
}

/** Set once Node has refused the program's flags for a worker: later workers start without them. */
let flagsRefused = false;

/**
 * Starts a thread worker with the program's flags (`execArgv`), or without them when a worker
 * can't take them (--expose-gc, --max-old-space-size, ...).
 */
export function startThreadWorker(entry: WorkerEntry, options: WorkerOptions, execArgv: string[]): Worker {
  if (!flagsRefused && execArgv.length > 0) {
    try {
      return startWorker(entry, { ...options, execArgv });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
      flagsRefused = true;
    }
  }
  return startWorker(entry, { ...options, execArgv: [] });
}
