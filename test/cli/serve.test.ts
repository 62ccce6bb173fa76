// serve, stop and the host commands as real processes: what the host is told, clean shutdown on signals, clear
// failures, the background mode an agent needs, and tunnels (with the cloudflared stand-in; no network).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { alive } from "../../src/client/state.js";
import { VERSION } from "../../src/protocol/invite.js";
import { ROOT, jsonLines, run, start, tempHome, until, type Proc } from "./helpers.js";

const FAKE_CF = join(ROOT, "test/fixtures/tunnel/fake-cloudflared.mjs");
const homes: ReturnType<typeof tempHome>[] = [];
const procs: Proc[] = [];
const home = () => {
  const h = tempHome();
  homes.push(h);
  return h.home;
};
const serve = (args: string[], o: { home: string; env?: Record<string, string> }) => {
  const p = start(["serve", ...args], o);
  procs.push(p);
  return p;
};
// Runs when a test failed too: kills what it started, detached rooms included (cleanup() kills by state dir).
afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.kill("SIGKILL");
    await p.exited;
  }
  for (const h of homes.splice(0)) h.cleanup();
});

const portOf = (url: string) => Number(new URL(url).port);
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer().once("error", () => resolve(false));
    s.listen(port, "0.0.0.0", () => s.close(() => resolve(true)));
  });
const lanIPv4 = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && !a.internal)
    .map((a) => a!.address);

