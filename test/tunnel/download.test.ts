// Getting cloudflared when it is missing: the release file for the platform, downloaded from a local stand-in for
// GitHub's releases (redirect included), checked (size, SHA-256), cached owner-only by rename; a corrupt or cut-off
// download, a stalled one and no network at all are refused with a clear error and leave nothing cached.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { downloadCloudflared, type DownloadOptions } from "../../src/tunnel/download.js";
import { TunnelError } from "../../src/tunnel/errors.js";
import { downloadPolicy, resolveCloudflared } from "../../src/tunnel/install.js";
import { progressPrinter } from "../../src/tunnel/progress.js";
import { assetName, checksumFromNotes, parseRelease } from "../../src/tunnel/release.js";
import { extractFromTgz } from "../../src/tunnel/tar.js";
import { tempDir } from "./helpers.js";
import { closedPort, fakeCloudflaredScript, releaseServer, TAG, type ReleaseServer } from "./release-server.js";

let tmp: ReturnType<typeof tempDir>;
let dir: string;
const servers: ReleaseServer[] = [];
beforeEach(() => {
  tmp = tempDir();
  dir = join(tmp.dir, "state", "bin");
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  tmp.cleanup();
});

const LINUX = "cloudflared-linux-amd64";
const script = fakeCloudflaredScript();
async function stand(...assets: Parameters<typeof releaseServer>[0]) {
  const s = await releaseServer(assets);
  servers.push(s);
  return s;
}
const get = (base: string, extra: Partial<DownloadOptions> = {}) =>
  downloadCloudflared({ dir, base, platform: "linux", arch: "x64", env: {}, ...extra });

async function refused(p: Promise<unknown>, code = "DOWNLOAD_FAILED"): Promise<TunnelError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(TunnelError);
  expect((err as TunnelError).code).toBe(code);
  expect((err as TunnelError).hint).toContain("The room keeps running locally");
  return err as TunnelError;
}
/** Nothing was cached: no binary, and no temporary file left in the cache directory. */
const nothingCached = () => expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);

/** A .tgz made by the system's tar, as Cloudflare makes the macOS ones: one file, `cloudflared`, at the top. */
function tgz(content: Buffer): Buffer {
  const src = join(tmp.dir, "tgz-src");
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, "cloudflared"), content, { mode: 0o755 });
  writeFileSync(join(src, "README"), "not this one");
  const out = join(tmp.dir, "cf.tgz");
  const r = spawnSync("tar", ["-czf", out, "-C", src, "README", "cloudflared"]);
  expect(r.status, String(r.stderr)).toBe(0);
  return readFileSync(out);
}

describe("release files and their checks", () => {
  it("asset names are the ones the cloudflared npm package 0.7.3 downloads", () => {
    expect(assetName("linux", "x64")).toBe("cloudflared-linux-amd64");
    expect(assetName("linux", "arm64")).toBe("cloudflared-linux-arm64");
    expect(assetName("linux", "arm")).toBe("cloudflared-linux-arm");
    expect(assetName("linux", "ia32")).toBe("cloudflared-linux-386");
    expect(assetName("darwin", "arm64")).toBe("cloudflared-darwin-arm64.tgz");
    expect(assetName("darwin", "x64")).toBe("cloudflared-darwin-amd64.tgz");
    expect(assetName("win32", "x64")).toBe("cloudflared-windows-amd64.exe");
    expect(assetName("win32", "ia32")).toBe("cloudflared-windows-386.exe");
    expect(assetName("freebsd", "x64")).toBeUndefined();
    expect(assetName("linux", "s390x")).toBeUndefined();
  });

  it("reads the checksum list of a release's notes, and the asset digest, exactly for the file asked", () => {
    const hex = (c: string) => c.repeat(64);
    const notes = `### SHA256 Checksums:\n\`\`\`\ncloudflared-linux-amd64.deb: ${hex("a")}\ncloudflared-linux-amd64: ${hex("b")}\ncloudflared-linux-arm64: ${hex("c")}\n\`\`\``;
    expect(checksumFromNotes(notes, "cloudflared-linux-amd64")).toBe(hex("b"));
    expect(checksumFromNotes(notes, "cloudflared-linux-386")).toBeUndefined();
    const release = { tag_name: "2025.11.1", body: notes, assets: [{ name: LINUX, size: 5, browser_download_url: "https://x/y", digest: `sha256:${hex("d")}` }] };
    expect(parseRelease(release, LINUX)).toEqual({ tag: "2025.11.1", asset: { name: LINUX, size: 5, url: "https://x/y", sha256: [hex("d"), hex("b")] } });
    expect(parseRelease(release, "cloudflared-linux-386")).toBeUndefined();
    expect(() => parseRelease({ message: "Not Found" }, LINUX)).toThrow(/not a release/);
  });

  it("unpacks the one file named cloudflared from a .tgz made by tar, and says so when it is missing", () => {
    const archive = tgz(script);
    expect(extractFromTgz(archive, "cloudflared")).toEqual(script);
    expect(() => extractFromTgz(archive, "cloudflared.exe")).toThrow(/no file named cloudflared\.exe/);
  });
});

