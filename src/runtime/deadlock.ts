/**
 * Deadlock detection, run by the hub (which never blocks, so it sees a program that is wholly
 * stuck). Every SKEIN_DEADLOCK_POLL_MS (default 500) it reads the threads (runtime/thread-dump.ts);
 * a deadlock seen unchanged (no thread in it having woken) in every poll for QUIET_MS and at least
 * two polls is reported once (a thread woken just now may not have run yet on a busy machine, so
 * a moment's look is not enough): on stderr (SKEIN_DEADLOCK=warn, the default), or by waking the main thread with a
 * DeadlockError when main is in it (throw). It also answers the questions of threadSnapshot(),
 * findDeadlocks() and dumpThreads() from any thread (runtime/ask-hub.ts), and serves the live view
 * (runtime/live-view.ts, SKEIN_INSPECT).
 *
 * Contended locks tell the hub where their words are (a "lock" message, once per lock, on the slow
 * path), so it reads who holds each one live instead of trusting what a waiter saw when it fell
 * asleep.
 */
import { writeOutput } from "../platform/output.js";
import type { MessagePort } from "node:worker_threads";
import type { Control } from "../memory/control-block.js";
import { parseDeadlockMode } from "./deadlock-mode.js";
import { deadlockText, dumpText, findDeadlocksIn, snapshot, type LockView, type Snapshot } from "./thread-dump.js";
import { startLiveView } from "./live-view.js";

const DEFAULT_POLL_MS = 500;
/** How long (ms) a deadlock must stay unchanged before it is reported. */
const QUIET_MS = 1000;

export interface DeadlockWatch {
  /** Handles a message meant for the watch; false if it isn't one. */
  onMessage(m: any): boolean;
}

export function watchDeadlocks(control: Control): DeadlockWatch {
  const { mode, valid } = parseDeadlockMode();
  if (!valid) writeOutput(2, `skein: SKEIN_DEADLOCK=${JSON.stringify(process.env.SKEIN_DEADLOCK)} is not one of warn, throw, off; using warn\n`);
  const pollSet = process.env.SKEIN_DEADLOCK_POLL_MS;
  const pollEnv = Number(pollSet);
  const pollValid = Number.isFinite(pollEnv) && pollEnv >= 10;
  const pollMs = pollValid ? pollEnv : DEFAULT_POLL_MS;
  if (!pollValid && pollSet !== undefined && pollSet.trim() !== "") {
    writeOutput(2, `skein: SKEIN_DEADLOCK_POLL_MS=${JSON.stringify(pollSet)} is not a number of milliseconds of at least 10; using ${DEFAULT_POLL_MS}\n`);
  }
  const locks = new Map<string, LockView>();
  let mainWait: { arr: Int32Array; index: number } | null = null;
  /** The deadlock seen at the last poll (its threads' idents and wait sequence numbers), and since when. */
  let lastKey = "";
  let firstSeen = 0;
  const reported = new Set<string>();
  let lastReport = "";

  function poll(): void {
    const s = snapshot(control, locks);
    const found = findDeadlocksIn(s);
    if (!found) {
      lastKey = "";
      return;
    }
    const key = found.idents.map((i) => `${i}:${s.seqs.get(i)}`).join(",") + (found.report.allAsleep ? "/all" : "");
    if (key !== lastKey) {
      lastKey = key;
      firstSeen = performance.now();
      return;
    }
    if (performance.now() - firstSeen < Math.max(QUIET_MS, pollMs)) return;
    const text = deadlockText(found.report, s);
    if (mode === "throw" && found.idents.includes(control.ident(0)) && s.threads.some((t) => t.ident === control.ident(0) && t.state === "blocked")) {
      // Raised again at every poll until main takes it: main may have been just about to sleep.
      lastReport = text;
      control.waits.raiseDeadlock();
      if (mainWait) Atomics.notify(mainWait.arr, mainWait.index);
      return;
    }
    // A deadlock is told once: its cycles, each as its threads' waits. Main blocking afterwards (at
    // exit, waiting for those threads) makes every thread asleep, but is no news. Without a cycle,
    // every thread asleep is the deadlock itself.
    const told = found.report.cycles.length > 0
      ? found.report.cycles.map((c) => c.map((l) => `${l.ident}:${s.seqs.get(l.ident)}`).sort().join(","))
      : [key];
    if (told.every((k) => reported.has(k))) return;
    for (const k of told) reported.add(k);
    lastReport = text;
    writeOutput(2, text);
  }

  if (mode !== "off") setInterval(poll, pollMs).unref?.();
  startLiveView({
    json: () => {
      const s = snapshot(control, locks);
      return { threads: s.threads, deadlock: findDeadlocksIn(s)?.report ?? null };
    },
    text: () => {
      const s = snapshot(control, locks);
      const found = findDeadlocksIn(s);
      return found ? deadlockText(found.report, s) : dumpText(s);
    },
  });

  function answer(question: { type: string }): unknown {
    const s: Snapshot = snapshot(control, locks);
    switch (question.type) {
      case "snapshot":
        return s.threads;
      case "deadlocks":
        return findDeadlocksIn(s)?.report ?? null;
      case "dump":
        return dumpText(s);
      case "report":
        return lastReport;
      default:
        throw new Error(`unknown question ${question.type}`);
    }
  }

  return {
    onMessage(m: any): boolean {
      if (m?.type === "lock") {
        locks.set(`${m.cls}:${m.id}`, { w: m.w, mutex: m.mutex, holder: m.holder });
      } else if (m?.type === "main-wait") {
        mainWait = { arr: m.arr, index: m.index };
      } else if (m?.type === "ask") {
        const port = m.port as MessagePort;
        try {
          port.postMessage({ ok: true, value: answer(m.question) });
        } catch (e) {
          port.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
        }
        port.close();
        Atomics.store(m.flag, 0, 1);
        Atomics.notify(m.flag, 0);
      } else {
        return false;
      }
      return true;
    },
  };
}
