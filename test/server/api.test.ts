// Every route and every error code of the room API, against a real server on a random port.
import { VERSION } from "../../src/protocol/invite.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";

let room: TestRoom;
beforeAll(async () => {
  room = await startTestRoom({ title: "api-test", maxTextBytes: 1000, maxBodyBytes: 4000 });
});
afterAll(() => room.close());

const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;

describe("health and static", () => {
  it("GET /health answers without auth and reveals nothing about the room", async () => {
    const r = await fetch(room.url + "/health");
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('{"status":"ok"}');
  });

  it("unknown paths are 404 NOT_FOUND in JSON, including path tricks", async () => {
    for (const p of ["/nope", "/../package.json", "/%2e%2e/package.json", "/public/../src/room/index.ts", "/.env"]) {
      const r = await fetch(room.url + p);
      expect(r.status, p).toBe(404);
      expect((await errorOf(r)).code).toBe("NOT_FOUND");
    }
  });

  it("HEAD /health is 200 and CORS preflight works on API paths", async () => {
    expect((await fetch(room.url + "/health", { method: "HEAD" })).status).toBe(200);
    const pre = await fetch(room.url + "/messages", { method: "OPTIONS" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-headers")).toContain("X-Room-Password");
  });

  it("wrong methods are 405 METHOD_NOT_ALLOWED", async () => {
    const r = await room.api("/messages", { method: "DELETE" });
    expect(r.status).toBe(405);
    expect((await errorOf(r)).code).toBe("METHOD_NOT_ALLOWED");
  });
});

describe("auth", () => {
  it("accepts the password as X-Room-Password, Bearer or ?password=", async () => {
    expect((await fetch(room.url + "/room", { headers: { "x-room-password": room.password } })).status).toBe(200);
    expect((await fetch(room.url + "/room", { headers: { authorization: `Bearer ${room.password}` } })).status).toBe(200);
    expect((await fetch(room.url + `/room?password=${encodeURIComponent(room.password)}`)).status).toBe(200);
  });

  it("refuses missing or wrong credentials with 401 UNAUTHORIZED on every protected route", async () => {
    for (const [method, path] of [["GET", "/messages"], ["POST", "/messages"], ["GET", "/messages/poll"], ["GET", "/messages/stream"], ["GET", "/room"], ["GET", "/invite"], ["POST", "/join"], ["GET", "/qr.svg"]]) {
      const r = await fetch(room.url + path!, { method, headers: { "x-room-password": "nope" } });
      expect(r.status, `${method} ${path}`).toBe(401);
      expect((await errorOf(r)).code).toBe("UNAUTHORIZED");
    }
    const missing = await fetch(room.url + "/room");
    expect(missing.status).toBe(401);
  });
});

describe("messages", () => {
  it("POST /messages answers 201 with the message; ids grow by one; GET returns them in order", async () => {
    const before = ((await (await room.api("/messages")).json()) as { next: number }).next;
    const a = await room.api("/messages", { method: "POST", json: { agent: "poster", text: "one" } });
    expect(a.status).toBe(201);
    const { message } = (await a.json()) as { message: { id: number; agent: string; text: string; kind: string; timestamp: string } };
    expect(message).toMatchObject({ agent: "poster", text: "one", kind: "agent", verified: false });
    expect(new Date(message.timestamp).toISOString()).toBe(message.timestamp);
    const b = (await (await room.api("/messages", { method: "POST", json: { agent: "poster", text: "two" } })).json()) as { message: { id: number } };
    expect(b.message.id).toBe(message.id + 1);
    const list = (await (await room.api(`/messages?after=${before}`)).json()) as { messages: { text: string; kind: string }[]; next: number };
    expect(list.messages.filter((m) => m.kind !== "system").map((m) => m.text)).toEqual(["one", "two"]);
    expect(list.next).toBe(b.message.id);
    const limited = (await (await room.api(`/messages?after=${before}&limit=1`)).json()) as { messages: unknown[]; next: number };
    expect(limited.messages).toHaveLength(1);
    const last = (await (await room.api(`/messages?limit=1`)).json()) as { messages: { id: number }[] };
    expect(last.messages.map((m) => m.id)).toEqual([b.message.id]);
    // limit=0: no messages, just the current last id (how a client learns where "now" is)
    expect(await (await room.api(`/messages?limit=0`)).json()).toEqual({ messages: [], cursor: b.message.id, next: b.message.id });
    expect(await (await room.api(`/messages?after=${before}&limit=0`)).json()).toEqual({ messages: [], cursor: before, next: before });
  });

  it("the predecessor's clients keep working: after=<count> and {agent,text} with X-Room-Password", async () => {
    const all = (await (await room.api("/messages")).json()) as { messages: unknown[]; next: number };
    const count = all.messages.length; // history is not full, so count == last id
    expect(count).toBe(all.next);
    await room.api("/messages", { method: "POST", json: { agent: "old-client", text: "legacy" } });
    const after = (await (await room.api(`/messages?after=${count}`)).json()) as { messages: { text: string }[] };
    expect(after.messages.map((m) => m.text)).toContain("legacy");
  });

  it("rejects bad bodies with the documented codes and stores nothing", async () => {
    const lastBefore = ((await (await room.api("/messages")).json()) as { next: number }).next;
    const cases: [BodyInit, number, string][] = [
      ["{not json", 400, "BAD_JSON"],
      ["[1,2]", 400, "BAD_JSON"],
      ['"text"', 400, "BAD_JSON"],
      [JSON.stringify({ agent: "x", text: 5 }), 400, "BAD_FIELD"],
      [JSON.stringify({ agent: "x", text: "   " }), 400, "EMPTY_TEXT"],
      [JSON.stringify({ agent: "x" }), 400, "BAD_FIELD"],
      [JSON.stringify({ agent: "x", text: "bell\u0007" }), 400, "BAD_TEXT"],
      [JSON.stringify({ agent: "x".repeat(41), text: "hi" }), 400, "BAD_NAME"],
      [JSON.stringify({ agent: "", text: "hi" }), 400, "BAD_NAME"],
      [JSON.stringify({ agent: 7, text: "hi" }), 400, "BAD_NAME"],
      [JSON.stringify({ agent: "a\nb", text: "hi" }), 400, "BAD_NAME"],
      [JSON.stringify({ text: "no name" }), 400, "BAD_NAME"],
      [JSON.stringify({ agent: "x", text: "hi", kind: "system" }), 400, "BAD_FIELD"],
      [JSON.stringify({ agent: "x", text: "é".repeat(501) }), 413, "TEXT_TOO_LARGE"],
      [JSON.stringify({ agent: "x", text: "y".repeat(5000) }), 413, "BODY_TOO_LARGE"],
    ];
    for (const [body, status, code] of cases) {
      const r = await room.api("/messages", { method: "POST", body, headers: { "content-type": "application/json" } });
      const text = await r.text();
      expect(r.status, String(body).slice(0, 60)).toBe(status);
      expect(JSON.parse(text).error.code, String(body).slice(0, 60)).toBe(code);
      expect(text).not.toMatch(/at .*\.(ts|js):\d+/); // never a stack trace
    }
    const lastAfter = ((await (await room.api("/messages")).json()) as { next: number }).next;
    expect(lastAfter).toBe(lastBefore);
  });

  it("bad query values are 400 BAD_QUERY", async () => {
    for (const q of ["/messages?after=-1", "/messages?after=abc", "/messages?limit=1.5", "/messages/poll?timeout=x", "/messages/poll?after=1e3"]) {
      const r = await room.api(q);
      expect(r.status, q).toBe(400);
      expect((await errorOf(r)).code).toBe("BAD_QUERY");
    }
  });

  it("records @mentions of participants and @all", async () => {
    await room.api("/messages", { method: "POST", json: { agent: "Mentioned One", text: "I exist" } });
    await room.api("/messages", { method: "POST", json: { agent: "carol", text: "present" } });
    const r = await room.api("/messages", { method: "POST", json: { agent: "dave", text: "hey @Carol and @Mentioned One, also @all. Not @nobody" } });
    const { message } = (await r.json()) as { message: { mentions: string[] } };
    expect(message.mentions.sort()).toEqual(["Mentioned One", "all", "carol"]);
  });
});

describe("room, invite, qr", () => {
  it("GET /room lists the room without secrets", async () => {
    const r = await room.api("/room");
    const text = await r.text();
    const info = JSON.parse(text);
    expect(info).toMatchObject({ title: "api-test", paused: null });
    expect(info.participants.map((p: { name: string }) => p.name)).toContain("poster");
    expect(info.limits).toMatchObject({ maxTextBytes: 1000, maxBodyBytes: 4000, history: 10000 });
    expect(text).not.toContain(room.password);
    expect(text).not.toContain(room.hostToken);
    expect(text).not.toMatch(/ac_[A-Za-z0-9_-]{20}/);
  });

  it("GET /invite is the instruction block with the URL, password and untrusted-input warning", async () => {
    const r = await room.api("/invite");
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await r.text();
    expect(text).toContain(room.url);
    expect(text).toContain(`Password: ${room.password}`);
    expect(text).toContain(`npx -y agent-chat@${VERSION} join`); // pinned (issue 12)
    expect(text).toContain("/messages/poll?after=");
    expect(text).toMatch(/untrusted input/);
    expect(text).not.toContain(room.hostToken);
  });

  it("GET /qr.svg is an SVG", async () => {
    const r = await room.api("/qr.svg");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/svg+xml");
    expect(await r.text()).toMatch(/^<svg/);
  });
});
