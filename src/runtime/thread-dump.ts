/**
 * What every thread is doing, read by the hub from the control block: the thread snapshot, the
 * wait-for graph between threads (a thread waiting in Lock/RLock.acquire points at the lock's
 * holder, one in Thread.join at the joined thread), the deadlocks in it, and their text. Pure
 * reading: nothing here changes shared memory, so any thread could run it; the hub does, because it
 * never blocks.
 */
import { readFileSync } from "node:fs";
import { Code, Control, MAX_THREADS, stateCode } from "../memory/control-block.js";
import { isLockWait, WaitKind, waitKindClass, waitKindText, waitObjectText, type WaitSnapshot } from "../memory/wait-record.js";

/** A thread named in a report. */
export interface ThreadRef {
  /** Its name. */
  name: string;
  /** Its ident. */
  ident: number;
}

/** The thread holding what another waits for. */
export interface Holder extends ThreadRef {
  /** True when that thread has ended (it can't release anything now). */
  ended: boolean;
}

/** One thread, as threadSnapshot() gives it. */
export interface ThreadInfo {
  /** The thread's name. */
  name: string;
  /** The thread's ident. */
  ident: number;
  /** The OS thread id, null until the thread runs. */
  nativeId: number | null;
  /** True for a daemon thread. */
  daemon: boolean;
  /** Its state: runnable (waiting for a worker), running, or blocked in a skein call. */
  state: "runnable" | "running" | "blocked";
  /** The call it is blocked in ("Lock.acquire()"), null when not blocked in one. */
  waitsIn: string | null;
  /** The object it waits on ("Lock#2", `Thread "worker" (ident 3)`), null when none. */
  on: string | null;
  /** Who holds what it waits for (a lock's holder, the joined thread), null when no one does. */
  heldBy: Holder | null;
  /** True when the wait has a timeout (it ends by itself). */
  timed: boolean;
  /** How long it has been blocked, in milliseconds; null when not blocked. */
  blockedMs: number | null;
  /** The first frame of the program's own code in the blocking call, "file:line:column", once the wait has lasted 50 ms. */
  callSite: string | null;
  /** CPU time the thread has used, in milliseconds, where the platform tells it (Linux); else null. */
  cpuMs: number | null;
  /** How many times it has slept in a blocking call. */
  waits: number;
  /** How long it has slept in blocking calls, in all (ms). */
  waitedMs: number;
}

/** One thread of a deadlock cycle. */
export interface DeadlockLink {
  /** The thread's name. */
  name: string;
  /** The thread's ident. */
  ident: number;
  /** The call it is blocked in ("Lock.acquire()"). */
  waitsIn: string;
  /** The object it waits on ("Lock#2", or the joined thread). */
  on: string;
  /** The thread holding what it waits for; null when none. */
  heldBy: ThreadRef | null;
}

/** What findDeadlocks() gives. */
export interface DeadlockReport {
  /** Every thread (main included) is blocked with no timeout, so none can wake another. */
  allAsleep: boolean;
  /** Threads waiting on each other in a ring, and chains ending at a lock whose holder has ended. */
  cycles: DeadlockLink[][];
}

/** What the hub knows of a contended lock: its words, to read whether it is held and by whom. */
export interface LockView {
  w: Int32Array;
  mutex: number;
  holder: number;
}

/** A snapshot of every thread, plus the waits' sequence numbers (to tell a wait that lasted). */
export interface Snapshot {
  threads: ThreadInfo[];
  seqs: Map<number, number>;
  pendingJobs: number;
  /** What each blocked thread waits in, by ident. */
  kinds: Map<number, WaitKind>;
  /**
   * Threads recorded as blocked whose wait is already over (the lock is free, the joined thread
   * has ended): woken, but not yet running again, which on a busy machine can take a while.
   */
  waking: Set<number>;
}

const STATE_TEXT = { [Code.Runnable]: "runnable", [Code.Running]: "running", [Code.Blocked]: "blocked" } as const;

function cpuMs(nativeId: number): number | null {
  if (process.platform !== "linux" || nativeId <= 0) return null;
  try {
    const ns = Number(readFileSync(`/proc/${process.pid}/task/${nativeId}/schedstat`, "utf8").split(" ")[0]);
    return Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : null;
  } catch {
    return null;
  }
}

