// Every WebSocket limit answers with its documented code and harms no one else: a slow reader is closed (4008)
// while the others carry on, and resumes without loss; Origin, frame size, frame rate and connections.
import type { Socket } from "node:net";
import { afterEach, expect, it } from "vitest";
import { useRooms } from "../support/room.js";
import { joinWs, openWs, wsUrl, type TestSocket } from "./helpers.js";

const start = useRooms(afterEach);
const sockets: TestSocket[] = [];
afterEach(() => void sockets.splice(0).forEach((s) => s.ws.terminate()));
const track = <T extends TestSocket>(s: T) => (sockets.push(s), s);

it("a reader that stops reading is closed as a slow consumer (4008) while another gets everything; it resumes with after", async () => {
  const room = await start({ maxBufferBytes: 256 * 1024, history: 5000 });
  const fast = track(await joinWs(room.url, { password: room.password, name: "fast" }));
  const slow = track(await joinWs(room.url, { password: room.password, name: "slow" }));
  const tcp = (slow.ws as unknown as { _socket: Socket })._socket;
  tcp.pause(); // reads nothing more: the kernel buffers fill, then the server's
  const text = "x".repeat(16 * 1024);
  let posted = 0;
  // Post until the server gives up on the slow socket (how much that takes depends on the kernel's buffers).
  while (room.stats().websockets > 1 && posted < 3000) {
    await Promise.all(Array.from({ length: 8 }, () => room.api("/messages", { method: "POST", json: { agent: "poster", text } })));
    posted += 8;
  }
  expect(room.stats().websockets).toBe(1);
  const last = (await (await room.api("/messages?limit=1")).json()).next;
  // The fast reader was not held back: it gets every message up to the last.
  await expect.poll(() => fast.frames.filter((f) => f.type === "message").at(-1)?.message.id, { timeout: 30_000 }).toBe(last);

  tcp.resume(); // it reads what was sent before the cut, then the close frame
  expect((await slow.closed).code).toBe(4008);
  const got = slow.frames.filter((f) => f.type === "message").map((f) => f.message.id);
  expect(got.length).toBeGreaterThan(0);
  const again = track(await joinWs(room.url, { token: slow.joined.token, after: got.at(-1) }));
  while (got.at(-1)! < last) got.push((await again.next("message")).message.id);
  const first = got[0]!;
  expect(got).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
}, 120_000);

it("a browser page from another site is refused (403 ORIGIN_REFUSED); the room's own page is let in", async () => {
  const room = await start();
  await expect(openWs(wsUrl(room.url), { origin: "https://evil.example" })).rejects.toMatchObject({
    status: 403,
    body: expect.stringContaining('"ORIGIN_REFUSED"'),
  });
  const own = track(await openWs(wsUrl(room.url), { origin: room.url }));
  own.send({ type: "join", password: room.password });
  expect(await own.next()).toMatchObject({ type: "joined" });
  // The address the invite names (a tunnel's) counts as the room's own too.
  room.setInviteUrl("https://room.example.net");
  const tunneled = track(await openWs(wsUrl(room.url), { origin: "https://room.example.net" }));
  tunneled.send({ type: "join", password: room.password });
  expect(await tunneled.next()).toMatchObject({ type: "joined" });
});

it("a frame over the size limit closes with 1009; others are unharmed", async () => {
  const room = await start({ maxBodyBytes: 4096 });
  const other = track(await joinWs(room.url, { password: room.password, name: "other" }));
  const big = track(await joinWs(room.url, { password: room.password, name: "big" }));
  big.send({ type: "send", text: "y".repeat(5000) });
  expect((await big.closed).code).toBe(1009);
  other.send({ type: "send", text: "still here", ref: 1 });
  expect(await other.next("sent")).toMatchObject({ ref: 1 });
});

it("too many frames per second: FRAME_RATE_LIMITED, closed with 4429", async () => {
  const room = await start({ wsFramesPerSecond: 5 });
  const s = track(await joinWs(room.url, { password: room.password, name: "chatty" }));
  for (let i = 0; i < 40; i++) s.send({ type: "ping" });
  expect(await s.next("error")).toMatchObject({ code: "FRAME_RATE_LIMITED" });
  expect((await s.closed).code).toBe(4429);
  expect(s.frames.filter((f) => f.type === "pong").length).toBeLessThanOrEqual(12);
});

it("over the connection limit the upgrade gets 503 TOO_MANY_CONNECTIONS with Retry-After", async () => {
  const room = await start({ maxConnections: 2 });
  track(await openWs(wsUrl(room.url)));
  track(await openWs(wsUrl(room.url)));
  await expect(openWs(wsUrl(room.url))).rejects.toMatchObject({ status: 503, body: expect.stringContaining('"TOO_MANY_CONNECTIONS"') });
});
