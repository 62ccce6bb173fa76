// A password-only sender's "joined" line across `serve --redis` instances: written once per room, by the instance its
// first post went through — not again by each other instance it posts through later, nor by one started later.
import { expect, it } from "vitest";
import { describeRedis } from "./helpers.js";
import { jsonOf, useFleet } from "./fleet.js";
import type { TestRoom } from "../support/room.js";

describeRedis("a password-only sender's joined line, once per room", () => {
  const fleet = useFleet();

  it("first post through A, then through B and C and a late instance: one 'joined' line", async () => {
    const [a, b, c] = await fleet.start(3, { redisPresenceMs: 100 });
    const post = (i: TestRoom, text: string) => i.api("/messages", { method: "POST", json: { agent: "pw-pat", text } });
    expect((await post(a!, "hello from a")).status).toBe(201);
    for (const i of [b!, c!]) {
      // (Once the others list Pat — online through A, by presence — A's word that Pat was announced, published before
      // Pat's message was stored, has reached them too.)
      await expect.poll(async () => (await jsonOf(await i.api("/room"))).body.participants.some((p: any) => p.name === "pw-pat")).toBe(true);
      expect((await post(i, `hello from ${i === b ? "b" : "c"}`)).status).toBe(201);
    }
    const [late] = await fleet.more(1);
    expect((await post(late!, "hello from a late one")).status).toBe(201);
    const all = (await jsonOf(await late!.api("/messages"))).body.messages as { agent: string; text: string }[];
    expect(all.filter((m) => m.agent === "pw-pat").map((m) => m.text)).toEqual(["hello from a", "hello from b", "hello from c", "hello from a late one"]);
    expect(all.filter((m) => m.agent === "system" && /pw-pat joined/.test(m.text))).toHaveLength(1);
  });
});
