"""CPython threading baselines for skein's benchmarks: each workload as Python users write it.

Usage: python3 bench/baseline.py WORKLOAD [N]   -> prints one JSON object
"""
import json
import os
import sys
import threading
import time


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def start_join(n):
    def noop():
        pass
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        t = threading.Thread(target=noop)
        t.start()
        t.join()
        times.append(time.perf_counter() - t0)
    return {"ms": median(times) * 1e3}


def lock_uncontended(n):
    lock = threading.Lock()
    t0 = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        lock.release()
    return {"ns": (time.perf_counter() - t0) * 1e9 / n}


def lock_contended(n):
    # Two threads, n increments each under one Lock.
    return lock_scaling(2 * n, 2)


def event_pingpong(n):
    ping, pong = threading.Event(), threading.Event()

    def other():
        for _ in range(n):
            ping.wait()
            ping.clear()
            pong.set()

    t = threading.Thread(target=other)
    t.start()
    t0 = time.perf_counter()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    us = (time.perf_counter() - t0) * 1e6 / n
    t.join()
    return {"us": us}


def spsc_queue(n):
    import queue
    q = queue.Queue()

    def producer():
        for i in range(n):
            q.put(i)

    t = threading.Thread(target=producer)
    t0 = time.perf_counter()
    t.start()
    for _ in range(n):
        q.get()
    secs = time.perf_counter() - t0
    t.join()
    return {"items_per_s": n / secs}


def spin(n):
    x = 0
    for i in range(n):
        x = (x + i * i) % 1000003
    return x


def cpu_speedup(n):
    cores = os.cpu_count() or 1
    t0 = time.perf_counter()
    spin(n)
    one = time.perf_counter() - t0
    threads = [threading.Thread(target=spin, args=(n // cores,)) for _ in range(cores)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    many = time.perf_counter() - t0
    return {"speedup": one / many, "threads": cores}


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory_per_thread(n):
    lock = threading.Lock()
    lock.acquire()
    before = rss_kb()
    threads = [threading.Thread(target=lambda: (lock.acquire(), lock.release())) for _ in range(n)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    after = rss_kb()
    lock.release()
    for t in threads:
        t.join()
    return {"mb": (after - before) / 1024 / n}


def first_start(n):
    """A fresh interpreter's first thread: CPython has nothing to ship."""
    def target():
        pass
    t0 = time.perf_counter()
    t = threading.Thread(target=target)
    t.start()
    t.join()
    return {"ms": (time.perf_counter() - t0) * 1e3}


def pool_library(n):
    import math
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        for f in [pool.submit(math.sqrt, i) for i in range(100)]:
            f.result()
        t0 = time.perf_counter()
        futures = [pool.submit(math.sqrt, i) for i in range(n)]
        for f in futures:
            f.result()
        return {"tasks_per_s": n / (time.perf_counter() - t0)}


def lock_scaling(total, threads):
    lock = threading.Lock()
    counter = [0]
    each = total // threads

    def work():
        for _ in range(each):
            with lock:
                counter[0] += 1

    ts = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    ms = (time.perf_counter() - t0) * 1e3
    assert counter[0] == each * threads
    return {"ms": ms}


WORKLOADS = {
    "lock_scaling_2": lambda n: lock_scaling(n, 2),
    "lock_scaling_8": lambda n: lock_scaling(n, 8),
    "lock_scaling_32": lambda n: lock_scaling(n, 32),
    "first_start": first_start,
    "pool_library": pool_library,
    "start_join": start_join,
    "lock_uncontended": lock_uncontended,
    "lock_contended": lock_contended,
    "event_pingpong": event_pingpong,
    "spsc_queue": spsc_queue,
    "cpu_speedup": cpu_speedup,
    "memory_per_thread": memory_per_thread,
}

if __name__ == "__main__":
    name = sys.argv[1]
    n = int(sys.argv[2])
    print(json.dumps(WORKLOADS[name](n)))
