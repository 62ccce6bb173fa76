// Two agents with different names on one machine (one AGENT_CHAT_HOME): identities and cursors never mix, and a
// `wait` loop sees every message exactly once.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { jsonLines, run, tempHome } from "./helpers.js";

let room: TestRoom;
let h: ReturnType<typeof tempHome>;
const cli = (args: string[]) => run(args, { home: h.home });

beforeAll(async () => {
  room = await startTestRoom();
  h = tempHome();
});
afterAll(async () => {
  await room.close();
  h.cleanup();
});

describe("two names, one state dir", () => {
  it("the second join prints commands with --name; each identity has its own owner-only file", async () => {
    const a = await cli(["join", "--url", room.url, "--password", room.password, "--name", "ann"]);
    // Every printed command carries the name, even with one name joined (issue 13: one way to carry it).
    expect(a.stdout).toContain("  agent-chat wait --name ann  ");
    const b = await cli(["join", "--name", "ben"]); // same room: url and password come from the first join
    expect(b.code).toBe(0);
    expect(b.stdout).toContain("  agent-chat wait --name ben  ");
    expect(b.stdout).toContain('  agent-chat send --name ben --if-caught-up "your message"  ');
    const dir = join(h.home, "sessions");
    const files = readdirSync(dir);
    expect(files).toHaveLength(2);
    const saved = files.map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
    expect(saved.map((s) => s.name).sort()).toEqual(["ann", "ben"]);
    expect(saved[0].token).not.toBe(saved[1].token);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o077).toBe(0);
    expect(statSync(h.home + "/sessions").mode & 0o077).toBe(0);
  });

  it("without --name (or AGENT_CHAT_NAME) commands refuse and name the choices", async () => {
    for (const cmd of [["send", "who am I?"], ["read"], ["wait", "--timeout", "0"]]) {
      const r = await cli(cmd);
      expect(r).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `agent-chat ${cmd[0]}: 2 names are joined on this machine (ann, ben): say which one you are with --name ann or --name ben (or set AGENT_CHAT_NAME).\n`,
      });
    }
    const viaEnv = await run(["send", "I am ben"], { home: h.home, env: { AGENT_CHAT_NAME: "ben" } });
    expect(viaEnv.code).toBe(0);
    expect(room.room.history.since(room.room.history.lastId - 1).items.map((j) => JSON.parse(j))).toMatchObject([{ agent: "ben", text: "I am ben", verified: true }]);
  });

  it("each name speaks as itself and keeps its own cursor", async () => {
    await cli(["read", "--name", "ann"]);
    await cli(["read", "--name", "ben"]);
    await cli(["send", "--name", "ann", "from ann"]);
    // ben talks after ann without having read her: his send shows her message and marks it read (issue 13).
    const sent = await cli(["send", "--name", "ben", "from ben", "--json"]);
    expect(jsonLines(sent.stdout)).toMatchObject([{ agent: "ben", text: "from ben" }, { agent: "ann", text: "from ann" }]);
    const ann = await cli(["read", "--name", "ann", "--json"]);
    const ben = await cli(["read", "--name", "ben", "--json"]);
    expect(jsonLines(ann.stdout)).toMatchObject([{ agent: "ben", text: "from ben" }]);
    expect(jsonLines(ben.stdout)).toEqual([]);
    // ann reading did not move ben's cursor, and vice versa.
    expect((await cli(["read", "--name", "ann"])).stdout).toMatch(/^No new messages after #\d+\.\n$/);
  });

  it("two wait loops, 100 messages from a third party plus their own: none missed or repeated for either", async () => {
    const N = 100;
    const seen: Record<string, number[]> = { ann: [], ben: [] };
    let sent = 0;
    const sender = (async () => {
      for (let i = 1; i <= N; i++) {
        const r = await room.api("/messages", { method: "POST", json: { agent: "third", text: `m${i}` } });
        expect(r.status).toBe(201);
        sent = i;
        if (i % 7 === 0) await new Promise((r) => setTimeout(r, 40 + Math.random() * 80));
      }
    })();
    const loop = async (name: string) => {
      let calls = 0;
      const texts: string[] = [];
      while (!texts.includes(`m${N}`)) {
        if (++calls > 200) throw new Error(`${name}: too many calls`);
        const r = await cli(["wait", "--name", name, "--json", "--timeout", "10"]);
        expect(r.code).toBe(0);
        for (const m of jsonLines<{ id: number; agent: string; text: string }>(r.stdout)) {
          expect(m.agent).not.toBe(name); // own messages are never shown
          seen[name]!.push(m.id);
          if (m.agent === "third") texts.push(m.text);
        }
        // Now and then speak, so the cursor has to move past our own messages too.
        // (send shows, and marks read, what arrived before it since issue 13: that is part of what this name saw.)
        if (calls % 3 === 0 && sent < N) {
          const s = await cli(["send", "--name", name, `${name} says ${calls}`, "--json"]);
          expect(s.code).toBe(0);
          for (const m of jsonLines<{ id: number; agent: string; text: string }>(s.stdout).slice(1)) {
            expect(m.agent).not.toBe(name);
            seen[name]!.push(m.id);
            if (m.agent === "third") texts.push(m.text);
          }
        }
      }
      return texts;
    };
    const [annTexts, benTexts] = await Promise.all([loop("ann"), loop("ben"), sender]);
    const expected = Array.from({ length: N }, (_, i) => `m${i + 1}`);
    expect(annTexts).toEqual(expected);
    expect(benTexts).toEqual(expected);
    for (const ids of Object.values(seen)) {
      expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in order
      expect(new Set(ids).size).toBe(ids.length); // exactly once
    }
    // Each saw the other's messages too.
    const all = room.room.history.all().items.map((j) => JSON.parse(j) as { id: number; agent: string; text: string });
    // ben's loop ends once it has seen the last third-party message; ann may still speak after that (her "sent < N"
    // check can run before the sender records its last post), and ben never reads those. Up to that message he
    // read everything.
    const lastId = all.find((m) => m.agent === "third" && m.text === `m${N}`)!.id;
    const byAnn = all.filter((m) => m.agent === "ann" && m.id > seen.ben![0]! && m.id < lastId).map((m) => m.id);
    expect(byAnn.every((id) => seen.ben!.includes(id))).toBe(true);
  }, 90_000);
});
