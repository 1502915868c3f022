// Bounded waits for tests: a bug fails fast instead of hanging the suite.
import { sleepAsync } from "skein";

/** Waits until Atomics says cell[index] !== value, at most ms. */
export function waitChange(cell: Int32Array, index: number, value: number, ms = 10_000): void {
  const deadline = Date.now() + ms;
  while (Atomics.load(cell, index) === value) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for cell[${index}] to leave ${value}`);
    Atomics.wait(cell, index, value, left);
  }
}

/** Observes a condition that nothing notifies (a thread's state), re-checking until ms pass. */
export async function eventually(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleepAsync(1);
  }
}
