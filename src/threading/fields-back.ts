/**
 * A Thread subclass's fields, back from its thread. Python's threads share one object, so a
 * `run()` that sets `self.result` leaves it for whoever joins. A skein thread runs on a copy of
 * the object: when the thread ends, its worker sends the copy's own fields back on a port that
 * came with the job, and the object in the thread that started it takes them when join() (or
 * joinAsync) sees the end, or as soon as its event loop hears of them. Fields cross as args do:
 * copies, with skein objects and shared memory shared; one that can't is named on stderr.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { assignOwn, pack, sharedByReference, unpack, type Packed } from "../ship/values.js";

/** The starter's end: a port the fields arrive on, applied to `self` at most once. */
export class FieldsBack {
  readonly #port: MessagePort;
  /** The end that goes with the job to the thread's worker. */
  readonly threadEnd: MessagePort;

  /** Settles once the fields are applied, or the thread's end of the port is closed without them. */
  readonly #settled: Promise<void>;

  constructor(readonly self: object) {
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    this.threadEnd = port2;
    let settle!: () => void;
    this.#settled = new Promise((resolve) => (settle = resolve));
    port1.on("message", (m: unknown) => {
      this.#apply(m);
      settle();
    });
    // The worker closes its end after sending, or with nothing to send; a worker that dies closes it too.
    port1.on("close", () => settle());
    // It must not keep the program alive: a thread that never ends sends nothing.
    port1.unref();
  }

  #taken = false;

  /** Takes the fields if they have come (the thread has ended): join() calls this. */
  take(): void {
    if (this.#taken) return;
    const m = receiveMessageOnPort(this.#port);
    if (m) this.#apply(m.message);
  }

  /**
   * Takes the fields, waiting for them if need be: joinAsync calls this once the thread has
   * ended. (Where a port delivers asynchronously, as Deno's does to a listening port, they may
   * arrive a moment after the end.)
   */
  received(): Promise<void> {
    this.take();
    return this.#settled;
  }

  #apply(message: unknown): void {
    if (this.#taken) return;
    this.#taken = true;
    this.#port.close();
    const { value } = unpack(message as Packed);
    if (value !== null && typeof value === "object") assignOwn(this.self, value);
  }
}

/**
 * The thread's end: sends `thread`'s own fields as they are now, leaving out those still holding
 * the very skein object or shared memory they arrived with (the starter has it already). A field
 * that can't cross is left out, and said so.
 */
export function sendFields(thread: object, arrived: Record<string, unknown>, port: MessagePort, name: string): void {
  const out: Record<string, unknown> = {};
  const own = thread as Record<string, unknown>;
  for (const k of Object.keys(own)) {
    if (sharedByReference(own[k]) && arrived[k] === own[k]) continue;
    out[k] = own[k];
  }
  let packed: Packed;
  try {
    packed = pack(out, "this");
  } catch {
    // One field that can't cross shouldn't cost the others: each is tried alone, and named.
    for (const k of Object.keys(out)) {
      try {
        pack(out[k], `this.${k}`);
      } catch (e) {
        process.stderr.write(`skein: ${name}'s field "${k}" stays in its thread: ${(e as Error).message}\n`);
        delete out[k];
      }
    }
    packed = pack(out, "this");
  }
  try {
    port.postMessage(packed);
  } finally {
    port.close();
  }
}
