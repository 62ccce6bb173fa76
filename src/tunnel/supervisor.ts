// A cloudflared tunnel that lives as long as the room: if cloudflared dies while the room runs, say so at once
// (onDown), start a new one with backoff, and hand over its URL (onUrl) — a quick tunnel's URL changes every time.

import { describeExit, startCloudflared, type CloudflaredRun } from "./cloudflared.js";
import { resolveCloudflared } from "./install.js";
import { sleep } from "./sleep.js";
import type { Tunnel, TunnelOptions, TunnelTiming } from "./index.js";

/** cloudflared drains for up to 30 s on SIGINT by default; a closing room does not wait that long. */
const STOP_GRACE_MS = 3000;
/** Delays before each restart attempt; bounded, since a quick tunnel that keeps dying will not recover by itself. */
const RESTART_DELAYS_MS = [1000, 2000, 5000, 10_000, 20_000];

const DEFAULT_TIMING: TunnelTiming = {
  restartDelaysMs: RESTART_DELAYS_MS,
  stopGraceMs: STOP_GRACE_MS,
  // Unref'd: a pending restart never keeps a closing host up.
  sleep: (ms, signal) => sleep(ms, signal, true),
  startDeadline: (ms, signal) => sleep(ms, signal),
};

export async function openCloudflared(opts: TunnelOptions): Promise<Tunnel> {
  const log = opts.log ?? (() => {});
  const timing: TunnelTiming = { ...DEFAULT_TIMING, ...opts.timing };
  const bin = await resolveCloudflared(opts.cloudflaredPath, opts.install, log, opts.signal);
  const closing = new AbortController();
  const start = (signal: AbortSignal = closing.signal) =>
    startCloudflared({
      bin,
      port: opts.port,
      timeoutMs: opts.startTimeoutMs ?? 30_000,
      graceMs: timing.stopGraceMs,
      log,
      signal,
      deadline: timing.startDeadline,
    });

  log(`cloudflared: starting a quick tunnel to http://127.0.0.1:${opts.port} (${bin})`);
  // Until it resolves there is no handle to close(): the caller's signal is the only way to cancel the first start.
  let current: CloudflaredRun = await start(opts.signal ? AbortSignal.any([closing.signal, opts.signal]) : closing.signal);
  current.process.unref();

  let closed: Promise<void> | undefined;
  let restarting: Promise<void> | undefined;
  const tunnel: Tunnel = {
    provider: "cloudflared",
    url: current.url,
    close: () =>
      (closed ??= (async () => {
        closing.abort();
        // A restart in flight stops its own half-started cloudflared on abort; wait for that too.
        await Promise.all([current.process.stop(), restarting]);
      })()),
  };

  const watch = (run: CloudflaredRun) => {
    void run.process.exited.then(async (exit) => {
      if (closing.signal.aborted || run !== current) return;
      const why = `cloudflared ${describeExit(exit)}${run.tail.length ? `: ${run.tail[run.tail.length - 1]}` : ""}`;
      if (exit.stoppedBy) {
        log(`${why}. Not restarting it: it was stopped on purpose. The room keeps running locally.`);
        return;
      }
      opts.onDown?.(why);
      log(`${why}. The public URL ${run.url} no longer works; starting a new tunnel…`);
      restarting = restart();
    });
  };

  const restart = async () => {
    let last = "";
    const delays = timing.restartDelaysMs;
    for (const [i, delay] of delays.entries()) {
      // Checked after the wait too: an injected sleep may resolve true even though close() came meanwhile.
      if (!(await timing.sleep(delay, closing.signal)) || closing.signal.aborted) return;
      log(`cloudflared: restart ${i + 1}/${delays.length}: starting a new quick tunnel…`);
      try {
        const next = await start();
        next.process.unref();
        current = next;
        tunnel.url = next.url;
        log(`cloudflared: tunnel is back at ${next.url}`);
        watch(next);
        opts.onUrl?.(next.url);
        return;
      } catch (err) {
        if (closing.signal.aborted) return;
        last = (err as Error).message;
        // One line per attempt; the full explanation (last lines, what to do) once, when giving up.
        log(`cloudflared: restart ${i + 1}/${delays.length} failed: ${last.split("\n")[0]}`);
      }
    }
    log(`cloudflared: giving up on the tunnel. ${last}\nRestart serve with --tunnel for a new public URL.`);
  };

  watch(current);
  return tunnel;
}
