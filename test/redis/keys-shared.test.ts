// Invite keys across `serve --redis` instances: a key minted through one instance works through every other one, its
// joins are counted once across all of them (a one-use key cannot be used twice through two instances, even at the
// same moment), GET …/keys is the same everywhere, a revocation through any instance stops the key and its tokens on
// every instance at once (their streams end with `removed`), and keys-only rooms work through every instance.
import { expect, it } from "vitest";
import { openStream } from "../support/room.js";
import { joinWs } from "../ws/helpers.js";
import { describeRedis } from "./helpers.js";
import { jsonOf, refusal, useFleet } from "./fleet.js";
import type { TestRoom } from "../support/room.js";
import { fingerprint, joinPayload } from "../../src/protocol/signing.js";
import { newKey, signWith } from "../identity/helpers.js";

const hostOf = (i: TestRoom) => ({ authorization: `Bearer ${i.hostToken}` });
const mint = async (i: TestRoom, body: Record<string, unknown>, base = "") => {
  const r = await jsonOf(await i.api(`${base}/keys`, { method: "POST", headers: hostOf(i), json: body }));
  expect(r.status).toBe(201);
  return r.body as { key: string; keyId: string };
};
const joinWith = (i: TestRoom, key: string, body: Record<string, unknown> = {}, base = "") => i.api(`${base}/join`, { method: "POST", token: key, json: body });

