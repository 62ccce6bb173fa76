// Many rooms on one server: the default room at the root and at /r/<id>, host-created rooms, isolation between
// rooms (messages, presence, rate limits, pauses), closing a room with live readers, and the caps.
import { afterEach, describe, expect, it, vi } from "vitest";
import { openStream, useRooms } from "../support/room.js";
import { asHost, createRoom, errorCode, withBearer, withPassword } from "../support/rooms.js";
import { joinWs } from "../ws/helpers.js";

const room = useRooms(afterEach);

type Msg = { id: number; agent: string; text: string; kind: string };
const messagesOf = async (r: Response) => ((await r.json()) as { messages: Msg[] }).messages;

describe("the default room", () => {
  it("answers at the root and at /r/<id> with one history", async () => {
    const s = await room();
    const id = s.rooms.default.id;
    expect(id).toMatch(/^[a-z0-9]{8,}$/);
    expect((await s.api("/messages", { method: "POST", json: { agent: "root", text: "at the root" } })).status).toBe(201);
    expect((await withPassword(`${s.url}/r/${id}/messages`, s.password, { method: "POST", json: { agent: "sub", text: "under /r" } })).status).toBe(201);
    const a = await messagesOf(await s.api("/messages"));
    const b = await messagesOf(await withPassword(`${s.url}/r/${id}/messages`, s.password));
    expect(a.filter((m) => m.kind !== "system").map((m) => m.text)).toEqual(["at the root", "under /r"]);
    expect(b).toEqual(a);
    const info = (await (await s.api("/room")).json()) as { id: string };
    expect(info.id).toBe(id);
  });

  it("cannot be closed (409 DEFAULT_ROOM); unknown ids are 404 ROOM_NOT_FOUND", async () => {
    const s = await room();
    const del = await asHost(s, `/r/${s.rooms.default.id}`, { method: "DELETE" });
    expect(del.status).toBe(409);
    expect(await errorCode(del)).toBe("DEFAULT_ROOM");
    const unknown = await withPassword(`${s.url}/r/nosuchroom1/messages`, s.password);
    expect(unknown.status).toBe(404);
    expect(await errorCode(unknown)).toBe("ROOM_NOT_FOUND");
  });
});

