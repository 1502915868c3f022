export { RuntimeError } from "./errors.js";
export { TIMEOUT_MAX } from "./timeout.js";
export { ThreadState } from "./thread-state.js";
export { Thread, currentThread, mainThread, enumerate, activeCount, type ThreadOptions } from "./thread.js";
export { getIdent, getNativeId, isMainThread, sleep, sleepAsync } from "./functions.js";
export { local, type Local } from "./local.js";
export { excepthook, __excepthook__, setExcepthook, type ExceptHook, type ExceptHookArgs } from "./excepthook.js";
export { Lock } from "./lock.js";
export { RLock } from "./rlock.js";
export { Condition } from "./condition.js";
export { Semaphore, BoundedSemaphore } from "./semaphore.js";
export { Event } from "./event.js";
export { Barrier, BrokenBarrierError } from "./barrier.js";
export { Timer } from "./timer.js";
export { Queue, LifoQueue, PriorityQueue, SimpleQueue, EmptyError, FullError, ShutDownError } from "./queue.js";
export { ThreadPoolExecutor, type ThreadPoolOptions } from "./thread-pool.js";
export {
  Future, wait, asCompleted, TimeoutError, CancelledError, BrokenThreadPoolError,
  FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, type ReturnWhen,
} from "./futures.js";
export { AtomicInt, AtomicBigInt } from "./atomic-int.js";
export { SharedList } from "./shared-list.js";
export { SharedDict, type DictSource } from "./shared-dict.js";
