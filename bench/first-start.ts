// The first start() of a target defined in the program's own file, in a fresh process:
//   node --import tsx bench/first-start.ts   -> prints {"ms": ...}
// A worker and the hub are warm first (a thread from another file), so what is timed is what the
// first start of a new function costs: reading and parsing its file, shipping it, the thread.
import { Thread } from "skein";
import { warmUp } from "./fixtures/warm.js";

const warm = new Thread({ target: warmUp });
warm.start();
warm.join();
const out = new Int32Array(new SharedArrayBuffer(4));
const t0 = performance.now();
const t = new Thread({
  target: (o: Int32Array) => {
    o[0] = 42;
  },
  args: [out],
});
t.start();
t.join();
const ms = performance.now() - t0;
if (out[0] !== 42) throw new Error(`the target computed ${out[0]}`);
console.log(JSON.stringify({ ms }));
