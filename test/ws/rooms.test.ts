// WebSocket in a server of many rooms: /r/<id>/ws is that room's socket (its password, its keys, its messages only),
// invite keys join and their revocation ends the socket (4403), keys-only rooms refuse the password (4401), and a
// room the host closes ends its sockets with `closed` (4410) and refuses new upgrades (410).
import { afterEach, expect, it } from "vitest";
import { useRooms } from "../support/room.js";
import { asHost, createRoom, mintKey } from "../support/rooms.js";
import { joinWs, openWs, wsUrl, type TestSocket } from "./helpers.js";

const start = useRooms(afterEach);
const sockets: TestSocket[] = [];
afterEach(() => void sockets.splice(0).forEach((s) => s.ws.terminate()));
const track = <T extends TestSocket>(s: T) => (sockets.push(s), s);

it("/r/<id>/ws is that room: its password, its messages only; an unknown room refuses the upgrade (404)", async () => {
  const server = await start();
  const other = await createRoom(server, { title: "Other" });
  const inOther = track(await joinWs(server.url, { password: other.password, name: "ann" }, `/r/${other.id}/ws`));
  expect(inOther.joined.room.title).toBe("Other");
  const inDefault = track(await joinWs(server.url, { password: server.password, name: "dee" }));
  // The default room's password does not open the other room.
  const wrong = track(await openWs(wsUrl(server.url, `/r/${other.id}/ws`)));
  wrong.send({ type: "join", password: server.password, name: "x" });
  expect(await wrong.next()).toMatchObject({ type: "error", code: "UNAUTHORIZED" });
  expect((await wrong.closed).code).toBe(4401);

  inOther.send({ type: "send", text: "only in Other", ref: 1 });
  expect((await inOther.next("sent")).message.text).toBe("only in Other");
  inDefault.send({ type: "send", text: "only in default", ref: 2 });
  expect((await inDefault.next("sent")).message.text).toBe("only in default");
  const texts = (s: TestSocket) => s.frames.filter((f) => f.type === "message" && f.message.kind !== "system").map((f) => f.message.text);
  expect(texts(inOther)).toEqual(["only in Other"]);
  expect(texts(inDefault)).toEqual(["only in default"]);

  await expect(openWs(wsUrl(server.url, "/r/nosuchroom1/ws"))).rejects.toMatchObject({ status: 404, body: expect.stringContaining('"ROOM_NOT_FOUND"') });
});

it("an invite key joins under its name; revoking it ends the socket with removed (4403) and the key joins no more", async () => {
  const server = await start();
  const room = await createRoom(server, { title: "Keys" });
  const { key, keyId } = await mintKey(server, room.id, { label: "bot", name: "keybot" });
  const s = track(await joinWs(server.url, { key }, `/r/${room.id}/ws`));
  expect(s.joined.participant).toEqual({ name: "keybot", kind: "agent" });
  s.send({ type: "send", text: "hello from a key", ref: "k" });
  expect((await s.next("sent")).message).toMatchObject({ agent: "keybot", verified: true });

  expect((await asHost(server, `/r/${room.id}/keys/${keyId}`, { method: "DELETE" })).status).toBeLessThan(300);
  expect(await s.next("removed")).toMatchObject({ message: expect.stringContaining("revoked") });
  expect((await s.closed).code).toBe(4403);
  const again = track(await openWs(wsUrl(server.url, `/r/${room.id}/ws`)));
  again.send({ type: "join", key });
  expect(await again.next()).toMatchObject({ type: "error", code: "REVOKED" });
  expect((await again.closed).code).toBe(4403);
});

it("a keys-only room refuses the password on a socket (KEY_REQUIRED, 4401)", async () => {
  const server = await start();
  const room = await createRoom(server, { title: "Locked", keysOnly: true, password: "some-password" });
  const s = track(await openWs(wsUrl(server.url, `/r/${room.id}/ws`)));
  s.send({ type: "join", password: "some-password", name: "pw" });
  expect(await s.next()).toMatchObject({ type: "error", code: "KEY_REQUIRED" });
  expect((await s.closed).code).toBe(4401);
});

