/**
 * The loop each ThreadPoolExecutor thread runs (shipped to it as its target, like any target):
 * run the initializer, then take task messages off its port, oldest first, running each unless it
 * was cancelled; park on its mailbox word when there are none.
 */
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { blockedWait } from "./blocking.js";
import { runtime } from "./runtime.js";
import { encode, revive } from "./share.js";
import { reportException } from "./excepthook.js";
import { BROKEN, mailboxOf, pendingOf, type ToWorker } from "./pool-layout.js";
import { BrokenThreadPoolError, FState } from "./futures.js";

export async function poolWorker(ctl: Int32Array, index: number, port: MessagePort, init: unknown, initargs: unknown[]): Promise<void> {
  const mailbox = mailboxOf(index);
  const pending = pendingOf(index);
  if (init) {
    try {
      const fn = await runtime.materialize!(init);
      await fn(...initargs);
    } catch (e) {
      // Python logs the initializer's exception and breaks the pool; so do we.
      reportException(e, null);
      Atomics.store(ctl, BROKEN, 1);
      port.postMessage({ broken: true, error: e });
    }
  }
  const fns = new Map<number, (...a: unknown[]) => unknown>();
  for (;;) {
    let m = receiveMessageOnPort(port);
    if (!m) {
      Atomics.store(ctl, mailbox, 0);
      m = receiveMessageOnPort(port); // a task may have come between the two looks
      if (!m) {
        blockedWait(ctl, mailbox, 0, Infinity);
        continue;
      }
    }
    const msg = m.message as ToWorker;
    if (msg.t === "stop") return;
    const state = msg.state;
    if (Atomics.compareExchange(state, 0, FState.Pending, FState.Running) !== FState.Pending) {
      Atomics.sub(ctl, pending, 1); // cancelled before it started
      continue;
    }
    let reply: { id: number; ok: boolean; value: unknown };
    try {
      if (Atomics.load(ctl, BROKEN)) throw new BrokenThreadPoolError();
      let fn = fns.get(msg.fn);
      if (!fn) {
        fn = (await runtime.materialize!(msg.unit)) as (...a: unknown[]) => unknown;
        fns.set(msg.fn, fn);
      }
      let value = fn(...(revive(msg.args) as unknown[]));
      if (value && typeof (value as PromiseLike<unknown>).then === "function") value = await value;
      reply = { id: msg.id, ok: true, value: encode(value, "the task's result") };
    } catch (e) {
      reply = { id: msg.id, ok: false, value: e };
    }
    try {
      port.postMessage(reply);
    } catch (e) {
      port.postMessage({ id: msg.id, ok: false, value: new TypeError(`the task's result can't be sent back: ${(e as Error).message}`) });
    }
    // The outcome is on the port before the state says finished: a blocked result() finds it.
    Atomics.store(state, 0, FState.Finished);
    Atomics.notify(state, 0);
    Atomics.sub(ctl, pending, 1);
    runtime.control.bumpCompletions();
  }
}
