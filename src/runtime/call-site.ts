/**
 * The user's call site of a wait: the first stack frame outside skein, as "file:line:column", for
 * thread dumps. Taken only once a wait has lasted (runtime/wait.ts), so its cost (a stack trace, a
 * file lookup once) is never on a fast path.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

let own: string | null | undefined;

/**
 * skein's package folder, when skein runs from its own files; null when a bundler has put it inside
 * the program's file (then frames are told apart by skein's function names alone).
 */
function ownDir(): string | null {
  if (own !== undefined) return own;
  own = null;
  try {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let up = 0; up < 4; up++, dir = dirname(dir)) {
      const pkg = join(dir, "package.json");
      if (!existsSync(pkg)) continue;
      if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "skein") own = dir + sep;
      break;
    }
  } catch {
    // no file to go by
  }
  return own;
}

const FRAME = /(?:\(|^at )((?:file:\/\/|\/|[A-Za-z]:\\)[^()]*?:\d+:\d+)\)?$/;
/** Frames of skein's waiting machinery and public blocking methods, as V8 names them. */
const SKEIN_FUNCTION = /^at (?:(?:blockedWait|sleepBlocking|runBlocking|callSite|shutdown|sleep) |(?:new )?_?(?:Lock|RLock|Condition|Semaphore|BoundedSemaphore|Event|Barrier|Queue|LifoQueue|PriorityQueue|SimpleQueue|Thread|Timer|Future|ThreadPoolExecutor)\.)/;

/** A frame of the current stack: where it is ("/path/file.js:line:column") and the frame's text. */
export interface Frame {
  loc: string;
  text: string;
}

/** The current stack's frames that name a file, innermost first (this function's own left out). */
export function stackFrames(): Frame[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const frames: Frame[] = [];
  for (const raw of stack.split("\n").slice(2)) {
    const text = raw.trim();
    const m = FRAME.exec(text);
    if (!m) continue;
    let loc = m[1]!;
    if (loc.startsWith("file://")) {
      const at = /:(\d+):(\d+)$/.exec(loc)!;
      try {
        loc = `${fileURLToPath(loc.slice(0, at.index))}${at[0]}`;
      } catch {
        continue;
      }
    }
    frames.push({ loc, text });
  }
  return frames;
}

/**
 * True for a path in skein's own dist/ or src/ (a runtime that applies source maps, Deno, shows
 * skein's frames in src/); never when skein is bundled into the program's file.
 */
export function isSkeinFile(path: string): boolean {
  const skein = ownDir();
  return skein !== null && (path.startsWith(join(skein, "dist") + sep) || path.startsWith(join(skein, "src") + sep));
}

/** The first frame of the current stack that is not skein's; "" if none. */
export function callSite(): string {
  return stackFrames().find((f) => !SKEIN_FUNCTION.test(f.text) && !isSkeinFile(f.loc))?.loc ?? "";
}
