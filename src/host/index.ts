// Hosting a room from the CLI: start the server, tell the host where it is (banner.ts), open the tunnel if asked
// (a tunnel failure is reported and the local room keeps running), remember the room for stop/kick/join on this
// machine, and close everything on SIGINT/SIGTERM/SIGHUP with exit 0.
import type { ConsolaInstance } from "consola";
import { join } from "node:path";
import { CliError, Exit } from "../client/exit.js";
import { hostLink, inviteText, webLink } from "../protocol/invite.js";
import { removeHost, saveHost, stateHome } from "../client/state.js";
import { bannerHead, bannerTail, PEOPLE_USES, peopleLink, type ServeInfo } from "./banner.js";
import { DETACHED_ENV, reportToParent } from "./detach.js";
import { generatePassword } from "./password.js";
import { qrPlan } from "./qr.js";
import { lanUrls } from "./urls.js";
import { StoreUnreachable } from "../rooms/redis/unreachable.js";

interface HostOptions {
  port: number;
  host: string;
  /** Generated when absent. */
  password?: string;
  title: string;
  tunnel?: "cloudflared" | "ngrok";
  cloudflaredPath?: string;
  /** --install-cloudflared (true) / --no-install-cloudflared (false); undefined: AGENT_CHAT_INSTALL_CLOUDFLARED, else a terminal decides. */
  installCloudflared?: boolean;
  history?: number;
  maxTextBytes?: number;
  maxBodyBytes?: number;
  rateLimit?: number;
  loopGuard?: number;
  maxConnections?: number;
  authFailPerMinute?: number;
  /** Joins need a key proof, messages a signature (README "Known agents"). */
  requireIdentity?: boolean;
  /** Worker threads for signature checks (serve --verify-threads). */
  verifyThreads?: number;
  maxRooms?: number;
  maxMembers?: number;
  maxKeys?: number;
  historyBytes?: number;
  joinLimit?: number;
  /** Frames per second one WebSocket may send. */
  wsFramesPerSecond?: number;
  /** The URL people reach this server by (a load balancer's), named by the invite: --public-url. */
  publicUrl?: string;
  /** redis://… (serve --redis or AGENT_CHAT_REDIS): rooms shared with every instance on that Redis. */
  redis?: string;
  /** QR code on stderr: true always, false never, undefined when stderr is a terminal (and not --json). */
  qr?: boolean;
  json: boolean;
}