describe("downloading cloudflared", () => {
  it("follows the redirect, checks size and SHA-256, caches it owner-only, and reports progress to the end", async () => {
    const s = await stand({ name: LINUX, published: script });
    const logs: string[] = [];
    const progress: Array<[number, number | undefined]> = [];
    const path = await get(s.base, { log: (l) => logs.push(l), progress: (r, t) => progress.push([r, t]) });
    expect(path).toBe(join(dir, "cloudflared"));
    expect(readFileSync(path)).toEqual(script);
    expect(statSync(path).mode & 0o777).toBe(0o700);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(["cloudflared"]); // no temporary file left
    expect(s.requests).toEqual([
      "/repos/cloudflare/cloudflared/releases/latest",
      `/cloudflare/cloudflared/releases/download/${TAG}/${LINUX}`,
      `/objects/${LINUX}?sig=stand-in`,
    ]);
    expect(progress[0]).toEqual([0, script.length]);
    expect(progress.at(-1)).toEqual([script.length, script.length]);
    expect(logs[0]).toBe(`cloudflared: downloading cloudflared ${TAG} (${LINUX}, 0.0 MB) from 127.0.0.1:${new URL(s.base).port} into ${path}`);
    expect(logs[1]).toMatch(new RegExp(`^cloudflared: ${TAG} saved to ${path} \\(${script.length} bytes, size and SHA-256 [0-9a-f]{12}… checked\\)$`));
    // It runs: the cached file is the stand-in's launcher.
    const run = spawnSync(path, ["--version"], { env: { FAKE_CF_MODE: "early" }, encoding: "utf8" });
    expect(run.stderr).toContain("Requesting new quick Tunnel");
  });

  it("removes temporary files a killed download left over an hour ago, and only those", async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const old = join(dir, `.${LINUX}.123.abcd.download`);
    const recent = join(dir, `.${LINUX}.456.ef01.download`); // maybe another room downloading right now
    writeFileSync(old, "x");
    writeFileSync(recent, "y");
    const hoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(old, hoursAgo, hoursAgo);
    const s = await stand({ name: LINUX, published: script });
    await get(s.base);
    expect(readdirSync(dir).sort()).toEqual([`.${LINUX}.456.ef01.download`, "cloudflared"]);
  });

  it("a pinned version asks for that tag; macOS gets the .tgz unpacked", async () => {
    const s = await stand({ name: "cloudflared-darwin-arm64.tgz", published: tgz(script) });
    const path = await get(s.base, { platform: "darwin", arch: "arm64", version: TAG });
    expect(s.requests[0]).toBe(`/repos/cloudflare/cloudflared/releases/tags/${TAG}`);
    expect(readFileSync(path)).toEqual(script);
    expect(statSync(path).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(["cloudflared"]);
  });

  it("a file that does not match the published SHA-256 is refused, and an earlier cached copy stays as it was", async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, "cloudflared"), "earlier copy", { mode: 0o700 });
    const altered = Buffer.from(script);
    altered[altered.length - 2] ^= 1; // same size, one bit off
    const s = await stand({ name: LINUX, published: script, served: altered });
    const err = await refused(get(s.base));
    expect(err.message).toMatch(/^Could not download cloudflared: cloudflared-linux-amd64 \(2099\.1\.0\) does not match the SHA-256 its release publishes \(expected [0-9a-f]{64}, got [0-9a-f]{64}\); it was deleted and nothing was cached\./);
    expect(readdirSync(dir)).toEqual(["cloudflared"]);
    expect(readFileSync(join(dir, "cloudflared"), "utf8")).toBe("earlier copy");
  });

  it("…and so is one checked against the notes only, when the asset has no digest", async () => {
    const s = await stand({ name: LINUX, published: script, served: Buffer.from(script.toString().replace("exec", "EXEC")), checksum: "notes" });
    expect((await refused(get(s.base))).message).toContain("does not match the SHA-256");
    nothingCached();
  });

  it("a download shorter than the release's size is refused; nothing is cached", async () => {
    const s = await stand({ name: LINUX, published: script, served: script.subarray(0, 20), checksum: "none" });
    const err = await refused(get(s.base));
    expect(err.message).toContain(`cloudflared-linux-amd64 (2099.1.0) arrived with 20 bytes, but the release lists ${script.length}; it was deleted and nothing was cached.`);
    nothingCached();
  });

  it("a release that publishes no checksum: the size is checked, and the log says only the size was", async () => {
    const s = await stand({ name: LINUX, published: script, checksum: "none" });
    const logs: string[] = [];
    await get(s.base, { log: (l) => logs.push(l) });
    expect(logs[1]).toContain("size checked (the release publishes no SHA-256 for it)");
  });

  it("a download that stalls fails after the stall timeout; nothing is cached", async () => {
    const s = await stand({ name: LINUX, published: script, stallAfter: 10 });
    const err = await refused(get(s.base, { stallTimeoutMs: 300 }));
    expect(err.message).toContain("stopped: no data for 300 ms; nothing was cached.");
    nothingCached();
  });

  it("no network: a closed port and a name that does not resolve give a clear error; nothing is cached", async () => {
    const port = await closedPort();
    const refusedPort = await refused(get(`http://127.0.0.1:${port}/repos/cloudflare/cloudflared`));
    expect(refusedPort.message).toBe(`Could not download cloudflared: 127.0.0.1:${port} cannot be reached (connection refused).\n${refusedPort.hint}`);
    expect(refusedPort.hint).toMatch(/^This machine looks offline, or a firewall or proxy blocks 127\.0\.0\.1:\d+ .*Check the connection and run the same command again\. Otherwise: Install cloudflared from https:\/\/developers\.cloudflare\.com/);
    // .invalid never resolves (RFC 2606), on any network.
    const unresolvable = await refused(get("http://agent-chat-stand-in.invalid/repos/cloudflare/cloudflared"));
    expect(unresolvable.message).toMatch(/^Could not download cloudflared: agent-chat-stand-in\.invalid cannot be reached \(the name agent-chat-stand-in\.invalid does not resolve\)\./);
    nothingCached();
  });

  it("a platform cloudflared has no build for, a missing release, an API refusal: each says so", async () => {
    const s = await stand({ name: LINUX, published: script });
    const platform = await refused(get(s.base, { platform: "freebsd", arch: "x64" }), "NO_BINARY");
    expect(platform.message).toContain("cloudflared publishes no build for freebsd/x64");
    expect((await refused(get(s.base, { version: "1999.1.0" }))).message).toContain('there is no cloudflared release "1999.1.0" at');
    expect((await refused(get(s.base, { arch: "ia32" }))).message).toContain(`the release at ${s.base}/releases/latest has no file cloudflared-linux-386.`);
    nothingCached();
  });

  it("Ctrl-C (the signal) during the download: CANCELLED, nothing cached", async () => {
    const s = await stand({ name: LINUX, published: script, stallAfter: 10 });
    const stop = new AbortController();
    const pending = get(s.base, { signal: stop.signal, progress: (r) => r > 0 && stop.abort() });
    const err = await pending.then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ name: "TunnelError", code: "CANCELLED" });
    nothingCached();
  });
});