describe("serve", () => {
  it("prints the local URL, password, host link and the instruction block at once; SIGTERM exits 0 and frees the port", async () => {
    const hm = home();
    const t0 = Date.now();
    const s = serve(["--port", "0", "--host", "127.0.0.1", "--password", "pw-123", "--name", "Test room"], { home: hm });
    await s.waitFor(/^-{72}\n[\s\S]*\n-{72}\n/m);
    // A figure, not a pass/fail deadline (~0.3 s on an idle machine): it depends on how busy the machine is.
    console.log(`[cli] serve printed its banner in ${Date.now() - t0} ms`);
    const url = s.stdout.match(/Local: {5}(http:\/\/127\.0\.0\.1:\d+)/)![1]!;
    expect(portOf(url)).toBeGreaterThan(0);
    expect(s.stdout).toContain(`agent-chat room "Test room" is open (pid ${s.child.pid})`);
    expect(s.stdout).toContain("  LAN:       none (bound to this machine only; use --host 0.0.0.0 for phones on your Wi-Fi)");
    expect(s.stdout).toContain("  Password:  pw-123");
    // The printed links carry one-time codes, not the password or the host token: a browser's history of them keeps
    // nothing usable (issue 12 #5). The host link opens once; the people link admits up to 100 phones.
    const people = s.stdout.match(new RegExp(`  People:    ${url}/#code=(acl_[\\w-]+)\\n {13}\\(for people: up to 100 phones within 24 h`));
    const host = s.stdout.match(new RegExp(`  Host link: ${url}/#code=(acl_[\\w-]+)\\n {13}\\(for you only, never share: it controls the room; it opens once, the dashboard makes more\\)`));
    expect(people && host).toBeTruthy();
    const redeem = (code: string) => fetch(`${url}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
    const hostSession = await redeem(host![1]!);
    expect(hostSession.status).toBe(200);
    expect(((await hostSession.json()) as { kind: string; hostToken: string }).hostToken).toMatch(/^ach_/);
    expect((await redeem(host![1]!)).status).toBe(410); // spent
    const person = await redeem(people![1]!);
    expect(((await person.json()) as { kind: string }).kind).toBe("human");
    expect((await redeem(people![1]!)).status).toBe(200); // a people link admits more than one phone
    // The printed block is exactly what the room serves at /invite.
    const printed = s.stdout.split(`${"-".repeat(72)}\n`)[1]!;
    const served = await (await fetch(`${url}/invite`, { headers: { "x-room-password": "pw-123" } })).text();
    expect(printed).toBe(served);
    // The password rides in the environment of the join line, never in its argv (issue 12); the version is pinned.
    expect(served).toContain(`AGENT_CHAT_PASSWORD=pw-123 npx -y agent-chat@${VERSION} join --url ${url} --name YOUR-NAME`);
    expect(s.stderr).toBe(""); // no QR code: stderr is not a terminal
    expect(readdirSync(join(hm, "hosts"))).toEqual([`${portOf(url)}.json`]);

    s.kill("SIGTERM");
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(await portFree(portOf(url))).toBe(true);
    expect(readdirSync(join(hm, "hosts"))).toEqual([]);
  });

  it("generates an easy, strong password, lists every LAN URL and invites with the first; SIGINT exits 0", async () => {
    const s = serve(["--port", "0"], { home: home() });
    await s.waitFor(/^-{72}\n[\s\S]*\n-{72}\n/m);
    const password = s.stdout.match(/Password: {2}(\S+)/)![1]!;
    expect(password).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
    const port = portOf(s.stdout.match(/Local: +(\S+)/)![1]!);
    const lan = lanIPv4().map((ip) => `http://${ip}:${port}`);
    const printedLan = [...s.stdout.matchAll(/LAN: +(http\S+)/g)].map((m) => m[1]);
    expect(printedLan).toEqual(lan);
    expect(s.stdout).toContain(`URL: ${lan[0] ?? `http://127.0.0.1:${port}`}\n`);
    s.kill("SIGINT");
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(await portFree(port)).toBe(true);
  });

  it("--json prints one line with everything a program needs; --qr draws the code on stderr", async () => {
    const s = serve(["--port", "0", "--host", "127.0.0.1", "--json", "--qr", "--password", "pw"], { home: home() });
    await s.waitFor(/\n/);
    const [info] = jsonLines(s.stdout);
    expect(Object.keys(info!).sort()).toEqual(
      ["codes", "detached", "hostLink", "hostToken", "invite", "lanUrls", "localUrl", "password", "pid", "port", "publicUrl", "title", "tunnel", "url", "webLink"].sort(),
    );
    expect(info).toMatchObject({ pid: s.child.pid, password: "pw", publicUrl: null, tunnel: null, detached: false, lanUrls: [], title: "agent-chat" });
    expect(info!.url).toBe(info!.localUrl);
    expect(info!.hostLink).toBe(`${info!.url}/#host=${info!.hostToken}`);
    // Bound to loopback, no phone could open the URL: --qr says why instead of drawing (more in test/tunnel/qr.test.ts).
    await s.waitFor(/No QR code: .*\n/, { from: "stderr" });
    expect(s.stderr).not.toMatch(/▀|▄|█/);
    expect(s.lines()).toHaveLength(1);
  });

  it("a port in use, a bad flag, an unknown provider: one clear line, exit 1", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "0.0.0.0", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run(["serve", "--port", String(port)], { home: home() });
      expect(r).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `agent-chat serve: port ${port} is already in use: stop what runs there (agent-chat stop, if it is a room), or pick another port, e.g. --port ${port + 1} (--port 0: any free port).\n`,
      });
    } finally {
      blocker.close();
    }
    expect(await run(["serve", "--port", "http"], { home: home() })).toMatchObject({ code: 1, stderr: 'agent-chat serve: --port must be a whole number from 0 to 65535 (got "http").\n' });
    expect(await run(["serve", "--tunnel", "ssh"], { home: home() })).toMatchObject({
      code: 1,
      stderr: 'agent-chat serve: --tunnel must be cloudflared or ngrok (got "ssh"); bare --tunnel means cloudflared.\n',
    });
    expect(await run(["serve", "--host", "10.255.255.254", "--port", "0"], { home: home() })).toMatchObject({
      code: 1,
      stderr: "agent-chat serve: --host 10.255.255.254 is not an address of this machine: use 0.0.0.0 (LAN too) or 127.0.0.1 (this machine only).\n",
    });
  });
});

