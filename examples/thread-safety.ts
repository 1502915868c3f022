// The seed's three ways to keep shared data safe, as in the README's "Thread safety" section.
import { AtomicInt, Lock, Queue, Thread } from "skein";

// 1. Using locks
function increment(counter: Int32Array, lock: Lock, n: number) {
  for (let i = 0; i < n; i++) {
    using _ = lock.hold();
    counter[0] = counter[0]! + 1;
  }
}
const counter = new Int32Array(new SharedArrayBuffer(4));
const lock = new Lock();
const threads = Array.from({ length: 8 }, () => new Thread({ target: increment, args: [counter, lock, 10_000] }));
threads.forEach((t) => t.start());
threads.forEach((t) => t.join());
console.log(`locks: ${counter[0]}`);

// 2. Avoiding shared state: work and results travel through queues
function square(jobs: Queue<number | null>, results: Queue<number>) {
  for (let n = jobs.get(); n !== null; n = jobs.get()) results.put(n * n);
}
const jobs = new Queue<number | null>();
const results = new Queue<number>();
const workers = [1, 2, 3].map(() => new Thread({ target: square, args: [jobs, results] }));
workers.forEach((w) => w.start());
for (let i = 1; i <= 9; i++) jobs.put(i);
workers.forEach(() => jobs.put(null)); // one stop sign per worker
workers.forEach((w) => w.join());
let sum = 0;
while (!results.empty()) sum += results.get();
console.log(`queues: ${sum}`);

// 3. Atomic operations
const hits = new AtomicInt();
const counters = Array.from({ length: 8 }, () => new Thread({ target: (h: AtomicInt) => { for (let i = 0; i < 10_000; i++) h.increment(); }, args: [hits] }));
counters.forEach((t) => t.start());
counters.forEach((t) => t.join());
console.log(`atomics: ${hits.get()}`);
