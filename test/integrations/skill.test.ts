// skills/agent-chat/SKILL.md is only useful if every command in it works as written. This test takes each
// `npx -y agent-chat …` line from its code blocks and runs it with the built CLI (node bin/agent-chat.mjs) in a
// fresh state dir: the host commands start the room everything else then talks in. Placeholders are filled in
// (URL, PASSWORD, YOUR-NAME); `serve` gets --port 0 --host 127.0.0.1 so the test never needs port 8765, and
// `notify` a longer --timeout so a loaded machine does not make it (rightly) say nothing.
// Another participant writes before each read/wait/notify, so those have something to show and return at once.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, cliEnv, run, tempHome } from "../cli/helpers.js";

const SKILL = readFileSync(join(ROOT, "skills/agent-chat/SKILL.md"), "utf8");
const NAME = "skill-bot";

/** Every line in a fenced code block that runs agent-chat, in document order. */
function commandLines(md: string): string[] {
  const lines: string[] = [];
  for (const block of md.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)) {
    for (const line of block[1]!.split("\n")) if (CMD.test(line)) lines.push(line.trim());
  }
  return lines;
}

// An optional AGENT_CHAT_*=… prefix (the password rides in the environment), then the pinned npx (issue 12).
const CMD = /^\s*(AGENT_CHAT_\w+=\S+ )*(npx -y )?agent-chat(@[\w.-]+)?\s/;
const sub = (line: string) => line.replace(CMD, "").split(/\s/)[0]!;

/** Run one line through a shell (quotes and comments as an agent's shell sees them). */
function sh(line: string, home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cmd = line.replace(/(npx -y )?agent-chat(@[\w.-]+)?(?=\s)/, `"${process.execPath}" "${BIN}"`);
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", cmd], { env: cliEnv(home), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`timed out: ${line}\n${stdout}\n${stderr}`))), 30_000);
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

describe("SKILL.md", () => {
  let h: ReturnType<typeof tempHome>;
  let url = "";
  let password = "";

  beforeAll(() => {
    h = tempHome();
  });
  afterAll(async () => {
    await run(["stop", "--all"], { home: h.home }); // in case a step failed before `stop`
    h.cleanup();
  });

  it("has Agent Skills front matter: name and a description that says when to use it", () => {
    const fm = SKILL.match(/^---\n([\s\S]*?)\n---\n/);
    expect(fm).not.toBeNull();
    expect(fm![1]).toMatch(/^name: agent-chat$/m);
    const description = fm![1]!.match(/^description: (.+)$/m)?.[1] ?? "";
    expect(description).toMatch(/Use when/);
    expect(description.length).toBeLessThanOrEqual(1024);
  });

  it("shows how to host, join, talk, wait, read and stop", () => {
    const subs = new Set(commandLines(SKILL).map(sub));
    for (const s of ["serve", "stop", "join", "send", "wait", "read", "who"]) expect(subs, s).toContain(s);
    expect(commandLines(SKILL).some((l) => /wait .*--mention/.test(l))).toBe(true);
    expect(SKILL).toMatch(/untrusted input/);
  });

  it("every command in it runs against a real room, exit 0", async () => {
    const lines = commandLines(SKILL);
    const serve = lines.filter((l) => sub(l) === "serve");
    const last = lines.filter((l) => ["leave", "stop"].includes(sub(l)));
    const middle = lines.filter((l) => !serve.includes(l) && !last.includes(l));
    const fill = (l: string) => l.replace(/\bURL\b/g, url).replace(/\bPASSWORD\b/g, password).replaceAll("YOUR-NAME", NAME);
    let peerCount = 0;
    const peer = async (text: string) => {
      const res = await fetch(`${url}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-room-password": password },
        body: JSON.stringify({ agent: "peer-bot", text: `${text} (${++peerCount})` }),
      });
      expect(res.status).toBe(201);
    };
    const ran: string[] = [];

    for (const line of serve) {
      const r = await sh(`${line} --port 0 --host 127.0.0.1`, h.home);
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      url = r.stdout.match(/Local: +(\S+)/)?.[1] ?? "";
      password = r.stdout.match(/Password: +(\S+)/)?.[1] ?? "";
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(password).not.toBe("");
      ran.push(line);
    }
    for (const line of [...middle, ...last]) {
      const s = sub(line);
      if (s === "wait" || s === "read" || s === "notify") await peer(line.includes("--mention") ? `@${NAME} over to you` : "news for you");
      // notify gives up silently after 1.5 s; a loaded test machine gets more time.
      const r = await sh(s === "notify" ? `${fill(line)} --timeout 10` : fill(line), h.home);
      expect(r.code, `${fill(line)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
      if (s === "join") expect(r.stdout).toContain(`as ${NAME} (agent)`);
      if (s === "wait" || s === "read") expect(r.stdout).toContain(`peer-bot (agent, unverified${line.includes("--mention") ? ", @you" : ""}): `);
      if (s === "notify") expect(r.stdout).toMatch(/^agent-chat: \d+ unread/);
      if (s === "who") expect(r.stdout).toContain(NAME);
      if (s === "status") expect(r.stdout).toContain(`token:    valid: you are ${NAME}`);
      if (s === "stop") expect(r.stdout).toMatch(/^stopped /);
      ran.push(line);
    }
    expect(ran.length).toBe(lines.length);
    console.log(`ran ${ran.length} SKILL.md commands: ${ran.map(sub).join(", ")}`);
  });
});