it("closing a room ends its sockets with closed (4410); later upgrades get 410 ROOM_CLOSED", async () => {
  const server = await start();
  const room = await createRoom(server, { title: "Short-lived" });
  const s = track(await joinWs(server.url, { password: room.password, name: "stay" }, `/r/${room.id}/ws`));
  const elsewhere = track(await joinWs(server.url, { password: server.password, name: "elsewhere" }));
  expect((await asHost(server, `/r/${room.id}`, { method: "DELETE" })).status).toBeLessThan(300);
  expect(await s.next("closed")).toMatchObject({ type: "closed" });
  expect((await s.closed).code).toBe(4410);
  await expect(openWs(wsUrl(server.url, `/r/${room.id}/ws`))).rejects.toMatchObject({ status: 410, body: expect.stringContaining('"ROOM_CLOSED"') });
  // The default room's socket is untouched.
  elsewhere.send({ type: "ping" });
  expect(await elsewhere.next("pong")).toEqual({ type: "pong" });
});

it("a private message (send with to) reaches the sender and the recipient only, live and in replay", async () => {
  const server = await start();
  const alice = track(await joinWs(server.url, { password: server.password, name: "alice" }));
  const bob = track(await joinWs(server.url, { password: server.password, name: "bob" }));
  const carol = track(await joinWs(server.url, { password: server.password, name: "carol" }));
  alice.send({ type: "send", text: "just for bob", to: "bob", ref: "pm" });
  const sent = await alice.next("sent");
  expect(sent).toMatchObject({ ref: "pm", message: { agent: "alice", to: "bob", text: "just for bob" } });
  let toBob = await bob.next("message");
  while (toBob.message.kind === "system") toBob = await bob.next("message");
  expect(toBob.message).toEqual(sent.message);
  alice.send({ type: "send", text: "for everyone", ref: "pub" });
  await alice.next("sent");
  // Carol's next message is the public one: the private one never reached her socket.
  const carolTexts: string[] = [];
  while (!carolTexts.includes("for everyone")) {
    const f = await carol.next("message");
    if (f.message.kind !== "system") carolTexts.push(f.message.text);
  }
  expect(carolTexts).toEqual(["for everyone"]);
  // Replays too: bob's includes it, carol's (with her token) and a password reader's do not.
  const replay = async (join: Record<string, unknown>) => {
    const s = track(await joinWs(server.url, { ...join, after: 0 }));
    const texts: string[] = [];
    while (!texts.includes("for everyone")) {
      const f = await s.next("message");
      if (f.message.kind !== "system") texts.push(f.message.text);
    }
    return texts;
  };
  expect(await replay({ token: bob.joined.token })).toEqual(["just for bob", "for everyone"]);
  expect(await replay({ token: carol.joined.token })).toEqual(["for everyone"]);
  expect(await replay({ password: server.password })).toEqual(["for everyone"]);
  // A reader without a name cannot send, privately or not.
  const reader = track(await joinWs(server.url, { password: server.password }));
  reader.send({ type: "send", text: "psst", to: "bob", ref: 9 });
  expect(await reader.next("error")).toMatchObject({ ref: 9, code: "BAD_NAME" });
});

it("a key that already joined continues as its participant on a new socket (no new session, its token keeps working)", async () => {
  const server = await start();
  const room = await createRoom(server, { title: "Twice" });
  const { key } = await mintKey(server, room.id, { label: "bot", name: "twice-bot" });
  const first = track(await joinWs(server.url, { key }, `/r/${room.id}/ws`));
  const second = track(await joinWs(server.url, { key, after: 0 }, `/r/${room.id}/ws`));
  expect(second.joined.participant).toEqual({ name: "twice-bot", kind: "agent" });
  second.send({ type: "send", text: "from the second socket", ref: 2 });
  await second.next("sent");
  const joins = second.frames.filter((f) => f.type === "message" && /joined/.test(f.message.text));
  expect(joins).toHaveLength(1); // one "twice-bot joined", from the first socket's claim
  // The first socket's token still works over HTTP: the second socket started no new session.
  const r = await fetch(`${server.url}/r/${room.id}/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${first.joined.token}`, "content-type": "application/json" },
    body: JSON.stringify({ text: "token still good" }),
  });
  expect(r.status).toBe(201);
});

it("a socket whose participant left (POST /leave) can no longer send as it", async () => {
  const server = await start();
  const s = track(await joinWs(server.url, { password: server.password, name: "leaver" }));
  const r = await server.api("/leave", { method: "POST", token: s.joined.token, json: {} });
  expect(r.status).toBe(200);
  s.send({ type: "send", text: "still me?", ref: "late" });
  expect(await s.next("error")).toMatchObject({ ref: "late", code: "UNAUTHORIZED" });
});
