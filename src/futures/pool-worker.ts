/**
 * The loop each ThreadPoolExecutor thread runs (shipped to it as its target, like any target):
 * run the initializer, then take tasks off the pool's shared queue (blocked there while idle, as
 * Python's pool threads are), reading function sources and shared arguments from its port.
 */
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { registerDeathNotice, runtime } from "../runtime/runtime.js";
import { materialize } from "../ship/evaluate.js";
import { pack, preload, unpack, type Packed } from "../ship/values.js";
import { reportException } from "../threading/excepthook.js";
import { currentThread } from "../threading/thread.js";
import { RuntimeError } from "../common/errors.js";
import { BROKEN, EVENTS, IDLE, T_CURRENT, T_DEATH_CODE, T_DEATH_KIND, threadWord, type FromWorker, type TaskRecord, type ToWorker } from "./pool-layout.js";
import type { ShippedCode } from "../ship/shipment.js";
import { registerInternal } from "../ship/internals.js";
import { BrokenThreadPoolError, FState } from "./future.js";
import type { Queue } from "../queue/queue.js";

export async function poolWorker(
  ctl: Int32Array, tasks: Queue<TaskRecord>, states: Int32Array, port: MessagePort, init: ShippedCode | null, initargs: unknown[], k: number,
): Promise<void> {
  // If this thread's worker dies under a task, the hub says so in the pool's words: the pool
  // fails that task's future and replaces this thread.
  registerDeathNotice({ arr: ctl, kindIndex: threadWord(k, T_DEATH_KIND), codeIndex: threadWord(k, T_DEATH_CODE), bumpIndex: EVENTS });
  if (init) {
    try {
      const fn = await materialize(init);
      await fn(...initargs);
    } catch (e) {
      // Python logs the initializer's exception and breaks the pool; so do we.
      reportException(e, currentThread());
      Atomics.store(ctl, BROKEN, 1);
      port.postMessage({ broken: true });
    }
  }
  const codes = new Map<number, ShippedCode>();
  const fns = new Map<number, (...a: unknown[]) => unknown>();
  const posted = new Map<number, Packed>();
  const readPort = () => {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const msg = m.message as ToWorker;
      if (msg.t === "fn") codes.set(msg.fnId, msg.code);
      else posted.set(msg.id, msg.args);
    }
  };
  for (;;) {
    const rec = tasks.get();
    if (rec === null) {
      tasks.put(null); // the stop sign goes round to the next thread, as in Python
      return;
    }
    const [id, slot, fnId, inline] = rec;
    readPort();
    // Tasks leave the queue in submission order: args of earlier tasks are no use to this thread.
    for (const k of posted.keys()) if (k < id) posted.delete(k);
    if (Atomics.compareExchange(states, slot, FState.Pending, FState.Running) !== FState.Pending) {
      Atomics.store(states, slot, FState.Seen); // cancelled before it started: skipped
      Atomics.notify(states, slot);
      Atomics.add(ctl, IDLE, 1);
      continue;
    }
    Atomics.store(ctl, threadWord(k, T_CURRENT), slot + 1);
    let reply: FromWorker;
    try {
      if (Atomics.load(ctl, BROKEN)) throw new BrokenThreadPoolError();
      let fn = fns.get(fnId);
      if (!fn) {
        const code = codes.get(fnId);
        if (!code) throw new RuntimeError("the task's function never reached this pool thread");
        fn = (await materialize(code)) as (...a: unknown[]) => unknown;
        fns.set(fnId, fn);
      }
      let args: unknown[];
      if (Array.isArray(inline)) args = inline;
      else {
        const packed = inline ?? posted.get(id);
        posted.delete(id);
        if (!packed) throw new RuntimeError("the task's arguments never reached this pool thread");
        const loading = preload(packed, materialize);
        if (loading) await loading;
        const unpacked = unpack(packed);
        if (unpacked.ready) await unpacked.ready;
        args = unpacked.value as unknown[];
      }
      let value = fn(...args);
      if (value && typeof (value as PromiseLike<unknown>).then === "function") value = await value;
      reply = { id, ok: true, value: pack(value, "the task's result") };
    } catch (e) {
      reply = { id, ok: false, value: packError(e) };
    }
    // Idle again before the outcome is out, so a submit() right after result() reuses us.
    Atomics.add(ctl, IDLE, 1);
    try {
      port.postMessage(reply);
    } catch (e) {
      port.postMessage({ id, ok: false, value: packError(new TypeError(`the task's result can't be sent back: ${(e as Error).message}`)) });
    }
    // The outcome is on the port before the state says finished: a blocked result() finds it.
    Atomics.store(ctl, threadWord(k, T_CURRENT), 0);
    Atomics.store(states, slot, FState.Finished);
    Atomics.notify(states, slot);
    Atomics.add(ctl, EVENTS, 1);
    Atomics.notify(ctl, EVENTS);
    runtime.control.bumpCompletions();
  }
}

/** A task's exception, packed with its class; if even that fails, a TypeError saying why. */
function packError(e: unknown): Packed {
  try {
    return pack(e, "the task's exception");
  } catch (why) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return pack(new TypeError(`the task failed with an exception that can't be sent back (${(why as Error).message}): ${message}`), "the task's exception");
  }
}

registerInternal("poolWorker", poolWorker);
