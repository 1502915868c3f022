// A port of CPython's Lib/test/lock_tests.py, part 1: BaseLockTests, LockTests, RLockTests, run
// across real skein threads. As in CPython (LockTests and RLockTests subclass BaseLockTests), every
// BaseLockTests method runs once for Lock (under "LockTests") and once for RLock (under "RLockTests").
//
// Adaptations: timeouts are milliseconds (Python seconds x 1000); Python's ValueError and
// OverflowError are RangeError; `with lock:` is `using _ = lock.hold()`; Python's `_wait()` /
// wait_threads_blocked() sleeps became bounded waits until the threads show `state === "blocked"`;
// results come back through shared Int32Arrays instead of Python lists. Python's `del lock` has no
// JS counterpart: the *_destroy tests instead let the holder's thread end while it holds the lock.
// RLock's `_is_owned()` / `_release_save()` are tested through skein's `_isOwned()` / `_releaseSave()`.
//
// Skipped (CPython internals or nothing to port):
//   BaseLockTests.test_constructor_noargs  Python's signature check; skein's constructor takes an
//                                           optional shared word (for reviving in other threads).
//   BaseLockTests.test_repr, test_locked_repr, RLockTests.test_repr_count  repr() formatting.
//   BaseLockTests.test_weakref_exists, test_weakref_deleted  weakref / GC behaviour.
//   LockTests.test_at_fork_reinit          os.fork() / _at_fork_reinit.
//   RLockTests.test_recursion_count        _recursion_count() is a CPython internal with no skein
//                                           counterpart.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { enumerate, Lock, RLock, RuntimeError, Thread, TIMEOUT_MAX } from "skein";
import { Bunch } from "./helpers/bunch.js";
import { bump, shared, waitAtLeast } from "./helpers/cells.js";
import { assertWaited } from "./helpers/timing.js";
import { eventually } from "./helpers/wait.js";

type LockType = typeof Lock | typeof RLock;

