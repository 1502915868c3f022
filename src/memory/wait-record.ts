/**
 * What each thread is waiting on, for the hub's deadlock detection and thread dumps: a region of
 * the control block (memory/control-block.ts places it; this module names its words). A thread
 * writes its own record on the slow path of a blocking wait only, just before it sleeps in the
 * kernel, so fast paths never touch it; readers retry while SEQ is odd or moved, as with the
 * thread names' seqlock.
 *
 * Region header (Int32 words):
 *   0  EPOCH_S     Date.now() in seconds when the control block was made; SINCE counts from it
 *   1  DEADLOCK    1 when the hub (SKEIN_DEADLOCK=throw) found the main thread deadlocked; main
 *                  takes it back to 0 as it throws
 *   2..9           OBJECT_COUNTERS: the last number given to an object of each ObjectClass
 *                  (Lock#1, Lock#2, Event#1, ...), so numbers are stable and unique process-wide
 *   10..15 reserved
 *
 * Records (RECORD_WORDS each, from word HEADER, one per thread slot):
 *   +0  SEQ        a seqlock: odd while the thread writes its record; changes with every wait
 *   +1  KIND       WaitKind of the current wait (None when not waiting)
 *   +2  OBJECT     the object's number in its class, or for Thread.join the joined thread's ident
 *   +3  TIMED      1 when the wait has a deadline (such a wait ends by itself: never a deadlock)
 *   +4  SINCE      when the wait began, ms after EPOCH_S
 *   +5  WAITS      how many waits this thread has slept in
 *   +6  WAITED_MS  their total length in ms (the current one excluded)
 *   +7  SITE_LEN   length in UTF-8 bytes of the call site text (0: not captured)
 *   +8..           SITE bytes: the first stack frame outside skein, "file:line:column"
 */

/** What a thread waits in: one per blocking call that can sleep. */
export const WaitKind = {
  None: 0,
  LockAcquire: 1,
  RLockAcquire: 2,
  ConditionWait: 3,
  SemaphoreAcquire: 4,
  EventWait: 5,
  BarrierWait: 6,
  QueueGet: 7,
  QueuePut: 8,
  QueueJoin: 9,
  ThreadJoin: 10,
  FutureResult: 11,
  FuturesWait: 12,
  Sleep: 13,
  Exit: 14,
} as const;
export type WaitKind = (typeof WaitKind)[keyof typeof WaitKind];

/** Classes of shared objects that get a number (Lock#3). */
export const ObjectClass = { Lock: 0, RLock: 1, Condition: 2, Semaphore: 3, Event: 4, Barrier: 5, Queue: 6 } as const;
export type ObjectClass = (typeof ObjectClass)[keyof typeof ObjectClass];

const KIND_TEXT: Record<WaitKind, string> = {
  0: "",
  1: "Lock.acquire()",
  2: "RLock.acquire()",
  3: "Condition.wait()",
  4: "Semaphore.acquire()",
  5: "Event.wait()",
  6: "Barrier.wait()",
  7: "Queue.get()",
  8: "Queue.put()",
  9: "Queue.join()",
  10: "Thread.join()",
  11: "Future.result()",
  12: "wait() for futures",
  13: "sleep()",
  14: "exit, waiting for non-daemon threads",
};
const KIND_CLASS: Partial<Record<WaitKind, string>> = {
  1: "Lock", 2: "RLock", 3: "Condition", 4: "Semaphore", 5: "Event", 6: "Barrier", 7: "Queue", 8: "Queue", 9: "Queue",
};

/** The call a wait kind stands for, as a report shows it ("Lock.acquire()"). */
export const waitKindText = (kind: number): string => KIND_TEXT[kind as WaitKind] ?? `wait kind ${kind}`;
/** The class whose objects a wait kind waits on ("Lock"), or undefined for joins and the like. */
export const waitKindClass = (kind: number): string | undefined => KIND_CLASS[kind as WaitKind];

/** True for the waits whose object has a holder: Lock and RLock acquire. */
export const isLockWait = (kind: number): boolean => kind === WaitKind.LockAcquire || kind === WaitKind.RLockAcquire;

/**
 * What a wait of `kind` on `object` waits on, as reports show it ("Lock#2", `Thread "w" (ident 3)`,
 * with `nameOf` naming a joined thread by its ident), or null when it waits on no object.
 */
export function waitObjectText(kind: number, object: number, nameOf: (ident: number) => string): string | null {
  const cls = waitKindClass(kind);
  if (cls) return `${cls}#${object}`;
  return kind === WaitKind.ThreadJoin ? `Thread "${nameOf(object)}" (ident ${object})` : null;
}

const EPOCH_S = 0;
const DEADLOCK = 1;
const OBJECT_COUNTERS = 2;
export const WAIT_REGION_HEADER = 16;

const SEQ = 0;
const KIND = 1;
const OBJECT = 2;
const TIMED = 3;
const SINCE = 4;
const WAITS = 5;
const WAITED_MS = 6;
const SITE_LEN = 7;
const SITE_BYTES = 8 * 4;
export const SITE_MAX_BYTES = 192;
const RECORD_WORDS = 8 + SITE_MAX_BYTES / 4;

