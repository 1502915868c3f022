/**
 * Python's interpreter shutdown: when the main program is done, wait for every non-daemon thread;
 * daemon threads die with the process.
 */
import { runtime } from "./runtime.js";

if (runtime.isMain) {
  process.on("beforeExit", () => {
    const control = runtime.control;
    const idx = control.nonDaemonIndex;
    for (let n = control.nonDaemonAlive(); n > 0; n = control.nonDaemonAlive()) {
      Atomics.wait(control.i32, idx, n);
    }
  });
}
