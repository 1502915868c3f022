/**
 * Every skein worker of a bundled skein starts here: the hub, or a thread worker (the role is in
 * its workerData). One entry, so that a bundle of skein needs only one piece of worker code. The
 * roles' code and the public API are required, not imported: in that one script each module then
 * runs only when first required, so a thread worker runs neither the hub's code nor, until a
 * thread first needs it, the API's (as an installed skein's workers, worker/thread-entry.ts).
 */
import { workerData } from "node:worker_threads";
import { loadApiWith } from "../common/own-api.js";

if ((workerData as { role?: string } | null)?.role === "hub") {
  (require("../runtime/hub.js") as typeof import("../runtime/hub.js")).runHub();
} else {
  loadApiWith(() => require("../package-entry.js"));
  (require("./bootstrap.js") as typeof import("./bootstrap.js")).runWorker();
}