/** Words the region takes for `slots` thread slots. */
export const waitRegionWords = (slots: number): number => WAIT_REGION_HEADER + slots * RECORD_WORDS;

/** One thread's wait, as read by another thread. */
export interface WaitSnapshot {
  /** Changes whenever a wait begins or ends: equal in two reads means the same wait, unbroken. */
  seq: number;
  kind: WaitKind;
  object: number;
  timed: boolean;
  /** Milliseconds since it began (0 when not waiting). */
  blockedMs: number;
  waits: number;
  waitedMs: number;
  site: string | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class WaitRecords {
  constructor(
    private readonly i32: Int32Array,
    private readonly u8: Uint8Array,
    private readonly base: number,
  ) {}

  /** Called once by whoever creates the control block. */
  init(): void {
    Atomics.store(this.i32, this.base + EPOCH_S, Math.floor(Date.now() / 1000));
  }

  private rec(slot: number): number {
    return this.base + WAIT_REGION_HEADER + slot * RECORD_WORDS;
  }

  private now(): number {
    return Date.now() - Atomics.load(this.i32, this.base + EPOCH_S) * 1000;
  }

  /** The next number for an object of class `cls` (1, 2, ...). */
  nextObjectNumber(cls: ObjectClass): number {
    return Atomics.add(this.i32, this.base + OBJECT_COUNTERS + cls, 1) + 1;
  }

  /** Runs `write` on thread `slot`'s record inside the seqlock. */
  private write(slot: number, write: (i: Int32Array, r: number) => void): void {
    const r = this.rec(slot);
    Atomics.add(this.i32, r + SEQ, 1);
    write(this.i32, r);
    Atomics.add(this.i32, r + SEQ, 1);
  }

  /** Thread `slot` is about to sleep in `kind` on `object`. */
  begin(slot: number, kind: WaitKind, object: number, timed: boolean): void {
    const since = this.now();
    this.write(slot, (i, r) => {
      Atomics.store(i, r + KIND, kind);
      Atomics.store(i, r + OBJECT, object);
      Atomics.store(i, r + TIMED, timed ? 1 : 0);
      Atomics.store(i, r + SINCE, since);
      Atomics.store(i, r + SITE_LEN, 0);
      Atomics.add(i, r + WAITS, 1);
    });
  }

  /** The wait of thread `slot` has lasted long enough to be worth its call site. */
  setSite(slot: number, site: string): void {
    const bytes = encoder.encode(site).subarray(0, SITE_MAX_BYTES);
    this.write(slot, (i, r) => {
      this.u8.set(bytes, r * 4 + SITE_BYTES);
      Atomics.store(i, r + SITE_LEN, bytes.length);
    });
  }

  /** Thread `slot` woke from the wait it began. */
  end(slot: number): void {
    const now = this.now();
    this.write(slot, (i, r) => {
      Atomics.add(i, r + WAITED_MS, Math.max(0, now - Atomics.load(i, r + SINCE)));
      Atomics.store(i, r + KIND, WaitKind.None);
    });
  }

  /** A copy of thread `slot`'s record, consistent (retried while it changes). */
  read(slot: number): WaitSnapshot {
    const r = this.rec(slot);
    const i = this.i32;
    // Bounded: a writer terminated from outside mid-write leaves SEQ odd for good.
    for (let tries = 0; ; tries++) {
      const seq = Atomics.load(i, r + SEQ);
      if (seq & 1 && tries < 1000) continue;
      const kind = Atomics.load(i, r + KIND) as WaitKind;
      const snap: WaitSnapshot = {
        seq,
        kind,
        object: Atomics.load(i, r + OBJECT),
        timed: Atomics.load(i, r + TIMED) === 1,
        blockedMs: kind === WaitKind.None ? 0 : Math.max(0, this.now() - Atomics.load(i, r + SINCE)),
        waits: Atomics.load(i, r + WAITS),
        waitedMs: Atomics.load(i, r + WAITED_MS),
        site: null,
      };
      const len = Math.min(Atomics.load(i, r + SITE_LEN), SITE_MAX_BYTES);
      if (len > 0) snap.site = decoder.decode(this.u8.slice(r * 4 + SITE_BYTES, r * 4 + SITE_BYTES + len));
      if (Atomics.load(i, r + SEQ) === seq || tries >= 1000) return snap;
    }
  }

  /** A new thread in `slot` starts with no history. */
  reset(slot: number): void {
    this.write(slot, (i, r) => {
      Atomics.store(i, r + KIND, WaitKind.None);
      Atomics.store(i, r + WAITS, 0);
      Atomics.store(i, r + WAITED_MS, 0);
      Atomics.store(i, r + SITE_LEN, 0);
    });
  }

  get deadlockIndex(): number {
    return this.base + DEADLOCK;
  }

  deadlockRaised(): boolean {
    return Atomics.load(this.i32, this.base + DEADLOCK) !== 0;
  }

  /** Takes the raised deadlock back (true if it was raised). */
  takeDeadlock(): boolean {
    return Atomics.exchange(this.i32, this.base + DEADLOCK, 0) !== 0;
  }

  raiseDeadlock(): void {
    Atomics.store(this.i32, this.base + DEADLOCK, 1);
  }
}
