/**
 * A thread worker's own entry file (dist/worker.js): it loads only what a thread worker needs, not
 * the hub's code (a bundled skein runs both roles from worker/entry.ts), and not the whole public
 * API, which it loads when a thread first needs it (common/own-api.ts).
 */
import { createRequire } from "node:module";
import { loadApiWith } from "../common/own-api.js";
import { runWorker } from "./bootstrap.js";

// dist/index.js, next to this file. require() of an ES module (Node 20.19+, Bun, Deno) returns the
// same module instances as import does, so a program's module that imports skein later gets these.
loadApiWith(() => createRequire(import.meta.url)("./index.js"));
runWorker();
