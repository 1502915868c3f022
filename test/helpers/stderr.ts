// Captures what the main thread writes to process.stderr while `fn` runs (a done callback that
// throws is reported there), restoring the real stream however fn ends.

export function captureStderr<T>(fn: () => T): { result: T; text: string } {
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    const result = fn();
    return { result, text: written.join("") };
  } finally {
    process.stderr.write = write;
  }
}
