/**
 * The words a ThreadPoolExecutor shares with its worker threads (Int32):
 *   0  SHUTDOWN   1 once shutdown() was called
 *   1  BROKEN     1 once an initializer failed: every task then fails with BrokenThreadPoolError
 *   then per worker i:  2 + 2i  MAILBOX (1: messages are waiting on its port)
 *                       3 + 2i  PENDING (tasks sent to it and not finished: load balancing)
 */
export const SHUTDOWN = 0;
export const BROKEN = 1;
export const mailboxOf = (i: number) => 2 + 2 * i;
export const pendingOf = (i: number) => 3 + 2 * i;
export const poolWords = (workers: number) => 2 + 2 * workers;

/** Messages from the submitting thread to a pool thread. */
export type ToWorker =
  | { t: "task"; id: number; fn: number; unit: unknown; args: unknown[]; state: Int32Array }
  | { t: "stop" };

/** Messages back: a task's outcome, or news that the initializer failed. */
export type FromWorker = { id: number; ok: boolean; value: unknown } | { broken: true; error: unknown };
