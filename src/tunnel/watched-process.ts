// Host side of the watchdog (see watchdog.ts): start a command under it, read its log lines, learn how it ended,
// stop it. Knows nothing about cloudflared.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { WATCHDOG_SOURCE } from "./watchdog.js";

export interface WatchedExit {
  code: number | null;
  signal: string | null;
  /** The command could not be started at all (e.g. `spawn /x EACCES`). */
  spawnError?: string;
  /** Someone sent the watchdog SIGTERM: a deliberate stop from outside, not a crash. */
  stoppedBy?: string;
}

export interface WatchedProcess {
  /** Resolves once the command is gone and every line it wrote has been delivered. */
  readonly exited: Promise<WatchedExit>;
  /** The command's pid (also its process group), once started. */
  pid(): number | undefined;
  onLine(listener: (line: string) => void): void;
  /** SIGINT, SIGKILL after `graceMs`; resolves when the command is gone. Idempotent. */
  stop(): Promise<void>;
  /** Let the host exit without stopping us first: the watchdog then stops the command on its own. */
  unref(): void;
}

/** How long past the watchdog's own grace period the host waits before killing the watchdog and the group itself. */
const BACKSTOP_EXTRA_MS = 3000;

interface Report { pid?: number; exit?: number | null; signal?: string | null; error?: string; stopping?: string }

export function spawnWatched(cmd: string, args: string[], graceMs: number): WatchedProcess {
  const config = JSON.stringify({ cmd, args, graceMs });
  const proc = spawn(process.execPath, ["--input-type=commonjs", "-e", WATCHDOG_SOURCE, config], {
    stdio: ["pipe", "pipe", "pipe"],
    windowsHide: true,
  });
  // Writing to (or ending) the pipe of a watchdog that is already gone raises EPIPE; there is nothing left to stop.
  proc.stdin.on("error", () => {});

  const report: Report = {};
  createInterface({ input: proc.stdout }).on("line", (line) => {
    try {
      Object.assign(report, JSON.parse(line) as Report);
    } catch {
      // Not ours: the watchdog writes only JSON lines. Ignore rather than fail the tunnel over it.
    }
  });
  const lines = createInterface({ input: proc.stderr });

  let gone = false;
  const exited = new Promise<WatchedExit>((resolve) => {
    const finish = (code: number | null, signal: string | null, error?: string) => {
      gone = true;
      resolve({
        code: report.exit !== undefined ? report.exit : code,
        signal: report.signal !== undefined ? report.signal : signal,
        spawnError: report.error ?? error,
        stoppedBy: report.stopping,
      });
    };
    // "close", not "exit": it comes after the last stderr line, so an explanation is never cut short.
    proc.on("close", (code, signal) => finish(code, signal));
    proc.on("error", (err) => finish(null, null, err.message));
  });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (gone) return;
      proc.stdin.end();
      // Backstop for a wedged watchdog: kill it and the command's whole group ourselves.
      const backstop = setTimeout(() => {
        proc.kill("SIGKILL");
        if (report.pid) {
          try {
            process.kill(-report.pid, "SIGKILL");
          } catch {
            // Already gone.
          }
        }
      }, graceMs + BACKSTOP_EXTRA_MS);
      await exited;
      clearTimeout(backstop);
    })());

  return {
    exited,
    pid: () => report.pid,
    onLine: (listener) => void lines.on("line", listener),
    stop,
    unref() {
      proc.unref();
      for (const stream of [proc.stdin, proc.stdout, proc.stderr]) {
        (stream as unknown as { unref?: () => void }).unref?.();
      }
    },
  };
}
