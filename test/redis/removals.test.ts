// The host's removals across `serve --redis` instances: a kick through one instance holds on every one — the removed
// participant's stream and socket on the others end with `removed`, its token is refused everywhere with the code
// one process gives (403 REMOVED, also on an instance that never saw the token), its name is barred everywhere —
// and an unban through another instance lets the name back in everywhere.
import { expect, it, vi } from "vitest";
import { openStream } from "../support/room.js";
import { joinWs } from "../ws/helpers.js";
import { describeRedis } from "./helpers.js";
import { jsonOf, refusal, useFleet } from "./fleet.js";

describeRedis("removals shared by every instance", () => {
  const fleet = useFleet();

  it("kick on A: the stream on B ends with `removed`, the socket on C too, and the token is refused on all three", async () => {
    const [a, b, c] = await fleet.start(3);
    const host = { authorization: `Bearer ${a!.hostToken}` };
    const j = await jsonOf(await a!.api("/join", { method: "POST", json: { name: "kicked-kim" } }));
    expect(j.status).toBe(201);
    const token = j.body.token as string;
    // Kim reads on B (SSE) and on C (WebSocket): both instances learn the token from Redis.
    const stream = await openStream(b!.url + "/messages/stream", { authorization: `Bearer ${token}` });
    expect(stream.status).toBe(200);
    const ws = await joinWs(c!.url, { token });
    // …and holds a long-poll on C.
    const last = (await jsonOf(await c!.api("/messages", { token }))).body.next as number;
    const held = c!.api(`/messages/poll?after=${last}&timeout=60`, { token });
    await expect.poll(() => c!.stats().polls).toBe(1);

    const kick = await a!.api("/host/kick", { method: "POST", headers: host, json: { name: "kicked-kim" } });
    expect(await jsonOf(kick)).toMatchObject({ status: 200, body: { removed: "kicked-kim" } });

    let ev = await stream.next();
    while (ev && ev.event === "message") ev = await stream.next();
    expect(ev?.event).toBe("removed");
    expect(JSON.parse(ev!.data)).toMatchObject({ name: "kicked-kim" });
    expect((await ws.next("removed")).type).toBe("removed");
    expect((await ws.closed).code).toBe(4403);

    // The held poll answers with the room's word of it; the next one is refused.
    const answered = await jsonOf(await held);
    expect(answered.status).toBe(200);
    expect(answered.body.messages.map((m: any) => m.text)).toContainEqual(expect.stringMatching(/removed kicked-kim/));
    expect(await refusal(await c!.api(`/messages/poll?after=${answered.body.next}&timeout=1`, { token }))).toEqual([403, "REMOVED"]);
    for (const i of [a!, b!, c!]) {
      expect(await refusal(await i.api("/messages", { method: "POST", token, json: { text: "still here?" } }))).toEqual([403, "REMOVED"]);
      // The name is barred everywhere: a password-only post, or a new join, under it.
      expect(await refusal(await i.api("/messages", { method: "POST", json: { agent: "kicked-kim", text: "me again" } }))).toEqual([403, "NAME_BARRED"]);
      expect(await refusal(await i.api("/join", { method: "POST", json: { name: "Kicked-Kim" } }))).toEqual([403, "NAME_BARRED"]);
      // …and the host sees it barred from every instance.
      expect((await jsonOf(await i.api("/room", { headers: host }))).body.barred).toEqual(["kicked-kim"]);
    }
    // The room was told once.
    const said = (await jsonOf(await c!.api("/messages"))).body.messages.filter((m: any) => /removed kicked-kim/.test(m.text));
    expect(said).toHaveLength(1);
  });

  it("a token never seen by an instance, removed through another, answers 403 REMOVED there at once", async () => {
    const [a, b] = await fleet.start(2);
    const host = { authorization: `Bearer ${a!.hostToken}` };
    const token = (await jsonOf(await a!.api("/join", { method: "POST", json: { name: "quiet-quinn" } }))).body.token as string;
    expect((await a!.api("/host/kick", { method: "POST", headers: host, json: { name: "quiet-quinn" } })).status).toBe(200);
    // B never met this token: it reads the removal from Redis on first sight, with no wait.
    expect(await refusal(await b!.api("/messages", { method: "POST", token, json: { text: "hello?" } }))).toEqual([403, "REMOVED"]);
    expect(await refusal(await b!.api("/messages/stream", { token }))).toEqual([403, "REMOVED"]);
    // An instance that starts after the kick knows the name is barred.
    const [late] = await fleet.more(1);
    expect(await refusal(await late.api("/join", { method: "POST", json: { name: "quiet-quinn" } }))).toEqual([403, "NAME_BARRED"]);
    expect(await refusal(await late.api("/messages", { method: "POST", token, json: { text: "hello?" } }))).toEqual([403, "REMOVED"]);
  });

  it("unban through B lets the name back in on A and C; the old token stays refused", async () => {
    const [a, b, c] = await fleet.start(3);
    const host = { authorization: `Bearer ${a!.hostToken}` };
    const token = (await jsonOf(await a!.api("/join", { method: "POST", json: { name: "back-bo" } }))).body.token as string;
    expect((await c!.api("/messages", { method: "POST", token, json: { text: "hi from c" } })).status).toBe(201);
    expect((await a!.api("/host/kick", { method: "POST", headers: host, json: { name: "back-bo" } })).status).toBe(200);
    await vi.waitFor(async () => expect(await refusal(await c!.api("/join", { method: "POST", json: { name: "back-bo" } }))).toEqual([403, "NAME_BARRED"]), { timeout: 30_000, interval: 50 });
    expect(await jsonOf(await b!.api("/host/unban", { method: "POST", headers: host, json: { name: "back-bo" } }))).toMatchObject({ status: 200, body: { unbanned: "back-bo" } });
    for (const i of [a!, c!]) {
      await vi.waitFor(async () => expect((await jsonOf(await i.api("/room", { headers: host }))).body.barred).toEqual([]), { timeout: 30_000, interval: 50 });
      expect(await refusal(await i.api("/messages", { method: "POST", token, json: { text: "old token" } }))).toEqual([403, "REMOVED"]);
    }
    expect((await c!.api("/join", { method: "POST", json: { name: "back-bo" } })).status).toBe(201);
  });

  it("a kick through an instance that never met the participant (its room was full there) still ends its token everywhere", async () => {
    const [a, b] = await fleet.start(2, { maxMembers: 2 });
    const host = { authorization: `Bearer ${a!.hostToken}` };
    for (const name of ["pw-one", "pw-two"]) expect((await b!.api("/messages", { method: "POST", json: { agent: name, text: "here" } })).status).toBe(201);
    const token = (await jsonOf(await a!.api("/join", { method: "POST", json: { name: "far-fay" } }))).body.token as string;
    expect((await b!.api("/host/kick", { method: "POST", headers: host, json: { name: "far-fay" } })).status).toBe(200);
    await expect.poll(async () => refusal(await a!.api("/messages", { method: "POST", token, json: { text: "hi" } }))).toEqual([403, "REMOVED"]);
    const [late] = await fleet.more(1);
    expect(await refusal(await late!.api("/messages", { method: "POST", token, json: { text: "hi" } }))).toEqual([403, "REMOVED"]);
  });
});
