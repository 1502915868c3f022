/**
 * How many workers may boot at once, whoever spawns them (the main thread or the hub). A boot is
 * CPU work (compiling skein and the program's modules): eight boots on two cores all finish late,
 * where one per core hands the first queued threads a worker in one boot time and the rest no
 * later than before.
 */
import { availableParallelism } from "node:os";

export const MAX_BOOTING = Math.max(2, availableParallelism());
