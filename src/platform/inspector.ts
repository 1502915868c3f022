/**
 * V8's inspector protocol, asked from inside this thread and answered at once: the one place V8
 * tells where a function was defined and what its module's bindings hold. Node's inspector answers
 * synchronously; Bun's has no Runtime.evaluate and Deno's answers later, so there skein finds
 * functions by their text instead (ship/locate-by-source.ts).
 */
import { Session, console as inspectorConsole } from "node:inspector";

let session: Session | null = null;
const scriptListeners: ((scriptId: string, url: string) => void)[] = [];

function connect(): Session {
  if (session) return session;
  session = new Session();
  session.connect();
  session.on("Debugger.scriptParsed", (m: any) => {
    for (const fn of scriptListeners) fn(m.params.scriptId, m.params.url);
  });
  return session;
}

/** Sends `method` and returns its answer, which must come synchronously. */
export function inspect<T>(method: string, params?: object): T {
  let result: any;
  let error: any;
  connect().post(method, params ?? {}, (err, res) => {
    error = err;
    result = res;
  });
  if (error) throw error;
  if (result === undefined) throw new Error(`the inspector did not answer ${method} synchronously`);
  return result as T;
}

/**
 * The scripts of the functions on this thread's stack now, with their URLs: what the inspector
 * attaches to a console message that only it sees (a verbose one, which DevTools, if attached,
 * hides unless asked). Far cheaper than listing every script, and the code that starts a thread
 * is most often in the file that defines its target. Empty if the inspector can't say.
 */
export function stackScripts(): { scriptId: string; url: string }[] {
  if (typeof inspectorConsole?.debug !== "function") return [];
  const s = connect();
  let frames: { scriptId: string; url: string }[] = [];
  const heard = (m: any): void => {
    frames = m.params?.stackTrace?.callFrames ?? frames;
  };
  s.on("Runtime.consoleAPICalled", heard);
  try {
    inspect("Runtime.enable");
    inspectorConsole.debug("skein: which scripts are on the stack (to find a thread's code)");
  } finally {
    inspect("Runtime.disable");
    s.off("Runtime.consoleAPICalled", heard);
  }
  return frames.map((f) => ({ scriptId: f.scriptId, url: f.url }));
}

/** Calls `fn` for each script the debugger reports (while it is enabled). */
export function onScriptParsed(fn: (scriptId: string, url: string) => void): void {
  scriptListeners.push(fn);
}

let answers: boolean | undefined;

/** True when this runtime's inspector answers synchronously (Node). */
export function inspectorAnswers(): boolean {
  if (answers !== undefined) return answers;
  try {
    answers = inspect<{ result?: unknown }>("Runtime.evaluate", { expression: "0" }).result !== undefined;
  } catch {
    answers = false;
  }
  // A session left connected where it is of no use costs: on Deno every worker started while one
  // is connected takes about half a second more to boot.
  if (!answers && session) {
    session.disconnect();
    session = null;
  }
  return answers;
}
