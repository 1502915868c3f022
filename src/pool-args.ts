/**
 * Splitting a task's arguments between the shared task queue (plain data, copied) and the pool
 * threads' ports (shared memory and skein objects, which only postMessage can carry).
 */
import { encode } from "./share.js";
import { REF } from "./pool-layout.js";

const MARK = "\u0000skein";

function isShared(v: unknown): boolean {
  if (v instanceof SharedArrayBuffer) return true;
  if (ArrayBuffer.isView(v)) return v.buffer instanceof SharedArrayBuffer;
  return v !== null && typeof v === "object" && MARK in (v as object);
}

/** Validates and encodes args (TypeError naming a bad one); shared parts go to `refs`. */
export function splitArgs(args: unknown[], refs: unknown[]): unknown[] {
  const encoded = args.map((a, i) => encode(a, `args[${i}]`));
  const seen = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (isShared(v)) {
      refs.push(v);
      return { [REF]: refs.length - 1 };
    }
    if (seen.has(v)) return seen.get(v);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v) out.push(walk(x));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map();
      seen.set(v, out);
      for (const [k, x] of v) out.set(walk(k), walk(x));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set();
      seen.set(v, out);
      for (const x of v) out.add(walk(x));
      return out;
    }
    if (Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      seen.set(v, out);
      for (const k of Object.keys(v)) out[k] = walk((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return encoded.map(walk);
}

/** Puts the shared parts back (before revive() turns descriptors into skein objects). */
export function joinArgs(args: unknown[], refs: unknown[]): unknown[] {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (REF in (v as object) && Object.keys(v as object).length === 1) return refs[(v as Record<string, number>)[REF]!];
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Map) return new Map([...v].map(([k, x]) => [walk(k), walk(x)]));
    if (v instanceof Set) return new Set([...v].map(walk));
    if (Object.getPrototypeOf(v) === Object.prototype) {
      for (const k of Object.keys(v)) (v as Record<string, unknown>)[k] = walk((v as Record<string, unknown>)[k]);
    }
    return v;
  };
  return args.map(walk);
}
