/**
 * Fixed-length views over a growable SharedArrayBuffer, renewed when any thread has grown it.
 * Not length-tracking views (`new Int32Array(growable)`): V8 in Node 20 runs element access on
 * those about 20 times slower. An owner renews at the start of each critical section (a renewal
 * allocates, so only there, before anything changes) and after growing the buffer itself.
 * Reading a growable buffer's byteLength is not free either (an atomic load behind a call), so
 * owners say how many bytes they use (renewTo) from a word of their own layout.
 */
export class GrowableViews {
  i32!: Int32Array;
  f64!: Float64Array;
  u8!: Uint8Array;
  #length = -1;

  constructor(readonly sab: SharedArrayBuffer) {
    this.renew();
  }

  /** The buffer's length now (another thread may have grown it past the views). */
  get byteLength(): number {
    return this.sab.byteLength;
  }

  /** Renews the views if the buffer has grown since. */
  renew(): void {
    const n = this.sab.byteLength;
    if (n === this.#length) return;
    this.#length = n;
    this.i32 = new Int32Array(this.sab, 0, n >> 2);
    this.f64 = new Float64Array(this.sab, 0, n >> 3);
    this.u8 = new Uint8Array(this.sab, 0, n);
  }

  /** Renews the views unless they already cover `bytes` (what the owner's layout says is in use). */
  renewTo(bytes: number): void {
    if (this.u8.length < bytes) this.renew();
  }

  /** Grows the buffer to at least `bytes` (within its maximum, else RangeError) and renews. */
  grow(bytes: number): void {
    if (bytes > this.sab.byteLength) (this.sab as unknown as { grow(n: number): void }).grow(bytes);
    this.renew();
  }
}
