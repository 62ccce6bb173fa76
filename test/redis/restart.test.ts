// Redis restarted WITHOUT persistence (the test Redis runs --appendonly no --save ""): it comes back empty. The
// instances notice (a room's id counter gone while they hold its messages) and put back what they hold before
// appending again (src/rooms/redis/reseed.ts): ids go on above every earlier id, readers on every instance keep their
// cursors and miss nothing, and an instance started afterwards serves the same rooms (password, history, created
// room, a token issued before).
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { foldName } from "../../src/protocol/names.js";
import { describeRedis, postRetrying503, resumingStream, startInstance, startRedis, tempDir, type Instance, type Msg, type TestRedis } from "./helpers.js";

const post = (url: string, headers: Record<string, string>, agent: string, text: string) =>
  fetch(url + "/messages", { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ agent, text }) });

async function history(url: string, headers: Record<string, string>): Promise<Msg[]> {
  const r = await fetch(url + "/messages?limit=1000", { headers });
  expect(r.status).toBe(200);
  return ((await r.json()) as { messages: Msg[] }).messages;
}

describeRedis("Redis restarted without persistence", () => {
  let t: ReturnType<typeof tempDir>;
  let redis: TestRedis;
  const instances: Instance[] = [];
  beforeAll(async () => {
    t = tempDir();
    redis = await startRedis(t.dir); // no append-only file: a restart loses everything
    instances.push(await startInstance(redis.url, t.dir, ["--password", "pw"]));
    instances.push(...(await Promise.all([startInstance(redis.url, t.dir), startInstance(redis.url, t.dir)])));
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop("SIGKILL")));
    await redis?.stop();
    t?.cleanup();
  });

  it("ids go on above every earlier one, readers on each instance miss nothing, a later instance serves the same rooms", async () => {
    const [a, b, c] = instances as [Instance, Instance, Instance];
    const pw = { "x-room-password": "pw" };
    // One reader on each instance, straight (no balancer), from the room's start.
    const readers = [a, b, c].map((i) => resumingStream(() => i.url, "pw"));
    await vi.waitFor(() => expect(readers.every((r) => r.connects === 1)).toBe(true), 30_000);
    // A created room and a token, both from A, before the restart.
    const made = await fetch(a.url + "/rooms", { method: "POST", headers: { authorization: `Bearer ${a.hostToken}`, "content-type": "application/json" }, body: JSON.stringify({ title: "kept" }) });
    expect(made.status).toBe(201);
    const { room } = (await made.json()) as { room: { id: string; password: string } };
    const roomPw = { "x-room-password": room.password };
    const rj = await fetch(`${a.url}/r/${room.id}/join`, { method: "POST", headers: { ...roomPw, "content-type": "application/json" }, body: JSON.stringify({ name: "room-bot" }) });
    expect(rj.status).toBe(201);
    const roomBot = (await rj.json()) as { token: string; cursor: number };
    expect((await post(`${b.url}/r/${room.id}`, roomPw, "p-room", "in the room before")).status).toBe(201);
    const j = await fetch(a.url + "/join", { method: "POST", headers: { ...pw, "content-type": "application/json" }, body: JSON.stringify({ name: "kept-bot" }) });
    expect(j.status).toBe(201);
    const { token } = (await j.json()) as { token: string };

    for (let i = 0; i < 10; i++) expect((await post([a, b, c][i % 3]!.url, pw, "p-w", `before ${i}`)).status).toBe(201);
    const before = await history(a.url, pw);
    const top = before.at(-1)!.id;
    await vi.waitFor(() => expect(readers.every((r) => r.messages.length >= before.length)).toBe(true), 30_000);
    for (const r of readers) expect(r.messages).toEqual(before);

    await redis.restart();
    const probe = new Redis(redis.url);
    try {
      // Posts resume by themselves (clients retry 503s); each instance has put back what it holds first.
      await vi.waitFor(async () => expect((await post(c.url, pw, "p-w", "after 0")).status).toBe(201), { timeout: 30_000, interval: 200 });
      // Each instance reconnects (and checks its rooms) on its own schedule, up to a second apart: one not back yet
      // answers 503 STORE_UNAVAILABLE, which means "not stored", and a client retries after Retry-After. Any other
      // answer fails the test; the exact log below would catch a duplicate.
      for (let i = 1; i < 10; i++) {
        const at = [a, b, c][i % 3]!.url;
        expect(await postRetrying503(() => post(at, pw, "p-w", `after ${i}`))).toBe(201);
      }
      const log = await history(a.url, pw);
      const after = log.filter((m) => m.id > top);
      // Nothing before the restart was renumbered, and every later message has an id above every earlier one.
      expect(log.slice(0, before.length)).toEqual(before);
      expect(after.filter((m) => m.agent === "p-w").map((m) => m.text).filter((x) => x !== "after 0")).toEqual(Array.from({ length: 9 }, (_, i) => `after ${i + 1}`));
      expect(log.map((m) => m.id)).toEqual(Array.from({ length: log.length }, (_, k) => k + 1)); // no id reused or skipped
      // Readers on every instance, with the cursors they had: everything posted after, once each, in order.
      await vi.waitFor(() => expect(readers.every((r) => r.messages.length >= log.length)).toBe(true), 30_000);
      for (const r of readers) expect(r.messages).toEqual(log);
      expect(readers.map((r) => r.connects)).toEqual([1, 1, 1]); // the streams were never dropped
      for (const i of [b, c]) expect(await history(i.url, pw)).toEqual(log);
      for (const r of readers) r.stop();
      // The operator's line: the rooms were put back (by whichever instance got there first).
      expect(instances.map((i) => i.stderr()).join("")).toMatch(new RegExp(`room ${room.id} was gone from Redis after the reconnect`));
      // Redis holds the counter and the stream again.
      const seqKey = (await probe.keys("agent-chat:room:*:seq")).length;
      expect(seqKey).toBeGreaterThanOrEqual(2); // the default room's and the created room's
      // …with the fields the append script reads (its ifCaughtUp check: who said it, to whom; the byte cap: its cost).
      const entries = await probe.xrange(`agent-chat:room:${room.id}:log`, "-", "+");
      const put = entries.map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, k) => [f[2 * k], f[2 * k + 1]])));
      const said = put.find((e) => JSON.parse(e.m!).text === "in the room before")!;
      expect({ f: said.f, t: said.t, hasHash: "hash" in JSON.parse(said.m!) }).toEqual({ f: foldName("p-room"), t: "", hasHash: false });
      expect(Number(said.c)).toBeGreaterThan(said.m!.length);

      // An instance started now serves the same default room (its password, not the one given), its whole history,
      // the created room, and a token issued before the restart by an instance it never talked to.
      const d = await startInstance(redis.url, t.dir, ["--password", "not-this-one"]);
      instances.push(d);
      expect([d.password, d.hostToken]).toEqual(["pw", a.hostToken]);
      expect(await history(d.url, pw)).toEqual(log);
      const inRoom = await history(`${d.url}/r/${room.id}`, roomPw);
      expect(inRoom.filter((m) => m.agent === "p-room").map((m) => m.text)).toEqual(["in the room before"]);
      // The put-back messages read as the append script's own: what p-room said before the restart, after room-bot's
      // cursor, is unread for room-bot (its token put back too).
      const early = await fetch(`${d.url}/r/${room.id}/messages?after=${roomBot.cursor}&ifCaughtUp=1`, { method: "POST", headers: { authorization: `Bearer ${roomBot.token}`, "content-type": "application/json" }, body: JSON.stringify({ text: "not yet" }) });
      expect([early.status, ((await early.json()) as { error: { code: string } }).error.code]).toEqual([409, "UNREAD_WAITING"]);
      const viaToken = await fetch(d.url + "/messages", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ text: "my token survived" }) });
      expect(viaToken.status).toBe(201);
      expect(((await viaToken.json()) as { message: Msg }).message.id).toBe(log.at(-1)!.id + 1);
    } finally {
      probe.disconnect();
    }
  });
});
