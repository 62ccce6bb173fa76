// Several `serve --redis` instances serving one room: a conversation spread over three of them (posts on each, SSE,
// long-poll and WebSocket readers on different ones) arrives everywhere once and in order; two instances racing
// for ids never share or skip one; serve refuses to start without Redis; nothing outlives the last instance.
import { spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it, onTestFinished, vi } from "vitest";
import { BIN, cliEnv } from "../support/cli.js";
import { joinWs } from "../ws/helpers.js";
import { describeRedis, freePort, startInstance, startRedis, tempDir, type Instance, type Msg, type TestRedis } from "./helpers.js";

const post = (i: Instance, agent: string, text: string) =>
  fetch(i.url + "/messages", { method: "POST", headers: { "x-room-password": i.password, "content-type": "application/json" }, body: JSON.stringify({ agent, text }) });

/** Every message of the room as one instance has it (GET /messages). */
async function history(i: Instance): Promise<Msg[]> {
  const r = await fetch(i.url + "/messages", { headers: { "x-room-password": i.password } });
  return ((await r.json()) as { messages: Msg[] }).messages;
}

/** The ids are 1..n, each once, in order. */
function expectContiguous(ms: Msg[], n: number) {
  expect(ms.map((m) => m.id)).toEqual(Array.from({ length: n }, (_, k) => k + 1));
}

