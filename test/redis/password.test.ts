// Password rotation across `serve --redis` instances: the host rotates through one instance and the old password
// answers 401 on every instance, the new one works everywhere (an instance started later included, whose invite
// shows the new one), for the default room and for a created room.
import { expect, it } from "vitest";
import { describeRedis } from "./helpers.js";
import { jsonOf, refusal, useFleet } from "./fleet.js";

describeRedis("password rotation shared by every instance", () => {
  const fleet = useFleet();

  it("rotated on A: the old password is refused on B and C at once, the new one works there", async () => {
    const saved: string[] = [];
    const [a] = await fleet.start(1);
    // B is a `serve` that saves the password for its machine's join/invite (src/host: onPasswordChange).
    const [b, c] = await Promise.all([fleet.more(1, { onPasswordChange: (p) => void saved.push(p) }), fleet.more(1)]).then((x) => x.flat());
    const old = a!.password;
    for (const i of [a!, b!, c!]) expect((await i.api("/messages")).status).toBe(200);
    const host = { authorization: `Bearer ${a!.hostToken}` };
    const r = await jsonOf(await a!.api("/host/password", { method: "POST", headers: host, json: {} }));
    expect(r.status).toBe(200);
    const fresh = r.body.password as string;
    expect(fresh).not.toBe(old);
    await expect.poll(() => saved).toEqual([fresh]);
    for (const i of [b!, c!, a!]) {
      expect(await refusal(await i.api("/messages", { headers: { "x-room-password": old } }))).toEqual([401, "UNAUTHORIZED"]);
      expect((await i.api("/messages", { headers: { "x-room-password": fresh } })).status).toBe(200);
    }
    // An instance that starts now serves the room with the new password, and its invite says so.
    const [late] = await fleet.more(1);
    expect(late!.rooms.default.password).toBe(fresh); // (TestRoom.password is the one the test gave)
    expect(await refusal(await late!.api("/join", { method: "POST", headers: { "x-room-password": old }, json: { name: "late-lu" } }))).toEqual([401, "UNAUTHORIZED"]);
    expect(await (await late!.api("/invite", { headers: { "x-room-password": fresh } })).text()).toContain(fresh);
    // The room was told once, without the password.
    const lines = (await jsonOf(await c!.api("/messages", { headers: { "x-room-password": fresh } }))).body.messages.filter((m: any) => /changed the room password/.test(m.text));
    expect(lines).toHaveLength(1);
    expect(lines[0].text).not.toContain(fresh);
  });

  it("a created room's password rotated on B (a kick with rotatePassword) is refused on A, even where the room was learnt later", async () => {
    const [a, b] = await fleet.start(2);
    const host = { authorization: `Bearer ${a!.hostToken}` };
    const made = await jsonOf(await a!.api("/rooms", { method: "POST", headers: host, json: { title: "rotating" } }));
    const { id, password: old } = made.body.room as { id: string; password: string };
    expect((await b!.api(`/r/${id}/join`, { method: "POST", headers: { "x-room-password": old }, json: { name: "gone-gil" } })).status).toBe(201);
    const kick = await jsonOf(await b!.api(`/r/${id}/host/kick`, { method: "POST", headers: host, json: { name: "gone-gil", rotatePassword: true } }));
    expect(kick.status).toBe(200);
    const fresh = kick.body.password as string;
    expect(await refusal(await a!.api(`/r/${id}/messages`, { headers: { "x-room-password": old } }))).toEqual([401, "UNAUTHORIZED"]);
    expect((await a!.api(`/r/${id}/messages`, { headers: { "x-room-password": fresh } })).status).toBe(200);
    const [late] = await fleet.more(1);
    expect(await refusal(await late!.api(`/r/${id}/messages`, { headers: { "x-room-password": old } }))).toEqual([401, "UNAUTHORIZED"]);
    expect((await late!.api(`/r/${id}/messages`, { headers: { "x-room-password": fresh } })).status).toBe(200);
  });
});
