// One cloudflared quick-tunnel process: start it under the watchdog, wait for its URL and first edge connection,
// or explain why not. Restarting is the supervisor's business (supervisor.ts).

import { parseLogLine, quickTunnelFailureHint, OFFLINE_RE } from "./cloudflared-log.js";
import { ROOM_STILL_UP, TunnelError } from "./errors.js";
import { sleep } from "./sleep.js";
import { spawnWatched, type WatchedExit, type WatchedProcess } from "./watched-process.js";

const TAIL_LINES = 15;

export interface CloudflaredRun {
  url: string;
  process: WatchedProcess;
  /** The last lines cloudflared printed, kept current after start-up too, to explain a later death. */
  tail: string[];
}

interface StartOptions {
  bin: string;
  port: number;
  timeoutMs: number;
  graceMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** The start-up time limit: resolves true when `timeoutMs` is up (default: a timer), false once aborted. */
  deadline?: (ms: number, signal: AbortSignal) => Promise<boolean>;
}

function cloudflaredArgs(port: number): string[] {
  return ["tunnel", "--no-autoupdate", "--url", `http://127.0.0.1:${port}`];
}

export function describeExit(exit: WatchedExit): string {
  if (exit.spawnError) return `could not be started (${exit.spawnError})`;
  if (exit.stoppedBy) return `was stopped by ${exit.stoppedBy}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

function quoteTail(tail: string[]): string {
  return tail.length ? `\nIts last lines:\n${tail.map((l) => `  ${l}`).join("\n")}` : "\nIt printed nothing.";
}

export function startCloudflared(opts: StartOptions): Promise<CloudflaredRun> {
  const args = cloudflaredArgs(opts.port);
  const manual = `To see its full output, run it by hand: ${opts.bin} ${args.join(" ")}`;
  const proc = spawnWatched(opts.bin, args, opts.graceMs);
  const tail: string[] = [];
  let url: string | undefined;
  let settled = false;
  const deadline = new AbortController(); // ends the start-up time limit once settled

  return new Promise<CloudflaredRun>((resolve, reject) => {
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      deadline.abort();
      opts.signal?.removeEventListener("abort", onAbort);
      // Reject only once the process is gone, so no caller ever races a half-dead cloudflared.
      void proc.stop().then(() => reject(err));
    };
    const succeed = (found: string) => {
      settled = true;
      deadline.abort();
      opts.signal?.removeEventListener("abort", onAbort);
      resolve({ url: found, process: proc, tail });
    };
    const onAbort = () => fail(new TunnelError("CANCELLED", "tunnel start cancelled", "The room keeps running locally."));

    proc.onLine((line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      const event = parseLogLine(line);
      if (event.kind === "url") {
        url ??= event.url;
        if (!settled) opts.log(`cloudflared: got ${event.url}, waiting for its first connection to Cloudflare…`);
      } else if (event.kind === "ready") {
        if (!settled && url) succeed(url);
      } else if (event.kind === "fatal") {
        fail(new TunnelError("START_FAILED", `cloudflared could not create a quick tunnel: ${event.detail}`,
          `${quickTunnelFailureHint(event.detail)} ${ROOM_STILL_UP}`));
      } else if (event.kind === "error" && !opts.signal?.aborted) {
        // Often transient (cloudflared retries edge connections); shown so a slow start is not a silent one.
        // Not once we are closing: cloudflared's shutdown errors would only be noise at Ctrl-C.
        opts.log(`cloudflared: ${event.detail}`);
      }
    });

    void (opts.deadline ?? sleep)(opts.timeoutMs, deadline.signal).then((up) => {
      if (!up || settled) return;
      const seen = url ? `It printed ${url} but no connection to Cloudflare came up.` : "It printed no tunnel URL.";
      const offline = OFFLINE_RE.test(tail.join("\n"))
        ? "The network looks unreachable from here: check the connection. "
        : "The network may be slow or filtering Cloudflare (cloudflared needs outbound port 7844, or 443 over HTTP/2). ";
      fail(new TunnelError("TIMEOUT", `cloudflared did not become ready within ${Math.round(opts.timeoutMs / 1000)} s. ${seen}${quoteTail(tail)}`,
        `${offline}Try --tunnel again, or use --tunnel ngrok. ${manual}. ${ROOM_STILL_UP}`));
    });

    void proc.exited.then((exit) => {
      if (settled) return;
      settled = true;
      deadline.abort();
      opts.signal?.removeEventListener("abort", onAbort);
      const hint = OFFLINE_RE.test(tail.join("\n")) ? quickTunnelFailureHint(tail.join("\n")) + " " : "";
      reject(new TunnelError("EXITED", `cloudflared ${describeExit(exit)} before the tunnel was ready.${quoteTail(tail)}`,
        `${hint}${manual}. ${ROOM_STILL_UP}`));
    });

    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
