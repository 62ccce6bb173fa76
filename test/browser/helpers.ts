// Shared by the browser suites: launching Debian's chromium through playwright-core, opening the web UI as a
// person, an HTTP agent that talks to the room with fetch, and two small proxies that misbehave on purpose
// (one drops every connection on demand, one buffers SSE bodies like a Cloudflare quick tunnel).
import { existsSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createServer as createTcpServer, connect, type Server, type Socket } from "node:net";
import { chromium, type Browser, type BrowserContextOptions, type Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { TestRoom } from "../support/room.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);

/** describe() that needs Chromium: skipped loudly without it, and failed instead under CI. */
export function describeBrowser(name: string, fn: () => void) {
  if (haveChromium) return describe(name, fn);
  const msg = `${CHROMIUM} not found: the browser tests (${name}) cannot run. Install it with: apt-get install -y chromium`;
  if (process.env.CI) {
    return describe(name, () => {
      it("has a Chromium to drive", () => {
        throw new Error(msg + " (CI is set, so this fails instead of skipping)");
      });
    });
  }
  console.warn(`\n${"!".repeat(100)}\n!!! SKIPPED: ${msg}\n${"!".repeat(100)}\n`);
  return describe.skip(name, fn);
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export const PHONE: BrowserContextOptions = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };

/** Collect what must never happen on the page: uncaught errors and Content-Security-Policy refusals. */
export function watch(page: Page) {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Refused to|Content Security Policy/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  return problems;
}

/** Open the web UI at `url` (with its fragment) and join as `name`; returns when the stream is live. */
export async function joinAs(page: Page, url: string, name: string, password?: string) {
  await page.goto(url);
  await page.locator("#name-input").fill(name);
  if (password !== undefined) await page.locator("#password-input").fill(password);
  await page.locator("#join-btn").click();
  await page.waitForFunction(() => /^(live|polling)$/.test(document.getElementById("conn")?.dataset.state ?? ""), null, { timeout: 10_000 });
}

/** Texts of the messages on the page (not system lines), in page order. */
export function shownTexts(page: Page): Promise<string[]> {
  return page.$$eval("#log .msg:not(.kind-system) .body", (els) => els.map((e) => e.textContent ?? ""));
}

/** Ids of every message element on the page, in page order. */
export function shownIds(page: Page): Promise<number[]> {
  return page.$$eval("#log .msg[data-id]:not(.notice-line)", (els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
}

/** The body element of the message whose text contains `text`. */
export const message = (page: Page, text: string) => page.locator("#log .msg", { hasText: text });

export interface Agent {
  name: string;
  token: string;
  post(text: string): Promise<{ id: number }>;
}

/** An agent that speaks plain HTTP, as the invite's curl lines do. */
export async function httpAgent(room: TestRoom, name: string, base = room.url): Promise<Agent> {
  const r = await fetch(base + "/join", {
    method: "POST",
    headers: { "x-room-password": room.password, "content-type": "application/json" },
    body: JSON.stringify({ name, kind: "agent" }),
  });
  expect(r.status).toBe(201);
  const { token } = (await r.json()) as { token: string };
  return {
    name,
    token,
    async post(text) {
      const res = await fetch(base + "/messages", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });
      const body = (await res.json()) as { message: { id: number } };
      expect(res.status, JSON.stringify(body)).toBe(201);
      return body.message;
    },
  };
}

/**
 * A TCP proxy in front of the room. `drop()` destroys every connection and stops listening (the network is gone);
 * `restore()` listens again on the same port.
 */
export async function tcpProxy(targetPort: number) {
  const sockets = new Set<Socket>();
  let server: Server;
  const make = () =>
    createTcpServer((client) => {
      const upstream = connect(targetPort, "127.0.0.1");
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = make();
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
  const port = await listen(0);
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return sockets.size / 2;
    },
    async drop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    restore: () => listen(port),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * An HTTP proxy that behaves like a buffering tunnel: every request is forwarded, but a `text/event-stream`
 * answer's body is held until the upstream response ends (headers go through at once).
 */
export async function bufferingProxy(targetPort: number) {
  let streamsHeld = 0;
  const server = createHttpServer((req, res) => {
    const up = httpRequest(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers as IncomingHttpHeaders },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (!String(upRes.headers["content-type"] ?? "").startsWith("text/event-stream")) {
          upRes.pipe(res);
          return;
        }
        streamsHeld++;
        const held: Buffer[] = [];
        upRes.on("data", (c: Buffer) => held.push(c));
        upRes.on("end", () => res.end(Buffer.concat(held)));
        upRes.on("error", () => res.destroy());
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
    res.on("close", () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get streamsHeld() {
      return streamsHeld;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
