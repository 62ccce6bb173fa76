// The tunnel lives and dies with the room: it is restarted when it dies under a running room, and it does not
// survive a host that is SIGKILLed (no exit handler runs then; only the watchdog can clean up).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTunnel } from "../../src/tunnel/index.js";
import { alive, FAKE_CF, FIXTURES, gatedSleep, readLines, readPids, tempDir, waitFor, withEnv } from "./helpers.js";

const SRC = fileURLToPath(new URL("../../src/tunnel/", import.meta.url));
let tmp: ReturnType<typeof tempDir>;
let compiled: string;

beforeAll(() => {
  // The host must be a plain node process (node 20 cannot run .ts), so compile src/tunnel into a temp dir as tsc would.
  tmp = tempDir();
  const out = join(tmp.dir, "tunnel");
  mkdirSync(out);
  writeFileSync(join(tmp.dir, "package.json"), '{"type":"module"}');
  for (const file of readdirSync(SRC).filter((f) => f.endsWith(".ts"))) {
    const { outputText } = ts.transpileModule(readFileSync(join(SRC, file), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    writeFileSync(join(out, file.replace(/\.ts$/, ".js")), outputText);
  }
  compiled = join(out, "index.js");
});
const hosts: ChildProcess[] = [];
afterAll(() => {
  // A failed assertion must not leave a detached host (and its tunnel) behind.
  for (const host of hosts) if (host.exitCode === null && host.signalCode === null) host.kill("SIGKILL");
  tmp.cleanup();
});

async function hostWithTunnel(mode: string, pidFile: string, extraEnv: Record<string, string> = {}) {
  const host = spawn(process.execPath, [join(FIXTURES, "host.mjs"), compiled, FAKE_CF], {
    env: { ...process.env, FAKE_CF_MODE: mode, FAKE_CF_PIDFILE: pidFile, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, standing in for a terminal's foreground group
  });
  hosts.push(host);
  let out = "";
  let err = "";
  host.stdout.on("data", (d: Buffer) => (out += d));
  host.stderr.on("data", (d: Buffer) => (err += d));
  let exited = false;
  host.on("exit", () => (exited = true));
  await waitFor(() => out.includes("READY ") || exited, 30_000, "the host to open its tunnel");
  if (!out.includes("READY ")) throw new Error(`the host failed to open its tunnel:\n${err}`);
  return { host, output: () => out, exited: () => exited };
}

describe("tunnel lifetime", () => {
  it("no cloudflared survives a SIGKILLed host", async () => {
    const pidFile = join(tmp.dir, "pids-kill");
    const { host, output } = await hostWithTunnel("success", pidFile);
    expect(output()).toContain("READY https://dad-bridges-wizard-contest.trycloudflare.com");
    const [pid] = readPids(pidFile);
    expect(alive(pid!)).toBe(true);
    host.kill("SIGKILL");
    await waitFor(() => !alive(pid!), 30_000, `stand-in ${pid} to be gone after the host was SIGKILLed`);
  });

  it("Ctrl-C (SIGINT to the whole foreground group): the host closes the tunnel, nothing reported down, nothing left", async () => {
    const pidFile = join(tmp.dir, "pids-ctrl-c");
    const { host, output, exited } = await hostWithTunnel("success", pidFile);
    const [pid] = readPids(pidFile);
    process.kill(-host.pid!, "SIGINT");
    await waitFor(exited, 30_000, "the host to exit after Ctrl-C");
    expect(host.exitCode).toBe(0);
    expect(output()).toContain("CLOSED");
    expect(output()).not.toContain("DOWN");
    expect(alive(pid!)).toBe(false);
  });

  it("…even when cloudflared ignores SIGINT (the watchdog escalates to SIGKILL)", async () => {
    const pidFile = join(tmp.dir, "pids-kill-stubborn");
    const signals = join(tmp.dir, "signals-kill-stubborn");
    const { host } = await hostWithTunnel("stubborn", pidFile, { FAKE_CF_SIGNALFILE: signals });
    const [pid] = readPids(pidFile);
    host.kill("SIGKILL");
    // The watchdog's SIGINT arrived (and was ignored): the grace period has begun, and it is 3 s long.
    await waitFor(() => readLines(signals).includes("SIGINT"), 30_000, "the stand-in to receive SIGINT");
    expect(alive(pid!)).toBe(true); // still in its grace period
    await waitFor(() => !alive(pid!), 30_000, `stubborn stand-in ${pid} to be SIGKILLed by the watchdog`);
  });

  it("restarts a tunnel that dies under a running room: onDown at once, then onUrl with the new URL", async () => {
    const pidFile = join(tmp.dir, "pids-restart");
    const restore = withEnv({ FAKE_CF_MODE: "die-once", FAKE_CF_PIDFILE: pidFile, FAKE_CF_DIE_AFTER_MS: "500" });
    const events: string[] = [];
    const logs: string[] = [];
    const backoff = gatedSleep();
    try {
      const tunnel = await openTunnel({
        provider: "cloudflared",
        port: 8765,
        cloudflaredPath: FAKE_CF,
        log: (l) => logs.push(l),
        onDown: (reason) => events.push(`down: ${reason}`),
        onUrl: (url) => events.push(`url: ${url}`),
        timing: { sleep: backoff.sleep },
      });
      expect(tunnel.url).toBe("https://dad-bridges-wizard-contest.trycloudflare.com");
      await waitFor(() => events.length >= 1, 30_000, "onDown");
      expect(events[0]).toMatch(/^down: cloudflared exited with code 1: .*stand-in told to die/);
      // The restart waits out the first back-off delay (1 s by default) before starting anything.
      await waitFor(() => backoff.waiting() === 1, 30_000, "the restart to enter its back-off");
      expect(backoff.calls).toEqual([1000]);
      expect(readPids(pidFile)).toHaveLength(1);
      backoff.open();
      await waitFor(() => events.length >= 2, 30_000, "onUrl");
      expect(events[1]).toBe("url: https://second-quiet-harbor-lamp.trycloudflare.com");
      expect(tunnel.url).toBe("https://second-quiet-harbor-lamp.trycloudflare.com");
      expect(logs.join("\n")).toContain("no longer works; starting a new tunnel");
      expect(logs).toContain("cloudflared: restart 1/5: starting a new quick tunnel…");
      const pids = readPids(pidFile);
      expect(pids).toHaveLength(2);
      expect(alive(pids[0]!)).toBe(false);
      expect(alive(pids[1]!)).toBe(true);
      await tunnel.close();
      expect(alive(pids[1]!)).toBe(false);
    } finally {
      restore();
    }
  });

  it("gives up after the last back-off delay, saying so once with what to do", async () => {
    const pidFile = join(tmp.dir, "pids-give-up");
    const restore = withEnv({ FAKE_CF_MODE: "die-then-fail", FAKE_CF_PIDFILE: pidFile, FAKE_CF_DIE_AFTER_MS: "100" });
    const logs: string[] = [];
    const waits: number[] = [];
    const urls: string[] = [];
    try {
      const tunnel = await openTunnel({
        provider: "cloudflared", port: 8765, cloudflaredPath: FAKE_CF, log: (l) => logs.push(l), onUrl: (u) => urls.push(u),
        timing: { restartDelaysMs: [7, 11], sleep: async (ms) => (waits.push(ms), true) },
      });
      await waitFor(() => logs.some((l) => l.startsWith("cloudflared: giving up")), 30_000, "the supervisor to give up");
      expect(waits).toEqual([7, 11]);
      expect(logs.filter((l) => /^cloudflared: restart \d\/2 failed: cloudflared could not create a quick tunnel/.test(l))).toHaveLength(2);
      expect(logs.find((l) => l.startsWith("cloudflared: giving up"))).toContain("Restart serve with --tunnel for a new public URL.");
      expect(urls).toEqual([]);
      expect(readPids(pidFile)).toHaveLength(3);
      for (const pid of readPids(pidFile)) expect(alive(pid)).toBe(false);
      await tunnel.close();
    } finally {
      restore();
    }
  });

  it("close() during a pending restart cancels it and leaves nothing running", async () => {
    const pidFile = join(tmp.dir, "pids-close-during-restart");
    const restore = withEnv({ FAKE_CF_MODE: "die-once", FAKE_CF_PIDFILE: pidFile, FAKE_CF_DIE_AFTER_MS: "300" });
    try {
      let down = false;
      const logs: string[] = [];
      const onUrl = () => expect.fail("no restart may complete after close()");
      // The back-off is a gate the test opens, deaf to close(): the supervisor must notice the close by itself.
      const backoff = gatedSleep({ honourAbort: false });
      const tunnel = await openTunnel({
        provider: "cloudflared", port: 8765, cloudflaredPath: FAKE_CF, onDown: () => (down = true), onUrl,
        log: (l) => logs.push(l), timing: { sleep: backoff.sleep },
      });
      await waitFor(() => down && backoff.waiting() === 1, 30_000, "onDown and the restart waiting out its back-off");
      const closed = tunnel.close();
      backoff.open(); // the delay ends after close() began: the restart must still not start
      await Promise.all([closed, backoff.settled()]);
      expect(logs.filter((l) => l.includes("restart 1/"))).toEqual([]); // no new cloudflared was even tried
      expect(readPids(pidFile)).toHaveLength(1);
      for (const pid of readPids(pidFile)) expect(alive(pid)).toBe(false);
    } finally {
      restore();
    }
  });

  it("a SIGTERM aimed at the watchdog stops cloudflared on purpose: no onDown, no restart", async () => {
    const pidFile = join(tmp.dir, "pids-sigterm");
    const ppidFile = join(tmp.dir, "ppid-sigterm");
    const restore = withEnv({ FAKE_CF_MODE: "success", FAKE_CF_PIDFILE: pidFile, FAKE_CF_PPIDFILE: ppidFile });
    const logs: string[] = [];
    let downs = 0;
    const backoff = gatedSleep();
    try {
      const tunnel = await openTunnel({
        provider: "cloudflared", port: 8765, cloudflaredPath: FAKE_CF, log: (l) => logs.push(l), onDown: () => downs++,
        timing: { sleep: backoff.sleep },
      });
      const [pid] = readPids(pidFile);
      process.kill(Number(readFileSync(ppidFile, "utf8")), "SIGTERM");
      await waitFor(() => logs.some((l) => l.includes("stopped on purpose")), 30_000, "the stop to be reported");
      expect(alive(pid!)).toBe(false);
      expect(logs.find((l) => l.includes("stopped on purpose"))).toMatch(/^cloudflared was stopped by SIGTERM/);
      // The exit handler has run to its end (it logged the decision): a restart would have entered the back-off.
      expect(backoff.calls).toEqual([]);
      expect(downs).toBe(0);
      expect(readPids(pidFile)).toHaveLength(1);
      await tunnel.close();
    } finally {
      restore();
    }
  });
});
