/**
 * What both sides of shipping share in a thread: the functions it sent by source (a unit that comes
 * back is that function), and where the code it evaluated came from. Its own module, so that the
 * receiving side (evaluate.ts) doesn't load the sending side (packing.ts).
 */
import type { ImportBinding } from "./module-info.js";
import type { Unit } from "./shipment.js";

/** What skein knows of code it evaluated in this thread (a script of its own making). */
export interface ShippedOrigin {
  /** The defining file of the shipped code. */
  url: string;
  /** The factory's parameters that stand for the defining module's imports. */
  imports: Map<string, ImportBinding>;
  /** The defining module's kind. */
  kind: "esm" | "cjs" | "shipped";
  /** In a bundle, the wrapped module it came from (Unit.part). */
  part?: number;
}

/** Code that skein itself evaluated in this thread registers the origin it was shipped with, by script URL. */
export const shippedOrigins = new Map<string, ShippedOrigin>();

/** Source units this thread made, and the functions they came from: a unit coming back is that function. */
export const originals = new Map<string, Function>();

/** A unit's identity: its file and the binding or text it stands for. */
export function unitKey(unit: Unit): string {
  const v = unit.value;
  return `${unit.url}\u0000${unit.part ?? ""}\u0000${"binding" in v ? `=${v.binding}` : `${v.start}:${v.text}`}`;
}