describe("serve --detach, stop and the host's commands", () => {
  it("runs in the background, works with no flags from this machine, and stop leaves nothing behind", async () => {
    const hm = home();
    const t0 = Date.now();
    const d = await run(["serve", "--detach", "--port", "0", "--host", "127.0.0.1", "--json"], { home: hm });
    expect(d.code).toBe(0);
    console.log(`[cli] serve --detach returned in ${Date.now() - t0} ms`); // a figure: machine load decides it
    const [info] = jsonLines<{ pid: number; url: string; localUrl: string; detached: boolean; logFile: string }>(d.stdout);
    expect(info).toMatchObject({ detached: true });
    expect(alive(info!.pid)).toBe(true);
    expect(existsSync(info!.logFile)).toBe(true);

    // The host's own agent joins without URL or password; host commands need no token.
    const j = await run(["join", "--name", "host-bot"], { home: hm });
    expect(j.code).toBe(0);
    expect(j.stdout).toContain(`at ${info!.localUrl} as host-bot (agent)`);
    expect((await run(["title", "Night", "shift"], { home: hm })).stdout).toBe('title set to "Night shift"\n');
    expect((await run(["pause"], { home: hm })).code).toBe(0);
    const refused = await run(["send", "hello"], { home: hm });
    expect(refused.code).toBe(4);
    expect((await run(["resume"], { home: hm })).stdout).toBe("agents resumed\n");
    expect((await run(["send", "hello"], { home: hm })).code).toBe(0);
    const other = home();
    await run(["join", "--url", info!.localUrl, "--password", jsonLines<{ password: string }>(d.stdout)[0]!.password, "--name", "pest"], { home: other });
    expect((await run(["kick", "pest"], { home: hm })).stdout).toBe("removed pest; the name is barred in this room\n");
    expect((await run(["send", "let me back"], { home: other })).code).toBe(5);
    const who = await run(["who"], { home: hm });
    expect(who.stdout).toMatch(/^"Night shift": /);

    const s = await run(["stop"], { home: hm });
    expect(s).toMatchObject({ code: 0, stdout: `stopped "agent-chat" on port ${portOf(info!.localUrl)} (pid ${info!.pid})\n` });
    expect(alive(info!.pid)).toBe(false);
    expect(await portFree(portOf(info!.localUrl))).toBe(true);
    expect(readdirSync(join(hm, "hosts"))).toEqual([]);
    expect(readdirSync(join(hm, "logs"))).toEqual([]);
    expect((await run(["stop"], { home: hm })).stdout).toBe("no room is running from this machine; nothing to stop.\n");
  });

  it("a background room that cannot start says why and exits with its code; several rooms need --port or --all", async () => {
    const hm = home();
    const a = jsonLines<{ port: number; pid: number }>((await run(["serve", "--detach", "--port", "0", "--host", "127.0.0.1", "--json"], { home: hm })).stdout)[0]!;
    const clash = await run(["serve", "--detach", "--port", String(a.port), "--host", "127.0.0.1"], { home: hm });
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(new RegExp(`^agent-chat serve: port ${a.port} is already in use: `));
    const b = jsonLines<{ port: number; pid: number }>((await run(["serve", "--detach", "--port", "0", "--host", "127.0.0.1", "--json"], { home: hm })).stdout)[0]!;
    const ambiguous = await run(["stop"], { home: hm });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/^agent-chat stop: 2 rooms run here \(.*\): pick one with --port, or stop them all with --all\.\n$/);
    expect((await run(["pause"], { home: hm })).stderr).toMatch(/^agent-chat pause: 2 rooms are served from this machine: pick one with --url/);
    expect((await run(["stop", "--port", String(b.port)], { home: hm })).code).toBe(0);
    expect(alive(b.pid)).toBe(false);
    expect(alive(a.pid)).toBe(true);
    expect((await run(["stop", "--all"], { home: hm })).code).toBe(0);
    expect(alive(a.pid)).toBe(false);
  });
});

