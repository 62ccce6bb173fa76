// The page over a WebSocket in Chromium: it holds one socket (no event stream), survives a tunnel stand-in's drops
// with every message once and in order, and behind a proxy that refuses upgrades it falls back to the event stream
// by itself.
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { DESKTOP, describeBrowser, httpAgent, message, shownIds, shownTexts, tcpProxy, useBrowser } from "../browser/helpers.js";
import type { TestRoom } from "../support/room.js";
import { freezingProxy, upgradeRefusingProxy } from "./helpers.js";

const linkFor = (base: string, room: TestRoom) => `${base}/#password=${encodeURIComponent(room.password)}`;
const state = (page: Page) => page.locator("#conn").getAttribute("data-state");
const via = async (r: TestRoom, name: string) =>
  ((await (await r.api("/room")).json()) as { participants: { name: string; via: string }[] }).participants.find((p) => p.name === name)?.via;

describeBrowser("web UI over WebSocket", () => {
  const { open, room, defer } = useBrowser();

  it("a phone holds one socket through a tunnel stand-in and survives its drops: every message once, in order", async () => {
    const r = await room();
    const proxy = await tcpProxy(r.port);
    defer(() => proxy.close());
    const { page } = await open(linkFor(proxy.url, r), "Wendy");
    await expect.poll(() => r.stats().websockets).toBe(1);
    expect(r.stats().streams).toBe(0);
    expect(await via(r, "Wendy")).toBe("ws");
    const bot = await httpAgent(r, "ws-bot");
    await bot.post("one");
    await message(page, "one").waitFor();

    for (let drop = 1; drop <= 2; drop++) {
      await proxy.drop();
      await expect.poll(() => state(page)).toBe("reconnecting");
      await bot.post(`during ${drop}a`);
      await bot.post(`during ${drop}b`);
      await proxy.restore();
      await expect.poll(() => state(page), { timeout: 30_000 }).toBe("live");
      await message(page, `during ${drop}b`).waitFor();
    }
    await page.locator("#input").fill("sent over the socket's page");
    await page.locator("#send").click();
    await expect.poll(async () => (await shownTexts(page)).filter((t) => t === "sent over the socket's page").length).toBe(1);
    expect(await shownTexts(page)).toEqual(["one", "during 1a", "during 1b", "during 2a", "during 2b", "sent over the socket's page"]);
    const ids = await shownIds(page);
    expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
    // Still on a socket after the drops, not on a fallback.
    await expect.poll(() => r.stats().websockets).toBe(1);
    expect(r.stats().streams).toBe(0);
  });

  it("behind a proxy that refuses upgrades, the page falls back to the event stream by itself", async () => {
    const r = await room();
    const proxy = await upgradeRefusingProxy(r.port);
    defer(() => proxy.close());
    const { page } = await open(linkFor(proxy.url, r), "Fay", DESKTOP);
    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("live");
    await expect.poll(() => r.stats().streams).toBe(1);
    expect(proxy.refused).toBeGreaterThan(0);
    expect(r.stats().websockets).toBe(0);
    const bot = await httpAgent(r, "sse-bot");
    await bot.post("via the stream");
    await message(page, "via the stream").waitFor();
    expect(await via(r, "Fay")).toBe("stream");
  });

  it("a socket gone silent (the path froze, nothing closed) is noticed by the missing server pings, and replaced", async () => {
    const r = await room({ wsPingMs: 400 }); // the page counts 2.5 pings of silence as a dead link
    const proxy = await freezingProxy(r.port);
    defer(() => proxy.close());
    const { page } = await open(linkFor(proxy.url, r), "Sid");
    await expect.poll(() => r.stats().websockets).toBe(1);
    const bot = await httpAgent(r, "quiet-bot");
    await bot.post("before the freeze");
    await message(page, "before the freeze").waitFor();
    proxy.freeze();
    await bot.post("while frozen");
    // Nothing was closed: only the silence says the link is dead.
    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("reconnecting");
    proxy.thaw();
    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("live");
    await message(page, "while frozen").waitFor();
    expect(await shownTexts(page)).toEqual(["before the freeze", "while frozen"]);
  });
});
