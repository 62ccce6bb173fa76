// One identity per agent (issue 13): a second live agent process using a name this machine already holds gets a clear
// choice — another name, or --share — instead of silently sharing the first one's token, read position and "you"
// marks. The owner is the agent process (the nearest ancestor that is not a shell or npx); AGENT_CHAT_OWNER_PID lets
// this test play two agents with two real, live processes.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { ROOT, run, tempHome } from "../support/cli.js";

let room: TestRoom;
let h: ReturnType<typeof tempHome>;
const agents: ChildProcess[] = [];
/** A live process standing in for an agent (Claude Code, Codex…) that runs CLI commands. */
function agentProcess(): ChildProcess {
  const p = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
  agents.push(p);
  return p;
}
beforeAll(async () => {
  room = await startTestRoom();
  h = tempHome();
});
afterAll(async () => {
  for (const a of agents) a.kill("SIGKILL");
  await room.close();
  h.cleanup();
});

describe("one identity per agent process", () => {
  it("a second live agent is refused the first one's name, with the choice; --share or another name works", async () => {
    const a = agentProcess();
    const b = agentProcess();
    const as = (p: ChildProcess, args: string[]) => run(args, { home: h.home, env: { AGENT_CHAT_OWNER_PID: String(p.pid) } });
    expect((await as(a, ["join", "--url", room.url, "--password", room.password, "--name", "alice"])).code).toBe(0);
    // The same agent again: idempotent, as before.
    expect((await as(a, ["join", "--name", "alice"])).code).toBe(0);

    const before = room.room.history.lastId;
    const refused = await as(b, ["join", "--url", room.url, "--name", "alice"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`alice is already joined in ${room.url} by another running process on this machine (pid ${a.pid})`);
    expect(refused.stderr).toContain("join --url");
    expect(refused.stderr).toContain("--name alice-2");
    expect(refused.stderr).toContain("--share");
    // Nor can it read, wait or send as alice behind the first agent's back.
    for (const cmd of [["send", "hi"], ["read"], ["wait", "--timeout", "0"], ["leave"]]) {
      const r = await as(b, [...cmd, "--name", "alice"]);
      expect(r.code, cmd.join(" ")).toBe(1);
      expect(r.stderr).toContain("already joined");
    }
    expect(room.room.history.lastId).toBe(before); // nothing was posted, nobody left
    // status only looks, so it reports the name instead of refusing, and says who holds it.
    const status = await as(b, ["status", "--name", "alice"]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`note:     alice was joined here by another running process (pid ${a.pid})`);

    // On purpose: --share acts as the same participant (no second join notice).
    const shared = await as(b, ["join", "--name", "alice", "--share"]);
    expect(shared.code).toBe(0);
    expect(room.room.history.lastId).toBe(before);
    // Or a name of its own.
    expect((await as(b, ["join", "--url", room.url, "--name", "alice-2"])).code).toBe(0);

    // The first agent is gone: its name is free to take here.
    a.kill("SIGKILL");
    await new Promise((r) => a.once("exit", r));
    const taken = await as(b, ["join", "--name", "alice"]);
    expect(taken.code, taken.stderr).toBe(0);
    expect((await as(b, ["read", "--name", "alice"])).code).toBe(0);
  });

  it("the owner is the agent, not the shell or npx in between", async () => {
    // This test process plays the agent: bash runs node, which asks who owns it.
    const probe = `import(${JSON.stringify(join(ROOT, "dist/client/owner.js"))}).then((m) => console.log(m.currentOwner().pid))`;
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn("bash", ["-c", `sh -c '"${process.execPath}" -e "$0"' '${probe}'`], { stdio: ["ignore", "pipe", "inherit"] });
      let s = "";
      c.stdout.on("data", (d) => (s += d));
      c.on("error", reject);
      c.on("close", () => resolve(s.trim()));
    });
    expect(Number(out)).toBe(process.pid);
  });
});
