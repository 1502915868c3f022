export { RuntimeError, SystemExit, DeadlockError } from "./common/errors.js";
export { TIMEOUT_MAX } from "./common/checks.js";
export { ThreadState } from "./threading/thread-state.js";
export { Thread, currentThread, mainThread, enumerate, activeCount, type ThreadOptions } from "./threading/thread.js";
export { getIdent, getNativeId, isMainThread, sleep, sleepAsync } from "./threading/functions.js";
export { local, type Local } from "./threading/local.js";
export { findDeadlocks, threadSnapshot, dumpThreads, type DeadlockReport, type DeadlockLink, type ThreadInfo, type ThreadRef, type Holder } from "./threading/diagnostics.js";
export { excepthook, __excepthook__, setExcepthook, type ExceptHook, type ExceptHookArgs } from "./threading/excepthook.js";
export { Lock } from "./sync/lock.js";
export { RLock } from "./sync/rlock.js";
export { Condition } from "./sync/condition.js";
export { Semaphore, BoundedSemaphore } from "./sync/semaphore.js";
export { Event } from "./sync/event.js";
export { Barrier, BrokenBarrierError } from "./sync/barrier.js";
export { Timer } from "./threading/timer.js";
export { Queue, LifoQueue, PriorityQueue, SimpleQueue, EmptyError, FullError, ShutDownError } from "./queue/queue.js";
export { ThreadPoolExecutor, type ThreadPoolOptions } from "./futures/thread-pool.js";
export {
  Future, wait, asCompleted, TimeoutError, CancelledError, BrokenThreadPoolError,
  FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, type ReturnWhen, type DoneAndNotDone, type DoneAndNotDoneOf, type WaitOptions,
} from "./futures/future.js";
export { AtomicInt, AtomicBigInt } from "./shared/atomic-int.js";
export { SharedList } from "./shared/shared-list.js";
export { SharedDict, type DictSource } from "./shared/shared-dict.js";
