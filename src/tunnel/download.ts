// Downloading cloudflared into the state directory (…/bin/cloudflared) when it is not installed, as the predecessor
// did: the release file for this platform (release.ts), GitHub's redirects followed, progress reported, the size and
// every published SHA-256 checked, and only a checked file is ever moved into place — by rename, so no reader can see
// a half-written binary. Anything that fails leaves the cache as it was.
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { chmod, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOM_STILL_UP, TunnelError } from "./errors.js";
import { CACHED_EXE, MANUAL_INSTALL } from "./find-binary.js";
import { assetName, parseRelease, releaseUrl, type Release } from "./release.js";
import { extractFromTgz } from "./tar.js";

/** GitHub's releases API for cloudflared; AGENT_CHAT_CLOUDFLARED_BASE replaces it (a mirror, or a test stand-in). */
const DEFAULT_BASE = "https://api.github.com/repos/cloudflare/cloudflared";

export interface DownloadOptions {
  /** The cache directory (created owner-only); the binary ends up as DIR/cloudflared. */
  dir: string;
  /** Default: AGENT_CHAT_CLOUDFLARED_BASE, else DEFAULT_BASE. */
  base?: string;
  /** A release tag, or "latest". Default: AGENT_CHAT_CLOUDFLARED_VERSION, else "latest". */
  version?: string;
  platform?: string;
  arch?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Bytes so far, and the total when known; called at least once at the start and once at the end. */
  progress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /** The release lookup must answer within this (default 30 s). */
  metaTimeoutMs?: number;
  /** The download fails when no byte arrives for this long (default 30 s); a slow but moving one goes on. */
  stallTimeoutMs?: number;
}

const USER_AGENT = "agent-chat (cloudflared download)";

/** Ctrl-C while downloading: not a failure to explain, but the caller must still learn the download did not finish. */
export const cancelled = () => new TunnelError("CANCELLED", "cloudflared download cancelled", "Nothing was cached.");

const failed = (what: string, hint: string) =>
  new TunnelError("DOWNLOAD_FAILED", `Could not download cloudflared: ${what}`, `${hint} Otherwise: ${MANUAL_INSTALL} ${ROOM_STILL_UP}`);

/** Why a fetch() could not get an answer at all, in words: fetch says only "fetch failed"; the reason is its cause. */
export function unreachable(url: string, err: unknown): TunnelError {
  const host = new URL(url).host;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? "";
  const detail =
    code === "ECONNREFUSED" ? "connection refused"
    : code === "ENOTFOUND" || code === "EAI_AGAIN" ? `the name ${new URL(url).hostname} does not resolve`
    : (cause?.message ?? (err as Error).message);
  return failed(`${host} cannot be reached (${detail}).`,
    `This machine looks offline, or a firewall or proxy blocks ${host} (this download does not use HTTP(S)_PROXY). ` +
      "Check the connection and run the same command again.");
}

