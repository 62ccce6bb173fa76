// What is decided when a message is appended holds across `serve --redis` instances as it holds in one process:
// the rate limits, `send --if-caught-up`, the history's byte cap, the loop guard and the replay cache are kept in Redis
// and checked by the append script (src/rooms/redis/script.ts), so two instances of one room are one room.
// Instances here are in-process servers sharing one Redis and one key prefix (each has its own Redis connections and
// its own copy of the history, as separate processes do), so that a test can give them one injected clock.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { startRoomServer, type RoomServer, type ServerOptions } from "../../src/server/index.js";
import { generateKeyPair, joinPayload, messagePayload, privateKeyObject, signBytes } from "../../src/protocol/signing.js";
import { describeRedis, startRedis, tempDir, type TestRedis } from "./helpers.js";
import { joinWs, openWs, wsUrl } from "../ws/helpers.js";

describeRedis("decided on append, shared by every instance", () => {
  const t = tempDir();
  let redis: TestRedis;
  let raw: Redis;
  const started: RoomServer[] = [];
  beforeAll(async () => {
    redis = await startRedis(t.dir);
    raw = new Redis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    raw?.disconnect();
    await redis?.stop();
    t.cleanup();
  });

  /** `n` instances of one room (one key prefix); `opts` for all of them. */
  async function instances(n: number, opts: Partial<ServerOptions> = {}, redisPrefix = `s${randomBytes(4).toString("hex")}:`) {
    const out: RoomServer[] = [];
    for (let k = 0; k < n; k++) {
      const s = await startRoomServer({ port: 0, host: "127.0.0.1", rateLimit: 0, loopGuard: 0, password: "pw-append", redis: redis.url, redisPrefix, ...opts });
      started.push(s);
      out.push(s);
    }
    return { list: out, prefix: redisPrefix };
  }

  const call = async (s: RoomServer, path: string, body: unknown, auth: string | { password: string } = { password: s.password }) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (typeof auth === "string") headers.authorization = `Bearer ${auth}`;
    else headers["x-room-password"] = auth.password;
    const r = await fetch(s.url + path, { method: "POST", headers, body: JSON.stringify(body) });
    return { status: r.status, retryAfter: r.headers.get("retry-after"), body: (await r.json()) as any };
  };
  const join = async (s: RoomServer, name: string, kind = "agent", token?: string) => {
    const r = await call(s, "/join", { name, kind }, token ?? { password: s.password });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { token: string; cursor: number };
  };
  /** Wait until every instance has ingested up to `id` (a reader on each sees the same room). */
  const caughtUp = (list: RoomServer[], id: number) => vi.waitFor(() => list.forEach((s) => expect(s.room.history.lastId).toBeGreaterThanOrEqual(id)), { timeout: 30_000, interval: 20 });

  it("the per-sender rate limit holds for all instances together: posts split over two meet it at the flag's count", async () => {
    const clock = { t: 1_800_000_000_000 };
    const { list: [a, b], prefix } = await instances(2, { rateLimit: 6, now: () => clock.t });
    const me = await join(a!, "splitter");
    // Burst 6 (min(rate, 20)): six posts, alternating instances, go through; the seventh is refused wherever it lands.
    for (let k = 0; k < 6; k++) {
      const r = await call(k % 2 ? b! : a!, "/messages", { text: `m${k}` }, me.token);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    for (const s of [a!, b!]) {
      const r = await call(s, "/messages", { text: "one too many" }, me.token);
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe("RATE_LIMITED");
      // 6/min: one token takes 10 s, as in memory (the instances' clock has not moved).
      expect(r.retryAfter).toBe("10");
      expect(r.body.error.message).toMatch(/limit 6\/min per sender.*retry in 10 s/);
    }
    // Refused posts took no token and stored nothing; ten seconds later (the injected clock) one more goes through.
    clock.t += 10_000;
    expect((await call(b!, "/messages", { text: "after the wait" }, me.token)).status).toBe(201);
    expect((await call(a!, "/messages", { text: "and not two" }, me.token)).status).toBe(429);
    const texts = (await raw.xrange(`${prefix}room:${a!.room.identity.roomId}:log`, "-", "+")).map(([, f]) => JSON.parse(f[1]!).text);
    expect(texts.filter((x) => x.startsWith("m") || x === "after the wait")).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "after the wait"]);
  });

  it("password-only posts: the per-address limit holds across instances too, whatever names rotate", async () => {
    const clock = { t: 1_800_000_000_000 };
    const { list: [a, b] } = await instances(2, { rateLimit: 2, now: () => clock.t });
    // Per address: burst min(2 × 3, 60) = 6 (names burst 2 each, so rotate names).
    for (let k = 0; k < 6; k++) expect((await call(k % 2 ? b! : a!, "/messages", { agent: `rot${k}`, text: `x${k}` })).status).toBe(201);
    const r = await call(b!, "/messages", { agent: "rot-new", text: "over" });
    expect([r.status, r.body.error.code, r.retryAfter]).toEqual([429, "RATE_LIMITED", "30"]);
    // A refused post leaves no trace, as in memory: no "joined" line for the new name, on any instance.
    expect((await call(a!, "/messages", { agent: "rot-newer", text: "over" })).status).toBe(429);
    await caughtUp([a!, b!], a!.room.history.lastId);
    for (const s of [a!, b!]) {
      const texts = s.room.history.all().items.map((j) => JSON.parse(j).text as string);
      expect(texts.filter((t) => /rot-new/.test(t))).toEqual([]);
    }
  });

  it("joins: the per-address join limit holds across instances (429 RATE_LIMITED, Retry-After as in memory)", async () => {
    const clock = { t: 1_800_000_000_000 };
    const { list: [a, b] } = await instances(2, { joinLimit: 4, now: () => clock.t });
    for (let k = 0; k < 4; k++) await join(k % 2 ? b! : a!, `j${k}`);
    for (const s of [a!, b!]) {
      const r = await call(s, "/join", { name: `j-more-${s.port}` });
      expect([r.status, r.body.error.code, r.retryAfter]).toEqual([429, "RATE_LIMITED", "15"]);
    }
    // A WebSocket join counts the same: refused on either instance.
    const ws = await openWs(wsUrl(b!.url));
    ws.send({ type: "join", password: b!.password, name: "j-socket" });
    const refused = await ws.next();
    expect([refused.type, refused.code]).toEqual(["error", "RATE_LIMITED"]);
    ws.close();
    clock.t += 15_000;
    const joined = await joinWs(a!.url, { password: a!.password, name: "j-socket" });
    joined.close();
    expect((await call(b!, "/join", { name: "j-later" })).status).toBe(429); // the socket took the token
    clock.t += 15_000;
    await join(b!, "j-later");
  });

  // (A token, or a key with a session, authenticates as its participant: such a socket is no join and takes no token.)
  it("a socket that continues as an invite key's participant takes no join token (as in memory)", async () => {
    const clock = { t: 1_800_000_000_000 };
    const { list: [a, b] } = await instances(2, { joinLimit: 2, now: () => clock.t });
    const host = { authorization: `Bearer ${a!.hostToken}`, "content-type": "application/json" };
    const minted = (await (await fetch(a!.url + "/keys", { method: "POST", headers: host, body: JSON.stringify({ label: "bot", name: "key-bot" }) })).json()) as { key: string };
    const first = await joinWs(a!.url, { key: minted.key }); // a join: one token from the address's 2
    const again = await joinWs(b!.url, { key: minted.key }); // the same participant on another socket: no join
    expect(again.joined.participant).toEqual({ name: "key-bot", kind: "agent" });
    first.close();
    again.close();
    await vi.waitFor(async () => expect((await call(b!, "/join", { name: "second" })).status).toBe(201), { timeout: 30_000, interval: 50 });
    expect((await call(a!, "/join", { name: "third" })).status).toBe(429);
  });

  it("failed passwords: the per-address limit holds across instances, and then even the right password waits", async () => {
    const clock = { t: 1_800_000_000_000 };
    const { list: [a, b] } = await instances(2, { authFailPerMinute: 4, now: () => clock.t });
    const room = async (s: RoomServer, password: string) => {
      const r = await fetch(s.url + "/room", { headers: { "x-room-password": password } });
      return { status: r.status, retryAfter: r.headers.get("retry-after"), code: r.status === 200 ? "" : (((await r.json()) as any).error.code as string) };
    };
    for (let k = 0; k < 4; k++) expect(await room(k % 2 ? b! : a!, `guess${k}`)).toEqual({ status: 401, retryAfter: null, code: "UNAUTHORIZED" });
    for (const s of [a!, b!]) {
      expect(await room(s, "guess-again")).toEqual({ status: 429, retryAfter: "15", code: "AUTH_RATE_LIMITED" });
      expect((await room(s, s.password)).status).toBe(429);
    }
    // The right password did not count; one wrong guess's worth of time later, it gets in (on either instance).
    clock.t += 15_000;
    expect((await room(b!, b!.password)).status).toBe(200);
    expect((await room(a!, a!.password)).status).toBe(200);
  });

  it("ifCaughtUp across instances: two senders with the same cursor racing on two instances, exactly one gets in", async () => {
    const { list: [a, b] } = await instances(2);
    const ann = await join(a!, "ann");
    const ben = await join(b!, "ben");
    let cursor = Math.max(ann.cursor, ben.cursor);
    await caughtUp([a!, b!], cursor);
    for (let round = 0; round < 12; round++) {
      const [ra, rb] = await Promise.all([
        call(a!, `/messages?after=${cursor}&ifCaughtUp=1`, { text: `ann ${round}` }, ann.token),
        call(b!, `/messages?after=${cursor}&ifCaughtUp=1`, { text: `ben ${round}` }, ben.token),
      ]);
      const statuses = [ra.status, rb.status].sort();
      expect(statuses, `round ${round}: ${JSON.stringify([ra.body, rb.body])}`).toEqual([201, 409]);
      const refused = ra.status === 409 ? ra : rb;
      expect(refused.body.error.code).toBe("UNREAD_WAITING");
      expect(refused.body.error.cursor).toBe(cursor);
      cursor = (ra.status === 201 ? ra : rb).body.message.id;
      await caughtUp([a!, b!], cursor);
    }
    // A private message between others is not unread for a third, on another instance either.
    const cat = await join(a!, "cat");
    await caughtUp([a!, b!], cat.cursor);
    expect((await call(a!, "/messages", { text: "for ann only", to: "ann" }, ben.token)).status).toBe(201);
    expect((await call(b!, `/messages?after=${cat.cursor}&ifCaughtUp=1`, { text: "hello" }, cat.token)).status).toBe(201);
  });

  it("the history's byte cap is kept in Redis: Redis and every instance hold the same oldest message, under the cap", async () => {
    const cap = 3_000;
    const { list: [a, b], prefix } = await instances(2, { history: 50, historyBytes: cap });
    const ann = await join(a!, "ann");
    await join(b!, "ben");
    let last = 0;
    for (let k = 0; k < 40; k++) {
      // Sizes vary; some are two-byte strings (counted double), some private (no chain hash).
      const text = (k % 3 === 0 ? "é€" : "x").repeat(20 + ((k * 37) % 200));
      // (Participants are per instance so far: ben is known on b, where the private ones go.)
      const r = k % 5 === 4 ? await call(b!, "/messages", { text, to: "ben" }, ann.token) : await call(k % 2 ? b! : a!, "/messages", { text }, ann.token);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      last = r.body.message.id;
    }
    // An instance started now loads the history from Redis: it holds the same messages.
    const [late] = (await instances(1, { history: 50, historyBytes: cap }, prefix)).list;
    await caughtUp([a!, b!, late!], last);
    const log = `${prefix}room:${a!.room.identity.roomId}:log`;
    const first = Number((await raw.xrange(log, "-", "+", "COUNT", 1))[0]![0].split("-")[0]);
    expect(first).toBeGreaterThan(1); // the byte cap, not the count cap (50), dropped messages
    for (const s of [a!, b!, late!]) {
      expect(s.room.history.oldestId).toBe(first);
      expect(s.room.history.lastId).toBe(last);
      expect(s.room.history.bytes).toBeLessThanOrEqual(cap);
    }
    expect(Number(await raw.xlen(log))).toBe(last - first + 1);
    expect(Number(await raw.hget(`${prefix}room:${a!.room.identity.roomId}:state`, "b"))).toBe(a!.room.history.bytes);
  });

  it("the loop guard counts agent messages from every instance: agents alternating between two are paused at the count", async () => {
    const { list: [a, b] } = await instances(2, { loopGuard: 4 });
    const x = await join(a!, "bot-x");
    const y = await join(b!, "bot-y");
    for (let k = 0; k < 4; k++) {
      const r = await call(k % 2 ? b! : a!, "/messages", { text: `loop ${k}` }, k % 2 ? y.token : x.token);
      expect(r.status, `post ${k}: ${JSON.stringify(r.body)}`).toBe(201);
    }
    for (const [s, who] of [[a!, x], [b!, y]] as const) {
      const r = await call(s, "/messages", { text: "still talking" }, who.token);
      expect([r.status, r.body.error.code]).toEqual([423, "PAUSED"]);
      expect(r.body.error.message).toMatch(/after 4 agent messages in a row/);
    }
    await vi.waitFor(() => expect([a!.room.paused, b!.room.paused]).toEqual(["loop", "loop"]), { timeout: 30_000, interval: 20 });
    // A vouched human (the host's page) on either instance lets them go on, on both.
    const human = await join(b!, "Hana", "human", a!.hostToken);
    expect((await call(b!, "/messages", { text: "carry on" }, human.token)).status).toBe(201);
    expect((await call(a!, "/messages", { text: "thanks" }, x.token)).status).toBe(201);
    const texts = a!.room.history.all().items.map((j) => JSON.parse(j).text as string);
    expect(texts.filter((s) => s.startsWith("Agents paused"))).toHaveLength(1);
  });

  it("a signed message replayed to another instance is refused there (409 REPLAYED) and stored once", async () => {
    const { list: [a, b] } = await instances(2);
    const kp = generateKeyPair();
    const priv = privateKeyObject(kp);
    const c = (await call(a!, "/challenge", { name: "dana-bot" })).body;
    const identity = { key: kp.key, challenge: c.challenge, url: a!.url, sig: signBytes(joinPayload({ room: c.room, url: a!.url, name: "dana-bot", challenge: c.challenge }), priv) };
    const j = await call(a!, "/join", { name: "dana-bot", identity });
    expect(j.status).toBe(201);
    await caughtUp([a!, b!], j.body.cursor);
    const lastHashed = a!.room.history.all().items.map((s) => JSON.parse(s)).filter((m) => m.hash).at(-1);
    const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString("base64url"), prev: lastHashed?.hash ?? "", prevId: lastHashed?.id ?? 0 };
    const text = "signed once";
    const body = { text, ...f, sig: signBytes(messagePayload({ room: c.room, name: "dana-bot", text, ...f }), priv) };
    const first = await call(a!, "/messages", body, j.body.token);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await call(b!, "/messages", body, j.body.token);
    expect([again.status, again.body.error?.code]).toEqual([409, "REPLAYED"]);
    await caughtUp([a!, b!], first.body.message.id);
    for (const s of [a!, b!]) expect(s.room.history.all().items.filter((m) => JSON.parse(m).text === text)).toHaveLength(1);
  });

  it("an instance started after Redis dropped the oldest messages goes on from the same chain: same hashes, chainStart, signed posts", async () => {
    const { list: [a], prefix } = await instances(1, { history: 5 });
    const kp = generateKeyPair();
    const priv = privateKeyObject(kp);
    for (let k = 0; k < 12; k++) expect((await call(a!, "/messages", { agent: "early", text: `early ${k}` })).status).toBe(201);
    const [late] = (await instances(1, { history: 5 }, prefix)).list;
    await caughtUp([late!], a!.room.history.lastId);
    expect(late!.room.history.oldestId).toBeGreaterThan(1); // it never saw the first messages
    const facts = async (s: RoomServer) => {
      const info = (await (await fetch(s.url + "/room", { headers: { "x-room-password": s.password } })).json()) as { chainStart: string | null };
      return { chainStart: info.chainStart, hashes: s.room.history.all().items.map((j) => JSON.parse(j).hash as string) };
    };
    const onA = await facts(a!);
    expect(onA.chainStart).toMatch(/^[\w-]{43}$/);
    expect(await facts(late!)).toEqual(onA);
    // A signed message whose prev was read on a is accepted on the late instance (the same chain there).
    const c = (await call(late!, "/challenge", { name: "dana-bot" })).body;
    const identity = { key: kp.key, challenge: c.challenge, url: late!.url, sig: signBytes(joinPayload({ room: c.room, url: late!.url, name: "dana-bot", challenge: c.challenge }), priv) };
    const j = await call(late!, "/join", { name: "dana-bot", identity });
    expect(j.status, JSON.stringify(j.body)).toBe(201);
    await caughtUp([a!], j.body.cursor);
    const prev = a!.room.history.all().items.map((x) => JSON.parse(x)).filter((m) => m.hash).at(-1);
    const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString("base64url"), prev: prev.hash, prevId: prev.id };
    const text = "signed against a's chain, sent to the late one";
    const r = await call(late!, "/messages", { text, ...f, sig: signBytes(messagePayload({ room: c.room, name: "dana-bot", text, ...f }), priv) }, j.body.token);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await caughtUp([a!], r.body.message.id);
    expect((await facts(late!)).hashes).toEqual((await facts(a!)).hashes);
  });

  // Last in this file: it restarts the suite's Redis (empty: no persistence).
  it("after Redis came back empty, the re-seeded history carries its chain hashes: a later instance has the same chain", async () => {
    const { list: [a], prefix } = await instances(1, { history: 5 });
    for (let k = 0; k < 12; k++) expect((await call(a!, "/messages", { agent: "early", text: `before ${k}` })).status).toBe(201);
    await redis.restart();
    // a puts back what it holds before its next append goes through (clients retry the 503s meanwhile).
    await vi.waitFor(async () => expect((await call(a!, "/messages", { agent: "early", text: "after" })).status).toBe(201), { timeout: 30_000, interval: 100 });
    const [late] = (await instances(1, { history: 5 }, prefix)).list;
    await caughtUp([late!], a!.room.history.lastId);
    expect(late!.room.history.oldestId).toBeGreaterThan(1);
    const hashes = (s: RoomServer) => s.room.history.all().items.map((j) => JSON.parse(j).hash as string);
    expect(hashes(late!)).toEqual(hashes(a!));
    expect(late!.room.identity.hashAt(late!.room.history.oldestId - 1)).toBe(a!.room.identity.hashAt(a!.room.history.oldestId - 1));
  });
});
