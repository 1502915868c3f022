/**
 * When a thread's worker dies under it (out of memory, a native crash, an abrupt exit), nothing in
 * that thread can report it: the hub, which watches every worker, does. It marks the thread
 * terminated (its joiners wake), tells the main thread (whose excepthook reports it), and carries
 * out the notices the thread registered: words in shared memory that say it died and why (a pool
 * thread's, so that the task it was running fails instead of waiting forever). This module has
 * what both sides share; runtime.ts registers notices and hands deaths to whoever reports them.
 */
/** Why a worker died. */
export const DeathKind = { OutOfMemory: 1, Error: 2, Exit: 3, Vanished: 4 } as const;
export type DeathKind = (typeof DeathKind)[keyof typeof DeathKind];

/** What a thread asks the hub to do if its worker dies: store `kind` and `code`, bump a word. */
export interface DeathNotice {
  arr: Int32Array;
  kindIndex: number;
  codeIndex: number;
  /** Atomics.add 1 here and notify, so that waiters look. */
  bumpIndex: number;
}

/** A death as the hub tells it to the main thread. */
export interface Death {
  slot: number;
  gen: number;
  ident: number;
  name: string;
  daemon: boolean;
  kind: DeathKind;
  code: number;
  message: string;
}

export function deathMessage(kind: number, code: number, message = ""): string {
  switch (kind) {
    case DeathKind.OutOfMemory:
      return "its worker ran out of memory";
    case DeathKind.Exit:
      return `its worker exited abruptly with code ${code}`;
    case DeathKind.Vanished:
      // Seen only by its port closing (a worker the main thread spawned, while main was busy):
      // a worker that ends without running its exit handlers ran out of memory or was cut off
      // by a native call.
      return "its worker ended without running its exit handlers (out of memory, most likely)";
    default:
      return `its worker crashed${message ? `: ${message}` : ""}`;
  }
}

/** The error a death is reported as (its text: no frames, nothing of Node's internals). */
export function deathError(d: Death): string {
  return `RuntimeError: the thread's worker died under it: ${deathMessage(d.kind, d.code, d.message)}`;
}
