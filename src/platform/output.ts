/**
 * How skein writes output: synchronously, straight to the process's file descriptors, which Node,
 * Bun and Deno all give through node:fs. A worker's process.stdout would otherwise travel to the
 * main thread as messages and show late, or never while main is blocked; skein's own reports
 * (a thread's death, a deadlock) must show even when every thread is blocked. A browser backend
 * would post to the page instead.
 */
import { writeSync } from "node:fs";

const backoff = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `data` to `fd` (1: stdout, 2: stderr) before returning. */
export function writeOutput(fd: 1 | 2, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (e) {
      // A non-blocking pipe that is full: wait for the reader instead of dropping output.
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") Atomics.wait(backoff, 0, 0, 1);
      else throw e;
    }
  }
}