describe("deciding to download", () => {
  it("the flag first, then AGENT_CHAT_INSTALL_CLOUDFLARED, then whether stderr is a terminal", () => {
    expect(downloadPolicy(true, { AGENT_CHAT_INSTALL_CLOUDFLARED: "0" }, false).allowed).toBe(true);
    expect(downloadPolicy(false, { AGENT_CHAT_INSTALL_CLOUDFLARED: "1" }, true)).toEqual({ allowed: false, refusal: "downloading it is turned off (--no-install-cloudflared)" });
    expect(downloadPolicy(undefined, { AGENT_CHAT_INSTALL_CLOUDFLARED: "1" }, false).allowed).toBe(true);
    expect(downloadPolicy(undefined, { AGENT_CHAT_INSTALL_CLOUDFLARED: "0" }, true).allowed).toBe(false);
    expect(downloadPolicy(undefined, {}, true).allowed).toBe(true);
    expect(downloadPolicy(undefined, {}, false)).toEqual({ allowed: false, refusal: "it is not downloaded without a terminal to show it (this looks like a script or an agent)" });
  });

  it("not allowed: NO_BINARY naming the flag and the variable, and the release server is never asked", async () => {
    const s = await stand({ name: LINUX, published: script });
    const env = { PATH: join(tmp.dir, "empty"), AGENT_CHAT_CLOUDFLARED_BASE: s.base };
    const err = await refused(resolveCloudflared(undefined, { dir, ...downloadPolicy(undefined, {}, false) }, () => {}, undefined, env, tmp.dir), "NO_BINARY");
    expect(err.message).toContain(`PATH, node_modules/cloudflared/bin and ${dir}), and it is not downloaded without a terminal to show it`);
    expect(err.hint).toContain("run serve again with --install-cloudflared, or set AGENT_CHAT_INSTALL_CLOUDFLARED=1");
    expect(s.requests).toEqual([]);
    nothingCached();
  });

  it("the cached copy is used without asking the network again; one others could write is not trusted", async () => {
    const s = await stand({ name: LINUX, published: script });
    const env = { PATH: join(tmp.dir, "empty"), AGENT_CHAT_CLOUDFLARED_BASE: s.base };
    const install = { dir, allowed: true, platform: "linux", arch: "x64" };
    const first = await resolveCloudflared(undefined, install, () => {}, undefined, env, tmp.dir);
    const asked = s.requests.length;
    expect(await resolveCloudflared(undefined, install, () => {}, undefined, env, tmp.dir)).toBe(first);
    expect(s.requests).toHaveLength(asked);
    // Group-writable: someone else could have replaced it. Not run; downloaded again (and replaced) instead.
    chmodSync(first, 0o770);
    expect(await resolveCloudflared(undefined, install, () => {}, undefined, env, tmp.dir)).toBe(first);
    expect(s.requests.length).toBeGreaterThan(asked);
    expect(statSync(first).mode & 0o777).toBe(0o700);
  });
});

