/**
 * Python's interpreter shutdown (threading._shutdown): when the main program ends, the main thread
 * is marked stopped (a thread joining it returns), then the process waits for every non-daemon
 * thread, and exits with the status the main program ended with; daemon threads die with the
 * process. The main program ends by running out of things to do, by process.exit(n), or by an
 * uncaught exception or unhandled rejection (reported first, as Python reports the main thread's
 * error before it waits for the others).
 */
import { writeOutput } from "../platform/output.js";
import { inspect } from "node:util";
import { runtime } from "./runtime.js";
import { plainSite, runBlocking } from "./wait.js";
import { WaitKind } from "../memory/wait-record.js";
import { DeadlockError } from "../common/errors.js";
import { writeTrace } from "./trace.js";
import { sleepOnce } from "../memory/sleep.js";

/** Work that must run at exit once no non-daemon thread is left (pools joining their threads). */
const atExit: Array<() => void> = [];

/** Runs `fn` at shutdown, after the non-daemon threads, as Python's atexit runs after them. */
export function onShutdown(fn: () => void): void {
  atExit.push(fn);
}

/** Set when the main program ended deadlocked: the threads it would wait for can never end. */
let deadlocked = false;

function shutdown(): void {
  const control = runtime.control;
  if (deadlocked) {
    control.abandonThreads();
    for (const fn of atExit) fn();
    return;
  }
  control.stopMain();
  try {
    for (let n = control.nonDaemonAlive(); n > 0; n = control.nonDaemonAlive()) {
      runBlocking(sleepOnce(control.i32, control.nonDaemonIndex, n, Infinity), plainSite(WaitKind.Exit));
    }
  } catch (e) {
    // SKEIN_DEADLOCK=throw: the threads main waits for can never end; it ends without them.
    if (!(e instanceof DeadlockError)) throw e;
    deadlocked = true;
    control.abandonThreads();
    writeOutput(2, `${inspect(e)}\n`);
    writeTrace();
    process.exit(1);
  }
  for (const fn of atExit) fn();
}

/** An exception nobody handles ends the main program: report it, then shut down with status 1. */
function fatal(err: unknown, origin: string): void {
  // The program has a handler of its own (or a test runner does): it decides.
  if (process.listenerCount("uncaughtException") > 1) return;
  let text: string;
  try {
    text = err instanceof Error ? inspect(err) : `Uncaught ${inspect(err)}`;
  } catch {
    text = "Uncaught exception (it could not be printed)";
  }
  writeOutput(2, `${text}\n`);
  if (err instanceof DeadlockError) deadlocked = true;
  process.exit(1);
}

if (runtime.isMain) {
  process.on("beforeExit", shutdown);
  process.on("exit", shutdown);
  // After shutdown: the trace holds the threads main waited for at exit.
  process.on("exit", writeTrace);
  process.on("uncaughtException", fatal);
}
