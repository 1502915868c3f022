/**
 * How the rest of skein sends code (ship/packing-side.ts): a thread's target, a pool's task, a
 * Barrier's action, an excepthook, a function in a value. The program has it from the start: the
 * package's entry provides it. A thread worker boots without it and loads it, with the public API
 * (common/own-api.ts), the first time one of its threads sends code: most threads only receive
 * code, and the sending side (finding a function's file, parsing it, gathering what it needs) is
 * about a quarter of the source a worker would hold (docs/benchmarks.md, row 8).
 */
import { RuntimeError } from "../common/errors.js";
import { loadApi } from "../common/own-api.js";
import type * as Side from "./packing-side.js";

type PackingSide = typeof Side;

let side: PackingSide | null = null;

/** The package's entry, as it loads: this thread's sending side. */
export function providePacking(s: PackingSide): void {
  side = s;
}

function packing(): PackingSide {
  if (!side) loadApi();
  if (!side) {
    throw new RuntimeError(
      "skein can't send code from this thread: its public API isn't loaded here; import skein (import ... from \"skein\") before using its internals",
    );
  }
  return side;
}

/** How `fn` crosses into another thread (ship/shipment.ts); a TypeError saying `what` it is when it can't. */
export const codeFor: PackingSide["codeFor"] = (fn, role, what) => packing().codeFor(fn, role, what);

/** The `#private` members instances of a class carry, which a copy can't (ship/shipment.ts). */
export const privateMembers: PackingSide["privateMembers"] = (cls) => packing().privateMembers(cls);

/** Refuses what can't be code at all: a getter, a class where a function is called, a non-function. */
export const checkCallable: PackingSide["checkCallable"] = (fn, what) => packing().checkCallable(fn, what);

/** Checks a `module` option and returns it as a file URL (ship/locate-by-source.ts). */
export const moduleOption: PackingSide["moduleOption"] = (value, what) => packing().moduleOption(value, what);

/** Adds a file to those searched for functions (ship/locate-by-source.ts). */
export const hintModule: PackingSide["hintModule"] = (url) => packing().hintModule(url);