/** Reads every live thread (and the main thread while it waits at exit). */
export function snapshot(control: Control, locks: ReadonlyMap<string, LockView>): Snapshot {
  const rows: Array<{ slot: number; code: Code; wait: WaitSnapshot }> = [];
  const names = new Map<number, { name: string; ended: boolean }>();
  for (let slot = 0; slot < MAX_THREADS; slot++) {
    const code = stateCode(control.rawState(slot));
    if (code === Code.Unused || code === Code.Claimed) continue;
    const ident = control.ident(slot);
    names.set(ident, { name: control.readName(slot), ended: code === Code.Terminated });
    const wait = control.waits.read(slot);
    // The main thread is "stopped" once its program ends, but still waits for the non-daemon threads.
    if (code === Code.Terminated && !(slot === 0 && wait.kind !== WaitKind.None)) continue;
    rows.push({ slot, code, wait });
  }
  const who = (ident: number) => ({ name: names.get(ident)?.name ?? `ident ${ident}`, ident, ended: names.get(ident)?.ended ?? true });
  const threads: ThreadInfo[] = [];
  const seqs = new Map<number, number>();
  const waking = new Set<number>();
  const kinds = new Map<number, WaitKind>();
  for (const { slot, code, wait } of rows) {
    const ident = control.ident(slot);
    const waiting = wait.kind !== WaitKind.None;
    const nativeId = control.nativeId(slot) || null;
    const on = waiting ? waitObjectText(wait.kind, wait.object, (i) => who(i).name) : null;
    let heldBy: Holder | null = null;
    if (waiting) kinds.set(ident, wait.kind);
    if (waiting && wait.kind === WaitKind.ThreadJoin) {
      heldBy = who(wait.object);
      if (heldBy.ended) waking.add(ident);
    }
    if (waiting && isLockWait(wait.kind)) {
      const lock = locks.get(`${waitKindClass(wait.kind)}:${wait.object}`);
      if (lock && Atomics.load(lock.w, lock.mutex) !== 0) {
        const holder = Atomics.load(lock.w, lock.holder);
        if (holder !== 0) heldBy = who(holder);
      } else if (lock) {
        waking.add(ident);
      }
    }
    seqs.set(ident, wait.seq);
    threads.push({
      name: control.readName(slot),
      ident,
      nativeId,
      daemon: slot !== 0 && control.daemon(slot),
      state: waiting ? "blocked" : code === Code.Terminated ? "running" : STATE_TEXT[code as 1 | 2 | 3] ?? "running",
      waitsIn: waiting ? waitKindText(wait.kind) : null,
      on,
      heldBy,
      timed: waiting && wait.timed,
      blockedMs: waiting ? wait.blockedMs : null,
      callSite: waiting ? wait.site || null : null,
      cpuMs: nativeId ? cpuMs(nativeId) : null,
      waits: wait.waits,
      waitedMs: wait.waitedMs,
    });
  }
  return { threads, seqs, pendingJobs: control.pendingJobs(), waking, kinds };
}

