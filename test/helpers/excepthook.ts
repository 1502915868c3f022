// For tests whose threads die on purpose: an exception whose message starts with "deliberate"
// (the suite's mark for an error thrown on purpose) doesn't reach the default excepthook, which
// would print it as if something went wrong; any other exception still does. The hook travels to
// every thread as source, so it uses only its parameter and this module's imports.
// `using _ = quietExcepthook()` puts the default hook back at the end of the block.
import { __excepthook__, setExcepthook, type ExceptHookArgs } from "skein";

function quiet(a: ExceptHookArgs): void {
  if (!(a.excValue instanceof Error && a.excValue.message.startsWith("deliberate"))) __excepthook__(a);
}

/** Silences the thread exceptions marked "deliberate" until disposed. */
export function quietExcepthook(): Disposable {
  setExcepthook(quiet);
  return { [Symbol.dispose]: () => setExcepthook(__excepthook__) };
}

function silent(): void {}

/** Silences every thread exception (for tests whose threads' workers die on purpose) until disposed. */
export function silentExcepthook(): Disposable {
  setExcepthook(silent);
  return { [Symbol.dispose]: () => setExcepthook(__excepthook__) };
}