/** fetch() that fails after `ms` with a TunnelError, or at once when `signal` aborts. */
async function fetchWithin(url: string, ms: number, signal: AbortSignal | undefined, what: string): Promise<Response> {
  const timeout = AbortSignal.timeout(ms);
  try {
    return await fetch(url, {
      headers: { "user-agent": USER_AGENT, accept: "application/vnd.github+json, application/octet-stream" },
      redirect: "follow",
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    if (signal?.aborted) throw cancelled();
    if (timeout.aborted) throw failed(`${new URL(url).host} did not answer ${what} within ${duration(ms)}.`, "The network may be slow or filtered; try again.");
    throw unreachable(url, err);
  }
}

async function findRelease(o: Required<Pick<DownloadOptions, "base" | "version" | "platform" | "arch">> & DownloadOptions): Promise<Release> {
  const asset = assetName(o.platform, o.arch);
  if (!asset) {
    throw new TunnelError("NO_BINARY", `cloudflared publishes no build for ${o.platform}/${o.arch} (the ones it has: linux x64/arm64/arm/ia32, darwin x64/arm64, win32 x64/ia32).`,
      `Install cloudflared yourself if your system packages it: ${MANUAL_INSTALL} ${ROOM_STILL_UP}`);
  }
  const url = releaseUrl(o.base, o.version);
  const res = await fetchWithin(url, o.metaTimeoutMs ?? 30_000, o.signal, "the release lookup");
  const text = await res.text().catch(() => "");
  if (o.signal?.aborted) throw cancelled();
  if (!res.ok) {
    const said = (() => {
      try {
        return String((JSON.parse(text) as { message?: unknown }).message ?? "");
      } catch {
        return "";
      }
    })();
    const why = res.status === 404 ? `there is no cloudflared release "${o.version}" at ${url}` : `${url} answered HTTP ${res.status}${said ? ` (${said})` : ""}`;
    const hint = res.status === 403 || res.status === 429 ? "GitHub limits anonymous API calls to 60 an hour per address: wait a while and try again." : "Check AGENT_CHAT_CLOUDFLARED_VERSION and AGENT_CHAT_CLOUDFLARED_BASE.";
    throw failed(`${why}.`, hint);
  }
  let release: Release | undefined;
  try {
    release = parseRelease(JSON.parse(text), asset);
  } catch (err) {
    throw failed(`${url} did not answer with a release (${(err as Error).message}).`, "Check AGENT_CHAT_CLOUDFLARED_BASE: it must be a GitHub-style releases API.");
  }
  if (!release) throw failed(`the release at ${url} has no file ${asset}.`, "Try another AGENT_CHAT_CLOUDFLARED_VERSION.");
  return release;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

/** Downloads, checks and caches cloudflared; resolves with the cached path. Rejects with a TunnelError. */
export async function downloadCloudflared(opts: DownloadOptions): Promise<string> {
  const env = opts.env ?? process.env;
  const o = {
    ...opts,
    base: opts.base ?? (env.AGENT_CHAT_CLOUDFLARED_BASE || DEFAULT_BASE),
    version: opts.version ?? (env.AGENT_CHAT_CLOUDFLARED_VERSION || "latest"),
    platform: opts.platform ?? process.platform,
    arch: opts.arch ?? process.arch,
  };
  const log = o.log ?? (() => {});
  const { tag, asset } = await findRelease(o);
  const dest = join(o.dir, o.platform === "win32" ? "cloudflared.exe" : CACHED_EXE);
  log(`cloudflared: downloading cloudflared ${tag} (${asset.name}${asset.size ? `, ${mb(asset.size)}` : ""}) from ${new URL(asset.url).host} into ${dest}`);

  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  chmodSync(o.dir, 0o700); // it may predate us with looser rights; it holds an executable we will run
  removeAbandoned(o.dir);
  // Unique temporary names in the same directory: two rooms downloading at once never share a file, and the final
  // rename stays on one file system (atomic).
  const part = join(o.dir, `.${asset.name}.${process.pid}.${randomBytes(4).toString("hex")}`);
  const temps = [`${part}.download`, `${part}.ready`];
  try {
    const { received, sha256 } = await fetchTo(asset.url, temps[0]!, asset.size, o);
    verify(asset, received, sha256, tag);
    if (asset.name.endsWith(".tgz")) {
      let binary: Buffer;
      try {
        binary = extractFromTgz(await readFile(temps[0]!), "cloudflared");
      } catch (err) {
        throw failed(`${asset.name} could not be unpacked (${(err as Error).message}); nothing was cached.`, "Try again.");
      }
      await writeFile(temps[1]!, binary, { mode: 0o700, flag: "wx" });
      await rename(temps[1]!, dest);
    } else {
      await chmod(temps[0]!, 0o700);
      await rename(temps[0]!, dest);
    }
    const checked = sha256 && asset.sha256.length ? `size and SHA-256 ${sha256.slice(0, 12)}… checked` : "size checked (the release publishes no SHA-256 for it)";
    log(`cloudflared: ${tag} saved to ${dest} (${received} bytes, ${checked})`);
    return dest;
  } finally {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
  }
}

/** An hour is far longer than any download; a temporary file that old was left by a process killed mid-way. */
const ABANDONED_AFTER_MS = 3_600_000;

function removeAbandoned(dir: string, now = Date.now()): void {
  for (const name of readdirSync(dir)) {
    if (!/^\.cloudflared-.*\.(download|ready)$/.test(name)) continue;
    try {
      if (now - statSync(join(dir, name)).mtimeMs > ABANDONED_AFTER_MS) rmSync(join(dir, name), { force: true });
    } catch {
      // Gone already (another room cleaning up): fine.
    }
  }
}

/** Streams `url` into a new file, hashing as it goes; fails when the stream stalls. */
async function fetchTo(url: string, file: string, size: number | undefined, o: DownloadOptions): Promise<{ received: number; sha256: string }> {
  const stallMs = o.stallTimeoutMs ?? 30_000;
  const stalled = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stalled.signal]) : stalled.signal;
  let timer = setTimeout(() => stalled.abort(), stallMs);
  const stall = () => failed(`the download from ${new URL(url).host} stopped: no data for ${duration(stallMs)}; nothing was cached.`, "The network may be slow or filtered; try again.");
  const out = await open(file, "wx", 0o600);
  try {
    let res: Response;
    try {
      res = await fetch(url, { headers: { "user-agent": USER_AGENT }, redirect: "follow", signal });
    } catch (err) {
      if (o.signal?.aborted) throw cancelled();
      if (stalled.signal.aborted) throw stall();
      throw unreachable(url, err);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw failed(`${new URL(res.url || url).host} answered HTTP ${res.status} for ${url}.`, "Try again later.");
    }
    const length = Number(res.headers.get("content-length") ?? NaN);
    const total = size ?? (Number.isFinite(length) ? length : undefined);
    const hash = createHash("sha256");
    let received = 0;
    o.progress?.(0, total);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(() => stalled.abort(), stallMs);
        hash.update(chunk);
        await out.write(chunk);
        received += chunk.length;
        o.progress?.(received, total);
      }
    } catch (err) {
      if (o.signal?.aborted) throw cancelled();
      if (stalled.signal.aborted) throw stall();
      throw failed(`the download from ${new URL(url).host} broke off after ${received} bytes (${(err as Error).message}); nothing was cached.`, "Try again.");
    }
    // A server that closes early with a Content-Length it did not honour is a cut-off download too.
    if (Number.isFinite(length) && received !== length) {
      throw failed(`the download ended after ${received} of ${length} bytes; nothing was cached.`, "Try again.");
    }
    return { received, sha256: hash.digest("hex") };
  } finally {
    clearTimeout(timer);
    await out.close();
  }
}

function verify(asset: Release["asset"], received: number, sha256: string, tag: string): void {
  if (asset.size !== undefined && received !== asset.size) {
    throw failed(`${asset.name} (${tag}) arrived with ${received} bytes, but the release lists ${asset.size}; it was deleted and nothing was cached.`,
      "A proxy or a broken connection may have altered it: try again.");
  }
  for (const expected of asset.sha256) {
    if (expected !== sha256) {
      throw failed(`${asset.name} (${tag}) does not match the SHA-256 its release publishes (expected ${expected}, got ${sha256}); it was deleted and nothing was cached.`,
        "A proxy or mirror may have altered it: try again, from another network if it persists.");
    }
  }
}
