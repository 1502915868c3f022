/**
 * Where a function was defined: the script's URL and the import bindings of that script, found
 * through the inspector protocol (the one place V8 tells a function's script). Runs in-thread and
 * synchronously; the debugger is switched on only while a script we have not seen is read.
 */
import { Session } from "node:inspector";
import { moduleImports, type ImportBinding } from "./free-names.js";

export interface Origin {
  url: string;
  /** 0-based line of the function in its script, so stack traces in the thread point at it. */
  line: number;
  imports: Map<string, ImportBinding>;
}

/** Code that skein itself evaluated in this thread registers the origin it was shipped with. */
export const shippedOrigins = new Map<string, Origin>();

let session: Session | null = null;
const urls = new Map<string, string>();
const importsByScript = new Map<string, Map<string, ImportBinding>>();

function post<T>(method: string, params?: object): T {
  let result: any;
  let error: any;
  session!.post(method, params ?? {}, (err, res) => {
    error = err;
    result = res;
  });
  if (error) throw error;
  return result as T;
}

function connect(): void {
  if (session) return;
  session = new Session();
  session.connect();
  session.on("Debugger.scriptParsed", (m: any) => {
    urls.set(m.params.scriptId, m.params.url);
  });
}

export function locate(fn: Function): Origin | null {
  connect();
  const key = "__skein_locate_probe";
  (globalThis as any)[key] = fn;
  let scriptId: string | undefined;
  let line = 0;
  try {
    const { result } = post<any>("Runtime.evaluate", { expression: `globalThis.${key}`, objectGroup: "skein" });
    const props = post<any>("Runtime.getProperties", { objectId: result.objectId, ownProperties: true });
    const loc = props.internalProperties?.find((p: any) => p.name === "[[FunctionLocation]]");
    scriptId = loc?.value?.value?.scriptId;
    line = loc?.value?.value?.lineNumber ?? 0;
  } finally {
    delete (globalThis as any)[key];
    post("Runtime.releaseObjectGroup", { objectGroup: "skein" });
  }
  if (!scriptId) return null;
  let imports = importsByScript.get(scriptId);
  if (!imports || !urls.has(scriptId)) {
    post("Debugger.enable");
    try {
      const url = urls.get(scriptId) ?? "";
      const shipped = shippedOrigins.get(url);
      if (shipped) {
        imports = shipped.imports;
      } else {
        const { scriptSource } = post<any>("Debugger.getScriptSource", { scriptId });
        imports = moduleImports(scriptSource);
      }
      importsByScript.set(scriptId, imports);
    } finally {
      post("Debugger.disable");
    }
  }
  const shippedLine = shippedOrigins.get(urls.get(scriptId) ?? "")?.line ?? 0;
  return { url: urls.get(scriptId) ?? "", line: line + shippedLine, imports };
}
