// What a value looks like as data, in every thread alike: own keys in order (with "__proto__"
// as an ordinary key), prototypes, and any object that isn't plain data named by its class.
// Threads import it and send the JSON of the shape back; the tests compare it with the original's.

export type Shape = null | boolean | number | string | { u: 1 } | ["array", Shape[]] | ["object", string, [string, Shape][]] | ["class", string];

export function shape(v: unknown, depth = 0): Shape {
  if (depth > 64) return ["class", "too deep"];
  if (v === undefined) return { u: 1 };
  if (v === null || typeof v !== "object") return v as Shape;
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return ["class", "array with another prototype"];
    return ["array", Array.from(v, (x) => shape(x, depth + 1))];
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype) return ["class", proto === null ? "null prototype" : String(proto.constructor?.name)];
  return ["object", "plain", Object.keys(v).map((k) => [k, shape((v as Record<string, unknown>)[k], depth + 1)])];
}

export function shapeJson(v: unknown): string {
  return JSON.stringify(shape(v));
}
