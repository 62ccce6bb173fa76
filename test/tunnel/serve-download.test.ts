// `serve --tunnel` on a machine without cloudflared, as real processes (the built CLI): it downloads cloudflared from
// a local stand-in for GitHub's releases and gets a public URL from it; later rooms reuse the cached copy; without a
// terminal it downloads nothing unless told to; offline or given a corrupt file it says so and the room keeps running.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assetName } from "../../src/tunnel/release.js";
import { BIN, jsonLines, run, start, tempHome, type Proc } from "../support/cli.js";
import { closedPort, fakeCloudflaredScript, releaseServer, TAG, type ReleaseServer } from "./release-server.js";

const ASSET = assetName(process.platform, process.arch);
const PUBLIC = "https://dad-bridges-wizard-contest.trycloudflare.com";
const homes: ReturnType<typeof tempHome>[] = [];
const procs: Proc[] = [];
const servers: ReleaseServer[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) {
    p.kill("SIGKILL");
    await p.exited;
  }
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const h of homes.splice(0)) h.cleanup();
});

interface Info { publicUrl: string | null; localUrl: string; tunnel: { provider: string; url: string | null; error?: string } }

/** A state dir and a PATH with no cloudflared on it (an empty folder): the machine "without cloudflared". */
function machine() {
  const h = tempHome();
  homes.push(h);
  const emptyPath = join(h.home, "empty-path");
  mkdirSync(emptyPath);
  return { home: h.home, env: { PATH: emptyPath }, cached: join(h.home, "bin", "cloudflared") };
}
function serve(m: ReturnType<typeof machine>, args: string[], extra: Record<string, string>, o: { pty?: boolean } = {}) {
  // Not "a test environment" for the CLI: consola would hide its info lines (the download's log) under NODE_ENV=test.
  const env = { NODE_ENV: undefined, TEST: undefined, ...extra };
  const full = ["serve", "--port", "0", "--host", "127.0.0.1", "--password", "pw", "--tunnel", ...args];
  const p = o.pty
    ? // A real terminal (util-linux `script` gives the CLI a pty), as a person running serve has.
      start(["-qec", [process.execPath, BIN, ...full].map((a) => `'${a}'`).join(" "), "/dev/null"], { home: m.home, env: { ...m.env, ...env }, bin: "/usr/bin/script" })
    : start(full, { home: m.home, env: { ...m.env, ...env } });
  procs.push(p);
  return p;
}
/** What the cache directory holds (it may not exist: the release lookup failed before anything was written). */
const cachedFiles = (m: ReturnType<typeof machine>) => (existsSync(join(m.home, "bin")) ? readdirSync(join(m.home, "bin")) : []);
async function stand(o: { corrupt?: boolean } = {}) {
  const script = fakeCloudflaredScript();
  const served = o.corrupt ? Buffer.from(script.toString().replace("exec", "EXEC")) : script;
  const s = await releaseServer([{ name: ASSET!, published: script, served }]);
  servers.push(s);
  return s;
}
/** serve --json prints its line once the tunnel is up or has failed. */
async function info(p: Proc): Promise<Info> {
  await p.waitFor(/\n/);
  return jsonLines<Info>(p.stdout)[0]!;
}

