// How long a bounded wait in a test may take before the test fails. Every wait in the suite has
// a bound, so a bug fails one test fast instead of hanging the whole run; the bounds are far
// above what a healthy run needs, so a slow machine doesn't fail a correct test. Thread targets
// may import this module (it has no side effects).

/** One wait that takes milliseconds when skein is right: a join, a result, a thread blocking. */
export const LONG = 15_000;

/** Joining threads that do a lot of work first (stress loops, 100,000-item queues). */
export const HEAVY = 60_000;
