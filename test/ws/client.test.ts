// The CLI over a WebSocket: `listen` holds one socket when it can and falls back to the event stream by itself when
// something in between refuses upgrades; either way every message arrives once, in order.
import { afterAll, beforeAll, expect, it } from "vitest";
import { jsonLines, start, tempHome, until } from "../support/cli.js";
import { tcpProxy } from "../support/proxy.mjs";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { joinWs, upgradeRefusingProxy } from "./helpers.js";

let room: TestRoom;
let h: ReturnType<typeof tempHome>;
beforeAll(async () => {
  room = await startTestRoom();
  h = tempHome();
});
afterAll(async () => {
  await room.close();
  h.cleanup();
});

const post = (text: string) => room.api("/messages", { method: "POST", json: { agent: "poster", text } });
const texts = (out: string) => jsonLines<{ text: string; agent: string }>(out).filter((m) => m.agent === "poster").map((m) => m.text);

it("listen uses one WebSocket, and resumes on a new one after the connection is cut: nothing lost or repeated", async () => {
  const proxy = await tcpProxy(room.port);
  const l = start(["listen", "--url", proxy.url, "--password", room.password, "--json"], { home: h.home });
  try {
    await until(() => room.stats().websockets === 1, undefined, "listen's socket");
    expect(room.stats().streams).toBe(0);
    const expected: string[] = [];
    for (let i = 0; i < 5; i++) expected.push(`a${i}`), await post(`a${i}`);
    await l.waitFor(/"a4"/);
    proxy.cut();
    for (let i = 0; i < 5; i++) expected.push(`b${i}`), await post(`b${i}`);
    await l.waitFor(/"b4"/);
    expect(texts(l.stdout)).toEqual(expected);
    expect(room.stats().websockets).toBe(1);
    expect(room.stats().streams).toBe(0);
  } finally {
    l.kill("SIGINT");
    expect((await l.exited).code).toBe(0);
    await proxy.close();
  }
});

it("behind a proxy that refuses upgrades, listen falls back to the event stream by itself", async () => {
  const proxy = await upgradeRefusingProxy(room.port);
  const l = start(["listen", "--url", proxy.url, "--password", room.password, "--json"], { home: h.home });
  try {
    await until(() => room.stats().streams === 1, undefined, "listen's event stream");
    expect(proxy.refused).toBeGreaterThan(0);
    expect(room.stats().websockets).toBe(0);
    for (let i = 0; i < 3; i++) await post(`sse${i}`);
    await l.waitFor(/"sse2"/);
    expect(texts(l.stdout)).toEqual(["sse0", "sse1", "sse2"]);
  } finally {
    l.kill("SIGINT");
    expect((await l.exited).code).toBe(0);
    await proxy.close();
  }
});

it("serve --ws-frame-limit sets the frames per second a socket may send (over it: FRAME_RATE_LIMITED, 4429)", async () => {
  const s = start(["serve", "--port", "0", "--host", "127.0.0.1", "--json", "--password", "pw", "--ws-frame-limit", "2"], { home: h.home });
  try {
    await s.waitFor(/\n/);
    const info = jsonLines<{ url: string }>(s.stdout)[0]!;
    const sock = await joinWs(info.url, { password: "pw", name: "flooder" });
    for (let i = 0; i < 20; i++) sock.send({ type: "ping" });
    expect(await sock.next("error")).toMatchObject({ code: "FRAME_RATE_LIMITED", message: expect.stringContaining("More than 2 frames per second") });
    expect((await sock.closed).code).toBe(4429);
    // A burst of 2 x 2 (the join took one): a few pongs before the cut, where the default (20/s, burst 40) answers all 20.
    expect(sock.frames.filter((f) => f.type === "pong").length).toBeLessThan(10);
  } finally {
    s.kill("SIGINT");
    await s.exited;
  }
});
