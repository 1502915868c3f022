/** The hub's own entry file: it loads only what the hub needs (a bundled skein runs it from worker/entry.ts). */
import { runHub } from "./hub.js";

runHub();
