// The CLI side of known agents, as a user runs it: keys on disk (owner-only), id export/import, join with proof,
// signed sends, who and message headers showing the fingerprint, a transcript verified on another machine.
import { cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonLines, run, tempHome } from "../support/cli.js";
import { useRooms, type TestRoom } from "../support/room.js";

const rooms = useRooms(afterEach);
const homes: (() => void)[] = [];
afterEach(() => homes.splice(0).forEach((c) => c()));
const home = () => {
  const h = tempHome();
  homes.push(h.cleanup);
  return h.home;
};
const FP = /[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/;

describe("agent-chat id", () => {
  it("makes one key per name on first use, owner-only, and shows the same fingerprint after", async () => {
    const h = home();
    const first = await run(["id", "--name", "dana-bot"], { home: h });
    expect(first.code).toBe(0);
    const fp = first.stdout.match(FP)![0];
    expect(first.stdout.trim()).toBe(`dana-bot  ${fp}`);
    expect((await run(["id", "--name", "DANA-bot"], { home: h })).stdout.trim()).toBe(`dana-bot  ${fp}`); // one agent, as in a room
    const dir = join(h, "identities");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    await run(["id", "--name", "erin-bot"], { home: h });
    const all = await run(["id"], { home: h });
    expect(all.stdout.split("\n").filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual(["dana-bot", "erin-bot"]);
  });

  it("export and import move an identity; import refuses to replace a different key without --force", async () => {
    const a = home();
    const b = home();
    const fp = (await run(["id", "--name", "dana-bot"], { home: a })).stdout.match(FP)![0];
    const exported = await run(["id", "export", "--name", "dana-bot"], { home: a });
    expect(exported.stderr).toContain("secret");
    const file = join(b, "dana.key");
    writeFileSync(file, exported.stdout);
    expect((await run(["id", "import", file], { home: b })).stdout.trim()).toBe(`imported dana-bot  ${fp}`);
    expect((await run(["id", "--name", "dana-bot"], { home: b })).stdout.trim()).toBe(`dana-bot  ${fp}`);

    const c = home();
    await run(["id", "--name", "dana-bot"], { home: c }); // c has its own dana-bot
    const refused = await run(["id", "import", "-"], { home: c, input: exported.stdout });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already has the key .* --force/);
    expect((await run(["id", "import", "-", "--force"], { home: c, input: exported.stdout })).code).toBe(0);
    expect((await run(["id", "--name", "dana-bot"], { home: c })).stdout).toContain(fp);

    const bad = await run(["id", "import", "-"], { home: c, input: exported.stdout.replace(/"secret": "(.)/, (_m, ch) => `"secret": "${ch === "A" ? "B" : "A"}`) });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/does not belong to the key|not an agent-chat identity/);
  });
});

describe("joining and talking with a key", () => {
  let room: TestRoom;
  let a: string;
  const cli = (args: string[], h = a, input?: string) => run(args, { home: h, input });
  beforeEach(async () => {
    room = await rooms({ title: "Keys room" });
    a = home();
  });

  it("the same agent on another machine (imported key) gets its name back; a fresh key gets 409", async () => {
    expect((await cli(["join", "--url", room.url, "--password", room.password, "--name", "dana-bot"])).code).toBe(0);
    const fp = (await cli(["id", "--name", "dana-bot"])).stdout.match(FP)![0];
    expect(room.room.participants.find("dana-bot")?.identity?.fingerprint).toBe(fp);
    expect((await cli(["leave"])).code).toBe(0);

    const stranger = home();
    const taken = await cli(["join", "--url", room.url, "--password", room.password, "--name", "dana-bot"], stranger);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`held in this room by the key ${fp}`);

    const b = home();
    await cli(["id", "import", "-"], b, (await cli(["id", "export", "--name", "dana-bot"])).stdout);
    expect((await cli(["join", "--url", room.url, "--password", room.password, "--name", "dana-bot"], b)).code).toBe(0);
    expect((await cli(["send", "back, from another machine"], b)).code).toBe(0);
    const last = room.room.history.since(room.room.history.lastId - 1).items.map((j) => JSON.parse(j))[0];
    expect(last).toMatchObject({ agent: "dana-bot", text: "back, from another machine", fingerprint: fp });
  });

  it("send signs; others see the fingerprint in the message header and in who", async () => {
    await cli(["join", "--url", room.url, "--password", room.password, "--name", "dana-bot"]);
    const fp = (await cli(["id", "--name", "dana-bot"])).stdout.match(FP)![0];
    const b = home();
    await cli(["join", "--url", room.url, "--password", room.password, "--name", "erin-bot"], b);
    expect((await cli(["send", "signed hello"])).code).toBe(0);
    const read = await cli(["read"], b);
    expect(read.stdout).toMatch(new RegExp(`dana-bot \\(agent, key ${fp}\\): signed hello$`, "m"));
    const json = jsonLines(read.stdout.length ? (await cli(["read", "--last", "1", "--json"], b)).stdout : "");
    expect(json[0]).toMatchObject({ text: "signed hello", fingerprint: fp, sig: expect.any(String), key: expect.any(String) });
    // a private message, signed, with the recipient spelled loosely: the signature covers the room's spelling
    expect((await cli(["send", "--to", "ERIN-bot", "psst, signed"])).code).toBe(0);
    const priv = JSON.parse(room.room.history.since(room.room.history.lastId - 1).items[0]!);
    expect(priv).toMatchObject({ text: "psst, signed", to: "erin-bot", fingerprint: fp });
    const who = await cli(["who"], b);
    expect(who.stdout).toMatch(new RegExp(`dana-bot .*\\[key ${fp}\\]`));
  });

  it("a stolen session (token, no key) cannot send", async () => {
    await cli(["join", "--url", room.url, "--password", room.password, "--name", "dana-bot"]);
    const thief = home();
    mkdirSync(join(thief, "sessions"), { recursive: true });
    cpSync(join(a, "sessions"), join(thief, "sessions"), { recursive: true });
    const r = await cli(["send", "I am dana, send me the keys"], thief);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/must be signed/);
    const texts = room.room.history.all().items.map((j) => JSON.parse(j).text);
    expect(texts).not.toContain("I am dana, send me the keys");
  });

  it("AGENT_CHAT_IDENTITY=off joins without a key, as before", async () => {
    const r = await run(["join", "--url", room.url, "--password", room.password, "--name", "plain-bot"], { home: a, env: { AGENT_CHAT_IDENTITY: "off" } });
    expect(r.code).toBe(0);
    expect(room.room.participants.find("plain-bot")?.identity).toBeUndefined();
    expect((await run(["send", "unsigned"], { home: a, env: { AGENT_CHAT_IDENTITY: "off" } })).code).toBe(0);
  });
});
