/**
 * threading.excepthook: what happens to an exception that escapes a thread's run(). A custom hook
 * travels to threads started after setExcepthook() the way a target does (as source).
 */
import { describe } from "../common/checks.js";
import { SystemExit } from "../common/errors.js";
import { codeFor, type ShippedCode } from "../ship/shipment.js";

export interface ExceptHookArgs {
  excType: Function | null;
  excValue: unknown;
  excTraceback: string | null;
  thread: unknown;
}

export type ExceptHook = (args: ExceptHookArgs) => void;

function defaultExcepthook(args: ExceptHookArgs): void {
  // Python's default hook says nothing of SystemExit: a thread that exits on purpose just ends.
  if (args.excValue instanceof SystemExit) return;
  const name = (args.thread as { name?: string } | null)?.name ?? "<unknown>";
  const detail = args.excTraceback ?? String(args.excValue);
  process.stderr.write(`Exception in thread ${name}:\n${detail}\n`);
}

/** The hook in force in this thread (a live binding: reassigned by setExcepthook). */
export let excepthook: ExceptHook = defaultExcepthook;
/** Python's threading.__excepthook__: the original hook, to restore or delegate to. */
export const __excepthook__: ExceptHook = defaultExcepthook;
let hookCode: ShippedCode | null = null;

export function setExcepthook(hook: ExceptHook): void {
  if (typeof hook !== "function") throw new TypeError(`setExcepthook: hook must be a function taking { excType, excValue, excTraceback, thread }, got ${describe(hook)}`);
  // Checked now, so a hook that can't travel fails here rather than in every later thread.
  hookCode = hook === defaultExcepthook ? null : codeFor(hook, "hook", "the excepthook");
  excepthook = hook;
}

export function currentHookCode(): ShippedCode | null {
  return hookCode;
}

/** Installed by the worker for each thread: the hook its starter had. */
export function adoptHook(hook: ExceptHook | null, code: ShippedCode | null): void {
  excepthook = hook ?? defaultExcepthook;
  hookCode = code;
}

/** Hands an escaped exception to the hook; a failing hook is reported, never rethrown. */
export function reportException(err: unknown, thread: unknown): void {
  const args: ExceptHookArgs = {
    excType: err instanceof Error ? (err.constructor as Function) : null,
    excValue: err,
    excTraceback: err instanceof Error ? err.stack ?? null : null,
    thread,
  };
  try {
    excepthook(args);
  } catch (hookErr) {
    process.stderr.write(`Exception in threading.excepthook:\n${hookErr instanceof Error ? hookErr.stack : String(hookErr)}\n`);
    defaultExcepthook(args);
  }
}
