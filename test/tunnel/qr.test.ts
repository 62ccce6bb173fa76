// serve's QR code is for a phone: it encodes a URL a phone can open (public, else LAN), never a loopback one. With
// only a loopback URL, serve says why there is no code instead (issue 13: `serve --host 127.0.0.1` drew one).
import { existsSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { renderUnicodeCompact } from "uqr";
import { afterEach, describe, expect, it } from "vitest";
import { isLoopbackUrl, qrPlan } from "../../src/host/qr.js";
import { webLink } from "../../src/protocol/invite.js";
import { BIN, jsonLines, start, tempHome, type Proc } from "../support/cli.js";
import { FAKE_CF } from "./helpers.js";

const QR_BLOCKS = /[▀▄█]/;
const homes: ReturnType<typeof tempHome>[] = [];
const procs: Proc[] = [];
const serve = (args: string[], o: { env?: Record<string, string>; bin?: string; binArgs?: (args: string[]) => string[] } = {}) => {
  const h = tempHome();
  homes.push(h);
  const full = ["serve", "--port", "0", "--password", "pw", ...args];
  const p = start(o.binArgs ? o.binArgs(full) : full, { home: h.home, env: o.env, bin: o.bin });
  procs.push(p);
  return p;
};
afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.kill("SIGKILL");
    await p.exited;
  }
  for (const h of homes.splice(0)) h.cleanup();
});
const lanIPv4 = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && !a.internal)
    .map((a) => a!.address);

describe("which URL the QR code encodes", () => {
  it("loopback addresses are recognised in every spelling", () => {
    for (const u of ["http://127.0.0.1:8765", "http://127.1.2.3:1", "http://localhost:80", "http://[::1]:8765", "http://app.localhost:3000"]) {
      expect(isLoopbackUrl(u), u).toBe(true);
    }
    for (const u of ["http://192.168.1.20:8765", "https://dad-bridges-wizard-contest.trycloudflare.com", "http://[fd00::2]:1", "http://10.0.0.127:1"]) {
      expect(isLoopbackUrl(u), u).toBe(false);
    }
  });

  it("a loopback invite URL gets a reason and the flags that fix it; a LAN or public one gets drawn", () => {
    const local = "http://127.0.0.1:8765";
    expect(qrPlan({ url: local, webLink: webLink(local, "pw") })).toEqual({
      draw: false,
      why: "No QR code: the room's only URL, http://127.0.0.1:8765, works on this machine only, so a phone could not open it. " +
        "For phones on your Wi-Fi, serve with --host 0.0.0.0; for a public URL, add --tunnel.",
    });
    const lan = "http://192.168.1.20:8765";
    expect(qrPlan({ url: lan, webLink: webLink(lan, "pw") })).toEqual({ draw: true, url: lan, link: webLink(lan, "pw") });
  });
});

describe("serve --qr", () => {
  it("--host 127.0.0.1: no code, one line saying why, and the banner is unchanged", async () => {
    const s = serve(["--host", "127.0.0.1", "--qr", "--json"]);
    await s.waitFor(/\n/);
    await s.waitFor(/No QR code: .*\n/, { from: "stderr" });
    const [info] = jsonLines<{ localUrl: string }>(s.stdout);
    expect(s.stderr).toContain(`No QR code: the room's only URL, ${info!.localUrl}, works on this machine only`);
    expect(s.stderr).not.toMatch(QR_BLOCKS);
    expect(s.stderr).not.toContain("Scan to join");
  });

  it("--host 127.0.0.1 with a tunnel: the code is the public web link, exactly", async () => {
    const s = serve(["--host", "127.0.0.1", "--qr", "--json", "--tunnel", "--cloudflared", FAKE_CF]);
    await s.waitFor(/\n/);
    const [info] = jsonLines<{ publicUrl: string; webLink: string; codes: { people: string } }>(s.stdout);
    expect(info!.publicUrl).toBe("https://dad-bridges-wizard-contest.trycloudflare.com");
    expect(info!.webLink).toBe(webLink(info!.publicUrl, "pw"));
    // The code encodes the people link with its one-time code (issue 12 #5), never the password.
    expect(s.stderr).toContain(`Scan to join from a phone (${info!.publicUrl}):\n${renderUnicodeCompact(`${info!.publicUrl}/#code=${info!.codes.people}`)}\n`);
    expect(s.stderr).not.toContain("No QR code");
  });

  it.skipIf(lanIPv4().length === 0)("--host 0.0.0.0 on a machine with a LAN address: the code is the first LAN web link", async () => {
    const s = serve(["--host", "0.0.0.0", "--qr", "--json"]);
    await s.waitFor(/\n/);
    const [info] = jsonLines<{ lanUrls: string[]; url: string; webLink: string; codes: { people: string } }>(s.stdout);
    expect(info!.url).toBe(info!.lanUrls[0]);
    expect(s.stderr).toContain(`Scan to join from a phone (${info!.url}):\n${renderUnicodeCompact(`${info!.url}/#code=${info!.codes.people}`)}\n`);
  });

  // The default path of a person at a terminal: no --qr, stderr is a real terminal (a pty from util-linux `script`).
  it.skipIf(!existsSync("/usr/bin/script"))("on a terminal, --host 127.0.0.1: the reason line, no code", async () => {
    const s = serve(["--host", "127.0.0.1"], {
      bin: "/usr/bin/script",
      binArgs: (args) => ["-qec", [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" "), "/dev/null"],
    });
    await s.waitFor(/-{72}\r?\n[\s\S]*-{72}/); // the whole banner is out
    expect(s.stdout).toContain("No QR code: the room's only URL, http://127.0.0.1:");
    expect(s.stdout).not.toMatch(QR_BLOCKS);
  });
});
