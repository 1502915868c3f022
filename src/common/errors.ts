/** Python's RuntimeError: the object is in the wrong state for what was asked of it. */
export class RuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}