describeRedis("invite keys shared by every instance", () => {
  const fleet = useFleet();

  it("a key minted on A joins on B and on C; each join starts the key's one session; GET /keys agrees everywhere", async () => {
    const [a, b, c] = await fleet.start(3);
    const { key, keyId } = await mint(a!, { label: "builder", name: "kb-bot" });
    const onB = await jsonOf(await joinWith(b!, key));
    expect(onB).toMatchObject({ status: 201, body: { participant: { name: "kb-bot" } } });
    expect((await c!.api("/messages", { method: "POST", token: onB.body.token, json: { text: "first session, on c" } })).status).toBe(201);
    const onC = await jsonOf(await joinWith(c!, key));
    expect(onC.status).toBe(201);
    // A key holds one session: the token from B stops, on B and everywhere else.
    for (const i of [b!, a!, c!]) expect(await refusal(await i.api("/messages", { method: "POST", token: onB.body.token, json: { text: "old session" } }))).toEqual([401, "UNAUTHORIZED"]);
    // The key itself, used directly on another instance, speaks as its current participant (no new join counted).
    const direct = await jsonOf(await a!.api("/messages", { method: "POST", token: key, json: { text: "the key itself, on a" } }));
    expect(direct).toMatchObject({ status: 201, body: { message: { agent: "kb-bot", verified: true } } });
    expect((await c!.api("/messages", { method: "POST", token: onC.body.token, json: { text: "still the current session" } })).status).toBe(201);
    // A socket joined with the key through an instance started now continues that session too.
    const [late] = await fleet.more(1);
    const ws = await joinWs(late!.url, { key });
    expect(ws.joined.participant).toEqual({ name: "kb-bot", kind: "agent" });
    ws.send({ type: "send", text: "the key's socket, on a late instance", ref: 1 });
    expect((await ws.next("sent")).message).toMatchObject({ agent: "kb-bot", verified: true });
    ws.close();
    expect((await c!.api("/messages", { method: "POST", token: onC.body.token, json: { text: "and still the current session" } })).status).toBe(201);
    for (const i of [a!, b!, c!]) {
      const listed = (await jsonOf(await i.api("/keys", { headers: hostOf(i) }))).body.keys;
      expect(listed).toEqual([expect.objectContaining({ keyId, label: "builder", name: "kb-bot", used: 2, claimedBy: "kb-bot", revoked: false })]);
      expect(JSON.stringify(listed)).not.toContain(key);
    }
  });

  it("a one-use key used on A is refused on B; two instances racing for one use: exactly one join", async () => {
    const [a, b] = await fleet.start(2);
    const once = await mint(a!, { label: "once", uses: 1 });
    expect((await joinWith(a!, once.key, { name: "once-olga" })).status).toBe(201);
    expect(await refusal(await joinWith(b!, once.key, { name: "once-olga" }))).toEqual([403, "KEY_USED_UP"]);
    for (let round = 0; round < 5; round++) {
      const race = await mint(b!, { label: `race ${round}`, uses: 1, name: `racer-${round}` });
      const answers = await Promise.all([a!, b!, a!, b!].map(async (i) => refusal(await joinWith(i, race.key))));
      expect(answers.filter(([s]) => s === 201)).toHaveLength(1);
      expect(answers.filter(([s, code]) => s === 403 && code === "KEY_USED_UP")).toHaveLength(3);
    }
    // An expired key is refused on every instance.
    const brief = await mint(a!, { label: "brief", expiresIn: 1, name: "brief-bo" });
    await expect.poll(async () => refusal(await joinWith(b!, brief.key)), { timeout: 30_000, interval: 200 }).toEqual([403, "KEY_EXPIRED"]);
  });

  it("revoked on B: the key and its token stop on A and C at once, and their streams end with `removed`", async () => {
    const [a, b, c] = await fleet.start(3);
    const { key, keyId } = await mint(a!, { label: "to revoke", name: "rev-rex" });
    const token = (await jsonOf(await joinWith(a!, key))).body.token as string;
    const stream = await openStream(a!.url + "/messages/stream", { authorization: `Bearer ${token}` });
    expect(stream.status).toBe(200);
    const keyStream = await openStream(c!.url + "/messages/stream", { authorization: `Bearer ${key}` });
    expect(keyStream.status).toBe(200);
    const ws = await joinWs(a!.url, { key });
    const del = await jsonOf(await b!.api(`/keys/${keyId}`, { method: "DELETE", headers: hostOf(b!) }));
    expect(del).toMatchObject({ status: 200, body: { revoked: keyId } });
    for (const s of [stream, keyStream]) {
      let ev = await s.next();
      while (ev && ev.event === "message") ev = await s.next();
      expect(ev?.event).toBe("removed");
    }
    expect((await ws.next("removed")).type).toBe("removed");
    for (const i of [a!, c!, b!]) {
      expect(await refusal(await i.api("/messages", { method: "POST", token, json: { text: "revoked?" } }))).toEqual([403, "REVOKED"]);
      expect(await refusal(await i.api("/messages", { method: "POST", token: key, json: { text: "revoked?" } }))).toEqual([403, "REVOKED"]);
      expect((await jsonOf(await i.api("/keys", { headers: hostOf(i) }))).body.keys).toEqual([expect.objectContaining({ keyId, revoked: true })]);
    }
    // An instance started after the revocation refuses both too.
    const [late] = await fleet.more(1);
    expect(await refusal(await late!.api("/messages", { method: "POST", token, json: { text: "revoked?" } }))).toEqual([403, "REVOKED"]);
    expect(await refusal(await joinWith(late!, key))).toEqual([403, "REVOKED"]);
    // The room was told once.
    const lines = (await jsonOf(await c!.api("/messages"))).body.messages.filter((m: any) => /revoked rev-rex/.test(m.text));
    expect(lines).toHaveLength(1);
  });

  it("a keys-only room created on A works with a key minted on B, through C", async () => {
    const [a, b, c] = await fleet.start(3);
    const made = await jsonOf(await a!.api("/rooms", { method: "POST", headers: hostOf(a!), json: { title: "keys only", keysOnly: true } }));
    const base = `/r/${made.body.room.id}`;
    const { key } = await mint(b!, { label: "member" }, base);
    const j = await jsonOf(await joinWith(c!, key, { name: "ko-kim" }, base));
    expect(j.status).toBe(201);
    expect((await a!.api(`${base}/messages`, { method: "POST", token: j.body.token, json: { text: "in" } })).status).toBe(201);
    expect((await b!.api(`${base}/messages`, { token: key })).status).toBe(200);
    for (const i of [a!, b!, c!]) expect(await refusal(await i.api(`${base}/messages`, { headers: { "x-room-password": "anything" } }))).toEqual([401, "KEY_REQUIRED"]);
  });

  it("a key pinned to an agent key's fingerprint on A admits only that agent key on B", async () => {
    const [a, b] = await fleet.start(2);
    const kp = newKey();
    const { key } = await mint(a!, { label: "dana", name: "dana-bot", fingerprint: fingerprint(kp.key) });
    expect(await refusal(await joinWith(b!, key))).toEqual([403, "BAD_PROOF"]);
    // The proof is made with the key as the credential (a keys-only caller has no password to ask a challenge with).
    const proofWith = async (kpx: ReturnType<typeof newKey>) => {
      const c = (await jsonOf(await b!.api("/challenge", { method: "POST", token: key, json: { name: "dana-bot" } }))).body;
      return { key: kpx.key, challenge: c.challenge, url: b!.url, sig: signWith(kpx, joinPayload({ room: c.room, url: b!.url, name: "dana-bot", challenge: c.challenge })) };
    };
    expect(await refusal(await joinWith(b!, key, { identity: await proofWith(newKey()) }))).toEqual([403, "BAD_PROOF"]);
    const ok = await jsonOf(await joinWith(b!, key, { identity: await proofWith(kp) }));
    expect(ok).toMatchObject({ status: 201, body: { participant: { name: "dana-bot", fingerprint: fingerprint(kp.key) } } });
  });

  it("an unnamed key first used through two instances at once under two names: pinned to one, the other told so", async () => {
    const [a, b] = await fleet.start(2);
    for (let round = 0; round < 5; round++) {
      const { key } = await mint(a!, { label: `unnamed ${round}` });
      const names = [`first-a-${round}`, `first-b-${round}`];
      const answers = await Promise.all([joinWith(a!, key, { name: names[0] }), joinWith(b!, key, { name: names[1] })].map(async (r) => jsonOf(await r)));
      // Never two names for one key: one join wins the name; the other is told the key's name (or, when the winner's
      // word reached its instance first, joins under that name).
      const won = answers.filter((x) => x.status === 201);
      expect(new Set(won.map((x) => x.body.participant.name)).size).toBe(1);
      for (const x of answers.filter((y) => y.status !== 201)) expect([x.status, x.body.error.code]).toEqual([403, "NAME_MISMATCH"]);
      const pinned = won[0]!.body.participant.name as string;
      expect(names).toContain(pinned);
      for (const i of [a!, b!]) expect(await jsonOf(await joinWith(i, key))).toMatchObject({ status: 201, body: { participant: { name: pinned } } });
    }
  });
});
