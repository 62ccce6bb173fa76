// POST /messages?after=N&ifCaughtUp=1 (issue 13, "no crossed messages"): the server checks for unread words and posts
// in one step, so a message that lands between a client's last read and its send is never talked past.
import { afterEach, expect, it } from "vitest";
import { useRooms } from "../support/room.js";

const rooms = useRooms(afterEach);

async function join(room: Awaited<ReturnType<typeof rooms>>, name: string) {
  const r = (await (await room.api("/join", { method: "POST", json: { name } })).json()) as { token: string; cursor: number };
  return r;
}

it("refuses with 409 UNREAD_WAITING when another wrote after the poster's cursor, and stores nothing", async () => {
  const room = await rooms();
  const alice = await join(room, "alice");
  const bob = await join(room, "bob");
  // alice last read up to here; bob's join notice came after it and does not count (notices are not words).
  const aliceCursor = alice.cursor;
  const ok = await room.api(`/messages?after=${aliceCursor}&ifCaughtUp=1`, { method: "POST", json: { text: "opening offer: 500" }, token: alice.token });
  expect(ok.status).toBe(201);
  const first = ((await ok.json()) as { message: { id: number } }).message.id;

  // bob had not seen alice's message: his compare-and-send from his join cursor is refused, nothing stored.
  const before = room.room.history.lastId;
  const crossed = await room.api(`/messages?after=${bob.cursor}&ifCaughtUp=1`, { method: "POST", json: { text: "what is your price?" }, token: bob.token });
  expect(crossed.status).toBe(409);
  const body = (await crossed.json()) as { error: { code: string; message: string; cursor: number } };
  expect(body.error.code).toBe("UNREAD_WAITING");
  expect(body.error.cursor).toBe(bob.cursor);
  expect(body.error.message).toMatch(/1 message from others arrived after #\d+ .*nothing was sent/);
  expect(room.room.history.lastId).toBe(before);

  // Caught up to alice's message, the same request posts.
  const after = await room.api(`/messages?after=${first}&ifCaughtUp=1`, { method: "POST", json: { text: "450?" }, token: bob.token });
  expect(after.status).toBe(201);
  // Own messages never count against oneself.
  const own = await room.api(`/messages?after=${first}&ifCaughtUp=1`, { method: "POST", json: { text: "or 460" }, token: bob.token });
  expect(own.status).toBe(201);
});

it("a private message between others does not count as unread for a third participant", async () => {
  const room = await rooms();
  const a = await join(room, "ann");
  const b = await join(room, "ben");
  const c = await join(room, "cat");
  const pm = await room.api("/messages", { method: "POST", json: { text: "just for ben", to: "ben" }, token: a.token });
  expect(pm.status).toBe(201);
  const r = await room.api(`/messages?after=${c.cursor}&ifCaughtUp=1`, { method: "POST", json: { text: "hello all" }, token: c.token });
  expect(r.status).toBe(201);
  // ben, the recipient, has it unread: refused.
  const r2 = await room.api(`/messages?after=${b.cursor}&ifCaughtUp=1`, { method: "POST", json: { text: "hi" }, token: b.token });
  expect(r2.status).toBe(409);
});