describe("serve --tunnel (cloudflared stand-in)", () => {
  it("prints the public URL, invites with it, and the tunnel ends with the room", async () => {
    const hm = home();
    const pidFile = join(hm, "cf.pids");
    const s = serve(["--port", "0", "--tunnel", "--cloudflared", FAKE_CF, "--password", "pw"], { home: hm, env: { FAKE_CF_PIDFILE: pidFile } });
    await s.waitFor(/^-{72}\n[\s\S]*\n-{72}\n/m, { timeoutMs: 30_000 });
    const pub = "https://dad-bridges-wizard-contest.trycloudflare.com";
    expect(s.stdout).toContain(`  Public:    ${pub}\n`);
    expect(s.stdout).toContain(`URL: ${pub}\n`);
    expect(s.stdout).toContain(`  Host link: ${pub}/#code=acl_`);
    const local = s.stdout.match(/Local: +(\S+)/)![1]!;
    const served = await (await fetch(`${local}/invite`, { headers: { "x-room-password": "pw" } })).text();
    expect(served).toContain(`URL: ${pub}\n`);
    const cfPid = Number(readFileSync(pidFile, "utf8").trim());
    expect(alive(cfPid)).toBe(true);
    s.kill("SIGTERM");
    expect((await s.exited).code).toBe(0);
    await until(() => !alive(cfPid), undefined, "cloudflared to stop");
  });

  it("a tunnel that dies is replaced, and the new public URL and invite are printed again", async () => {
    const hm = home();
    const s = serve(["--port", "0", "--tunnel", "--cloudflared", FAKE_CF, "--password", "pw", "--json"], {
      home: hm,
      env: { FAKE_CF_MODE: "die-once", FAKE_CF_PIDFILE: join(hm, "cf.pids"), FAKE_CF_DIE_AFTER_MS: "300" },
    });
    await s.waitFor(/second-quiet-harbor-lamp[\s\S]*\n/, { timeoutMs: 30_000 });
    const [first, second] = jsonLines<{ publicUrl: string; url: string; invite: string; localUrl: string }>(s.stdout);
    expect(first!.publicUrl).toBe("https://dad-bridges-wizard-contest.trycloudflare.com");
    expect(second!.publicUrl).toBe("https://second-quiet-harbor-lamp.trycloudflare.com");
    expect(second!.invite).toContain("URL: https://second-quiet-harbor-lamp.trycloudflare.com\n");
    expect(s.stderr).toMatch(/tunnel down: /);
    const served = await (await fetch(`${second!.localUrl}/invite`, { headers: { "x-room-password": "pw" } })).text();
    expect(served).toBe(second!.invite);
    s.kill("SIGTERM");
    expect((await s.exited).code).toBe(0);
  });

  it("when the tunnel fails, says what to do and the local room keeps running", async () => {
    const s = serve(["--port", "0", "--host", "127.0.0.1", "--tunnel", "cloudflared", "--cloudflared", FAKE_CF, "--password", "pw"], {
      home: home(),
      env: { FAKE_CF_MODE: "fail" },
    });
    await s.waitFor(/^-{72}\n[\s\S]*\n-{72}\n/m, { timeoutMs: 30_000 });
    expect(s.stdout).toContain("  Public:    none (cloudflared failed; see above)\n");
    const local = s.stdout.match(/Local: +(\S+)/)![1]!;
    expect(s.stdout).toContain(`URL: ${local}\n`);
    expect(s.stderr).toMatch(/\[error\] .*\n.*The room keeps running locally/);
    expect((await fetch(`${local}/health`)).status).toBe(200);
    s.kill("SIGINT");
    expect((await s.exited).code).toBe(0);
  });

  it("ngrok without NGROK_AUTHTOKEN: a clear error, the room keeps running", async () => {
    const s = serve(["--port", "0", "--host", "127.0.0.1", "--tunnel", "ngrok", "--json"], { home: home(), env: { NGROK_AUTHTOKEN: "" } });
    await s.waitFor(/\n/, { timeoutMs: 30_000 });
    const [info] = jsonLines<{ tunnel: { provider: string; url: null; error: string }; localUrl: string; publicUrl: null }>(s.stdout);
    expect(info!.tunnel).toMatchObject({ provider: "ngrok", url: null });
    expect(info!.tunnel.error).toMatch(/NGROK_AUTHTOKEN/);
    expect((await fetch(`${info!.localUrl}/health`)).status).toBe(200);
  });
});
