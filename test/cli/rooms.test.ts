// The CLI for many rooms: rooms list/create/close, keys mint/list/revoke, join by invite link or --key, send --to,
// --room, one agent in two rooms of one server, and the exit codes of a revoked key and a closed room.
import { readdirSync } from "node:fs";
import { join as pathJoin } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useRooms, type TestRoom } from "../support/room.js";
import { run, tempHome } from "./helpers.js";

const room = useRooms(afterEach);
let h: ReturnType<typeof tempHome>;
beforeEach(() => void (h = tempHome()));
afterEach(() => h.cleanup());

const cli = (args: string[]) => run(args, { home: h.home });
const asHost = (s: TestRoom, args: string[]) => cli([...args, "--url", s.url, "--host-token", s.hostToken]);
const linkIn = (invite: string) => /^Link: (\S+)$/m.exec(invite)?.[1] ?? "";

describe("rooms", { timeout: 120_000 }, () => {
  it("create prints the room and its invite; list shows every room; close ends it", async () => {
    const s = await room();
    const made = await asHost(s, ["rooms", "create", "Team B"]);
    expect(made.code).toBe(0);
    const id = /^created room ([a-z0-9]{10}) "Team B" at (\S+), password (\S+)$/m.exec(made.stdout);
    expect(id, made.stdout).not.toBeNull();
    expect(id![2]).toBe(`${s.url}/r/${id![1]}`);
    expect(made.stdout).toContain(`URL: ${s.url}/r/${id![1]}`);
    expect(made.stdout).toContain(`Password: ${id![3]}`);

    const list = await asHost(s, ["rooms", "--json"]);
    expect(list.code).toBe(0);
    const rooms = list.stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: string; title: string; default: boolean });
    expect(rooms.map((r) => [r.id, r.title, r.default])).toEqual([[s.rooms.default.id, "agent-chat", true], [id![1], "Team B", false]]);
    const human = await asHost(s, ["rooms"]);
    expect(human.stdout).toMatch(new RegExp(`^${id![1]}  "Team B"  0 participants \\(0 online\\), 0 messages  ${s.url}/r/${id![1]}$`, "m"));

    const closed = await asHost(s, ["rooms", "close", id![1]]);
    expect(closed).toMatchObject({ code: 0, stdout: `closed room ${id![1]}: its streams ended, its URLs now answer 410\n` });
    expect((await asHost(s, ["rooms", "--json"])).stdout.trim().split("\n")).toHaveLength(1);
    const keysOnly = await asHost(s, ["rooms", "create", "Reviewers", "--keys-only", "--json"]);
    expect(JSON.parse(keysOnly.stdout)).toMatchObject({ room: { title: "Reviewers", keysOnly: true, password: null }, invite: null });
  });

  it("without the host token: exit 3; bad input: exit 1", async () => {
    const s = await room();
    const r = await cli(["rooms", "--url", s.url, "--host-token", "ach_wrong"]);
    expect(r.code).toBe(3);
    expect((await asHost(s, ["rooms", "close", "NOT-AN-ID"])).code).toBe(1);
    expect((await asHost(s, ["rooms", "create"])).code).toBe(1);
    expect((await asHost(s, ["rooms", "explode"])).code).toBe(1);
  });
});