function baseLockTests(LockType: LockType): void {
  test("test_constructor", () => {
    const lock = new LockType();
    assert.equal(lock.locked(), false);
    // Usable from another thread straight away.
    const out = shared(1);
    new Bunch((l: Lock | RLock, o: Int32Array) => {
      o[0] = l.acquire(false) ? 1 : 2;
      l.release();
    }, [lock, out], 1).waitForFinished();
    assert.equal(out[0], 1);
    assert.equal(lock.locked(), false);
  });

  test("test_acquire_destroy", () => {
    // Python: acquire, then `del lock` while held. Here: the holder's thread ends (its JS world is
    // gone or reused) while it holds the lock; the lock outlives it and stays held.
    const lock = new LockType();
    new Bunch((l: Lock | RLock) => {
      assert.equal(l.acquire(), true);
    }, [lock], 1).waitForFinished();
    assert.equal(lock.locked(), true);
    assert.equal(lock.acquire(false), false);
    const mine = new LockType();
    mine.acquire();
    assert.equal(mine.locked(), true);
  });

  test("test_acquire_release", () => {
    const lock = new LockType();
    assert.equal(lock.acquire(), true);
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
  });

  test("test_try_acquire", () => {
    const lock = new LockType();
    assert.equal(lock.acquire(false), true);
    lock.release();
  });

  test("test_try_acquire_contended", () => {
    const lock = new LockType();
    lock.acquire();
    const result = shared(1);
    new Bunch((l: Lock | RLock, r: Int32Array) => {
      r[0] = l.acquire(false) ? 1 : 2;
    }, [lock, result], 1).waitForFinished();
    assert.equal(result[0], 2, "acquire(false) in another thread must fail while the lock is held");
    lock.release();
  });

  test("test_acquire_contended", async () => {
    const lock = new LockType();
    lock.acquire();
    const N = 5;
    const bunch = new Bunch((l: Lock | RLock) => {
      l.acquire();
      l.release();
    }, [lock], N);
    bunch.waitForStarted();
    // Threads block on lock.acquire()
    await bunch.waitBlocked(N);
    assert.equal(bunch.finished, 0);
    // Threads unblocked
    lock.release();
    bunch.waitForFinished();
    assert.equal(bunch.finished, N);
  });

  test("test_with", () => {
    const lock = new LockType();
    const out = shared(1);
    // Acquires with a bound, so a lock left held fails the check instead of hanging.
    const f = (l: Lock | RLock, o: Int32Array) => {
      if (l.acquire(true, 5_000)) {
        l.release();
        Atomics.add(o, 0, 1);
      }
    };
    const withLock = (err?: Error) => {
      using _ = lock.hold();
      assert.equal(lock.locked(), true);
      if (err !== undefined) throw err;
    };
    // Acquire the lock, do nothing, `using` releases the lock
    withLock();
    // Check that the lock is unacquired
    new Bunch(f, [lock, out], 1).waitForFinished();
    assert.equal(out[0], 1);
    // Acquire the lock, throw an exception, `using` releases the lock
    assert.throws(() => withLock(new TypeError("boom")), TypeError);
    // Check that the lock is unacquired even after an exception in the `using` block
    new Bunch(f, [lock, out], 1).waitForFinished();
    assert.equal(out[0], 2);
  });

  test("test_thread_leak", () => {
    // The lock shouldn't leak a Thread: after 15 threads used it and ended, the set of alive
    // threads is what it was.
    const lock = new LockType();
    const n = enumerate().length;
    const out = shared(1);
    new Bunch((l: Lock | RLock, o: Int32Array) => {
      l.acquire();
      Atomics.add(o, 0, 1);
      l.release();
    }, [lock, out], 15).waitForFinished();
    assert.equal(out[0], 15);
    assert.equal(enumerate().length, n);
    assert.equal(lock.locked(), false);
  });

  test("test_timeout", () => {
    const lock = new LockType();
    // Can't set timeout if not blocking
    assert.throws(() => lock.acquire(false, 1), RangeError);
    // Invalid timeout values (Python: ValueError, OverflowError, OverflowError)
    assert.throws(() => lock.acquire(true, -100), RangeError);
    assert.throws(() => lock.acquire(true, 1e100), RangeError);
    assert.throws(() => lock.acquire(true, TIMEOUT_MAX + 1), RangeError);
    assert.equal(lock.locked(), false);
    // TIMEOUT_MAX is ok
    assert.equal(lock.acquire(true, TIMEOUT_MAX), true);
    lock.release();
    const t1 = performance.now();
    assert.equal(lock.acquire(true, 5_000), true);
    const t2 = performance.now();
    // Just a sanity test that it didn't actually wait for the timeout.
    assert.ok(t2 - t1 < 5_000);
    const results = new Float64Array(new SharedArrayBuffer(16));
    new Bunch((l: Lock | RLock, r: Float64Array) => {
      const t1 = performance.now();
      r[0] = l.acquire(true, 500) ? 1 : 0;
      r[1] = performance.now() - t1;
    }, [lock, results], 1).waitForFinished();
    assert.equal(results[0], 0);
    assertWaited(results[1]!, 500);
    lock.release();
  });
}

describe("LockTests", () => {
  baseLockTests(Lock);

  test("test_reacquire", async () => {
    // Lock needs to be released before re-acquiring.
    const lock = new Lock();
    const phase = shared(1);
    const t = new Thread({
      target: (l: Lock, p: Int32Array) => {
        l.acquire();
        bump(p, 0);
        l.acquire();
        bump(p, 0);
      },
      args: [lock, phase],
      daemon: true,
    });
    t.start();
    // Thread blocked on its second lock.acquire()
    waitAtLeast(phase, 0, 1);
    await eventually("the thread to block in its second acquire()", () => t.state === "blocked");
    assert.equal(Atomics.load(phase, 0), 1);
    // Thread unblocked
    lock.release();
    waitAtLeast(phase, 0, 2);
    assert.equal(Atomics.load(phase, 0), 2);
    assert.equal(t.join(10_000), true);
    assert.equal(lock.locked(), true);
  });

  test("test_different_thread", () => {
    // Lock can be released from a different thread.
    const lock = new Lock();
    lock.acquire();
    new Bunch((l: Lock) => {
      l.release();
    }, [lock], 1).waitForFinished();
    assert.equal(lock.locked(), false);
    assert.equal(lock.acquire(false), true);
    lock.release();
  });

  test("test_state_after_timeout", () => {
    // Issue #11618: check that lock is in a proper state after a (non-zero) timeout.
    const lock = new Lock();
    lock.acquire();
    assert.equal(lock.acquire(true, 10), false);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.equal(lock.acquire(false), true);
    // Also when the timed-out waiter is another thread (it marked the lock contended).
    const out = shared(1);
    new Bunch((l: Lock, o: Int32Array) => {
      o[0] = l.acquire(true, 10) ? 1 : 2;
    }, [lock, out], 1).waitForFinished();
    assert.equal(out[0], 2);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.equal(lock.acquire(false), true);
    lock.release();
  });
});

