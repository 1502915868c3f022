/**
 * Every skein worker starts here: the hub, or a thread worker (the role is in its workerData).
 * One entry, so that a bundle of skein needs only one piece of worker code.
 */
import { workerData } from "node:worker_threads";
// The whole API at once: this code is one script, loaded whole anyway.
import "../package-entry.js";
import { runHub } from "../runtime/hub.js";
import { runWorker } from "./bootstrap.js";

if ((workerData as { role?: string } | null)?.role === "hub") runHub();
else runWorker();
