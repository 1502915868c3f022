// The benchmark workloads written with skein, as a user would write them.
import * as skein from "skein";
import { Lock, Thread } from "skein";
import { cpus } from "node:os";
import { median, spin } from "./measure.js";

export function startJoin(n: number): number {
  const noop = () => {};
  for (let i = 0; i < 50; i++) {
    const w = new Thread({ target: noop });
    w.start();
    w.join();
  }
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const t = new Thread({ target: noop });
    t.start();
    t.join();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export function lockUncontended(n: number): number {
  const lock = new Lock();
  for (let i = 0; i < 100_000; i++) {
    lock.acquire();
    lock.release();
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    lock.acquire();
    lock.release();
  }
  return ((performance.now() - t0) * 1e6) / n;
}

function incrementUnderLock(lock: Lock, counter: Int32Array, n: number) {
  for (let i = 0; i < n; i++) {
    lock.acquire();
    counter[0] = counter[0]! + 1;
    lock.release();
  }
}

export function lockContended(n: number): number {
  lockContendedOnce(Math.min(n, 50_000)); // warm: workers exist and the code is compiled
  return lockContendedOnce(n);
}

function lockContendedOnce(n: number): number {
  const lock = new Lock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const threads = [0, 1].map(() => new Thread({ target: incrementUnderLock, args: [lock, counter, n] }));
  const t0 = performance.now();
  threads.forEach((t) => t.start());
  threads.forEach((t) => t.join());
  const ms = performance.now() - t0;
  if (counter[0] !== 2 * n) throw new Error(`lost updates: ${counter[0]}`);
  return ms;
}

/** Round trip of two Events between the main thread and another, in microseconds. */
export function eventPingPong(n: number): number | null {
  const EventCtor = (skein as any).Event;
  if (!EventCtor) return null;
  const ping = new EventCtor();
  const pong = new EventCtor();
  const other = new Thread({
    target: (ping: any, pong: any, n: number) => {
      for (let i = 0; i < n; i++) {
        ping.wait();
        ping.clear();
        pong.set();
      }
    },
    args: [ping, pong, n],
  });
  other.start();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    ping.set();
    pong.wait();
    pong.clear();
  }
  const us = ((performance.now() - t0) * 1e3) / n;
  other.join();
  return us;
}

export function spscQueue(n: number): number | null {
  const QueueCtor = (skein as any).Queue;
  if (!QueueCtor) return null;
  const q = new QueueCtor();
  const producer = new Thread({
    target: (q: any, n: number) => {
      for (let i = 0; i < n; i++) q.put(i);
    },
    args: [q, n],
  });
  const t0 = performance.now();
  producer.start();
  for (let i = 0; i < n; i++) q.get();
  const secs = (performance.now() - t0) / 1e3;
  producer.join();
  return n / secs;
}

export function cpuSpeedup(n: number): { speedup: number; threads: number } {
  const cores = cpus().length;
  spin(n / 10);
  let t0 = performance.now();
  spin(n);
  const one = performance.now() - t0;
  const threads = Array.from({ length: cores }, () => new Thread({ target: spin, args: [Math.floor(n / cores)] }));
  t0 = performance.now();
  threads.forEach((t) => t.start());
  threads.forEach((t) => t.join());
  const many = performance.now() - t0;
  return { speedup: one / many, threads: cores };
}

/** `threads` threads share `total` increments under one Lock; total time in ms (warm workers). */
export function lockScaling(threads: number, total: number): number {
  lockScalingOnce(threads, Math.min(total, 20_000)); // warm: a worker for each thread, code compiled
  return lockScalingOnce(threads, total);
}

function lockScalingOnce(threads: number, total: number): number {
  const lock = new Lock();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const each = Math.floor(total / threads);
  const ts = Array.from({ length: threads }, () => new Thread({ target: incrementUnderLock, args: [lock, counter, each] }));
  const t0 = performance.now();
  ts.forEach((t) => t.start());
  ts.forEach((t) => t.join());
  const ms = performance.now() - t0;
  if (counter[0] !== threads * each) throw new Error(`lost updates: ${counter[0]} of ${threads * each}`);
  return ms;
}
