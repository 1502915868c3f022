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
 * worker; the hub adds more for threads queued behind blocked ones, or a boot time later. On Node
 * and Bun one per core besides main's: each boot costs a core, so on two cores a second boot
 * beside the first delays both. A burst of short threads is then done on the first worker (cold 8
 * on two cores: 66 ms, against 82 ms with two boots), and a program whose first thread blocks
 * before the second can run waits one more boot for it (a producer started after its consumer:
 * 104 ms against 87 ms), which the hub starts as soon as the first thread blocks. On Deno, which
 * doesn't reuse workers, every thread needs a boot, and a worker spawned from the hub boots ten
 * times slower than main's: main spawns up to the boot limit itself.
 */
export const MAIN_EAGER_BOOTS = runtimeKind === "deno" ? MAX_BOOTING : Math.max(1, availableParallelism() - 1);
