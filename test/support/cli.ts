// The tests' one CLI runner (CLI, integration and MCP suites): run the built CLI as a real process with its own
// state dir, follow long-running ones (serve, listen) line by line, and never leave one behind: every process a
// test starts is killed when its state dir is cleaned up, the detached rooms it started included.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "bin/agent-chat.mjs");

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A clean environment: no AGENT_CHAT_* from the caller, the given state dir, no colours. The live view waits 30 s,
 * not 3, for a socket's `joined` or a stream's first bytes: the room under test shares a loaded machine and can stall
 * for seconds, and a CLI that fell back to another transport for good would fail the tests that expect the socket.
 * A test of that fallback sets AGENT_CHAT_OPEN_TIMEOUT_MS itself.
 */
export function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AGENT_CHAT_") && !k.startsWith("npm_")) env[k] = v;
  return { ...env, AGENT_CHAT_HOME: home, NO_COLOR: "1", AGENT_CHAT_OPEN_TIMEOUT_MS: "30000", ...extra };
}

/**
 * A fresh state dir (AGENT_CHAT_HOME). cleanup() first kills every process still running with it — a listen that
 * never exited, a `serve --detach` room whose test failed half-way — then removes it. Call it in afterEach/afterAll
 * (hooks run even when the test failed).
 */
export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), "agent-chat-cli-"));
  return {
    home,
    cleanup: () => {
      killProcessesOf(home);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * Kill (SIGKILL) every process of ours whose environment has AGENT_CHAT_HOME=home. Detached rooms are their own
 * process group and outlive the CLI that started them; their environment is the one thing that ties them to the
 * test. Linux /proc; elsewhere the host records in home/hosts/ give the pids.
 */
export function killProcessesOf(home: string): number[] {
  const needle = `\0AGENT_CHAT_HOME=${home}\0`;
  const pids = new Set<number>();
  try {
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        if (("\0" + readFileSync(`/proc/${d}/environ`, "latin1")).includes(needle)) pids.add(Number(d));
      } catch {
        /* gone, or not ours */
      }
    }
  } catch {
    /* no /proc */
  }
  try {
    for (const f of readdirSync(join(home, "hosts"))) {
      const pid = Number((JSON.parse(readFileSync(join(home, "hosts", f), "utf8")) as { pid?: unknown }).pid);
      if (Number.isInteger(pid) && pid > 0) pids.add(pid);
    }
  } catch {
    /* no hosts */
  }
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  return [...pids];
}

/** Run one CLI command to completion (killed, and the test failed, if it has not finished within `timeoutMs`). */
export function run(
  args: string[],
  o: { home: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number; bin?: string } = { home: "" },
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(o.bin ?? process.execPath, o.bin ? args : [BIN, ...args], {
      env: cliEnv(o.home, o.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`agent-chat ${args.join(" ")} did not finish within ${o.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, o.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (o.input !== undefined) child.stdin.end(o.input);
    else child.stdin.end();
  });
}

export interface Proc {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match in stdout (or stderr with `from: "stderr"`), from the start of the output. */
  waitFor(re: RegExp, o?: { from?: "stdout" | "stderr"; timeoutMs?: number }): Promise<RegExpMatchArray>;
  /** stdout lines so far. */
  lines(): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** Start a long-running CLI command (serve, listen, join --follow). */
export function start(args: string[], o: { home: string; env?: Record<string, string | undefined>; bin?: string; stdin?: "pipe" | "ignore" }): Proc {
  const child = spawn(o.bin ?? process.execPath, o.bin ? args : [BIN, ...args], {
    env: cliEnv(o.home, o.env),
    stdio: [o.stdin ?? "ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  child.stdout!.on("data", (c) => ((stdout += c), poke()));
  child.stderr!.on("data", (c) => ((stderr += c), poke()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => (poke(), resolve({ code, signal }))),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    lines: () => stdout.split("\n").filter(Boolean),
    exited,
    kill: (signal = "SIGTERM") => void child.kill(signal),
    waitFor(re, w = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = (w.from === "stderr" ? stderr : stdout).match(re);
          if (m) return finish(() => resolve(m));
          if (done) finish(() => reject(new Error(`exited before ${re}\nstdout: ${stdout}\nstderr: ${stderr}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${re} within ${w.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`))), w.timeoutMs ?? 30_000);
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Poll until `probe` is truthy (vi.waitFor); `timeoutMs` is a safety net, not a measurement. */
export function until<T>(probe: () => T | Promise<T>, timeoutMs = 30_000, what = "condition"): Promise<NonNullable<T>> {
  return vi.waitFor(
    async () => {
      const v = await probe();
      if (!v) throw new Error(`still waiting for ${what}`);
      return v as NonNullable<T>;
    },
    { timeout: timeoutMs, interval: 50 },
  );
}

/** Parse `--json` output: one object per line. */
export const jsonLines = <T = Record<string, unknown>>(s: string): T[] =>
  s
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
