/**
 * SKEIN_TRACE's buffer: one SharedArrayBuffer, made by the main thread only when the variable is
 * set, that every thread appends finished spans to (a thread running, or blocked in a call) for
 * the timeline written at exit (runtime/trace.ts). Appending is one Atomics.add to claim an entry
 * and a few stores; when the buffer is full, later spans are counted as dropped.
 *
 * Header (Int32 words, HEADER_BYTES in all):
 *   0  NEXT      entries claimed so far (may pass CAPACITY: those are the dropped ones)
 *   1  CAPACITY  entries the buffer holds
 * Entries (ENTRY_BYTES each, from byte HEADER_BYTES):
 *   Int32 +0  IDENT   the thread's ident, stored last: 0 while the entry is being written
 *   Int32 +1  KIND    0 for "running", else the WaitKind of a blocked span (memory/wait-record.ts)
 *   Int32 +2  OBJECT  the object's number (or the joined thread's ident)
 *   Int32 +3  reserved
 *   Float64 +16  START_US  when it began, microseconds of wall-clock time
 *   Float64 +24  DUR_US    how long it lasted, microseconds
 */

const NEXT = 0;
const CAPACITY = 1;
const HEADER_BYTES = 16;
const ENTRY_BYTES = 32;
const IDENT = 0;
const KIND = 1;
const OBJECT = 2;
/** Float64 indexes within an entry. */
const START_US = 2;
const DUR_US = 3;

/** The kind of a span of running code. */
export const RUNNING = 0;

/** One finished span. */
export interface Span {
  ident: number;
  kind: number;
  object: number;
  startUs: number;
  durUs: number;
}

export class TraceRing {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab);
    const capacity = Atomics.load(this.i32, CAPACITY);
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== HEADER_BYTES + capacity * ENTRY_BYTES) {
      throw new TypeError("skein: the trace buffer does not match its capacity");
    }
  }

  /** A buffer for `capacity` spans. */
  static create(capacity: number): TraceRing {
    const sab = new SharedArrayBuffer(HEADER_BYTES + capacity * ENTRY_BYTES);
    Atomics.store(new Int32Array(sab), CAPACITY, capacity);
    return new TraceRing(sab);
  }

  /** Appends a finished span (dropped, and counted, when the buffer is full). */
  add(ident: number, kind: number, object: number, startUs: number, endUs: number): void {
    const e = Atomics.add(this.i32, NEXT, 1);
    if (e >= Atomics.load(this.i32, CAPACITY)) return;
    const w = (HEADER_BYTES + e * ENTRY_BYTES) / 4;
    const d = (HEADER_BYTES + e * ENTRY_BYTES) / 8;
    Atomics.store(this.i32, w + KIND, kind);
    Atomics.store(this.i32, w + OBJECT, object);
    this.f64[d + START_US] = startUs;
    this.f64[d + DUR_US] = Math.max(0, endUs - startUs);
    Atomics.store(this.i32, w + IDENT, ident);
  }

  /** Every complete span, and how many were dropped for want of room. */
  read(): { spans: Span[]; dropped: number } {
    const capacity = Atomics.load(this.i32, CAPACITY);
    const claimed = Atomics.load(this.i32, NEXT);
    const spans: Span[] = [];
    for (let e = 0; e < Math.min(claimed, capacity); e++) {
      const w = (HEADER_BYTES + e * ENTRY_BYTES) / 4;
      const d = (HEADER_BYTES + e * ENTRY_BYTES) / 8;
      const ident = Atomics.load(this.i32, w + IDENT);
      if (ident === 0) continue; // its writer was stopped half-way
      spans.push({ ident, kind: Atomics.load(this.i32, w + KIND), object: Atomics.load(this.i32, w + OBJECT), startUs: this.f64[d + START_US]!, durUs: this.f64[d + DUR_US]! });
    }
    return { spans, dropped: Math.max(0, claimed - capacity) };
  }
}

/** Now, in microseconds of wall-clock time, comparable across threads. */
export function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}
