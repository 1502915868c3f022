/**
 * AtomicInt and AtomicBigInt: a shared counter that needs no lock. Python has no such type (its
 * `n += 1` on a shared int is a race guarded by a Lock); here every method is one Atomics
 * operation on one word, so no update is ever lost and nobody ever blocks.
 *
 * Layout: AtomicInt is one Int32 word, AtomicBigInt one BigInt64 word, each alone in its own
 * SharedArrayBuffer (word 0 is the value).
 *
 * Return values: add/sub/increment/decrement return the NEW value (what a caller of a counter
 * wants to know: "was I the last one?"); exchange and compareExchange return the PREVIOUS value,
 * as Atomics does, so a compareExchange succeeded exactly when it returns `expected`.
 * Arithmetic wraps around like the machine word (int32 / int64 two's complement).
 */
import { describe } from "../common/checks.js";
import { attach, registerReviver, SHARE, sharedView, takeAttached, type Shareable } from "../memory/handles.js";
import { showAsRepr } from "../common/repr.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function int32(v: unknown, what: string, name: string): number {
  if (typeof v !== "number") {
    throw new TypeError(`${what}: ${name} must be a number (an integer in int32 range), got ${describe(v)}${typeof v === "bigint" ? "; use AtomicBigInt for bigints" : ""}`);
  }
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
    throw new RangeError(`${what}: ${name} must be an integer from ${INT32_MIN} to ${INT32_MAX}, got ${v}; use AtomicBigInt for larger values`);
  }
  return v;
}

function int64(v: unknown, what: string, name: string): bigint {
  if (typeof v !== "bigint") {
    throw new TypeError(`${what}: ${name} must be a bigint (like 1n), got ${describe(v)}${typeof v === "number" ? `; write ${Number.isInteger(v) ? `${v}n or ` : ""}BigInt(n)` : ""}`);
  }
  if (v < INT64_MIN || v > INT64_MAX) {
    throw new RangeError(`${what}: ${name} must fit in a signed 64-bit integer (${INT64_MIN}n to ${INT64_MAX}n), got ${v}n`);
  }
  return v;
}

/** A shared 32-bit signed integer. */
export class AtomicInt implements Shareable {
  readonly #w: Int32Array;

  constructor(initial = 0) {
    const adopted = takeAttached<Int32Array>();
    if (adopted) {
      this.#w = adopted;
      return;
    }
    this.#w = new Int32Array(new SharedArrayBuffer(4));
    this.#w[0] = int32(initial, "new AtomicInt(initial)", "initial");
  }

  /** The current value. */
  get(): number {
    return Atomics.load(this.#w, 0);
  }

  /** Stores value (an int32). */
  set(value: number): void {
    Atomics.store(this.#w, 0, int32(value, "AtomicInt.set(value)", "value"));
  }

  /** Adds n and returns the new value. */
  add(n: number): number {
    const d = int32(n, "AtomicInt.add(n)", "n");
    return (Atomics.add(this.#w, 0, d) + d) | 0;
  }

  /** Subtracts n and returns the new value. */
  sub(n: number): number {
    const d = int32(n, "AtomicInt.sub(n)", "n");
    return (Atomics.sub(this.#w, 0, d) - d) | 0;
  }

  /** Adds 1 and returns the new value. */
  increment(): number {
    return (Atomics.add(this.#w, 0, 1) + 1) | 0;
  }

  /** Subtracts 1 and returns the new value. */
  decrement(): number {
    return (Atomics.sub(this.#w, 0, 1) - 1) | 0;
  }

  /** Stores value and returns the previous value. */
  exchange(value: number): number {
    return Atomics.exchange(this.#w, 0, int32(value, "AtomicInt.exchange(value)", "value"));
  }

  /** Stores replacement if the value is expected; returns the previous value either way. */
  compareExchange(expected: number, replacement: number): number {
    const what = "AtomicInt.compareExchange(expected, replacement)";
    return Atomics.compareExchange(this.#w, 0, int32(expected, what, "expected"), int32(replacement, what, "replacement"));
  }

  valueOf(): number {
    return this.get();
  }

  toString(): string {
    return `<AtomicInt ${this.get()}>`;
  }

  /** The value, for JSON.stringify. */
  toJSON(): number {
    return this.get();
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    return { kind: "AtomicInt", w: this.#w };
  }
}

/** A shared 64-bit signed integer, as a bigint. */
export class AtomicBigInt implements Shareable {
  readonly #w: BigInt64Array;

  constructor(initial = 0n) {
    const adopted = takeAttached<BigInt64Array>();
    if (adopted) {
      this.#w = adopted;
      return;
    }
    this.#w = new BigInt64Array(new SharedArrayBuffer(8));
    this.#w[0] = int64(initial, "new AtomicBigInt(initial)", "initial");
  }

  /** The current value. */
  get(): bigint {
    return Atomics.load(this.#w, 0);
  }

  /** Stores value (a 64-bit signed integer). */
  set(value: bigint): void {
    Atomics.store(this.#w, 0, int64(value, "AtomicBigInt.set(value)", "value"));
  }

  /** Adds n and returns the new value. */
  add(n: bigint): bigint {
    const d = int64(n, "AtomicBigInt.add(n)", "n");
    return BigInt.asIntN(64, Atomics.add(this.#w, 0, d) + d);
  }

  /** Subtracts n and returns the new value. */
  sub(n: bigint): bigint {
    const d = int64(n, "AtomicBigInt.sub(n)", "n");
    return BigInt.asIntN(64, Atomics.sub(this.#w, 0, d) - d);
  }

  /** Adds 1 and returns the new value. */
  increment(): bigint {
    return BigInt.asIntN(64, Atomics.add(this.#w, 0, 1n) + 1n);
  }

  /** Subtracts 1 and returns the new value. */
  decrement(): bigint {
    return BigInt.asIntN(64, Atomics.sub(this.#w, 0, 1n) - 1n);
  }

  /** Stores value and returns the one it replaced. */
  exchange(value: bigint): bigint {
    return Atomics.exchange(this.#w, 0, int64(value, "AtomicBigInt.exchange(value)", "value"));
  }

  /**
   * Stores replacement if the value is expected; returns the value found (equal to expected when
   * it stored).
   */
  compareExchange(expected: bigint, replacement: bigint): bigint {
    const what = "AtomicBigInt.compareExchange(expected, replacement)";
    return Atomics.compareExchange(this.#w, 0, int64(expected, what, "expected"), int64(replacement, what, "replacement"));
  }

  valueOf(): bigint {
    return this.get();
  }

  toString(): string {
    return `<AtomicBigInt ${this.get()}>`;
  }

  /** JSON has no bigints; a decimal string keeps every digit. */
  toJSON(): string {
    return this.get().toString();
  }

  /** @internal What crosses to another thread for this object (memory/handles.ts). */
  [SHARE]() {
    return { kind: "AtomicBigInt", w: this.#w };
  }
}

registerReviver("AtomicInt", (h) => attach(sharedView(h, "w", Int32Array, 1), () => new AtomicInt()));
registerReviver("AtomicBigInt", (h) => attach(sharedView(h, "w", BigInt64Array, 1), () => new AtomicBigInt()));

showAsRepr(AtomicInt);
showAsRepr(AtomicBigInt);
