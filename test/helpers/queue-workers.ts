// Thread targets and small tools shared by the queue tests (queue.test.ts, queue-cpython.test.ts).
//
// A thread's target travels as source text and may use only its parameters, globals and the
// imports of the module that defines it. So every function here that runs in a thread is
// self-contained (it calls none of this module's other functions and uses literal cell numbers),
// and results come back through shared memory. Test files import what they need from here; a
// target written in a test file may then use these names too (they are imports of that file).
import { EmptyError, FullError, ShutDownError } from "skein";

/** What a blocking call in a thread ended with; threads store one of these in a shared cell. */
export const Outcome = {
  NONE: 0,
  OK: 1,
  SHUT_DOWN: 2,
  EMPTY: 3,
  FULL: 4,
  TYPE_ERROR: 5,
  RANGE_ERROR: 6,
  OTHER: 9,
} as const;

/** Maps an exception caught in a thread to its Outcome code. */
export function errorCode(e: unknown): number {
  if (e instanceof ShutDownError) return 2;
  if (e instanceof EmptyError) return 3;
  if (e instanceof FullError) return 4;
  if (e instanceof TypeError) return 5;
  if (e instanceof RangeError) return 6;
  return 9;
}

/** The common surface of the four queue kinds, as the targets use it. */
export interface AnyQueue {
  put(item: unknown, block?: boolean, timeout?: number): void;
  get(block?: boolean, timeout?: number): unknown;
  qsize(): number;
  taskDone(): void;
}

// ---- the stress run: control cells (Int32Array `ctl`) ----
//   0 gate (0 closed, 1 open)   1 producers done   2 consumers done
//   3 FIFO-order violations     4 qsize() seen above maxsize   5 consumers that died on purpose

/**
 * Puts `count` numbered items: first, first + step, first + 2*step, ... (so item x came from
 * producer x % step, in increasing order). Waits at the gate first, so every thread overlaps.
 */
/** Word of a stress test's ctl cells where producers and consumers count themselves in at the gate. */
export const ARRIVED = 6;

function arriveAndWait(ctl: Int32Array): void {
  Atomics.add(ctl, ARRIVED, 1);
  Atomics.notify(ctl, ARRIVED);
  if (Atomics.wait(ctl, 0, 0, 30_000) === "timed-out") throw new Error("the start gate never opened");
}

export function stressProducer(q: AnyQueue, ctl: Int32Array, first: number, step: number, count: number): void {
  arriveAndWait(ctl);
  for (let k = 0; k < count; k++) q.put(first + k * step, true, 30_000);
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}

export interface ConsumerOptions {
  /** Number of producers (item x came from producer x % producers). */
  producers: number;
  /** FIFO kinds: each producer's items must reach any one consumer in increasing order. */
  checkFifo: boolean;
  /** Bounded queues: the size a consumer samples after each get must never exceed it. */
  maxsize: number;
  /** Call taskDone() after each item (and the sentinel). */
  taskDone: boolean;
}

/**
 * Gets until a negative sentinel or ShutDownError. Marks every item in the shared `seen` bitmap
 * (Atomics.add, so a duplicate shows as 2) and leaves its count, sum and sum of squares in
 * stats[slot*3 ..]. A get that waits 30 s throws (a lost wakeup fails instead of hanging).
 */
export function stressConsumer(q: AnyQueue, ctl: Int32Array, seen: Uint8Array, stats: Float64Array, slot: number, opts: ConsumerOptions): void {
  arriveAndWait(ctl);
  const last = new Float64Array(opts.producers).fill(-1);
  let n = 0;
  let sum = 0;
  let sumsq = 0;
  let fifoBad = 0;
  let over = 0;
  for (;;) {
    let x: number;
    try {
      x = q.get(true, 30_000) as number;
    } catch (e) {
      if (e instanceof ShutDownError) break;
      throw e;
    }
    if (x < 0) {
      if (opts.taskDone) q.taskDone();
      break;
    }
    Atomics.add(seen, x, 1);
    n++;
    sum += x;
    sumsq += x * x;
    if (opts.checkFifo) {
      const p = x % opts.producers;
      if (x <= last[p]!) fifoBad++;
      last[p] = x;
    }
    if (opts.maxsize > 0 && q.qsize() > opts.maxsize) over++;
    if (opts.taskDone) q.taskDone();
  }
  stats[slot * 3] = n;
  stats[slot * 3 + 1] = sum;
  stats[slot * 3 + 2] = sumsq;
  Atomics.add(ctl, 3, fifoBad);
  Atomics.add(ctl, 4, over);
  Atomics.add(ctl, 2, 1);
  Atomics.notify(ctl, 2);
}

/**
 * Gets `after` items (marking them in `seen`, as a stress consumer does), counts itself in
 * ctl[5], then dies: by throwing, or by process.exit (which ends its worker).
 */
export function dyingConsumer(q: AnyQueue, ctl: Int32Array, seen: Uint8Array, after: number, how: "throw" | "exit"): void {
  for (let k = 0; k < after; k++) {
    const x = q.get(true, 30_000) as number;
    Atomics.add(seen, x, 1);
  }
  Atomics.add(ctl, 5, 1);
  Atomics.notify(ctl, 5);
  if (how === "exit") process.exit(7);
  throw new Error("deliberate: this consumer dies on purpose");
}

/** The first index whose count in a `seen` bitmap is not exactly 1, or -1. */
export function firstNotOnce(seen: Uint8Array): number {
  for (let i = 0; i < seen.length; i++) if (seen[i] !== 1) return i;
  return -1;
}

/** JSON with Infinity / -Infinity as Python's json module reads them (JSON.stringify makes them null). */
export function toPythonJson(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? JSON.stringify(v) : Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  if (Array.isArray(v)) return `[${v.map(toPythonJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toPythonJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * A deterministic string of `chars` UTF-16 units: 1000-unit chunks that each start with their
 * number and hold a few non-ASCII characters, so a misplaced or truncated chunk shows.
 */
export function bigString(chars: number): string {
  const parts: string[] = [];
  for (let i = 0; i * 1000 < chars; i++) {
    parts.push(`${i.toString(36)}|é€😀|`.padEnd(1000, String.fromCharCode(97 + (i % 26))));
  }
  return parts.join("").slice(0, chars);
}