/** The deadlocks in a snapshot, and the idents of the threads in them; null when none. */
export function findDeadlocksIn(s: Snapshot): { report: DeadlockReport; idents: number[] } | null {
  /** A thread asleep for good, unless another wakes it: blocked with no timeout, not being woken. */
  const stuck = (t: ThreadInfo) => t.state === "blocked" && !t.timed && !s.waking.has(t.ident);
  const byIdent = new Map(s.threads.map((t) => [t.ident, t]));
  const link = (t: ThreadInfo): DeadlockLink => ({
    name: t.name, ident: t.ident, waitsIn: t.waitsIn ?? "", on: t.on ?? "", heldBy: t.heldBy && { name: t.heldBy.name, ident: t.heldBy.ident },
  });
  const cycles: DeadlockLink[][] = [];
  const involved = new Set<number>();
  // Each stuck thread waits for at most one other: follow the pointers, each thread once.
  const done = new Set<number>();
  for (const start of s.threads) {
    if (done.has(start.ident) || !stuck(start)) continue;
    const path: ThreadInfo[] = [];
    const onPath = new Map<number, number>();
    let t: ThreadInfo | undefined = start;
    while (t && stuck(t) && !done.has(t.ident) && !onPath.has(t.ident)) {
      onPath.set(t.ident, path.length);
      path.push(t);
      const next: ThreadInfo["heldBy"] = t.heldBy;
      if (!next) {
        t = undefined;
        break;
      }
      const kind = s.kinds.get(t.ident);
      if (next.ended && kind !== undefined && isLockWait(kind)) {
        // Held by a thread that has ended. An RLock can never be released now; a Lock could be,
        // by any other thread, so it counts only when no thread is left to do it (allAsleep).
        if (kind === WaitKind.RLockAcquire) {
          cycles.push([link(t)]);
          involved.add(t.ident);
        }
        t = undefined;
        break;
      }
      t = byIdent.get(next.ident);
    }
    if (t && onPath.has(t.ident)) {
      const ring = path.slice(onPath.get(t.ident)!);
      cycles.push(ring.map(link));
      for (const r of ring) involved.add(r.ident);
    }
    for (const p of path) done.add(p.ident);
  }
  const allAsleep = s.threads.length > 0 && s.pendingJobs === 0 && s.threads.every(stuck);
  if (allAsleep) {
    for (const t of s.threads) {
      involved.add(t.ident);
      if (t.heldBy?.ended && s.kinds.get(t.ident) === WaitKind.LockAcquire) cycles.push([link(t)]);
    }
  }
  if (!allAsleep && cycles.length === 0) return null;
  return { report: { allAsleep, cycles }, idents: [...involved].sort((a, b) => a - b) };
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function held(h: { name: string; ident: number } | null, ended = false): string {
  return h ? `, held by "${h.name}" (ident ${h.ident})${ended ? ", which has ended" : ""}` : "";
}

/** The text of every thread, jstack-style: one line each, its call site under it. */
export function dumpText(s: Snapshot): string {
  const lines: string[] = [];
  for (const t of s.threads) {
    const head = `  "${t.name}" (ident ${t.ident}${t.nativeId ? `, native ${t.nativeId}` : ""}${t.daemon ? ", daemon" : ""})`;
    const cpu = t.cpuMs === null ? "" : ` [cpu ${seconds(t.cpuMs)}]`;
    if (t.state !== "blocked") {
      lines.push(`${head}: ${t.state}${cpu}`);
      continue;
    }
    const timeout = t.timed ? " (with a timeout)" : "";
    const holder = isLockWait(s.kinds.get(t.ident) ?? WaitKind.None) ? held(t.heldBy, t.heldBy?.ended) : "";
    lines.push(`${head}: blocked for ${seconds(t.blockedMs ?? 0)} in ${t.waitsIn}${t.on ? ` on ${t.on}` : ""}${holder}${timeout}${cpu}`);
    if (t.callSite) lines.push(`      at ${t.callSite}`);
  }
  return lines.join("\n") + "\n";
}

/** The deadlock report: a first line starting `skein: deadlock`, the cycles, then every thread. */
export function deadlockText(found: DeadlockReport, s: Snapshot): string {
  const out: string[] = [];
  const rings = found.cycles.filter((c) => c.length > 1 || c[0]!.heldBy?.ident === c[0]!.ident);
  if (rings.length > 0) {
    const n = rings.reduce((a, c) => a + c.length, 0);
    out.push(n === 1 ? `skein: deadlock: a thread waits for itself` : `skein: deadlock: ${n} threads wait for each other and will never wake`);
  } else if (found.cycles.length > 0) {
    out.push(`skein: deadlock: a thread waits for a lock held by a thread that has ended`);
  } else if (s.threads.length === 1) {
    // Python's single-threaded hang: nobody is left to put, set or release.
    out.push(`skein: deadlock: "${s.threads[0]!.name}" is blocked with no timeout, and no other thread is left to wake it`);
  } else {
    out.push(`skein: deadlock: every thread is blocked with no timeout, and none can wake another`);
  }
  if (found.allAsleep && !/every thread|no other thread/.test(out[0]!)) out.push("(and every thread is blocked with no timeout)");
  const byIdent = new Map(s.threads.map((t) => [t.ident, t]));
  for (const cycle of found.cycles) {
    out.push("", cycle.length > 1 ? "Cycle:" : "Waiting:");
    for (const l of cycle) {
      const t = byIdent.get(l.ident);
      const holder = s.kinds.get(l.ident) === WaitKind.ThreadJoin ? "" : held(l.heldBy, t?.heldBy?.ended);
      out.push(`  "${l.name}" (ident ${l.ident}) waits in ${l.waitsIn} on ${l.on}${holder}`);
      if (t?.callSite) out.push(`      at ${t.callSite}`);
    }
  }
  out.push("", "Threads:", dumpText(s));
  return out.join("\n").trimEnd() + "\n";
}
