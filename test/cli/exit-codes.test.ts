// Every exit code of PRODUCT.md, each with the line that tells the caller what to do.
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";
import { run, tempHome } from "./helpers.js";

let room: TestRoom;
let h: ReturnType<typeof tempHome>;
const cli = (args: string[], o: { input?: string } = {}) => run(args, { home: h.home, ...o });

beforeAll(async () => {
  room = await startTestRoom({ rateLimit: 2, authFailPerMinute: 3 });
  h = tempHome();
  const j = await cli(["join", "--url", room.url, "--password", room.password, "--name", "codes-bot"]);
  expect(j.code).toBe(0);
});
afterAll(async () => {
  await room.close();
  h.cleanup();
});

describe("exit codes", () => {
  it("0: success, including a wait with nothing new", async () => {
    expect(await cli(["wait", "--timeout", "0"])).toMatchObject({ code: 0, stdout: "No new messages in 0 s. That is normal: wait again.\nOnline: nobody else.\n", stderr: "" });
  });

  it("1: usage — unknown command, unknown flag, missing value, bad number", async () => {
    const shout = await cli(["shout"]);
    expect(shout).toMatchObject({ code: 1, stdout: "" });
    expect(shout.stderr).toMatch(/^agent-chat: unknown command "shout": run `agent-chat --help` for the list \(serve, stop, join, send, read, wait, listen, who, invite, leave, [\w, ]+\)\.\n$/);
    expect(await cli(["send", "--mesage", "x"])).toMatchObject({ code: 1, stderr: "agent-chat send: unknown flag --mesage: run `agent-chat send --help` for the flags.\n" });
    expect(await cli(["wait", "--timeout"])).toMatchObject({ code: 1, stderr: "agent-chat wait: --timeout needs a value: run `agent-chat wait --help`.\n" });
    expect(await cli(["wait", "--timeout", "soon"])).toMatchObject({ code: 1, stderr: 'agent-chat wait: --timeout must be a whole number from 0 to 86400 (got "soon").\n' });
    expect(await cli(["kick"])).toMatchObject({ code: 1, stderr: "agent-chat kick: Missing required positional argument: NAME Run `agent-chat kick --help`.\n" });
    expect(await cli(["who", "--url", "ftp://x"])).toMatchObject({ code: 1, stderr: 'agent-chat who: "ftp://x" is not an http(s) URL; pass the room URL from the invite, e.g. --url http://192.168.1.5:8765\n' });
  });

  it("2: server unreachable (connection refused; no answer in time)", async () => {
    const free = await freePort();
    const r = await run(["who", "--url", `http://127.0.0.1:${free}`, "--password", "x"], { home: h.home });
    expect(r).toMatchObject({
      code: 2,
      stderr: `agent-chat who: cannot reach http://127.0.0.1:${free} (connection refused): is the room still running? Check the URL in the invite.\n`,
    });
    // A server that accepts and never answers: every request is bounded (15 s by default; 1 s here).
    const silent = await silentServer();
    try {
      const port = (silent.address() as { port: number }).port;
      // The message names the 1 s bound: it comes from the timeout, not from a connection error.
      const w = await run(["who", "--url", `http://127.0.0.1:${port}`, "--password", "x"], { home: h.home, env: { AGENT_CHAT_REQUEST_TIMEOUT: "1" } });
      expect(w).toMatchObject({
        code: 2,
        stderr: `agent-chat who: cannot reach http://127.0.0.1:${port} (no answer within 1 s): is the room still running? Check the URL in the invite.\n`,
      });
    } finally {
      silent.close();
    }
  });

  it("3: password or token rejected", async () => {
    const other = tempHome();
    try {
      const r = await run(["join", "--url", room.url, "--password", "wrong", "--name", "x-bot"], { home: other.home });
      expect(r).toMatchObject({ code: 3, stderr: `agent-chat join: wrong password for ${room.url}: check the invite.\n` });
      const host = await run(["pause", "--url", room.url, "--host-token", "ach_nope"], { home: other.home });
      expect(host).toMatchObject({ code: 3, stderr: `agent-chat pause: host token rejected by ${room.url}: use the one printed by \`agent-chat serve\` on the host (--host-token).\n` });
    } finally {
      other.cleanup();
    }
  });

  it("4: rate limited (429) and paused (423)", async () => {
    const sends = [];
    for (let i = 0; i < 4; i++) sends.push(await cli(["send", `burst ${i}`]));
    const limited = sends.find((r) => r.code !== 0)!;
    expect(limited.code).toBe(4);
    expect(limited.stderr).toMatch(/^agent-chat send: .*too fast.*retry in \d+ s\. Nothing was sent\.\n$/i);

    await room.api("/host/pause", { method: "POST", token: room.hostToken });
    const paused = await cli(["send", "while paused"]);
    await room.api("/host/resume", { method: "POST", token: room.hostToken });
    expect(paused.code).toBe(4);
    expect(paused.stderr).toBe("agent-chat send: The host paused agents in this room; wait (agent-chat wait) until the host resumes. Nothing was sent.\n");
  });

  it("5: removed by the host — every later command, and an open listen", async () => {
    const { start } = await import("./helpers.js");
    const l = start(["listen"], { home: h.home });
    // Kick only once listen's stream (a WebSocket since the socket transport; an event stream behind a proxy without
    // upgrades) is open, so it hears `removed` (a listen that connected after the kick would get the 403 answer
    // instead, with the other message).
    await vi.waitFor(() => expect(room.stats().streams + room.stats().websockets).toBe(1), { timeout: 30_000, interval: 50 });
    await room.api("/host/kick", { method: "POST", token: room.hostToken, json: { name: "codes-bot" } });
    expect(await l.exited).toEqual({ code: 5, signal: null });
    expect(l.stderr).toBe(`agent-chat listen: ${room.url}: The host removed you from this room. Stop using this room.\n`);
    const r = await cli(["send", "am I still here?"]);
    expect(r).toMatchObject({
      code: 5,
      stderr: `agent-chat send: ${room.url}: The host removed "codes-bot" from this room; this token no longer works. Stop using this room.\n`,
    });
    const rejoin = await cli(["join", "--name", "codes-bot"]);
    expect(rejoin.code).toBe(5);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function silentServer(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer(() => {}).listen(0, "127.0.0.1", () => resolve(s));
  });
}