describe.skipIf(!ASSET || ASSET.endsWith(".exe"))("serve --tunnel without cloudflared installed", () => {
  it("--install-cloudflared: downloads it (progress on stderr), gets a public URL from it; the next room reuses the copy", async () => {
    const m = machine();
    const s = await stand();
    const first = serve(m, ["--json", "--install-cloudflared"], { AGENT_CHAT_CLOUDFLARED_BASE: s.base });
    const got = await info(first);
    expect(got.publicUrl).toBe(PUBLIC);
    expect(first.stderr).toContain(`cloudflared: downloading cloudflared ${TAG} (${ASSET}`);
    expect(first.stderr).toMatch(/cloudflared: downloaded \d+\.\d of \d+\.\d MB \(100%\)\n/);
    expect(first.stderr).toContain(`${TAG} saved to ${m.cached}`);
    expect(first.stderr).toContain(`(${m.cached})`); // the tunnel runs the cached copy
    expect(statSync(m.cached).mode & 0o777).toBe(0o700);
    expect(statSync(join(m.home, "bin")).mode & 0o777).toBe(0o700);
    expect((await fetch(`${got.localUrl}/health`)).status).toBe(200);
    first.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);

    // No flag, no terminal: nothing to download any more, so nothing to refuse.
    const asked = s.requests.length;
    const second = serve(m, ["--json"], { AGENT_CHAT_CLOUDFLARED_BASE: s.base });
    expect((await info(second)).publicUrl).toBe(PUBLIC);
    expect(s.requests).toHaveLength(asked);
    expect(second.stderr).not.toContain("downloading");
  });

  it("no terminal and no flag: refuses to download, says what to run, and the room keeps running", async () => {
    const m = machine();
    const s = await stand();
    const p = serve(m, ["--json"], { AGENT_CHAT_CLOUDFLARED_BASE: s.base });
    const got = await info(p);
    expect(got.publicUrl).toBeNull();
    expect(got.tunnel.error).toContain("it is not downloaded without a terminal to show it");
    expect(got.tunnel.error).toContain("run serve again with --install-cloudflared, or set AGENT_CHAT_INSTALL_CLOUDFLARED=1");
    expect(p.stderr).toContain("--install-cloudflared");
    expect(s.requests).toEqual([]);
    expect(existsSync(m.cached)).toBe(false);
    expect((await fetch(`${got.localUrl}/health`)).status).toBe(200);
  });

  it("--detach (no terminal in the background): the refusal and what to run are shown by the command that returns", async () => {
    const m = machine();
    const s = await stand();
    const env = { ...m.env, AGENT_CHAT_CLOUDFLARED_BASE: s.base };
    const d = await run(["serve", "--detach", "--port", "0", "--host", "127.0.0.1", "--password", "pw", "--tunnel"], { home: m.home, env });
    expect(d.code).toBe(0);
    expect(d.stdout).toContain("  Public:    none (cloudflared failed; see above)\n");
    expect(d.stderr).toContain("agent-chat serve: the cloudflared tunnel failed: cloudflared was not found");
    expect(d.stderr).toContain("run serve again with --install-cloudflared");
    expect(s.requests).toEqual([]);
    expect((await run(["stop"], { home: m.home, env })).code).toBe(0);
  });

  it("AGENT_CHAT_INSTALL_CLOUDFLARED=1 does what the flag does", async () => {
    const m = machine();
    const s = await stand();
    const p = serve(m, ["--json"], { AGENT_CHAT_CLOUDFLARED_BASE: s.base, AGENT_CHAT_INSTALL_CLOUDFLARED: "1" });
    expect((await info(p)).publicUrl).toBe(PUBLIC);
    expect(existsSync(m.cached)).toBe(true);
  });

  it.skipIf(!existsSync("/usr/bin/script"))("on a terminal, no flag needed: the progress line is drawn in place and the tunnel comes up", async () => {
    const m = machine();
    const s = await stand();
    const p = serve(m, [], { AGENT_CHAT_CLOUDFLARED_BASE: s.base }, { pty: true });
    await p.waitFor(/Public: +https:\S+/);
    expect(p.stdout).toContain(`  Public:    ${PUBLIC}`);
    expect(p.stdout).toMatch(/\r\x1b\[2Kcloudflared: downloading \d+\.\d of \d+\.\d MB \(100%\)\r?\n/);
    expect(existsSync(m.cached)).toBe(true);
  });

  it("offline (a closed port, a name that does not resolve): a clear error, nothing cached, the room keeps running", async () => {
    for (const base of [`http://127.0.0.1:${await closedPort()}/repos/cloudflare/cloudflared`, "http://agent-chat-stand-in.invalid/repos/cloudflare/cloudflared"]) {
      const m = machine();
      const p = serve(m, ["--json", "--install-cloudflared"], { AGENT_CHAT_CLOUDFLARED_BASE: base });
      const got = await info(p);
      const host = new URL(base).host;
      expect(got.publicUrl).toBeNull();
      expect(got.tunnel.error).toMatch(new RegExp(`^Could not download cloudflared: ${host.replace(/\./g, "\\.")} cannot be reached \\((connection refused|the name \\S+ does not resolve)\\)\\.\\nThis machine looks offline`));
      expect(p.stderr).toContain("The room keeps running locally");
      expect(cachedFiles(m)).toEqual([]);
      expect((await fetch(`${got.localUrl}/health`)).status).toBe(200);
    }
  });

  it("Ctrl-C in the middle of the download: exit 0 at once, no partial file left", async () => {
    const m = machine();
    const s = await releaseServer([{ name: ASSET!, published: fakeCloudflaredScript(), stallAfter: 10 }]);
    servers.push(s);
    const p = serve(m, ["--json", "--install-cloudflared"], { AGENT_CHAT_CLOUDFLARED_BASE: s.base });
    await p.waitFor(/cloudflared: downloaded 0\.0 of/, { from: "stderr" });
    expect(cachedFiles(m).filter((f) => f.endsWith(".download"))).toHaveLength(1); // it is mid-way
    p.kill("SIGINT");
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(cachedFiles(m)).toEqual([]);
    expect(p.stderr).not.toContain("[error]");
  });

  it("a corrupt download is refused: nothing cached, the room keeps running", async () => {
    const m = machine();
    const s = await stand({ corrupt: true });
    const p = serve(m, ["--json", "--install-cloudflared"], { AGENT_CHAT_CLOUDFLARED_BASE: s.base });
    const got = await info(p);
    expect(got.publicUrl).toBeNull();
    expect(got.tunnel.error).toContain("does not match the SHA-256 its release publishes");
    expect(cachedFiles(m)).toEqual([]);
    expect((await fetch(`${got.localUrl}/health`)).status).toBe(200);
  });
});
