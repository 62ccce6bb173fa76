// `agent-chat send` when the answer to its POST is lost — what an agent sees when the instance behind a balancer dies
// with its request in hand (serve --redis, README "Running it for an organisation"): the connection drops after the
// message was stored, or before it reached the room, or the balancer answers 502 as nginx does. The send looks the
// message up before sending it again: it exits 0 and the room holds the message exactly once, in every case. A room
// that cannot be reached at all still fails as before (exit 2).
import { afterEach, beforeEach, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { jsonLines, run, start, tempHome } from "../support/cli.js";
import { losingProxy, type Mode } from "../support/losing-proxy.js";

let room: TestRoom;
let h: ReturnType<typeof tempHome>;
beforeEach(async () => {
  room = await startTestRoom();
  h = tempHome();
});
afterEach(async () => {
  await room.close();
  h.cleanup();
});

const texts = () => room.room.history.since(0).items.map((j) => JSON.parse(j) as { agent: string; text: string }).filter((m) => m.agent === "lost-bot").map((m) => m.text);

for (const mode of ["stored, then cut", "cut before it arrives", "stored, then 502"] as Mode[]) {
  it(`the answer is lost (${mode}): send exits 0 and the message is in the room once`, async () => {
    const proxy = await losingProxy(room.url, mode);
    try {
      const j = await run(["join", "--url", proxy.url, "--password", room.password, "--name", "lost-bot"], { home: h.home });
      expect(j.code, j.stderr).toBe(0);
      const r = await run(["send", "deploy 42 is out", "--name", "lost-bot", "--json"], { home: h.home });
      expect(r.code, r.stderr).toBe(0);
      const [sent] = jsonLines<{ id: number; text: string }>(r.stdout);
      expect(sent!.text).toBe("deploy 42 is out");
      expect(texts()).toEqual(["deploy 42 is out"]);
      expect(JSON.parse(room.room.history.since(sent!.id - 1, 1).items[0]!).text).toBe("deploy 42 is out"); // the id printed is the stored one
      // Sent again only when it had not arrived.
      expect(proxy.posts).toBe(mode === "cut before it arrives" ? 2 : 1);
      // The next send goes as usual.
      const next = await run(["send", "and 43", "--name", "lost-bot"], { home: h.home });
      expect(next.code, next.stderr).toBe(0);
      expect(texts()).toEqual(["deploy 42 is out", "and 43"]);
    } finally {
      await proxy.close();
    }
  });
}

it("join --follow: a typed line whose answer a balancer lost (502 after it was stored) is shown and stored once", async () => {
  const proxy = await losingProxy(room.url, "stored, then 502");
  try {
    const f = start(["join", "--url", proxy.url, "--password", room.password, "--name", "lost-bot", "--follow"], { home: h.home, stdin: "pipe" });
    await f.waitFor(/Type a message/, { from: "stderr" });
    f.child.stdin!.write("deploy 42 is out\n");
    await f.waitFor(/lost-bot \(agent, you\): deploy 42 is out/);
    f.child.stdin!.end("and 43\n");
    expect((await f.exited).code, f.stderr).toBe(0);
    expect(texts()).toEqual(["deploy 42 is out", "and 43"]);
    expect(proxy.posts).toBe(2); // the lost one and "and 43": nothing sent twice
    expect(f.stdout.match(/deploy 42 is out/g)).toHaveLength(1);
  } finally {
    await proxy.close();
  }
});

// The client's own deadline (AGENT_CHAT_REQUEST_TIMEOUT, seconds) stands in for a frozen instance: what is measured is
// what the send does after it, not how long it waits.
const deadline = { AGENT_CHAT_REQUEST_TIMEOUT: "5" };

it("no answer in time, but the message was stored: send finds it, exits 0, and it is in the room once", async () => {
  const proxy = await losingProxy(room.url, "stored, no answer");
  try {
    expect((await run(["join", "--url", proxy.url, "--password", room.password, "--name", "lost-bot"], { home: h.home })).code).toBe(0);
    const r = await run(["send", "deploy 42 is out", "--name", "lost-bot"], { home: h.home, env: deadline });
    expect(r.code, r.stderr).toBe(0);
    expect(texts()).toEqual(["deploy 42 is out"]);
    expect(proxy.posts).toBe(1);
  } finally {
    await proxy.close();
  }
});

it("no answer in time and not stored: send is NOT sent again (the held request may still go through) and exits 2", async () => {
  const proxy = await losingProxy(room.url, "held, no answer");
  try {
    expect((await run(["join", "--url", proxy.url, "--password", room.password, "--name", "lost-bot"], { home: h.home })).code).toBe(0);
    const r = await run(["send", "deploy 42 is out", "--name", "lost-bot"], { home: h.home, env: deadline });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no answer within 5 s/);
    expect(proxy.posts).toBe(1);
    expect(texts()).toEqual([]);
  } finally {
    await proxy.close();
  }
});

it("a room that cannot be reached at all: send still fails with exit 2 and sends nothing later", async () => {
  const proxy = await losingProxy(room.url, "stored, then cut");
  const j = await run(["join", "--url", proxy.url, "--password", room.password, "--name", "lost-bot"], { home: h.home });
  expect(j.code, j.stderr).toBe(0);
  await proxy.close(); // nothing listens there now
  const r = await run(["send", "anyone?", "--name", "lost-bot"], { home: h.home });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/cannot reach .*connection refused/);
  expect(texts()).toEqual([]);
});
