// Reversible moderation and the host's second device (issue 16): POST /host/unban lets a removed name back in; /room
// lists barred names; the host's participant and messages carry `host: true`; the host link on another device
// continues as the same participant instead of becoming "Ana-2".
import { afterEach, describe, expect, it } from "vitest";
import { type TestRoom, useRooms } from "../support/room.js";

const room = useRooms(afterEach);

async function join(r: TestRoom, name: string, token?: string, kind = "human") {
  const res = await r.api("/join", { method: "POST", json: { name, kind }, ...(token ? { token } : {}) });
  return { status: res.status, body: (await res.json()) as { token: string; participant: { name: string }; error?: { code: string } } };
}
const host = (r: TestRoom, path: string, json: object = {}) => r.api(path, { method: "POST", token: r.hostToken, json });
const info = async (r: TestRoom) => (await (await r.api("/room")).json()) as { barred: string[]; participants: { name: string; host?: boolean }[] };

describe("unban", () => {
  it("a removed name is barred until the host lets it back in; then it can join afresh", async () => {
    const r = await room();
    const bob = await join(r, "Bob");
    expect((await host(r, "/host/kick", { name: "Bob" })).status).toBe(200);
    expect((await info(r)).barred).toEqual(["Bob"]);
    const refused = await join(r, "bob");
    expect([refused.status, refused.body.error?.code]).toEqual([403, "NAME_BARRED"]);

    const res = await host(r, "/host/unban", { name: "BOB" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, unbanned: "Bob" });
    expect((await info(r)).barred).toEqual([]);
    // Everyone is told, in the room's own words.
    const last = ((await (await r.api("/messages")).json()) as { messages: { text: string; kind: string }[] }).messages.at(-1);
    expect(last).toMatchObject({ kind: "system", text: "The host let Bob back in." });
    // The old token stays revoked; the name joins again with a new one.
    expect((await r.api("/messages", { method: "POST", token: bob.body.token, json: { text: "back?" } })).status).toBe(403);
    expect((await join(r, "Bob")).status).toBe(201);
  });

  it("unbanning a name that is not barred changes nothing and says so", async () => {
    const r = await room();
    const res = await host(r, "/host/unban", { name: "nobody" });
    expect(await res.json()).toEqual({ ok: true, unbanned: null });
    const msgs = ((await (await r.api("/messages")).json()) as { messages: unknown[] }).messages;
    expect(msgs).toEqual([]);
  });

  it("only the host can unban (403 HOST_ONLY); a bad name is 400; GET is 405", async () => {
    const r = await room();
    const eve = await join(r, "eve");
    const asEve = await r.api("/host/unban", { method: "POST", token: eve.body.token, json: { name: "x" } });
    expect(asEve.status).toBe(403);
    expect(((await asEve.json()) as { error: { code: string } }).error.code).toBe("HOST_ONLY");
    const withPassword = await r.api("/host/unban", { method: "POST", json: { name: "x" } });
    expect(withPassword.status).toBe(403);
    const bad = await host(r, "/host/unban", { name: "" });
    expect(bad.status).toBe(400);
    expect((await r.api("/host/unban", { token: r.hostToken })).status).toBe(405);
  });
});

describe("the host's participant", () => {
  it("is marked host in /room and in its messages; others are not", async () => {
    const r = await room();
    const ana = await join(r, "Ana", r.hostToken);
    const bob = await join(r, "Bob");
    const post = await r.api("/messages", { method: "POST", token: ana.body.token, json: { text: "welcome" } });
    expect(((await post.json()) as { message: object }).message).toMatchObject({ agent: "Ana", host: true });
    const other = await r.api("/messages", { method: "POST", token: bob.body.token, json: { text: "hi" } });
    expect(((await other.json()) as { message: object }).message).not.toHaveProperty("host");
    const people = (await info(r)).participants;
    expect(people.find((p) => p.name === "Ana")?.host).toBe(true);
    expect(people.find((p) => p.name === "Bob")).not.toHaveProperty("host");
  });

  it("the host link on a second device continues as the same participant; the first device keeps working", async () => {
    const r = await room();
    const laptop = await join(r, "Ana", r.hostToken);
    const phone = await join(r, "Ana", r.hostToken);
    expect(phone.status).toBe(201);
    expect(phone.body.participant.name).toBe("Ana");
    expect(phone.body.token).not.toBe(laptop.body.token);
    for (const t of [laptop.body.token, phone.body.token]) {
      const res = await r.api("/messages", { method: "POST", token: t, json: { text: "from " + t.slice(0, 6) } });
      expect(((await res.json()) as { message: object }).message).toMatchObject({ agent: "Ana", verified: true, host: true });
    }
    expect((await info(r)).participants.filter((p) => p.name === "Ana")).toHaveLength(1);
    // One "joined" notice, not two.
    const notices = ((await (await r.api("/messages")).json()) as { messages: { text: string }[] }).messages.filter((m) => /joined/.test(m.text));
    expect(notices).toHaveLength(1);
  });

  it("the password cannot continue as the host's name, and the host link cannot take a guest's name", async () => {
    const r = await room();
    await join(r, "Ana", r.hostToken);
    const guest = await join(r, "Ana");
    expect([guest.status, guest.body.error?.code]).toEqual([409, "NAME_TAKEN"]);
    await join(r, "Bob");
    const hostAsBob = await join(r, "Bob", r.hostToken);
    expect([hostAsBob.status, hostAsBob.body.error?.code]).toEqual([409, "NAME_TAKEN"]);
  });
});
