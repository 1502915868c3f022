/**
 * SKEIN_TRACE=FILE.json and SKEIN_STATS=1, at exit. SKEIN_STATS prints to stderr how often and how
 * long threads were blocked on each object and in each thread. SKEIN_TRACE: the main thread writes every span the threads recorded
 * (memory/trace-ring.ts) as Chrome Trace Event Format, which Perfetto (ui.perfetto.dev) and
 * chrome://tracing open: one track per thread, named by `M` thread_name events, with `X` spans
 * "running" and, nested in them, each blocking call ("Lock.acquire()", with the object in args).
 * `ts` and `dur` are microseconds from the program's start; `otherData.dropped` counts spans
 * that didn't fit (SKEIN_TRACE_EVENTS, 200,000 by default).
 */
import { writeFileSync } from "node:fs";
import { writeOutput } from "../platform/output.js";
import { resolve } from "node:path";
import { Code, MAX_THREADS, stateCode } from "../memory/control-block.js";
import { nowUs, RUNNING, type Span } from "../memory/trace-ring.js";
import { waitKindText, waitObjectText } from "../memory/wait-record.js";
import { runtime } from "./runtime.js";
import { statsWanted } from "./env-flags.js";

/** When the main thread began running, for its "running" span. */
const mainStartUs = runtime.trace ? nowUs() : 0;
let written = false;

/** Writes the trace file and the statistics, once, as asked (the main thread calls this at exit). */
export function writeTrace(): void {
  const ring = runtime.trace;
  if (!ring || written || !runtime.isMain) return;
  written = true;
  const control = runtime.control;
  ring.add(control.ident(0), RUNNING, 0, mainStartUs, nowUs());
  const { spans, dropped } = ring.read();
  const names = new Map<number, string>();
  for (let slot = 0; slot < MAX_THREADS; slot++) {
    const code = stateCode(control.rawState(slot));
    if (code === Code.Unused || code === Code.Claimed) continue;
    names.set(control.ident(slot), control.readName(slot));
  }
  if (statsWanted()) writeOutput(2, statsText(spans, names, dropped));
  const file = process.env.SKEIN_TRACE?.trim();
  if (file) writeTraceFile(file, spans, names, dropped);
}

const onText = (s: Span, names: ReadonlyMap<number, string>): string | null =>
  waitObjectText(s.kind, s.object, (ident) => names.get(ident) ?? String(ident));

/** SKEIN_STATS's table: blocked waits by object (count, total, longest) and by thread. */
function statsText(spans: Span[], names: ReadonlyMap<number, string>, dropped: number): string {
  const byObject = new Map<string, { n: number; us: number; max: number; threads: Set<number> }>();
  const byThread = new Map<number, { n: number; us: number; runUs: number }>();
  for (const s of spans) {
    const t = byThread.get(s.ident) ?? { n: 0, us: 0, runUs: 0 };
    byThread.set(s.ident, t);
    if (s.kind === RUNNING) {
      t.runUs += s.durUs;
      continue;
    }
    t.n++;
    t.us += s.durUs;
    const key = `${waitKindText(s.kind)}${onText(s, names) ? ` on ${onText(s, names)}` : ""}`;
    const o = byObject.get(key) ?? { n: 0, us: 0, max: 0, threads: new Set<number>() };
    byObject.set(key, o);
    o.n++;
    o.us += s.durUs;
    o.max = Math.max(o.max, s.durUs);
    o.threads.add(s.ident);
  }
  const ms = (us: number) => (us / 1000).toFixed(1);
  const lines = ["skein: blocked waits by object (SKEIN_STATS=1)", "  waits  total ms  longest ms  threads  what"];
  for (const [key, o] of [...byObject].sort((a, b) => b[1].us - a[1].us)) {
    lines.push(`  ${String(o.n).padStart(5)}  ${ms(o.us).padStart(8)}  ${ms(o.max).padStart(10)}  ${String(o.threads.size).padStart(7)}  ${key}`);
  }
  lines.push("skein: blocked waits by thread", "  waits  blocked ms  running ms  thread");
  for (const [ident, t] of [...byThread].sort((a, b) => a[0] - b[0])) {
    lines.push(`  ${String(t.n).padStart(5)}  ${ms(t.us).padStart(10)}  ${ms(t.runUs).padStart(10)}  "${names.get(ident) ?? `ident ${ident}`}" (ident ${ident})`);
  }
  if (dropped > 0) lines.push(`  (${dropped} spans did not fit: raise SKEIN_TRACE_EVENTS)`);
  return lines.join("\n") + "\n";
}

function writeTraceFile(file: string, spans: Span[], names: ReadonlyMap<number, string>, dropped: number): void {
  const pid = process.pid;
  let t0 = mainStartUs;
  for (const s of spans) if (s.startUs < t0) t0 = s.startUs;
  const events: object[] = [];
  for (const ident of new Set(spans.map((s) => s.ident))) {
    events.push({ name: "thread_name", ph: "M", pid, tid: ident, args: { name: names.get(ident) ?? `Thread ident ${ident}` } });
    events.push({ name: "thread_sort_index", ph: "M", pid, tid: ident, args: { sort_index: ident } });
  }
  for (const s of spans) {
    const ts = Math.round((s.startUs - t0) * 1000) / 1000;
    const dur = Math.round(s.durUs * 1000) / 1000;
    if (s.kind === RUNNING) {
      events.push({ name: "running", cat: "thread", ph: "X", pid, tid: s.ident, ts, dur });
      continue;
    }
    const on = onText(s, names);
    events.push({ name: waitKindText(s.kind), cat: "blocked", ph: "X", pid, tid: s.ident, ts, dur, args: on ? { on } : {} });
  }
  try {
    writeFileSync(resolve(file), JSON.stringify({ traceEvents: events, displayTimeUnit: "ms", otherData: { dropped, spans: spans.length } }));
  } catch (e) {
    writeOutput(2, `skein: could not write the trace to ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
