// Fixtures for the Redis suites: Debian's redis-server and nginx on free ports, agent-chat instances as real
// `serve --redis` processes (so one can be SIGKILLed), and an SSE reader that reconnects with Last-Event-ID the way
// the page and `listen` do. Every process started here is killed by `cleanup()`.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, cliEnv, killProcessesOf } from "../support/cli.js";
import { sseParser } from "../support/sse.mjs";

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? "/usr/bin/redis-server";
export const NGINX = process.env.NGINX_PATH ?? "/usr/sbin/nginx";
export const ROOT = new URL("../../", import.meta.url).pathname;

/** describe() that needs redis-server (and nginx): skipped loudly without them, and failed instead under CI. */
export function describeRedis(name: string, fn: () => void, needs: string[] = [REDIS_SERVER]) {
  const missing = needs.filter((b) => !existsSync(b));
  if (!missing.length) return describe(name, fn);
  const msg = `${missing.join(" and ")} not found: the Redis tests (${name}) cannot run. Install with: apt-get install -y redis-server nginx`;
  if (process.env.CI) {
    return describe(name, () => {
      it("has redis-server and nginx", () => {
        throw new Error(msg + " (CI is set, so this fails instead of skipping)");
      });
    });
  }
  console.warn(`\n${"!".repeat(100)}\n!!! SKIPPED: ${msg}\n${"!".repeat(100)}\n`);
  return describe.skip(name, fn);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when `re` appears in the process's output; rejects if it exits first. */
function waitForLine(p: ChildProcess, re: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const on = (c: Buffer) => {
      out += c;
      const m = re.exec(out);
      if (m) (p.stdout?.off("data", on), p.stderr?.off("data", on), p.off("exit", onExit), resolve(m[0]));
    };
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready:\n${out.slice(-2000)}`));
    p.stdout?.on("data", on);
    p.stderr?.on("data", on);
    p.once("exit", onExit);
  });
}

const exited = (p: ChildProcess) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once("exit", () => r())));

export interface TestRedis {
  port: number;
  url: string;
  /** Stop it (SIGTERM, or SIGKILL) and start it again on the same port with the same data directory. */
  restart(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server on a free port. `persist`: an append-only file fsynced on every write (survives a restart). */
export async function startRedis(dir: string, opts: { persist?: boolean } = {}): Promise<TestRedis> {
  let port = 0;
  let proc: ChildProcess | undefined;
  const launch = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no"];
    args.push(...(opts.persist ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]));
    proc = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, AGENT_CHAT_HOME: dir } });
    await waitForLine(proc, /Ready to accept connections/, "redis-server");
  };
  // A port free a moment ago may be taken by another suite: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart(signal = "SIGTERM") {
      const p = proc!;
      p.kill(signal);
      await exited(p);
      await launch();
    },
    async stop() {
      proc?.kill("SIGKILL");
      if (proc) await exited(proc);
    },
  };
}

export interface Instance {
  url: string;
  port: number;
  password: string;
  hostToken: string;
  /** The URL the invite names, and the invite. */
  inviteUrl: string;
  invite: string;
  proc: ChildProcess;
  stderr(): string;
  /** SIGTERM (a clean stop) by default; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `agent-chat serve --redis URL --json` as its own process (the built CLI). */
export async function startInstance(redisUrl: string, home: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Instance> {
  const args = [BIN, "serve", "--port", "0", "--host", "127.0.0.1", "--redis", redisUrl, "--json", "--no-qr", "--rate-limit", "0", "--loop-guard", "0", ...extra];
  const proc = spawn(process.execPath, args, { env: cliEnv(home, env), stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  proc.stderr!.on("data", (c: Buffer) => (err += c));
  const line = await waitForLine(proc, /\{.*\}\n/, "agent-chat serve --redis");
  const info = JSON.parse(line) as { localUrl: string; port: number; password: string; hostToken: string; url: string; invite: string };
  return {
    url: info.localUrl,
    port: info.port,
    password: info.password,
    hostToken: info.hostToken,
    inviteUrl: info.url,
    invite: info.invite,
    proc,
    stderr: () => err,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      await exited(proc);
    },
  };
}

export interface TestNginx {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Debian's nginx running deploy/nginx.conf, with the upstream lines pointing at `ports` and its own listen port. */
export async function startNginx(dir: string, ports: number[]): Promise<TestNginx> {
  const shipped = readFileSync(join(ROOT, "deploy/nginx.conf"), "utf8");
  const upstream = ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join("\n");
  let replaced = 0;
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = shipped
      .replace(/(    server agent-chat-\d:8765[^\n]*\n)+/, () => (replaced++, upstream + "\n"))
      .replace(/listen 8080;/, () => (replaced++, `listen 127.0.0.1:${port};`));
    if (replaced !== 2) throw new Error("deploy/nginx.conf no longer has the upstream lines or the listen line the tests replace");
    replaced = 0;
    const file = join(dir, "nginx.conf");
    writeFileSync(file, conf);
    const proc = spawn(NGINX, ["-p", dir, "-c", file, "-e", "stderr", "-g", `daemon off; master_process off; pid ${join(dir, "nginx.pid")};`], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, AGENT_CHAT_HOME: dir } });
    let err = "";
    proc.stderr!.on("data", (c: Buffer) => (err += c));
    // One process (master_process off): a SIGKILL in stop() then leaves no orphaned workers behind.
    // nginx prints nothing when it is up: ready once it answers.
    const up = await waitUntilListening(port, proc);
    if (!up) {
      if (attempt >= 4) throw new Error(`nginx did not start:\n${err}`);
      continue;
    }
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      async stop() {
        // SIGTERM: the master stops its workers before it exits. A SIGKILLed master leaves its workers running,
        // orphaned (and nginx clears their environment, so tempDir's cleanup could not find them).
        proc.kill("SIGTERM");
        await exited(proc);
      },
    };
  }
}

async function waitUntilListening(port: number, proc: ChildProcess): Promise<boolean> {
  for (;;) {
    if (proc.exitCode !== null) return false;
    try {
      await fetch(`http://127.0.0.1:${port}/health`);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50)); // polling for a condition, not a timing assumption
    }
  }
}

