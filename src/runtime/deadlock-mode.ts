/**
 * SKEIN_DEADLOCK, as the waiting side sees it: `warn` (the default: the hub reports a deadlock on
 * stderr and the program goes on), `throw` (the main thread, when deadlocked, wakes with a
 * DeadlockError), `off`. In throw mode the main thread tells the hub which word it sleeps on
 * before a long sleep, so the hub can wake it; nothing of this runs in other modes.
 */
import { isMainThread } from "node:worker_threads";
import { DeadlockError } from "../common/errors.js";
import { askHub } from "./ask-hub.js";
import { ensureHub, runtime } from "./runtime.js";

export type DeadlockMode = "warn" | "throw" | "off";

/** The mode SKEIN_DEADLOCK asks for; `valid` is false for a value that is no mode (warn is used then). */
export function parseDeadlockMode(env: string | undefined = process.env.SKEIN_DEADLOCK): { mode: DeadlockMode; valid: boolean } {
  const v = (env ?? "").trim().toLowerCase();
  if (v === "") return { mode: "warn", valid: true };
  if (v === "warn" || v === "throw" || v === "off") return { mode: v, valid: true };
  return { mode: "warn", valid: false };
}

const throwing = parseDeadlockMode().mode === "throw" && runtime.isMain && isMainThread;
const watching = parseDeadlockMode().mode !== "off" && runtime.isMain && isMainThread;

/**
 * Main, about to sleep for long: the hub must be there to see it, even if no thread was ever
 * started (main alone in a q.get() nobody will put to, which Python leaves hanging silently).
 * In throw mode, the hub also learns the word main sleeps on, to wake it.
 */
export function watchMainWait(arr: Int32Array, index: number, untimed: boolean): void {
  if (watching && untimed) ensureHub();
  if (!throwing) return;
  ensureHub();
  runtime.hubPost!({ type: "main-wait", arr, index });
}

/** In throw mode, main: throws the DeadlockError the hub raised, if it did. */
export function deadlockRaised(): void {
  if (!throwing || !runtime.control.waits.takeDeadlock()) return;
  throw new DeadlockError(askHub<string>({ type: "report" }, "DeadlockError"));
}
