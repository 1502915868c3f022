/**
 * What this thread has made of other modules' top-level bindings: per defining module, each
 * binding's value and the declaration it was made from. A module's functions, classes and
 * constants shipped by source are made once per thread and shared by every unit that needs them,
 * as a module's bindings are shared by its functions: a class shipped with a target and the class
 * an instance arrives with are one class. The declarations are kept so that code made here can be
 * shipped on to another thread.
 */
import type { Packed } from "./values.js";
import type { ShippedCode } from "./shipment.js";

/**
 * Where the text of a part of shipped code came from in the files as written, for the stack traces
 * of a thread that runs it (ship/stack-lines.ts): `segs` is [line, column, source, original line,
 * original column] per run of text, 0-based, the part's line and column as the thread lays it out
 * (its first line at line 0, its text from the column the sending side says); `sources` the files
 * as written (URLs). Made by ship/source-lines.ts partMap.
 */
export interface PartMap {
  sources: string[];
  segs: number[];
}

/** A top-level declaration shipped by source: the names it binds, its text, where it was, what it needs. */
export interface DeclItem {
  names: string[];
  text: string;
  /** 0-based line in the defining file, and offset (the declarations' order). */
  line: number;
  start: number;
  /** Top-level names of the same module that it uses: its declarations and its imports. */
  deps: string[];
  /** Where its text came from in the file as written, for stack traces (ship/source-lines.ts). */
  map?: PartMap;
  /** In a bundle, the wrapped module that declares it (Unit.part); none for the bundle's own top level. */
  part?: number;
  /**
   * A top-level skein object or shared memory (`const lock = new Lock()`): not made again from its
   * text (empty), but the very object, packed as a value passed in args is (ship/values.ts).
   */
  shared?: Packed;
  /**
   * An imported function or class of the program's own modules that uses such objects of its
   * module: made from its own shipped code (ship/shipment.ts), not imported again, so that it
   * uses the very objects.
   */
  code?: ShippedCode;
}

/**
 * The hidden name of a shared member `key` of `owner` that came with code: a module's
 * (`tally.bump` for `import * as tally`, `exports.hits` for a CommonJS file's own exports) or a
 * class's static field (`Tally.lock`). Declared as any other binding of the code's module.
 */
export function memberName(owner: string, key: string): string {
  return `__skein_${owner}$${key}`;
}

/** How errors show such a name: `tally.bump`; any other name as it is. */
export function shownName(name: string): string {
  const m = /^__skein_(.+?)\$(.+)$/.exec(name);
  return m ? `${m[1]}.${m[2]}` : name;
}

/**
 * The hidden names of a CommonJS module's shared exports (`__skein_exports$hits`), which shipped
 * code using `exports` finds over its module's exports in a thread (ship/shipment.ts
 * #exportsSharing, ship/evaluate.ts).
 */
export const EXPORTS_MEMBER = memberName("exports", "");

export interface Mirrored {
  value: unknown;
  item: DeclItem;
}

const mirrors = new Map<string, Map<string, Mirrored>>();

/**
 * The bindings made here of module `url` (created empty on first use); of one of the modules a
 * bundle wraps, by its `part` (ship/module-info.ts partAt).
 */
export function mirrorOf(url: string, part?: number): Map<string, Mirrored> {
  const key = part === undefined ? url : `${url}\u0000${part}`;
  let m = mirrors.get(key);
  if (!m) mirrors.set(key, (m = new Map()));
  return m;
}

/**
 * The bindings code of wrapped module `part` sees: its own over the bundle's top level, as its
 * scope chain has them (just the module's when there is no part).
 */
export function visibleMirror(url: string, part?: number): Map<string, Mirrored> {
  if (part === undefined) return mirrorOf(url);
  return new Map([...mirrorOf(url), ...mirrorOf(url, part)]);
}
