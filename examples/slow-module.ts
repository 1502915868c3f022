// A module that is slow to load inside a thread: its top level waits until the main thread says
// "go". The demo's lifecycle thread imports it, so it stays "runnable" (loading its code) until the
// demo has looked. In the main thread it loads at once.
import { isMainThread } from "node:worker_threads";

if (!isMainThread) {
  const go = new BroadcastChannel("skein-demo-go");
  await new Promise<void>((resolve) => {
    go.onmessage = () => {
      go.close();
      resolve();
    };
    const loading = new BroadcastChannel("skein-demo-loading");
    loading.postMessage("loading");
    loading.close();
  });
}

export const loaded = true;
