/**
 * The shared-memory layout of every queue kind. This module owns it: the other queue modules read
 * and write the words by these names.
 *
 * Control words (Int32, `ctl`, CTL_WORDS):
 *   0  MUTEX          robust mutex (memory/robust-mutex.ts) guarding everything below (but the
 *                    waiter counts), the index and the arena
 *   1  COUNT          items in the queue
 *   2  PUT_SEQ        bumped by every put (and shutdown); getters sleep on it while the queue is empty
 *   3  GET_SEQ        bumped by every get (and shutdown); putters sleep on it while the queue is full
 *   4  UNFINISHED     Python's unfinished_tasks
 *   5  DONE_SEQ       bumped when UNFINISHED drops to 0; join() sleeps on it
 *   6  SHUTDOWN       OPEN, SHUT or SHUT_NOW (Python 3.13's shutdown(immediate))
 *   7  MAXSIZE        0 = unbounded
 *   8  KIND           Kind.FIFO, LIFO, PRIORITY or SIMPLE
 *   9  HEAD           FIFO and SIMPLE: ring position of the oldest item
 *   10 CAPACITY       entries the index has room for
 *   11 SEQ            insertion counter (ties in a PriorityQueue keep insertion order)
 *   12 GET_SLEEPERS   getters asleep on PUT_SEQ (a put notifies only when someone sleeps)
 *   13 PUT_SLEEPERS   putters asleep on GET_SEQ
 *   14 OP             IDLE, MUTATING while a holder changes the index (a holder that dies then
 *                    leaves the queue BROKEN: see runtime/critical.ts)
 *   15 ASYNC_GETTERS  async waiters on PUT_SEQ, and
 *   16 ASYNC_PUTTERS  on GET_SEQ (see Sleep.asyncWaiters): while any are queued, wake-ups go to everyone
 *   17 NUMBER         its number in thread dumps (Queue#3), given on first wait that sleeps
 *
 * Index (a growable SharedArrayBuffer of CAPACITY entries, ENTRY_WORDS Int32 words each):
 *   +0 E_TAG   the value-codec Tag
 *   +1 E_SEQ   the item's insertion number
 *   +2,+3      the number itself for Tag.Number (Float64 index E_NUM_F64 of the entry)
 *   +4 E_KEY   length of the order key at the start of the record (PriorityQueue, every item)
 *   +5 E_OFF   arena offset of the item's record: its order key, then its value's bytes
 *              (Tag.String, Tag.V8, Tag.Packed)
 *   +6 E_LEN   the record's length (0: no record)
 *   +7 reserved
 * Records live in a SharedArena (memory/arena.ts).
 */
export const MUTEX = 0;
export const COUNT = 1;
export const PUT_SEQ = 2;
export const GET_SEQ = 3;
export const UNFINISHED = 4;
export const DONE_SEQ = 5;
export const SHUTDOWN = 6;
export const MAXSIZE = 7;
export const KIND = 8;
export const HEAD = 9;
export const CAPACITY = 10;
export const SEQ = 11;
export const GET_SLEEPERS = 12;
export const PUT_SLEEPERS = 13;
export const OP = 14;
export const ASYNC_GETTERS = 15;
export const ASYNC_PUTTERS = 16;
export const NUMBER = 17;
export const CTL_WORDS = 18;

export const OPEN = 0;
export const SHUT = 1;
export const SHUT_NOW = 2;

export const Kind = { FIFO: 0, LIFO: 1, PRIORITY: 2, SIMPLE: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export const ENTRY_WORDS = 8;
export const ENTRY_BYTES = ENTRY_WORDS * 4;
export const E_TAG = 0;
export const E_SEQ = 1;
export const E_KEY = 4;
export const E_OFF = 5;
export const E_LEN = 6;
/** The Float64 index, within an entry, of a Tag.Number's value (words +2 and +3). */
export const E_NUM_F64 = 1;

export const INITIAL_CAPACITY = 64;
export const MAX_INDEX_BYTES = 2 ** 30;

/** Word index of entry `pos`. */
export const entryAt = (pos: number): number => pos * ENTRY_WORDS;
