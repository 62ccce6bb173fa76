// The page keeps the conversation whole when the network misbehaves: a dropped connection, a browser gone offline,
// a proxy that buffers SSE (as Cloudflare quick tunnels do), history that moved on while away, and a room that
// closed for good.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import type { TestRoom } from "../support/room.js";
import { DESKTOP, bufferingProxy, describeBrowser, httpAgent, message, shownIds, shownTexts, tcpProxy, useBrowser } from "./helpers.js";

const linkFor = (base: string, room: TestRoom) => `${base}/#password=${encodeURIComponent(room.password)}`;
const state = (page: Page) => page.locator("#conn").getAttribute("data-state");

/** Every id once, ascending. */
async function expectInOrderOnce(page: Page) {
  const ids = await shownIds(page);
  expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
}

describeBrowser("web UI: reconnecting, long-poll fallback, room closed", () => {
  const { open, room, defer } = useBrowser();

  it("the connection drops: the page says so, reconnects by itself, and shows every message once, in order", async () => {
    const r = await room();
    const proxy = await tcpProxy(r.port);
    defer(() => proxy.close());
    const { page } = await open(linkFor(proxy.url, r), "Rita");
    const bot = await httpAgent(r, "steady-bot"); // talks to the room directly, not through the broken path
    await bot.post("before 1");
    await message(page, "before 1").waitFor();

    await proxy.drop();
    await expect.poll(() => state(page)).toBe("reconnecting");
    for (let i = 1; i <= 5; i++) await bot.post(`during ${i}`);
    await page.waitForTimeout(1200);
    await proxy.restore();

    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("live");
    await message(page, "during 5").waitFor();
    await bot.post("after 1");
    await message(page, "after 1").waitFor();
    expect(await shownTexts(page)).toEqual(["before 1", "during 1", "during 2", "during 3", "during 4", "during 5", "after 1"]);
    await expectInOrderOnce(page);
    // And what the page sends after recovery arrives once.
    await page.locator("#input").fill("I'm back");
    await page.locator("#send").click(); // a phone: Enter is a new line there
    await expect.poll(async () => (await shownTexts(page)).filter((t) => t === "I'm back").length).toBe(1);
  });

  it("the browser goes offline and back: it says so, then catches up without loss", async () => {
    const r = await room();
    const { ctx, page } = await open(linkFor(r.url, r), "Otto");
    const bot = await httpAgent(r, "chatty-bot");
    await bot.post("one");
    await message(page, "one").waitFor();
    await ctx.setOffline(true);
    await expect.poll(() => state(page)).toBe("offline");
    await bot.post("two");
    await bot.post("three");
    await page.waitForTimeout(500);
    await ctx.setOffline(false);
    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("live");
    await message(page, "three").waitFor();
    await bot.post("four");
    await message(page, "four").waitFor();
    expect(await shownTexts(page)).toEqual(["one", "two", "three", "four"]);
    await expectInOrderOnce(page);
  });

  it("behind a proxy that buffers SSE, the page switches to long-poll by itself and messages still arrive", async () => {
    const r = await room();
    const proxy = await bufferingProxy(r.port);
    defer(() => proxy.close());
    const { page } = await open(linkFor(proxy.url, r), "Bea", DESKTOP);
    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("polling");
    expect(proxy.streamsHeld).toBeGreaterThanOrEqual(1);
    expect(await page.locator("#conn-text").textContent()).toContain("long-poll");

    const bot = await httpAgent(r, "tunnel-bot");
    const t0 = Date.now();
    await bot.post("through the tunnel 1");
    await message(page, "through the tunnel 1").waitFor();
    // The page's poll holds 25 s when nothing comes: half that tells "answered as the message came" from "held",
    // however busy the machine (an idle one answers in well under a second).
    expect(Date.now() - t0, "a long-poll answers as soon as a message exists").toBeLessThan(12_500);
    await bot.post("through the tunnel 2");
    await bot.post("through the tunnel 3");
    await page.locator("#input").fill("reading you fine");
    await page.locator("#input").press("Enter");
    await message(page, "through the tunnel 3").waitFor();
    await message(page, "reading you fine").waitFor();
    expect(await shownTexts(page)).toEqual(["through the tunnel 1", "through the tunnel 2", "through the tunnel 3", "reading you fine"]);
    await expectInOrderOnce(page);
    // The room sees the person as connected by long-poll.
    const info = (await (await r.api("/room")).json()) as { participants: { name: string; via: string }[] };
    expect(info.participants.find((p) => p.name === "Bea")?.via).toBe("poll");
  });

  it("history moved on while away: the page reloads what the room keeps and says messages were missed", async () => {
    const r = await room({ history: 5 });
    const proxy = await tcpProxy(r.port);
    defer(() => proxy.close());
    const { page } = await open(linkFor(proxy.url, r), "Hugo");
    const bot = await httpAgent(r, "busy-bot");
    await bot.post("seen");
    await message(page, "seen").waitFor();
    await proxy.drop();
    for (let i = 1; i <= 8; i++) await bot.post(`burst ${i}`);
    await proxy.restore();
    await expect.poll(() => page.locator("#log .notice-line").textContent(), { timeout: 30_000 }).toContain("messages were missed");
    await expect.poll(() => shownTexts(page)).toEqual(["burst 4", "burst 5", "burst 6", "burst 7", "burst 8"]);
    await expect.poll(() => state(page)).toBe("live");
  });

  it("the room closes: the page says so plainly, stops hammering, and still offers the transcript", async () => {
    const r = await room();
    const { page } = await open(linkFor(r.url, r), "Cleo");
    const bot = await httpAgent(r, "last-bot");
    await bot.post("last words");
    await message(page, "last words").waitFor();

    await r.close();
    await expect.poll(() => state(page), { timeout: 30_000 }).toBe("closed");
    expect(await page.locator("#notice").textContent()).toContain("The room has closed");
    // One word, so it fits a 320-px header (issue 16 #7); the composer is off while the room is gone (#3).
    expect(await page.locator("#conn-text").textContent()).toBe("Closed");
    expect(await page.locator("#input").isDisabled()).toBe(true);

    let requests = 0;
    page.on("request", () => requests++);
    await page.waitForTimeout(5000);
    expect(requests, "slow retries only").toBeLessThanOrEqual(1);

    const [dl] = await Promise.all([page.waitForEvent("download"), page.locator("#notice-md").click()]);
    expect(readFileSync((await dl.path())!, "utf8")).toContain("last words");
  });
});
