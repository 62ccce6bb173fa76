// Private messages ("to"): delivered to the sender and the recipient only — absent from a third participant's and
// a password-only reader's stream (live and replayed), long-poll, history, counts, and WebSocket.
import { afterEach, describe, expect, it, vi } from "vitest";
import { openStream, useRooms, type TestRoom } from "../support/room.js";
import { asHost, createRoom, errorCode, mintKey, withBearer, withPassword, type CreatedRoom } from "../support/rooms.js";
import { joinWs } from "../ws/helpers.js";

const room = useRooms(afterEach);

type Msg = { id: number; agent: string; text: string; kind: string; to?: string };
const slice = async (r: Response) => (await r.json()) as { messages: Msg[]; next: number };

/** alice (token), bob (invite key, used directly), carol (token), a password-only reader; in a created room. */
async function cast(s: TestRoom) {
  const b = await createRoom(s, { title: "pm room" });
  const tokenOf = async (name: string) => ((await (await withPassword(`${b.url}/join`, b.password!, { method: "POST", json: { name } })).json()) as { token: string }).token;
  const alice = await tokenOf("alice");
  const carol = await tokenOf("carol");
  const bobKey = (await mintKey(s, b.id, { label: "bob", name: "bob" })).key;
  expect((await withBearer(`${b.url}/join`, bobKey, { method: "POST", json: {} })).status).toBe(201);
  return { b, alice, carol, bobKey };
}

const post = (b: CreatedRoom, secret: string, json: Record<string, unknown>) => withBearer(`${b.url}/messages`, secret, { method: "POST", json });

