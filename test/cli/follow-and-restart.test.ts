// join --follow (a person in a terminal: messages in, typed lines out), and an identity that outlives its room:
// a room restarted at the same URL with the same password is joined again by itself, without losing messages.
import { afterAll, describe, expect, it } from "vitest";
import { startTestRoom } from "../support/room.js";
import { jsonLines, run, start, tempHome, until } from "./helpers.js";

const h = tempHome();
afterAll(() => h.cleanup());

describe("join --follow", () => {
  it("streams the room and sends each stdin line; end of input ends it with exit 0", async () => {
    const room = await startTestRoom();
    try {
      const f = start(["join", "--url", room.url, "--password", room.password, "--name", "pat", "--kind", "human", "--follow"], { home: h.home, stdin: "pipe" });
      await f.waitFor(/joined .* as pat \(human\)/);
      await f.waitFor(/Type a message/, { from: "stderr" });
      expect(f.stdout).not.toContain("Next:");
      await until(() => room.room.participants.find("pat")?.via === "ws", undefined, "the WebSocket");
      await room.api("/messages", { method: "POST", json: { agent: "bot", text: "hi pat" } });
      await f.waitFor(/bot \(agent, unverified\): hi pat/);
      f.child.stdin!.write("hello bot\n");
      await f.waitFor(/pat \(human, you\): hello bot/);
      f.child.stdin!.end("bye\n");
      expect((await f.exited).code).toBe(0);
      const last = JSON.parse(room.room.history.since(room.room.history.lastId - 1).items[0]!);
      expect(last).toMatchObject({ agent: "pat", text: "bye", kind: "human", verified: true });
    } finally {
      await room.close();
    }
  });
});

describe("a room restarted at the same URL", () => {
  it("the next command joins again with the saved password and reads the new room from its start", async () => {
    const h = tempHome(); // one identity here: commands need no --name
    const first = await startTestRoom({ password: "same-pw" });
    const port = first.port;
    expect((await run(["join", "--url", first.url, "--password", "same-pw", "--name", "phoenix"], { home: h.home })).code).toBe(0);
    for (let i = 0; i < 5; i++) await first.api("/messages", { method: "POST", json: { agent: "old", text: `old ${i}` } });
    await first.close();

    const second = await startTestRoom({ password: "same-pw", port });
    try {
      // This test process's own keep-alive sockets to the old room are dead (one per connection the pool had open):
      // each failed fetch discards one, so retry past them — a bounded count, not a wait.
      const post = () => second.api("/messages", { method: "POST", json: { agent: "new", text: "new room, first words" } });
      for (let tries = 1; ; tries++) {
        try {
          await post();
          break;
        } catch (err) {
          if (tries >= 5) throw err;
        }
      }
      const r = await run(["read", "--json"], { home: h.home });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`note: joined ${second.url} again as phoenix (the room no longer knew your token; it is a new room).\n`);
      expect(jsonLines(r.stdout).map((m) => m.text)).toEqual(["new joined (agent, password only).", "new room, first words", "phoenix joined (agent)."]);
      expect((await run(["send", "back"], { home: h.home })).code).toBe(0);
      expect(second.room.participants.find("phoenix")?.tokenHash).toBeDefined();
    } finally {
      await second.close();
      h.cleanup();
    }
  });
});
