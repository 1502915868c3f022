/** Python's RuntimeError: the object is in the wrong state for what was asked of it. */
export class RuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/**
 * Python's SystemExit: what `process.exit(code)` raises inside a thread. It ends that thread, not
 * the program, and the default excepthook ignores it, as Python's does.
 */
export class SystemExit extends Error {
  /** The exit status the thread asked for. */
  readonly code: number | string | null | undefined;

  constructor(code?: number | string | null) {
    super(`process.exit(${code === undefined ? "" : JSON.stringify(code)}) in a thread`);
    this.name = "SystemExit";
    this.code = code;
  }
}
