// The README's examples of the synchronization primitives, run end to end.
import { Barrier, BoundedSemaphore, Condition, currentThread, Event, Queue, RLock, Thread, Timer } from "skein";

// RLock: the same thread may take it again
function outer(l: RLock) {
  using _ = l.hold();
  inner(l);
}
function inner(l: RLock) {
  using _ = l.hold();
}
const rlock = new RLock();
outer(rlock);
console.log(`rlock released: ${!rlock.locked()}`);

// Condition: wait for a state change another thread makes
function consume(cond: Condition, items: Int32Array) {
  using _ = cond.hold();
  cond.waitFor(() => items[0]! > 0);
  items[0]!--;
}
const cond = new Condition();
const items = new Int32Array(new SharedArrayBuffer(4));
const consumer = new Thread({ target: consume, args: [cond, items] });
consumer.start();
{
  using _ = cond.hold();
  items[0]!++;
  cond.notify();
}
consumer.join();
console.log(`condition: items left ${items[0]}`);

// BoundedSemaphore: at most 3 inside at once
function download(slots: BoundedSemaphore, inside: Int32Array) {
  using _ = slots.hold();
  const now = Atomics.add(inside, 0, 1) + 1;
  Atomics.store(inside, 1, Math.max(Atomics.load(inside, 1), now));
  Atomics.sub(inside, 0, 1);
}
const slots = new BoundedSemaphore(3);
const inside = new Int32Array(new SharedArrayBuffer(8));
const downloads = Array.from({ length: 8 }, () => new Thread({ target: download, args: [slots, inside] }));
downloads.forEach((t) => t.start());
downloads.forEach((t) => t.join());
console.log(`semaphore: at most ${inside[1]! <= 3 ? "3" : inside[1]} inside`);

// Event: one flag wakes every waiter
const ready = new Event();
const waiter = new Thread({ target: (ready: Event) => { ready.wait(); console.log("event: go!"); }, args: [ready] });
waiter.start();
ready.set();
waiter.join();

// Barrier: three threads meet; the action runs once per round
const barrier = new Barrier(3, () => console.log(`barrier: all three arrived (action ran in ${currentThread().name})`));
const indices = new Queue<number>();
const parties = [0, 1, 2].map((i) => new Thread({ name: `Party-${i}`, target: (b: Barrier, q: Queue<number>) => q.put(b.wait(5_000)), args: [barrier, indices] }));
parties.forEach((t) => t.start());
parties.forEach((t) => t.join());
console.log(`barrier: indices ${[indices.get(), indices.get(), indices.get()].sort().join(",")}`);

// Timer: runs after the interval unless cancelled
const timer = new Timer(50, (who: string) => console.log(`timer: hello, ${who}`), ["world"]);
timer.start();
timer.join();
const cancelled = new Timer(1_000, () => console.log("timer: this never prints"));
cancelled.start();
cancelled.cancel();
cancelled.join();
console.log("timer: cancelled");