describe("keys, invite links, private messages", { timeout: 120_000 }, () => {
  it("mint prints a block with the key and no password; join <link> takes the key's name; send --to is private", async () => {
    const s = await room();
    const b = s.rooms.create({ title: "Team B" });
    const minted = await asHost(s, ["keys", "mint", "--room", b.id, "--label", "reviewer", "--name", "rev-bot"]);
    expect(minted.code).toBe(0);
    expect(minted.stdout).toMatch(/^You are invited to the agent-chat room "Team B" as rev-bot\./);
    expect(minted.stdout).not.toContain(b.password!);
    expect(minted.stderr).toMatch(/^minted key k_[0-9a-f]+ \("reviewer"\); the secret is shown once/);
    const link = linkIn(minted.stdout);
    expect(link).toMatch(new RegExp(`^${s.url}/r/${b.id}#key=ak_`));

    const joined = await cli(["join", link]);
    expect(joined.code).toBe(0);
    expect(joined.stdout).toMatch(new RegExp(`^joined "Team B" at ${s.url}/r/${b.id} as rev-bot \\(agent\\)`));
    // carol by --key (a key without a fixed name: --name pins it), dave by password
    const carolKey = /ak_[A-Za-z0-9_-]+/.exec((await asHost(s, ["keys", "mint", "--room", b.id, "--label", "carol"])).stdout)![0];
    expect((await cli(["join", "--url", s.url, "--room", b.id, "--key", carolKey, "--name", "carol"])).code).toBe(0);
    expect((await cli(["join", "--url", `${s.url}/r/${b.id}`, "--password", b.password!, "--name", "dave"])).code).toBe(0);

    const pm = await cli(["send", "--name", "rev-bot", "--to", "carol", "between us"]);
    expect(pm.code).toBe(0);
    expect(pm.stdout).toMatch(/^sent #\d+ \(private, to carol\)/);
    const carolRead = await cli(["read", "--name", "carol"]);
    expect(carolRead.stdout).toMatch(/rev-bot \(agent, private to you\): between us/);
    const daveRead = await cli(["read", "--name", "dave", "--json"]);
    expect(daveRead.stdout).not.toContain("between us");
    const byPassword = await cli(["send", "--url", `${s.url}/r/${b.id}`, "--password", b.password!, "--to", "carol", "x"]);
    expect(byPassword.code).not.toBe(0);

    const keys = await asHost(s, ["keys", "--room", b.id]);
    expect(keys.stdout).toMatch(/"reviewer"  active, claimed by rev-bot at \S+, 1 joins/);
    expect(keys.stdout).not.toMatch(/ak_/);
  });

  it("one agent sits in two rooms of one server under one name: state per server, room and name; --room picks", async () => {
    const s = await room();
    const b = s.rooms.create({ title: "B" });
    expect((await cli(["join", "--url", s.url, "--password", s.password, "--name", "twin"])).code).toBe(0);
    expect((await cli(["join", "--url", s.url, "--room", b.id, "--password", b.password!, "--name", "twin"])).code).toBe(0);
    expect(readdirSync(pathJoin(h.home, "sessions")).filter((f) => f.endsWith(".json"))).toHaveLength(2);
    expect((await cli(["send", "--name", "twin", "--url", s.url, "in the first room"])).code).toBe(0);
    expect((await cli(["send", "--name", "twin", "--room", b.id, "in room B"])).code).toBe(0);
    const textsOf = (r: TestRoom["room"]) => r.history.all().items.map((j) => JSON.parse(j).text as string);
    expect(textsOf(s.room)).toContain("in the first room");
    expect(textsOf(s.room)).not.toContain("in room B");
    expect(textsOf(b.room)).toContain("in room B");
    expect(textsOf(b.room)).not.toContain("in the first room");
    // each room keeps its own read position
    const readA = await cli(["read", "--name", "twin", "--url", s.url, "--json"]);
    expect(readA.stdout).not.toContain("in room B");
    const readB = await cli(["read", "--name", "twin", "--room", b.id, "--json"]);
    expect(readB.stdout).not.toContain("in the first room");
  });

  it("revoking a key cuts a waiting CLI session off at once (exit 5), and later commands exit 5", async () => {
    const s = await room();
    const b = s.rooms.create({ title: "B" });
    const minted = await asHost(s, ["keys", "mint", "--room", b.id, "--label", "temp", "--name", "temp-bot", "--json"]);
    const k = JSON.parse(minted.stdout) as { keyId: string; link: string };
    expect((await cli(["join", k.link])).code).toBe(0);
    const waiting = cli(["wait", "--name", "temp-bot", "--timeout", "60"]);
    await vi.waitFor(() => expect(s.stats().polls + s.stats().streams + s.stats().websockets).toBeGreaterThan(0), { timeout: 30_000, interval: 50 });
    const revoked = await asHost(s, ["keys", "revoke", k.keyId, "--room", b.id]);
    expect(revoked.code).toBe(0);
    const w = await waiting;
    expect(w.code).toBe(5);
    expect(w.stderr).toMatch(/revoked this invite key/);
    const later = await cli(["send", "--name", "temp-bot", "hello?"]);
    expect(later.code).toBe(5);
  });

  it("a closed room ends a waiting CLI session with exit 5; a keys-only room refuses the password with exit 3", async () => {
    const s = await room();
    const b = s.rooms.create({ title: "short-lived" });
    expect((await cli(["join", "--url", `${s.url}/r/${b.id}`, "--password", b.password!, "--name", "w"])).code).toBe(0);
    const waiting = cli(["wait", "--name", "w", "--timeout", "60"]);
    await vi.waitFor(() => expect(s.stats().polls + s.stats().streams + s.stats().websockets).toBeGreaterThan(0), { timeout: 30_000, interval: 50 });
    expect((await asHost(s, ["rooms", "close", b.id])).code).toBe(0);
    const w = await waiting;
    expect(w.code).toBe(5);
    expect(w.stderr).toMatch(/closed this room/);

    const k = s.rooms.create({ title: "keys only", keysOnly: true, password: "known" });
    const refused = await cli(["join", "--url", `${s.url}/r/${k.id}`, "--password", "known", "--name", "x"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/invite key/);
  });
});
