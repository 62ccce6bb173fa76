// listen through things that go wrong between it and the room: connections cut mid-stream (it resumes with
// Last-Event-ID, losing and repeating nothing), and proxies that buffer Server-Sent Events (it falls back to
// long-poll by itself).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufferingProxy, tcpProxy } from "../support/proxy.mjs";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { jsonLines, run, start, tempHome, until } from "./helpers.js";

let room: TestRoom;
let h: ReturnType<typeof tempHome>;

beforeAll(async () => {
  room = await startTestRoom();
  h = tempHome();
});
afterAll(async () => {
  await room.close();
  h.cleanup();
});

const post = (text: string) => room.api("/messages", { method: "POST", json: { agent: "poster", text } });
const texts = (out: string) => jsonLines<{ text: string; agent: string }>(out).filter((m) => m.agent === "poster").map((m) => m.text);

describe("listen", () => {
  it("survives its connection being cut mid-stream, again and again: every message once, in order", async () => {
    const proxy = await tcpProxy(room.port);
    const l = start(["listen", "--url", proxy.url, "--password", room.password, "--json"], { home: h.home });
    try {
      // Connected once a message posted now shows up (listen starts from "now").
      await until(async () => (await room.api("/messages", { method: "POST", json: { agent: "warm", text: "up?" } }), /"warm"/.test(l.stdout)), undefined, "listen to connect");
      const expected: string[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 5; i++) {
          const t = `r${round}-${i}`;
          expected.push(t);
          await post(t);
        }
        await l.waitFor(new RegExp(`"r${round}-4"`));
        proxy.cut();
        // Posted while listen is disconnected: they must arrive after it reconnects.
        for (let i = 5; i < 10; i++) {
          const t = `r${round}-${i}`;
          expected.push(t);
          await post(t);
        }
        await l.waitFor(new RegExp(`"r${round}-9"`));
      }
      expect(texts(l.stdout)).toEqual(expected);
      expect(l.stderr).toMatch(/the stream ended; reconnecting \(resuming after #\d+\)/);
    } finally {
      l.kill("SIGINT");
      expect((await l.exited).code).toBe(0);
      await proxy.close();
    }
  });

  it("falls back to long-poll when a proxy holds the whole stream back", async () => {
    const proxy = await bufferingProxy(room.port, { mode: "all" });
    // The CLI's own 3-s wait for the stream's first bytes (the kit's default is 30 s, for loaded machines).
    const l = start(["listen", "--url", proxy.url, "--password", room.password, "--json"], { home: h.home, env: { AGENT_CHAT_OPEN_TIMEOUT_MS: "3000" } });
    try {
      await l.waitFor(/switched to long-poll/, { from: "stderr" });
      for (let i = 0; i < 5; i++) await post(`buffered ${i}`);
      await l.waitFor(/"buffered 4"/);
      expect(texts(l.stdout)).toEqual([0, 1, 2, 3, 4].map((i) => `buffered ${i}`));
    } finally {
      l.kill("SIGTERM");
      expect((await l.exited).code).toBe(0);
      await proxy.close();
    }
  });

  it("falls back to long-poll when the stream opens but then stops delivering", async () => {
    const proxy = await bufferingProxy(room.port, { mode: "after-first" });
    const l = start(["listen", "--url", proxy.url, "--password", room.password, "--json"], { home: h.home, env: { AGENT_CHAT_STREAM_CHECK_MS: "500" } });
    try {
      // The opening comment has passed (listen is connected, reading from "now"); everything after it is held.
      await until(() => proxy.streamsHeld > 0, undefined, "listen's stream to open through the proxy");
      await post("held 1");
      await l.waitFor(/switched to long-poll/, { from: "stderr" });
      await post("held 2");
      await l.waitFor(/"held 2"/);
      expect(texts(l.stdout)).toEqual(["held 1", "held 2"]);
    } finally {
      l.kill("SIGTERM");
      await l.exited;
      await proxy.close();
    }
  });

  it("a cursor older than the kept history gets an explicit note, never a silent gap (listen and read)", async () => {
    const small = await startTestRoom({ history: 5 });
    const hm = tempHome();
    try {
      await run(["join", "--url", small.url, "--password", small.password, "--name", "late"], { home: hm.home });
      for (let i = 1; i <= 12; i++) await small.api("/messages", { method: "POST", json: { agent: "poster", text: `n${i}` } });
      const l = start(["listen", "--after", "2", "--json"], { home: hm.home });
      await l.waitFor(/"n12"/);
      expect(l.stderr).toBe("agent-chat: message #2 is not in the room's history (restarted or full); continuing from #10.\n");
      // ids: 1-2 joins, 3-14 n1-n12; five kept: 10-14.
      expect(texts(l.stdout)).toEqual(["n8", "n9", "n10", "n11", "n12"]);
      l.kill("SIGINT");
      await l.exited;
      const r = await run(["read"], { home: hm.home });
      expect(r.stdout.split("\n")[0]).toBe("note: message #1 is not in this room's history (the room restarted or its history is full); continuing from #10.");
    } finally {
      hm.cleanup();
      await small.close();
    }
  });

  it("--after 0 replays the history first; --poll starts with long-poll", async () => {
    await post("replayed");
    const l = start(["listen", "--url", room.url, "--password", room.password, "--json", "--after", "0", "--poll"], { home: h.home });
    try {
      await l.waitFor(/"replayed"/);
      await post("after replay");
      await l.waitFor(/"after replay"/);
      const ids = jsonLines<{ id: number }>(l.stdout).map((m) => m.id);
      expect(ids).toEqual(Array.from({ length: room.room.history.lastId }, (_, i) => i + 1));
      expect(l.stderr).toBe("");
    } finally {
      l.kill("SIGINT");
      await l.exited;
    }
  });
});