describe("the progress line", () => {
  it("on a terminal: redrawn in place, at most every 100 ms, ending with a newline", () => {
    const out: string[] = [];
    let t = 0;
    const p = progressPrinter({ isTTY: true, write: (s: string) => out.push(s) }, () => t);
    p(0, 4_000_000);
    t = 50;
    p(1_000_000, 4_000_000); // too soon: skipped
    t = 200;
    p(2_000_000, 4_000_000);
    p(4_000_000, 4_000_000); // the end is always drawn
    expect(out).toEqual([
      "\r\x1b[2Kcloudflared: downloading 0.0 of 4.0 MB (0%)",
      "\r\x1b[2Kcloudflared: downloading 2.0 of 4.0 MB (50%)",
      "\r\x1b[2Kcloudflared: downloading 4.0 of 4.0 MB (100%)\n",
    ]);
  });

  it("elsewhere: a plain line per quarter", () => {
    const out: string[] = [];
    const p = progressPrinter({ write: (s: string) => out.push(s) });
    for (let r = 0; r <= 40; r++) p(r * 100_000, 4_000_000);
    expect(out).toEqual([0, 1, 2, 3, 4].map((q) => `cloudflared: downloaded ${q.toFixed(1)} of 4.0 MB (${q * 25}%)\n`));
  });
});