/** Runs until a signal ends the process. */
export async function hostRoom(o: HostOptions): Promise<never> {
  const log = await logger();
  let password = o.password ?? generatePassword();
  const { startRoomServer } = await import("../server/index.js");
  const limits = Object.fromEntries(
    Object.entries({
      history: o.history,
      maxTextBytes: o.maxTextBytes,
      maxBodyBytes: o.maxBodyBytes,
      rateLimit: o.rateLimit,
      loopGuard: o.loopGuard,
      maxConnections: o.maxConnections,
      authFailPerMinute: o.authFailPerMinute,
      requireIdentity: o.requireIdentity,
      verifyThreads: o.verifyThreads,
      maxRooms: o.maxRooms,
      maxMembers: o.maxMembers,
      maxKeys: o.maxKeys,
      historyBytes: o.historyBytes,
      joinLimit: o.joinLimit,
      wsFramesPerSecond: o.wsFramesPerSecond,
    }).filter(([, v]) => v !== undefined),
  );
  const server = await startRoomServer({
    ...limits,
    port: o.port,
    host: o.host,
    password,
    title: o.title,
    // Behind a tunnel every request comes from loopback: trust its client-address header for the auth limits.
    trustProxy: !!o.tunnel,
    log: (line) => log.warn(line),
    // The host rotated the password (agent-chat password --rotate, or a kick with --rotate-password): this
    // machine's record follows, so join/invite here use the new one. Never logged.
    onPasswordChange: (next) => {
      password = next;
      info = describe({ ...info, password: next });
      remember();
    },
    redis: o.redis,
  }).catch((err: unknown) => {
    if (err instanceof StoreUnreachable) throw new CliError(Exit.USAGE, `${err.message} (--redis / AGENT_CHAT_REDIS): start Redis or fix the URL.`);
    throw listenError(err as NodeJS.ErrnoException, o);
  });
  password = server.password; // --redis: an earlier instance may have set the shared room's password

  const detachedLog = process.env[DETACHED_ENV];
  const lan = lanUrls(server.port, o.host);
  let info = describe({ pid: process.pid, port: server.port, title: o.title, localUrl: server.url, lanUrls: lan, publicUrl: o.publicUrl ?? null, password, hostToken: server.hostToken, detached: !!detachedLog, logFile: detachedLog });
  let tunnel: { url: string; close(): Promise<void> } | undefined;
  let tunnelOpening: Promise<unknown> | undefined;
  const remember = () => {
    server.setInviteUrl(info.url);
    saveHost({
      pid: process.pid,
      port: info.port,
      localUrl: info.localUrl,
      urls: [info.localUrl, ...info.lanUrls, ...(info.publicUrl ? [info.publicUrl] : [])],
      inviteUrl: info.url,
      password,
      hostToken: info.hostToken,
      title: info.title,
      detached: info.detached,
      logFile: info.logFile,
      startedAt: new Date().toISOString(),
    });
  };
  remember();
  info.codes = await mintCodes(server.url, server.hostToken, (line) => log.warn(line));

  let stopping = false;
  const cancelOpening = new AbortController();
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: closing the room…`);
    cancelOpening.abort(); // a cloudflared download or first start in progress ends now, leaving no partial file
    // Whatever hangs (a tunnel still starting), the room is gone within a few seconds.
    setTimeout(() => (removeHost(info.port), process.exit(0)), 8000).unref();
    await tunnelOpening?.catch(() => {});
    await tunnel?.close().catch(() => {});
    await server.close();
    removeHost(info.port);
    process.exit(0);
  };
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, () => void stop(s));

  if (!o.json) await write(bannerHead(info));
  if (o.tunnel) {
    const t = await import("../tunnel/index.js");
    const provider = o.tunnel;
    const onUrl = (url: string) => {
      info = describe({ ...info, publicUrl: url, tunnel: { provider, url } });
      remember();
      log.warn(`the ${provider} tunnel restarted with a new public URL: ${url} (the old one no longer works)`);
      void write(o.json ? JSON.stringify(info) : bannerTail(info));
    };
    log.start(`opening a ${provider} tunnel…`);
    // A missing cloudflared is downloaded into the state directory, when allowed (src/tunnel/install.ts).
    const install = {
      dir: join(stateHome(), "bin"),
      ...t.downloadPolicy(o.installCloudflared, process.env, !!process.stderr.isTTY),
      progress: t.progressPrinter(process.stderr),
    };
    try {
      const opening = t.openTunnel({
        provider, port: info.port, cloudflaredPath: o.cloudflaredPath, install, signal: cancelOpening.signal,
        log: (l) => log.info(l), onUrl, onDown: (why) => log.warn(`tunnel down: ${why}`),
      });
      tunnelOpening = opening;
      tunnel = await opening;
      info = describe({ ...info, publicUrl: tunnel.url, tunnel: { provider, url: tunnel.url } });
      remember();
      void t.checkStreaming(tunnel.url, password).then((r) => log.info(`tunnel check: ${r.detail}`));
    } catch (err) {
      if (!(err instanceof t.TunnelError)) throw err;
      if (stopping) return new Promise<never>(() => {}); // Ctrl-C while opening: stop() finishes the exit
      log.error(err.message);
      info = { ...info, tunnel: { provider, url: null, error: err.message } };
    }
  }
  await printTail(info, o);
  await reportToParent({ ready: info });
  return new Promise<never>(() => {});
}

/** What the foreground (or the detach parent, from the background room's report) prints. */
export async function printInfo(info: ServeInfo, o: Pick<HostOptions, "json" | "qr">): Promise<void> {
  if (!o.json) await write(bannerHead(info));
  // A background room logged its tunnel error to its log file; the banner's "see above" must find it here too.
  if (!o.json && info.tunnel?.error) process.stderr.write(`agent-chat serve: the ${info.tunnel.provider} tunnel failed: ${info.tunnel.error}\n`);
  await printTail(info, o);
}

// --- internal ---

async function printTail(info: ServeInfo, o: Pick<HostOptions, "json" | "qr">) {
  if (o.qr === true || (o.qr === undefined && !o.json && process.stderr.isTTY)) {
    const plan = qrPlan({ ...info, webLink: peopleLink(info) });
    if (plan.draw) {
      const { renderUnicodeCompact } = await import("uqr");
      process.stderr.write(`\nScan to join from a phone (${plan.url}):\n${renderUnicodeCompact(plan.link)}\n`);
    } else process.stderr.write(`\n${plan.why}\n`);
  }
  await write(o.json ? JSON.stringify(info) : bannerTail(info));
}

/**
 * One-time codes for the printed links (README "Link codes"), minted through the room's own route: a host link that
 * opens once and a people link for up to PEOPLE_USES phones, both for 24 h. Failing that, the old links are printed.
 */
async function mintCodes(localUrl: string, hostToken: string, warn: (line: string) => void): Promise<ServeInfo["codes"]> {
  const mint = async (kind: "host" | "human", uses: number) => {
    const res = await fetch(`${localUrl}/host/links`, {
      method: "POST",
      headers: { authorization: `Bearer ${hostToken}`, "content-type": "application/json" },
      body: JSON.stringify({ kind, uses, ttlSeconds: 86_400 }),
      signal: AbortSignal.timeout(5000),
    });
    if (res.status !== 201) throw new Error(`HTTP ${res.status}`);
    return ((await res.json()) as { code: string }).code;
  };
  try {
    return { host: await mint("host", 1), people: await mint("human", PEOPLE_USES) };
  } catch (err) {
    warn(`could not mint one-time links (${(err as Error).message}); printing the password and host-token links.`);
    return undefined;
  }
}

function describe(i: Omit<ServeInfo, "url" | "hostLink" | "webLink" | "invite" | "tunnel"> & { tunnel?: ServeInfo["tunnel"] }): ServeInfo {
  const url = i.publicUrl ?? i.lanUrls[0] ?? i.localUrl;
  return {
    ...i,
    url,
    tunnel: i.tunnel ?? null,
    hostLink: hostLink(url, i.hostToken),
    webLink: webLink(url, i.password),
    invite: inviteText({ title: i.title, url, password: i.password }),
  };
}

function listenError(err: NodeJS.ErrnoException, o: HostOptions): Error {
  switch (err.code) {
    case "EADDRINUSE":
      return new CliError(Exit.USAGE, `port ${o.port} is already in use: stop what runs there (agent-chat stop, if it is a room), or pick another port, e.g. --port ${o.port + 1} (--port 0: any free port).`);
    case "EACCES":
      return new CliError(Exit.USAGE, `no permission to listen on port ${o.port}: use a port above 1023, e.g. --port 8765.`);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new CliError(Exit.USAGE, `--host ${o.host} is not an address of this machine: use 0.0.0.0 (LAN too) or 127.0.0.1 (this machine only).`);
    default:
      return err;
  }
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
}

/** Human logs go to stderr: stdout carries the banner or the JSON line. No colours or badges outside a terminal. */
async function logger(): Promise<ConsolaInstance> {
  const { createConsola } = await import("consola");
  const tty = !!process.stderr.isTTY;
  return createConsola({ stdout: process.stderr, stderr: process.stderr, fancy: tty, formatOptions: { colors: tty, date: false, compact: true } });
}