describe("host routes", () => {
  it("only the host token may list, create and close rooms", async () => {
    const s = await room();
    for (const [method, path] of [["GET", "/rooms"], ["POST", "/rooms"], ["DELETE", `/r/${s.rooms.default.id}`]] as const) {
      const pw = await s.api(path, { method, json: method === "POST" ? { title: "x" } : undefined });
      expect(pw.status, `${method} ${path} with the password`).toBe(403);
      expect(await errorCode(pw)).toBe("HOST_ONLY");
      const none = await fetch(s.url + path, { method });
      expect(none.status, `${method} ${path} without credentials`).toBe(401);
    }
  });

  it("POST /rooms creates a room with its own password, invite and URL; GET /rooms lists it", async () => {
    const s = await room();
    const r = await asHost(s, "/rooms", { method: "POST", json: { title: "Team B" } });
    expect(r.status).toBe(201);
    const body = (await r.json()) as { room: { id: string; url: string; password: string; title: string }; invite: string };
    expect(body.room.id).toMatch(/^[a-z0-9]{8,}$/);
    expect(body.room.url).toBe(`${s.url}/r/${body.room.id}`);
    expect(body.room.password).toMatch(/^[a-z0-9]{4}(-[a-z0-9]{4}){3}$/);
    expect(body.invite).toContain(body.room.url);
    expect(body.invite).toContain(body.room.password);
    expect(body.invite).not.toContain(s.password);
    // its own password opens it; the default room's does not, and its password does not open the default room
    expect((await withPassword(`${body.room.url}/room`, body.room.password)).status).toBe(200);
    expect((await withPassword(`${body.room.url}/room`, s.password)).status).toBe(401);
    expect((await withPassword(`${s.url}/room`, body.room.password)).status).toBe(401);
    const list = (await (await asHost(s, "/rooms")).json()) as { rooms: { id: string; title: string; url: string; messages: number; keysOnly: boolean; participants: number; online: number; createdAt: string }[] };
    expect(list.rooms.map((x) => x.id)).toEqual([s.rooms.default.id, body.room.id]);
    expect(list.rooms[1]).toMatchObject({ title: "Team B", url: body.room.url, keysOnly: false, participants: 0, online: 0 });
    expect(Date.parse(list.rooms[1]!.createdAt)).toBeGreaterThan(0);
    // /invite under the room names the room's URL and password
    const invite = await (await withPassword(`${body.room.url}/invite`, body.room.password)).text();
    expect(invite).toContain(`URL: ${body.room.url}`);
  });

  it("refuses bad fields with 400 BAD_FIELD", async () => {
    const s = await room();
    for (const json of [{ title: "" }, { title: "x".repeat(81) }, { title: "ok", password: 5 }, { title: "ok", keysOnly: "yes" }]) {
      const r = await asHost(s, "/rooms", { method: "POST", json });
      expect(r.status, JSON.stringify(json)).toBe(400);
      expect(await errorCode(r)).toBe("BAD_FIELD");
    }
  });

  it("wrong methods on room paths are 405 and preflights list the table's methods", async () => {
    const s = await room();
    const b = await createRoom(s);
    const r = await withPassword(`${b.url}/messages`, b.password!, { method: "DELETE" });
    expect(r.status).toBe(405);
    expect(await errorCode(r)).toBe("METHOD_NOT_ALLOWED");
    const pre = await fetch(b.url, { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-methods")).toContain("DELETE");
    expect(pre.headers.get("access-control-allow-headers")).toContain("X-Room-Password");
  });

  it("serves the page under /r/<id>/ (its relative URLs reach the room) and redirects /r/<id> there", async () => {
    const s = await room();
    const b = await createRoom(s);
    const page = await fetch(`${b.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toBe(await (await fetch(`${s.url}/`)).text());
    expect((await fetch(`${b.url}/main.js`)).status).toBe(200);
    const redirect = await fetch(b.url, { redirect: "manual" });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get("location")).toBe(`/r/${b.id}/`);
  });
});

describe("isolation", () => {
  it("messages, presence, rate limits and pauses never cross rooms, under concurrent load", async () => {
    const s = await room({ rateLimit: 600 });
    const rooms = [await createRoom(s, { title: "A" }), await createRoom(s, { title: "B" }), await createRoom(s, { title: "C" })];
    const streams = await Promise.all(rooms.map((r) => openStream(`${r.url}/messages/stream`, { "x-room-password": r.password! })));
    const rootStream = await openStream(`${s.url}/messages/stream`, { "x-room-password": s.password });
    // 3 rooms x 4 senders x 15 messages, all at once; the same sender names in every room
    const PER = 15;
    await Promise.all(
      rooms.flatMap((r) =>
        ["ann", "bob", "cy", "dee"].map(async (name) => {
          for (let i = 0; i < PER; i++) {
            const res = await withPassword(`${r.url}/messages`, r.password!, { method: "POST", json: { agent: name, text: `${r.title}:${name}:${i}` } });
            expect(res.status).toBe(201);
          }
        }),
      ),
    );
    for (const [i, r] of rooms.entries()) {
      const got = await streams[i]!.messages(4 + 4 * PER); // 4 "joined" system messages, then the posts
      const posts = got.filter((m) => m.kind !== "system");
      expect(posts.every((m) => m.text.startsWith(`${r.title}:`)), r.title).toBe(true);
      for (const name of ["ann", "bob", "cy", "dee"]) {
        expect(posts.filter((m) => m.agent === name).map((m) => m.text)).toEqual(Array.from({ length: PER }, (_, k) => `${r.title}:${name}:${k}`));
      }
      expect(got.map((m) => m.id)).toEqual(Array.from({ length: got.length }, (_, k) => k + 1)); // own ids, no gaps
      const hist = await messagesOf(await withPassword(`${r.url}/messages`, r.password!));
      expect(hist.length).toBe(got.length);
    }
    // the default room saw none of it
    expect((await messagesOf(await s.api("/messages"))).length).toBe(0);
    await expect(rootStream.next(300)).rejects.toThrow(/no SSE event/);
    // presence: each room lists only its own participants
    const infoB = (await (await withPassword(`${rooms[1]!.url}/room`, rooms[1]!.password!)).json()) as { participants: { name: string }[] };
    expect(infoB.participants.map((p) => p.name).sort()).toEqual(["ann", "bob", "cy", "dee"]);
    const joined = (await (await withPassword(`${rooms[0]!.url}/join`, rooms[0]!.password!, { method: "POST", json: { name: "only-in-a" } })).json()) as { token: string };
    expect(joined.token).toMatch(/^ac_/);
    const infoC = (await (await withPassword(`${rooms[2]!.url}/room`, rooms[2]!.password!)).json()) as { participants: { name: string }[] };
    expect(infoC.participants.map((p) => p.name)).not.toContain("only-in-a");
    // a token of room A opens nothing in room B
    expect((await withBearer(`${rooms[1]!.url}/room`, joined.token)).status).toBe(401);
    for (const st of [...streams, rootStream]) st.close();
  });

  it("a sender rate-limited in one room is not limited in another; a pause stays in its room", async () => {
    const s = await room({ rateLimit: 2 }); // burst 2
    const a = await createRoom(s, { title: "A" });
    const b = await createRoom(s, { title: "B" });
    const post = (r: typeof a, text: string) => withPassword(`${r.url}/messages`, r.password!, { method: "POST", json: { agent: "same-name", text } });
    expect((await post(a, "1")).status).toBe(201);
    expect((await post(a, "2")).status).toBe(201);
    const limited = await post(a, "3");
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe("RATE_LIMITED");
    expect((await post(b, "1")).status).toBe(201);
    expect((await post(b, "2")).status).toBe(201);

    const c = await createRoom(s, { title: "C" });
    const d = await createRoom(s, { title: "D" });
    expect((await asHost(s, `/r/${c.id}/host/pause`, { method: "POST" })).status).toBe(200);
    const paused = await post(c, "x");
    expect(paused.status).toBe(423);
    expect(await errorCode(paused)).toBe("PAUSED");
    expect((await post(d, "x")).status).toBe(201);
    expect((await s.api("/messages", { method: "POST", json: { agent: "same-name", text: "root" } })).status).toBe(201);
  });
});

describe("closing a room", () => {
  it("ends its streams with event: closed, answers held polls with 410, then every route is 410 ROOM_CLOSED", async () => {
    const s = await room();
    const b = await createRoom(s, { title: "doomed" });
    const other = await createRoom(s, { title: "stays" });
    const stream = await openStream(`${b.url}/messages/stream`, { "x-room-password": b.password! });
    const otherStream = await openStream(`${other.url}/messages/stream`, { "x-room-password": other.password! });
    const poll = withPassword(`${b.url}/messages/poll?after=0&timeout=60`, b.password!);
    await vi.waitFor(() => expect(s.stats().polls).toBe(1), { timeout: 30_000 });
    const del = await asHost(s, `/r/${b.id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    const ev = await stream.next();
    expect(ev?.event).toBe("closed");
    expect(JSON.parse(ev!.data).message).toMatch(/closed/);
    expect(await stream.next()).toBeUndefined(); // the stream ended
    const polled = await poll;
    expect(polled.status).toBe(410);
    expect(await errorCode(polled)).toBe("ROOM_CLOSED");
    for (const [method, path] of [["GET", "/messages"], ["POST", "/messages"], ["GET", "/room"], ["POST", "/join"], ["GET", "/messages/stream"], ["DELETE", ""]] as const) {
      const r = await withPassword(`${b.url}${path}`, b.password!, { method, json: method === "POST" ? { agent: "x", text: "y", name: "x" } : undefined });
      expect(r.status, `${method} ${path}`).toBe(410);
      expect(await errorCode(r)).toBe("ROOM_CLOSED");
    }
    const list = (await (await asHost(s, "/rooms")).json()) as { rooms: { id: string }[] };
    expect(list.rooms.map((x) => x.id)).toEqual([s.rooms.default.id, other.id]);
    // the other room carries on
    expect((await withPassword(`${other.url}/messages`, other.password!, { method: "POST", json: { agent: "x", text: "still here" } })).status).toBe(201);
    expect((await otherStream.messages(2)).map((m) => m.text)).toContain("still here");
    otherStream.close();
  });
});

describe("caps", () => {
  it("rooms per server: 409 TOO_MANY_ROOMS (the default room counts); closing one makes space", async () => {
    const s = await room({ maxRooms: 3 });
    const a = await createRoom(s);
    await createRoom(s);
    const over = await asHost(s, "/rooms", { method: "POST", json: { title: "one too many" } });
    expect(over.status).toBe(409);
    expect(await errorCode(over)).toBe("TOO_MANY_ROOMS");
    expect((await asHost(s, `/r/${a.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await asHost(s, "/rooms", { method: "POST", json: { title: "fits again" } })).status).toBe(201);
  });

  it("members per room: 409 ROOM_FULL for a new name, by join or by password post; known names still work", async () => {
    const s = await room({ maxMembers: 2 });
    const b = await createRoom(s);
    expect((await withPassword(`${b.url}/join`, b.password!, { method: "POST", json: { name: "one" } })).status).toBe(201);
    expect((await withPassword(`${b.url}/messages`, b.password!, { method: "POST", json: { agent: "two", text: "hi" } })).status).toBe(201);
    const join = await withPassword(`${b.url}/join`, b.password!, { method: "POST", json: { name: "three" } });
    expect(join.status).toBe(409);
    expect(await errorCode(join)).toBe("ROOM_FULL");
    const post = await withPassword(`${b.url}/messages`, b.password!, { method: "POST", json: { agent: "three", text: "hi" } });
    expect(post.status).toBe(409);
    expect(await errorCode(post)).toBe("ROOM_FULL");
    expect((await withPassword(`${b.url}/messages`, b.password!, { method: "POST", json: { agent: "two", text: "again" } })).status).toBe(201);
    // other rooms have their own count
    expect((await s.api("/join", { method: "POST", json: { name: "three" } })).status).toBe(201);
  });
});

describe("WebSocket per room", () => {
  it("/r/<id>/ws joins that room only, and closing the room closes its sockets with closed + 4410", async () => {
    const s = await room();
    const b = await createRoom(s, { title: "ws room" });
    const sock = await joinWs(s.url, { password: b.password, name: "sock" }, `/r/${b.id}/ws`);
    expect(sock.joined.room.title).toBe("ws room");
    await withPassword(`${b.url}/messages`, b.password!, { method: "POST", json: { agent: "x", text: "to b" } });
    await s.api("/messages", { method: "POST", json: { agent: "x", text: "to the default room" } });
    let m = await sock.next("message");
    while (m.message.kind === "system") m = await sock.next("message"); // "sock joined"
    expect(m.message.text).toBe("to b");
    expect((await asHost(s, `/r/${b.id}`, { method: "DELETE" })).status).toBe(200);
    expect((await sock.next("closed")).type).toBe("closed");
    expect((await sock.closed).code).toBe(4410);
    expect(sock.frames.filter((f) => f.type === "message").map((f) => f.message.text)).not.toContain("to the default room");
  });
});

