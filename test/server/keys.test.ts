// Invite keys, every step of their life: mint, claim (name pinned at first use), use as a bearer on every route,
// reuse, uses spent, expiry (an injected clock, no sleeping), revocation with live streams and held polls,
// keys-only rooms, and the cap.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openStream, useRooms } from "../support/room.js";
import { asHost, createRoom, errorCode, mintKey, withBearer, withPassword } from "../support/rooms.js";

const room = useRooms(afterEach);

type Msg = { id: number; agent: string; text: string; kind: string; verified?: boolean };
const join = (url: string, key: string, json: Record<string, unknown> = {}) => withBearer(`${url}/join`, key, { method: "POST", json });
const joined = async (r: Response) => {
  expect(r.status).toBe(201);
  return (await r.json()) as { token: string; participant: { name: string; kind: string } };
};

describe("minting and listing", () => {
  it("mints a 256-bit ak_ key shown once, with a link and an invite block that carry no password", async () => {
    const s = await room();
    const b = await createRoom(s, { title: "Team B" });
    const r = await asHost(s, `/r/${b.id}/keys`, { method: "POST", json: { label: "reviewer", name: "rev-bot", uses: 3, expiresIn: 3600 } });
    expect(r.status).toBe(201);
    const k = (await r.json()) as { key: string; keyId: string; link: string; invite: string };
    expect(k.key).toMatch(/^ak_[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(k.link).toBe(`${b.url}#key=${k.key}`);
    expect(k.invite).toContain(k.key);
    expect(k.invite).toContain(k.link);
    expect(k.invite).toContain("rev-bot");
    expect(k.invite).not.toContain(b.password!);
    expect(k.invite).not.toContain(s.password);
    expect(k.invite).not.toMatch(/password/i);

    const list = await asHost(s, `/r/${b.id}/keys`);
    const text = await list.text();
    expect(text).not.toContain(k.key);
    const stored = s.rooms.resolve(b.id).keys.get(k.keyId)!;
    const hash = createHash("sha256").update(k.key).digest("hex");
    expect(stored.hash).toBe(hash);
    expect(text).not.toContain(hash);
    expect(JSON.stringify({ ...stored, tokens: [...stored.tokens] })).not.toContain(k.key); // only the hash is kept
    expect(JSON.parse(text).keys).toEqual([
      expect.objectContaining({ keyId: k.keyId, label: "reviewer", name: "rev-bot", kind: null, uses: 3, used: 0, claimedBy: null, revoked: false, expired: false }),
    ]);
  });

  it("only the host mints, lists and revokes; bad fields are 400; the cap is 409 TOO_MANY_KEYS", async () => {
    const s = await room({ maxKeys: 2 });
    const b = await createRoom(s);
    const k = await mintKey(s, b.id);
    for (const [method, path] of [["POST", "/keys"], ["GET", "/keys"], ["DELETE", `/keys/${k.keyId}`]] as const) {
      const byPw = await withPassword(`${b.url}${path}`, b.password!, { method, json: method === "POST" ? { label: "x" } : undefined });
      expect(byPw.status, `${method} ${path} with the password`).toBe(403);
      expect(await errorCode(byPw)).toBe("HOST_ONLY");
      const byKey = await withBearer(`${b.url}${path}`, k.key, { method, json: method === "POST" ? { label: "x" } : undefined });
      expect(byKey.status, `${method} ${path} with a key`).toBe(403);
    }
    for (const json of [{}, { label: "" }, { label: "x", uses: 0 }, { label: "x", uses: 1.5 }, { label: "x", expiresIn: -1 }, { label: "x", kind: "robot" }, { label: "x", name: "" }]) {
      const r = await asHost(s, `/r/${b.id}/keys`, { method: "POST", json });
      expect(r.status, JSON.stringify(json)).toBe(400);
    }
    await mintKey(s, b.id);
    const over = await asHost(s, `/r/${b.id}/keys`, { method: "POST", json: { label: "third" } });
    expect(over.status).toBe(409);
    expect(await errorCode(over)).toBe("TOO_MANY_KEYS");
    // the default room has its own keys, at the root too
    expect((await asHost(s, "/keys", { method: "POST", json: { label: "root key" } })).status).toBe(201);
  });
});

describe("claiming and using a key", () => {
  it("pins the name and kind given at first use; later joins keep them", async () => {
    const s = await room();
    const b = await createRoom(s);
    const k = await mintKey(s, b.id, { label: "open slot" });
    const noName = await join(b.url, k.key);
    expect(noName.status).toBe(400);
    expect(await errorCode(noName)).toBe("BAD_NAME");
    const first = await joined(await join(b.url, k.key, { name: "first-name", kind: "human" }));
    expect(first.participant).toEqual({ name: "first-name", kind: "human" });
    const again = await joined(await join(b.url, k.key, { name: "other-name", kind: "agent" }));
    expect(again.participant).toEqual({ name: "first-name", kind: "human" });
    const info = (await (await asHost(s, `/r/${b.id}/keys`)).json()) as { keys: { claimedBy: string; name: string; used: number; claimedAt: string }[] };
    expect(info.keys[0]).toMatchObject({ claimedBy: "first-name", name: "first-name", used: 2 });
    expect(Date.parse(info.keys[0]!.claimedAt)).toBeGreaterThan(0);
  });

  it("works as a bearer credential on every room route, as its participant", async () => {
    const s = await room();
    const b = await createRoom(s, { title: "bearer room" });
    const k = await mintKey(s, b.id, { label: "stateless", name: "curl-bot" });
    // a first post with the key alone claims it (no join needed)
    const post = await withBearer(`${b.url}/messages`, k.key, { method: "POST", json: { text: "hello with a key" } });
    expect(post.status).toBe(201);
    expect(((await post.json()) as { message: Msg }).message).toMatchObject({ agent: "curl-bot", verified: true });
    const posing = await withBearer(`${b.url}/messages`, k.key, { method: "POST", json: { agent: "someone-else", text: "x" } });
    expect(posing.status).toBe(403);
    expect(await errorCode(posing)).toBe("NAME_MISMATCH");
    const hist = (await (await withBearer(`${b.url}/messages`, k.key)).json()) as { messages: Msg[] };
    expect(hist.messages.map((m) => m.text)).toContain("hello with a key");
    const poll = (await (await withBearer(`${b.url}/messages/poll?after=0&timeout=0`, k.key)).json()) as { messages: Msg[] };
    expect(poll.messages.length).toBe(hist.messages.length);
    const info = (await (await withBearer(`${b.url}/room`, k.key)).json()) as { title: string; participants: { name: string }[] };
    expect(info.title).toBe("bearer room");
    expect(info.participants.map((p) => p.name)).toEqual(["curl-bot"]);
    const invite = await (await withBearer(`${b.url}/invite`, k.key)).text();
    expect(invite).toContain(k.key);
    expect(invite).not.toContain(b.password!);
    const qr = await withBearer(`${b.url}/qr.svg`, k.key);
    expect(qr.status).toBe(200);
    const stream = await openStream(`${b.url}/messages/stream?after=0`, { authorization: `Bearer ${k.key}` });
    expect(stream.status).toBe(200);
    expect((await stream.messages(2)).map((m) => m.text)).toContain("hello with a key");
    stream.close();
    // ?token= works too (EventSource cannot send headers)
    expect((await fetch(`${b.url}/room?token=${k.key}`)).status).toBe(200);
  });

  it("a key opens only its own room; an unknown key is 401", async () => {
    const s = await room();
    const a = await createRoom(s);
    const b = await createRoom(s);
    const k = await mintKey(s, a.id, { label: "a only", name: "a-bot" });
    expect((await withBearer(`${b.url}/room`, k.key)).status).toBe(401);
    expect((await withBearer(`${s.url}/room`, k.key)).status).toBe(401);
    const unknown = await withBearer(`${a.url}/room`, "ak_" + "A".repeat(43));
    expect(unknown.status).toBe(401);
    expect(await errorCode(unknown)).toBe("UNAUTHORIZED");
  });

  it("a key holds one session: joining again starts a new one and the previous token stops", async () => {
    const s = await room();
    const b = await createRoom(s);
    const k = await mintKey(s, b.id, { label: "slot", name: "slot-bot" });
    const one = await joined(await join(b.url, k.key));
    const two = await joined(await join(b.url, k.key));
    expect(two.token).not.toBe(one.token);
    expect((await withBearer(`${b.url}/room`, two.token)).status).toBe(200);
    expect((await withBearer(`${b.url}/room`, one.token)).status).toBe(401);
    // posting with the new token is the same name
    const p = await withBearer(`${b.url}/messages`, two.token, { method: "POST", json: { text: "still me" } });
    expect(((await p.json()) as { message: Msg }).message.agent).toBe("slot-bot");
  });

  it("uses: joins past the limit are 403 KEY_USED_UP; the key and its token keep working otherwise", async () => {
    const s = await room();
    const b = await createRoom(s);
    const k = await mintKey(s, b.id, { label: "two joins", name: "twice", uses: 2 });
    await joined(await join(b.url, k.key));
    const last = await joined(await join(b.url, k.key));
    const third = await join(b.url, k.key);
    expect(third.status).toBe(403);
    expect(await errorCode(third)).toBe("KEY_USED_UP");
    expect((await withBearer(`${b.url}/room`, last.token)).status).toBe(200);
    expect((await withBearer(`${b.url}/messages`, k.key, { method: "POST", json: { text: "bearer use counts no join" } })).status).toBe(201);
  });

  it("expiry: after expiresIn the key is 403 KEY_EXPIRED (clock injected); tokens joined before keep working", async () => {
    let now = Date.parse("2026-12-01T12:00:00Z");
    const s = await room({ now: () => now });
    const b = await createRoom(s);
    const k = await mintKey(s, b.id, { label: "an hour", name: "hourly", expiresIn: 3600 });
    const before = await joined(await join(b.url, k.key));
    now += 3599_000;
    expect((await withBearer(`${b.url}/room`, k.key)).status).toBe(200);
    now += 1000;
    for (const r of [await join(b.url, k.key), await withBearer(`${b.url}/room`, k.key), await withBearer(`${b.url}/messages/stream`, k.key)]) {
      expect(r.status).toBe(403);
      expect(await errorCode(r)).toBe("KEY_EXPIRED");
    }
    expect((await withBearer(`${b.url}/room`, before.token)).status).toBe(200);
    const list = (await (await asHost(s, `/r/${b.id}/keys`)).json()) as { keys: { expired: boolean; expiresAt: string }[] };
    expect(list.keys[0]).toMatchObject({ expired: true, expiresAt: "2026-12-01T13:00:00.000Z" });
  });
});

describe("revoking a key", () => {
  it("ends live SSE streams (token and key) with event: removed, answers held polls 403, then 403 REVOKED everywhere", async () => {
    const s = await room();
    const b = await createRoom(s);
    const k = await mintKey(s, b.id, { label: "to revoke", name: "doomed" });
    const other = await mintKey(s, b.id, { label: "stays", name: "stays" });
    const session = await joined(await join(b.url, k.key));
    const otherSession = await joined(await join(b.url, other.key));
    const tokenStream = await openStream(`${b.url}/messages/stream`, { authorization: `Bearer ${session.token}` });
    const keyStream = await openStream(`${b.url}/messages/stream`, { authorization: `Bearer ${k.key}` });
    const otherStream = await openStream(`${b.url}/messages/stream`, { authorization: `Bearer ${otherSession.token}` });
    const lastId = ((await (await withBearer(`${b.url}/room`, session.token)).json()) as { lastId: number }).lastId;
    const tokenPoll = withBearer(`${b.url}/messages/poll?after=${lastId}&timeout=60`, session.token);
    const keyPoll = withBearer(`${b.url}/messages/poll?after=${lastId}&timeout=60`, k.key);
    await vi.waitFor(() => expect(s.stats().polls).toBe(2), { timeout: 30_000 });

    const del = await asHost(s, `/r/${b.id}/keys/${k.keyId}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    for (const st of [tokenStream, keyStream]) {
      const ev = await st.next();
      expect(ev?.event).toBe("removed");
      expect(JSON.parse(ev!.data)).toMatchObject({ name: "doomed", reason: "revoked" });
      expect(await st.next()).toBeUndefined();
    }
    for (const p of [await tokenPoll, await keyPoll]) {
      expect(p.status).toBe(403);
      expect(await errorCode(p)).toBe("REVOKED");
    }
    for (const secret of [session.token, k.key]) {
      for (const [method, path] of [["GET", "/room"], ["POST", "/messages"], ["GET", "/messages"], ["POST", "/join"]] as const) {
        const r = await withBearer(`${b.url}${path}`, secret, { method, json: method === "POST" ? { text: "x", name: "doomed" } : undefined });
        expect(r.status, `${method} ${path} with ${secret.slice(0, 3)}`).toBe(403);
        expect(await errorCode(r)).toBe("REVOKED");
      }
    }
    // everyone else carries on, and is told
    const sys = await otherStream.messages(1);
    expect(sys[0]).toMatchObject({ kind: "system", text: expect.stringContaining("revoked doomed") });
    expect((await withBearer(`${b.url}/messages`, otherSession.token, { method: "POST", json: { text: "carry on" } })).status).toBe(201);
    const listed = (await (await asHost(s, `/r/${b.id}/keys`)).json()) as { keys: { keyId: string; revoked: boolean }[] };
    expect(listed.keys.find((x) => x.keyId === k.keyId)?.revoked).toBe(true);
    // the name is not barred: a new key may carry it
    const fresh = await mintKey(s, b.id, { label: "replacement", name: "doomed" });
    expect((await joined(await join(b.url, fresh.key))).participant.name).toBe("doomed");
    for (const st of [otherStream]) st.close();
  });
});

describe("keys-only rooms", () => {
  it("refuse every password with 401 KEY_REQUIRED and a message saying a key is needed; keys and the host get in", async () => {
    const s = await room();
    const made = await asHost(s, "/rooms", { method: "POST", json: { title: "keys only", keysOnly: true } });
    const body = (await made.json()) as { room: { id: string; url: string; password: string | null; keysOnly: boolean }; invite: string | null };
    expect(body.room).toMatchObject({ password: null, keysOnly: true });
    expect(body.invite).toBeNull();
    const withPw = await asHost(s, "/rooms", { method: "POST", json: { title: "keys only, pw set", keysOnly: true, password: "known-pass" } });
    const k2 = ((await withPw.json()) as { room: { id: string; url: string } }).room;
    for (const [url, pw] of [[body.room.url, "anything"], [k2.url, "known-pass"], [k2.url, "wrong"]] as const) {
      for (const r of [await withPassword(`${url}/room`, pw), await withBearer(`${url}/room`, pw), await fetch(`${url}/room`)]) {
        expect(r.status).toBe(401);
        const e = ((await r.json()) as { error: { code: string; message: string } }).error;
        expect(e.code).toBe("KEY_REQUIRED");
        expect(e.message).toMatch(/invite key/);
      }
    }
    const k = await mintKey(s, body.room.id, { label: "member", name: "member" });
    expect((await join(body.room.url, k.key)).status).toBe(201);
    expect((await asHost(s, `/r/${body.room.id}/room`)).status).toBe(200);
    const invite = await (await withBearer(`${body.room.url}/invite`, k.key)).text();
    expect(invite).toContain(k.key);
  });
});
