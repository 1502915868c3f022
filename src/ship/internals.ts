/**
 * skein's own functions that threads run but users never import (a pool thread's loop), by name:
 * they cross by that name, never by source. A module of its own, free of imports, so that any
 * module may register at load time whatever the order modules load in.
 */
const byName = new Map<string, unknown>();
const byValue = new Map<unknown, string>();

export function registerInternal(name: string, value: unknown): void {
  byName.set(name, value);
  byValue.set(value, name);
}

export function internalName(value: unknown): string | null {
  return byValue.get(value) ?? null;
}

export function internalValue(name: string): unknown {
  return byName.get(name);
}
