// Shared by the browser suites: launching Debian's chromium through playwright-core, opening the web UI as a
// person, an HTTP agent that talks to the room with fetch, and two small proxies that misbehave on purpose
// (one drops every connection on demand, one buffers SSE bodies like a Cloudflare quick tunnel).
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestRoom, type TestRoom } from "../support/room.js";

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

/** Phones at the widths issue 16 asks for (320 and 390 px), in light and dark: suites cycle through them. */
export const PHONES: (BrowserContextOptions & { label: string })[] = [
  { label: "320 light", viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: "light" },
  { label: "390 dark", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: "dark" },
  { label: "320 dark", viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: "dark" },
  { label: "390 light", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: "light" },
];

/**
 * How long a Playwright action or locator read (click, fill, waitFor, textContent…) may wait for its element: a safety
 * net like the config's 30 s, not a measurement. It was 10 s (15 s on the dashboard): two suites and Chromium on two
 * shared cores can hold a page's answer back longer than that.
 */
export const ACTION_TIMEOUT_MS = 30_000;

/**
 * expect.poll() at the config's 30 s (vitest.config.ts), polled every 50 ms. The page suites call this at their top;
 * it once set 15 s, which lowered the config's safety net instead of raising vitest's 1-s default (a service-worker
 * notification missed 15 s once in a full run).
 */
export function patientPolls() {
  vi.setConfig({ expect: { poll: { timeout: 30_000, interval: 50 } } });
}

/** Collect what must never happen on the page: uncaught errors and Content-Security-Policy refusals. */
export function watch(page: Page) {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Refused to|Content Security Policy/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  return problems;
}

/**
 * The hooks a browser suite needs, registered in the calling describe(): one Chromium for the file; contexts, rooms and
 * whatever the test hands to `defer` closed after each test (last first); and no page error or CSP refusal on any
 * page opened through it, checked once at the end.
 */
export function useBrowser() {
  let browser: Browser | undefined;
  const cleanups: (() => Promise<unknown> | void)[] = [];
  const problems: string[][] = [];
  beforeAll(async () => {
    browser = await launch();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    await browser?.close();
    expect(problems.flat(), "no page errors, no CSP refusals").toEqual([]);
  });
  const kit = {
    get browser(): Browser {
      if (!browser) throw new Error("useBrowser(): Chromium is not launched yet (use it inside a test)");
      return browser;
    },
    /** Close `fn`'s thing after this test. */
    defer(fn: () => Promise<unknown> | void) {
      cleanups.push(fn);
    },
    /** A fresh context (closed after the test) with one watched page. */
    async page(opts: BrowserContextOptions = PHONE): Promise<{ ctx: BrowserContext; page: Page }> {
      const ctx = await kit.browser.newContext(opts);
      ctx.setDefaultTimeout(ACTION_TIMEOUT_MS);
      cleanups.push(() => ctx.close());
      const page = await ctx.newPage();
      problems.push(watch(page));
      return { ctx, page };
    },
    /** A fresh page that has joined the room at `url` as `name`. */
    async open(url: string, name: string, opts: BrowserContextOptions = PHONE) {
      const opened = await kit.page(opts);
      await joinAs(opened.page, url, name);
      return opened;
    },
    /** A room for this test only. */
    async room(opts: Parameters<typeof startTestRoom>[0] = {}): Promise<TestRoom> {
      const r = await startTestRoom(opts);
      cleanups.push(() => r.close());
      return r;
    },
  };
  return kit;
}

/** Open the web UI at `url` (with its fragment) and join as `name`; returns when the stream is live. */
export async function joinAs(page: Page, url: string, name: string, password?: string) {
  await page.goto(url);
  await page.locator("#name-input").fill(name);
  if (password !== undefined) await page.locator("#password-input").fill(password);
  await page.locator("#join-btn").click();
  await page.waitForFunction(() => /^(live|polling)$/.test(document.getElementById("conn")?.dataset.state ?? ""), null, { timeout: 30_000 });
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
  post(text: string, extra?: Record<string, unknown>): Promise<{ id: number }>;
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
    async post(text, extra = {}) {
      const res = await fetch(base + "/messages", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ text, ...extra }),
      });
      const body = (await res.json()) as { message: { id: number } };
      expect(res.status, JSON.stringify(body)).toBe(201);
      return body.message;
    },
  };
}

// The misbehaving proxies (one drops every connection on demand, one buffers SSE bodies like a Cloudflare quick
// tunnel) are the tests' shared ones.
export { bufferingProxy, tcpProxy } from "../support/proxy.mjs";
