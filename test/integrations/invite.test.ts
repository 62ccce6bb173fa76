// The instruction block is the product's front door: this test follows it literally, as a fresh agent would — a CLI
// agent runs its Node lines and a curl-only agent its curl lines (heredocs and all), filling in only the placeholders
// an agent fills in (its name, TOKEN, CURSOR, the message text). They talk, neither misses nor repeats a message,
// and both leave. Also: every `npx -y agent-chat@X.Y.Z` in the invite, README and SKILL.md pins package.json's version.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NPX, VERSION } from "../../src/protocol/invite.js";
import { useRooms } from "../support/room.js";
import { BIN, ROOT, cliEnv, tempHome } from "../support/cli.js";
import { afterEach } from "vitest";

const rooms = useRooms(afterEach);
let h: ReturnType<typeof tempHome>;
beforeAll(() => void (h = tempHome()));
afterAll(() => h.cleanup());

/** The commands of one section of the block: indented lines, a heredoc's lines joined to its command; no comments. */
function section(invite: string, heading: RegExp): string[] {
  const lines = invite.split("\n");
  let i = lines.findIndex((l) => heading.test(l)) + 1;
  const out: string[] = [];
  for (; i < lines.length && lines[i]!.trim(); i++) {
    const line = lines[i]!;
    if (/^\s*#/.test(line) || !line.startsWith("  ")) continue; // comments, and the prose under the heading
    if (/<<'EOF'$/.test(line)) {
      const body: string[] = [line.trim()];
      while (lines[++i] !== "EOF") body.push(lines[i]!);
      out.push([...body, "EOF"].join("\n"));
    } else out.push(line.trim());
  }
  return out;
}

/** Run a line in bash exactly as written, the pinned npx replaced by the built CLI (nothing is fetched). */
function bash(line: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cmd = line.split(NPX).join(`"${process.execPath}" "${BIN}"`);
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", cmd], { env: cliEnv(h.home), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`timed out: ${line}\n${stdout}\n${stderr}`))), 60_000);
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

describe("the invite, followed literally", () => {
  it("a CLI agent and a curl agent join, talk both ways (quotes and all), see each message once, and leave", async () => {
    // A password with a quote and a space: the block must still paste as it is.
    const room = await rooms({ password: "it's a pass" });
    const invite = await (await room.api("/invite")).text();
    expect(invite).not.toMatch(/--password/); // never on a command line (ps shows argv to every local user)

    const node = section(invite, /^With Node\.js/);
    const curl = section(invite, /^With curl only/);
    expect(node.map((l) => l.match(/agent-chat@[\d.]+ (\w+)/)?.[1])).toEqual(["join", "send", "wait", "read", "leave"]);
    expect(curl).toHaveLength(4); // join, poll, post, leave
    const [cJoin, cSend, cWait, cRead, cLeave] = node.map((l) => l.replaceAll("YOUR-NAME", "cli-bot"));
    const [uJoin, uPoll, uPost, uLeave] = curl.map((l) => l.replaceAll("YOUR-NAME", "curl-bot"));

    // curl joins first: the answer carries its token, cursor and the recent messages.
    const joined = JSON.parse((await bash(uJoin!)).stdout) as { token: string; cursor: number; messages: unknown[] };
    expect(joined.token).toMatch(/^ac_/);
    expect(Array.isArray(joined.messages)).toBe(true);
    const withCreds = (l: string, cursor: number) => l.replaceAll("TOKEN", joined.token).replaceAll("CURSOR", String(cursor));

    // The CLI agent joins (password from the environment of that line only) and speaks; the literal text is fine.
    expect((await bash(cJoin!)).code).toBe(0);
    const sent = await bash(cSend!);
    expect(sent).toMatchObject({ code: 0 });
    expect(sent.stdout).toMatch(/^sent #\d+/);

    // curl polls (own messages left out) and gets the CLI's words.
    const polled = JSON.parse((await bash(withCreds(uPoll!, joined.cursor))).stdout) as { messages: { agent: string; text: string }[]; cursor: number };
    expect(polled.messages.filter((m) => m.agent === "cli-bot").map((m) => m.text)).toEqual(["your message"]);

    // curl answers with quotes an inline -d '…' would break on; the answer says what it had not seen (nothing).
    const text = `it's "fine": no escaping needed`;
    const post = withCreds(uPost!, polled.cursor).replace("your message (any quotes are fine inside this block)", text.replace(/"/g, '\\"'));
    const posted = JSON.parse((await bash(post)).stdout) as { message: { id: number; text: string }; unread: unknown[]; cursor: number };
    expect(posted.message.text).toBe(text);
    expect(posted.unread).toEqual([]);
    expect(posted.cursor).toBe(posted.message.id);

    // The CLI agent's wait shows it once; read then has nothing; an empty wait would be normal.
    const waited = await bash(cWait!);
    expect(waited.stdout).toContain(`curl-bot (agent): ${text}`);
    expect((await bash(cRead!)).stdout).toMatch(/^No new messages after #\d+\.\n$/);

    // Both leave, as the block's last lines say.
    expect((await bash(cLeave!)).stdout).toMatch(/^left .* as cli-bot/);
    expect(JSON.parse((await bash(withCreds(uLeave!, posted.cursor))).stdout)).toEqual({ ok: true });
    const people = (await (await room.api("/room")).json()) as { participants: { name: string }[] };
    expect(people.participants.map((p) => p.name)).not.toContain("cli-bot");
  });
});

describe("the published version is pinned everywhere", () => {
  it("invite, README and SKILL.md say npx -y agent-chat@<package.json version>", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(NPX).toBe(`npx -y agent-chat@${pkg.version}`);
    for (const file of ["README.md", "skills/agent-chat/SKILL.md"]) {
      const text = readFileSync(join(ROOT, file), "utf8");
      const npx = [...text.matchAll(/npx -y agent-chat(@\S*)?/g)].map((m) => m[0]);
      expect(npx.length, file).toBeGreaterThan(0);
      for (const n of npx) expect(n, file).toBe(`npx -y agent-chat@${pkg.version}`);
      // The password is never taught on a command line.
      expect(text, file).not.toMatch(/agent-chat\S* (mcp|join)[^\n]*--password/);
    }
  });
});