describe("RLockTests", () => {
  baseLockTests(RLock);

  test("test_reacquire", () => {
    const lock = new RLock();
    lock.acquire();
    lock.acquire();
    lock.release();
    lock.acquire();
    lock.release();
    lock.release();
    assert.equal(lock.locked(), false);
  });

  test("test_release_unacquired", () => {
    // Cannot release an unacquired lock
    const lock = new RLock();
    assert.throws(() => lock.release(), RuntimeError);
    lock.acquire();
    lock.acquire();
    lock.release();
    lock.acquire();
    lock.release();
    lock.release();
    assert.throws(() => lock.release(), RuntimeError);
  });

  test("test_locked", () => {
    const lock = new RLock();
    assert.equal(lock.locked(), false);
    lock.acquire();
    assert.equal(lock.locked(), true);
    lock.acquire();
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
  });

  test("test_locked_with_2threads", () => {
    // gh-134323: an RLock acquired in a different thread is still locked in the main thread.
    const result = shared(2);
    const rlock = new RLock();
    assert.equal(rlock.locked(), false);
    new Bunch((l: RLock, r: Int32Array) => {
      r[0] = l.locked() ? 1 : 2;
      l.acquire();
      r[1] = l.locked() ? 1 : 2;
    }, [rlock, result], 1).waitForFinished();
    assert.equal(rlock.locked(), true);
    assert.equal(result[0], 2);
    assert.equal(result[1], 1);
  });

  test("test_release_save_unacquired", () => {
    // Cannot _release_save an unacquired lock (skein: _releaseSave, what Condition.wait uses)
    const lock = new RLock();
    assert.throws(() => lock._releaseSave(), RuntimeError);
    lock.acquire();
    lock.acquire();
    lock.release();
    lock.acquire();
    lock.release();
    lock.release();
    assert.throws(() => lock._releaseSave(), RuntimeError);
  });

  test("test_different_thread", () => {
    // Cannot release from a different thread
    const lock = new RLock();
    const bunch = new Bunch((l: RLock) => {
      l.acquire();
    }, [lock], 1, true);
    try {
      // Wait until the thread holds it (it then stays alive until doFinish()).
      bunch.waitForReturned();
      assert.equal(lock.locked(), true);
      assert.throws(() => lock.release(), RuntimeError);
      assert.equal(lock.locked(), true, "a failed release by a non-owner must leave the lock held");
      assert.equal(lock.acquire(false), false);
    } finally {
      bunch.doFinish();
    }
    bunch.waitForFinished();
  });

  test("test__is_owned", () => {
    const lock = new RLock();
    assert.equal(lock._isOwned(), false);
    lock.acquire();
    assert.equal(lock._isOwned(), true);
    lock.acquire();
    assert.equal(lock._isOwned(), true);
    const result = shared(1);
    new Bunch((l: RLock, r: Int32Array) => {
      r[0] = l._isOwned() ? 1 : 2;
    }, [lock, result], 1).waitForFinished();
    assert.equal(result[0], 2);
    lock.release();
    assert.equal(lock._isOwned(), true);
    lock.release();
    assert.equal(lock._isOwned(), false);
  });
});

