/**
 * How console.log and util.inspect show skein's objects: as their toString(), Python's repr
 * (`<Lock unlocked>`, `<Thread(worker-1, started 3)>`), not as the views into shared memory
 * they hold. Node's, Bun's and Deno's consoles each look for their own symbol.
 */
const INSPECT_KEYS = [Symbol.for("nodejs.util.inspect.custom"), Symbol.for("Deno.customInspect")];

/** Makes instances of `cls` (and of its subclasses) show as their toString(). */
export function showAsRepr(cls: { prototype: object }): void {
  for (const key of INSPECT_KEYS) {
    Object.defineProperty(cls.prototype, key, {
      value(this: object): string {
        return String(this);
      },
      configurable: true,
      writable: true,
    });
  }
}
