// Presence across `serve --redis` instances: a participant streaming through one instance is online in GET /room (and
// GET /rooms, and WebSocket presence frames) through every other; when that instance is SIGKILLed, it goes offline
// everywhere once its entries expire (3 x the presence interval, AGENT_CHAT_PRESENCE_MS / redisPresenceMs here made
// short; the test waits for the condition, it does not sleep).
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestRoom, openStream, type TestRoom } from "../support/room.js";
import { joinWs } from "../ws/helpers.js";
import { describeRedis, startInstance, startRedis, tempDir, type Instance, type TestRedis } from "./helpers.js";

const PRESENCE_MS = "200";
let skew = 0;

describeRedis("presence shared by every instance", () => {
  const t = tempDir();
  let redis: TestRedis;
  let a: Instance;
  let b: TestRoom;
  beforeAll(async () => {
    redis = await startRedis(t.dir);
    a = await startInstance(redis.url, t.dir, ["--password", "presence-pw"], { AGENT_CHAT_PRESENCE_MS: PRESENCE_MS });
    // B in this process (the same Redis and key prefix as `serve`'s default): a room server like any other.
    // Its clock can be moved on, past the presence grace of what B itself saw of a participant (its join).
    b = await startTestRoom({ redis: redis.url, redisPrefix: "agent-chat:", password: "presence-pw", redisPresenceMs: Number(PRESENCE_MS), now: () => Date.now() + skew });
  });
  afterAll(async () => {
    await b?.close();
    await a?.stop("SIGKILL");
    await redis?.stop();
    t.cleanup();
  });

  const who = async (room: TestRoom | Instance) => {
    const r = await fetch(room.url + "/room", { headers: { "x-room-password": "presence-pw" } });
    return ((await r.json()) as { participants: { name: string; online: boolean }[] }).participants;
  };
  const onlineOn = async (room: TestRoom | Instance, name: string) => (await who(room)).find((p) => p.name === name)?.online;

  it("streaming on A: online in /room on B and in B's socket presence; offline everywhere after A is SIGKILLed and its entries expire", async () => {
    // A watcher on B's WebSocket.
    const ws = await joinWs(b.url, { password: "presence-pw" });
    const join = await fetch(a.url + "/join", { method: "POST", headers: { "x-room-password": "presence-pw", "content-type": "application/json" }, body: JSON.stringify({ name: "streamer-sam" }) });
    expect(join.status).toBe(201);
    const { token } = (await join.json()) as { token: string };
    const stream = await openStream(a.url + "/messages/stream", { authorization: `Bearer ${token}` });
    expect(stream.status).toBe(200);
    await expect.poll(() => onlineOn(b, "streamer-sam"), { timeout: 30_000 }).toBe(true);
    // B's clock moves 5 minutes on: what B itself saw of Sam (the join) is long past its presence grace (60 s), so Sam
    // is online on B only because A keeps saying so.
    skew = 5 * 60_000;
    expect(b.room.options.presenceGraceMs).toBeLessThan(skew);
    await expect.poll(() => onlineOn(b, "streamer-sam"), { timeout: 30_000 }).toBe(true);
    // Polled like the rest: A renews Sam's entry every 200 ms for 600 ms, so a busy machine that stalls A that long
    // lets it lapse for a beat — a read at that moment would see 0.
    const onlineInRooms = async () => ((await (await b.api("/rooms", { headers: { authorization: `Bearer ${b.hostToken}` } })).json()) as { rooms: { online: number }[] }).rooms[0]!.online;
    await expect.poll(onlineInRooms, { timeout: 30_000 }).toBe(1);

    await a.stop("SIGKILL");
    stream.close();
    // A's entries stop being renewed: after 3 x 200 ms (and B's next beat) Sam is offline on B, and B's sockets are told.
    await expect.poll(() => onlineOn(b, "streamer-sam"), { timeout: 30_000 }).toBe(false);
    await expect.poll(() => ws.frames.some((f) => f.type === "presence" && f.members.some((m: any) => m.name === "streamer-sam" && !m.online)), { timeout: 30_000 }).toBe(true);
    ws.close();
  });
});
