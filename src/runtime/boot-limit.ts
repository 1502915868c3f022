/**
 * How many workers may boot at once, whoever spawns them (the main thread or the hub). A boot is
 * CPU work (compiling skein and the program's modules): eight boots on two cores all finish late,
 * where one per core hands the first queued threads a worker in one boot time and the rest no
 * later than before.
 */
import { availableParallelism } from "node:os";
import { runtimeKind } from "../platform/runtime-kind.js";

export const MAX_BOOTING = Math.max(2, availableParallelism());

/**
 * How many of its own workers the main thread lets boot at once for threads that found no idle
 * worker; the hub adds more for threads still queued a boot time later. On Node and Bun one: a
 * worker on its way takes the first queued thread, and a burst of short threads is done by the
 * time a second boot would end (which, on two cores, only slows the first). On Deno, which doesn't
 * reuse workers, every thread needs a boot, and a worker spawned from the hub boots ten times
 * slower than main's: main spawns up to the boot limit itself.
 */
export const MAIN_EAGER_BOOTS = runtimeKind === "deno" ? MAX_BOOTING : 1;