describe("private messages", () => {
  it("reach the sender and the recipient only: live SSE, replay, poll, history, counts", async () => {
    const s = await room();
    const { b, alice, carol, bobKey } = await cast(s);
    const streams = {
      alice: await openStream(`${b.url}/messages/stream`, { authorization: `Bearer ${alice}` }),
      bob: await openStream(`${b.url}/messages/stream`, { authorization: `Bearer ${bobKey}` }),
      carol: await openStream(`${b.url}/messages/stream`, { authorization: `Bearer ${carol}` }),
      reader: await openStream(`${b.url}/messages/stream`, { "x-room-password": b.password! }),
      host: await openStream(`${b.url}/messages/stream`, { authorization: `Bearer ${s.hostToken}` }),
    };
    const start = ((await (await withBearer(`${b.url}/room`, carol)).json()) as { lastId: number; messageCount: number });
    const carolPoll = withBearer(`${b.url}/messages/poll?after=${start.lastId}&timeout=60`, carol);
    const readerPoll = withPassword(`${b.url}/messages/poll?after=${start.lastId}&timeout=60`, b.password!);
    const bobPoll = withBearer(`${b.url}/messages/poll?after=${start.lastId}&timeout=60`, bobKey);
    await vi.waitFor(() => expect(s.stats().polls).toBe(3), { timeout: 30_000 });

    const sent = await post(b, alice, { text: "just for you, bob", to: "BOB" });
    expect(sent.status).toBe(201);
    const pm = ((await sent.json()) as { message: Msg }).message;
    expect(pm).toMatchObject({ agent: "alice", to: "bob", text: "just for you, bob" });
    // bob's poll wakes with it; carol's and the reader's stay held (a private message between others wakes nothing)
    const bobGot = await slice(await bobPoll);
    expect(bobGot.messages.map((m) => m.text)).toEqual(["just for you, bob"]);
    expect(s.stats().polls).toBe(2);
    // bob answers privately, then alice writes to everyone
    expect((await post(b, bobKey, { text: "thanks, alice", to: "alice" })).status).toBe(201);
    expect((await post(b, alice, { text: "hello all" })).status).toBe(201);

    for (const who of ["alice", "bob"] as const) {
      expect((await streams[who].messages(3)).map((m) => m.text), who).toEqual(["just for you, bob", "thanks, alice", "hello all"]);
    }
    for (const who of ["carol", "reader", "host"] as const) {
      // the next message each sees is the public one: the private ones were never written to them
      expect((await streams[who].messages(1)).map((m) => m.text), who).toEqual(["hello all"]);
    }
    for (const p of [await carolPoll, await readerPoll]) {
      const got = await slice(p);
      expect(got.messages.map((m) => m.text)).toEqual(["hello all"]);
      expect(got.next).toBe(pm.id + 2); // the cursor moves past what it may not see
    }

    // history: whole and by cursor
    const texts = async (r: Response) => (await slice(r)).messages.filter((m) => m.kind !== "system").map((m) => m.text);
    expect(await texts(await withBearer(`${b.url}/messages`, alice))).toEqual(["just for you, bob", "thanks, alice", "hello all"]);
    expect(await texts(await withBearer(`${b.url}/messages?after=0`, bobKey))).toEqual(["just for you, bob", "thanks, alice", "hello all"]);
    expect(await texts(await withBearer(`${b.url}/messages`, carol))).toEqual(["hello all"]);
    expect(await texts(await withPassword(`${b.url}/messages?after=0`, b.password!))).toEqual(["hello all"]);
    expect(await texts(await withPassword(`${b.url}/messages?limit=2`, b.password!))).toEqual(["hello all"]);
    expect(await texts(await withBearer(`${b.url}/messages/poll?after=0&timeout=0`, carol))).toEqual(["hello all"]);
    // counts
    const countFor = async (r: Response) => ((await r.json()) as { messageCount: number }).messageCount;
    expect(await countFor(await withBearer(`${b.url}/room`, carol))).toBe(start.messageCount + 1);
    expect(await countFor(await withPassword(`${b.url}/room`, b.password!))).toBe(start.messageCount + 1);
    expect(await countFor(await withBearer(`${b.url}/room`, alice))).toBe(start.messageCount + 3);
    const rooms = (await (await asHost(s, "/rooms")).json()) as { rooms: { id: string; messages: number }[] };
    expect(rooms.rooms.find((r) => r.id === b.id)!.messages).toBe(start.messageCount + 1);
    // replay from the start: carol's and the reader's replays skip them, bob's has them with their own ids
    const replay = async (headers: Record<string, string>, n: number) => {
      const st = await openStream(`${b.url}/messages/stream?after=0`, headers);
      const got = await st.messages(n);
      await expect(st.next(300)).rejects.toThrow(/no SSE event/); // nothing more
      st.close();
      return got;
    };
    const carolReplay = await replay({ authorization: `Bearer ${carol}` }, start.messageCount + 1);
    expect(carolReplay.some((m) => (m as { to?: string }).to !== undefined)).toBe(false);
    const readerReplay = await replay({ "x-room-password": b.password! }, start.messageCount + 1);
    expect(readerReplay).toEqual(carolReplay);
    const bobReplay = await replay({ authorization: `Bearer ${bobKey}` }, start.messageCount + 3);
    expect(bobReplay.filter((m) => (m as { to?: string }).to).map((m) => [m.id, m.text])).toEqual([[pm.id, "just for you, bob"], [pm.id + 1, "thanks, alice"]]);
    for (const st of Object.values(streams)) st.close();
  });

  it("over WebSocket too: a third participant's socket never gets them", async () => {
    const s = await room();
    const { b, alice, carol } = await cast(s);
    const carolWs = await joinWs(s.url, { token: carol, after: 0 }, `/r/${b.id}/ws`);
    const aliceWs = await joinWs(s.url, { token: alice, after: 0 }, `/r/${b.id}/ws`);
    carolWs.send({ type: "send", text: "psst alice", to: "alice", ref: 1 });
    expect((await carolWs.next("sent")).message).toMatchObject({ to: "alice", text: "psst alice" });
    expect((await post(b, alice, { text: "public again" })).status).toBe(201);
    const seen: string[] = [];
    for (;;) {
      const f = await aliceWs.next("message");
      seen.push(f.message.text);
      if (f.message.text === "public again") break;
    }
    expect(seen).toContain("psst alice");
    // a password-only socket
    const readerWs = await joinWs(s.url, { password: b.password, after: 0 }, `/r/${b.id}/ws`);
    const readerSeen: string[] = [];
    for (;;) {
      const f = await readerWs.next("message");
      readerSeen.push(f.message.text);
      if (f.message.text === "public again") break;
    }
    expect(readerSeen).not.toContain("psst alice");
    for (const w of [carolWs, aliceWs, readerWs]) w.close();
  });

  it("need a token or key (403 TOKEN_REQUIRED) and a joined recipient (404 UNKNOWN_RECIPIENT)", async () => {
    const s = await room();
    const { b, alice } = await cast(s);
    const byPassword = await withPassword(`${b.url}/messages`, b.password!, { method: "POST", json: { agent: "dave", text: "hi", to: "alice" } });
    expect(byPassword.status).toBe(403);
    expect(await errorCode(byPassword)).toBe("TOKEN_REQUIRED");
    // a password-only poster has no token: it cannot receive one either
    expect((await withPassword(`${b.url}/messages`, b.password!, { method: "POST", json: { agent: "erin", text: "hi" } })).status).toBe(201);
    for (const to of ["nobody", "erin"]) {
      const r = await post(b, alice, { text: "hi", to });
      expect(r.status, to).toBe(404);
      expect(await errorCode(r)).toBe("UNKNOWN_RECIPIENT");
    }
    const bad = await post(b, alice, { text: "hi", to: 42 });
    expect(bad.status).toBe(400);
    // a refused private message left no trace
    const all = (await slice(await withBearer(`${b.url}/messages`, alice))).messages.map((m) => m.text);
    expect(all.filter((t) => t === "hi")).toEqual(["hi"]); // erin's public one only
  });
});