describeRedis("serve --redis", () => {
  it("refuses to start when Redis is unreachable: exit 1, one line saying so", async () => {
    const t = tempDir();
    try {
      const port = await freePort(); // nothing listens there
      const r = spawnSync(process.execPath, [BIN, "serve", "--port", "0", "--host", "127.0.0.1", "--json", "--no-qr"], {
        env: cliEnv(t.dir, { AGENT_CHAT_REDIS: `redis://127.0.0.1:${port}` }),
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port}/? is unreachable: .*ECONNREFUSED`));
      expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
    } finally {
      t.cleanup();
    }
  });
});

describeRedis("three instances, one room", () => {
  let t: ReturnType<typeof tempDir>;
  let redis: TestRedis;
  let a: Instance, b: Instance, c: Instance;
  beforeAll(async () => {
    t = tempDir();
    redis = await startRedis(t.dir);
    a = await startInstance(redis.url, t.dir, ["--password", "shared-pw"]);
    // The others are given no password (or another one): they serve the room the first one stored.
    [b, c] = await Promise.all([startInstance(redis.url, t.dir), startInstance(redis.url, t.dir, ["--password", "not-this-one", "--public-url", "https://chat.example.org"])]);
  });
  afterAll(async () => {
    await Promise.all([a, b, c].map((i) => i?.stop()));
    await redis?.stop();
    t?.cleanup();
  });

  it("every instance serves the same default room: password and host token from the first", () => {
    expect([b.password, c.password]).toEqual(["shared-pw", "shared-pw"]);
    expect([b.hostToken, c.hostToken]).toEqual([a.hostToken, a.hostToken]);
    // --public-url: the invite names the balancer's URL, not the instance's own.
    expect(c.inviteUrl).toBe("https://chat.example.org");
    expect(c.invite).toContain("https://chat.example.org");
    expect(c.invite).not.toContain(c.url);
    expect(c.stderr()).toMatch(/joins the rooms already in Redis/);
  });

  it("posts on all three reach SSE, long-poll and WebSocket readers on the others once, in order", async () => {
    const before = (await history(a)).length;
    // SSE on B, a long-poll loop on C, a WebSocket on A.
    const stopSse = new AbortController();
    const sse = await fetch(b.url + `/messages/stream?after=${before}`, { headers: { "x-room-password": b.password }, signal: stopSse.signal });
    const sseMsgs: Msg[] = [];
    const reading = (async () => {
      const { sseParser } = await import("../support/sse.mjs");
      const p = sseParser({ onEvent: (e) => void (e.event === "message" && sseMsgs.push(JSON.parse(e.data))) });
      const d = new TextDecoder();
      try {
        for await (const ch of sse.body as unknown as AsyncIterable<Uint8Array>) p.feed(d.decode(ch, { stream: true }));
      } catch {
        /* closed at the end */
      }
    })();
    const pollMsgs: Msg[] = [];
    let polling = true;
    const poller = (async () => {
      let after = before;
      while (polling) {
        const r = await fetch(c.url + `/messages/poll?after=${after}&timeout=5`, { headers: { "x-room-password": c.password } }).catch((e) => {
          if (polling) throw e;
        });
        if (!r) return;
        const body = (await r.json()) as { messages: Msg[]; next: number };
        pollMsgs.push(...body.messages);
        after = body.next;
      }
    })();
    const ws = await joinWs(a.url, { password: a.password, after: before });
    onTestFinished(() => {
      // On failure too: no reader outlives the test.
      polling = false;
      stopSse.abort();
      ws.close();
    });

    // Three posters, each writing to all three instances in turn, all at once.
    const N = 30;
    const instances = [a, b, c];
    const posters = ["p-ann", "p-bob", "p-cy"];
    let total = 0;
    await Promise.all(
      posters.map(async (agent, k) => {
        for (let i = 0; i < N; i++) {
          const r = await post(instances[(i + k) % 3]!, agent, `${agent} ${i}`);
          expect(r.status).toBe(201);
          total = Math.max(total, ((await r.json()) as { message: Msg }).message.id);
        }
      }),
    );
    // The last id the posts were given (ids are 1..n): A's own copy may not have heard of B's and C's last posts yet
    // (each instance learns the others' from its subscription), so counting A's history at this point could come short.
    const wsMsgs = () => ws.frames.filter((f) => f.type === "message").map((f) => f.message as Msg);
    await vi.waitFor(() => {
      expect(sseMsgs.length).toBeGreaterThanOrEqual(total - before);
      expect(pollMsgs.length).toBeGreaterThanOrEqual(total - before);
      expect(wsMsgs().length).toBeGreaterThanOrEqual(total - before);
    }, 30_000);
    polling = false;
    await poller;
    ws.close();
    stopSse.abort();
    await reading;

    // The three instances hold the same log, ids 1..n.
    const [ha, hb, hc] = await Promise.all([history(a), history(b), history(c)]);
    expectContiguous(ha, total);
    expect(hb).toEqual(ha);
    expect(hc).toEqual(ha);
    // Each reader got exactly that log (after its cursor): nothing lost, repeated or reordered.
    const expected = ha.slice(before);
    expect(sseMsgs).toEqual(expected);
    expect(pollMsgs).toEqual(expected);
    expect(wsMsgs()).toEqual(expected);
    // And each poster's words in the order written.
    for (const p of posters) expect(expected.filter((m) => m.agent === p).map((m) => m.text)).toEqual(Array.from({ length: N }, (_, i) => `${p} ${i}`));
  });

  it("two instances racing to assign ids under load: no id twice, none skipped", async () => {
    const start = (await history(a)).at(-1)!.id;
    const PER = 150;
    const ids: number[] = [];
    // 10 concurrent writers on each of two instances.
    await Promise.all(
      [a, b].flatMap((inst, n) =>
        Array.from({ length: 10 }, async (_, w) => {
          for (let i = 0; i < PER / 10; i++) {
            const r = await post(inst, `p-race${n}-${w}`, `r${n}.${w}.${i}`);
            expect(r.status).toBe(201);
            ids.push(((await r.json()) as { message: Msg }).message.id);
          }
        }),
      ),
    );
    const posts = ids.length;
    expect(posts).toBe(2 * PER);
    expect(new Set(ids).size).toBe(posts);
    // Every id past the start belongs to a post or to a "joined" line: the log is contiguous, and holds every post.
    // (C learns A's and B's posts from its subscription: read its copy once it has heard of the last one.)
    const last = Math.max(...ids);
    const h = await vi.waitFor(async () => {
      const got = await history(c);
      expect(got.at(-1)!.id).toBeGreaterThanOrEqual(last);
      return got;
    }, 30_000);
    const mine = h.filter((m) => m.id > start);
    expect(mine.map((m) => m.id)).toEqual(Array.from({ length: mine.length }, (_, k) => start + 1 + k));
    expect(mine.filter((m) => m.agent.startsWith("p-race")).map((m) => m.id).sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
  });

  it("a participant token issued by one instance works on the others (HTTP, SSE and WebSocket), stored hashed", async () => {
    const j = await fetch(a.url + "/join", { method: "POST", headers: { "x-room-password": a.password, "content-type": "application/json" }, body: JSON.stringify({ name: "tok-ann" }) });
    expect(j.status).toBe(201);
    const { token } = (await j.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const p = await fetch(b.url + "/messages", { method: "POST", headers: auth, body: JSON.stringify({ text: "token on b" }) });
    expect(p.status).toBe(201);
    expect(((await p.json()) as { message: Msg & { verified: boolean } }).message).toMatchObject({ agent: "tok-ann", verified: true });
    const r = await fetch(c.url + "/messages?limit=1", { headers: auth });
    expect(r.status).toBe(200);
    const ws = await joinWs(c.url, { token });
    expect(ws.joined.participant).toEqual({ name: "tok-ann", kind: "agent" });
    ws.send({ type: "send", text: "token on c's socket", ref: 1 });
    expect((await ws.next("sent")).message).toMatchObject({ agent: "tok-ann", verified: true });
    ws.close();
    // A made-up token is still refused everywhere.
    const bad = await fetch(b.url + "/messages", { method: "POST", headers: { ...auth, authorization: "Bearer ac_" + "x".repeat(43) }, body: JSON.stringify({ text: "no" }) });
    expect(bad.status).toBe(401);
    // Redis holds the token's hash, never the token.
    const rc = new Redis(redis.url);
    try {
      const dump = JSON.stringify(await Promise.all((await rc.keys("agent-chat:*:tokens")).map((k) => rc.hgetall(k))));
      expect(dump).toContain("tok-ann");
      expect(dump).not.toContain(token);
    } finally {
      rc.disconnect();
    }
  });

  it("a room created on one instance is served by the others, and closing it anywhere closes it everywhere", async () => {
    const host = { authorization: `Bearer ${a.hostToken}`, "content-type": "application/json" };
    const made = await fetch(a.url + "/rooms", { method: "POST", headers: host, body: JSON.stringify({ title: "shared room" }) });
    expect(made.status).toBe(201);
    const { room } = (await made.json()) as { room: { id: string; password: string } };
    const pw = { "x-room-password": room.password, "content-type": "application/json" };
    const onB = await fetch(b.url + `/r/${room.id}/messages`, { method: "POST", headers: pw, body: JSON.stringify({ agent: "p-room", text: "posted on b" }) });
    expect(onB.status).toBe(201);
    const onC = await fetch(c.url + `/r/${room.id}/messages`, { headers: pw });
    expect(((await onC.json()) as { messages: Msg[] }).messages.filter((m) => m.agent === "p-room").map((m) => m.text)).toEqual(["posted on b"]);
    // The wrong password is still refused on an instance that learnt the room from Redis.
    expect((await fetch(c.url + `/r/${room.id}/messages`, { headers: { "x-room-password": "nope" } })).status).toBe(401);
    // A reader on C; the host closes the room through B.
    const stream = await fetch(c.url + `/r/${room.id}/messages/stream`, { headers: pw });
    const closed = (async () => {
      let text = "";
      for await (const ch of stream.body as unknown as AsyncIterable<Uint8Array>) text += Buffer.from(ch).toString();
      return text;
    })();
    const del = await fetch(b.url + `/r/${room.id}`, { method: "DELETE", headers: host });
    expect(del.status).toBe(200);
    expect(await closed).toMatch(/event: closed/);
    for (const i of [a, b, c]) {
      await vi.waitFor(async () => {
        const r = await fetch(i.url + `/r/${room.id}/messages`, { headers: pw });
        expect([404, 410]).toContain(r.status);
      }, 30_000);
    }
    // An id nobody created is 404 everywhere.
    expect((await fetch(b.url + "/r/abcdefghij/messages", { headers: pw })).status).toBe(404);
  });

  it("a WebSocket straight to an instance that has not seen a created room joins it, and gets what the others post", async () => {
    const host = { authorization: `Bearer ${a.hostToken}`, "content-type": "application/json" };
    const made = await fetch(a.url + "/rooms", { method: "POST", headers: host, body: JSON.stringify({ title: "socket first" }) });
    expect(made.status).toBe(201);
    const { room } = (await made.json()) as { room: { id: string; password: string } };
    const pw = { "x-room-password": room.password, "content-type": "application/json" };
    // C has had no HTTP request for this room: the socket is the first thing it hears of it.
    const ws = await joinWs(c.url, { password: room.password, name: "ws-cleo" }, `/r/${room.id}/ws`);
    expect(ws.joined.participant).toEqual({ name: "ws-cleo", kind: "agent" });
    expect(ws.joined.room.title).toBe("socket first");
    // A participant token minted on A for this room, used first on B's socket (B has not seen the room either).
    const j = await fetch(a.url + `/r/${room.id}/join`, { method: "POST", headers: pw, body: JSON.stringify({ name: "ws-tok" }) });
    expect(j.status).toBe(201);
    const { token } = (await j.json()) as { token: string };
    const wsB = await joinWs(b.url, { token }, `/r/${room.id}/ws`);
    expect(wsB.joined.participant).toEqual({ name: "ws-tok", kind: "agent" });
    wsB.send({ type: "send", text: "from b's socket", ref: 1 });
    expect((await wsB.next("sent")).message).toMatchObject({ agent: "ws-tok", verified: true });
    for (let i = 0; i < 5; i++) expect((await fetch(b.url + `/r/${room.id}/messages`, { method: "POST", headers: pw, body: JSON.stringify({ agent: "p-sock", text: `b${i}` }) })).status).toBe(201);
    const seen = () => ws.frames.filter((f) => f.type === "message").map((f) => f.message as Msg);
    await vi.waitFor(() => expect(seen().filter((m) => m.agent === "p-sock")).toHaveLength(5), 30_000);
    const log = ((await (await fetch(b.url + `/r/${room.id}/messages`, { headers: pw })).json()) as { messages: Msg[] }).messages;
    // Everything after the socket's join, once each and in order, as B stored it.
    expect(seen()).toEqual(log.filter((m) => m.id > (ws.joined.next as number)));
    expect(seen().filter((m) => m.agent.startsWith("p-sock") || m.agent === "ws-tok").map((m) => m.text)).toEqual(["from b's socket", "b0", "b1", "b2", "b3", "b4"]);
    ws.close();
    wsB.close();
    // A room nobody created is still refused before the handshake, on an instance that looked it up in Redis.
    await expect(joinWs(c.url, { password: "x" }, "/r/abcdefghij/ws")).rejects.toMatchObject({ status: 404, body: expect.stringContaining("ROOM_NOT_FOUND") });
  });

  it("the host pausing agents through one instance pauses them on all; resuming through another resumes them", async () => {
    const host = { authorization: `Bearer ${a.hostToken}` };
    expect((await fetch(a.url + "/host/pause", { method: "POST", headers: host })).status).toBe(200);
    for (const i of [b, c]) {
      await vi.waitFor(async () => {
        const r = await post(i, "p-paused", "should wait");
        expect(r.status).toBe(423);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe("PAUSED");
      }, 30_000);
    }
    expect((await fetch(c.url + "/host/resume", { method: "POST", headers: host })).status).toBe(200);
    for (const i of [a, b]) await vi.waitFor(async () => expect((await post(i, "p-paused", "may talk")).status).toBe(201), 30_000);
  });

  it("the room's keys expire (a crashed fleet leaves nothing for good) and the last instance out deletes them", async () => {
    const r = new Redis(redis.url);
    try {
      // A join challenge nobody spends (its key would expire within a minute by itself).
      const ch = await fetch(c.url + "/challenge", { method: "POST", headers: { "x-room-password": c.password, "content-type": "application/json" }, body: JSON.stringify({ name: "never-joins" }) });
      expect(ch.status).toBe(201);
      expect(await r.keys("agent-chat:room:*:challenge:*")).toHaveLength(1);
      const keys = await r.keys("agent-chat:*");
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(await r.pttl(k)).toBeGreaterThan(0);
      await a.stop();
      await b.stop();
      expect((await r.keys("agent-chat:*")).length).toBeGreaterThan(0); // c still serves the room
      expect((await history(c)).length).toBeGreaterThan(0);
      await c.stop();
      expect(await r.keys("*")).toEqual([]);
    } finally {
      r.disconnect();
    }
  });
});
