// A short tour of skein: each concept of "Threads in Python", running on real parallel threads.
// Run it with `npm run demo`.
import {
  activeCount, currentThread, Lock, mainThread, setExcepthook, sleep, Thread, __excepthook__,
} from "skein";
import { cpus } from "node:os";
import { loaded } from "./slow-module.ts";

function heading(text: string) {
  console.log(`\n== ${text} ==`);
}

// 1. Creating threads: a target function, or a subclass overriding run()
heading("1. Creating threads: a target function and a Thread subclass");

function printNumbers() {
  for (let i = 0; i < 5; i++) console.log(`  ${currentThread().name}: ${i}`);
}

class MyThread extends Thread {
  override run() {
    console.log(`  ${this.name}: Thread running`);
  }
}

const thread1 = new Thread({ target: printNumbers });
const thread2 = new MyThread();
thread1.start();
thread2.start();
thread1.join();
thread2.join();
console.log(`  (OS thread ids: ${thread1.name} ${thread1.nativeId}, ${thread2.name} ${thread2.nativeId}, main ${mainThread().nativeId})`);

// 2. The lifecycle, observed from the main thread
heading("2. The thread lifecycle: new -> runnable -> running -> blocked -> terminated");
const door = new Lock();
const signal = new Int32Array(new SharedArrayBuffer(8));
const life = new Thread({
  name: "Lifecycle",
  target: (door: Lock, signal: Int32Array) => {
    if (!loaded) return; // uses slow-module, so the thread loads it first ("runnable")
    Atomics.store(signal, 0, 1); // "I am running"
    Atomics.notify(signal, 0);
    Atomics.wait(signal, 1, 0, 5_000); // running (not in a skein call) until main has looked
    door.acquire(); // main holds the door: this thread blocks here
    door.release();
  },
  args: [door, signal],
});
const seen: string[] = [life.state];
door.acquire();
const loading = new BroadcastChannel("skein-demo-loading");
const isLoading = new Promise((resolve) => (loading.onmessage = resolve));
life.start();
await isLoading;
loading.close();
seen.push(life.state); // started: its worker is loading its code
const go = new BroadcastChannel("skein-demo-go");
go.postMessage("go");
go.close();
Atomics.wait(signal, 0, 0, 5_000);
seen.push(life.state);
Atomics.store(signal, 1, 1);
Atomics.notify(signal, 1);
while (life.state === "running") life.join(1); // wait until it reaches the held lock
seen.push(life.state);
door.release();
life.join();
seen.push(life.state);
console.log(`  ${seen.join(" -> ")}`);

// 3. Synchronization: the same counter with and without a Lock
heading("3. Locks: 8 threads x 10,000 increments of one shared counter");

// All threads wait at the gate until every one has started, so they really run at once.
const gate = new Int32Array(new SharedArrayBuffer(4));

function unsafeIncrement(gate: Int32Array, counter: Int32Array, n: number) {
  Atomics.wait(gate, 0, 0);
  for (let i = 0; i < n; i++) counter[0] = counter[0]! + 1; // read, add, write: not atomic
}

function safeIncrement(gate: Int32Array, counter: Int32Array, lock: Lock, n: number) {
  Atomics.wait(gate, 0, 0);
  for (let i = 0; i < n; i++) {
    // Python's `with lock:`. Where the runtime has `using` (Node 24+, Bun, Deno, tsx), the same is
    // `using _ = lock.hold();`; this demo also runs on Node 22, which lacks it.
    lock.acquire();
    try {
      counter[0] = counter[0]! + 1;
    } finally {
      lock.release();
    }
  }
}

function runAll(make: () => Thread) {
  const threads = Array.from({ length: 8 }, make);
  Atomics.store(gate, 0, 0);
  threads.forEach((t) => t.start());
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  threads.forEach((t) => t.join());
}

const racy = new Int32Array(new SharedArrayBuffer(4));
runAll(() => new Thread({ target: unsafeIncrement, args: [gate, racy, 10_000] }));
const safe = new Int32Array(new SharedArrayBuffer(4));
const lock = new Lock();
runAll(() => new Thread({ target: safeIncrement, args: [gate, safe, lock, 10_000] }));
console.log(`  without a lock: ${racy[0]} (${80_000 - racy[0]!} updates lost to the race on ${cpus().length} cores)`);
console.log(`  with a Lock:    ${safe[0]} (always exactly 80000)`);

// 4. join() waits for a thread; output stays in order even while main is blocked
heading("4. join(): main waits, and the thread's output comes first");
const slow = new Thread({
  target: () => {
    sleep(100);
    console.log("  worker: done after 100 ms");
  },
});
slow.start();
slow.join();
console.log("  main: after join");

// 5. Exceptions in a thread go to excepthook; the program goes on
heading("5. An exception in a thread");
setExcepthook(({ excValue, thread }) => {
  console.log(`  excepthook: ${(thread as Thread).name} raised "${(excValue as Error).message}"`);
});
const failing = new Thread({ name: "Failing", target: () => { throw new Error("something broke"); } });
failing.start();
failing.join();
setExcepthook(__excepthook__);
console.log(`  main goes on; threads alive now: ${activeCount()}`);

// 6. Daemon threads stop with the program; non-daemon threads are waited for
heading("6. Daemon vs non-daemon threads");
const housekeeping = new Thread({
  name: "Housekeeping",
  target: () => {
    for (;;) sleep(1_000); // never ends
  },
});
housekeeping.setDaemon(true);
housekeeping.start();
const finisher = new Thread({
  name: "Finisher",
  target: () => {
    sleep(200);
    console.log("  Finisher: the program waited for me (non-daemon) before exiting");
  },
});
finisher.start();
console.log(`  main: done. ${housekeeping.name} is a daemon and is stopped at exit; ${finisher.name} is not.`);
