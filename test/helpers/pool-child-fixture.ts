// A program the pool suites run in a child process (like CPython's assert_python_ok scripts in
// test_shutdown.py / test_init.py): what happens to a pool's tasks when the process ends, and
// calls that could hang or exhaust memory if broken. Run through runPoolChild() in pool-util.ts:
//   node --import tsx test/helpers/pool-child-fixture.ts <mode>
import { sleep, ThreadPoolExecutor } from "skein";

/** CPython's test_shutdown.sleep_and_print: the task is still running when the main script ends. */
function sleepAndPrint(ms: number, msg: string): void {
  sleep(ms);
  console.log(msg);
}

/** Python's int(), for test_hang_gh94440. */
function toInt(s: string): number {
  return Number.parseInt(s, 10);
}

function initFail(): void {
  throw new RangeError("error in initializer");
}

const mode = process.argv[2];
switch (mode) {
  // test_interpreter_shutdown: no shutdown() at all; the exit shuts the pool down, waiting.
  case "interpreter_shutdown": {
    const t = new ThreadPoolExecutor({ maxWorkers: 5 });
    t.submit(sleepAndPrint, 300, "apple");
    break;
  }
  // test_hang_gh83386: shutdown(wait=false) with a running task; the task still finishes.
  case "hang_gh83386": {
    const t = new ThreadPoolExecutor({ maxWorkers: 3 });
    t.submit(sleepAndPrint, 300, "apple");
    t.shutdown(false);
    break;
  }
  // test_cancel_futures_wait_false: the task may or may not have started; no error either way.
  case "cancel_futures_wait_false": {
    const t = new ThreadPoolExecutor();
    t.submit(sleepAndPrint, 100, "apple");
    t.shutdown(false, { cancelFutures: true });
    break;
  }
  // test_submit_after_interpreter_shutdown: an exit hook registered after skein's (Python's
  // atexit) finds the pool shut down.
  case "submit_after_interpreter_shutdown": {
    let t: ThreadPoolExecutor | null = null;
    process.on("beforeExit", () => {
      if (!t) return;
      const pool = t;
      t = null;
      try {
        pool.submit(sleepAndPrint, 0, "submitted");
        console.log("no-error");
      } catch (e) {
        console.log(e instanceof Error && e.name === "RuntimeError" ? "runtime-error" : "other-error");
        console.error(`${(e as Error).name}: ${(e as Error).message}`);
      }
    });
    t = new ThreadPoolExecutor({ maxWorkers: 5 });
    break;
  }
  // FailingInitializerMixin.test_initializer's _assert_logged: the initializer's error is reported.
  case "failing_initializer": {
    const t = new ThreadPoolExecutor({ maxWorkers: 2, initializer: initFail });
    const f = t.submit(sleepAndPrint, 0, "ran");
    const e = f.exception(10_000) as Error | null;
    console.log(e ? `task failed: ${e.message}` : "task ran");
    t.shutdown(true);
    break;
  }
  // test_hang_gh94440: shutdown(wait=true) right after a submitted future was cancelled.
  case "hang_gh94440": {
    const t = new ThreadPoolExecutor({ maxWorkers: 1 });
    t.submit(toInt, "1").result(10_000);
    const f = t.submit(toInt, "2");
    const cancelled = f.cancel();
    t.shutdown(true);
    console.log(`shut down (cancelled: ${cancelled}, done: ${f.done()})`);
    break;
  }
  // map(fn) with no iterables: zip() of nothing is empty, as in Python.
  case "map_no_iterables": {
    const t = new ThreadPoolExecutor({ maxWorkers: 1 });
    console.log(JSON.stringify([...t.map(() => 1)]));
    console.log(JSON.stringify([...t.map(() => 1, { timeout: 1000 })]));
    t.shutdown(true);
    break;
  }
  default:
    console.error(`unknown mode ${mode}`);
    process.exit(2);
}
