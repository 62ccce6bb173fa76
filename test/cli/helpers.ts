// Shared by the CLI suites: run the built CLI as a real process with its own state dir, and follow long-running
// ones (serve, listen) line by line.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "bin/agent-chat.mjs");

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: no AGENT_CHAT_* from the caller, the given state dir, no colours. */
export function cliEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AGENT_CHAT_") && !k.startsWith("npm_")) env[k] = v;
  return { ...env, AGENT_CHAT_HOME: home, NO_COLOR: "1", ...extra };
}

export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), "agent-chat-cli-"));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Run one CLI command to completion. */
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
      reject(new Error(`agent-chat ${args.join(" ")} did not finish within ${o.timeoutMs ?? 20_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, o.timeoutMs ?? 20_000);
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
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${re} within ${w.timeoutMs ?? 10_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`))), w.timeoutMs ?? 10_000);
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

/** Poll until `probe` is truthy. */
export async function until<T>(probe: () => T | Promise<T>, timeoutMs = 10_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parse `--json` output: one object per line. */
export const jsonLines = <T = Record<string, unknown>>(s: string): T[] =>
  s
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
