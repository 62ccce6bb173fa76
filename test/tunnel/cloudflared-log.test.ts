// The log parser on cloudflared's real lines (fixtures: lines recorded from the real binary, see test/fixtures/tunnel/README.md). No process, no network.
import { describe, expect, it } from "vitest";
import {
  ERROR_LINE_RE,
  OFFLINE_RE,
  QUICK_TUNNEL_FAILED_RE,
  QUICK_TUNNEL_URL_RE,
  TUNNEL_READY_RE,
  parseLogLine,
  quickTunnelFailureHint,
} from "../../src/tunnel/cloudflared-log.js";
import { fixture } from "./helpers.js";

const success = fixture("cloudflared-success.log");
const failure = fixture("cloudflared-failure.log");

describe("cloudflared log parsing", () => {
  it("finds the quick tunnel URL in the 'Visit it at' box, and only there", () => {
    const urls = success.map((l) => QUICK_TUNNEL_URL_RE.exec(l)?.[1]).filter(Boolean);
    expect(urls).toEqual(["https://dad-bridges-wizard-contest.trycloudflare.com"]);
    expect(success.map(parseLogLine).filter((e) => e.kind === "url")).toEqual([
      { kind: "url", url: "https://dad-bridges-wizard-contest.trycloudflare.com" },
    ]);
  });

  it("never takes api.trycloudflare.com for the tunnel (the cloudflared npm package's defect)", () => {
    for (const line of failure) expect(QUICK_TUNNEL_URL_RE.test(line)).toBe(false);
    expect(failure.map(parseLogLine).some((e) => e.kind === "url")).toBe(false);
    // Even drawn inside a box, the API host is refused.
    expect(QUICK_TUNNEL_URL_RE.test("INF |  https://api.trycloudflare.com   |")).toBe(false);
    // And a URL merely mentioned outside the box is not the tunnel either.
    expect(QUICK_TUNNEL_URL_RE.test('ERR x: Get "https://abc-def.trycloudflare.com/": EOF')).toBe(false);
  });

  it("treats 'Registered tunnel connection' (lowercase location, as current cloudflared prints) as ready", () => {
    const ready = success.filter((l) => TUNNEL_READY_RE.test(l));
    expect(ready).toHaveLength(1);
    expect(ready[0]).toContain("location=sjc07");
    expect(parseLogLine(ready[0]!)).toEqual({ kind: "ready" });
  });

  it("reads the failure line as fatal, with the reason, and recognises it as offline", () => {
    const events = failure.map(parseLogLine);
    expect(events[0]).toEqual({ kind: "other" });
    expect(events[1]).toEqual({
      kind: "fatal",
      detail: 'Post "https://api.trycloudflare.com/tunnel": dial tcp: lookup api.trycloudflare.com: no such host',
    });
    expect(QUICK_TUNNEL_FAILED_RE.test(failure[1]!)).toBe(true);
    expect(OFFLINE_RE.test(failure[1]!)).toBe(true);
    expect(quickTunnelFailureHint(failure[1]!)).toMatch(/cannot reach api\.trycloudflare\.com.*Check the network/);
    expect(quickTunnelFailureHint('Post "https://api.trycloudflare.com/tunnel": 429 Too Many Requests')).toMatch(
      /Wait a minute.*--tunnel ngrok/,
    );
  });

  it("reports other ERR lines as non-fatal errors and ignores INF lines", () => {
    const line = '2026-11-21T21:00:30Z ERR Failed to dial a quic connection error="timeout: no recent network activity" connIndex=0';
    expect(ERROR_LINE_RE.test(line)).toBe(true);
    expect(parseLogLine(line)).toEqual({ kind: "error", detail: expect.stringContaining("Failed to dial a quic connection") });
    for (const l of success) expect(ERROR_LINE_RE.test(l)).toBe(false);
  });
});
