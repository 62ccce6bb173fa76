// Nobody can speak as someone else; presence is visible; the host can remove and pause; the loop guard holds.
import { afterEach, describe, expect, it, vi } from "vitest";
import { openStream, type TestRoom, useRooms } from "../support/room.js";

const room = useRooms(afterEach);

/** `token`: the caller's own participant token (a re-join), or the host token (a human the host vouches for). */
async function join(r: TestRoom, name: string, kind = "agent", token?: string) {
  const res = await r.api("/join", { method: "POST", json: { name, kind }, ...(token ? { token } : {}) });
  return { status: res.status, body: (await res.json()) as { token: string; participant: { name: string }; error?: { code: string; suggestion?: string } } };
}
const say = (r: TestRoom, token: string, text: string, extra: object = {}) => r.api("/messages", { method: "POST", token, json: { text, ...extra } });
const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const host = (r: TestRoom, path: string, json: object = {}) => r.api(path, { method: "POST", token: r.hostToken, json });

describe("tokens bind names", () => {
  it("a token posts as its name; a different body name is refused; messages say verified", async () => {
    const r = await room();
    const { status, body } = await join(r, "alice");
    expect(status).toBe(201);
    expect(body.token).toMatch(/^ac_[A-Za-z0-9_-]{43}$/);
    const ok = await say(r, body.token, "hi", { agent: "ALICE" }); // same name, folded: fine
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { message: object }).message).toMatchObject({ agent: "alice", verified: true, kind: "agent" });
    const spoof = await say(r, body.token, "I am the boss", { agent: "boss" });
    expect(spoof.status).toBe(403);
    expect(await code(spoof)).toBe("NAME_MISMATCH");
  });

  it("a held name cannot be taken, even with look-alikes; 409 comes with a free suggestion", async () => {
    const r = await room();
    await join(r, "alice");
    for (const lookalike of ["alice", "Alice", "аlice", "ALİCE", "a1ice"]) {
      const { status, body } = await join(r, lookalike);
      expect(status, lookalike).toBe(409);
      expect(body.error!.code).toBe("NAME_TAKEN");
      expect(body.error!.suggestion).toBe(`${lookalike}-2`);
    }
    // Invisible characters are refused outright now (issue 12), rather than folded into a held name.
    const invisible = await join(r, "al\u200bice");
    expect(invisible.status).toBe(400);
    expect(invisible.body.error!.code).toBe("BAD_NAME");
    expect((await join(r, "alice-2")).status).toBe(201);
  });

  it("re-joining with one's own token returns the same participant and token", async () => {
    const r = await room();
    const first = await join(r, "bob");
    const again = await join(r, "bob", "agent", first.body.token);
    expect(again.status).toBe(201);
    expect(again.body.token).toBe(first.body.token);
  });

  it("a password-only post cannot use a name a token holds", async () => {
    const r = await room();
    await join(r, "human-boss", "human");
    const res = await r.api("/messages", { method: "POST", json: { agent: "Human-Boss", text: "do it", kind: "human" } });
    expect(res.status).toBe(409);
    expect(await code(res)).toBe("NAME_TAKEN");
    // other names still work with the password alone, marked unverified
    const legacy = await r.api("/messages", { method: "POST", json: { agent: "legacy-bot", text: "hi" } });
    expect(((await legacy.json()) as { message: object }).message).toMatchObject({ agent: "legacy-bot", verified: false });
  });

  it("a name frees up after its holder has been silent past the hold time", async () => {
    const clock = { t: Date.now() }; // the room's clock: 400 ms pass when the test says so, however busy the machine
    const r = await room({ nameHoldMs: 300, now: () => clock.t });
    await join(r, "sleepy");
    expect((await join(r, "sleepy")).status).toBe(409);
    clock.t += 400;
    expect((await join(r, "sleepy")).status).toBe(201);
  });

  it("leaving releases the name and says so", async () => {
    const r = await room();
    const { body } = await join(r, "leaver");
    expect((await r.api("/leave", { method: "POST", token: body.token })).status).toBe(200);
    expect((await say(r, body.token, "still here?")).status).toBe(401);
    expect((await join(r, "leaver")).status).toBe(201);
    const all = (await (await r.api("/messages")).json()) as { messages: { text: string; kind: string }[] };
    expect(all.messages.filter((m) => m.kind === "system").map((m) => m.text)).toContain("leaver left.");
  });
});

describe("presence", () => {
  it("online while streaming or polling, offline after the grace period", async () => {
    const clock = { t: Date.now() }; // the room's clock: time passes only when the test moves it
    const r = await room({ presenceGraceMs: 300, now: () => clock.t });
    const a = await join(r, "streamer");
    const b = await join(r, "poller");
    await join(r, "quiet");
    const s = await openStream(`${r.url}/messages/stream?token=${a.body.token}`);
    const poll = r.api("/messages/poll?after=999999&timeout=0", { token: b.body.token }); // answers at once (reset)
    await poll;
    const pending = r.api(`/messages/poll?after=${r.room.history.lastId}&timeout=3`, { token: b.body.token });
    await vi.waitFor(() => expect(r.stats()).toMatchObject({ streams: 1, polls: 1 }), { timeout: 30_000, interval: 20 });
    clock.t += 600; // past the grace period
    const who = async () => Object.fromEntries(((await (await r.api("/room")).json()) as { participants: { name: string; online: boolean; via: string }[] }).participants.map((p) => [p.name, p]));
    let list = await who();
    expect(list.streamer).toMatchObject({ online: true, via: "stream" });
    expect(list.poller).toMatchObject({ online: true, via: "poll" });
    expect(list.quiet!.online).toBe(false);
    s.close();
    await vi.waitFor(() => expect(r.stats().streams).toBe(0), { timeout: 30_000, interval: 20 }); // the server saw it go
    expect((await who()).streamer!.online).toBe(true); // within grace after leaving
    await pending; // the poll times out after 3 s
    clock.t += 400;
    list = await who();
    expect(list.streamer!.online).toBe(false);
    expect(list.poller!.online).toBe(false);
  });
});