/** A temp dir and every process a suite started in it (instances carry AGENT_CHAT_HOME=dir). */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "agent-chat-redis-"));
  return {
    dir,
    cleanup() {
      killProcessesOf(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Msg {
  id: number;
  agent: string;
  text: string;
  kind: string;
}

/**
 * An SSE reader that reconnects by itself with Last-Event-ID, as the page and `listen` do: `urls()` gives where to
 * (re)connect each time. `messages` holds every message event ever received, in arrival order.
 */
export function resumingStream(urls: () => string, password: string) {
  const messages: Msg[] = [];
  let lastId: string | undefined;
  let stopped = false;
  let connects = 0;
  const ac = new AbortController();
  (async () => {
    while (!stopped) {
      try {
        const headers: Record<string, string> = { "x-room-password": password, accept: "text/event-stream" };
        if (lastId !== undefined) headers["last-event-id"] = lastId;
        const res = await fetch(urls() + "/messages/stream", { headers, signal: ac.signal });
        if (res.status === 200 && res.body) {
          connects++;
          const parser = sseParser({
            onEvent: (e) => {
              if (e.event !== "message") return;
              if (e.id !== undefined) lastId = e.id;
              messages.push(JSON.parse(e.data) as Msg);
            },
          });
          const decoder = new TextDecoder();
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
        }
      } catch {
        /* cut: reconnect */
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 100)); // a client's reconnect delay
    }
  })();
  return {
    messages,
    get connects() {
      return connects;
    },
    stop() {
      stopped = true;
      ac.abort();
    },
  };
}

/** Every message from `agent`-prefixed posters, as texts in order. */
export const textsOf = (ms: Msg[], prefix = "p") => ms.filter((m) => m.agent.startsWith(prefix)).map((m) => m.text);

/**
 * A post sent as a client sends it while the instances come back from a Redis restart: each reconnects on its own
 * schedule, and one not back yet answers 503 STORE_UNAVAILABLE with Retry-After, which means "not stored", so the
 * client sends it again after a pause (a client's retry pause, not a wait for something to happen), for up to 30 s.
 * Any other 503 fails here; the final answer's status is returned for the caller to check.
 */
export async function postRetrying503(send: () => Promise<Response>): Promise<number> {
  for (const until = Date.now() + 30_000; ; ) {
    const res = await send();
    if (res.status !== 503 || Date.now() >= until) return res.status;
    expect(((await res.json()) as { error?: { code?: string } }).error?.code, "a 503 while Redis comes back").toBe("STORE_UNAVAILABLE");
    expect(res.headers.get("retry-after"), "the 503's Retry-After").toMatch(/^\d+$/);
    await new Promise((r) => setTimeout(r, 200));
  }
}
