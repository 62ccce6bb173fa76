// serve --detach: an agent cannot leave a foreground process in its shell, so the room runs in a background
// process of its own (own session, output to a log file under the state dir) and reports back over an IPC channel
// once it is ready — or fails with the reason it printed. `agent-chat stop` ends it later.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, Exit, type ExitCode } from "../client/exit.js";
import { logsDir } from "../client/state.js";
import type { ServeInfo } from "./banner.js";

const BIN = fileURLToPath(new URL("../../bin/agent-chat.mjs", import.meta.url));
/** The environment variable that tells a serve it is the background half (its value: the log file). */
export const DETACHED_ENV = "AGENT_CHAT_DETACHED";

type ChildReport = { ready: ServeInfo } | { failed: string; exitCode: ExitCode };

/** Start `serve <args>` in the background; resolves with its info once it is ready. */
export function detach(serveArgs: string[], timeoutMs = 60_000): Promise<ServeInfo> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  const logFile = join(logsDir(), `serve-${stamp}-${process.pid}.log`);
  const fd = openSync(logFile, "a", 0o600);
  const args = serveArgs.filter((a) => !/^--detach(=.*)?$/.test(a) && !/^--no-detach$/.test(a));
  const child = spawn(process.execPath, [BIN, "serve", ...args, "--json"], {
    detached: true,
    stdio: ["ignore", fd, fd, "ipc"],
    env: { ...process.env, [DETACHED_ENV]: logFile },
  });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new CliError(Exit.USAGE, `the background room did not start within ${timeoutMs / 1000} s; see ${logFile}.`));
    }, timeoutMs);
    child.on("message", (m: ChildReport) => {
      clearTimeout(timer);
      if ("ready" in m) {
        // Let it go: no channel, no reference, nothing keeping this process alive.
        child.removeAllListeners("exit");
        child.disconnect();
        child.unref();
        resolve(m.ready);
      } else reject(new CliError(m.exitCode, m.failed));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      const why = lastLine(logFile);
      rmSync(logFile, { force: true });
      reject(new CliError((code && (Object.values(Exit) as number[]).includes(code) ? code : Exit.USAGE) as ExitCode, why ? why.replace(/^agent-chat serve: /, "") : `the background room exited (code ${code}).`));
    });
  });
}

/** In the background half: report the outcome to the waiting parent, then cut the channel. */
export function reportToParent(report: ChildReport): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.env[DETACHED_ENV]) return resolve();
    process.send(report, () => {
      process.disconnect?.();
      resolve();
    });
  });
}

function lastLine(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim().split("\n").filter((l) => !l.startsWith("{")).pop();
  } catch {
    return undefined;
  }
}
