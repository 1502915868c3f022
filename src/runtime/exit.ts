/**
 * Python's interpreter shutdown: when the main program is done, wait for every non-daemon thread;
 * daemon threads die with the process.
 */
import { runtime } from "./runtime.js";
import { runBlocking } from "./wait.js";
import { sleepOnce } from "../memory/sleep.js";

if (runtime.isMain) {
  process.on("beforeExit", () => {
    const control = runtime.control;
    for (let n = control.nonDaemonAlive(); n > 0; n = control.nonDaemonAlive()) {
      runBlocking(sleepOnce(control.i32, control.nonDaemonIndex, n, Infinity));
    }
  });
}