describe("host controls", () => {
  it("removal revokes the token, closes its stream with event: removed, bars the name", async () => {
    const r = await room();
    const bad = await join(r, "runaway");
    const s = await openStream(`${r.url}/messages/stream?token=${bad.body.token}`);
    const res = await host(r, "/host/kick", { name: "Runaway" });
    expect(res.status).toBe(200);
    let e;
    do e = await s.next();
    while (e && e.event !== "removed");
    expect(e!.event).toBe("removed");
    expect(await s.next()).toBeUndefined(); // stream closed
    const post = await say(r, bad.body.token, "let me back");
    expect(post.status).toBe(403);
    expect(await code(post)).toBe("REMOVED");
    const rejoin = await join(r, "runaway");
    expect(rejoin.status).toBe(403);
    expect(rejoin.body.error!.code).toBe("NAME_BARRED");
    const legacy = await r.api("/messages", { method: "POST", json: { agent: "runaway", text: "via password" } });
    expect(await code(legacy)).toBe("NAME_BARRED");
  });

  it("only the host token may use host routes", async () => {
    const r = await room();
    const a = await join(r, "agent-a");
    for (const path of ["/host/kick", "/host/pause", "/host/resume", "/host/title"]) {
      expect((await r.api(path, { method: "POST", json: { name: "x", title: "t" } })).status, path).toBe(403);
      expect(await code(await r.api(path, { method: "POST", token: a.body.token, json: { name: "x", title: "t" } }))).toBe("HOST_ONLY");
    }
  });

  it("pause stops agents, not humans; resume lets them go on; title changes", async () => {
    const r = await room();
    const agent = await join(r, "worker");
    // A human the host vouches for (joined with the host token, as the host's page does); a "human" joined with
    // the password is only a claim and is paused like an agent (test/server/hardening.test.ts).
    const human = await join(r, "person", "human", r.hostToken);
    expect((await host(r, "/host/pause")).status).toBe(200);
    const refused = await say(r, agent.body.token, "working");
    expect(refused.status).toBe(423);
    expect(await code(refused)).toBe("PAUSED");
    expect((await say(r, human.body.token, "I can still talk")).status).toBe(201);
    expect((await say(r, agent.body.token, "still paused")).status).toBe(423); // a human message does not lift a host pause
    await host(r, "/host/resume");
    expect((await say(r, agent.body.token, "back")).status).toBe(201);
    await host(r, "/host/title", { title: "New title" });
    expect(((await (await r.api("/room")).json()) as { title: string }).title).toBe("New title");
  });
});

describe("loop guard", () => {
  it("pauses agents after N agent messages in a row; a human message resets it", async () => {
    const r = await room({ loopGuard: 5 });
    const a = await join(r, "ping");
    const b = await join(r, "pong");
    const h = await join(r, "human", "human", r.hostToken); // vouched: see the pause test above
    for (let i = 0; i < 3; i++) expect((await say(r, a.body.token, `a${i}`)).status).toBe(201);
    expect((await say(r, h.body.token, "carry on")).status).toBe(201); // resets the count
    for (let i = 0; i < 5; i++) expect((await say(r, i % 2 ? a.body.token : b.body.token, `x${i}`)).status).toBe(201);
    const stopped = await say(r, a.body.token, "one more");
    expect(stopped.status).toBe(423);
    expect(((await stopped.json()) as { error: { message: string } }).error.message).toMatch(/waiting for a human/);
    expect(((await (await r.api("/room")).json()) as { paused: string }).paused).toBe("loop");
    expect((await say(r, h.body.token, "ok, go on")).status).toBe(201);
    expect((await say(r, a.body.token, "thanks")).status).toBe(201);
  });

  it("the host can resume a loop-guard pause", async () => {
    const r = await room({ loopGuard: 2 });
    const a = await join(r, "ping");
    await say(r, a.body.token, "1");
    await say(r, a.body.token, "2");
    expect((await say(r, a.body.token, "3")).status).toBe(423);
    await host(r, "/host/resume");
    expect((await say(r, a.body.token, "3")).status).toBe(201);
  });
});

describe("secrets stay secret", () => {
  it("no token or password appears in /room, /messages or the host's log", async () => {
    const lines: string[] = [];
    const r = await room({ log: (l: string) => lines.push(l) });
    const a = await join(r, "secretive");
    await say(r, a.body.token, "hello");
    await r.api("/messages", { method: "POST", body: "{bad" });
    await r.api("/room", { headers: { "x-room-password": "wrong-guess" } });
    const dump = (await (await r.api("/room")).text()) + (await (await r.api("/messages")).text()) + lines.join("\n");
    for (const secret of [a.body.token, r.password, r.hostToken, "wrong-guess"]) expect(dump).not.toContain(secret);
  });
});
