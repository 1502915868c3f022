// Deadlock detection and thread dumps (issue 13), on real programs in their own processes
// (test/fixtures/deadlock/): the hub must report each deadlock once, naming the threads, the
// objects and the program's lines; SKEIN_DEADLOCK=throw must end main with a DeadlockError; a
// program that merely waits must get no report. The poll is shortened (SKEIN_DEADLOCK_POLL_MS)
// so that each scenario takes a fraction of a second; every run is bounded.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DeadlockError, dumpThreads, Event, findDeadlocks, Lock, Thread, threadSnapshot } from "skein";
import { runProgramAsync } from "./helpers/child-process.js";
import { notOn } from "./helpers/runtimes.js";

const dir = fileURLToPath(new URL("./fixtures/deadlock/", import.meta.url));
const POLL = "100";

interface Watched {
  stderr: string;
  stdout: string;
  code: number | null;
  /** True when the run was stopped by us (it matched and stayed deadlocked). */
  killed: boolean;
}

/**
 * Runs a fixture until its stderr holds `until` (then, to see that nothing more is reported, for
 * `extraPolls` more polls) or it ends; killed after `timeoutMs` either way.
 */
function watch(file: string, until: RegExp, env: NodeJS.ProcessEnv = {}, extraPolls = 5, timeoutMs = 15_000): Promise<Watched> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [dir + file], {
      cwd: dir, env: { ...process.env, SKEIN_DEADLOCK_POLL_MS: POLL, ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    let killed = false;
    const stop = () => {
      killed = true;
      child.kill("SIGKILL");
    };
    const limit = setTimeout(stop, timeoutMs);
    let matched = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!matched && until.test(stderr)) {
        matched = true;
        setTimeout(stop, extraPolls * Number(POLL));
      }
    });
    child.on("close", (code) => {
      clearTimeout(limit);
      resolve({ stderr, stdout, code, killed });
    });
  });
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe("deadlock reports (SKEIN_DEADLOCK=warn, the default)", () => {
  test("a lock-order inversion between two threads: reported once, naming both threads, both locks and the acquire lines", async () => {
    const r = await watch("inversion.mjs", /Threads:[\s\S]*"right"[^\n]*\n/);
    assert.equal(count(r.stderr, "skein: deadlock"), 1, r.stderr);
    assert.match(r.stderr, /^skein: deadlock: 2 threads wait for each other/m);
    assert.match(r.stderr, /"left" \(ident \d+\) waits in Lock\.acquire\(\) on Lock#\d, held by "right"/);
    assert.match(r.stderr, /"right" \(ident \d+\) waits in Lock\.acquire\(\) on Lock#\d, held by "left"/);
    const locks = new Set(r.stderr.match(/on (Lock#\d)/g));
    assert.equal(locks.size, 2, "both locks named");
    assert.match(r.stderr, /at .*take-both\.mjs:7:\d+/, "the acquire line of the program");
    assert.match(r.stderr, /"MainThread" \(ident 1[^)]*\): blocked for [\d.]+ m?s in Thread\.join\(\) on Thread "left"/);
    assert.match(r.stderr, /at .*inversion\.mjs:17:\d+/, "main's join line");
    assert.ok(r.killed, "still deadlocked: warn mode keeps running");
  });

  test("the main thread alone, taking a Lock it holds", async () => {
    const r = await watch("self.mjs", /Threads:[\s\S]*at /);
    assert.equal(count(r.stderr, "skein: deadlock"), 1, r.stderr);
    assert.match(r.stderr, /^skein: deadlock: a thread waits for itself/m);
    assert.match(r.stderr, /"MainThread" \(ident 1\) waits in Lock\.acquire\(\) on Lock#1, held by "MainThread" \(ident 1\)/);
    assert.match(r.stderr, /at .*self\.mjs:6:\d+/);
  });

  test("a lock whose holder has ended", async () => {
    const r = await watch("ended-holder.mjs", /Threads:[\s\S]*at /);
    assert.equal(count(r.stderr, "skein: deadlock"), 1, r.stderr);
    assert.match(r.stderr, /held by "forgetful" \(ident \d+\), which has ended/);
    assert.match(r.stderr, /at .*ended-holder\.mjs:8:\d+/);
  });

  test("main alone, blocked for good: the report says no other thread is left to wake it", async () => {
    const r = await watch("lonely-get.mjs", /Threads:[\s\S]*at [^\n]*\n/);
    assert.equal(count(r.stderr, "skein: deadlock"), 1, r.stderr);
    assert.match(r.stderr, /^skein: deadlock: "MainThread" is blocked with no timeout, and no other thread is left to wake it/m);
    assert.match(r.stderr, /Queue\.get\(\) on Queue#1/);
    assert.match(r.stderr, /at .*lonely-get\.mjs:5:\d+/);
  });

  test("a thread waiting for an Event no one will set while main waits at exit", async () => {
    const r = await watch("event-at-exit.mjs", /Threads:[\s\S]*"waiter"[^\n]*\n[^\n]*at [^\n]*\n/);
    assert.equal(r.stdout, "main done\n");
    assert.equal(count(r.stderr, "skein: deadlock"), 1, r.stderr);
    assert.match(r.stderr, /^skein: deadlock: every thread is blocked with no timeout, and none can wake another/m);
    assert.match(r.stderr, /"MainThread" \(ident 1[^)]*\): blocked for [\d.]+ m?s in exit, waiting for non-daemon threads/);
    assert.match(r.stderr, /"waiter" \(ident \d+[^)]*\): blocked for [\d.]+ m?s in Event\.wait\(\) on Event#1/);
  });

  test("a busy program that only waits (contention, timeouts, sleeps, long joins) gets no report", async () => {
    const r = await runProgramAsync(dir + "busy.mjs", [], { cwd: dir, env: { ...process.env, SKEIN_DEADLOCK_POLL_MS: "20" }, timeout: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { got: 20, count: 6000 });
    assert.doesNotMatch(r.stderr, /skein: deadlock/);
  });
});

describe("SKEIN_DEADLOCK=throw and off", () => {
  test(...notOn(["Bun", "Deno"], "throw, in a CommonJS project under tsx: the threads die with the process unreported (no false 'worker died')", "its threads meet at a Barrier of another module, which they can't share there"), async () => {
    // Once, 4 runs in 6 also printed "Exception in thread canceller: ... its worker ended without
    // running its exit handlers (out of memory, most likely)": the process exiting, not a fault.
    const project = join(fileURLToPath(new URL("./.out/", import.meta.url)), "cross-module");
    rmSync(project, { recursive: true, force: true });
    mkdirSync(join(project, "node_modules"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ type: "commonjs" }));
    symlinkSync(fileURLToPath(new URL("..", import.meta.url)), join(project, "node_modules/skein"), "dir");
    cpSync(dir + "cross-module", project, { recursive: true });
    for (let run = 0; run < 4; run++) {
      const r = await runProgramAsync(join(project, "main.ts"), [], { cwd: project, env: { ...process.env, SKEIN_DEADLOCK: "throw", SKEIN_DEADLOCK_POLL_MS: POLL }, timeout: 20_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /DeadlockError: skein: deadlock: 2 threads wait for each other/);
      assert.doesNotMatch(r.stderr, /Exception in thread|worker died/, `run ${run + 1}`);
    }
  });

  test("throw: the main thread gets a DeadlockError carrying the report, and the process exits non-zero", async () => {
    const r = await runProgramAsync(dir + "inversion.mjs", [], { cwd: dir, env: { ...process.env, SKEIN_DEADLOCK: "throw", SKEIN_DEADLOCK_POLL_MS: POLL }, timeout: 15_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^DeadlockError: skein: deadlock: 2 threads wait for each other/m);
    assert.match(r.stderr, /at .*inversion\.mjs:17:\d+/);
    assert.equal(count(r.stderr, "skein: deadlock"), 1, "reported once, as the error");
  });

  test("throw: a deadlock at exit ends the process with status 1 instead of waiting forever", async () => {
    const r = await runProgramAsync(dir + "event-at-exit.mjs", [], { cwd: dir, env: { ...process.env, SKEIN_DEADLOCK: "throw", SKEIN_DEADLOCK_POLL_MS: POLL }, timeout: 15_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /DeadlockError: skein: deadlock: every thread is blocked/);
  });

  test("off: nothing is reported", async () => {
    const r = await watch("self.mjs", /never/, { SKEIN_DEADLOCK: "off" }, 0, 1_500);
    assert.ok(r.killed);
    assert.equal(r.stderr, "");
  });

  test("a deadlock is reported once: main then waiting for its threads at exit adds no second report", async () => {
    // Polls every 100 ms: 25 of them after main ends is long past the second's quiet time.
    const r = await watch("inversion-then-exit.mjs", /main ends/, {}, 25);
    assert.match(r.stderr, /Cycle:/);
    assert.equal(r.stderr.split("skein: deadlock").length - 1, 1, r.stderr);
  });

  test("a value that isn't a mode is named on stderr, and warn is used", async () => {
    const r = await watch("self.mjs", /Threads:/, { SKEIN_DEADLOCK: "loud" });
    assert.match(r.stderr, /SKEIN_DEADLOCK="loud" is not one of warn, throw, off; using warn/);
    assert.match(r.stderr, /skein: deadlock/);
  });

  test("other variables with values skein can't use say so too, and the defaults are used", async () => {
    const r = await watch("self.mjs", /Threads:/, { SKEIN_DEADLOCK_POLL_MS: "abc", SKEIN_WARM_WORKERS: "-1", SKEIN_STATS: "maybe" });
    assert.match(r.stderr, /SKEIN_DEADLOCK_POLL_MS="abc" is not a number of milliseconds of at least 10; using 500/);
    assert.match(r.stderr, /SKEIN_WARM_WORKERS="-1" is not a whole number of workers \(0 for none\); warming \d+/);
    assert.match(r.stderr, /SKEIN_STATS="maybe" is not 1 \(or 0\); no statistics/);
    assert.match(r.stderr, /skein: deadlock/);
  });
});

describe("findDeadlocks, threadSnapshot, dumpThreads", () => {
  test("two daemon threads deadlocked while main runs: a cycle, not allAsleep; the snapshot and dump show them", async () => {
    const r = await runProgramAsync(dir + "daemon-cycle.mjs", [], { cwd: dir, env: { ...process.env, SKEIN_DEADLOCK: "off" }, timeout: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    const { report, snap, dump } = JSON.parse(r.stdout);
    assert.equal(report.allAsleep, false);
    assert.equal(report.cycles.length, 1);
    const cycle = report.cycles[0];
    assert.deepEqual(cycle.map((l: any) => l.name).sort(), ["d1", "d2"]);
    for (const l of cycle) {
      assert.equal(l.waitsIn, "Lock.acquire()");
      assert.match(l.on, /^Lock#\d$/);
      assert.equal(l.heldBy.name, l.name === "d1" ? "d2" : "d1");
    }
    const main = snap.find((t: any) => t.name === "MainThread");
    assert.equal(main.state, "running");
    const d1 = snap.find((t: any) => t.name === "d1");
    assert.equal(d1.daemon, true);
    assert.equal(d1.state, "blocked");
    assert.equal(typeof d1.nativeId, "number");
    assert.match(dump, /"d1" \(ident \d+, native \d+, daemon\): blocked for \d+ ms in Lock\.acquire\(\) on Lock#\d, held by "d2"/);
  });

  test("in this process: a thread blocked on an Event shows what it waits in, on which object and where", () => {
    const gate = new Event();
    const lock = new Lock();
    // Not `(g) => g.wait()`: JavaScriptCore (Bun) drops the frame of a call in tail position, and
    // with it the call site.
    const t = new Thread({ target: (g: Event) => { g.wait(); }, args: [gate], name: "gated" });
    t.start();
    try {
      // Bounded: the thread records its wait, then its call site after 50 ms.
      let info;
      for (let i = 0; i < 1000; i++) {
        info = threadSnapshot().find((x) => x.name === "gated");
        if (info?.callSite) break;
        new Event().wait(5);
      }
      assert.equal(info?.state, "blocked");
      assert.equal(info?.waitsIn, "Event.wait()");
      assert.match(info!.on!, /^Event#\d+$/);
      assert.equal(info?.timed, false);
      assert.match(info!.callSite!, /deadlock\.test\.ts:\d+:\d+$/);
      assert.ok(info!.blockedMs! >= 0);
      assert.match(dumpThreads(), /"gated" \(ident \d+, native \d+\): blocked for [\d.]+ m?s in Event\.wait\(\) on Event#\d+/);
      assert.equal(findDeadlocks(), null, "main runs: no deadlock");
      assert.ok(lock.acquire());
    } finally {
      gate.set();
      t.join(10_000);
      lock.release();
    }
  });

  test("DeadlockError is exported and carries its report", () => {
    const e = new DeadlockError("skein: deadlock: test\n");
    assert.ok(e instanceof Error);
    assert.equal(e.name, "DeadlockError");
    assert.equal(e.report, "skein: deadlock: test\n");
    assert.equal(e.message, "skein: deadlock: test");
  });
});

describe("the live view (SKEIN_INSPECT)", () => {
  /** Starts the inversion fixture with the live view on a free port; resolves with its address once deadlocked. */
  function deadlockedWithView(): Promise<{ url: string; stop: () => void }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [dir + "inversion.mjs"], {
        cwd: dir, env: { ...process.env, SKEIN_INSPECT: "0", SKEIN_DEADLOCK_POLL_MS: POLL }, stdio: ["ignore", "ignore", "pipe"],
      });
      const limit = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`no live view and deadlock report within 15 s: ${stderr}`));
      }, 15_000);
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
        const m = /skein: live view on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (m && /Threads:/.test(stderr)) {
          clearTimeout(limit);
          resolve({ url: m[1]!, stop: () => child.kill("SIGKILL") });
        }
      });
    });
  }

  test("serves /threads.json and /dump.txt on 127.0.0.1 while every thread is blocked", async () => {
    const { url, stop } = await deadlockedWithView();
    try {
      const json = (await (await fetch(url + "threads.json")).json()) as { threads: Array<{ name: string; state: string }>; deadlock: { cycles: unknown[][] } | null };
      assert.deepEqual(json.threads.map((t) => t.name), ["MainThread", "left", "right"]);
      assert.ok(json.threads.every((t) => t.state === "blocked"));
      assert.equal(json.deadlock?.cycles[0]?.length, 2);
      const text = await (await fetch(url + "dump.txt")).text();
      assert.match(text, /^skein: deadlock: 2 threads wait for each other/);
      assert.equal((await fetch(url + "nothing")).status, 404);
    } finally {
      stop();
    }
  });

  test("nothing listens unless SKEIN_INSPECT is set", async () => {
    const r = await watch("self.mjs", /Threads:/);
    assert.doesNotMatch(r.stderr, /live view/);
  });

  const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
  test(`the page, loaded in headless Chromium during a deadlock, shows the cycle${chromium ? "" : " (skipped: no Chromium on this machine; apt-get install chromium)"}`, { skip: !chromium }, async () => {
    const { url, stop } = await deadlockedWithView();
    try {
      const profile = mkdtempSync(join(tmpdir(), "skein-chromium-"));
      const r = spawnSync(chromium!, [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`, "--virtual-time-budget=3000", "--dump-dom", url,
      ], { encoding: "utf8", timeout: 60_000 });
      rmSync(profile, { recursive: true, force: true });
      const rows = [...r.stdout.matchAll(/<tr class="([^"]*)" data-ident="\d+"><td>([^<]*)/g)].map((m) => [m[2], m[1]]);
      assert.deepEqual(Object.fromEntries(rows), { MainThread: "blocked cycle", left: "blocked cycle", right: "blocked cycle" }, r.stdout.slice(0, 2000));
      assert.match(r.stdout, /left waits in Lock\.acquire\(\) on Lock#\d, held by right/);
    } finally {
      stop();
    }
  });
});
