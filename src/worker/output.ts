/**
 * A worker's process.stdout/stderr normally travel to the main thread as messages and appear only
 * when main's event loop runs, i.e. late, or never while main is blocked in join(). Writing
 * straight to the file descriptors (platform/output.ts) keeps every thread's output in real time
 * and in true order.
 */
import { writeOutput } from "../platform/output.js";

export function installDirectOutput(): void {
  for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
    (stream as any).write = (chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      const callback = typeof encoding === "function" ? encoding : cb;
      const bytes = typeof chunk === "string"
        ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8")
        : (chunk as Uint8Array);
      try {
        writeOutput(fd, bytes);
      } catch (e) {
        if (typeof callback === "function") queueMicrotask(() => callback(e));
        return false;
      }
      if (typeof callback === "function") queueMicrotask(() => callback(null));
      return true;
    };
  }
}
