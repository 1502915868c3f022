/**
 * Helpers that compilers leave in function bodies as references to module-level functions: esbuild
 * (tsx) writes `__name(...)`, `__using(...)`; tsc writes `__addDisposableResource(...)`. A shipped
 * function can't take its module's copy along, so every thread provides these equivalents.
 */
/* eslint-disable */
type Any = any;

const SuppressedErrorCtor: Any = typeof (globalThis as Any).SuppressedError === "function"
  ? (globalThis as Any).SuppressedError
  : function (error: unknown, suppressed: unknown, message: string) {
      const e: Any = new Error(message);
      e.name = "SuppressedError";
      e.error = error;
      e.suppressed = suppressed;
      return e;
    };

function disposerOf(value: Any, async: boolean): Function {
  if (typeof value !== "object" && typeof value !== "function") throw new TypeError("Object expected");
  let dispose: Any;
  let inner: Any;
  if (async) dispose = value[Symbol.asyncDispose];
  if (dispose === undefined) {
    dispose = value[Symbol.dispose];
    if (async) inner = dispose;
  }
  if (typeof dispose !== "function") throw new TypeError("Object not disposable");
  if (inner) {
    dispose = function (this: unknown) {
      try {
        inner.call(this);
      } catch (e) {
        return Promise.reject(e);
      }
    };
  }
  return dispose;
}

export const compilerHelpers: Record<string, Function> = {
  __name: (target: Any, value: string) => Object.defineProperty(target, "name", { value, configurable: true }),
  __publicField: (obj: Any, key: PropertyKey, value: unknown) => {
    Object.defineProperty(obj, typeof key !== "symbol" ? String(key) : key, { enumerable: true, configurable: true, writable: true, value });
    return value;
  },
  // esbuild's lowering of `using` / `await using`
  __using: (stack: Any[], value: Any, async?: boolean) => {
    if (value != null) stack.push([async, disposerOf(value, !!async), value]);
    else if (async) stack.push([async]);
    return value;
  },
  __callDispose: (stack: Any[], error: unknown, hasError: boolean) => {
    const fail = (e: unknown) => {
      error = hasError ? new SuppressedErrorCtor(e, error, "An error was suppressed during disposal") : ((hasError = true), e);
    };
    const next = (it?: Any): Any => {
      while ((it = stack.pop())) {
        try {
          const result = it[1] && it[1].call(it[2]);
          if (it[0]) return Promise.resolve(result).then(next, (e) => (fail(e), next()));
        } catch (e) {
          fail(e);
        }
      }
      if (hasError) throw error;
    };
    return next();
  },
  // tsc's lowering of `using` / `await using`
  __addDisposableResource: (env: Any, value: Any, async: boolean) => {
    if (value !== null && value !== undefined) env.stack.push({ value, dispose: disposerOf(value, async), async });
    else if (async) env.stack.push({ async: true });
    return value;
  },
  __disposeResources: (env: Any) => {
    const fail = (e: unknown) => {
      env.error = env.hasError ? new SuppressedErrorCtor(e, env.error, "An error was suppressed during disposal.") : e;
      env.hasError = true;
    };
    let r: Any;
    let s = 0;
    const next = (): Any => {
      while ((r = env.stack.pop())) {
        try {
          if (!r.async && s === 1) return (s = 0), env.stack.push(r), Promise.resolve().then(next);
          if (r.dispose) {
            const result = r.dispose.call(r.value);
            if (r.async) return (s |= 2), Promise.resolve(result).then(next, (e) => (fail(e), next()));
          } else s |= 1;
        } catch (e) {
          fail(e);
        }
      }
      if (s === 1) return env.hasError ? Promise.reject(env.error) : Promise.resolve();
      if (env.hasError) throw env.error;
    };
    return next();
  },
};

export const HELPER_NAMES = Object.keys(compilerHelpers);
