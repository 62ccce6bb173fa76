// openTunnel({provider: "cloudflared"}) against the stand-in executable: start-up, every start-up failure, and stop.
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openTunnel, TunnelError, type Tunnel, type TunnelTiming } from "../../src/tunnel/index.js";
import { alive, FAKE_CF, readLines, readPids, tempDir, waitFor, withEnv } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let restoreEnv: () => void;
let pidFile: string;
const open: Tunnel[] = [];

function setup(mode: string, extra: Record<string, string> = {}) {
  restoreEnv = withEnv({ FAKE_CF_MODE: mode, FAKE_CF_PIDFILE: pidFile, FAKE_CF_ARGSFILE: join(tmp.dir, "args"), ...extra });
}

async function start(opts: { startTimeoutMs?: number; log?: (l: string) => void; timing?: Partial<TunnelTiming> } = {}) {
  const tunnel = await openTunnel({ provider: "cloudflared", port: 8765, cloudflaredPath: FAKE_CF, ...opts });
  open.push(tunnel);
  return tunnel;
}

async function startError(opts: Parameters<typeof start>[0] = {}): Promise<TunnelError> {
  const err = await start(opts).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TunnelError);
  return err as TunnelError;
}

beforeEach(() => {
  tmp = tempDir();
  pidFile = join(tmp.dir, "pids");
  restoreEnv = () => {};
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  restoreEnv();
  tmp.cleanup();
});

describe("cloudflared tunnel", () => {
  it("resolves with the quick tunnel URL once a connection is registered, with the documented arguments", async () => {
    setup("success");
    const lines: string[] = [];
    const tunnel = await start({ log: (l) => lines.push(l) });
    expect(tunnel.provider).toBe("cloudflared");
    expect(tunnel.url).toBe("https://dad-bridges-wizard-contest.trycloudflare.com");
    const { readFileSync } = await import("node:fs");
    expect(JSON.parse(readFileSync(join(tmp.dir, "args"), "utf8"))).toEqual([
      "tunnel", "--no-autoupdate", "--url", "http://127.0.0.1:8765",
    ]);
    expect(lines.join("\n")).toContain("dad-bridges-wizard-contest");
    expect(alive(readPids(pidFile)[0]!)).toBe(true);
  });

  it("close() resolves only once the child is gone, and is idempotent", async () => {
    setup("success");
    const tunnel = await start();
    const [pid] = readPids(pidFile);
    const first = tunnel.close();
    expect(tunnel.close()).toBe(first);
    await first;
    expect(alive(pid!)).toBe(false);
    await tunnel.close();
  });

  it("escalates to SIGKILL when cloudflared ignores SIGINT", async () => {
    const signals = join(tmp.dir, "signals");
    setup("stubborn", { FAKE_CF_SIGNALFILE: signals });
    const tunnel = await start({ timing: { stopGraceMs: 400 } }); // injected: the default grace is 3 s
    const [pid] = readPids(pidFile);
    const t0 = Date.now();
    await tunnel.close();
    expect(alive(pid!)).toBe(false);
    expect(readLines(signals)).toEqual(["SIGINT"]); // asked politely first…
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400); // …and waited the grace period before SIGKILL
  });

  it("rejects START_FAILED on the failure line, never offering api.trycloudflare.com as the URL", async () => {
    setup("fail");
    const err = await startError();
    expect(err.code).toBe("START_FAILED");
    expect(err.message).toContain("cloudflared could not create a quick tunnel");
    expect(err.message).toContain("no such host");
    expect(err.hint).toMatch(/cannot reach api\.trycloudflare\.com.*Check the network/);
    expect(err.hint).toContain("The room keeps running locally");
    expect(err.message).toContain(err.hint);
    await waitFor(() => readPids(pidFile).length === 1 && !alive(readPids(pidFile)[0]!), 30_000, "stand-in gone");
  });

  it("rejects EXITED when cloudflared exits before printing a URL, quoting its last lines", async () => {
    setup("early");
    const err = await startError();
    expect(err.code).toBe("EXITED");
    expect(err.message).toContain("cloudflared exited with code 1 before the tunnel was ready");
    expect(err.message).toContain("Requesting new quick Tunnel on trycloudflare.com");
    expect(err.hint).toContain(`${FAKE_CF} tunnel --no-autoupdate --url http://127.0.0.1:8765`);
  });

  it("waits through a slow start", async () => {
    setup("slow", { FAKE_CF_DELAY_MS: "1500" });
    const tunnel = await start({ startTimeoutMs: 30_000 }); // a net: the stand-in's node start-up plus 1.5 s
    expect(tunnel.url).toBe("https://dad-bridges-wizard-contest.trycloudflare.com");
  });

  it("rejects TIMEOUT when nothing is ready in time, and leaves no process behind", async () => {
    setup("slow", { FAKE_CF_DELAY_MS: "20000" });
    const t0 = Date.now();
    const err = await startError({ startTimeoutMs: 800 });
    expect(Date.now() - t0).toBeLessThan(10_000); // gave up long before the stand-in's 20 s start (not a speed test)
    expect(err.code).toBe("TIMEOUT");
    expect(err.message).toContain("did not become ready within 1 s");
    expect(err.message).toContain("It printed no tunnel URL");
    expect(err.hint).toContain("--tunnel ngrok");
    expect(alive(readPids(pidFile)[0]!)).toBe(false);
  });

  it("does not take the URL alone for readiness: a URL without a registered connection times out", async () => {
    setup("no-ready");
    // The time limit is up only once the URL has been printed (on a busy machine the stand-in may take longer than
    // any fixed limit just to start): then only the missing connection can be why it is not ready.
    const lines: string[] = [];
    const urlSeen = async () => (await waitFor(() => lines.some((l) => l.includes("waiting for its first connection")), 30_000, "the URL line"), true);
    const err = await startError({ startTimeoutMs: 1000, log: (l) => lines.push(l), timing: { startDeadline: urlSeen } });
    expect(err.code).toBe("TIMEOUT");
    expect(err.message).toContain("It printed https://dad-bridges-wizard-contest.trycloudflare.com but no connection");
  });
});
