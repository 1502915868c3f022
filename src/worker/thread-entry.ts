/**
 * A thread worker's own entry file (dist/worker.js): it loads only what a thread worker needs, not
 * the hub's code (a bundled skein runs both roles from worker/entry.ts).
 */
import { runWorker } from "./bootstrap.js";

runWorker();
