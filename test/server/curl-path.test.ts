// The curl path as smooth as the CLI (issue 13): a cursor field that says what it is in every answer (the old `next`
// kept), a join answer with recent messages, POST /messages?after=N returning what the poster had not seen, polls
// that leave out your own messages (mine=0) or keep only mentions (mentions=1), and bounded poll batches (limit=).
import { afterEach, describe, expect, it } from "vitest";
import { useRooms, type TestRoom } from "../support/room.js";

const rooms = useRooms(afterEach);

async function join(room: TestRoom, name: string) {
  const res = await room.api("/join", { method: "POST", json: { name } });
  expect(res.status).toBe(201);
  return (await res.json()) as { token: string; cursor: number; next: number; messages: { id: number; text: string }[] };
}
const post = async (room: TestRoom, token: string, text: string, after?: number) => {
  const res = await room.api(`/messages${after === undefined ? "" : `?after=${after}`}`, { method: "POST", json: { text }, token });
  expect(res.status).toBe(201);
  return (await res.json()) as { message: { id: number }; cursor: number; unread?: { id: number; agent: string; text: string }[]; more?: number };
};
const get = async (room: TestRoom, token: string, path: string) => {
  const res = await room.api(path, { token });
  expect(res.status).toBe(200);
  return (await res.json()) as { messages: { id: number; agent: string; text: string }[]; cursor: number; next: number };
};

describe("the curl path", () => {
  it("join answers with the cursor and the recent messages; every message answer carries cursor (= next)", async () => {
    const room = await rooms();
    const bob = await join(room, "bob");
    for (let i = 1; i <= 12; i++) await post(room, bob.token, `m${i}`);
    const ann = await join(room, "ann");
    expect(ann.cursor).toBe(ann.next);
    expect(ann.cursor).toBe(room.room.history.lastId);
    expect(ann.messages).toHaveLength(10);
    expect(ann.messages.at(-1)!.id).toBe(ann.cursor);
    const page = await get(room, ann.token, `/messages?after=0&limit=3`);
    expect(page.cursor).toBe(3);
    expect(page.next).toBe(3);
    const poll = await get(room, ann.token, `/messages/poll?after=${ann.cursor}&timeout=0`);
    expect(poll).toMatchObject({ messages: [], cursor: ann.cursor, next: ann.cursor });
  });

  it("POST with ?after=<my cursor> returns what others wrote before my message, not mine, and the cursor past it", async () => {
    const room = await rooms();
    const ann = await join(room, "ann");
    const bob = await join(room, "bob");
    const q = await post(room, bob.token, "is #3 fixed?");
    const mine = await post(room, ann.token, "looking", ann.cursor);
    expect(mine.unread!.map((m) => m.text)).toEqual(["bob joined (agent).", "is #3 fixed?"]);
    expect(mine.unread!.some((m) => m.agent === "ann")).toBe(false);
    expect(mine.unread!.at(-1)!.id).toBe(q.message.id);
    expect(mine.cursor).toBe(mine.message.id);
    // Polling from that cursor does not return my own post: it waits for the next one from someone else.
    const answer = await post(room, bob.token, "thanks");
    const next = await get(room, ann.token, `/messages/poll?after=${mine.cursor}&timeout=5`);
    expect(next.messages.map((m) => m.id)).toEqual([answer.message.id]);
    // Without ?after the answer still says where to continue.
    expect((await post(room, ann.token, "plain")).cursor).toBeGreaterThan(answer.message.id);
  });

  it("POST ?after with more unread than one answer holds: more, and a cursor that returns the rest", async () => {
    const room = await rooms();
    const ann = await join(room, "ann");
    const bob = await join(room, "bob");
    for (let i = 0; i < 120; i++) await post(room, bob.token, `b${i}`);
    const mine = await post(room, ann.token, "finally", ann.cursor);
    expect(mine.unread).toHaveLength(100);
    expect(mine.more).toBe(mine.message.id - 1 - mine.cursor);
    const rest = await get(room, ann.token, `/messages?after=${mine.cursor}&limit=1000`);
    expect([...mine.unread!, ...rest.messages].map((m) => m.id)).toEqual(Array.from({ length: mine.message.id - ann.cursor }, (_, i) => ann.cursor + 1 + i));
  });

  it("mine=0 leaves your own messages out of a poll (it keeps waiting for others); mentions=1 only @you", async () => {
    const room = await rooms();
    const ann = await join(room, "ann");
    const bob = await join(room, "bob");
    const start = room.room.history.lastId;
    await post(room, ann.token, "my own");
    const pending = get(room, ann.token, `/messages/poll?after=${start}&timeout=30&mine=0`);
    await expect.poll(() => room.room.history.lastId).toBe(start + 1);
    const other = await post(room, bob.token, "from bob");
    const got = await pending;
    expect(got.messages.map((m) => m.id)).toEqual([other.message.id]);
    expect(got.cursor).toBe(other.message.id);

    const from = room.room.history.lastId;
    const waiting = get(room, ann.token, `/messages/poll?after=${from}&timeout=30&mentions=1`);
    await post(room, bob.token, "not for you");
    const ping = await post(room, bob.token, "@ann look");
    const m = await waiting;
    expect(m.messages.map((x) => x.id)).toEqual([ping.message.id]);
    // The password alone cannot say who "you" are.
    expect((await room.api(`/messages/poll?after=0&timeout=0&mine=0`)).status).toBe(400);
  });

  it("limit bounds a poll's batch; the cursor stops at the last message returned", async () => {
    const room = await rooms();
    const bob = await join(room, "bob");
    for (let i = 0; i < 30; i++) await post(room, bob.token, `p${i}`);
    const r = await get(room, bob.token, `/messages/poll?after=0&limit=5`);
    expect(r.messages.map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
    expect(r.cursor).toBe(5);
  });
});
