// A thread's worker dying on the spot, as it would from a native crash or running out of memory:
// process.reallyExit ends a Node worker without unwinding anything. (process.exit in a thread is
// Python's SystemExit: it only ends the thread.) Thread code imports this.

/** Ends the calling thread's worker at once. */
export function crashWorker(code = 1): never {
  (process as unknown as { reallyExit(code: number): never }).reallyExit(code);
  throw new Error("unreachable");
}
