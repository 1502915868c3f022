// The README's thread pool example.
import { asCompleted, Queue, Thread, ThreadPoolExecutor } from "skein";

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

{
  using pool = new ThreadPoolExecutor({ maxWorkers: 4 }); // shut down (waiting) at the end of the block
  const futures = [20, 21, 22].map((n) => pool.submit(fib, n));
  const done: number[] = [];
  for (const f of asCompleted(futures)) done.push(f.result());
  console.log(`asCompleted: ${done.sort((a, b) => a - b).join(",")}`);
  console.log(`map: ${[...pool.map(fib, [10, 11, 12])].join(",")}`);
  console.log(`await: ${await pool.submit(fib, 15)}`);
}

// A queue with workers marking tasks done
function worker(tasks: Queue<string>) {
  for (;;) {
    const task = tasks.get();
    console.log(`working on ${task}`);
    tasks.taskDone();
  }
}
const tasks = new Queue<string>(10);
new Thread({ target: worker, args: [tasks], daemon: true }).start();
for (const t of ["a", "b", "c"]) tasks.put(t);
tasks.join();
console.log("all tasks done");
