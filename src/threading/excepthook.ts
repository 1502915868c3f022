/**
 * threading.excepthook: what happens to an exception that escapes a thread's run(). A custom hook
 * travels to threads started after setExcepthook() the way a target does (as source).
 */
import { inspect } from "node:util";
import { describe } from "../common/checks.js";
import { SystemExit } from "../common/errors.js";
import { currentIdent } from "../runtime/runtime.js";
import type { ShippedCode } from "../ship/shipment.js";
import type { Thread } from "./thread.js";
import { codeFor } from "../ship/packing.js";

/** What an excepthook receives, as Python's threading.ExceptHookArgs. */
export interface ExceptHookArgs {
  /** The thrown value's constructor (Python's exc_type), null for values without one. */
  excType: Function | null;
  /** The thrown value itself (exc_value). */
  excValue: unknown;
  /** The thrown error's stack text, if it has one (exc_traceback). */
  excTraceback: string | null;
  /** The Thread the exception ended, or null when the thread is unknown. */
  thread: Thread | null;
}

/** A function that reports an exception that ended a thread (Python's threading.excepthook). */
export type ExceptHook = (args: ExceptHookArgs) => void;

function defaultExcepthook(args: ExceptHookArgs): void {
  // Python's default hook says nothing of SystemExit: a thread that exits on purpose just ends.
  if (isSystemExit(args.excValue)) return;
  // As in Python: without a thread, the current thread's ident names it.
  const name = args.thread === null || args.thread === undefined ? String(currentIdent()) : safely(() => String((args.thread as { name?: unknown }).name), "<unknown>");
  const detail = typeof args.excTraceback === "string" ? args.excTraceback : showThrown(args.excValue);
  process.stderr.write(`Exception in thread ${name}:\n${detail}\n`);
}

/** fn(), or `fallback` if it throws: thrown values may be hostile (a Proxy, a throwing getter). */
function safely<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function isSystemExit(v: unknown): boolean {
  return safely(() => v instanceof SystemExit, false);
}

/**
 * A thrown value as text, whatever it is: an Error's stack (or name and message), a primitive as
 * itself, anything else as util.inspect shows it (which doesn't run a Proxy's traps); never throws.
 */
export function showThrown(v: unknown): string {
  if (v === null || (typeof v !== "object" && typeof v !== "function")) return safely(() => String(v), typeof v);
  const stack = safely(() => (v instanceof Error ? (v as Error).stack : undefined), undefined);
  if (typeof stack === "string" && stack.length > 0) return stack;
  return safely(() => inspect(v, { depth: 2, customInspect: false }), "<a thrown value that can't be shown>");
}

/** The hook in force in this thread (a live binding: reassigned by setExcepthook). */
export let excepthook: ExceptHook = defaultExcepthook;
/** Python's threading.__excepthook__: the original hook, to restore or delegate to. */
export const __excepthook__: ExceptHook = defaultExcepthook;
let hookCode: ShippedCode | null = null;

/**
 * Sets the hook for uncaught exceptions of every thread started after this (Python's
 * `threading.excepthook = hook`). The hook travels to threads as a target does.
 */
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
export function reportException(err: unknown, thread: Thread | null): void {
  const isError = safely(() => err instanceof Error, false);
  const ctor = isError ? safely(() => (err as Error).constructor, null) : null;
  const stack = isError ? safely(() => (err as Error).stack, undefined) : undefined;
  const args: ExceptHookArgs = {
    excType: typeof ctor === "function" ? ctor : null,
    excValue: err,
    excTraceback: typeof stack === "string" ? stack : null,
    thread,
  };
  try {
    excepthook(args);
  } catch (hookErr) {
    // As Python's invoke_excepthook: the hook's own error is reported (once), the original not again.
    process.stderr.write(`Exception in threading.excepthook:\n${showThrown(hookErr)}\n`);
  }
}
