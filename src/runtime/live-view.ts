/**
 * SKEIN_INSPECT=PORT: a small HTTP server in the hub, on 127.0.0.1 only, that shows the threads
 * live. Signals can't run JavaScript on a main thread blocked in Atomics.wait, so a dump on demand
 * has to come from the hub, which never blocks. Nothing listens unless the variable is set.
 *
 *   /             a page that polls /threads.json and shows every thread, the cycle highlighted
 *   /threads.json { threads: ThreadInfo[], deadlock: DeadlockReport | null }
 *   /dump.txt     the text dump (with the deadlock report first when there is one)
 */
import { writeOutput } from "../platform/output.js";

export interface LiveSource {
  json(): unknown;
  text(): string;
}

/** Starts the live view if SKEIN_INSPECT asks for it. */
export function startLiveView(source: LiveSource, env: string | undefined = process.env.SKEIN_INSPECT): void {
  if (env === undefined || env.trim() === "") return;
  const port = Number(env);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    writeOutput(2, `skein: SKEIN_INSPECT=${JSON.stringify(env)} is not a port number (0 for any free port); no live view\n`);
    return;
  }
  // Loaded only here: Node's HTTP modules would add to every hub's boot, beside the first workers'.
  import("node:http").then(
    ({ createServer }) => serve(createServer, source, port),
    (e: Error) => writeOutput(2, `skein: no live view (${e.message})\n`),
  );
}

function serve(createServer: typeof import("node:http").createServer, source: LiveSource, port: number): void {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    try {
      if (path === "/threads.json") {
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(source.json()));
      } else if (path === "/dump.txt") {
        res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
        res.end(source.text());
      } else if (path === "/") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(PAGE);
      } else {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found: try /, /threads.json or /dump.txt\n");
      }
    } catch (e) {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`skein: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
  server.on("error", (e) => writeOutput(2, `skein: live view could not listen on 127.0.0.1:${port}: ${e.message}\n`));
  server.listen(port, "127.0.0.1", () => {
    const addr = server.address();
    const actual = typeof addr === "object" && addr ? addr.port : port;
    writeOutput(2, `skein: live view on http://127.0.0.1:${actual}/\n`);
  });
  server.unref();
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>skein threads</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; } #status { color: #666; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; vertical-align: top; }
td.site { font-family: ui-monospace, monospace; font-size: 12px; color: #555; }
tr.blocked td.state { color: #b36b00; } tr.running td.state { color: #08723b; }
tr.cycle { background: #ffe3e3; } tr.cycle td.state { color: #b00020; font-weight: bold; }
#deadlock { display: none; background: #b00020; color: white; padding: 8px 12px; margin: 1em 0; white-space: pre-wrap; font-family: ui-monospace, monospace; }
</style></head><body>
<h1>skein: threads of this program</h1>
<div id="status">loading...</div>
<div id="deadlock"></div>
<table><thead><tr><th>name</th><th>ident</th><th>native</th><th>state</th><th>waits in</th><th>on</th><th>held by</th><th>blocked</th><th>cpu</th><th>call site</th></tr></thead>
<tbody id="threads"></tbody></table>
<script>
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const ms = (v) => v == null ? "" : v < 1000 ? Math.round(v) + " ms" : (v / 1000).toFixed(1) + " s";
async function tick() {
  try {
    const r = await fetch("/threads.json", { cache: "no-store" });
    const { threads, deadlock } = await r.json();
    const inCycle = new Set((deadlock?.cycles ?? []).flat().map((l) => l.ident));
    if (deadlock?.allAsleep) for (const t of threads) inCycle.add(t.ident);
    const box = document.getElementById("deadlock");
    if (deadlock) {
      box.style.display = "block";
      box.textContent = "deadlock" + (deadlock.allAsleep ? ": every thread is blocked with no timeout" : "") + "\\n" +
        deadlock.cycles.map((c) => c.map((l) => l.name + " waits in " + l.waitsIn + " on " + l.on + (l.heldBy ? ", held by " + l.heldBy.name : "")).join("\\n")).join("\\n\\n");
    } else box.style.display = "none";
    document.getElementById("threads").innerHTML = threads.map((t) =>
      '<tr class="' + t.state + (inCycle.has(t.ident) ? " cycle" : "") + '" data-ident="' + t.ident + '">' +
      "<td>" + esc(t.name) + (t.daemon ? " (daemon)" : "") + "</td><td>" + t.ident + "</td><td>" + esc(t.nativeId) + '</td><td class="state">' + t.state +
      "</td><td>" + esc(t.waitsIn) + "</td><td>" + esc(t.on) + "</td><td>" + esc(t.heldBy ? t.heldBy.name + (t.heldBy.ended ? " (ended)" : "") : "") +
      "</td><td>" + ms(t.blockedMs) + "</td><td>" + ms(t.cpuMs) + '</td><td class="site">' + esc(t.callSite) + "</td></tr>").join("");
    document.getElementById("status").textContent = threads.length + " threads, updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("status").textContent = "the program has ended (or can't be reached)";
  }
}
tick();
setInterval(tick, 500);
</script></body></html>
`;
