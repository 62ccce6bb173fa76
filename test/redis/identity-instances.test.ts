// Known agents across `serve --redis` instances: a participant that proved a key on one instance must sign on every
// other one too (its token alone is refused there), and its signed messages go through on both.
import { afterAll, beforeAll, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { fingerprint, generateKeyPair, joinPayload, messagePayload, privateKeyObject, signBytes } from "../../src/protocol/signing.js";
import { describeRedis, startInstance, startRedis, tempDir, type Instance, type TestRedis } from "./helpers.js";

describeRedis("known agents on several instances", () => {
  let redis: TestRedis;
  let a: Instance;
  let b: Instance;
  const t = tempDir();
  beforeAll(async () => {
    redis = await startRedis(t.dir);
    a = await startInstance(redis.url, t.dir);
    b = await startInstance(redis.url, t.dir);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
    t.cleanup();
  });

  it("a challenge issued by one instance is spent by a join on another (as behind a balancer), and only once", async () => {
    const call = async (i: Instance, path: string, body: unknown) => {
      const r = await fetch(i.url + path, { method: "POST", headers: { "x-room-password": a.password, "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as any };
    };
    const kp = generateKeyPair();
    const c = (await call(a, "/challenge", { name: "lb-bot" })).body;
    // The signed URL is the one the client used (a balancer's, in a deployment): here, b's.
    const identity = { key: kp.key, challenge: c.challenge, url: b.url, sig: signBytes(joinPayload({ room: c.room, url: b.url, name: "lb-bot", challenge: c.challenge }), privateKeyObject(kp)) };
    const j = await call(b, "/join", { name: "lb-bot", identity });
    expect(j.status, JSON.stringify(j.body)).toBe(201);
    expect(j.body.participant.fingerprint).toBe(fingerprint(kp.key));
    // Spent: neither the instance that issued it nor the one that took it accepts it again.
    for (const i of [a, b]) {
      const again = await call(i, "/join", { name: "lb-bot", identity: { ...identity, url: i.url, sig: signBytes(joinPayload({ room: c.room, url: i.url, name: "lb-bot", challenge: c.challenge }), privateKeyObject(kp)) } });
      expect([again.status, again.body.error?.code]).toEqual([403, "BAD_PROOF"]);
    }
  });

  it("a key proven on one instance is required on the other; signed posts go through on both", async () => {
    const call = async (i: Instance, path: string, body: unknown, auth: Record<string, string>) => {
      const r = await fetch(i.url + path, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as any };
    };
    const pw = { "x-room-password": a.password };
    const kp = generateKeyPair();
    const priv = privateKeyObject(kp);
    const c = (await call(a, "/challenge", { name: "dana-bot" }, pw)).body;
    const identity = { key: kp.key, challenge: c.challenge, url: a.url, sig: signBytes(joinPayload({ room: c.room, url: a.url, name: "dana-bot", challenge: c.challenge }), priv) };
    const j = await call(a, "/join", { name: "dana-bot", identity }, pw);
    expect(j.status).toBe(201);
    const bearer = { authorization: `Bearer ${j.body.token}` };
    const unsigned = await call(b, "/messages", { text: "token only, on b" }, bearer);
    expect([unsigned.status, unsigned.body.error?.code]).toEqual([403, "SIGNATURE_REQUIRED"]);
    for (const i of [a, b]) {
      const last = ((await (await fetch(i.url + "/messages?limit=20", { headers: bearer })).json()) as any).messages.filter((m: any) => m.hash).at(-1);
      const f = { sentAt: new Date().toISOString(), nonce: randomBytes(16).toString("base64url"), prev: last?.hash ?? "", prevId: last?.id ?? 0 };
      const text = `signed on ${i === a ? "a" : "b"}`;
      const r = await call(i, "/messages", { text, ...f, sig: signBytes(messagePayload({ room: c.room, name: "dana-bot", text, ...f }), priv) }, bearer);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  });
});
