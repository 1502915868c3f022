// A synchronization primitive works the same wherever it was created and whoever uses it:
// created in main, in a thread, or in a thread started by that thread (passed on A -> B -> C),
// each kind runs the same two-party exchange (helpers/primitives-scenarios.ts) and must record
// the same outcomes. Threads are ordered by a shared step counter, never by sleeps; every wait
// is bounded and threads are daemons, so a bug fails fast.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Thread } from "skein";
import { KINDS, expectedScenario, makePrimitive, scenario, type Kind } from "./helpers/primitives-scenarios.js";
import { shared } from "./helpers/cells.js";
import { daemon, joinAll, runJoined } from "./helpers/threads.js";

/** Thread A: creates the primitive, starts a thread with it (which may pass it on), uses it. */
function creator(kind: string, out: Int32Array, hops: number) {
  function relay(kind: string, p: unknown, out: Int32Array, hops: number) {
    if (hops <= 1) return scenario(kind, p, 1, out);
    const next = new Thread({ target: relay, args: [kind, p, out, hops - 1], daemon: true });
    next.start();
    if (!next.join(20_000)) throw new Error("relay: the next thread did not finish");
  }
  const p = makePrimitive(kind);
  const other = new Thread({ target: relay, args: [kind, p, out, hops], daemon: true });
  other.start();
  scenario(kind, p, 0, out);
  if (!other.join(20_000)) throw new Error("creator: the thread it started did not finish");
}

function checkScenario(kind: Kind, out: Int32Array): void {
  assert.equal(Atomics.load(out, 2), 0, `a side of the exchange threw (side ${Atomics.load(out, 2) - 1}; see stderr)`);
  assert.equal(Atomics.load(out, 1), 2, "both sides finish");
  const [x, y] = expectedScenario(kind);
  assert.deepEqual({ X: Array.from(out.subarray(4, 4 + x.length)), Y: Array.from(out.subarray(16, 16 + y.length)) }, { X: x, Y: y });
  if (kind === "Barrier") {
    assert.deepEqual(Array.from(out.subarray(28, 31)), [0b11, 0b11, 0b11], "each round hands out indices 0 and 1");
    assert.equal(out[31], 3, "the action ran once per round");
  }
}

describe("a primitive works the same wherever it was created and whoever uses it", () => {
  for (const kind of KINDS) {
    describe(kind, () => {
      test("created in main, used by two threads", () => {
        const out = shared(32);
        const p = makePrimitive(kind);
        const x = daemon(scenario, [kind, p, 0, out], `${kind}-X`);
        const y = daemon(scenario, [kind, p, 1, out], `${kind}-Y`);
        joinAll(x, y);
        checkScenario(kind, out);
      });

      test("created in main, used by main and a thread", () => {
        const out = shared(32);
        const p = makePrimitive(kind);
        const y = daemon(scenario, [kind, p, 1, out], `${kind}-Y`);
        try {
          scenario(kind, p, 0, out);
        } finally {
          delete (globalThis as any).__skeinPrimitivesOut;
        }
        joinAll(y);
        checkScenario(kind, out);
      });

      test("created in thread A, passed to thread B that A starts; A and B use it", () => {
        const out = shared(32);
        runJoined(creator, [kind, out, 1], `${kind}-A`);
        checkScenario(kind, out);
      });

      test("created in thread A, passed on A -> B -> C; A and C use it", () => {
        const out = shared(32);
        runJoined(creator, [kind, out, 2], `${kind}-A`);
        checkScenario(kind, out);
      });
    });
  }
});
