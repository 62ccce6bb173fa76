// Join with proof: a single-use challenge, bound to the room, the URL and the name; a name first claimed with a key
// is held by that key for the room's life.
import { afterEach, describe, expect, it } from "vitest";
import { fingerprint } from "../../src/protocol/signing.js";
import { useRooms } from "../support/room.js";
import { challenge, joinWithKey, newKey, proof, signWith } from "./helpers.js";
import { joinPayload } from "../../src/protocol/signing.js";

const rooms = useRooms(afterEach);
const join = (room: Awaited<ReturnType<typeof rooms>>, json: unknown) =>
  room.api("/join", { method: "POST", json }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe("join with a key proof", () => {
  it("records the key: the answer, /room and the participant list show its fingerprint", async () => {
    const room = await rooms();
    const kp = newKey();
    const j = await joinWithKey(room, "dana-bot", kp);
    expect(j.status).toBe(201);
    expect(j.participant.fingerprint).toBe(fingerprint(kp.key));
    expect(j.participant.fingerprint).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    await join(room, { name: "plain-bot" });
    const info = (await (await room.api("/room")).json()) as any;
    expect(info.id).toBe(j.room.id);
    const byName = Object.fromEntries(info.participants.map((p: any) => [p.name, p]));
    expect(byName["dana-bot"]).toMatchObject({ fingerprint: fingerprint(kp.key), key: kp.key, verified: true });
    expect(byName["plain-bot"]).toMatchObject({ fingerprint: null, key: null });
  });

  it("a challenge works once", async () => {
    const room = await rooms();
    const kp = newKey();
    const p = await proof(room, "dana-bot", kp);
    expect((await join(room, { name: "dana-bot", identity: p })).status).toBe(201);
    const again = await join(room, { name: "dana-bot", identity: p });
    expect([again.status, again.body.error.code]).toEqual([403, "BAD_PROOF"]);
    // even a failed attempt spends it
    const p2 = await proof(room, "erin-bot", kp);
    expect((await join(room, { name: "erin-bot", identity: { ...p2, sig: signWith(newKey(), "x") } })).body.error.code).toBe("BAD_PROOF");
    expect((await join(room, { name: "erin-bot", identity: p2 })).body.error.code).toBe("BAD_PROOF");
  });

  it("a challenge from another room is refused, signed for either room", async () => {
    const a = await rooms();
    const b = await rooms();
    const kp = newKey();
    const fromA = await proof(a, "dana-bot", kp); // signed for room a, at a's URL
    const r1 = await join(b, { name: "dana-bot", identity: { ...fromA, url: b.url } });
    expect([r1.status, r1.body.error.code]).toEqual([403, "BAD_PROOF"]);
    // b's own challenge, signed with a's room id: the signature does not cover b
    const cb = await challenge(b, "dana-bot");
    const aId = (await challenge(a, "dana-bot")).room;
    const forged = { key: kp.key, challenge: cb.challenge, url: b.url, sig: signWith(kp, joinPayload({ room: aId, url: b.url, name: "dana-bot", challenge: cb.challenge })) };
    const r2 = await join(b, { name: "dana-bot", identity: forged });
    expect([r2.status, r2.body.error.code]).toEqual([403, "BAD_PROOF"]);
    expect((await joinWithKey(b, "dana-bot", kp)).status).toBe(201);
  });

  it("a challenge issued for one name cannot be used by another", async () => {
    const room = await rooms();
    const kp = newKey();
    const c = await challenge(room, "dana-bot");
    const sig = signWith(kp, joinPayload({ room: c.room, url: room.url, name: "mallory", challenge: c.challenge }));
    const r = await join(room, { name: "mallory", identity: { key: kp.key, challenge: c.challenge, sig, url: room.url } });
    expect([r.status, r.body.error.code]).toEqual([403, "BAD_PROOF"]);
    // and a proof signed for dana-bot does not let the body claim another name
    const p = await proof(room, "erin-bot", kp);
    expect((await join(room, { name: "erin-bot2", identity: p })).body.error.code).toBe("BAD_PROOF");
  });

  it("a signature bound to another server's URL is refused (a rogue room relaying our challenge)", async () => {
    const room = await rooms();
    const kp = newKey();
    const p = await proof(room, "dana-bot", kp, { url: "http://rogue.example:8765" });
    const r = await join(room, { name: "dana-bot", identity: p });
    expect([r.status, r.body.error.code]).toEqual([403, "BAD_PROOF"]);
  });

  it("malformed proofs get BAD_PROOF, never a crash", async () => {
    const room = await rooms();
    for (const identity of [null, 1, "x", {}, { key: "short" }, { key: newKey().key }, { key: newKey().key, challenge: 1, sig: "", url: "" }]) {
      const r = await join(room, { name: "dana-bot", identity });
      expect([r.status, r.body.error.code], JSON.stringify(identity)).toEqual([403, "BAD_PROOF"]);
    }
  });
});

describe("a name claimed with a key", () => {
  it("stays that key's for the room's life: another key, no key or a password post get 409, even after the holder left", async () => {
    const room = await rooms();
    const kp = newKey();
    const first = await joinWithKey(room, "dana-bot", kp);
    expect((await room.api("/leave", { method: "POST", token: first.token, json: {} })).status).toBe(200);

    const other = await joinWithKey(room, "dana-bot", newKey());
    expect([other.status, other.error?.code]).toEqual([409, "NAME_HELD"]);
    const none = await join(room, { name: "dana-bot" });
    expect([none.status, none.body.error.code]).toEqual([409, "NAME_HELD"]);
    expect(none.body.error.message).toContain(fingerprint(kp.key));
    const pw = await room.api("/messages", { method: "POST", json: { agent: "dana-bot", text: "it is me, honest" } });
    expect(pw.status).toBe(409);
    expect(((await pw.json()) as any).error.code).toBe("NAME_HELD");

    const back = await joinWithKey(room, "dana-bot", kp);
    expect([back.status, back.participant.fingerprint]).toEqual([201, fingerprint(kp.key)]);
  });

  it("resists look-alikes of the held name, while the holder is here and after it left", async () => {
    const room = await rooms();
    const holder = await joinWithKey(room, "dana-bot", newKey());
    expect(holder.status).toBe(201);
    const lookAlikes = ["Dana-Bot", "DANA_BOT", "dаna-bot" /* Cyrillic а */, "dana bot", "ｄａｎａ-bot", "dana-b0t", "dana.bot", "dana-bοt" /* Greek ο */];
    // (Invisible characters are refused in any name: a challenge for one is BAD_NAME, before any key is involved.)
    expect((await room.api("/challenge", { method: "POST", json: { name: "da\u200bna-bot" } })).status).toBe(400);
    for (const v of lookAlikes) {
      const withKey = await joinWithKey(room, v, newKey());
      expect([withKey.status, withKey.error?.code], v).toEqual([409, "NAME_TAKEN"]); // online: taken, as any name
      expect((await join(room, { name: v })).status, v).toBe(409);
    }
    expect((await room.api("/leave", { method: "POST", token: holder.token, json: {} })).status).toBe(200);
    for (const v of lookAlikes) {
      const withKey = await joinWithKey(room, v, newKey());
      expect([withKey.status, withKey.error?.code], v).toEqual([409, "NAME_HELD"]);
      const none = await join(room, { name: v });
      expect([none.status, none.body.error.code], v).toEqual([409, "NAME_HELD"]);
      const pw = await room.api("/messages", { method: "POST", json: { agent: v, text: "hi" } });
      expect(pw.status, v).toBe(409);
    }
  });

  it("the same key joining again (another machine with the exported key) takes the name over", async () => {
    const room = await rooms();
    const kp = newKey();
    const one = await joinWithKey(room, "dana-bot", kp);
    const two = await joinWithKey(room, "dana-bot", kp);
    expect(two.status).toBe(201);
    expect(two.token).not.toBe(one.token);
  });
});

describe("serve --require-identity", () => {
  it("refuses joins without a proof and password-only posts; admits a proven key", async () => {
    const room = await rooms({ requireIdentity: true });
    const none = await join(room, { name: "plain-bot" });
    expect([none.status, none.body.error.code]).toEqual([403, "IDENTITY_REQUIRED"]);
    const pw = await room.api("/messages", { method: "POST", json: { agent: "legacy-bot", text: "hi" } });
    expect([pw.status, ((await pw.json()) as any).error.code]).toEqual([403, "IDENTITY_REQUIRED"]);
    expect((await joinWithKey(room, "dana-bot", newKey())).status).toBe(201);
  });
});
