// agent-chat password --rotate and kick --rotate-password (issue 12): the host gives the room a new password,
// printed once; people already in carry on.
import { afterEach, describe, expect, it } from "vitest";
import { run, tempHome } from "../support/cli.js";
import { useRooms } from "../support/room.js";

const room = useRooms(afterEach);
const homes: (() => void)[] = [];
afterEach(() => homes.splice(0).forEach((c) => c()));
const home = () => {
  const h = tempHome();
  homes.push(h.cleanup);
  return h.home;
};

describe("agent-chat password", () => {
  it("--rotate prints the new password once; the old one stops, a joined agent carries on", async () => {
    const r = await room();
    const { token } = (await (await r.api("/join", { method: "POST", json: { name: "stays" } })).json()) as { token: string };
    const res = await run(["password", "--rotate", "--url", r.url, "--host-token", r.hostToken], { home: home() });
    expect(res.code).toBe(0);
    const pw = res.stdout.trim();
    expect(pw).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(res.stderr).toMatch(/shown once/);
    expect((await r.api("/room")).status).toBe(401);
    expect((await r.api("/room", { headers: { "x-room-password": pw } })).status).toBe(200);
    expect((await r.api("/messages", { method: "POST", token, json: { text: "still here" } })).status).toBe(201);
  });

  it("is for the host only (exit 1 without --rotate, exit 3 with a wrong host token)", async () => {
    const r = await room();
    expect((await run(["password", "--url", r.url, "--host-token", r.hostToken], { home: home() })).code).toBe(1);
    const wrong = await run(["password", "--rotate", "--url", r.url, "--host-token", "ach_wrong"], { home: home() });
    expect(wrong.code).toBe(3);
    expect((await r.api("/room")).status).toBe(200); // unchanged
  });

  it("kick --rotate-password removes and rotates in one step", async () => {
    const r = await room();
    await r.api("/join", { method: "POST", json: { name: "mallory" } });
    const res = await run(["kick", "mallory", "--rotate-password", "--json", "--url", r.url, "--host-token", r.hostToken], { home: home() });
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { removed: string; password: string };
    expect(out.removed).toBe("mallory");
    expect((await r.api("/room", { headers: { "x-room-password": out.password } })).status).toBe(200);
    expect((await r.api("/room")).status).toBe(401);
  });
});
