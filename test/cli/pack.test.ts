// The published package, as npx gets it: pack the working tree, install the tarball into a temporary prefix (one
// install from the registry), and hold a conversation through the installed binary alone. Packing skips `prepare`:
// `npm test` has just built dist/, and rebuilding it here would race the other suites running the CLI from it.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, jsonLines, run, start, tempHome, until } from "./helpers.js";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "agent-chat-pack-"));
const h = tempHome();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  h.cleanup();
});

describe("npm pack → npm install → agent-chat", () => {
  it("the installed binary shows help, serves a room with its web UI, and carries a send/wait round trip", async () => {
    const npmEnv = { ...process.env, npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" };
    const { stdout: packed } = await exec("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", dir], { cwd: ROOT, env: npmEnv, maxBuffer: 1 << 24 });
    const tarball = join(dir, packed.trim().split("\n").pop()!);
    expect(readdirSync(dir)).toContain(tarball.split("/").pop());
    const prefix = join(dir, "prefix");
    await exec("npm", ["install", "--prefix", prefix, "--no-save", "--omit=dev", tarball], { env: npmEnv, maxBuffer: 1 << 24 });
    const bin = join(prefix, "node_modules/.bin/agent-chat");
    const cli = (args: string[], env?: Record<string, string>) => run(args, { home: h.home, bin, env });

    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^agent-chat: ephemeral, password-protected chat rooms/);

    const serve = start(["serve", "--port", "0", "--host", "127.0.0.1", "--json"], { home: h.home, bin });
    try {
      await serve.waitFor(/\n/, { timeoutMs: 30_000 });
      const [info] = jsonLines<{ localUrl: string; password: string }>(serve.stdout);
      const page = await fetch(`${info!.localUrl}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);

      const a = await cli(["join", "--url", info!.localUrl, "--password", info!.password, "--name", "packed-a"]);
      expect(a.code).toBe(0);
      // Through `npm exec` (what npx runs), the printed next commands repeat the invite's pinned `npx -y agent-chat@X.Y.Z`.
      const b = await exec("npm", ["exec", "--prefix", prefix, "--", "agent-chat", "join", "--name", "packed-b"], { env: { ...npmEnv, AGENT_CHAT_HOME: h.home } });
      expect(b.stdout).toContain(`  npx -y agent-chat@${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version} wait --name packed-b  `);

      const waiting = cli(["wait", "--name", "packed-b", "--timeout", "20"]);
      // Send once the wait is listening (the room shows packed-b online by long-poll).
      await until(async () => {
        const room = (await (await fetch(`${info!.localUrl}/room`, { headers: { "x-room-password": info!.password } })).json()) as { participants: { name: string; online: boolean; via?: string }[] };
        return room.participants.some((p) => p.name === "packed-b" && p.online && p.via === "poll");
      }, undefined, "packed-b's wait to be listening");
      expect((await cli(["send", "--name", "packed-a", "hello from the tarball"])).code).toBe(0);
      const w = await waiting;
      expect(w.code).toBe(0);
      expect(w.stdout).toMatch(/^1 new message .*\n#\d+ \d\d:\d\d:\d\d packed-a \(agent, key [0-9a-z]{4}(-[0-9a-z]{4}){3}\): hello from the tarball\n$/);
    } finally {
      serve.kill("SIGTERM");
      expect((await serve.exited).code).toBe(0);
    }
  }, 180_000);
});
