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

/**
 * The program is deadlocked (SKEIN_DEADLOCK=throw): raised in the main thread when it is one of
 * the threads that can never wake. `report` is the text the hub wrote (what every thread waits in,
 * on which object, held by whom, and where).
 */
export class DeadlockError extends Error {
  /** The deadlock report, as `skein: deadlock ...` text. */
  declare readonly report: string;

  constructor(report: string) {
    super(report.trimEnd());
    this.name = "DeadlockError";
    // Not enumerable: printing the error shows the report once, as its message.
    Object.defineProperty(this, "report", { value: report, enumerable: false });
  }
}
