export { RuntimeError } from "./errors.js";
export { TIMEOUT_MAX } from "./timeout.js";
export { ThreadState } from "./thread-state.js";
export { Thread, currentThread, mainThread, enumerate, activeCount, type ThreadOptions } from "./thread.js";
export { getIdent, getNativeId, isMainThread, sleep, sleepAsync } from "./functions.js";
export { local, type Local } from "./local.js";
export { excepthook, __excepthook__, setExcepthook, type ExceptHook, type ExceptHookArgs } from "./excepthook.js";
export { Lock } from "./lock.js";
