// Every limit answers with its documented status and code, and the room carries on for everyone else.
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type TestRoom, useRooms } from "../support/room.js";

const room = useRooms(afterEach);
const post = (r: TestRoom, agent: string, text = "hi") => r.api("/messages", { method: "POST", json: { agent, text } });

describe("limits", () => {
  it("per-sender rate limit: 429 RATE_LIMITED with Retry-After; other senders unaffected", async () => {
    const r = await room({ rateLimit: 6 }); // burst 6, one every 10 s
    // Another sender is another credential: a token. (Password-only posts from this address share one limit,
    // whatever names they claim: test/server/hardening.test.ts.)
    const { token } = (await (await r.api("/join", { method: "POST", json: { name: "calm" } })).json()) as { token: string };
    for (let i = 0; i < 6; i++) expect((await post(r, "chatty")).status).toBe(201);
    const res = await post(r, "chatty");
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    expect((await r.api("/messages", { method: "POST", token, json: { text: "hi" } })).status).toBe(201);
  });

  it("failed passwords are throttled per address with 429 AUTH_RATE_LIMITED and Retry-After — even the right one then", async () => {
    const r = await room({ authFailPerMinute: 5 });
    for (let i = 0; i < 5; i++) expect((await r.api("/room", { headers: { "x-room-password": `guess${i}` } })).status).toBe(401);
    const limited = await r.api("/room", { headers: { "x-room-password": "guess-again" } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("AUTH_RATE_LIMITED");
    // a correct guess from the throttled address learns nothing either
    expect((await r.api("/room")).status).toBe(429);
  });

  it("a client's own stale token (after /leave) is not a password guess: its address can still join", async () => {
    const r = await room({ authFailPerMinute: 3 });
    const { token } = (await (await r.api("/join", { method: "POST", json: { name: "leaver" } })).json()) as { token: string };
    expect((await r.api("/leave", { method: "POST", token, json: {} })).status).toBe(200);
    // Late requests with the dead token (a stream opened just before the leave, a retry): each 401, none counted.
    for (let i = 0; i < 6; i++) {
      const res = await r.api("/messages", { token });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Unknown participant token/);
    }
    expect((await r.api("/join", { method: "POST", json: { name: "leaver-again" } })).status).toBe(201);
    // A malformed "token" is still a guess like any password.
    for (let i = 0; i < 3; i++) expect((await r.api("/room", { token: `ac_short${i}` })).status).toBe(401);
    expect((await r.api("/room", { token: "ac_short-again" })).status).toBe(429);
  });

  it("participants with tokens carry on while password guessing is throttled", async () => {
    const r = await room({ authFailPerMinute: 3 });
    const { token } = (await (await r.api("/join", { method: "POST", json: { name: "insider" } })).json()) as { token: string };
    for (let i = 0; i < 5; i++) await r.api("/room", { headers: { "x-room-password": `guess${i}` } });
    expect((await r.api("/messages", { method: "POST", token, json: { text: "still here" } })).status).toBe(201);
  });

  it("behind a tunnel, the tunnel's client-address header decides who is throttled (only from loopback)", async () => {
    const r = await room({ authFailPerMinute: 2, trustProxy: true });
    const from = (ip: string, pw: string) => r.api("/room", { headers: { "x-room-password": pw, "cf-connecting-ip": ip } });
    await from("203.0.113.7", "x");
    await from("203.0.113.7", "y");
    expect((await from("203.0.113.7", "z")).status).toBe(429);
    expect((await from("198.51.100.9", r.password)).status).toBe(200); // another visitor behind the same tunnel
  });

  it("over the connection cap new requests get 503 TOO_MANY_CONNECTIONS with Retry-After; existing ones carry on", async () => {
    const r = await room({ maxConnections: 5 });
    const held: net.Socket[] = [];
    for (let i = 0; i < 6; i++) {
      const s = net.connect(r.port, "127.0.0.1");
      await new Promise((res) => s.once("connect", res));
      held.push(s);
    }
    await vi.waitFor(() => expect(r.stats().sockets).toBe(6), { timeout: 30_000, interval: 20 });
    const res = await fetch(r.url + "/health");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("TOO_MANY_CONNECTIONS");
    for (const s of held) s.destroy();
    // once the server has seen them go
    await expect.poll(async () => (await fetch(r.url + "/health")).status, { timeout: 30_000, interval: 50 }).toBe(200);
  });

  it("a body sent one byte at a time is cut off (408) and does not hold the room", async () => {
    const r = await room({ requestTimeoutMs: 3000 });
    const s = net.connect(r.port, "127.0.0.1");
    await new Promise((res) => s.once("connect", res));
    s.write(`POST /messages HTTP/1.1\r\nHost: x\r\nX-Room-Password: ${r.password}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    const drip = setInterval(() => s.write(" "), 200);
    let cut = false;
    const closed = new Promise((res) => s.once("close", res)).then(() => (cut = true));
    let answer = "";
    s.on("data", (d) => (answer += d));
    s.on("error", () => {});
    // meanwhile everyone else is served at once: answered while the drip is still being held, not after it
    const t0 = Date.now();
    expect((await post(r, "other")).status).toBe(201);
    expect(cut, "the other post waited for the drip to be cut").toBe(false);
    await closed; // the server hung up on the drip…
    clearInterval(drip);
    console.log(`[limits] the drip was cut after ${Date.now() - t0} ms (request deadline 3 s)`); // a figure: load decides it
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("oversized bodies get 413 before the body is read, and the server stays up", async () => {
    const r = await room({ maxBodyBytes: 1000 });
    const res = await r.api("/messages", { method: "POST", body: "x".repeat(2_000_000), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("BODY_TOO_LARGE");
    expect((await post(r, "fine")).status).toBe(201);
  });
});
