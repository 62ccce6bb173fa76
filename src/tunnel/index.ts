// Public tunnel surface for `serve --tunnel`: one function that returns a plain handle. Internals live in the other
// files of this folder. Deliberately no untun, listhen or `cloudflared` npm package (see cloudflared-log.ts and the
// README's "Left out" list: untun crashes its host on close, the npm package mistakes api.trycloudflare.com for the
// tunnel URL).

import { openNgrok } from "./ngrok.js";
import type { InstallOptions } from "./install.js";
import { openCloudflared } from "./supervisor.js";

export { TunnelError } from "./errors.js";
export { checkStreaming } from "./check-streaming.js";
export { downloadPolicy } from "./install.js";
export { progressPrinter } from "./progress.js";

type TunnelProvider = "cloudflared" | "ngrok";

/** Every delay the cloudflared supervisor waits on, injectable so tests control time instead of sleeping. */
export interface TunnelTiming {
  /** Delays before each restart attempt of a tunnel that died; its length is the number of attempts. */
  restartDelaysMs: number[];
  /** How long cloudflared may drain after SIGINT before it is SIGKILLed. */
  stopGraceMs: number;
  /** Waits `ms`, resolving true, or false as soon as `signal` aborts. The restart back-off goes through it. */
  sleep: (ms: number, signal: AbortSignal) => Promise<boolean>;
  /** The same for the start-up limit (startTimeoutMs): true when it is up, and cloudflared is given up on. */
  startDeadline: (ms: number, signal: AbortSignal) => Promise<boolean>;
}

export interface TunnelOptions {
  provider: TunnelProvider;
  /** Local room port; the tunnel targets http://127.0.0.1:PORT. */
  port: number;
  /** From --cloudflared; then AGENT_CHAT_CLOUDFLARED, PATH, node_modules/cloudflared/bin, install.dir. */
  cloudflaredPath?: string;
  /** Where a downloaded cloudflared is cached and whether one may be downloaded (install.ts); absent: never. */
  install?: InstallOptions;
  /** Cancels opening (a download, the first start): Ctrl-C before the tunnel is up. Rejects with code CANCELLED. */
  signal?: AbortSignal;
  /** Default 30_000. */
  startTimeoutMs?: number;
  /** Restart back-off and stop grace for cloudflared; defaults in supervisor.ts (tests pass short or gated ones). */
  timing?: Partial<TunnelTiming>;
  /** Human progress lines (the caller prints them on stderr). */
  log?: (line: string) => void;
  /** A new public URL is ready after an automatic restart (`tunnel.url` is already updated): reprint the invite. */
  onUrl?: (url: string) => void;
  /** The tunnel process died while the room runs; a restart is being attempted. */
  onDown?: (reason: string) => void;
}

export interface Tunnel {
  provider: TunnelProvider;
  /** The current public URL (changes after an automatic restart; see onUrl). */
  url: string;
  /** Stops the tunnel; resolves once its process is gone. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a public tunnel to the local room. Rejects with a TunnelError (code NO_BINARY, DOWNLOAD_FAILED, NO_TOKEN,
 * START_FAILED, TIMEOUT, EXITED or CANCELLED) whose message says what failed and what to do; the room itself is never
 * affected.
 */
export function openTunnel(opts: TunnelOptions): Promise<Tunnel> {
  if (opts.provider === "ngrok") return openNgrok(opts);
  return openCloudflared(opts);
}
