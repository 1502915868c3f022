/**
 * Python's ordering of the values a PriorityQueue sorts: numbers (and bigints, booleans) by
 * value, strings by code point, arrays like tuples (element by element, then by length).
 * Anything else, or a number against a string, is a TypeError as in Python.
 */
function typeName(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return typeof v === "object" ? (v as object).constructor?.name ?? "object" : typeof v;
}

function isNumeric(v: unknown): v is number | bigint | boolean {
  return typeof v === "number" || typeof v === "bigint" || typeof v === "boolean";
}

function compareStrings(a: string, b: string): number {
  // JS's < compares UTF-16 units; Python compares code points (they differ above U+FFFF).
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j) === 0 ? 0 : i < a.length ? 1 : -1;
}

/** Negative, zero or positive as a < b, a == b, a > b in Python. */
export function pythonCompare(a: unknown, b: unknown): number {
  if (isNumeric(a) && isNumeric(b)) {
    const x = typeof a === "boolean" ? Number(a) : a;
    const y = typeof b === "boolean" ? Number(b) : b;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = pythonCompare(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  throw new TypeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}': a PriorityQueue orders numbers, strings and arrays of them`);
}

// ---- order keys: Python's order as bytes, compared in shared memory without decoding ----
//
// A PriorityQueue keeps, next to each item that isn't a plain number, a key of its Python order:
// element tags, numbers as 8 order-preserving bytes, strings as UTF-8 (escaped, terminated),
// arrays as their elements' keys then END. Comparing two keys walks both and decides as
// pythonCompare would (TypeError where Python has no order), without allocating anything: the
// queue's critical section compares keys where its items live.

const K_END = 0x01;
const K_NUM = 0x10;
const K_STR = 0x20;
const K_ARR = 0x30;
const K_OTHER = 0xf0;

const utf8 = new TextEncoder();
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/**
 * The 8 order bytes of a number, pushed by `put`: IEEE 754 bits made to sort as unsigned
 * big-endian bytes (the sign bit of positives flipped, every bit of negatives).
 */
function numberBytes(x: number, put: (byte: number) => void): void {
  f64[0] = x + 0; // -0 is 0 in Python's order
  const neg = (f64Bytes[7]! & 0x80) !== 0;
  for (let i = 7; i >= 0; i--) put(neg ? ~f64Bytes[i]! & 0xff : i === 7 ? f64Bytes[i]! ^ 0x80 : f64Bytes[i]!);
}

/** The order key of a value (computed outside any mutex). */
export function encodeOrderKey(v: unknown): Uint8Array {
  if (typeof v === "number") {
    // The common case (priorities), without the general path's array.
    const key = new Uint8Array(9);
    key[0] = K_NUM;
    let at = 1;
    numberBytes(v, (b) => (key[at++] = b));
    return key;
  }
  const parts: number[] = [];
  const push = (b: number): void => void parts.push(b);
  const put = (x: unknown): void => {
    if (isNumeric(x)) {
      parts.push(K_NUM);
      numberBytes(Number(x), push);
    } else if (typeof x === "string") {
      parts.push(K_STR);
      for (const byte of utf8.encode(x)) {
        parts.push(byte);
        if (byte === 0) parts.push(0xff); // a NUL in the string: escaped, so 0 0 ends it
      }
      parts.push(0, 0);
    } else if (Array.isArray(x)) {
      parts.push(K_ARR);
      for (const e of x) put(e);
      parts.push(K_END);
    } else {
      // Orderable with nothing: its type name, for the TypeError a comparison raises.
      parts.push(K_OTHER);
      for (const byte of utf8.encode(typeName(x))) parts.push(byte === 0 ? 1 : byte);
      parts.push(0);
    }
  };
  put(v);
  return Uint8Array.from(parts);
}

const KIND_NAMES: Record<number, string> = { [K_NUM]: "number", [K_STR]: "string", [K_ARR]: "array" };

/**
 * Compares key a (bytes[aOff..]) with key b (bytes[bOff..]) in Python's order: negative, zero or
 * positive. A pair Python can't order is a TypeError, as in pythonCompare.
 */
export function compareOrderKeys(ab: Uint8Array, aOff: number, bb: Uint8Array, bOff: number): number {
  let i = aOff;
  let j = bOff;
  let depth = 0;
  for (;;) {
    const ta = ab[i]!;
    const tb = bb[j]!;
    if (ta === K_END || tb === K_END) {
      if (ta !== tb) return ta === K_END ? -1 : 1; // the shorter array first
      i++;
      j++;
      if (--depth === 0) return 0;
      continue;
    }
    if (ta !== tb || ta === K_OTHER) throw new TypeError(`'<' not supported between instances of '${tagName(ab, i)}' and '${tagName(bb, j)}': a PriorityQueue orders numbers, strings and arrays of them`);
    i++;
    j++;
    if (ta === K_ARR) {
      depth++;
      continue;
    }
    if (ta === K_NUM) {
      for (let n = 0; n < 8; n++, i++, j++) if (ab[i] !== bb[j]) return ab[i]! < bb[j]! ? -1 : 1;
    } else {
      // K_STR: byte order of UTF-8 is code point order; 0 0 ends a string, 0 ff is a NUL in it.
      for (;;) {
        const x = ab[i]!;
        const y = bb[j]!;
        const endA = x === 0 && ab[i + 1] === 0;
        const endB = y === 0 && bb[j + 1] === 0;
        if (endA || endB) {
          if (!(endA && endB)) return endA ? -1 : 1;
          i += 2;
          j += 2;
          break;
        }
        if (x !== y) return x < y ? -1 : 1;
        const step = x === 0 ? 2 : 1;
        i += step;
        j += step;
      }
    }
    if (depth === 0) return 0;
  }
}

function tagName(b: Uint8Array, at: number): string {
  const tag = b[at]!;
  if (tag !== K_OTHER) return KIND_NAMES[tag] ?? "object";
  let name = "";
  for (let k = at + 1; b[k] !== 0 && k < b.length; k++) name += String.fromCharCode(b[k]!);
  return name;
}
