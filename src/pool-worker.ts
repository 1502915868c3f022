/**
 * The loop each ThreadPoolExecutor thread runs (shipped to it as its target, like any target):
 * run the initializer, then take tasks off the pool's shared queue (blocked there while idle, as
 * Python's pool threads are), reading function sources and shared arguments from its port.
 */
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { runtime } from "./runtime.js";
import { encode, revive } from "./share.js";
import { reportException } from "./excepthook.js";
import { currentThread } from "./thread.js";
import { BROKEN, IDLE, type TaskRecord, type ToWorker } from "./pool-layout.js";
import { joinArgs } from "./pool-args.js";
import { BrokenThreadPoolError, FState } from "./futures.js";
import type { Queue } from "./queue.js";

export async function poolWorker(
  ctl: Int32Array, tasks: Queue<TaskRecord>, states: Int32Array, port: MessagePort, init: unknown, initargs: unknown[],
): Promise<void> {
  if (init) {
    try {
      const fn = await runtime.materialize!(init);
      await fn(...initargs);
    } catch (e) {
      // Python logs the initializer's exception and breaks the pool; so do we.
      reportException(e, currentThread());
      Atomics.store(ctl, BROKEN, 1);
      port.postMessage({ broken: true });
    }
  }
  const units = new Map<number, unknown>();
  const fns = new Map<number, (...a: unknown[]) => unknown>();
  const refs = new Map<number, unknown[]>();
  const readPort = () => {
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const msg = m.message as ToWorker;
      if (msg.t === "fn") units.set(msg.fnId, msg.unit);
      else refs.set(msg.id, msg.refs);
    }
  };
  for (;;) {
    const rec = tasks.get();
    if (rec === null) {
      tasks.put(null); // the stop sign goes round to the next thread, as in Python
      return;
    }
    const [id, slot, fnId, args, hasRefs] = rec;
    readPort();
    // Tasks leave the queue in submission order: refs of earlier tasks are no use to this thread.
    for (const k of refs.keys()) if (k < id) refs.delete(k);
    if (Atomics.compareExchange(states, slot, FState.Pending, FState.Running) !== FState.Pending) {
      Atomics.store(states, slot, FState.Seen); // cancelled before it started: skipped
      Atomics.notify(states, slot);
      Atomics.add(ctl, IDLE, 1);
      continue;
    }
    let reply: { id: number; ok: boolean; value: unknown; errName?: string };
    try {
      if (Atomics.load(ctl, BROKEN)) throw new BrokenThreadPoolError();
      let fn = fns.get(fnId);
      if (!fn) {
        fn = (await runtime.materialize!(units.get(fnId))) as (...a: unknown[]) => unknown;
        fns.set(fnId, fn);
      }
      const real = revive(hasRefs ? joinArgs(args, refs.get(id) ?? []) : args) as unknown[];
      refs.delete(id);
      let value = fn(...real);
      if (value && typeof (value as PromiseLike<unknown>).then === "function") value = await value;
      reply = { id, ok: true, value: encode(value, "the task's result") };
    } catch (e) {
      // Only built-in error names survive the trip: send the name along to restore the class.
      reply = { id, ok: false, value: e, errName: e instanceof Error ? e.name : undefined };
    }
    // Idle again before the outcome is out, so a submit() right after result() reuses us.
    Atomics.add(ctl, IDLE, 1);
    try {
      port.postMessage(reply);
    } catch (e) {
      port.postMessage({ id, ok: false, value: new TypeError(`the task's result can't be sent back: ${(e as Error).message}`), errName: "TypeError" });
    }
    // The outcome is on the port before the state says finished: a blocked result() finds it.
    Atomics.store(states, slot, FState.Finished);
    Atomics.notify(states, slot);
    runtime.control.bumpCompletions();
  }
}
