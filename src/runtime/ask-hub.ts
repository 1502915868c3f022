/**
 * Asking the hub a question and blocking for its answer, from any thread: the hub never blocks,
 * so it answers even while every other thread is stuck. The answer comes back on a port read with
 * receiveMessageOnPort once the hub has raised a flag, so the asking thread needs no event loop.
 */
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { RuntimeError } from "../common/errors.js";
import { ensureHub, runtime } from "./runtime.js";

/** How long (ms) to wait for the hub's answer before giving up with an error. */
const ANSWER_MS = 10_000;

/** Asks the hub `question` (a message with a `type`) and returns its answer. */
export function askHub<T>(question: { type: string } & Record<string, unknown>, what: string): T {
  ensureHub();
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  try {
    runtime.hubPost!({ type: "ask", question, port: port2, flag }, [port2]);
    if (Atomics.wait(flag, 0, 0, ANSWER_MS) === "timed-out") {
      throw new RuntimeError(`${what}: skein's hub did not answer within ${ANSWER_MS / 1000} s`);
    }
    const m = receiveMessageOnPort(port1);
    if (!m) throw new RuntimeError(`${what}: skein's hub answered nothing`);
    const answer = m.message as { ok: true; value: T } | { ok: false; error: string };
    if (!answer.ok) throw new RuntimeError(`${what}: ${answer.error}`);
    return answer.value;
  } finally {
    port1.close();
  }
}
