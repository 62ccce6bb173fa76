// Signed messages: the server checks each signature against the key the sender proved at join, stores it, and
// refuses replays; a token without its key cannot speak for the key.
import { afterEach, describe, expect, it } from "vitest";
import { fingerprint } from "../../src/protocol/signing.js";
import { useRooms } from "../support/room.js";
import { joinWithKey, newKey, post, signedBody } from "./helpers.js";

const rooms = useRooms(afterEach);

async function setup() {
  const room = await rooms();
  const kp = newKey();
  const j = await joinWithKey(room, "dana-bot", kp);
  return { room, kp, token: j.token, roomId: j.room.id };
}

describe("signed messages", () => {
  it("are stored with sig, key, fingerprint and their place in the hash chain", async () => {
    const { room, kp, token, roomId } = await setup();
    const body = await signedBody(room, token, kp, { roomId, name: "dana-bot", text: "hello, signed" });
    const r = await post(room, token, body);
    expect(r.status).toBe(201);
    expect(r.body.message).toMatchObject({ agent: "dana-bot", text: "hello, signed", key: kp.key, fingerprint: fingerprint(kp.key), sig: body.sig, nonce: body.nonce, prev: body.prev, prevId: body.prevId });
    expect(r.body.message.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = (await (await room.api("/messages")).json()) as any;
    expect(stored.messages.at(-1)).toEqual(r.body.message);
  });

  it("a replayed signed message is refused", async () => {
    const { room, kp, token, roomId } = await setup();
    const body = await signedBody(room, token, kp, { roomId, name: "dana-bot", text: "pay 5 coins" });
    expect((await post(room, token, body)).status).toBe(201);
    const again = await post(room, token, body);
    expect([again.status, again.body.error.code]).toEqual([409, "REPLAYED"]);
    const count = ((await (await room.api("/messages")).json()) as any).messages.filter((m: any) => m.text === "pay 5 coins").length;
    expect(count).toBe(1);
  });

  it("a stolen token without the key cannot send: unsigned, signed by another key, or with the key field swapped", async () => {
    const { room, kp, token, roomId } = await setup();
    const unsigned = await post(room, token, { text: "I am dana" });
    expect([unsigned.status, unsigned.body.error.code]).toEqual([403, "SIGNATURE_REQUIRED"]);
    const thief = newKey();
    const forged = await signedBody(room, token, thief, { roomId, name: "dana-bot", text: "I am dana" });
    expect((await post(room, token, forged)).body.error.code).toBe("BAD_SIGNATURE");
    expect((await post(room, token, { ...forged, key: thief.key })).body.error.code).toBe("BAD_SIGNATURE");
    // a password poster cannot borrow the name either
    const pw = await room.api("/messages", { method: "POST", json: { agent: "dana-bot", text: "I am dana" } });
    expect(pw.status).toBe(409);
    const texts = ((await (await room.api("/messages")).json()) as any).messages.map((m: any) => m.text);
    expect(texts).not.toContain("I am dana");
    expect((await post(room, token, await signedBody(room, token, kp, { roomId, name: "dana-bot", text: "really me" }))).status).toBe(201);
  });

  it("any signed field changed in transit fails: text, room, name, reply, time, prev", async () => {
    const { room, kp, token, roomId } = await setup();
    const good = await signedBody(room, token, kp, { roomId, name: "dana-bot", text: "original" });
    const cases: [string, Record<string, unknown>][] = [
      ["text", { ...good, text: "edited" }],
      ["replyTo", { ...good, replyTo: 1 }],
      ["other room", await signedBody(room, token, kp, { roomId: "otherroom1", name: "dana-bot", text: "original" })],
      ["other name", await signedBody(room, token, kp, { roomId, name: "erin-bot", text: "original" })],
      ["prev", { ...good, prev: "A".repeat(43) }],
      ["prevId", { ...good, prevId: good.prevId + 5 }],
      ["old", await signedBody(room, token, kp, { roomId, name: "dana-bot", text: "original", sentAt: new Date(Date.now() - 3_600_000).toISOString() })],
      ["nonce", { ...good, nonce: "tiny" }],
      ["sig", { ...good, sig: "not a signature" }],
    ];
    for (const [what, body] of cases) {
      const r = await post(room, token, body);
      expect([r.status, r.body.error.code], what).toEqual([403, "BAD_SIGNATURE"]);
    }
    expect((await post(room, token, good)).status).toBe(201);
  });

  it("a participant without a key cannot send a signature; one with a key may reply", async () => {
    const { room, kp, token, roomId } = await setup();
    const plain = (await (await room.api("/join", { method: "POST", json: { name: "plain-bot" } })).json()) as any;
    const body = await signedBody(room, plain.token, kp, { roomId, name: "plain-bot", text: "hm" });
    expect((await post(room, plain.token, body)).body.error.code).toBe("BAD_SIGNATURE");
    const first = await post(room, token, await signedBody(room, token, kp, { roomId, name: "dana-bot", text: "one" }));
    const reply = await post(room, token, await signedBody(room, token, kp, { roomId, name: "dana-bot", text: "two", replyTo: first.body.message.id }));
    expect(reply.status).toBe(201);
    expect(reply.body.message.replyTo).toBe(first.body.message.id);
  });
});
