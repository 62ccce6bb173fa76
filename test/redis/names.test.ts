// Names across `serve --redis` instances: a name first joined with an agent key is held by that key on every instance
// (another key or none gets 409 NAME_HELD through any of them, also one started later, and two keys racing for one
// name through two instances: one wins); a name in use through one instance is 409 NAME_TAKEN through the others.
import { expect, it } from "vitest";
import { fingerprint } from "../../src/protocol/signing.js";
import { joinWithKey, newKey } from "../identity/helpers.js";
import { describeRedis } from "./helpers.js";
import { openStream } from "../support/room.js";
import { jsonOf, refusal, useFleet } from "./fleet.js";

describeRedis("names shared by every instance", () => {
  const fleet = useFleet();

  it("a name joined with a key on A is held by it on B and C, after the holder left too; the key itself gets it back anywhere", async () => {
    const [a, b, c] = await fleet.start(3);
    const kp = newKey();
    const first = await joinWithKey(a!, "dana-bot", kp);
    expect(first.status).toBe(201);
    // While the holder is in (it just joined): NAME_TAKEN, as in one process.
    await expect.poll(async () => refusal(await b!.api("/join", { method: "POST", json: { name: "dana-bot" } }))).toEqual([409, "NAME_TAKEN"]);
    expect((await a!.api("/leave", { method: "POST", token: first.token, json: {} })).status).toBe(200);
    for (const i of [b!, c!]) {
      await expect.poll(async () => (await joinWithKey(i, "dana-bot", newKey())).error?.code).toBe("NAME_HELD");
      const none = await jsonOf(await i.api("/join", { method: "POST", json: { name: "Dana-Bot" } }));
      expect([none.status, none.body.error.code]).toEqual([409, "NAME_HELD"]);
      expect(none.body.error.message).toContain(fingerprint(kp.key));
      expect(await refusal(await i.api("/messages", { method: "POST", json: { agent: "dana-bot", text: "it is me, honest" } }))).toEqual([409, "NAME_HELD"]);
    }
    const [late] = await fleet.more(1);
    expect((await joinWithKey(late!, "dana-bot", newKey())).error?.code).toBe("NAME_HELD");
    const back = await joinWithKey(c!, "dana-bot", kp);
    expect([back.status, back.participant.fingerprint]).toEqual([201, fingerprint(kp.key)]);
  });

  it("two keys racing for one name through two instances: one holds it, the other gets 409 NAME_HELD", async () => {
    const [a, b] = await fleet.start(2);
    for (let round = 0; round < 5; round++) {
      const name = `race-bot-${round}`;
      const [x, y] = await Promise.all([joinWithKey(a!, name, newKey()), joinWithKey(b!, name, newKey())]);
      const codes = [x, y].map((r) => (r.status === 201 ? 201 : r.error?.code)).sort();
      // One wins; the other is refused: NAME_HELD when the race was decided in Redis, NAME_TAKEN when the winner's
      // join had reached its instance first.
      expect(codes[0]).toBe(201);
      expect(["NAME_HELD", "NAME_TAKEN"]).toContain(codes[1]);
    }
  });

  it("a name in use through A (a token holder, no key) is NAME_TAKEN through B; free again on B once it left on A", async () => {
    const [a, b] = await fleet.start(2);
    const ann = await jsonOf(await a!.api("/join", { method: "POST", json: { name: "ann" } }));
    expect(ann.status).toBe(201);
    await expect.poll(async () => refusal(await b!.api("/join", { method: "POST", json: { name: "Ann" } }))).toEqual([409, "NAME_TAKEN"]);
    expect(await refusal(await b!.api("/messages", { method: "POST", json: { agent: "ann", text: "me too" } }))).toEqual([409, "NAME_TAKEN"]);
    expect((await a!.api("/leave", { method: "POST", token: ann.body.token, json: {} })).status).toBe(200);
    await expect.poll(async () => (await b!.api("/join", { method: "POST", json: { name: "ann" } })).status).toBe(201);
  });

  it("a join through A that B has no room for (its member cap is reached there) leaves B running and answering", async () => {
    const [a, b] = await fleet.start(2, { maxMembers: 2 });
    for (const name of ["pw-one", "pw-two"]) expect((await b!.api("/messages", { method: "POST", json: { agent: name, text: "here" } })).status).toBe(201);
    expect((await a!.api("/join", { method: "POST", json: { name: "ann-a" } })).status).toBe(201);
    // B heard of the join (it is in A's history, hence B's) and could not list Ann: it still serves the room.
    await expect.poll(async () => (await jsonOf(await b!.api("/messages"))).body.messages.some((m: any) => /ann-a joined/.test(m.text))).toBe(true);
    expect((await b!.api("/messages", { method: "POST", json: { agent: "pw-one", text: "still here" } })).status).toBe(201);
    expect(await refusal(await b!.api("/join", { method: "POST", json: { name: "bo-b" } }))).toEqual([409, "ROOM_FULL"]);
  });

  it("a token holder quiet on A (offline, but within its name hold) keeps its name on an instance that only read it from Redis", async () => {
    let skew = 0;
    const [a] = await fleet.start(1, { redisPresenceMs: 100, now: () => Date.now() + skew });
    expect((await a!.api("/join", { method: "POST", json: { name: "quiet-quin" } })).status).toBe(201);
    // A's clock moves 5 minutes on: Quin is past the presence grace (offline) but within the 30-minute name hold.
    skew = 5 * 60_000;
    // Bo streams on A (online whatever the clock): once Bo shows online on the late instance, it has read A's word on
    // both (one entry each, read in one go).
    const bo = (await jsonOf(await a!.api("/join", { method: "POST", json: { name: "busy-bo" } }))).body.token as string;
    const stream = await openStream(a!.url + "/messages/stream", { authorization: `Bearer ${bo}` });
    const [late] = await fleet.more(1, { now: () => Date.now() });
    const seen = async (name: string) => (await jsonOf(await late!.api("/room"))).body.participants.find((p: any) => p.name === name)?.online;
    await expect.poll(() => seen("busy-bo")).toBe(true);
    expect(await seen("quiet-quin")).toBe(false);
    stream.close();
    expect(await refusal(await late!.api("/join", { method: "POST", json: { name: "quiet-quin" } }))).toEqual([409, "NAME_TAKEN"]);
  });
});
