// Known agents across the rooms of one server: a challenge is bound to its room (id and /r/<id> URL), the same key
// is recognisably the same agent in two rooms, invite keys can be pinned to a fingerprint, and the WebSocket path
// checks signatures as POST /messages does.
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { fingerprint, joinPayload, messagePayload } from "../../src/protocol/signing.js";
import { useRooms } from "../support/room.js";
import { asHost, createRoom, errorCode, mintKey, withBearer, withPassword } from "../support/rooms.js";
import { newKey, signWith } from "./helpers.js";
import type { KeyPair } from "../../src/protocol/signing.js";

const rooms = useRooms(afterEach);

/** Challenge + proof for a room at `url` (its /r/<id> address), with whatever credential `auth` sends. */
async function proofAt(url: string, auth: (u: string, init: any) => Promise<Response>, name: string, kp: KeyPair, signedUrl = url) {
  const c = (await (await auth(`${url}/challenge`, { method: "POST", json: { name } })).json()) as { challenge: string; room: string };
  return { key: kp.key, challenge: c.challenge, url: signedUrl, sig: signWith(kp, joinPayload({ room: c.room, url: signedUrl, name, challenge: c.challenge })) };
}

describe("keys across rooms", () => {
  it("one key is the same fingerprint in two rooms; a challenge of one room fails in the other", async () => {
    const s = await rooms();
    const a = await createRoom(s, { title: "A", password: "pw-a" });
    const b = await createRoom(s, { title: "B", password: "pw-b" });
    const pa = (u: string, i: any) => withPassword(u, "pw-a", i);
    const pb = (u: string, i: any) => withPassword(u, "pw-b", i);
    const kp = newKey();
    const inA = await pa(`${a.url}/join`, { method: "POST", json: { name: "dana-bot", identity: await proofAt(a.url, pa, "dana-bot", kp) } });
    expect(inA.status).toBe(201);
    // a's proof, replayed against b (with b's URL or a's): refused
    const fromA = await proofAt(a.url, pa, "dana-bot", kp);
    expect(await errorCode(await pb(`${b.url}/join`, { method: "POST", json: { name: "dana-bot", identity: fromA } }))).toBe("BAD_PROOF");
    expect(await errorCode(await pb(`${b.url}/join`, { method: "POST", json: { name: "dana-bot", identity: { ...fromA, url: b.url } } }))).toBe("BAD_PROOF");
    // b's challenge signed for a's URL (path /r/<a>): refused
    expect(await errorCode(await pb(`${b.url}/join`, { method: "POST", json: { name: "dana-bot", identity: await proofAt(b.url, pb, "dana-bot", kp, a.url) } }))).toBe("BAD_PROOF");
    const inB = await pb(`${b.url}/join`, { method: "POST", json: { name: "dana-bot", identity: await proofAt(b.url, pb, "dana-bot", kp) } });
    expect(inB.status).toBe(201);
    const fa = ((await inA.json()) as any).participant.fingerprint;
    const fb = ((await inB.json()) as any).participant.fingerprint;
    expect([fa, fb]).toEqual([fingerprint(kp.key), fingerprint(kp.key)]);
  });

  it("an invite key pinned to a fingerprint admits only that key", async () => {
    const s = await rooms();
    const r = await createRoom(s, { title: "pinned", keysOnly: true });
    const kp = newKey();
    const bad = await asHost(s, `/r/${r.id}/keys`, { method: "POST", json: { label: "dana", fingerprint: "not-a-fingerprint" } });
    expect([bad.status, await errorCode(bad)]).toEqual([400, "BAD_FIELD"]);
    const { key } = await mintKey(s, r.id, { label: "dana", name: "dana-bot", fingerprint: fingerprint(kp.key) });
    const listed = (await (await asHost(s, `/r/${r.id}/keys`)).json()) as any;
    expect(listed.keys[0].fingerprint).toBe(fingerprint(kp.key));
    const bearer = (u: string, i: any) => withBearer(u, key, i);
    const none = await bearer(`${r.url}/join`, { method: "POST", json: {} });
    expect([none.status, await errorCode(none)]).toEqual([403, "BAD_PROOF"]);
    const other = await bearer(`${r.url}/join`, { method: "POST", json: { identity: await proofAt(r.url, bearer, "dana-bot", newKey()) } });
    expect([other.status, await errorCode(other)]).toEqual([403, "BAD_PROOF"]);
    const ok = await bearer(`${r.url}/join`, { method: "POST", json: { identity: await proofAt(r.url, bearer, "dana-bot", kp) } });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as any).participant).toMatchObject({ name: "dana-bot", fingerprint: fingerprint(kp.key) });
  });
});

describe("signed messages over the WebSocket", () => {
  it("a key holder's unsigned send is refused, a signed one goes through with its signature", async () => {
    const s = await rooms();
    const kp = newKey();
    const c = (await (await s.api("/challenge", { method: "POST", json: { name: "dana-bot" } })).json()) as { challenge: string; room: string };
    const identity = { key: kp.key, challenge: c.challenge, url: s.url, sig: signWith(kp, joinPayload({ room: c.room, url: s.url, name: "dana-bot", challenge: c.challenge })) };
    const j = (await (await s.api("/join", { method: "POST", json: { name: "dana-bot", identity } })).json()) as any;
    const { WebSocket } = await import("ws");
    const ws = new WebSocket(s.url.replace("http", "ws") + "/ws");
    const frames: any[] = [];
    const next = (type: string) => expect.poll(() => frames.find((f) => f.type === type && !f.seen), { timeout: 30_000 }).toBeTruthy().then(() => {
      const f = frames.find((x) => x.type === type && !x.seen);
      f.seen = true;
      return f;
    });
    ws.on("message", (d) => frames.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once("open", r));
    ws.send(JSON.stringify({ type: "join", token: j.token }));
    await next("joined");
    ws.send(JSON.stringify({ type: "send", text: "unsigned over ws", ref: 1 }));
    expect(await next("error")).toMatchObject({ ref: 1, code: "SIGNATURE_REQUIRED" });
    const last = (await (await s.api("/messages?limit=1")).json()) as any;
    const m = last.messages.at(-1);
    const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString("base64url"), prev: m.hash, prevId: m.id };
    const sig = signWith(kp, messagePayload({ room: c.room, name: "dana-bot", text: "signed over ws", ...f }));
    ws.send(JSON.stringify({ type: "send", text: "signed over ws", ref: 2, ...f, sig }));
    expect((await next("sent")).message).toMatchObject({ text: "signed over ws", sig, fingerprint: fingerprint(kp.key) });
    ws.send(JSON.stringify({ type: "send", text: "signed over ws", ref: 3, ...f, sig }));
    expect(await next("error")).toMatchObject({ ref: 3, code: "REPLAYED" });
    ws.close();
  });
});
