// Shared counters and gates: the way test threads report to each other without sleeps. A fresh
// shared Int32Array, a bump that wakes whoever waits on the cell, a gate to open, bounded waits
// on a cell, and an occupancy count with its high-water mark. Thread targets call these too (a
// target may use the imports of its defining module, which its thread imports again), so this
// module has no top-level side effects and assumes nothing about the thread it runs in.
import { LONG } from "./bounds.js";

/** A fresh shared Int32Array of `n` cells, all 0. */
export function shared(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Atomics.add + Atomics.notify: a counter bump that waitAtLeast sees at once. Returns the old value. */
export function bump(cell: Int32Array, index = 0, by = 1): number {
  const old = Atomics.add(cell, index, by);
  Atomics.notify(cell, index);
  return old;
}

/** Opens a gate cell (0 closed, 1 open) that threads wait on with Atomics.wait(gate, index, 0, ms). */
export function open(gate: Int32Array, index = 0): void {
  Atomics.store(gate, index, 1);
  Atomics.notify(gate, index);
}

/** Waits (Atomics.wait, bounded) until cell[index] >= n; throws saying what it waited for if it doesn't get there in `ms`. */
export function waitAtLeast(cell: Int32Array, index: number, n: number, ms = LONG, what = `cell[${index}] to reach ${n}`): void {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = Atomics.load(cell, index);
    if (v >= n) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what} (at ${v} of ${n})`);
    Atomics.wait(cell, index, v, left);
  }
}

/** Waits (Atomics.wait, bounded) until cell[index] !== value. */
export function waitChange(cell: Int32Array, index: number, value: number, ms = LONG): void {
  const deadline = Date.now() + ms;
  while (Atomics.load(cell, index) === value) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for cell[${index}] to leave ${value}`);
    Atomics.wait(cell, index, value, left);
  }
}

/**
 * Counts one more thread inside a guarded section (cell `inside`) and raises the high-water mark
 * (cell `max`) to match; returns how many are inside now. Leave with Atomics.sub(stats, inside, 1).
 */
export function enter(stats: Int32Array, inside: number, max: number): number {
  const now = Atomics.add(stats, inside, 1) + 1;
  for (let m = Atomics.load(stats, max); now > m; m = Atomics.load(stats, max)) {
    if (Atomics.compareExchange(stats, max, m, now) === m) break;
  }
  return now;
}
