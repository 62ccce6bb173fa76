// The room's identity state on an injected clock: challenges expire, the replay cache stays bounded without
// letting a forgotten nonce be replayed, and the chain keeps one hash more than the history.
import { describe, expect, it } from "vitest";
import { createRoomIdentity, type ProvenKey } from "../../src/room/identity.js";
import { chainHash, fingerprint, joinPayload, messagePayload, publicKeyObject } from "../../src/protocol/signing.js";
import { newKey, signWith } from "./helpers.js";

const URL_OK = () => true;

function signer() {
  const kp = newKey();
  const proven: ProvenKey = { key: kp.key, fingerprint: fingerprint(kp.key), object: publicKeyObject(kp.key) };
  return { kp, proven };
}

describe("room identity", () => {
  it("a challenge expires after its minute", () => {
    let t = 1_000_000;
    const id = createRoomIdentity({ roomId: "room1", capacity: 10, now: () => t });
    const { kp } = signer();
    const c = id.issueChallenge("dana");
    t += 60_001;
    const sig = signWith(kp, joinPayload({ room: "room1", url: "http://x", name: "dana", challenge: c.challenge }));
    expect(() => id.checkJoinProof("dana", { key: kp.key, challenge: c.challenge, sig, url: "http://x" }, URL_OK)).toThrow(expect.objectContaining({ code: "BAD_PROOF" }));
    const fresh = id.issueChallenge("dana");
    const sig2 = signWith(kp, joinPayload({ room: "room1", url: "http://x", name: "dana", challenge: fresh.challenge }));
    expect(id.checkJoinProof("dana", { key: kp.key, challenge: fresh.challenge, sig: sig2, url: "http://x" }, URL_OK).key).toBe(kp.key);
  });

  it("the replay cache is bounded, and a nonce it had to forget early cannot be replayed", () => {
    let t = Date.parse("2026-12-01T12:00:00Z");
    const id = createRoomIdentity({ roomId: "room1", capacity: 10, maxNonces: 3, now: () => t });
    const { kp, proven } = signer();
    const msg = (nonce: string) => {
      const sentAt = new Date(t).toISOString();
      const f = { sentAt, nonce, prev: "", prevId: 0 };
      return { ...f, sig: signWith(kp, messagePayload({ room: "room1", name: "dana", text: "hi", ...f })) };
    };
    const sent = [] as ReturnType<typeof msg>[];
    for (let i = 0; i < 5; i++) {
      const body = msg(`nonce-number-000${i}`);
      id.commit(proven.fingerprint, id.checkMessage(proven, "dana", "hi", body));
      sent.push(body);
      t += 1000;
    }
    // 5 nonces went in, 3 are kept: the first two were forgotten, and the window closed behind them
    for (const body of sent) expect(() => id.checkMessage(proven, "dana", "hi", body)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(REPLAYED|BAD_SIGNATURE)$/) }));
    expect(() => id.checkMessage(proven, "dana", "hi", sent[0]!)).toThrow(/replay cache/);
    expect(() => id.checkMessage(proven, "dana", "hi", sent[4]!)).toThrow(expect.objectContaining({ code: "REPLAYED" }));
    // and after the window, an old signed message is refused by its time
    t += 10 * 60_000;
    expect(() => id.checkMessage(proven, "dana", "hi", sent[4]!)).toThrow(/sentAt/);
    expect(id.checkMessage(proven, "dana", "hi", msg("nonce-number-0009")).nonce).toBe("nonce-number-0009");
  });

  it("keeps the chain hash of one message more than the history holds", () => {
    const id = createRoomIdentity({ roomId: "room1", capacity: 3 });
    expect(id.hashAt(0)).toBe("");
    const hashes = [""];
    for (let i = 1; i <= 5; i++) hashes.push(id.link({ id: i, agent: "a", text: `t${i}`, timestamp: "x", kind: "agent" })!);
    expect(id.hashAt(0)).toBeUndefined();
    expect(id.hashAt(1)).toBeUndefined();
    expect([2, 3, 4, 5].map((i) => id.hashAt(i))).toEqual(hashes.slice(2));
    expect(id.hashAt(6)).toBeUndefined();
  });

  it("leaves private messages out of the chain: no hash, and the chain goes on from the last public one", () => {
    const id = createRoomIdentity({ roomId: "room1", capacity: 10 });
    const h1 = id.link({ id: 1, agent: "a", text: "public", timestamp: "x", kind: "agent" });
    expect(id.link({ id: 2, agent: "a", text: "psst", timestamp: "x", kind: "agent", to: "b" })).toBeUndefined();
    expect(id.hashAt(2)).toBe(h1);
    const h3 = id.link({ id: 3, agent: "a", text: "public again", timestamp: "x", kind: "agent" });
    expect(h3).toBe(chainHash(h1!, { id: 3, agent: "a", text: "public again", timestamp: "x", kind: "agent" }));
  });
});
