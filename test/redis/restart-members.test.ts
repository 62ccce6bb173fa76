// Redis restarted WITHOUT its data, mid-run: each instance puts back what it knows (src/rooms/redis/reseed.ts), and
// that includes who may speak — barred names and removed tokens, name holds, announced senders, invite keys and their
// counted joins — so an instance that starts after the restart still refuses a removed participant and still counts
// a key's joins.
import { expect, it } from "vitest";
import { joinWithKey, newKey } from "../identity/helpers.js";
import { describeRedis } from "./helpers.js";
import { jsonOf, refusal, useFleet } from "./fleet.js";

describeRedis("who may speak survives a Redis restart without persistence", () => {
  const fleet = useFleet();

  it("a removal, a name hold and a two-use key (used once) hold on an instance started after Redis lost everything", async () => {
    const [a, b] = await fleet.start(2);
    const host = { authorization: `Bearer ${a!.hostToken}` };
    const kicked = (await jsonOf(await a!.api("/join", { method: "POST", json: { name: "kicked-kai" } }))).body.token as string;
    expect((await b!.api("/host/kick", { method: "POST", headers: host, json: { name: "kicked-kai" } })).status).toBe(200);
    const kp = newKey();
    const holder = await joinWithKey(a!, "held-hana", kp);
    expect(holder.status).toBe(201);
    expect((await a!.api("/leave", { method: "POST", token: holder.token, json: {} })).status).toBe(200);
    const minted = (await jsonOf(await a!.api("/keys", { method: "POST", headers: host, json: { label: "twice", uses: 2, name: "key-kim" } }))).body;
    expect((await a!.api("/join", { method: "POST", token: minted.key, json: {} })).status).toBe(201);

    await fleet.redis.restart();
    // The instances reconnect by themselves and put the rooms back; a post goes through once they have.
    await expect.poll(async () => (await a!.api("/messages", { method: "POST", json: { agent: "p-after", text: "back" } })).status, { timeout: 30_000 }).toBe(201);
    await expect.poll(async () => (await b!.api("/messages", { method: "POST", json: { agent: "p-after", text: "back on b" } })).status, { timeout: 30_000 }).toBe(201);

    const [late] = await fleet.more(1);
    expect(await refusal(await late!.api("/join", { method: "POST", json: { name: "kicked-kai" } }))).toEqual([403, "NAME_BARRED"]);
    expect(await refusal(await late!.api("/messages", { method: "POST", token: kicked, json: { text: "still me" } }))).toEqual([403, "REMOVED"]);
    expect((await joinWithKey(late!, "held-hana", newKey())).error?.code).toBe("NAME_HELD");
    expect((await late!.api("/join", { method: "POST", token: minted.key, json: {} })).status).toBe(201);
    expect(await refusal(await late!.api("/join", { method: "POST", token: minted.key, json: {} }))).toEqual([403, "KEY_USED_UP"]);
  });
});
