// checkStreaming against local node:http servers: one that streams like the room, one that holds the body back like
// a buffering quick tunnel, one that refuses the password, and nothing listening at all.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { checkStreaming } from "../../src/tunnel/index.js";

let server: Server | undefined;
const seen: string[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    seen.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

afterEach(async () => {
  seen.length = 0;
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const sseHead = { "content-type": "text/event-stream", "cache-control": "no-cache" };

describe("checkStreaming", () => {
  // Where the answer is not the timeout, the timeout is a safety net (30 s): checkStreaming returns on the first
  // bytes, the status or the refusal; 2-3 s were deadlines a busy machine could miss, reported as "buffering".
  it("streams: the opening comment arrives at once (the room sends `: connected`)", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, sseHead);
      res.write(": connected\n\n");
    });
    const result = await checkStreaming(url, "p@ss word&x", 30_000);
    expect(result.streams).toBe(true);
    expect(result.detail).toMatch(/first bytes in \d+ ms/);
    expect(seen).toEqual(["/messages/stream?password=p%40ss%20word%26x"]);
  });

  it("buffered: headers but no body within the timeout is reported as buffering, with the long-poll fallback", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, sseHead);
      res.flushHeaders();
    });
    const t0 = Date.now();
    const result = await checkStreaming(url, "pw", 700);
    expect(Date.now() - t0).toBeLessThan(15_000); // it gave up (this server never sends a byte); not a speed test
    expect(result.streams).toBe(false);
    expect(result.detail).toContain("no stream data arrived within 0.7 s");
    expect(result.detail).toContain("long-poll");
  });

  it("buffered: nothing at all (not even headers) within the timeout", async () => {
    const url = await serve(() => {});
    const result = await checkStreaming(url, "pw", 500);
    expect(result).toEqual({ streams: false, detail: expect.stringContaining("buffers server-sent events") });
  });

  it("a refused password is reported with its status", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"error":{"code":"UNAUTHORIZED","message":"wrong password"}}');
    });
    const result = await checkStreaming(url.replace(/\/$/, ""), "wrong", 30_000);
    expect(result).toEqual({ streams: false, detail: expect.stringContaining("HTTP 401") });
  });

  it("nothing listening: says it could not open the stream, and why", async () => {
    const url = await serve(() => {});
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const result = await checkStreaming(url, "pw", 30_000);
    expect(result.streams).toBe(false);
    expect(result.detail).toMatch(/could not open the stream through the tunnel \(fetch failed: .*ECONNREFUSED/);
  });
});
