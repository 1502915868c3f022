/**
 * SKEIN_STATS, read the way every on/off variable of skein is: 1, true, yes or on turn it on;
 * unset, empty, 0, false, no or off leave it off; anything else is said once on stderr (as for
 * SKEIN_DEADLOCK and SKEIN_INSPECT) and leaves it off.
 */
import { writeOutput } from "../platform/output.js";

const ON = new Set(["1", "true", "yes", "on"]);
const OFF = new Set(["", "0", "false", "no", "off"]);
let warned = false;

/** Whether SKEIN_STATS asks for the wait statistics at exit. */
export function statsWanted(env: string | undefined = process.env.SKEIN_STATS): boolean {
  const v = (env ?? "").trim().toLowerCase();
  if (ON.has(v)) return true;
  if (!OFF.has(v) && !warned) {
    warned = true;
    writeOutput(2, `skein: SKEIN_STATS=${JSON.stringify(env)} is not 1 (or 0); no statistics\n`);
  }
  return false;
}
