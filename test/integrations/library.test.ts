// The package as a typed library (issue 11): a program outside the repository imports "agent-chat" by name (the
// built package, linked into its node_modules as an install would put it), type-checks against the shipped
// declarations, and talks to a real room with join, send, wait, read and who — the same use cases the CLI runs.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { useRooms } from "../support/room.js";
import { ROOT, cliEnv } from "../support/cli.js";

const rooms = useRooms(afterEach);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "agent-chat-lib-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "agent-chat"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function exec(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: dir, env: cliEnv(join(dir, "state"), env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`timed out: ${cmd} ${args.join(" ")}\n${stdout}\n${stderr}`))), 90_000);
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

const PROGRAM = `
import { join, send, wait, read, who, CliError, Exit, type Message } from "agent-chat";

const url = process.env.ROOM_URL!;
const { session, recent } = await join({ url, password: process.env.AGENT_CHAT_PASSWORD, name: "lib-bot" });
const me = { url: session.url, name: session.name };
const first = await send(me, "hello from code");
// Someone answers (another participant, with the password): wait returns it, marked read.
await fetch(url + "/messages", { method: "POST", headers: { "content-type": "application/json", "x-room-password": process.env.AGENT_CHAT_PASSWORD! }, body: JSON.stringify({ agent: "peer", text: "hi lib-bot" }) });
const { batch } = await wait(me, { timeoutMs: 30_000 });
const texts: string[] = batch.shown.map((m: Message) => m.text);
const again = await read(me);
const room = await who(me);
let refused = "";
try {
  await join({ url: "http://127.0.0.1:9", password: "pw", name: "nobody" }); // nothing listens on port 9
} catch (err) {
  if (err instanceof CliError) refused = err.reason + ":" + err.exitCode;
}
console.log(JSON.stringify({ recent: recent.length, sent: first.message?.text, texts, again: again.batch.shown.length, names: room.room.participants.map((p) => p.name), refused, usage: Exit.USAGE }));
`;

describe("import { join, send, wait, read, who } from \"agent-chat\"", () => {
  it("type-checks against the shipped declarations and talks to a real room", async () => {
    const room = await rooms({ title: "Library room" });
    writeFileSync(join(dir, "main.mts"), PROGRAM);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] }, files: ["main.mts"] }),
    );
    const tsc = await exec(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"]);
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.code).toBe(0);
    // Run it: strip the two type-only bits (Node 20 runs JavaScript), keep everything else as written.
    writeFileSync(join(dir, "main.mjs"), PROGRAM.replace(", type Message", "").replace(/: string\[\]/, "").replace(/\(m: Message\)/, "(m)").replace(/!/g, ""));
    const r = await exec(process.execPath, ["main.mjs"], { ROOM_URL: room.url, AGENT_CHAT_PASSWORD: room.password });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      recent: 1,
      sent: "hello from code",
      texts: ["peer joined (agent, password only).", "hi lib-bot"],
      again: 0,
      names: expect.arrayContaining(["lib-bot", "peer"]),
      refused: "UNREACHABLE:2",
      usage: 1,
    });
  });
});
